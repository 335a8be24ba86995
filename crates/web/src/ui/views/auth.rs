//! Signing in and getting an account: sign-in, its second step, forgotten and reset passwords,
//! the one-time setup link, and the generic error page.
//!
//! Form actions (the handler author's routes): `POST /signin` (`email`, `password`, `next`),
//! `POST /signin/2fa` (`code`), `POST /forgot-password` (`email`),
//! `POST /reset-password/{token}` (`password`, `password_confirm`),
//! `POST /setup/{token}` (`name`, `password`, `password_confirm`). Every form also sends `csrf_token`.

use askama::Template;

use super::{FormErrors, Page};
use crate::i18n;

/// `GET /signin`. The whole-form `error` is deliberately vague ("email or password is wrong"),
/// so it never tells which accounts exist.
#[derive(Template)]
#[template(path = "auth/signin.html")]
pub struct SignInView {
    pub page: Page,
    /// What the person typed, to keep it after a failed attempt.
    pub email: String,
    pub error: Option<String>,
    pub errors: FormErrors,
    /// Local path to continue to after signing in; sent back as `next`.
    pub next: String,
}

/// `GET /signin/2fa`: the second step; a recovery code works in the same field.
#[derive(Template)]
#[template(path = "auth/signin_2fa.html")]
pub struct SignInTwoFactorView {
    pub page: Page,
    pub errors: FormErrors,
}

/// `GET /forgot-password`; after the POST, render again with `sent: true`. The confirmation is
/// the same whether or not the address has an account.
#[derive(Template)]
#[template(path = "auth/forgot_password.html")]
pub struct ForgotPasswordView {
    pub page: Page,
    pub email: String,
    pub sent: bool,
    pub errors: FormErrors,
}

/// `GET /reset-password/{token}` (from the e-mailed link).
#[derive(Template)]
#[template(path = "auth/reset_password.html")]
pub struct ResetPasswordView {
    pub page: Page,
    pub token: String,
    pub min_password_length: i64,
    pub errors: FormErrors,
}

/// `GET /setup/{token}`: the one-time link that makes the first Owner (`first_owner`) or lets a
/// newly created user choose their name and password.
#[derive(Template)]
#[template(path = "auth/setup.html")]
pub struct SetupView {
    pub page: Page,
    pub token: String,
    pub first_owner: bool,
    pub org_name: String,
    /// Shown read-only when known.
    pub email: String,
    pub name: String,
    pub min_password_length: i64,
    pub errors: FormErrors,
}

/// Any error page. Build it with [`ErrorView::new`] for the standard wording of 400, 403, 404,
/// 410, 429 and 500 (anything else reads as 500), then override `message` if a more specific
/// sentence helps ("This setup link was already used.").
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorView {
    pub page: Page,
    pub status: u16,
    pub title: String,
    pub message: String,
}

impl ErrorView {
    pub fn new(page: Page, status: u16) -> Self {
        let code = match status {
            400 | 403 | 404 | 410 | 429 => status,
            _ => 500,
        };
        let title = i18n::tr(page.lang, &format!("error-{code}-title"));
        let message = i18n::tr(page.lang, &format!("error-{code}-message"));
        Self {
            page,
            status,
            title,
            message,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{anon, page, render};
    use super::super::{FieldError, Section};
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn sign_in_pages_render() {
        for lang in Lang::ALL {
            let mut p = anon(lang);
            p.path = "/signin".into();
            let html = render(
                "signin",
                &SignInView {
                    page: p.clone(),
                    email: "maria@example.com".into(),
                    error: Some(i18n::tr(lang, "signin-error-credentials")),
                    errors: FormErrors::new(),
                    next: "/inbox".into(),
                },
                lang,
            );
            assert!(html.contains("name=\"email\"") && html.contains("name=\"password\""));
            assert!(html.contains("value=\"maria@example.com\""));
            assert!(html.contains("role=\"alert\""));
            assert!(html.contains("href=\"/forgot-password\""));
            assert!(html.contains("name=\"next\" value=\"/inbox\""));
            assert!(!html.contains("nav-primary"), "sign-in has no navigation");
            if lang == Lang::Bg {
                assert!(html.contains("Вход") && html.contains("Парола"));
            }

            let html = render(
                "signin_2fa",
                &SignInTwoFactorView {
                    page: p.clone(),
                    errors: vec![FieldError::new(
                        "code",
                        i18n::tr(lang, "signin-2fa-error-code"),
                    )]
                    .into(),
                },
                lang,
            );
            assert!(html.contains("name=\"code\""));
            assert!(html.contains("aria-invalid=\"true\""));
            assert!(html.contains("aria-describedby=\"signin-code-error signin-code-hint\""));
            assert!(html.contains("autocomplete=\"one-time-code\""));
        }
    }

    #[test]
    fn password_pages_render() {
        for lang in Lang::ALL {
            let html = render(
                "forgot_password",
                &ForgotPasswordView {
                    page: anon(lang),
                    email: String::new(),
                    sent: false,
                    errors: FormErrors::new(),
                },
                lang,
            );
            assert!(html.contains("name=\"email\""));
            let html = render(
                "forgot_password_sent",
                &ForgotPasswordView {
                    page: anon(lang),
                    email: "a@b.c".into(),
                    sent: true,
                    errors: FormErrors::new(),
                },
                lang,
            );
            assert!(html.contains(&i18n::tr(lang, "forgot-sent")));
            assert!(!html.contains("<form method=\"post\" action=\"/forgot-password\""));

            let html = render(
                "reset_password",
                &ResetPasswordView {
                    page: anon(lang),
                    token: "tok123".into(),
                    min_password_length: 12,
                    errors: vec![FieldError::new(
                        "password_confirm",
                        i18n::tr(lang, "password-error-mismatch"),
                    )]
                    .into(),
                },
                lang,
            );
            assert!(html.contains("action=\"/reset-password/tok123\""));
            assert!(
                html.contains("name=\"password\"") && html.contains("name=\"password_confirm\"")
            );
            assert!(html.contains("12"));
        }
    }

    #[test]
    fn setup_renders_for_owner_and_invited_user() {
        for lang in Lang::ALL {
            for first_owner in [true, false] {
                let html = render(
                    if first_owner {
                        "setup_owner"
                    } else {
                        "setup_invited"
                    },
                    &SetupView {
                        page: anon(lang),
                        token: "setup-tok".into(),
                        first_owner,
                        org_name: "Acme Corp".into(),
                        email: "new@acme.test".into(),
                        name: String::new(),
                        min_password_length: 12,
                        errors: FormErrors::new(),
                    },
                    lang,
                );
                assert!(html.contains("action=\"/setup/setup-tok\""));
                assert!(
                    html.contains("name=\"name\"") && html.contains("name=\"password_confirm\"")
                );
                assert!(html.contains("new@acme.test"));
                if !first_owner {
                    assert!(html.contains("Acme Corp"));
                }
            }
        }
    }

    #[test]
    fn error_pages_render_signed_in_and_out() {
        for lang in Lang::ALL {
            for status in [403, 404, 410, 500, 502] {
                let html = render(
                    &format!("error_{status}"),
                    &ErrorView::new(page(lang, Section::None), status),
                    lang,
                );
                assert!(html.contains(&status.to_string()));
                assert!(html.contains("href=\"/\""));
            }
            let html = render("error_anon", &ErrorView::new(anon(lang), 404), lang);
            assert!(html.contains("href=\"/signin\""));
            assert!(html.contains(&i18n::tr(lang, "error-404-title")));
        }
    }
}
