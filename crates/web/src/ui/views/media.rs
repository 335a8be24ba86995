//! The media library pages: the grid with the upload form, and one item with its metadata form,
//! focal point and rendition previews.

use askama::Template;

use super::{FormErrors, Page, SelectOption};

/// A tile of the library grid.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaCard {
    pub id: String,
    pub file_name: String,
    pub alt: String,
    /// `image`, `gif` or `video`.
    pub kind: String,
    pub width: i64,
    pub height: i64,
    pub has_thumbnail: bool,
    pub expired: bool,
    pub tags: Vec<String>,
}

/// `GET /media`.
#[derive(Template)]
#[template(path = "media/library.html")]
pub struct LibraryView {
    pub page: Page,
    pub items: Vec<MediaCard>,
    /// Where uploads may go (the select is shown when there is more than one).
    pub workspaces: Vec<SelectOption>,
    /// The tag filter, as typed.
    pub tag: String,
    /// `?before=` of the next page, when there is one.
    pub next: Option<String>,
}

/// A network to preview, as a check box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkChoice {
    pub code: String,
    pub name: String,
    pub checked: bool,
}

/// One rendition preview.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub network: String,
    pub placement: String,
    pub target_width: u32,
    pub target_height: u32,
    pub width: i64,
    pub height: i64,
    pub byte_size: i64,
    /// The crop of the original, `x,y width×height`.
    pub crop: String,
    pub url: String,
}

/// `GET /media/{id}`.
#[derive(Template)]
#[template(path = "media/detail.html")]
pub struct DetailView {
    pub page: Page,
    pub item: MediaCard,
    pub format: String,
    pub byte_size: i64,
    pub usage_rights: String,
    /// `YYYY-MM-DD`, for the date input; empty when none.
    pub expires_on: String,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    /// The focal point as fractions, and whether it is the automatic one.
    pub focal_x: f64,
    pub focal_y: f64,
    pub focal_set: bool,
    pub renderable: bool,
    pub networks: Vec<NetworkChoice>,
    pub previews: Vec<Preview>,
    /// Renditions that cannot be made, with why (already in the viewer's language when ours;
    /// the media crate's messages are English).
    pub failures: Vec<String>,
    pub errors: FormErrors,
}

impl DetailView {
    /// The focal point as text for the number inputs (`0.500`).
    pub fn focal_x_text(&self) -> String {
        format!("{:.3}", self.focal_x)
    }

    pub fn focal_y_text(&self) -> String {
        format!("{:.3}", self.focal_y)
    }

    pub fn tags_text(&self) -> String {
        self.item.tags.join(", ")
    }

    /// The query that previews the chosen networks again (after a change of focal point).
    pub fn networks_query(&self) -> String {
        self.networks
            .iter()
            .filter(|n| n.checked)
            .map(|n| format!("network={}", n.code))
            .collect::<Vec<_>>()
            .join("&")
    }
}
