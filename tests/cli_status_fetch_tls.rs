#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin status fetch --ca FILE` against a TLS server on 127.0.0.1 whose certificate a
//! test CA (rcgen) issued: with that CA the list is cached (exit 0); with another CA the
//! handshake fails (exit 3) and nothing is cached.

use kakunin_status_fetch::StatusCache;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const BODY: &[u8] = b"eyJhbGciOi.cli-tls-list";

fn kakunin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A CA (its PEM) and a server certificate chain and PKCS#8 key it issued for 127.0.0.1.
fn pki(name: &str) -> (String, Vec<CertificateDer<'static>>, Vec<u8>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name} test CA"));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), vec![leaf.der().clone()], key.serialize_der())
}

/// Serve BODY over TLS for at most `connections` connections; the https base URL.
fn serve_tls(chain: Vec<CertificateDer<'static>>, key: Vec<u8>, connections: usize) -> String {
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            let Ok(tcp) = tcp else { continue };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                match tls.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            if !head.ends_with(b"\r\n\r\n") {
                continue;
            }
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/statuslist+jwt\r\nETag: \"c1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                BODY.len()
            )
            .into_bytes();
            r.extend_from_slice(BODY);
            let _ = tls.write_all(&r);
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    url
}

#[test]
fn status_fetch_over_https_with_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, chain, key) = pki("server");
    let (other_pem, _, _) = pki("other");
    let ca = dir.path().join("ca.pem");
    let other = dir.path().join("other.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    std::fs::write(&other, other_pem).unwrap();
    let base = serve_tls(chain, key, 2);
    let uri = format!("{base}/status/7");
    let cache = dir.path().join("cache");
    let cache_s = cache.display().to_string();

    // Another CA: the server is not trusted, exit 3, nothing cached.
    let (code, out, err) = kakunin(&[
        "status",
        "fetch",
        "--uri",
        &uri,
        "--cache",
        &cache_s,
        "--ca",
        &other.display().to_string(),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("TLS"), "{err}");
    assert!(err.to_ascii_lowercase().contains("unknown"), "{err}");
    assert!(StatusCache::open(&cache)
        .unwrap()
        .get(&uri)
        .unwrap()
        .is_none());

    // The server's CA: cached.
    let (code, out, err) = kakunin(&[
        "status",
        "fetch",
        "--uri",
        &uri,
        "--cache",
        &cache_s,
        "--ca",
        &ca.display().to_string(),
        "--https-only",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("{} bytes cached", BODY.len())),
        "{out}"
    );
    let got = StatusCache::open(&cache)
        .unwrap()
        .get(&uri)
        .unwrap()
        .unwrap();
    assert_eq!(got.token, BODY);
    assert_eq!(got.etag.as_deref(), Some("\"c1\""));

    // A --ca file that is not a certificate is an input error (exit 2).
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "hello").unwrap();
    let (code, _, err) = kakunin(&[
        "status",
        "fetch",
        "--uri",
        &uri,
        "--cache",
        &cache_s,
        "--ca",
        &junk.display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a CA certificate"), "{err}");
}
