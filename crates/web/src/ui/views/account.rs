//! A person's own account: profile and preferences, password, two-factor authentication
//! (enrolment and recovery codes) and personal API tokens.
//!
//! Form actions (routes for the handler author), each with `csrf_token`:
//! - `POST /account` — `name`, `lang`, `time_zone`
//! - `POST /account/language` — `lang`, `next` (the switcher in the header; must also work signed
//!   out, where it only sets a cookie; redirect to `next` if it is a local path)
//! - `POST /account/password` — `current_password`, `password`, `password_confirm`
//! - `POST /account/2fa` — `code` (confirms enrolment, then show [`RecoveryCodesView`])
//! - `POST /account/2fa/recovery-codes` — `current_password`: new recovery codes
//! - `POST /account/2fa/disable` — `current_password`
//! - `POST /account/tokens` — `name`, `expires_in_days`, `scopes` (repeated permission codes)
//! - `POST /account/tokens/{id}/revoke`

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, SelectOption};
use crate::i18n::Lang;

/// `GET /account`.
#[derive(Template)]
#[template(path = "account/account.html")]
pub struct AccountView {
    pub page: Page,
    pub name: String,
    pub email: String,
    /// The saved language preference.
    pub lang: Lang,
    /// The saved IANA time zone.
    pub time_zone: String,
    pub two_factor_enabled: bool,
    /// The organisation's policy requires 2FA for this person: it cannot be turned off.
    pub two_factor_required: bool,
    pub recovery_codes_left: i64,
    pub min_password_length: i64,
    pub profile_errors: FormErrors,
    pub password_errors: FormErrors,
    /// Errors of the 2FA forms (regenerate codes, turn off): `current_password`.
    pub two_factor_errors: FormErrors,
}

impl AccountView {
    fn tz_options(&self) -> Vec<SelectOption> {
        super::tz_options(&self.time_zone)
    }
    fn lang_options(&self) -> Vec<SelectOption> {
        Lang::ALL
            .into_iter()
            .map(|l| SelectOption::new(l.code(), l.native_name(), l == self.lang))
            .collect()
    }
}

/// `GET /account/2fa`: scan the QR code (or type the secret), then confirm with a code.
#[derive(Template)]
#[template(path = "account/two_factor.html")]
pub struct TwoFactorEnrolView {
    pub page: Page,
    /// An `<svg>` element rendered on the server (the `qrcode` crate); inserted unescaped.
    pub qr_svg: String,
    /// Base32 secret, for typing in by hand.
    pub secret: String,
    /// The organisation requires 2FA and the person must finish this before anything else.
    pub required: bool,
    pub errors: FormErrors,
}

impl TwoFactorEnrolView {
    /// The SVG without an XML declaration (the `qrcode` crate writes one; inside HTML it would
    /// only be a bogus comment).
    pub fn qr_inline(&self) -> &str {
        let svg = self.qr_svg.trim_start();
        match (svg.starts_with("<?xml"), svg.find("?>")) {
            (true, Some(end)) => svg[end + 2..].trim_start(),
            _ => svg,
        }
    }

    /// The secret in groups of four for reading aloud and typing ("JBSW Y3DP EHPK 3PXP").
    pub fn secret_groups(&self) -> String {
        let chars: Vec<char> = self.secret.chars().filter(|c| !c.is_whitespace()).collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// After confirming 2FA (or regenerating codes): the recovery codes, shown once.
#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
pub struct RecoveryCodesView {
    pub page: Page,
    pub codes: Vec<String>,
}

impl RecoveryCodesView {
    /// A `data:` URL with the codes as a text file, so "Download" needs neither a route nor
    /// the codes to be kept on the server.
    pub fn download_href(&self) -> String {
        let mut text = String::from("Owlery recovery codes\n\n");
        for code in &self.codes {
            text.push_str(code);
            text.push('\n');
        }
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
        // form_urlencoded writes spaces as '+', which a data: URL would keep literally.
        format!(
            "data:text/plain;charset=utf-8,{}",
            encoded.replace('+', "%20")
        )
    }
}

/// One API token in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    /// Permission codes.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expired: bool,
}

/// A token just created: its secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub secret: String,
}

/// `GET /account/tokens`.
#[derive(Template)]
#[template(path = "account/tokens.html")]
pub struct TokensView {
    pub page: Page,
    pub tokens: Vec<TokenRow>,
    /// Permission codes this person may put on a token (no more than they hold).
    pub scope_options: Vec<String>,
    pub form_name: String,
    pub form_expires_in_days: i64,
    pub form_scopes: Vec<String>,
    pub errors: FormErrors,
    pub new_token: Option<NewToken>,
}

/// The expiry choices offered for a new token, in days.
pub const TOKEN_EXPIRY_DAYS: [i64; 5] = [7, 30, 90, 180, 365];

impl TokensView {
    fn expiry_options(&self) -> Vec<(i64, bool)> {
        let chosen = if TOKEN_EXPIRY_DAYS.contains(&self.form_expires_in_days) {
            self.form_expires_in_days
        } else {
            90
        };
        TOKEN_EXPIRY_DAYS
            .iter()
            .map(|d| (*d, *d == chosen))
            .collect()
    }
    fn scope_checked(&self, code: &str) -> bool {
        self.form_scopes.iter().any(|s| s == code)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, page, render};
    use super::super::{FieldError, Section};
    use super::*;
    use crate::i18n::tr;

