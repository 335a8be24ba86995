//! `owlery media render SOURCE --out DIR`: every placement rendition of one image, as files
//! named `<network>-<placement>-<W>x<H>.<ext>`, one line per file on stdout.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use owlery_domain::spec::Specs;
use owlery_media::{FocalPoint, Limits};

use crate::{UsageError, out};

#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Render the renditions each placement needs from one image (JPEG, PNG or WebP)
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The image to render
    source: PathBuf,

    /// Directory to write the renditions to (created if missing)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Only this network (repeat, or separate with commas) [default: all]
    #[arg(long = "network", value_name = "N", value_delimiter = ',')]
    networks: Vec<String>,

    /// Keep this point in every crop: X,Y as fractions of the upright image, 0.5,0.5 = centre
    /// [default: found from where the detail is]
    #[arg(long, value_name = "X,Y")]
    focal: Option<String>,
}

pub fn run(command: &MediaCommand) -> anyhow::Result<ExitCode> {
    match command {
        MediaCommand::Render(a) => render(a),
    }
}

fn render(a: &RenderArgs) -> anyhow::Result<ExitCode> {
    let specs = Specs::embedded().context("the built-in network specs do not load")?;
    let unknown: Vec<&str> = a
        .networks
        .iter()
        .map(String::as_str)
        .filter(|n| specs.network(n).is_none())
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = specs.networks.iter().map(|n| n.code.as_str()).collect();
        return Err(UsageError(format!(
            "unknown network {}; known: {}",
            unknown.join(", "),
            known.join(", ")
        ))
        .into());
    }
    let focal = a
        .focal
        .as_deref()
        .map(FocalPoint::parse)
        .transpose()
        .map_err(|e| UsageError(format!("--focal: {e}")))?;
    let limits = Limits::default();
    let source = a.source.display();
    let size = std::fs::metadata(&a.source)
        .with_context(|| format!("cannot read {source}"))?
        .len();
    if size > limits.max_input_bytes {
        anyhow::bail!(
            "{source}: {}",
            owlery_media::MediaError::InputTooLarge {
                bytes: size,
                max: limits.max_input_bytes
            }
        );
    }
    let bytes = std::fs::read(&a.source).with_context(|| format!("cannot read {source}"))?;
    let name = a.source.file_name().and_then(|n| n.to_str());
    owlery_media::probe(&bytes, name, &limits).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    let decoded =
        owlery_media::decode(&bytes, &limits).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    drop(bytes);
    let networks: Vec<&str> = a.networks.iter().map(String::as_str).collect();
    let targets = owlery_media::targets(&specs, &networks);
    if targets.is_empty() {
        return Err(UsageError(format!(
            "no image placement of {} has recommended sizes",
            networks.join(", ")
        ))
        .into());
    }
    let focal = focal.unwrap_or_else(|| decoded.auto_focal());
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut failed = 0;
    for (target, result) in targets.iter().zip(decoded.render(&targets, focal)) {
        match result {
            Ok(r) => {
                let path = a.out.join(target.file_name());
                std::fs::write(&path, &r.bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let quality = r
                    .quality
                    .map_or_else(String::new, |q| format!("  quality {q}"));
                out::line(format!(
                    "{}  {}x{}  {} bytes{quality}",
                    path.display(),
                    r.width,
                    r.height,
                    r.bytes.len()
                ));
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", target.file_name());
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} renditions could not be made", targets.len());
    }
    Ok(ExitCode::SUCCESS)
}
