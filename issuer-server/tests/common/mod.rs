//! Shared test harness of the issuer-service tests: an issuer PKI, a simulated JPKI CA
//! directory, the STAND-IN proofing (a test-only `ApplicantProofing`, never used by the
//! library or the CLI: the real JPKI checks are `kakunin_issuer::jpki_proofing`), a holder
//! that builds enrolment requests, a running service on SQLite or on a fresh PostgreSQL
//! schema, and a minimal HTTP client.
#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use der::{Decode, Encode};
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey, HashAlg};
use kakunin_core::enrolment::{device_pop_message, enrolment_challenge, jwk_thumbprint};
use kakunin_issuer::pki::KeyAndCert;
use kakunin_issuer::proofing::{
    ApplicantProofing, CertificateRef, EnrolmentEvidence, ProofedApplicant, ProofingError,
    ProofingMethod, Sex,
};
use kakunin_issuer_server::{build, serve_with_shutdown, AppState, IssuerConfig};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

pub const DEFAULT_PG: &str = "postgres://kakunin:kakunin-test@127.0.0.1:5432/kakunin_test";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

pub fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
pub fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}
pub fn unb64url(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A simulated card "certificate" of the stand-in: JSON, not X.509 (the stand-in proofing
/// only needs the facts, the serial and a flag or two).
#[derive(Clone, Debug)]
pub struct StandInCard {
    pub name: String,
    pub birth: String,
    pub sex: u8,
    pub address: String,
    pub sign_serial: u64,
    pub auth_serial: u64,
    pub not_after: i64,
    pub revoked: bool,
    pub untrusted: bool,
}

impl StandInCard {
    pub fn new(name: &str, birth: &str, address: &str, serial: u64) -> Self {
        StandInCard {
            name: name.into(),
            birth: birth.into(),
            sex: 2,
            address: address.into(),
            sign_serial: serial,
            auth_serial: serial + 1_000_000,
            not_after: now() + 5 * 365 * 86_400,
            revoked: false,
            untrusted: false,
        }
    }
    pub fn sign_cert(&self) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"kind": "sign", "name": self.name, "birth": self.birth,
            "sex": self.sex, "address": self.address, "serial": self.sign_serial,
            "not_after": self.not_after, "revoked": self.revoked, "untrusted": self.untrusted}),
        )
        .unwrap()
    }
    pub fn auth_cert(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({"kind": "auth", "serial": self.auth_serial})).unwrap()
    }
}

/// The stand-in's "signature": SHA-256 over certificate ‖ challenge (a test of the service's
/// plumbing, not of JPKI).
pub fn stand_in_signature(cert: &[u8], challenge: &[u8]) -> Vec<u8> {
    let mut m = cert.to_vec();
    m.extend_from_slice(challenge);
    default_provider().hash(HashAlg::Sha256, &m)
}

/// The STAND-IN proofing: test-only; checks the stand-in signatures and flags.
pub struct StandInProofing {
    /// DER of the simulated JPKI CA's Name: the certificates' issuer.
    pub ca_name: Vec<u8>,
}

fn serial_bytes(n: u64) -> Vec<u8> {
    // DER INTEGER content octets of a positive number.
    let mut b: Vec<u8> = n
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    b
}

impl ApplicantProofing for StandInProofing {
    // The stand-in keeps no revocation state of its own: the registry side of a CRL is what
    // these tests check.
    fn update_crl(&self, _: &[u8]) -> Result<(), ProofingError> {
        Ok(())
    }

