#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Issue 17's end-to-end test, every part a real process or a real protocol: `jpki-sim init`
//! and `pki init` make the two PKIs; `kakunin issuer serve` runs the service over HTTP; `jpki-sim
//! serve` offers the virtual My Number card to a real pcscd through vpcd's second slot (port
//! 35964, reader "Virtual PCD 00 01", shared with tests/jpki_opensc.rs and tests/jpki_pcsc.rs —
//! separate binaries never overlap, and this binary has one test); `holder-sim enroll --card
//! vpcd` proves the person with the card and stores both credential batches. The till flow
//! (kakunin_verifier::flow, in memory against the holder loop over the wallet) is given the
//! issuer's status list as fetched by `GET /status/1` and answers OK to age_over_20, for the
//! mdoc and for the SD-JWT VC. A wrong PIN through pcscd exits 1 with the card's counter. The
//! phone enrols too (a second device of the same person).
//! Then `jpki-sim revoke` and a CRL refresh (`POST /admin/jpki-crl`, empty body): the card is
//! refused (`revoked_certificate`), `issuer devices` shows the person's credentials revoked, the
//! re-fetched status list sets their bits, and the till answers NG `revoked`.
//! Needs pcscd with vsmartcard-vpcd (bash scripts/install-peers.sh).
#![cfg(feature = "pcsc")]

use kakunin_core::status::StatusListToken;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{HolderPolicy, Wallet};
use kakunin_verifier::flow::{ReaderConfig, SdJwtMode};
use kakunin_verifier::status::MemoryStatusSource;
use kakunin_verifier::{NgReason, Verdict};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
#[path = "common/vpcd_slot.rs"]
mod vpcd_slot;
use vpcd_slot::{Killed, READER, VPCD};

fn kakunin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .env_remove("KAKUNIN_ISSUER_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = kakunin(args);
    assert!(
        out.status.success(),
        "kakunin {args:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One plain HTTP/1.1 GET: status and body.
fn get(addr: &str, path: &str) -> (u16, Vec<u8>) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/statuslist+jwt\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        !head.to_ascii_lowercase().contains("chunked"),
        "the status list is sent with a length"
    );
    (status, out[split + 4..].to_vec())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The issuer's status list 1 (JWT), as the till's status input, fetched now.
fn status_source(addr: &str) -> (Arc<MemoryStatusSource>, StatusListToken) {
    let (status, body) = get(addr, "/status/1");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let token = StatusListToken::parse(&body).unwrap();
    let mut source = MemoryStatusSource::new();
    source.insert(
        format!("http://{addr}/status/1"),
        body,
        time::OffsetDateTime::now_utc(),
    );
    (Arc::new(source), token)
}

/// The till's verdict on age_over_20 from `wallet`, for the mdoc (`SdJwtMode::Never`) or the
/// SD-JWT VC (`SdJwtMode::Only`), checking status against `source`.
fn till(
    pki: &Path,
    wallet: &Path,
    mode: SdJwtMode,
    source: Arc<MemoryStatusSource>,
) -> (Verdict, String) {
    let iaca = std::fs::read_to_string(pki.join("iaca.cert.pem")).unwrap();
    let (_, der) = der::pem::decode_vec(iaca.as_bytes()).unwrap();
    let mut config =
        ReaderConfig::new(TrustAnchors::from_der_certs([der]).unwrap()).with_status_source(source);
    config.sd_jwt = mode;
    // The JPKI-proofed PID carries no portrait.
    config.policy.portrait = false;
    let store = Wallet::open(wallet).unwrap();
    let (out, holder) = common::run_qr(
        &config,
        &store,
        HolderPolicy::default(),
        time::OffsetDateTime::now_utc(),
    );
    let what = format!(
        "failure {:?}, holder {:?}, mdoc {}, sd-jwt {}",
        out.failure,
        holder.failure,
        out.mdoc.is_some(),
        out.sd_jwt.is_some()
    );
    match mode {
        SdJwtMode::Only => assert!(out.sd_jwt.is_some() && out.mdoc.is_none(), "{what}"),
        _ => assert!(out.mdoc.is_some() && out.sd_jwt.is_none(), "{what}"),
    }
    (out.decision.verdict, what)
}

fn devices(url: &str, person: &str, token: &Path) -> serde_json::Value {
    let out = ok(&[
        "issuer",
        "devices",
        "--issuer",
        url,
        "--person",
        person,
        "--admin-token-file",
        s(token),
        "--json",
    ]);
    serde_json::from_str(&out).unwrap()
}

fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in {out}"))
        .trim()
}

