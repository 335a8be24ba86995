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
//! - **LinkedIn** (organisation social action notifications): the validation `GET
//!   ?challengeCode=<uuid>` is answered `{"challengeCode", "challengeResponse": hex(HMAC-SHA256(
//!   client secret, challengeCode))}`; events carry `X-LI-Signature: <hex HMAC-SHA256(client
//!   secret, "hmacsha256=" + raw body)>`
//!   (<https://learn.microsoft.com/linkedin/shared/api-guide/webhook-validation>). The HMAC of the
//!   bare body is accepted too (some descriptions of the scheme omit the prefix); both need the
//!   secret.
//!
//! **Challenges are signing oracles.** X's CRC and LinkedIn's challenge return an HMAC, under the
//! same secret, of a string anyone may send — the same HMAC that signs event bodies. So the
//! challenge strings are held to their documented shapes ([`x_crc_token_ok`]: a short token of
//! URL-safe characters; [`linkedin_challenge_ok`]: a UUID), which a JSON body (starting with `{`)
//! never matches: a challenge answer can never be replayed as a body's signature.
//!
//! The parsers of what arrives (per network, into the inbox's items) are in [`events`].

pub mod events;

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

/// The `X-Hub-Signature-256` value Meta would send with `body` (for tests, benchmarks and tools
/// that play Meta).
pub fn meta_signature(app_secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(app_secret, body)))
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

/// Whether an X CRC token has the shape X sends (1–255 characters of letters, digits and
/// `-_=+/.`): anything else is refused before it is signed (see the module documentation).
pub fn x_crc_token_ok(token: &str) -> bool {
    (1..=255).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=+/.".contains(&b))
}

/// Whether a LinkedIn challenge code is what LinkedIn sends: a UUID.
pub fn linkedin_challenge_ok(code: &str) -> bool {
    code.len() == 36 && uuid::Uuid::try_parse(code).is_ok()
}

/// LinkedIn's validation answer: `hex(HMAC-SHA256(client secret, challengeCode))`.
pub fn linkedin_challenge_response(client_secret: &[u8], challenge_code: &str) -> String {
    hex::encode(mac(client_secret, challenge_code.as_bytes()))
}

/// Whether `header` (`X-LI-Signature`, lowercase or uppercase hex) signs `body` with
/// `client_secret`: over `"hmacsha256=" + body` as documented, or over the bare body.
pub fn linkedin_signature_valid(client_secret: &[u8], body: &[u8], header: &str) -> bool {
    let h = header.trim();
    let h = h.strip_prefix("hmacsha256=").unwrap_or(h);
    let Ok(given) = hex::decode(h) else {
        return false;
    };
    let mut prefixed = Vec::with_capacity(body.len() + 11);
    prefixed.extend_from_slice(b"hmacsha256=");
    prefixed.extend_from_slice(body);
    let a = mac(client_secret, &prefixed);
    let b = mac(client_secret, body);
    let ok_a: bool = a.ct_eq(&given).into();
    let ok_b: bool = b.ct_eq(&given).into();
    !a.is_empty() && (ok_a | ok_b)
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

    // LinkedIn, computed independently with OpenSSL:
    //   printf '%s' "$CODE" | openssl dgst -sha256 -hmac "$SECRET"
    //   printf '%s' "hmacsha256=$BODY" | openssl dgst -sha256 -hmac "$SECRET"
    const LI_SECRET: &str = "li-client-secret-7";
    const LI_CODE: &str = "6b1f3a2e-0c4d-4e8f-9a7b-2d5c8e1f0a3b";
    const LI_BODY: &str =
        r#"{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[]}"#;

    #[test]
    fn linkedin_challenge_and_signatures() {
        let expected_code = "3fb523189d34120e5acad1495a22da3bb5c42be48a358a2e1944ee795c8e7c5e";
        assert_eq!(
            linkedin_challenge_response(LI_SECRET.as_bytes(), LI_CODE),
            expected_code
        );
        let sig = "2d23c886ae28c6a900cd912d0ace4c1bb92a7208778ddbf1fe9f37e2e91e9336";
        assert!(linkedin_signature_valid(
            LI_SECRET.as_bytes(),
            LI_BODY.as_bytes(),
            sig
        ));
        assert!(linkedin_signature_valid(
            LI_SECRET.as_bytes(),
            LI_BODY.as_bytes(),
            &sig.to_uppercase()
        ));
        assert!(!linkedin_signature_valid(b"other", LI_BODY.as_bytes(), sig));
        assert!(!linkedin_signature_valid(LI_SECRET.as_bytes(), b"{}", sig));
        assert!(!linkedin_signature_valid(
            LI_SECRET.as_bytes(),
            LI_BODY.as_bytes(),
            "zz"
        ));
        assert!(linkedin_challenge_ok(LI_CODE));
        assert!(!linkedin_challenge_ok(LI_BODY));
        assert!(!linkedin_challenge_ok(""));
    }

    #[test]
    fn challenge_strings_cannot_be_bodies() {
        assert!(x_crc_token_ok("crc-token-abc123"));
        assert!(x_crc_token_ok("MjAxOC0wNC0xMFQxNTo0Mjo1Mi4wNTVa"));
        assert!(!x_crc_token_ok(X_BODY));
        assert!(!x_crc_token_ok(""));
        assert!(!x_crc_token_ok(&"a".repeat(256)));
        assert!(!x_crc_token_ok("a b"));
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
