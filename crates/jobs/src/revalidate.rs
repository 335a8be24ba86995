//! Re-validation after the network spec changed: variants on their way out (in review, approved,
//! scheduled) whose findings were made against another `specs/networks.toml` version are checked
//! again with the embedded spec. Those that no longer pass are flagged by the store (back to
//! `draft`, or kept `in_review` with their errors) and their authors told; the rest only get fresh
//! findings. Run once when a process with workers starts; idempotent (a re-validated variant
//! carries the current version and is not picked again).

use owlery_domain::{
    post,
    spec::{MediaFacts, MediaKind, Severity, Specs, validate},
};
use owlery_store::{
    Store,
    posts::Validation,
    publishing::{MediaRow, Revalidated},
};

/// How many variants one batch reads.
const BATCH: i64 = 200;

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub checked: usize,
    pub flagged: usize,
}

fn facts(m: &MediaRow) -> Option<MediaFacts> {
    let kind = match m.kind.as_str() {
        "image" => MediaKind::Image,
        "gif" => MediaKind::Gif,
        "video" => MediaKind::Video,
        _ => return None,
    };
    Some(MediaFacts {
        kind,
        bytes: u64::try_from(m.byte_size).unwrap_or(0),
        width: u64::try_from(m.width).unwrap_or(0),
        height: u64::try_from(m.height).unwrap_or(0),
        duration_ms: m.duration_ms.and_then(|d| u64::try_from(d).ok()),
        format: m.format.clone(),
        alt: (!m.alt.is_empty()).then(|| m.alt.clone()),
    })
}

/// Re-validate every variant whose spec version is not `specs.version`.
pub async fn run_once(store: &Store, specs: &Specs) -> anyhow::Result<Report> {
    let mut report = Report::default();
    // A variant that cannot be re-validated (unknown placement) keeps its old version; remember
    // it so the loop ends.
    let mut skipped = std::collections::HashSet::new();
    loop {
        let batch = store.variants_to_revalidate(&specs.version, BATCH).await?;
        let fresh: Vec<_> = batch
            .into_iter()
            .filter(|s| !skipped.contains(&s.variant.id))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for s in fresh {
            let Some(placement) = specs.placement(&s.network, &s.variant.placement) else {
                tracing::warn!(
                    variant.id = %s.variant.id, channel.network = %s.network, placement = %s.variant.placement,
                    "the spec has no such placement; not re-validated"
                );
                skipped.insert(s.variant.id);
                continue;
            };
            let media = s.media.iter().filter_map(facts).collect();
            let draft = post::draft_for(placement, &s.content, media);
            let findings = validate(placement, &draft, None);
            let has_errors = findings.iter().any(|f| f.severity == Severity::Error);
            let validation = Validation {
                findings: serde_json::to_value(&findings)?,
                has_errors,
                spec_version: specs.version.clone(),
            };
            match store
                .apply_revalidation(&s.variant, s.author_id, &s.title, &validation)
                .await?
            {
                Revalidated::Refreshed => report.checked += 1,
                Revalidated::Flagged(status) => {
                    report.checked += 1;
                    report.flagged += 1;
                    tracing::info!(
                        variant.id = %s.variant.id, status = status.code(),
                        "no longer passes the current network spec; flagged and the author told"
                    );
                }
                Revalidated::Skipped => {
                    skipped.insert(s.variant.id);
                }
            }
        }
    }
    if report.checked > 0 {
        tracing::info!(
            spec.version = %specs.version, variants.checked = report.checked,
            variants.flagged = report.flagged, "re-validated variants against the current spec"
        );
    }
    Ok(report)
}
