//! The till's configuration: a TOML file (docs/till.md, docs/examples/till.toml) with
//! command-line overrides applied on top, resolved into one [`Config`] that [`crate::serve`]
//! takes. Relative paths in the file are relative to the file's directory.

use crate::error::ServerError;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The bearer token the API requires (from the configuration file only, never a flag).
/// Compared in constant time; wiped from memory on drop; never shown by `Debug`.
#[derive(Clone)]
pub struct ApiToken(Zeroizing<String>);

impl ApiToken {
    /// Wrap a token; it must be at least 16 characters so it cannot be guessed by trying.
    pub fn new(token: String) -> Result<Self, ServerError> {
        let token = Zeroizing::new(token);
        if token.trim().len() < 16 {
            return Err(ServerError::Invalid(
                "api_token must be at least 16 characters".into(),
            ));
        }
        Ok(ApiToken(token))
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        // ct_eq on slices of different lengths is false without looking at the bytes; the
        // length of the configured token is not a secret worth hiding.
        bool::from(self.0.as_bytes().ct_eq(presented))
    }
}

impl core::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// The age policy of the till (kakunin_verifier::AgePolicy's knobs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// The age to prove (`age_over_NN`); 20 in Japan for alcohol and tobacco.
    pub age_threshold: u8,
    /// Ask for the portrait and show it with OK.
    pub portrait: bool,
}

/// How the till reaches a phone over BLE (mdoc peripheral server mode, ISO 18013-5 clause
/// 8.3.3.1.1: the phone advertises the engagement's service UUID, the till connects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BleMode {
    /// No BLE (`transports.ble = false`).
    Off,
    /// A real radio (`transports.ble = true`): btleplug, in builds with the `ble` feature.
    Radio,
    /// The simulated radio of `kakunin holder-sim serve --ble-sim` (`transports.ble =
    /// "sim"`): a Unix socket named after the service UUID.
    Sim,
}

/// Which engagement and transfer methods the till offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// QR engagement (the customer's `mdoc:` code, read by a camera or a USB scanner).
    pub qr: bool,
    /// BLE data transfer.
    pub ble: BleMode,
    /// NFC engagement and transfer through this PC/SC reader (name substring), when present.
    pub nfc_reader: Option<String>,
}

/// Bounds on what a client may cost the server (DESIGN: every input is hostile and bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Deadline for reading a request's header; a client that drips bytes is cut off.
    pub header_timeout: Duration,
    /// Deadline for a whole request, body read and verification included.
    pub request_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// Verifications running at once on the blocking pool (default: the number of cores).
    pub workers: usize,
    /// How long a result (and its portrait) stays on the page without "next customer".
    pub result_timeout: Duration,
    /// How often the trust directory is checked for changes.
    pub trust_reload: Duration,
    /// How long the till waits for each answer of a customer's phone in a session (the
    /// reader flow's per-message deadline); the whole session gets three times this.
    pub phone_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 256 * 1024,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_connections: 1024,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            result_timeout: Duration::from_secs(30),
            trust_reload: Duration::from_secs(5),
            phone_timeout: Duration::from_secs(10),
        }
    }
}

