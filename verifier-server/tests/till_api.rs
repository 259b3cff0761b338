#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The till's JSON API in process: verdicts for real responses, the typed errors, the body
//! cap, the bearer token, the page's endpoints, and the deadline against slow clients.

mod common;

use common::{mdoc_body, post_json, tamper, Who, World};
use der::Decode;
use kakunin_holder_sim::DeviceAuthMode;
use kakunin_verifier_server::{build, serve_with_shutdown, ApiToken, AppState, Config};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Running {
    addr: SocketAddr,
    state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
    _rt: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

fn start_with(world: &World, f: impl FnOnce(&mut Config)) -> Running {
    let data = tempfile::tempdir().unwrap();
    let mut c = Config::new(data.path());
    c.trust_anchors = vec![world.iaca_file()];
    c.listen = "127.0.0.1:0".parse().unwrap();
    f(&mut c);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, state) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = build(c, None).await.unwrap();
        let s = state.clone();
        tokio::spawn(async move {
            serve_with_shutdown(s, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        (addr, state)
    });
    Running {
        addr,
        state,
        _stop: stop,
        _rt: rt,
        _data: data,
    }
}

fn start(world: &World) -> Running {
    start_with(world, |_| {})
}

const AGE: &[&str] = &["age_over_20", "portrait", "family_name"];

#[test]
fn mdoc_verdicts_for_real_responses() {
    let w = World::new();
    let r = start(&w);
    let adult = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let (status, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&adult, false),
        None,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "OK", "{v}");
    assert!(v["reason"].is_null());
    assert_eq!(v["report"]["valid"], true);
    assert_eq!(
        v["report"]["documents"][0]["docType"],
        "org.iso.18013.5.1.mDL"
    );
    // The report is the CLI's: the same JSON as ResponseReport::to_json.
    let cli = kakunin_verifier::Verifier::new(
        &kakunin_core::trust::TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap(),
    )
    .verify_device_response(&adult.response, &adult.transcript, common::now());
    assert_eq!(v["report"], cli.to_json());

    let minor = w.mdoc(Who::Minor, AGE, DeviceAuthMode::Signature);
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&minor, false),
        None,
    );
    assert_eq!(
        (v["verdict"].as_str(), v["reason"].as_str()),
        (Some("NG"), Some("under_age"))
    );

    let expired = w.mdoc(Who::Expired, AGE, DeviceAuthMode::Signature);
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&expired, false),
        None,
    );
    assert_eq!(v["reason"], "expired", "{v}");

    let mut tampered = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    tampered.response = tamper(&tampered.response);
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&tampered, false),
        None,
    );
    assert_eq!(v["reason"], "tampered", "{v}");

    // Another session's transcript: the device signature does not cover it.
    let mut replay = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    replay.transcript = w
        .mdoc(Who::Adult, AGE, DeviceAuthMode::Signature)
        .transcript;
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&replay, false),
        None,
    );
    assert_eq!(v["reason"], "device_auth_failed", "{v}");

    // DeviceMac needs the reader key: given as PKCS#8, OK; without it, NG.
    let mac = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Mac);
    let (_, v) = post_json(r.addr, "/api/v1/verify/mdoc", &mdoc_body(&mac, true), None);
    assert_eq!(v["verdict"], "OK", "{v}");
    let (_, v) = post_json(r.addr, "/api/v1/verify/mdoc", &mdoc_body(&mac, false), None);
    assert_eq!(v["reason"], "device_auth_failed", "{v}");

    // An issuer the till does not trust.
    let other = World::new();
    let foreign = other.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&foreign, false),
        None,
    );
    assert_eq!(v["reason"], "untrusted_issuer", "{v}");

    // `at` moves the verification time: a month on, the adult's credential has expired.
    let later = (common::now() + time::Duration::days(45))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut body: serde_json::Value = serde_json::from_str(&mdoc_body(&adult, false)).unwrap();
    body["at"] = later.into();
    let (_, v) = post_json(r.addr, "/api/v1/verify/mdoc", &body.to_string(), None);
    assert_eq!(v["reason"], "expired", "{v}");

    // Every answer has its audit row, without attribute values.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(r.state.audit().export(None)).unwrap();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows.iter().filter(|r| r.verdict == "OK").count(), 2);
    for row in &rows {
        let text = format!("{row:?}");
        assert!(!text.contains(common::FAMILY_NAME), "{text}");
    }
}

