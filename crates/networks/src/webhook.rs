//! Verifying what networks push to us: webhook signatures and subscription challenges. Pure
//! functions over the raw request; the receivers (the inbox) call them before anything else.
//! Comparisons are constant-time.
//!
//! - **Meta** (Facebook Pages, Instagram, Messenger, Threads): `X-Hub-Signature-256:
//!   sha256=<hex HMAC-SHA256(app secret, raw body)>`; the subscription check echoes `hub.challenge`
//!   when `hub.mode=subscribe` and `hub.verify_token` matches
//!   (<https://developers.facebook.com/docs/graph-api/webhooks/getting-started>).
//! - **X** (Account Activity): the CRC answer is `{"response_token": "sha256=" + base64(HMAC-SHA256(
//!   consumer secret, crc_token))}`; events carry `x-twitter-webhooks-signature: sha256=<base64
//!   HMAC-SHA256(consumer secret, raw body)>`
//!   (<https://docs.x.com/x-api/webhooks/introduction>).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(body);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Whether `header` (the `X-Hub-Signature-256` value) signs `body` with `app_secret`.
pub fn meta_signature_valid(app_secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return false;
    };
    let expected = mac(app_secret, body);
    !expected.is_empty() && expected.ct_eq(&given).into()
}

/// Meta's subscription check: the challenge to echo, when the mode and token are right.
pub fn meta_challenge<'a>(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&'a str>,
    expected_token: &str,
) -> Option<&'a str> {
    let token_ok: bool = verify_token
        .map(|t| t.as_bytes().ct_eq(expected_token.as_bytes()).into())
        .unwrap_or(false);
    (mode == Some("subscribe") && token_ok && !expected_token.is_empty())
        .then_some(challenge)
        .flatten()
}

/// X's CRC answer: `sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>`.
pub fn x_crc_response(consumer_secret: &[u8], crc_token: &str) -> String {
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD
            .encode(mac(consumer_secret, crc_token.as_bytes()))
    )
}

/// Whether `header` (`x-twitter-webhooks-signature`) signs `body` with `consumer_secret`.
pub fn x_signature_valid(consumer_secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(b64) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    let expected = mac(consumer_secret, body);
    !expected.is_empty() && expected.ct_eq(&given).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed independently with OpenSSL:
    //   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"            (hex, Meta)
    //   printf '%s' "$TOKEN" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64   (X)
    const META_SECRET: &str = "e3f1c0ffee5ecret";
    const META_BODY: &str = r#"{"object":"page","entry":[{"id":"1234","time":1732700000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","message":"Где е кафето? ☕"}}]}]}"#;
    const META_SIG: &str =
        "sha256=cdad095f6fa8602b78e39a7463c370d55b8a75372eba7423c7970cfae9d7b9d5";
    const X_SECRET: &str = "x-consumer-secret-42";
    const X_CRC_TOKEN: &str = "crc-token-abc123";
    const X_CRC: &str = "sha256=lDzJTnlIMYVxF8l48sF49RD7/0tmOYWtctXANW5Y2SE=";
    const X_BODY: &str =
        r#"{"for_user_id":"42","tweet_create_events":[{"id_str":"1","text":"@northwind hi"}]}"#;
    const X_SIG: &str = "sha256=pg9Sj3eGLA2GydsXiMS/YKoolntHFFxCRwcJHragB+g=";

    #[test]
    fn meta_signatures_match_the_documented_scheme() {
        assert!(meta_signature_valid(
            META_SECRET.as_bytes(),
            META_BODY.as_bytes(),
            META_SIG
        ));
        // one changed byte, a wrong secret, a missing prefix, bad hex: all refused
        let mut tampered = META_BODY.as_bytes().to_vec();
        tampered[5] ^= 1;
        assert!(!meta_signature_valid(
            META_SECRET.as_bytes(),
            &tampered,
            META_SIG
        ));
        assert!(!meta_signature_valid(
            b"other",
            META_BODY.as_bytes(),
            META_SIG
        ));
        assert!(!meta_signature_valid(
            META_SECRET.as_bytes(),
            META_BODY.as_bytes(),
            META_SIG.trim_start_matches("sha256=")
        ));
        assert!(!meta_signature_valid(
            META_SECRET.as_bytes(),
            META_BODY.as_bytes(),
            "sha256=zz"
        ));
        assert!(!meta_signature_valid(
            META_SECRET.as_bytes(),
            META_BODY.as_bytes(),
            ""
        ));
    }

    #[test]
    fn meta_subscription_echoes_the_challenge_only_for_the_right_token() {
        assert_eq!(
            meta_challenge(Some("subscribe"), Some("tok"), Some("1158201444"), "tok"),
            Some("1158201444")
        );
        assert_eq!(
            meta_challenge(Some("subscribe"), Some("bad"), Some("1"), "tok"),
            None
        );
        assert_eq!(
            meta_challenge(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
            None
        );
        assert_eq!(
            meta_challenge(Some("subscribe"), Some(""), Some("1"), ""),
            None
        );
    }

    #[test]
    fn x_crc_and_signatures_match_the_documented_scheme() {
        assert_eq!(x_crc_response(X_SECRET.as_bytes(), X_CRC_TOKEN), X_CRC);
        assert!(x_signature_valid(
            X_SECRET.as_bytes(),
            X_BODY.as_bytes(),
            X_SIG
        ));
        assert!(!x_signature_valid(X_SECRET.as_bytes(), b"{}", X_SIG));
        assert!(!x_signature_valid(b"nope", X_BODY.as_bytes(), X_SIG));
        assert!(!x_signature_valid(
            X_SECRET.as_bytes(),
            X_BODY.as_bytes(),
            "sha256=!!"
        ));
    }
}
