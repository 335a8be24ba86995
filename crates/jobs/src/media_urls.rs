//! Public, signed, expiring addresses of media files for the networks that download media
//! themselves (`Connector::media_source`): the installation's public address (`OWLERY_PUBLIC_URL`),
//! whether a network can reach it, and the signing key (sealed in the store, opened once).
//!
//! The address format and the signature are the domain's (`publishing::media_url`); the web edge
//! serves them (`GET /m/…`).

use owlery_domain::{
    MediaId,
    publishing::media_url::{self, Rendition, Unreachable, UrlKey},
};
use owlery_store::{Store, StoreError, signing::MEDIA_URL_KEY, vault::Vault};

/// Where media addresses point, and the key that signs them.
#[derive(Debug, Default)]
pub struct MediaUrls {
    /// `OWLERY_PUBLIC_URL`, without a trailing slash; `None`: not set.
    public_url: Option<String>,
    /// Tests and development: use the public address even when it is on this machine or a
    /// private network (`OWLERY_MEDIA_URLS_ALLOW_PRIVATE`).
    allow_private: bool,
    key: tokio::sync::OnceCell<UrlKey>,
}

impl MediaUrls {
    pub fn new(public_url: Option<String>, allow_private: bool) -> MediaUrls {
        MediaUrls {
            public_url: public_url.map(|u| u.trim().trim_end_matches('/').to_owned()),
            allow_private,
            key: tokio::sync::OnceCell::new(),
        }
    }

    /// The base of media addresses, or why a network on the internet cannot download from it.
    pub fn base(&self) -> Result<&str, Unreachable> {
        let checked = media_url::check_reachable(self.public_url.as_deref());
        match (&self.public_url, checked) {
            (Some(url), Ok(_)) => Ok(url),
            (Some(url), Err(Unreachable::Private(_))) if self.allow_private => Ok(url),
            (_, Err(e)) => Err(e),
            (None, Ok(_)) => Err(Unreachable::NotSet),
        }
    }

    async fn key(&self, store: &Store, vault: &Vault) -> Result<UrlKey, StoreError> {
        self.key
            .get_or_try_init(|| async {
                let bytes = store.signing_key(vault, MEDIA_URL_KEY).await?;
                UrlKey::from_bytes(&bytes).ok_or_else(|| {
                    StoreError::Corrupt("the media address key is not 32 bytes".into())
                })
            })
            .await
            .cloned()
    }

    /// A signed address of `rendition` of `media`, valid for [`media_url::LIFETIME_SECS`] from
    /// now. `Ok(None)` when the base is not usable (the caller checked [`MediaUrls::base`]).
    pub async fn sign(
        &self,
        store: &Store,
        vault: &Vault,
        media: MediaId,
        rendition: &Rendition,
    ) -> Result<Option<String>, StoreError> {
        let Ok(base) = self.base() else {
            return Ok(None);
        };
        let key = self.key(store, vault).await?;
        let expires = store.now().timestamp() + media_url::LIFETIME_SECS;
        Ok(Some(format!(
            "{base}{}",
            media_url::signed_path(&key, media, rendition, expires)
        )))
    }
}

/// What to tell people when `network` needs media addresses and the public address will not do.
pub fn unreachable_message(network: &str, why: &Unreachable) -> String {
    format!(
        "Not published: {network} downloads media from Owlery's public address, and {why}. Set \
         OWLERY_PUBLIC_URL to an address reachable from the internet (for example \
         https://owlery.example.com), then send the post again."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_used_only_when_networks_can_reach_it_or_private_is_allowed() {
        assert_eq!(MediaUrls::new(None, false).base(), Err(Unreachable::NotSet));
        assert_eq!(MediaUrls::new(None, true).base(), Err(Unreachable::NotSet));
        assert_eq!(
            MediaUrls::new(Some("https://owlery.example.com/".into()), false).base(),
            Ok("https://owlery.example.com")
        );
        assert!(matches!(
            MediaUrls::new(Some("http://127.0.0.1:8080".into()), false).base(),
            Err(Unreachable::Private(_))
        ));
        assert_eq!(
            MediaUrls::new(Some("http://127.0.0.1:8080".into()), true).base(),
            Ok("http://127.0.0.1:8080")
        );
        assert!(matches!(
            MediaUrls::new(Some("ftp://owlery.example.com".into()), true).base(),
            Err(Unreachable::NotHttp(_))
        ));
        let msg = unreachable_message("Instagram", &Unreachable::NotSet);
        assert!(msg.contains("Instagram downloads media from Owlery's public address"));
        assert!(msg.contains("set OWLERY_PUBLIC_URL") || msg.contains("Set OWLERY_PUBLIC_URL"));
    }
}