#[test]
fn sd_jwt_verdicts() {
    let w = World::new();
    let r = start(&w);
    let p = w.sd_jwt(Who::Adult, "till-1", "n-123");
    let body =
        serde_json::json!({"presentation": p, "aud": "till-1", "nonce": "n-123"}).to_string();
    let (status, v) = post_json(r.addr, "/api/v1/verify/sd-jwt", &body, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "OK", "{v}");
    assert_eq!(v["report"]["valid"], true);
    assert_eq!(v["report"]["checks"]["key_binding"], "passed", "{v}");
    let wrong_nonce =
        serde_json::json!({"presentation": p, "aud": "till-1", "nonce": "other"}).to_string();
    let (_, v) = post_json(r.addr, "/api/v1/verify/sd-jwt", &wrong_nonce, None);
    assert_eq!(v["reason"], "device_auth_failed", "{v}");
    assert_eq!(v["report"]["errors"][0]["check"], "key_binding", "{v}");
    let minor = w.sd_jwt(Who::Minor, "till-1", "n-9");
    let body =
        serde_json::json!({"presentation": minor, "aud": "till-1", "nonce": "n-9"}).to_string();
    let (_, v) = post_json(r.addr, "/api/v1/verify/sd-jwt", &body, None);
    assert_eq!(v["reason"], "under_age", "{v}");

    // The audit rows name the issuer as the mdoc rows do (from the validated x5c chain: the
    // root's subject, the signer's serial, CN and country), and no claim value.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(r.state.audit().export(None)).unwrap();
    assert_eq!(rows.len(), 3);
    let signer = x509_cert::Certificate::from_der(&w.pki.jws_signer.cert_der).unwrap();
    let serial = hex::encode(signer.tbs_certificate.serial_number.as_bytes());
    let iaca = x509_cert::Certificate::from_der(&w.pki.iaca.cert_der).unwrap();
    let root = iaca.tbs_certificate.subject.to_string();
    assert!(root.contains("C=JP"), "{root}");
    for row in &rows {
        assert_eq!(row.format.as_deref(), Some("sd-jwt-vc"), "{row:?}");
        let text = format!("{row:?}");
        assert!(!text.contains(common::FAMILY_NAME), "{text}");
        assert!(!text.contains("Hanakotill"), "{text}");
        if row.reason.as_deref() == Some("device_auth_failed") {
            // Not verified: no issuer is claimed for it.
            assert!(row.iaca_subject.is_none(), "{row:?}");
            continue;
        }
        assert_eq!(row.iaca_subject.as_deref(), Some(root.as_str()), "{row:?}");
        assert_eq!(row.ds_serial.as_deref(), Some(serial.as_str()), "{row:?}");
        assert_eq!(row.country.as_deref(), Some("JP"), "{row:?}");
        assert!(
            row.ds_subject.as_deref().is_some_and(|s| !s.is_empty()),
            "{row:?}"
        );
    }
}

#[test]
fn typed_errors_and_the_body_cap() {
    let w = World::new();
    let r = start_with(&w, |c| c.limits.max_body_bytes = 4096);
    let (status, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        "{\"device_response\": ",
        None,
    );
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "malformed_json", "{v}");
    let (status, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        "{\"device_response\": \"a\"}",
        None,
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("malformed_json")),
        "{v}"
    );
    let (status, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        "{\"device_response\": \"***\", \"session_transcript\": \"AA\"}",
        None,
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_base64")),
        "{v}"
    );
    let (status, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        "{\"device_response\": \"AA\", \"session_transcript\": \"AA\", \"at\": \"yesterday\"}",
        None,
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_time")),
        "{v}"
    );
    let big = format!("{{\"device_response\": \"{}\"}}", "A".repeat(10_000));
    let (status, v) = post_json(r.addr, "/api/v1/verify/mdoc", &big, None);
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"]["code"], "body_too_large");
    // Not JSON content: 415 (no cross-site form posts to a till on loopback).
    let (status, _, _) = common::http(
        r.addr,
        "POST",
        "/api/v1/till/next",
        &[("Content-Type", "text/plain")],
        b"{}",
    );
    assert_eq!(status, 415);
    // Garbage CBOR is a verdict, not an error: NG malformed.
    let (status, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        "{\"device_response\": \"AAEC\", \"session_transcript\": \"AAEC\"}",
        None,
    );
    assert_eq!(
        (status, v["reason"].as_str()),
        (200, Some("malformed")),
        "{v}"
    );
    let (status, _, body) = common::http(r.addr, "GET", "/healthz", &[], b"");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"trust_anchors\":1"));
}

