#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The fetcher over https against a rustls server on 127.0.0.1 with a test CA (rcgen): a
//! server under the given CA is fetched and cached; a server under another CA is a typed TLS
//! error (`UnknownIssuer`, cause untrusted) and nothing is cached; an https→http redirect is
//! refused; an https URI with no roots is refused before connecting.

use kakunin_status_fetch::{FetchError, FetchOutcome, Fetcher, StatusCache, TlsRoots};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A test CA and a server certificate it issued for 127.0.0.1 and localhost.
struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

fn pki(name: &str) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name} test CA"));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "status.kakunin.test");
    let leaf = leaf.signed_by(&key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_chain: vec![leaf.der().clone()],
        server_key: key.serialize_der(),
    }
}

/// Serve `answer(head)` over TLS on 127.0.0.1 for at most `connections` connections; returns
/// the https base URL and the request heads that got through the handshake.
fn serve_tls(
    pki: &Pki,
    connections: usize,
    answer: fn(&str) -> Vec<u8>,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        pki.server_chain.clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
    )
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            let Ok(tcp) = tcp else { continue };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            // A client that refuses the certificate ends the handshake: read fails, next.
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                match tls.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            if !head.ends_with(b"\r\n\r\n") {
                continue;
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            log.lock().unwrap().push(head.clone());
            let _ = tls.write_all(&answer(&head));
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (url, seen)
}

fn list(head: &str) -> Vec<u8> {
    if head.to_ascii_lowercase().contains("if-none-match: \"t1\"") {
        return b"HTTP/1.1 304 Not Modified\r\nETag: \"t1\"\r\nConnection: close\r\n\r\n".to_vec();
    }
    let body = b"eyJhbGciOi.tls-list.v1";
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/statuslist+jwt\r\nETag: \"t1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn t(minutes: i64) -> time::OffsetDateTime {
    time::macros::datetime!(2026-12-01 09:00 UTC) + time::Duration::minutes(minutes)
}

#[test]
fn https_with_the_servers_ca_is_fetched_and_cached() {
    let pki = pki("good");
    let (base, seen) = serve_tls(&pki, 2, list);
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap();
    let roots = TlsRoots::none()
        .with_ca_pem(pki.ca_pem.as_bytes(), "ca.pem")
        .unwrap();
    let fetcher = Fetcher::new().with_roots(roots);
    let uri = format!("{base}/status/1");
    assert_eq!(
        fetcher.fetch(&uri, &cache, t(0)).unwrap(),
        FetchOutcome::Updated { len: 22 }
    );
    let got = cache.get(&uri).unwrap().unwrap();
    assert_eq!(got.token, b"eyJhbGciOi.tls-list.v1");
    assert_eq!(got.etag.as_deref(), Some("\"t1\""));
    // The conditional refetch goes over TLS too.
    assert_eq!(
        fetcher.fetch(&uri, &cache, t(5)).unwrap(),
        FetchOutcome::NotModified
    );
    assert_eq!(cache.get(&uri).unwrap().unwrap().fetched_at, t(5));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[0]
        .to_ascii_lowercase()
        .contains("accept: application/statuslist+jwt"));
    assert!(seen[1]
        .to_ascii_lowercase()
        .contains("if-none-match: \"t1\""));
}

#[test]
fn a_server_under_another_ca_is_a_tls_error_and_nothing_is_cached() {
    let server = pki("server");
    let other = pki("other");
    let (base, seen) = serve_tls(&server, 1, list);
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap();
    let fetcher = Fetcher::new().with_roots(
        TlsRoots::none()
            .with_ca_pem(other.ca_pem.as_bytes(), "other.pem")
            .unwrap(),
    );
    let uri = format!("{base}/status/1");
    let err = fetcher.fetch(&uri, &cache, t(0)).unwrap_err();
    match &err {
        FetchError::Tls(e) => assert!(
            matches!(
                **e,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
            ),
            "{e:?}"
        ),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert_eq!(err.cause(), kakunin_core::Cause::Untrusted);
    assert!(cache.get(&uri).unwrap().is_none());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The request itself never reached the server.
    std::thread::sleep(Duration::from_millis(100));
    assert!(seen.lock().unwrap().is_empty());
}

fn to_plain_http(_: &str) -> Vec<u8> {
    b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/status/1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
}

#[test]
fn an_https_to_http_redirect_is_refused() {
    let pki = pki("redirect");
    let (base, _) = serve_tls(&pki, 1, to_plain_http);
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap();
    let fetcher = Fetcher::new().with_roots(
        TlsRoots::none()
            .with_ca_pem(pki.ca_pem.as_bytes(), "ca.pem")
            .unwrap(),
    );
    let uri = format!("{base}/status/1");
    let err = fetcher.fetch(&uri, &cache, t(0)).unwrap_err();
    assert!(matches!(err, FetchError::Downgrade(_)), "{err:?}");
    assert!(cache.get(&uri).unwrap().is_none());
}

#[test]
fn https_without_roots_and_http_on_an_https_only_fetcher_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap();
    let none = Fetcher::new().with_roots(TlsRoots::none());
    let err = none
        .fetch("https://127.0.0.1:9/s", &cache, t(0))
        .unwrap_err();
    assert!(matches!(err, FetchError::NoRoots(_)), "{err:?}");
    assert_eq!(err.cause(), kakunin_core::Cause::Misuse);
    let strict = Fetcher::new().with_https_only(true);
    assert!(matches!(
        strict.fetch("http://127.0.0.1:9/s", &cache, t(0)),
        Err(FetchError::UnsupportedScheme(_))
    ));
}

#[test]
fn ca_files_that_are_not_certificates_are_refused() {
    assert!(matches!(
        TlsRoots::none().with_ca_pem(b"not pem at all", "x.pem"),
        Err(kakunin_status_fetch::RootsError::NoCertificate(_))
    ));
    let junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        TlsRoots::none().with_ca_pem(junk.as_bytes(), "junk.pem"),
        Err(kakunin_status_fetch::RootsError::BadAnchor { index: 0, .. })
    ));
    let two = format!("{}{}", pki("a").ca_pem, pki("b").ca_pem);
    let roots = TlsRoots::none()
        .with_ca_pem(two.as_bytes(), "two.pem")
        .unwrap();
    assert_eq!(roots.ca_count(), 2);
    assert!(!roots.uses_platform());
}
