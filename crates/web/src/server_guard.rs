//! Server addresses people type in (a Mastodon server, a Bluesky PDS's `service_url`) are
//! fetched by Owlery itself — registering an app, exchanging codes, verifying a password — so such
//! an address must not make Owlery reach into its own network (SSRF). Before anything is fetched,
//! [`check`] refuses:
//!
//! - anything but `https` (a token or password would travel in the clear);
//! - a host that is, or resolves to, an address that is not on the public internet (loopback,
//!   private, carrier-grade NAT, link-local — cloud metadata lives there —, unique-local IPv6,
//!   documentation and other reserved ranges: `owlery_domain::publishing::link_preview::is_public_ip`);
//!   every address a name resolves to is checked, and one private answer refuses it.
//!
//! `WebConfig::allow_private_servers` (`OWLERY_ALLOW_PRIVATE_SERVERS`) turns both off, for a
//! self-hosted fediverse on a LAN or tests against local servers. What this does not cover: a name
//! whose DNS answer changes between this check and the connector's own connection (rebinding);
//! the link-preview fetcher pins addresses for that, the connectors' shared client does not.

use std::net::{IpAddr, SocketAddr};

use owlery_domain::{InvalidInput, publishing::link_preview::is_public_ip};
use url::{Host, Url};

/// Why a server address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not an http(s) address")]
    NotAddress,
    #[error("not https")]
    NotHttps,
    #[error("not on the public internet")]
    NotPublic,
    #[error("the name does not resolve")]
    Unresolvable,
}

/// Checks `raw` (an absolute http(s) URL) before Owlery fetches from it.
pub async fn check(raw: &str, allow_private: bool) -> Result<(), Refused> {
    let url = Url::parse(raw.trim()).map_err(|_| Refused::NotAddress)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::NotAddress);
    }
    if allow_private {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err(Refused::NotHttps);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => {
            let lower = name.trim_end_matches('.').to_ascii_lowercase();
            if lower == "localhost" || lower.ends_with(".localhost") {
                return Err(Refused::NotPublic);
            }
            tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| Refused::Unresolvable)?
                .collect()
        }
        None => return Err(Refused::NotAddress),
    };
    if addrs.is_empty() {
        return Err(Refused::Unresolvable);
    }
    if addrs.iter().all(|a| is_public_ip(a.ip())) {
        Ok(())
    } else {
        Err(Refused::NotPublic)
    }
}

/// [`check`] as a 422 about `field`, worded for the person who typed the address.
pub async fn check_field(
    raw: &str,
    allow_private: bool,
    field: &'static str,
) -> Result<(), InvalidInput> {
    check(raw, allow_private).await.map_err(|e| match e {
        Refused::NotAddress => InvalidInput::new(
            field,
            "invalid_server",
            "This is not a server address: enter one such as https://mastodon.social.",
        ),
        Refused::NotHttps => InvalidInput::new(
            field,
            "server_not_https",
            "The server must be reached over https:// (passwords and tokens never travel \
             unencrypted).",
        ),
        Refused::NotPublic => InvalidInput::new(
            field,
            "server_not_public",
            "This address is on this machine or a private network, which Owlery does not connect \
             to. Enter the server's public address (an administrator can allow private servers \
             with OWLERY_ALLOW_PRIVATE_SERVERS).",
        ),
        Refused::Unresolvable => InvalidInput::new(
            field,
            "server_not_found",
            "No server answers to this name: check the address.",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn private_and_plain_addresses_are_refused_unless_allowed() {
        for bad in [
            "https://127.0.0.1",
            "https://127.0.0.1:3000",
            "https://localhost:3000",
            "https://pds.localhost",
            "https://10.0.0.5",
            "https://172.16.0.1",
            "https://192.168.1.10",
            "https://169.254.169.254",
            "https://100.64.0.1",
            "https://[::1]",
            "https://[fd12::1]",
            "https://[fe80::1]",
            "https://[::ffff:127.0.0.1]",
            "https://0.0.0.0",
        ] {
            assert_eq!(check(bad, false).await, Err(Refused::NotPublic), "{bad}");
            assert_eq!(check(bad, true).await, Ok(()), "{bad}");
        }
        assert_eq!(
            check("http://93.184.216.34", false).await,
            Err(Refused::NotHttps)
        );
        assert_eq!(check("https://93.184.216.34", false).await, Ok(()));
        assert_eq!(check("http://127.0.0.1:9", true).await, Ok(()));
        assert_eq!(check("ftp://pds", true).await, Err(Refused::NotAddress));
        assert_eq!(check("not a url", false).await, Err(Refused::NotAddress));
        assert_eq!(
            check("https://no-such-host.invalid", false).await,
            Err(Refused::Unresolvable)
        );
    }
}
