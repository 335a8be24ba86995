//! The home page and the placeholder pages of the sections that are not built yet (Publish,
//! Inbox, Crisis, On-call, Analytics, Governance). A placeholder says plainly what the section
//! will hold; it never shows invented data.

use askama::Template;

use super::{Page, Section};

/// `GET /`: a welcome with the organisation's name and counts, and what is here now and next.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeView {
    pub page: Page,
    pub org_name: String,
    pub workspace_count: i64,
    pub channel_count: i64,
    pub user_count: i64,
}

/// `GET /publish`, `/inbox`, `/crisis`, `/oncall`, `/analytics`, `/governance`: set
/// `page.section` to the section; the template picks the wording from it.
#[derive(Template)]
#[template(path = "sections/placeholder.html")]
pub struct SectionView {
    pub page: Page,
}

impl SectionView {
    pub fn new(page: Page) -> Self {
        Self { page }
    }

    fn title_key(&self) -> &'static str {
        match self.page.section {
            Section::Publish => "section-publish-title",
            Section::Inbox => "section-inbox-title",
            Section::Crisis => "section-crisis-title",
            Section::OnCall => "section-oncall-title",
            Section::Analytics => "section-analytics-title",
            _ => "section-governance-title",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{page, render};
    use super::*;
    use crate::i18n::{Lang, tr};

    #[test]
    fn home_renders_counts() {
        for lang in Lang::ALL {
            let html = render(
                "home",
                &HomeView {
                    page: page(lang, Section::None),
                    org_name: "Acme Corp".into(),
                    workspace_count: 3,
                    channel_count: 12_345,
                    user_count: 1,
                },
                lang,
            );
            assert!(html.contains("Acme Corp"));
            assert!(
                !html.contains("aria-current=\"page\""),
                "no section is current on home"
            );
            match lang {
                Lang::En => assert!(html.contains("12,345")),
                Lang::Bg => {
                    assert!(html.contains("12\u{a0}345"));
                    assert!(html.contains("Работни пространства"));
                }
            }
        }
    }

    #[test]
    fn home_links_only_what_the_viewer_may_open() {
        let mut p = page(Lang::En, Section::None);
        if let Some(u) = p.user.as_mut() {
            u.can_manage_settings = false;
            u.can_read_audit = false;
            u.can_see_governance = false;
        }
        let html = render(
            "home_agent",
            &HomeView {
                page: p,
                org_name: "Acme Corp".into(),
                workspace_count: 1,
                channel_count: 1,
                user_count: 1,
            },
            Lang::En,
        );
        assert!(
            !html.contains("href=\"/settings"),
            "no settings links without permission"
        );
        assert!(html.contains("href=\"/account/tokens\""));
        assert!(
            html.contains("1 Nov") || html.contains("Workspace"),
            "singular label"
        );
    }

    #[test]
    fn every_section_placeholder_renders_its_own_text() {
        let sections = [
            (Section::Publish, "publish"),
            (Section::Inbox, "inbox"),
            (Section::Crisis, "crisis"),
            (Section::OnCall, "oncall"),
            (Section::Analytics, "analytics"),
            (Section::Governance, "governance"),
        ];
        for lang in Lang::ALL {
            for (section, code) in sections {
                let html = render(
                    &format!("section_{code}"),
                    &SectionView::new(page(lang, section)),
                    lang,
                );
                assert!(
                    html.contains(&tr(lang, &format!("section-{code}-lead"))),
                    "{code}"
                );
                assert!(
                    html.contains(&tr(lang, &format!("section-{code}-arrives"))),
                    "{code}"
                );
                assert!(
                    html.contains(&format!(
                        "href=\"{}\" aria-current=\"page\"",
                        section.href()
                    )),
                    "{code} is current in the navigation"
                );
            }
        }
    }
}