/// The resolved configuration of one till.
#[derive(Debug, Clone)]
pub struct Config {
    /// This till's identifier (written in every audit row).
    pub till_id: String,
    /// The store's identifier (written in every audit row).
    pub store_id: String,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The data directory (the default SQLite audit database lives here).
    pub data_dir: PathBuf,
    /// A directory of IACA certificates (`*.pem`, `*.der`, `*.crt`, `*.cer`), re-read when it
    /// changes.
    pub trust_dir: Option<PathBuf>,
    /// Further IACA certificate files (`--trust-anchor`), re-read with the directory.
    pub trust_anchors: Vec<PathBuf>,
    /// The reader certificate for readerAuth in the till's DeviceRequests.
    pub reader_cert: Option<PathBuf>,
    /// The reader certificate's private key.
    pub reader_key: Option<PathBuf>,
    /// The age policy.
    pub policy: PolicyConfig,
    /// The transports offered.
    pub transports: TransportConfig,
    /// The audit database URL; `None` is `sqlite://<data_dir>/audit.db`.
    pub audit_database: Option<String>,
    /// The API's bearer token; required when listening on a non-loopback address.
    pub api_token: Option<ApiToken>,
    /// Request and resource bounds.
    pub limits: Limits,
    /// Offer the simulated demo customers on the page.
    pub demo: bool,
    /// The signed trust bundle (`trust.bundle`, `--trust-bundle`): IACAs, reader roots,
    /// CRLs, VICALs and status lists in one file, re-checked on the reload interval and
    /// swapped in only for a verified, greater version.
    pub trust_bundle: Option<PathBuf>,
    /// The certificate the bundle's signer must chain to (`trust.bundle_signer`,
    /// `--bundle-signer`): the trust-bundle root, never a root inside the bundle.
    pub bundle_signer: Option<PathBuf>,
    /// A status-list cache directory (`trust.status_cache`, filled by `kakunin status
    /// fetch`), read besides the bundle's lists.
    pub status_cache: Option<PathBuf>,
    /// CRL files (`trust.crls`, `till serve --crl`), besides the bundle's CRLs: each verified
    /// against its issuer among the trust anchors (crate::crls).
    pub crl_files: Vec<PathBuf>,
    /// Past this age of the trust bundle every verification is NG `status_unknown` ("trust
    /// data too old") (`policy.max_trust_age_seconds`).
    pub max_trust_age: Option<Duration>,
    /// How long past its `exp`/`ttl` a status list is still believed
    /// (`policy.status_offline_grace_seconds`; kakunin_verifier::StatusPolicy).
    pub status_offline_grace: Duration,
    /// The VICAL-authority certificates VICALs must chain to (`trust.vical_authorities`,
    /// `--vical-authority`): never the bundle signer, never a root inside a list.
    pub vical_authorities: Vec<PathBuf>,
    /// Signed VICAL files (`trust.vicals`, `--vical`), re-checked on the reload interval;
    /// their IACAs join the anchors scoped to their docTypes.
    pub vicals: Vec<PathBuf>,
    /// How long past its `nextUpdate` a VICAL is still taken (`trust.vical_grace_seconds`).
    pub vical_grace: Duration,
}

impl Config {
    /// A loopback till with no trust anchors configured yet, for tests and scripts.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            till_id: "till-1".into(),
            store_id: "store-1".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            trust_dir: None,
            trust_anchors: Vec::new(),
            reader_cert: None,
            reader_key: None,
            policy: PolicyConfig {
                age_threshold: 20,
                portrait: true,
            },
            transports: TransportConfig {
                qr: true,
                ble: BleMode::Radio,
                nfc_reader: None,
            },
            audit_database: None,
            api_token: None,
            limits: Limits::default(),
            demo: false,
            trust_bundle: None,
            bundle_signer: None,
            status_cache: None,
            crl_files: Vec::new(),
            max_trust_age: None,
            status_offline_grace: Duration::ZERO,
            vical_authorities: Vec::new(),
            vicals: Vec::new(),
            vical_grace: Duration::ZERO,
        }
    }

    /// Read a configuration file; `data_dir` is used unless the file names one.
    pub fn from_file(path: &Path, data_dir: Option<&Path>) -> Result<Self, ServerError> {
        let text = read_text(path)?;
        let file: FileConfig = toml::from_str(&text).map_err(|e| ServerError::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        file.resolve(base, data_dir)
    }

    /// The audit database URL in force.
    pub fn audit_url(&self) -> String {
        match &self.audit_database {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("audit.db").display()),
        }
    }

    /// The audit URL with any password replaced by `***` (for messages).
    pub fn audit_url_redacted(&self) -> String {
        let url = self.audit_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let userinfo = url.get(scheme + 3..at).unwrap_or_default();
                match userinfo.split_once(':') {
                    Some((user, _)) => format!(
                        "{}{user}:***{}",
                        url.get(..scheme + 3).unwrap_or_default(),
                        url.get(at..).unwrap_or_default()
                    ),
                    None => url,
                }
            }
            _ => url,
        }
    }

    /// Refuse what cannot be served safely: a non-loopback address without a bearer token,
    /// a reader certificate without its key, empty identifiers, zero limits.
    pub fn validate(&self) -> Result<(), ServerError> {
        if !self.listen.ip().is_loopback() && self.api_token.is_none() {
            return Err(ServerError::Invalid(format!(
                "listening on {} (not loopback) needs api_token in the configuration file",
                self.listen
            )));
        }
        if self.reader_cert.is_some() != self.reader_key.is_some() {
            return Err(ServerError::Invalid(
                "the reader certificate and the reader key go together".into(),
            ));
        }
        for (name, v) in [("till_id", &self.till_id), ("store_id", &self.store_id)] {
            if v.is_empty() || v.len() > 128 || v.chars().any(char::is_control) {
                return Err(ServerError::Invalid(format!(
                    "{name} must be 1 to 128 printable characters"
                )));
            }
        }
        let l = &self.limits;
        if l.max_body_bytes == 0 || l.max_connections == 0 || l.workers == 0 {
            return Err(ServerError::Invalid(
                "limits must be greater than zero".into(),
            ));
        }
        if self.trust_bundle.is_some() != self.bundle_signer.is_some() {
            return Err(ServerError::Invalid(
                "trust.bundle and trust.bundle_signer go together".into(),
            ));
        }
        if self.max_trust_age.is_some() && self.trust_bundle.is_none() {
            return Err(ServerError::Invalid(
                "policy.max_trust_age_seconds applies to a trust bundle: give trust.bundle".into(),
            ));
        }
        if !self.vicals.is_empty() && self.vical_authorities.is_empty() {
            return Err(ServerError::Invalid(
                "trust.vicals needs trust.vical_authorities (the VICAL authority certificates)"
                    .into(),
            ));
        }
        if self.policy.age_threshold == 0 || self.policy.age_threshold > 99 {
            return Err(ServerError::Invalid(
                "policy.age_threshold must be 1 to 99 (age_over_NN has two digits)".into(),
            ));
        }
        Ok(())
    }
}