#[test]
fn bearer_token() {
    let w = World::new();
    // A non-loopback address without a token does not start.
    let data = tempfile::tempdir().unwrap();
    let mut c = Config::new(data.path());
    c.trust_anchors = vec![w.iaca_file()];
    c.listen = "0.0.0.0:0".parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let e = rt.block_on(build(c, None)).unwrap_err();
    assert!(e.to_string().contains("api_token"), "{e}");
    drop(rt);

    let token = "a-long-enough-test-token-0123";
    let r = start_with(&w, |c| {
        c.api_token = Some(ApiToken::new(token.into()).unwrap())
    });
    let adult = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let body = mdoc_body(&adult, false);
    let (status, v) = post_json(r.addr, "/api/v1/verify/mdoc", &body, None);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &body,
        Some("a-long-enough-test-token-0124"),
    );
    assert_eq!(status, 401);
    let (status, v) = post_json(r.addr, "/api/v1/verify/mdoc", &body, Some(token));
    assert_eq!((status, v["verdict"].as_str()), (200, Some("OK")), "{v}");
}

#[test]
fn slow_client_is_cut_off_and_the_server_keeps_serving() {
    use std::io::{Read, Write};
    let w = World::new();
    let r = start_with(&w, |c| {
        c.limits.header_timeout = Duration::from_millis(800);
        c.limits.request_timeout = Duration::from_millis(1500);
    });
    // Header drip: one byte every 200 ms, never finishing the header.
    let drip = |request: &'static [u8]| {
        let addr = r.addr;
        std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            let started = Instant::now();
            for b in request.iter().cycle() {
                if s.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
                if started.elapsed() > Duration::from_secs(10) {
                    panic!("the server kept a dripping client for 10 s");
                }
            }
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            (started.elapsed(), rest)
        })
    };
    let header = drip(
        b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    );
    // Body drip: a complete header announcing 1000 bytes, then one byte at a time.
    let body = {
        let addr = r.addr;
        std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"POST /api/v1/verify/mdoc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{").unwrap();
            let started = Instant::now();
            s.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let mut got = Vec::new();
            while started.elapsed() < Duration::from_secs(10) {
                if s.write_all(b" ").is_err() {
                    break;
                }
                let mut buf = [0u8; 512];
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        got.extend_from_slice(&buf[..n]);
                        if got.windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    Err(_) => {}
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            (started.elapsed(), got)
        })
    };
    // Meanwhile the server answers others at once.
    let adult = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    for _ in 0..5 {
        let t = Instant::now();
        let (status, v) = post_json(
            r.addr,
            "/api/v1/verify/mdoc",
            &mdoc_body(&adult, false),
            None,
        );
        assert_eq!((status, v["verdict"].as_str()), (200, Some("OK")));
        assert!(t.elapsed() < Duration::from_secs(2));
    }
    let (took, _) = header.join().unwrap();
    assert!(
        took < Duration::from_secs(5),
        "header drip held for {took:?}"
    );
    let (took, answer) = body.join().unwrap();
    assert!(took < Duration::from_secs(5), "body drip held for {took:?}");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn the_page_and_a_till_session() {
    let w = World::new();
    let r = start_with(&w, |c| {
        c.limits.result_timeout = Duration::from_millis(1500)
    });
    let (status, headers, body) = common::http(r.addr, "GET", "/", &[], b"");
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "cache-control" && v == "no-store"));
    assert!(String::from_utf8_lossy(&body).contains("/assets/till.js"));
    for asset in ["/assets/till.js", "/assets/till.css"] {
        assert_eq!(common::http(r.addr, "GET", asset, &[], b"").0, 200);
    }
    // The page's event stream: the current state at once, then every change.
    let events = {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(r.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /api/v1/till/events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains("\"state\":\"waiting\"") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "{}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).to_string();
        assert!(text.contains("content-type: text/event-stream"), "{text}");
        assert!(text.contains("event: state"), "{text}");
        assert!(text.contains("\"trust\":{\"age_seconds\""), "{text}");
        s
    };
    // A scanner hands the till a customer's engagement: the QR code is shown and the session
    // runs the reader flow — this engagement offers no BLE retrieval method, so the flow cannot
    // reach the phone: NG `malformed` — and its row is written.
    let c = kakunin_core::crypto::default_provider();
    let k = c
        .public_key(&c.generate_key(kakunin_core::crypto::Curve::P256).unwrap())
        .unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&kakunin_core::mdoc::encode_device_engagement(
        &k,
        &[],
    ));
    let (status, v) = post_json(
        r.addr,
        "/api/v1/till/engage",
        &serde_json::json!({"uri": uri}).to_string(),
        None,
    );
    assert_eq!(status, 202, "{v}");
    let (status, headers, svg) = common::http(r.addr, "GET", "/api/v1/till/qr.svg", &[], b"");
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "image/svg+xml"));
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = r.state.till().view();
        if v["state"] == "result" {
            assert_eq!(v["reason"], "malformed");
            break;
        }
        assert!(Instant::now() < deadline, "{v}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, v) = post_json(
        r.addr,
        "/api/v1/till/engage",
        &serde_json::json!({"uri": uri}).to_string(),
        None,
    );
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("busy")));
    // The stream saw the result.
    {
        use std::io::Read;
        let mut events = events;
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\"reason\":\"malformed\"") {
            let n = events.read(&mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
    }
    // The result clears itself after the timeout.
    std::thread::sleep(Duration::from_millis(1800));
    assert_eq!(r.state.till().view()["state"], "ready");
    let (status, v) = post_json(
        r.addr,
        "/api/v1/till/engage",
        "{\"uri\": \"mdoc:!!\"}",
        None,
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_engagement"))
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(r.state.audit().export(None)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].transport, "qr+ble");
    assert_eq!(rows[0].reason.as_deref(), Some("malformed"));
}