    fn prove(
        &self,
        ev: &EnrolmentEvidence<'_>,
        now: i64,
    ) -> Result<ProofedApplicant, ProofingError> {
        let sign: Value = serde_json::from_slice(ev.signature_certificate).map_err(|_| {
            ProofingError::Malformed {
                what: "signature certificate",
            }
        })?;
        let auth: Value = serde_json::from_slice(ev.authentication_certificate).map_err(|_| {
            ProofingError::Malformed {
                what: "authentication certificate",
            }
        })?;
        if sign["kind"] != "sign" || auth["kind"] != "auth" {
            return Err(ProofingError::WrongCertificate(
                "not a signature certificate",
            ));
        }
        if sign["untrusted"] == true {
            return Err(ProofingError::Untrusted { which: "signature" });
        }
        let challenge = enrolment_challenge(ev.issuer, ev.nonce, ev.device_key_thumbprints)
            .map_err(|_| ProofingError::Malformed { what: "challenge" })?;
        if ev.signature != stand_in_signature(ev.signature_certificate, &challenge) {
            return Err(ProofingError::BadSignature { which: "signature" });
        }
        if ev.authentication_signature
            != stand_in_signature(ev.authentication_certificate, &challenge)
        {
            return Err(ProofingError::BadSignature {
                which: "authentication",
            });
        }
        let not_after = sign["not_after"].as_i64().unwrap();
        if not_after < now {
            return Err(ProofingError::Expired { which: "signature" });
        }
        if sign["revoked"] == true {
            return Err(ProofingError::Revoked { which: "signature" });
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        Ok(ProofedApplicant {
            method: ProofingMethod::JpkiCard,
            level: "IAL3",
            name: sign["name"].as_str().unwrap().into(),
            date_of_birth: time::Date::parse(sign["birth"].as_str().unwrap(), &fmt).ok(),
            sex: if sign["sex"] == 1 {
                Sex::Male
            } else {
                Sex::Female
            },
            address: sign["address"].as_str().unwrap().into(),
            signature_certificate: CertificateRef {
                issuer: self.ca_name.clone(),
                serial: serial_bytes(sign["serial"].as_u64().unwrap()),
            },
            authentication_certificate: CertificateRef {
                issuer: self.ca_name.clone(),
                serial: serial_bytes(auth["serial"].as_u64().unwrap()),
            },
            not_after,
        })
    }
}

/// Directories: the issuer PKI, the JPKI CA (its key kept for CRLs), the data directory.
pub struct World {
    pub dir: tempfile::TempDir,
    pub jpki_ca: KeyAndCert,
    pub ca_name: Vec<u8>,
}

impl World {
    pub fn new() -> Self {
        let c = default_provider();
        let dir = tempfile::tempdir().unwrap();
        let t = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        let pki = kakunin_issuer::TestPki::generate(c, "JP", 1, t).unwrap();
        pki.write(&dir.path().join("pki")).unwrap();
        let ca = kakunin_issuer::pki::issue_root(c, "JPKI-SIM test CA", "JP", t, 3650).unwrap();
        let jdir = dir.path().join("jpki-ca");
        std::fs::create_dir_all(&jdir).unwrap();
        let pem =
            der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &ca.cert_der).unwrap();
        std::fs::write(jdir.join("jpki-sign-ca.pem"), &pem).unwrap();
        std::fs::write(jdir.join("jpki-auth-ca.pem"), &pem).unwrap();
        let cert = x509_cert::Certificate::from_der(&ca.cert_der).unwrap();
        let ca_name = cert.tbs_certificate.subject.to_der().unwrap();
        World {
            dir,
            jpki_ca: ca,
            ca_name,
        }
    }

    pub fn config(&self, db_url: Option<String>) -> IssuerConfig {
        let d = self.dir.path();
        let mut c = IssuerConfig::new(&d.join("pki"), &d.join("jpki-ca"), &d.join("data"));
        c.db_url = db_url;
        c.admin_token = Some(zeroize::Zeroizing::new(ADMIN_TOKEN.into()));
        c.status_list_size = 4096;
        c
    }

    /// A DER CRL of the simulated JPKI CA listing these signature-certificate serials.
    pub fn crl(&self, serials: &[u64], number: u64) -> Vec<u8> {
        let t = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
        kakunin_issuer::crl::build_crl(
            default_provider(),
            &self.jpki_ca,
            &kakunin_issuer::crl::CrlParams {
                this_update: t,
                next_update: Some(t + time::Duration::days(1)),
                crl_number: number,
                entries: serials
                    .iter()
                    .map(|s| kakunin_issuer::crl::CrlEntry {
                        serial: serial_bytes(*s),
                        revoked_at: t,
                        reason: None,
                    })
                    .collect(),
            },
        )
        .unwrap()
    }
}

