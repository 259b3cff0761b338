//! Test credentials for the till's tests and benchmark: a test PKI, mDL credentials issued by
//! kakunin-issuer and answered by kakunin-holder-sim, SD-JWT VC presentations, and the JSON
//! bodies the API takes. Shared by verifier-server/tests, the root tests and the benchmark
//! (`#[path]`-included).
// Each includer uses a part of it, and its items are shared by `pub` across test modules.
#![allow(dead_code, unreachable_pub)]

use base64::Engine;
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, RequestedElement,
    SessionTranscript, ValidityInfo,
};
use kakunin_holder_sim::{respond, DeviceAuthMode, HolderPolicy, Wallet};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};

pub const NS: &str = "org.iso.18013.5.1";
pub const FAMILY_NAME: &str = "Yamadakakunin";
pub const DOCUMENT_NUMBER: &str = "JP-TILL-987654";

pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

pub fn portrait() -> Vec<u8> {
    let hex_text = include_str!("../../../spec-vectors/data/annex-d/portrait.jpg.hex");
    hex::decode(hex_text.trim()).unwrap()
}

pub fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A birth date `years` years and 10 days before today.
pub fn birth_date(years: i32) -> String {
    let d = now().date() - time::Duration::days(10);
    let d = d.replace_day(d.day().min(28)).unwrap();
    let d = d.replace_year(d.year() - years).unwrap();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub fn claims(birth: &str) -> serde_json::Value {
    serde_json::json!({
        "family_name": FAMILY_NAME, "given_name": "Hanakotill", "birth_date": birth,
        "issue_date": "2026-01-01", "expiry_date": "2031-11-01", "issuing_country": "JP",
        "issuing_authority": "Kakunin test prefecture", "document_number": DOCUMENT_NUMBER,
        "portrait": base64::engine::general_purpose::STANDARD.encode(portrait()),
        "un_distinguishing_sign": "J",
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2020-01-01", "expiry_date": "2031-11-01"}]
    })
}

pub struct World {
    pub pki: TestPki,
    pub dir: tempfile::TempDir,
}

/// Who presents.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Who {
    Adult,
    Minor,
    Expired,
}

/// One presentation as a platform would forward it.
pub struct Sample {
    pub response: Vec<u8>,
    pub transcript: Vec<u8>,
    pub reader_key: EcPrivateKey,
    pub birth: String,
}

/// PKCS#8 (RFC 5208) of a P-256 key: the fixed prefix of `PrivateKeyInfo` with the
/// `ECPrivateKey` (RFC 5915) holding only the scalar.
pub fn pkcs8(key: &EcPrivateKey) -> Vec<u8> {
    let mut der = hex::decode(
        "304102010030130607 2a8648ce3d0201 06082a8648ce3d030107 0427 3025 020101 0420"
            .replace(' ', ""),
    )
    .unwrap();
    der.extend_from_slice(kakunin_core::crypto::hazmat::scalar_bytes(key));
    der
}

