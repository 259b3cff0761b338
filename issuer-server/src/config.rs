//! The issuer service's configuration: where its keys, JPKI CAs and data live, how it is
//! reached, and its limits. Built by the command line (`kakunin issuer serve`) or by tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// Limits on every request.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, in bytes (default 256 KiB).
    pub max_body_bytes: usize,
    /// Deadline for a whole request (default 10 s).
    pub request_timeout: Duration,
    /// Deadline for a request's headers (default 5 s).
    pub header_timeout: Duration,
    /// Open connections at most (default 512).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(5),
            max_connections: 512,
        }
    }
}

/// The service's configuration.
#[derive(Clone)]
pub struct IssuerConfig {
    /// The issuer's public base URL (no trailing `/`): its identifier in the enrolment
    /// challenge, the SD-JWT VC `iss`, and the base of the status-list URIs.
    pub public_url: String,
    /// The PKI directory `kakunin pki init` wrote (ds-1, jws-1).
    pub pki_dir: PathBuf,
    /// The JPKI CA directory (`jpki-sign-ca.pem`, `jpki-auth-ca.pem`, their CRLs).
    pub jpki_ca_dir: PathBuf,
    /// The data directory: the registry secret, the admin token, the SQLite file.
    pub data_dir: PathBuf,
    /// The registry URL; `None`: `sqlite://DATA/registry.db`.
    pub db_url: Option<String>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The administration token; `None`: `DATA/admin-token` (generated on first start).
    pub admin_token: Option<Zeroizing<String>>,
    /// Limits on requests.
    pub limits: Limits,
    /// How long a nonce is valid (default 5 minutes).
    pub nonce_ttl: Duration,
    /// Credential validity (default 30 days), never beyond the signature certificate.
    pub validity: Duration,
    /// `issuing_authority` of the credentials.
    pub issuing_authority: String,
    /// Entries per status list (default 2^20).
    pub status_list_size: u64,
    /// The status lists' `ttl` and `Cache-Control: max-age` (default 300 s).
    pub status_ttl: Duration,
    /// The status lists' validity after signing (`exp - iat`, default 1 day).
    pub status_validity: Duration,
    /// The PKI name (file stem) of the key that signs status lists (default `ds-1`: a
    /// Document Signer certificate, which relying parties accept as status signer under
    /// the credential's IACA).
    pub status_signer: String,
}

impl core::fmt::Debug for IssuerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerConfig")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl IssuerConfig {
    /// Defaults around the three directories.
    pub fn new(pki_dir: &Path, jpki_ca_dir: &Path, data_dir: &Path) -> Self {
        IssuerConfig {
            public_url: "http://127.0.0.1:8090".into(),
            pki_dir: pki_dir.into(),
            jpki_ca_dir: jpki_ca_dir.into(),
            data_dir: data_dir.into(),
            db_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            admin_token: None,
            limits: Limits::default(),
            nonce_ttl: Duration::from_secs(300),
            validity: Duration::from_secs(30 * 86_400),
            issuing_authority: "Kakunin issuer (JPKI-proofed)".into(),
            status_list_size: 1 << 20,
            status_ttl: Duration::from_secs(300),
            status_validity: Duration::from_secs(86_400),
            status_signer: "ds-1".into(),
        }
    }

    /// The registry URL in force.
    pub fn registry_url(&self) -> String {
        self.db_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("registry.db").display()))
    }

    /// The registry URL without a password (for the start-up line).
    pub fn registry_url_redacted(&self) -> String {
        let url = self.registry_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let userinfo = url.get(s + 3..at).unwrap_or_default();
                let user = userinfo.split(':').next().unwrap_or_default();
                format!(
                    "{}{}:***{}",
                    url.get(..s + 3).unwrap_or_default(),
                    user,
                    url.get(at..).unwrap_or_default()
                )
            }
            _ => url,
        }
    }

    /// The URI of status list `id`.
    pub fn status_uri(&self, id: &str) -> String {
        format!("{}/status/{id}", self.public_url)
    }

    /// Refuse what cannot be served.
    pub fn validate(&self) -> Result<(), crate::ServerError> {
        let bad = |m: &str| Err(crate::ServerError::Invalid(m.into()));
        if !(self.public_url.starts_with("https://") || self.public_url.starts_with("http://"))
            || self.public_url.ends_with('/')
            || self.public_url.len() > 1024
        {
            return bad("the public URL must be http(s)://host[:port][/path] without a trailing /");
        }
        if self.limits.max_body_bytes < 1024 {
            return bad("the body limit must be at least 1 KiB");
        }
        if self.status_list_size < 1024 {
            return bad("a status list needs at least 1024 entries");
        }
        if self.validity.as_secs() < 86_400 {
            return bad("credential validity must be at least a day");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let mut c = IssuerConfig::new(Path::new("p"), Path::new("j"), Path::new("/d"));
        assert_eq!(c.registry_url(), "sqlite:///d/registry.db");
        c.db_url = Some("postgres://kakunin:secret@127.0.0.1:5432/db".into());
        assert_eq!(
            c.registry_url_redacted(),
            "postgres://kakunin:***@127.0.0.1:5432/db"
        );
        assert_eq!(c.status_uri("1"), "http://127.0.0.1:8090/status/1");
        assert!(c.validate().is_ok());
        c.public_url = "http://x/".into();
        assert!(c.validate().is_err());
    }
}