    #[test]
    fn account_page_renders_all_forms() {
        for lang in Lang::ALL {
            for enabled in [false, true] {
                let html = render(
                    if enabled { "account_2fa_on" } else { "account" },
                    &AccountView {
                        page: page(lang, Section::Account),
                        name: "Maria Ivanova".into(),
                        email: "maria@example.com".into(),
                        lang: Lang::Bg,
                        time_zone: "Europe/Sofia".into(),
                        two_factor_enabled: enabled,
                        two_factor_required: enabled,
                        recovery_codes_left: 7,
                        min_password_length: 12,
                        profile_errors: FormErrors::new(),
                        password_errors: vec![FieldError::new(
                            "current_password",
                            tr(lang, "password-error-current"),
                        )]
                        .into(),
                        two_factor_errors: FormErrors::new(),
                    },
                    lang,
                );
                for field in [
                    "name",
                    "lang",
                    "time_zone",
                    "current_password",
                    "password",
                    "password_confirm",
                ] {
                    assert!(html.contains(&format!("name=\"{field}\"")), "{field}");
                }
                assert!(html.contains("<option value=\"Europe/Sofia\" selected>"));
                assert!(html.contains("<option value=\"bg\" lang=\"bg\" selected>"));
                assert!(html.contains("aria-invalid=\"true\""));
                if enabled {
                    assert!(html.contains("action=\"/account/2fa/recovery-codes\""));
                    assert!(
                        !html.contains("action=\"/account/2fa/disable\""),
                        "required: cannot turn off"
                    );
                } else {
                    assert!(html.contains("href=\"/account/2fa\""));
                }
            }
        }
    }

    #[test]
    fn enrolment_shows_qr_and_grouped_secret() {
        for lang in Lang::ALL {
            let view = TwoFactorEnrolView {
                page: page(lang, Section::Account),
                qr_svg: qrcode::QrCode::new(b"otpauth://totp/Owlery:maria@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Owlery")
                    .unwrap()
                    .render::<qrcode::render::svg::Color>()
                    .min_dimensions(200, 200)
                    .build(),
                secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
                required: true,
                errors: FormErrors::new(),
            };
            assert_eq!(
                view.secret_groups(),
                "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
            );
            let html = render("account_2fa_enrol", &view, lang);
            assert!(
                html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "QR unescaped"
            );
            assert!(!html.contains("<?xml"));
            assert!(html.contains("JBSW Y3DP EHPK 3PXP"));
            assert!(html.contains("name=\"code\""));
            assert!(html.contains(&tr(lang, "twofa-required-notice")));
        }
    }

    #[test]
    fn recovery_codes_render_with_download() {
        for lang in Lang::ALL {
            let view = RecoveryCodesView {
                page: page(lang, Section::Account),
                codes: (1..=10).map(|i| format!("abcd-{i:04}")).collect(),
            };
            let href = view.download_href();
            assert!(href.starts_with("data:text/plain;charset=utf-8,Owlery%20recovery%20codes"));
            assert!(href.contains("abcd-0010%0A"));
            let html = render("account_recovery_codes", &view, lang);
            assert_eq!(html.matches("<li><code>").count(), 10);
            assert!(html.contains("download=\"owlery-recovery-codes.txt\""));
        }
    }

    #[test]
    fn tokens_list_form_and_one_time_secret() {
        for lang in Lang::ALL {
            let tokens = vec![
                TokenRow {
                    id: "k1".into(),
                    name: "Reporting export".into(),
                    scopes: vec!["analytics:read".into(), "channels:read".into()],
                    created_at: at(2, 10, 0),
                    expires_at: Some(at(30, 10, 0)),
                    last_used_at: Some(at(26, 7, 15)),
                    expired: false,
                },
                TokenRow {
                    id: "k2".into(),
                    name: "Old script".into(),
                    scopes: vec!["posts:draft".into()],
                    created_at: at(1, 9, 0),
                    expires_at: Some(at(8, 9, 0)),
                    last_used_at: None,
                    expired: true,
                },
            ];
            let html = render(
                "account_tokens",
                &TokensView {
                    page: page(lang, Section::Account),
                    tokens: tokens.clone(),
                    scope_options: super::super::PERMISSION_CODES
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                    form_name: String::new(),
                    form_expires_in_days: 30,
                    form_scopes: vec!["analytics:read".into()],
                    errors: FormErrors::new(),
                    new_token: Some(NewToken {
                        name: "Reporting export".into(),
                        secret: "owl_pat_3f9a8b7c6d5e".into(),
                    }),
                },
                lang,
            );
            assert!(html.contains("value=\"owl_pat_3f9a8b7c6d5e\""));
            assert!(html.contains(&tr(lang, "tokens-new-warning")));
            assert!(html.contains("action=\"/account/tokens/k1/revoke\""));
            assert!(html.contains("name=\"scopes\" value=\"analytics:read\" checked"));
            assert!(html.contains("<option value=\"30\" selected>"));
            assert!(html.contains("name=\"expires_in_days\""));
            let html = render(
                "account_tokens_empty",
                &TokensView {
                    page: page(lang, Section::Account),
                    tokens: vec![],
                    scope_options: vec!["posts:draft".into()],
                    form_name: String::new(),
                    form_expires_in_days: 0,
                    form_scopes: vec![],
                    errors: FormErrors::new(),
                    new_token: None,
                },
                lang,
            );
            assert!(html.contains(&tr(lang, "tokens-empty")));
            assert!(html.contains("<option value=\"90\" selected>"));
        }
    }
}
