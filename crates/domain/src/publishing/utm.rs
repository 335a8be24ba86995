//! UTM tagging: campaign parameters added to links so that analytics can tell which post brought a
//! visit. Existing query parameters and the fragment are kept; existing `utm_*` values that we set
//! are replaced (a link copied from an earlier campaign must not report the old one).

use serde::{Deserialize, Serialize};
use url::{Url, form_urlencoded};

use crate::InvalidInput;

pub const MAX_UTM_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    pub source: String,
    pub medium: String,
    pub campaign: String,
    #[serde(default)]
    pub term: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
}

impl Utm {
    /// Source, medium and campaign are required; each value is at most 200 characters.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        let required = [
            ("utm_source", &self.source),
            ("utm_medium", &self.medium),
            ("utm_campaign", &self.campaign),
        ];
        for (field, value) in required {
            if value.trim().is_empty() {
                return Err(InvalidInput::new(
                    field,
                    "required",
                    format!("Enter a value for {field}."),
                ));
            }
        }
        let optional = [("utm_term", &self.term), ("utm_content", &self.content)];
        let all = required
            .into_iter()
            .map(|(f, v)| (f, Some(v.as_str())))
            .chain(optional.into_iter().map(|(f, v)| (f, v.as_deref())));
        for (field, value) in all {
            let chars = value.map_or(0, |v| v.trim().chars().count());
            if chars > MAX_UTM_CHARS {
                return Err(InvalidInput::new(
                    field,
                    "too_long",
                    format!("{field} is {chars} characters; {MAX_UTM_CHARS} at most."),
                ));
            }
        }
        Ok(())
    }

    /// The parameters in their conventional order, blanks left out.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("utm_source", Some(self.source.as_str())),
            ("utm_medium", Some(self.medium.as_str())),
            ("utm_campaign", Some(self.campaign.as_str())),
            ("utm_term", self.term.as_deref()),
            ("utm_content", self.content.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(str::trim).filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }
}

/// `url` with the UTM parameters. Only http and https links are tagged.
pub fn tag_url(url: &str, utm: &Utm) -> Result<String, InvalidInput> {
    utm.validate()?;
    let bad = || {
        InvalidInput::new(
            "link",
            "invalid_url",
            format!(
                "\"{}\" is not a web address; links start with https:// or http://.",
                url.trim()
            ),
        )
    };
    let mut parsed = Url::parse(url.trim()).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad());
    }
    let ours = utm.pairs();
    // Keep the other parameters byte for byte (re-encoding them could change what the site sees).
    let mut parts: Vec<String> = parsed
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or_default();
            let key: String = form_urlencoded::parse(key.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            !ours.iter().any(|(k, _)| key.eq_ignore_ascii_case(k))
        })
        .map(str::to_owned)
        .collect();
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &ours {
        serializer.append_pair(k, v);
    }
    parts.push(serializer.finish());
    parsed.set_query(Some(&parts.join("&")));
    Ok(parsed.to_string())
}

/// `text` with every http(s) link in it tagged; everything else, including links without a scheme
/// ("example.com") and links that cannot be tagged, is left exactly as it was.
pub fn tag_links(text: &str, utm: &Utm) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    for range in crate::text::urls(text) {
        let (Some(before), Some(link)) = (text.get(last..range.start), text.get(range.clone()))
        else {
            continue;
        };
        let lower = link.get(..8).unwrap_or(link).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            continue;
        }
        match tag_url(link, utm) {
            Ok(tagged) => {
                out.push_str(before);
                out.push_str(&tagged);
                last = range.end;
            }
            Err(_) => continue,
        }
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm() -> Utm {
        Utm {
            source: "x".into(),
            medium: "social".into(),
            campaign: "spring launch".into(),
            term: None,
            content: Some("v1".into()),
        }
    }

    #[test]
    fn tags_and_keeps_the_rest() {
        assert_eq!(
            tag_url(
                "https://example.com/a?b=1%202&utm_source=old&UTM_MEDIUM=old#top",
                &utm()
            )
            .unwrap(),
            "https://example.com/a?b=1%202&utm_source=x&utm_medium=social&utm_campaign=spring+launch&utm_content=v1#top"
        );
        assert_eq!(
            tag_url("http://example.com", &utm()).unwrap(),
            "http://example.com/?utm_source=x&utm_medium=social&utm_campaign=spring+launch&utm_content=v1"
        );
        // utm_* parameters we do not set are kept.
        assert!(
            tag_url("https://e.com/?utm_id=7", &utm())
                .unwrap()
                .starts_with("https://e.com/?utm_id=7&utm_source=x")
        );
    }

    #[test]
    fn refuses_other_schemes_and_bad_utm() {
        assert_eq!(
            tag_url("ftp://example.com/x", &utm()).unwrap_err().code,
            "invalid_url"
        );
        assert!(tag_url("javascript:alert(1)", &utm()).is_err());
        assert!(tag_url("not a url", &utm()).is_err());
        let mut u = utm();
        u.medium = " ".into();
        assert_eq!(u.validate().unwrap_err().field, "utm_medium");
        let mut u = utm();
        u.term = Some("t".repeat(201));
        let err = u.validate().unwrap_err();
        assert_eq!(err.message, "utm_term is 201 characters; 200 at most.");
        assert!(tag_url("https://e.com", &u).is_err());
    }

    #[test]
    fn tags_links_in_text() {
        let text = "Новини: https://example.com/a?x=1, also example.org and HTTP://E.COM/b. 🦉";
        assert_eq!(
            tag_links(text, &utm()),
            "Новини: https://example.com/a?x=1&utm_source=x&utm_medium=social&utm_campaign=spring+launch&utm_content=v1, also example.org and http://e.com/b?utm_source=x&utm_medium=social&utm_campaign=spring+launch&utm_content=v1. 🦉"
        );
        assert_eq!(tag_links("no links here", &utm()), "no links here");
    }
}