/// The configuration over an existing world directory (a child server process of the
/// SIGKILL test), and the CA Name read back from `jpki-ca/jpki-sign-ca.pem`.
pub fn config_at(dir: &Path, db_url: Option<String>) -> (IssuerConfig, Vec<u8>) {
    let mut c = IssuerConfig::new(&dir.join("pki"), &dir.join("jpki-ca"), &dir.join("data"));
    c.db_url = db_url;
    c.admin_token = Some(zeroize::Zeroizing::new(ADMIN_TOKEN.into()));
    c.status_list_size = 4096;
    let pem = std::fs::read(dir.join("jpki-ca/jpki-sign-ca.pem")).unwrap();
    let (_, der) = der::pem::decode_vec(&pem).unwrap();
    let cert = x509_cert::Certificate::from_der(&der).unwrap();
    (c, cert.tbs_certificate.subject.to_der().unwrap())
}

/// A fresh database URL: SQLite in the world's data directory, or a new PostgreSQL schema
/// (so tests, and the till's audit tests, never share tables).
pub async fn database(world: &World, postgres: bool) -> Option<String> {
    if !postgres {
        return None;
    }
    let base = std::env::var("KAKUNIN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG.into());
    sqlx::any::install_default_drivers();
    let mut tag = [0u8; 6];
    default_provider().fill_random(&mut tag).unwrap();
    let schema = format!("issuer_test_{}", hex::encode(tag));
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&base)
        .await
        .expect("PostgreSQL (run scripts/install-postgres.sh)");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let _ = world;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options[search_path]={schema}"))
}

/// The running service; dropped, it stops.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start(config: IssuerConfig, world: &World) -> Running {
    let proofing = Arc::new(StandInProofing {
        ca_name: world.ca_name.clone(),
    });
    start_with_proofing(config, proofing).await
}

/// [`start`] with another proofing (the enrolment bench runs the real `JpkiProofing`).
pub async fn start_with_proofing(
    config: IssuerConfig,
    proofing: Arc<dyn ApplicantProofing>,
) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = config;
    config.public_url = format!("http://{addr}");
    let state = build(config, proofing).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let s = state.clone();
    tokio::spawn(async move {
        serve_with_shutdown(s, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running {
        addr,
        state,
        _stop: stop,
    }
}

/// A holder device: its own key, and fresh batch keys per enrolment.
pub struct Holder {
    pub device: EcPrivateKey,
}

pub struct Request {
    pub body: Value,
    pub mdoc_keys: Vec<EcPrivateKey>,
    pub sd_keys: Vec<EcPrivateKey>,
}

fn jwk(k: &EcPrivateKey) -> Value {
    let c = default_provider();
    kakunin_core::sdjwt::key_to_jwk(&c.public_key(k).unwrap())
}

fn pop(k: &EcPrivateKey, nonce: &[u8]) -> String {
    let c = default_provider();
    let t = jwk_thumbprint(c, &c.public_key(k).unwrap());
    let m = device_pop_message(nonce, &t).unwrap();
    b64url(&c.sign_ecdsa(k, HashAlg::Sha256, &m).unwrap())
}

impl Holder {
    pub fn new() -> Self {
        Holder {
            device: default_provider().generate_key(Curve::P256).unwrap(),
        }
    }

    /// A correct enrolment request for `card` over `nonce` bound to `issuer`.
    pub fn request(
        &self,
        card: &StandInCard,
        issuer: &str,
        nonce: &[u8],
        mdocs: usize,
        sds: usize,
    ) -> Request {
        let c = default_provider();
        let mdoc_keys: Vec<_> = (0..mdocs)
            .map(|_| c.generate_key(Curve::P256).unwrap())
            .collect();
        let sd_keys: Vec<_> = (0..sds)
            .map(|_| c.generate_key(Curve::P256).unwrap())
            .collect();
        let thumbs: Vec<[u8; 32]> = std::iter::once(&self.device)
            .chain(&mdoc_keys)
            .chain(&sd_keys)
            .map(|k| jwk_thumbprint(c, &c.public_key(k).unwrap()))
            .collect();
        let challenge = enrolment_challenge(issuer, nonce, &thumbs).unwrap();
        let (sc, ac) = (card.sign_cert(), card.auth_cert());
        let body = json!({
            "nonce": b64url(nonce),
            "signature_certificate": b64(&sc),
            "signature": b64url(&stand_in_signature(&sc, &challenge)),
            "authentication_certificate": b64(&ac),
            "authentication_signature": b64url(&stand_in_signature(&ac, &challenge)),
            "device": {"key": jwk(&self.device), "pop": pop(&self.device, nonce), "label": "test phone"},
            "mdoc_keys": mdoc_keys.iter().map(|k| json!({"key": jwk(k), "pop": pop(k, nonce)})).collect::<Vec<_>>(),
            "sd_jwt_keys": sd_keys.iter().map(|k| json!({"key": jwk(k), "pop": pop(k, nonce)})).collect::<Vec<_>>(),
        });
        Request {
            body,
            mdoc_keys,
            sd_keys,
        }
    }
}

/// A minimal async HTTP/1.1 client (one request per connection): status, headers
/// (lower-case names), body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    try_http(addr, method, path, headers, body)
        .await
        .unwrap_or_else(|| panic!("no HTTP response to {method} {path}"))
}

/// [`http`], `None` when the connection fails or no complete response arrives (the server
/// was killed).
pub async fn try_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, Vec<(String, String)>, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    // The service may answer 413 before reading a large body; ignore the reset.
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(60), s.read_to_end(&mut out)).await;
    if !matches!(read, Ok(Ok(_))) && out.is_empty() {
        return None;
    }
    let split = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = out[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked");
    if chunked {
        let mut b = &body[..];
        let mut o = Vec::new();
        loop {
            let eol = b.windows(2).position(|w| w == b"\r\n")?;
            let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).ok()?.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            o.extend_from_slice(b.get(eol + 2..eol + 2 + n)?);
            b = b.get(eol + 2 + n + 2..)?;
        }
        body = o;
    } else if let Some(len) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        if body.len() < len {
            return None;
        }
    }
    Some((status, headers, body))
}

