//! Status-list publication (draft-ietf-oauth-status-list-20 §8 "Status List Token" and §9
//! "Status List Request"): `GET /status/{list}` serves the list as a signed JWT
//! (`application/statuslist+jwt`, the default) or CWT (`application/statuslist+cwt`) by
//! `Accept`, rebuilt from the registry — one bit per credential, INVALID for every revoked
//! or superseded one — whenever the list's version in the registry moves (every revocation
//! and supersession bumps it in the same transaction) or the signed token is half its `ttl`
//! old. The version check makes several service instances over one database agree; the
//! cache only saves signing.

use crate::config::IssuerConfig;
use crate::error::ApiError;
use crate::issue::IssuerKeys;
use crate::registry::Registry;
use kakunin_core::crypto::{CryptoProvider, ProviderSigner};
use kakunin_core::status::{
    build_cwt, build_jwt, Bits, KeyReference, StatusList, StatusListClaims,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The JWT media type.
pub const JWT_MEDIA_TYPE: &str = "application/statuslist+jwt";
/// The CWT media type.
pub const CWT_MEDIA_TYPE: &str = "application/statuslist+cwt";

/// One list, signed in both forms.
#[derive(Debug)]
pub struct Published {
    /// The registry version it was built from.
    pub version: i64,
    /// Its `iat` (Unix seconds).
    pub iat: i64,
    /// The JWT.
    pub jwt: Vec<u8>,
    /// The CWT (tagged COSE_Sign1).
    pub cwt: Vec<u8>,
}

impl Published {
    /// The entity tag of one form: changes with every rebuild.
    pub fn etag(&self, cwt: bool) -> String {
        format!(
            "\"{}-{}-{}\"",
            self.version,
            self.iat,
            if cwt { "cwt" } else { "jwt" }
        )
    }
}

/// The publication cache.
#[derive(Debug, Default)]
pub struct Publisher {
    lists: Mutex<HashMap<String, Arc<Published>>>,
}

fn lock(
    m: &Mutex<HashMap<String, Arc<Published>>>,
) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Published>>> {
    // Entries are replaced whole (one insert), so a poisoned map is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sign list `id` at `version` with the given invalid indices.
fn sign(
    crypto: &dyn CryptoProvider,
    keys: &IssuerKeys,
    config: &IssuerConfig,
    id: &str,
    state: &crate::registry::ListState,
    now: i64,
) -> Result<Published, ApiError> {
    let mut list = StatusList::new(Bits::One, state.size).map_err(|_| ApiError::INTERNAL)?;
    for i in &state.invalid {
        list.set(*i, 1).map_err(|_| ApiError::INTERNAL)?;
    }
    let iat = time::OffsetDateTime::from_unix_timestamp(now).map_err(|_| ApiError::INTERNAL)?;
    let mut claims = StatusListClaims::new(config.status_uri(id), iat);
    claims.ttl = Some(config.status_ttl.as_secs().max(1));
    claims.exp = iat.checked_add(
        time::Duration::try_from(config.status_validity).map_err(|_| ApiError::INTERNAL)?,
    );
    claims.iss = Some(config.public_url.clone());
    let signer = ProviderSigner::new(crypto, &keys.status.key).map_err(|_| ApiError::INTERNAL)?;
    let key = KeyReference {
        kid: None,
        x5chain: vec![keys.status.cert_der.clone()],
    };
    let jwt = build_jwt(&signer, &list, &claims, &key)
        .map_err(|_| ApiError::INTERNAL)?
        .into_bytes();
    let cwt = build_cwt(&signer, &list, &claims, &key).map_err(|_| ApiError::INTERNAL)?;
    Ok(Published {
        version: state.version,
        iat: now,
        jwt,
        cwt,
    })
}

impl Publisher {
    /// An empty cache.
    pub fn new() -> Self {
        Publisher::default()
    }

    /// List `id` as published now: from the cache when its version is current and it is
    /// younger than half its ttl, else rebuilt and signed. `None` for an unknown list.
    pub async fn get(
        &self,
        crypto: &dyn CryptoProvider,
        registry: &Registry,
        keys: &IssuerKeys,
        config: &IssuerConfig,
        id: &str,
        now: i64,
    ) -> Result<Option<Arc<Published>>, ApiError> {
        let Some(version) = registry
            .list_version(id)
            .await
            .map_err(|e| ApiError::from_registry(&e))?
        else {
            return Ok(None);
        };
        let fresh_for = i64::try_from(config.status_ttl.as_secs() / 2).unwrap_or(i64::MAX);
        if let Some(p) = lock(&self.lists).get(id) {
            if p.version == version && now.saturating_sub(p.iat) < fresh_for {
                return Ok(Some(Arc::clone(p)));
            }
        }
        self.rebuild(crypto, registry, keys, config, id, now).await
    }

    /// Rebuild list `id` from the registry now (after a change), whatever the cache holds.
    pub async fn rebuild(
        &self,
        crypto: &dyn CryptoProvider,
        registry: &Registry,
        keys: &IssuerKeys,
        config: &IssuerConfig,
        id: &str,
        now: i64,
    ) -> Result<Option<Arc<Published>>, ApiError> {
        let Some(state) = registry
            .list_state(id)
            .await
            .map_err(|e| ApiError::from_registry(&e))?
        else {
            return Ok(None);
        };
        let p = Arc::new(sign(crypto, keys, config, id, &state, now)?);
        let mut lists = lock(&self.lists);
        // Keep a newer build another request made meanwhile.
        let keep = lists.get(id).is_some_and(|old| {
            old.version > p.version || (old.version == p.version && old.iat > p.iat)
        });
        if keep {
            return Ok(lists.get(id).cloned());
        }
        lists.insert(id.to_string(), Arc::clone(&p));
        Ok(Some(p))
    }
}