fn read_text(path: &Path) -> Result<String, ServerError> {
    let read = |source| ServerError::Read {
        path: path.into(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ServerError::Invalid(format!(
            "{}: larger than {MAX_CONFIG_BYTES} bytes",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(read)
}

/// The file's shape (docs/examples/till.toml); every key optional, unknown keys refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    till_id: Option<String>,
    store_id: Option<String>,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    api_token: Option<String>,
    api_token_file: Option<PathBuf>,
    #[serde(default)]
    trust: FileTrust,
    #[serde(default)]
    reader: FileReader,
    #[serde(default)]
    policy: FilePolicy,
    #[serde(default)]
    transports: FileTransports,
    #[serde(default)]
    audit: FileAudit,
    #[serde(default)]
    limits: FileLimits,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileTrust {
    dir: Option<PathBuf>,
    #[serde(default)]
    anchors: Vec<PathBuf>,
    reload_secs: Option<u64>,
    bundle: Option<PathBuf>,
    bundle_signer: Option<PathBuf>,
    status_cache: Option<PathBuf>,
    #[serde(default)]
    crls: Vec<PathBuf>,
    #[serde(default)]
    vical_authorities: Vec<PathBuf>,
    #[serde(default)]
    vicals: Vec<PathBuf>,
    vical_grace_seconds: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileReader {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilePolicy {
    age_threshold: Option<u8>,
    portrait: Option<bool>,
    max_trust_age_seconds: Option<u64>,
    status_offline_grace_seconds: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileTransports {
    qr: Option<bool>,
    ble: Option<FileBle>,
    nfc_reader: Option<String>,
}

/// `transports.ble`: `true`, `false` or `"sim"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum FileBle {
    On(bool),
    Named(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileAudit {
    database_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_body_bytes: Option<usize>,
    header_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    workers: Option<usize>,
    result_timeout_secs: Option<u64>,
    phone_timeout_ms: Option<u64>,
}

impl FileConfig {
    fn resolve(self, base: &Path, data_dir: Option<&Path>) -> Result<Config, ServerError> {
        let at = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let data = match (data_dir, self.data_dir) {
            (Some(d), _) => d.to_path_buf(),
            (None, Some(d)) => at(d),
            (None, None) => PathBuf::from("kakunin-till-data"),
        };
        let mut c = Config::new(data);
        if let Some(v) = self.till_id {
            c.till_id = v;
        }
        if let Some(v) = self.store_id {
            c.store_id = v;
        }
        if let Some(v) = self.listen {
            c.listen = v;
        }
        c.api_token = match (self.api_token, self.api_token_file) {
            (Some(_), Some(_)) => {
                return Err(ServerError::Invalid(
                    "api_token and api_token_file: give one".into(),
                ))
            }
            (Some(t), None) => Some(ApiToken::new(t)?),
            (None, Some(f)) => Some(ApiToken::new(read_text(&at(f))?.trim().to_string())?),
            (None, None) => None,
        };
        c.trust_dir = self.trust.dir.map(at);
        c.trust_anchors = self.trust.anchors.into_iter().map(at).collect();
        if let Some(s) = self.trust.reload_secs {
            c.limits.trust_reload = Duration::from_secs(s.max(1));
        }
        c.trust_bundle = self.trust.bundle.map(at);
        c.bundle_signer = self.trust.bundle_signer.map(at);
        c.status_cache = self.trust.status_cache.map(at);
        c.crl_files = self.trust.crls.into_iter().map(at).collect();
        c.vical_authorities = self.trust.vical_authorities.into_iter().map(at).collect();
        c.vicals = self.trust.vicals.into_iter().map(at).collect();
        if let Some(v) = self.trust.vical_grace_seconds {
            c.vical_grace = Duration::from_secs(v);
        }
        c.max_trust_age = self.policy.max_trust_age_seconds.map(Duration::from_secs);
        if let Some(v) = self.policy.status_offline_grace_seconds {
            c.status_offline_grace = Duration::from_secs(v);
        }
        c.reader_cert = self.reader.cert.map(at);
        c.reader_key = self.reader.key.map(at);
        if let Some(v) = self.policy.age_threshold {
            c.policy.age_threshold = v;
        }
        if let Some(v) = self.policy.portrait {
            c.policy.portrait = v;
        }
        if let Some(v) = self.transports.qr {
            c.transports.qr = v;
        }
        c.transports.ble = match self.transports.ble {
            None => c.transports.ble,
            Some(FileBle::On(true)) => BleMode::Radio,
            Some(FileBle::On(false)) => BleMode::Off,
            Some(FileBle::Named(n)) if n == "sim" => BleMode::Sim,
            Some(FileBle::Named(n)) => {
                return Err(ServerError::Invalid(format!(
                    "transports.ble = {:?}: expected true, false or \"sim\"",
                    n.chars().take(32).collect::<String>()
                )))
            }
        };
        c.transports.nfc_reader = self.transports.nfc_reader;
        c.audit_database = self.audit.database_url;
        let l = self.limits;
        let d = &mut c.limits;
        if let Some(v) = l.max_body_bytes {
            d.max_body_bytes = v;
        }
        if let Some(v) = l.header_timeout_ms {
            d.header_timeout = Duration::from_millis(v);
        }
        if let Some(v) = l.request_timeout_ms {
            d.request_timeout = Duration::from_millis(v);
        }
        if let Some(v) = l.max_connections {
            d.max_connections = v;
        }
        if let Some(v) = l.workers {
            d.workers = v;
        }
        if let Some(v) = l.result_timeout_secs {
            d.result_timeout = Duration::from_secs(v);
        }
        if let Some(v) = l.phone_timeout_ms {
            d.phone_timeout = Duration::from_millis(v.clamp(100, 120_000));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("till.toml");
        std::fs::write(&p, include_str!("../../docs/examples/till.toml")).unwrap();
        let c = Config::from_file(&p, None).unwrap();
        assert_eq!(c.policy.age_threshold, 20);
        assert!(c.trust_dir.as_ref().unwrap().starts_with(dir.path()));
        assert!(c.api_token.is_some());
        assert!(!format!("{c:?}").contains("change-me"));
        c.validate().unwrap();
    }

    #[test]
    fn ble_is_on_off_or_the_simulated_radio() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("till.toml");
        for (text, mode) in [
            ("", Some(BleMode::Radio)),
            ("[transports]\nble = false\n", Some(BleMode::Off)),
            ("[transports]\nble = true\n", Some(BleMode::Radio)),
            ("[transports]\nble = \"sim\"\n", Some(BleMode::Sim)),
            ("[transports]\nble = \"nfc\"\n", None),
        ] {
            std::fs::write(&p, text).unwrap();
            assert_eq!(
                Config::from_file(&p, None).ok().map(|c| c.transports.ble),
                mode,
                "{text}"
            );
        }
        std::fs::write(&p, "[limits]\nphone_timeout_ms = 2500\n").unwrap();
        let c = Config::from_file(&p, None).unwrap();
        assert_eq!(c.limits.phone_timeout, Duration::from_millis(2500));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("till.toml");
        std::fs::write(&p, "till_id = \"a\"\nportrait = true\n").unwrap();
        let e = Config::from_file(&p, None).unwrap_err();
        assert!(e.to_string().contains("portrait"), "{e}");
    }

    #[test]
    fn non_loopback_needs_a_token() {
        let mut c = Config::new("/tmp/x");
        c.listen = "0.0.0.0:8080".parse().unwrap();
        assert!(c.validate().is_err());
        c.api_token = Some(ApiToken::new("0123456789abcdef0123".into()).unwrap());
        c.validate().unwrap();
        c.audit_database = Some("postgres://kakunin:s3cret@127.0.0.1/kakunin".into());
        assert_eq!(
            c.audit_url_redacted(),
            "postgres://kakunin:***@127.0.0.1/kakunin"
        );
        let t = c.api_token.unwrap();
        assert!(t.matches(b"0123456789abcdef0123"));
        assert!(!t.matches(b"0123456789abcdef0124"));
        assert!(!t.matches(b"0123"));
        assert!(ApiToken::new("short".into()).is_err());
    }
}