pub async fn post_json(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, Value) {
    let (s, _, b) = http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|_| panic!("{s}: not JSON: {}", String::from_utf8_lossy(&b)));
    (s, v)
}

pub async fn admin(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let (s, _, b) = http(addr, method, path, &[("Authorization", &auth)], body).await;
    (s, serde_json::from_slice(&b).unwrap())
}

pub async fn nonce(addr: SocketAddr) -> Vec<u8> {
    let (s, v) = post_json(addr, "/enrol/nonce", b"").await;
    assert_eq!(s, 201, "{v}");
    unb64url(v["nonce"].as_str().unwrap())
}

/// Nonce, request, enrol: the answer.
pub async fn enrol(
    r: &Running,
    holder: &Holder,
    card: &StandInCard,
    mdocs: usize,
    sds: usize,
) -> (u16, Value, Request) {
    let n = nonce(r.addr).await;
    let req = holder.request(card, &r.state.config().public_url, &n, mdocs, sds);
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&req.body).unwrap()).await;
    (s, v, req)
}

/// Rows in a registry table.
pub async fn rows(r: &Running, table: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(r.state.registry().pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// The published status of `idx` in the list at `uri` (fetched from the service, in the
/// JWT or CWT form).
pub async fn published_status(r: &Running, uri: &str, idx: u64, cwt: bool) -> u8 {
    let path = uri.strip_prefix(&r.state.config().public_url).unwrap();
    let accept = if cwt {
        "application/statuslist+cwt"
    } else {
        "application/statuslist+jwt"
    };
    let (s, h, b) = http(r.addr, "GET", path, &[("Accept", accept)], b"").await;
    assert_eq!(s, 200);
    assert!(h.iter().any(|(k, v)| k == "content-type" && v == accept));
    let t = kakunin_core::status::StatusListToken::parse(&b).unwrap();
    assert_eq!(t.claims().sub, uri);
    t.list().get(idx).unwrap()
}
