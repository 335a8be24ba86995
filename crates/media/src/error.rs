//! The one error type of this crate. Every message is written for the person who uploaded the
//! file (what is wrong, and what to do); `code()` is the stable machine code for the API.

use crate::Format;

/// Why a file was refused or a rendition could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is {} bytes; Owlery accepts at most {} bytes ({} MiB).", .bytes, .max, .max / 1_048_576)]
    InputTooLarge { bytes: u64, max: u64 },
    #[error(
        "This is not an image or a video Owlery can read (JPEG, PNG, WebP, GIF, MP4 or MOV); \
         its first bytes match none of them."
    )]
    UnknownType,
    #[error("HEIC is not supported yet; export as JPEG.")]
    HeicUnsupported,
    #[error(
        "The file is named .{extension} but its contents are {actual}; \
         rename it to .{} or export it again.",
        .actual.extension()
    )]
    TypeMismatch { extension: String, actual: Format },
    #[error(
        "The image is {width}×{height} pixels; Owlery accepts at most {max_side} pixels per side. \
         Export a smaller copy."
    )]
    SideTooLarge {
        width: u32,
        height: u32,
        max_side: u32,
    },
    #[error(
        "The image is {width}×{height} pixels ({} megapixels); Owlery accepts at most {} megapixels. \
         Export a smaller copy.",
        (u64::from(*.width) * u64::from(*.height)) / 1_000_000,
        .max_pixels / 1_000_000
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error(
        "The {format} file is cut short (it ends before its last part); upload the whole file again."
    )]
    Truncated { format: Format },
    #[error("The {format} file is damaged and cannot be read: {detail}.")]
    Corrupt { format: Format, detail: String },
    #[error("{what} is not supported.")]
    Unsupported { what: String },
    #[error("{format} is not an image that Owlery can make renditions of.")]
    NotRenderable { format: Format },
    #[error(
        "The {network} {placement} rendition ({width}×{height}) is {bytes} bytes even at JPEG \
         quality {quality}; {network} allows {max_bytes} bytes. Use a simpler or smaller image."
    )]
    OverByteLimit {
        network: String,
        placement: String,
        width: u32,
        height: u32,
        bytes: u64,
        quality: u8,
        max_bytes: u64,
    },
    #[error(
        "The focal point {0:?} is not valid: write it as X,Y with both between 0 and 1, such as 0.5,0.4."
    )]
    BadFocalPoint(String),
    #[error("Could not make the rendition: {0}.")]
    Internal(String),
}

impl MediaError {
    /// A stable snake_case code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Empty => "empty_file",
            MediaError::InputTooLarge { .. } => "file_too_large",
            MediaError::UnknownType => "unknown_type",
            MediaError::HeicUnsupported => "heic_not_supported",
            MediaError::TypeMismatch { .. } => "type_mismatch",
            MediaError::SideTooLarge { .. } => "dimensions_too_large",
            MediaError::TooManyPixels { .. } => "too_many_pixels",
            MediaError::Truncated { .. } => "truncated",
            MediaError::Corrupt { .. } => "corrupt",
            MediaError::Unsupported { .. } => "unsupported",
            MediaError::NotRenderable { .. } => "not_renderable",
            MediaError::OverByteLimit { .. } => "over_byte_limit",
            MediaError::BadFocalPoint(_) => "bad_focal_point",
            MediaError::Internal(_) => "internal",
        }
    }

    /// True when the uploader can fix it (everything but our own failures).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, MediaError::Internal(_))
    }
}