impl World {
    pub fn new() -> Self {
        let c = default_provider();
        let pki = TestPki::generate(c, "JP", 1, now() - time::Duration::days(90)).unwrap();
        World {
            pki,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn iaca_pem(&self) -> String {
        der::pem::encode_string(
            "CERTIFICATE",
            der::pem::LineEnding::LF,
            &self.pki.iaca.cert_der,
        )
        .unwrap()
    }

    /// Write the IACA to a file and return its path.
    pub fn iaca_file(&self) -> std::path::PathBuf {
        let p = self.dir.path().join("iaca.pem");
        std::fs::write(&p, self.iaca_pem()).unwrap();
        p
    }

    /// A fresh credential for `who`, asked for `elements`, answered with `mode`.
    pub fn mdoc(&self, who: Who, elements: &[&str], mode: DeviceAuthMode) -> Sample {
        self.mdoc_with_status(who, elements, mode, None)
    }

    /// [`World::mdoc`] with the MSO `status` reference `(uri, idx)`, if any.
    pub fn mdoc_with_status(
        &self,
        who: Who,
        elements: &[&str],
        mode: DeviceAuthMode,
        status: Option<(&str, u64)>,
    ) -> Sample {
        let c = default_provider();
        let birth = birth_date(if who == Who::Minor { 19 } else { 36 });
        let issued = now().date() - time::Duration::days(40);
        let els = elements_from_json(DocProfile::Mdl, &claims(&birth), issued).unwrap();
        let ds = &self.pki.document_signers[0];
        let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
        let device_key = c.generate_key(Curve::P256).unwrap();
        let from = if who == Who::Expired {
            now() - time::Duration::days(60)
        } else {
            now() - time::Duration::days(1)
        };
        let validity = ValidityInfo {
            signed: from,
            valid_from: from,
            valid_until: from + time::Duration::days(30),
            expected_update: None,
        };
        let cred = issuer
            .issue(
                DocProfile::Mdl.doc_type(),
                &els,
                &c.public_key(&device_key).unwrap(),
                validity,
                status.map(|(uri, idx)| kakunin_issuer::status::mso_status(idx, uri)),
            )
            .unwrap();
        let mut id = [0u8; 8];
        c.fill_random(&mut id).unwrap();
        let wallet = Wallet::open(&self.dir.path().join(hex::encode(id))).unwrap();
        wallet
            .store("mdl-000", &cred.doc_type, &cred.issuer_signed, &device_key)
            .unwrap();
        let device_eph = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
        let reader_key = c.generate_key(Curve::P256).unwrap();
        let reader_pub = c.public_key(&reader_key).unwrap();
        let t = SessionTranscript::build(
            &wrap_tag24(&encode_device_engagement(&device_eph, &[])),
            &wrap_tag24(&encode_cose_key(&reader_pub)),
            &[0xf6],
        );
        let wanted: Vec<RequestedElement> = elements
            .iter()
            .map(|e| RequestedElement {
                namespace: NS.into(),
                element: e.to_string(),
                intent_to_retain: false,
            })
            .collect();
        let request = encode_device_request(&[(
            encode_items_request(DocProfile::Mdl.doc_type(), &wanted),
            None,
        )]);
        let policy = HolderPolicy {
            device_auth: mode,
            ..HolderPolicy::default()
        };
        let p = respond(c, &wallet, &request, t.tagged_bytes(), &policy, None, now()).unwrap();
        Sample {
            response: p.response,
            transcript: t.tagged_bytes().to_vec(),
            reader_key,
            birth,
        }
    }

    /// An SD-JWT VC presentation of `age_equal_or_over.20` (and `family_name`) with a KB-JWT.
    pub fn sd_jwt(&self, who: Who, aud: &str, nonce: &str) -> String {
        use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings};
        let c = default_provider();
        let pid = serde_json::json!({
            "name": "Yamadakakunin Hanakotill", "family_name": FAMILY_NAME,
            "given_name": "Hanakotill", "name_kana": "ヤマダ ハナコ",
            "birth_date": birth_date(if who == Who::Minor { 19 } else { 36 }), "sex": 2,
            "resident_address": "Tokyo 1-1", "issuing_authority": "Kakunin test issuer",
            "issuing_country": "JP", "issue_date": "2026-01-01", "expiry_date": "2031-01-01",
        });
        let els = match elements_from_json(DocProfile::JpPid, &pid, now().date()) {
            Ok(e) => e,
            Err(e) => panic!("JP PID claims: {e}"),
        };
        let holder = c.generate_key(Curve::P256).unwrap();
        let creds = issue_sd_jwt_vcs(
            c,
            &self.pki.jws_signer.key,
            std::slice::from_ref(&self.pki.jws_signer.cert_der),
            &els,
            &[c.public_key(&holder).unwrap()],
            &SdJwtVcSettings {
                issuer_id: "https://issuer.kakunin.invalid",
                valid_from: (now() - time::Duration::days(1)).unix_timestamp(),
                valid_until: (now() + time::Duration::days(30)).unix_timestamp(),
                ..SdJwtVcSettings::default()
            },
        )
        .unwrap();
        let (selected, missing) = kakunin_core::sdjwt::select_paths(
            c,
            &creds[0],
            &["age_equal_or_over.20", "family_name"],
        )
        .unwrap();
        assert!(missing.is_empty(), "{missing:?}");
        kakunin_core::sdjwt::add_key_binding(
            c,
            &selected,
            &holder,
            aud,
            nonce,
            now().unix_timestamp(),
        )
        .unwrap()
    }
}

/// The body of `POST /api/v1/verify/mdoc`.
pub fn mdoc_body(s: &Sample, with_key: bool) -> String {
    let mut v = serde_json::json!({
        "device_response": b64url(&s.response),
        "session_transcript": b64url(&s.transcript),
    });
    if with_key {
        v["reader_key"] = b64url(&pkcs8(&s.reader_key)).into();
    }
    v.to_string()
}

/// Flip the `true` of the first `elementValue: true` (an element's digest no longer matches).
pub fn tamper(response: &[u8]) -> Vec<u8> {
    let mut r = response.to_vec();
    let pat = b"\x6celementValue\xf5";
    let at = r.windows(pat.len()).position(|w| w == pat).unwrap();
    r[at + pat.len() - 1] = 0xf4;
    r
}

/// A minimal blocking HTTP/1.1 client (one request per connection): status, headers
/// (lower-case names), body.
pub fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    // The server may answer (413) before reading all of a large body; ignore the reset.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_response(&out)
}

pub fn parse_response(out: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(out)));
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = out[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

/// POST JSON; the answer's status and JSON body.
pub fn post_json(
    addr: std::net::SocketAddr,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> (u16, serde_json::Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let (status, _, body) = http(addr, "POST", path, &headers, body.as_bytes());
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&body)));
    (status, json)
}