#[test]
fn trust_directory_is_reread_without_restart() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let other = World::new();
    std::fs::write(dir.path().join("a.pem"), other.iaca_pem()).unwrap();
    let r = start_with(&w, |c| {
        c.trust_anchors.clear();
        c.trust_dir = Some(dir.path().to_path_buf());
        c.limits.trust_reload = Duration::from_millis(200);
    });
    let adult = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&adult, false),
        None,
    );
    assert_eq!(v["reason"], "untrusted_issuer");
    std::fs::write(dir.path().join("b.pem"), w.iaca_pem()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, v) = post_json(
            r.addr,
            "/api/v1/verify/mdoc",
            &mdoc_body(&adult, false),
            None,
        );
        if v["verdict"] == "OK" {
            break;
        }
        assert!(Instant::now() < deadline, "trust dir not reloaded: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A broken file keeps the previous set in force.
    std::fs::write(dir.path().join("c.pem"), "not a certificate").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (_, v) = post_json(
        r.addr,
        "/api/v1/verify/mdoc",
        &mdoc_body(&adult, false),
        None,
    );
    assert_eq!(v["verdict"], "OK");
}

#[test]
fn reader_credentials_are_read_at_start() {
    let w = World::new();
    let pki_dir = tempfile::tempdir().unwrap();
    let dir = pki_dir.path().join("pki");
    w.pki.write(&dir).unwrap();
    let r = start_with(&w, |c| {
        c.reader_cert = Some(kakunin_issuer::pki::cert_path(&dir, "reader"));
        c.reader_key = Some(kakunin_issuer::pki::key_path(&dir, "reader"));
    });
    let reader = r.state.reader().expect("reader credentials");
    assert_eq!(reader.cert_der, w.pki.reader.cert_der);
    assert!(!format!("{reader:?}").contains(&hex::encode(
        kakunin_core::crypto::hazmat::scalar_bytes(&w.pki.reader.key)
    )));
    // A broken key: the till does not start.
    let data = tempfile::tempdir().unwrap();
    let mut c = Config::new(data.path());
    c.trust_anchors = vec![w.iaca_file()];
    c.reader_cert = Some(kakunin_issuer::pki::cert_path(&dir, "reader"));
    let bad = pki_dir.path().join("bad.key");
    std::fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    c.reader_key = Some(bad);
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(rt.block_on(build(c, None)).is_err());
}