#[test]
fn card_through_pcscd_to_issuer_to_wallet_to_till_and_revocation_end_to_end() {
    let _slot = vpcd_slot::take();
    let readers = kakunin_transport::adapters::pcsc::PcscCard::readers().unwrap_or_default();
    assert!(
        readers.iter().any(|r| r.contains(READER)),
        "no {READER} in {readers:?}: is pcscd running with vsmartcard-vpcd? (bash scripts/install-peers.sh)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("jpki");
    let pki = tmp.path().join("pki");
    let data = tmp.path().join("data");
    let issuer_log = tmp.path().join("issuer.log");
    ok(&["jpki-sim", "init", "--out", s(&ca)]);
    ok(&["pki", "init", "--out", s(&pki)]);
    let profile = ca.join("taro");

    let addr = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{addr}");
    let _issuer = Killed(
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args([
                "issuer",
                "serve",
                "--pki",
                s(&pki),
                "--jpki-ca",
                s(&ca),
                "--data",
                s(&data),
                "--listen",
                &addr,
            ])
            .stdout(Stdio::from(std::fs::File::create(&issuer_log).unwrap()))
            .stderr(Stdio::from(
                std::fs::File::create(issuer_log.with_extension("err")).unwrap(),
            ))
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the issuer never listened on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _card = Killed(
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(["jpki-sim", "serve", "--card", s(&profile), "--vpcd", VPCD])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // The card through pcscd: both formats in the wallet.
    let wallet = tmp.path().join("wallet");
    let pins = profile.join("pins.json");
    // `reader`: None is the default choice (the first "Virtual PCD" reader answering the JPKI-AP).
    let enroll_card = |wallet: &Path, pins: &Path, reader: Option<&str>| {
        let mut args = vec![
            "holder-sim",
            "enroll",
            "--card",
            "vpcd",
            "--issuer",
            &url,
            "--wallet",
            s(wallet),
            "--pin-file",
            s(pins),
            "--mdoc",
            "3",
            "--sd-jwt",
            "3",
        ];
        if let Some(r) = reader {
            args.extend(["--pcsc-reader", r]);
        }
        kakunin(&args)
    };
    // Wait for pcscd to see the card: the first enrolment retries only while no card is there.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let out = enroll_card(&wallet, &pins, Some(READER));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() || !err.contains("PC/SC") || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let person = field(&stdout, "person:").to_owned();
    let card_device = field(&stdout, "device:").to_owned();
    assert!(stdout.contains("mdoc: 3 credentials stored"), "{stdout}");
    assert!(
        stdout.contains("sd-jwt vc: 3 credentials stored"),
        "{stdout}"
    );
    let listed = ok(&["holder", "list", "--wallet", s(&wallet)]);
    assert!(listed.contains("org.kakunin.jp.pid.1"), "{listed}");
    assert!(listed.contains("6 credential(s)"), "{listed}");

    // A wrong authentication PIN through pcscd: exit 1 with the card's counter, nothing stored.
    let wrong = tmp.path().join("wrong-pins.txt");
    std::fs::write(&wrong, "wrongpin1\n9999\n").unwrap();
    let spare = tmp.path().join("wallet-wrong-pin");
    let out = enroll_card(&spare, &wrong, Some(READER));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("2 tries left"), "{err}");
    let listed = ok(&["holder", "list", "--wallet", s(&spare)]);
    assert!(listed.contains("0 credential(s)"), "{listed}");

    // The phone of the same person: a second device.
    let phone_wallet = tmp.path().join("phone-wallet");
    let phone = ok(&[
        "holder-sim",
        "enroll",
        "--card",
        "phone",
        "--profile",
        s(&profile),
        "--issuer",
        &url,
        "--wallet",
        s(&phone_wallet),
        "--pin-file",
        s(&profile.join("phone").join("pins.json")),
        "--label",
        "taro's phone",
        "--mdoc",
        "1",
        "--sd-jwt",
        "1",
    ]);
    assert_eq!(field(&phone, "person:"), person, "the same person");
    let phone_device = field(&phone, "device:").to_owned();
    assert_ne!(phone_device, card_device);
    let token = data.join("admin-token");
    let before = devices(&url, &person, &token);
    let listed: Vec<&str> = before["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{before}");
    assert!(listed.contains(&card_device.as_str()) && listed.contains(&phone_device.as_str()));
    for d in before["devices"].as_array().unwrap() {
        assert_eq!(d["credentials"]["revoked"], 0, "{before}");
    }

    // The till, with the issuer's list fetched over HTTP: OK for both formats.
    let (source, list_before) = status_source(&addr);
    let set_before = (0..list_before.list().len())
        .filter(|&i| list_before.list().get(i) != Some(0))
        .count();
    assert_eq!(set_before, 0, "nothing revoked yet");
    for mode in [SdJwtMode::Never, SdJwtMode::Only] {
        let (verdict, what) = till(&pki, &wallet, mode, source.clone());
        assert_eq!(verdict, Verdict::Ok, "{mode:?}: {what}");
    }

    // A move: the signature certificates are revoked; the issuer re-reads the CRLs.
    ok(&["jpki-sim", "revoke", "--ca", s(&ca), "--card", "taro"]);
    let admin = std::fs::read_to_string(&token).unwrap();
    let refreshed =
        kakunin_issuer_server::client::request(&url, "POST", "/admin/jpki-crl", admin.trim(), None)
            .unwrap();
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);

    // The card is refused now.
    // (Through the default reader choice this time; the right PINs reset the counter.)
    let refused = enroll_card(&tmp.path().join("wallet-2"), &pins, None);
    let err = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(err.contains("revoked_certificate"), "{err}");

    // The registry marks every credential of the person (both devices) revoked.
    let after = devices(&url, &person, &token);
    let mut revoked = 0;
    for d in after["devices"].as_array().unwrap() {
        assert_eq!(d["credentials"]["active"], 0, "{after}");
        revoked += d["credentials"]["revoked"].as_u64().unwrap();
    }
    assert_eq!(
        revoked, 8,
        "3 + 3 card credentials and 1 + 1 phone ones: {after}"
    );

    // The re-fetched list sets their bits; the till answers NG revoked for both formats.
    let (source, list_after) = status_source(&addr);
    let set_after = (0..list_after.list().len())
        .filter(|&i| list_after.list().get(i) != Some(0))
        .count();
    assert_eq!(set_after, 8, "every credential of the person is set");
    for mode in [SdJwtMode::Never, SdJwtMode::Only] {
        let (verdict, what) = till(&pki, &wallet, mode, source.clone());
        assert_eq!(verdict, Verdict::Ng(NgReason::Revoked), "{mode:?}: {what}");
    }

    // Nothing personal was written by the service: neither the registry (database, WAL) nor its
    // output holds the person's name, address or date of birth as the card carries them.
    let cert = kakunin_core::trust::parse_certificate_input(
        &std::fs::read(profile.join("sign.pem")).unwrap(),
    )
    .unwrap();
    let facts = kakunin_jpki::SignatureCertificate::parse(&cert)
        .unwrap()
        .facts;
    let mut written = vec![issuer_log.clone(), issuer_log.with_extension("err")];
    written.extend(std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().path()));
    assert!(
        written.iter().any(|p| p.ends_with("registry.db")),
        "the registry is in the data directory: {written:?}"
    );
    let dob = facts.date_of_birth.unwrap();
    let dob_texts = [
        dob.to_string(),
        format!(
            "{:04}{:02}{:02}",
            dob.year(),
            u8::from(dob.month()),
            dob.day()
        ),
    ];
    for path in written.iter().filter(|p| p.is_file()) {
        let bytes = std::fs::read(path).unwrap();
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        for needle in [facts.name.as_bytes(), facts.address.as_bytes()]
            .into_iter()
            .chain(dob_texts.iter().map(String::as_bytes))
        {
            assert!(!has(needle), "{} holds a personal fact", path.display());
        }
    }
}
