#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Peak memory of one verification stays under 64 MiB on any input up to the transport's
//! maximum message size (4 MiB), including under `ulimit -v 1048576`.
//!
//! Each worst case runs in a child process — this test binary again, started by
//! `sh -c 'ulimit -v 1048576; exec …'` with `KAKUNIN_PEAK_CASE` naming the case, running the
//! ignored `peak_worker` test — that builds the input, has a real holder session encrypt it,
//! lets the reader flow decrypt, decode, verify and decide, and prints its peak resident set
//! (VmHWM from /proc/self/status). The parent asserts the child succeeded and stayed under
//! 64 MiB. The peak is reset (`/proc/self/clear_refs` 5) once the message is built, so it
//! covers the received message, the test harness and the verification, not the building.

use kakunin_core::cbor::{wrap_tag24, Encoder, Value};
use kakunin_core::crypto::{default_provider, Curve, HashAlg};
use kakunin_core::mdoc::{
    encode_device_response, encode_issuer_signed, encode_mso_bytes, issuer_signed_item_bytes,
    DocumentParts, ValidityInfo, MAX_ELEMENTS, MDL_DOCTYPE, MDL_NAMESPACE,
};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_transport::session::{Event, MAX_MESSAGE};
use kakunin_verifier::flow::{Engagement, ReaderConfig, ReaderFlow, Step};
use kakunin_verifier::{NgReason, Verdict};
use time::macros::datetime;

const LIMIT_KIB: u64 = 64 * 1024;
const ULIMIT_V_KIB: u64 = 1_048_576;
/// Room for the session's own encoding around the plaintext (SessionData map, bstr head,
/// AES-GCM tag), so the whole message is at most MAX_MESSAGE.
const PLAINTEXT_MAX: usize = MAX_MESSAGE - 64;

/// A COSE_Sign1 that parses, carrying `payload` (ES256 header, no x5chain, dummy signature).
fn sign1(payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.array(4)
        .bytes(&[0xa1, 0x01, 0x26])
        .map(0)
        .bytes(payload)
        .bytes(&[0u8; 64]);
    e.into_bytes()
}

/// A DeviceResponse of `docs` mDL documents whose items are `items` (already encoded
/// IssuerSignedItemBytes, in `MDL_NAMESPACE`), each with an MSO that decodes and digests for
/// every item, so the verifier hashes every element.
fn response(docs: usize, items: &[Vec<u8>]) -> Vec<u8> {
    let c = default_provider();
    let key = c.generate_key(Curve::P256).unwrap();
    let public = c.public_key(&key).unwrap();
    let digests = vec![(
        MDL_NAMESPACE.to_string(),
        (0..items.len() as u64)
            .map(|i| (i, vec![0u8; 32]))
            .collect::<Vec<_>>(),
    )];
    let t = datetime!(2026-01-01 00:00 UTC);
    let mso = encode_mso_bytes(&kakunin_core::mdoc::MsoParts {
        digest_algorithm: HashAlg::Sha256,
        value_digests: &digests,
        device_key: &public,
        key_authorizations: None,
        doc_type: MDL_DOCTYPE,
        validity: ValidityInfo {
            signed: t,
            valid_from: t,
            valid_until: t,
            expected_update: None,
        },
        status: None,
    });
    let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let issuer_signed = encode_issuer_signed(&[(MDL_NAMESPACE, refs)], &sign1(&mso));
    let dns = wrap_tag24(&[0xa0]);
    let sig = sign1(&[]);
    let parts: Vec<DocumentParts<'_>> = (0..docs)
        .map(|_| DocumentParts {
            doc_type: MDL_DOCTYPE,
            issuer_signed: issuer_signed.clone(),
            device_name_spaces_bytes: &dns,
            device_auth: ("deviceSignature", &sig),
            errors: Vec::new(),
        })
        .collect();
    encode_device_response(&parts, &[], 0)
}

/// `build(k)` for the largest `k` (from `start` down, in 2 % steps) that fits PLAINTEXT_MAX.
fn fit(start: usize, build: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut k = start;
    loop {
        let v = build(k);
        if v.len() <= PLAINTEXT_MAX {
            return v;
        }
        k = k * 49 / 50;
    }
}

fn item(id: u64, value: &Value) -> Vec<u8> {
    issuer_signed_item_bytes(id, &[7u8; 16], &format!("element_{id}"), value)
}

/// An element value of nested one-element arrays `depth` deep around `0`.
fn nested(depth: usize) -> Value {
    (0..depth).fold(Value::Uint(0), |v, _| Value::Array(vec![v]))
}

/// The worst cases, each a DeviceResponse plaintext (sent inside the session) or, for
/// `raw_*`, the whole message as the link delivers it. All at most MAX_MESSAGE.
fn case(name: &str) -> (Vec<u8>, bool) {
    let encrypted = !name.starts_with("raw_");
    let input = match name {
        // 16 documents (the cap) of 1024 elements (the cap), values sized to fill 4 MiB.
        "elements_at_the_caps" => fit(PLAINTEXT_MAX / (16 * MAX_ELEMENTS), |per| {
            let items: Vec<Vec<u8>> = (0..MAX_ELEMENTS as u64)
                .map(|i| item(i, &Value::Bytes(vec![0x5a; per])))
                .collect();
            response(16, &items)
        }),
        // One document with as many tiny elements as fit (over 30 000, far over the cap).
        "thousands_of_elements" => fit(60_000, |n| {
            let items: Vec<Vec<u8>> = (0..n as u64).map(|i| item(i, &Value::Bool(true))).collect();
            response(1, &items)
        }),
        // One element whose value is a bstr of nearly 4 MiB (a "portrait").
        "one_4_mib_bstr" => fit(PLAINTEXT_MAX, |n| {
            response(1, &[item(0, &Value::Bytes(vec![0xff; n]))])
        }),
        // Element values nested to the decoder's depth limit, as many as fit.
        "deep_nesting" => {
            let v = nested(30);
            let one = item(0, &v).len();
            fit(PLAINTEXT_MAX / (one + 40), |n| {
                let items: Vec<Vec<u8>> = (0..n as u64).map(|i| item(i, &v)).collect();
                response(1, &items)
            })
        }
        // Each element an array of tiny items: the items of all embedded decodes together
        // run into the response's item budget.
        "millions_of_tiny_items" => {
            let per = 100_000;
            let v = Value::Array(vec![Value::Uint(0); per]);
            fit(PLAINTEXT_MAX / (per + 80), |n| {
                let items: Vec<Vec<u8>> = (0..n as u64).map(|i| item(i, &v)).collect();
                response(1, &items)
            })
        }
        // A documents array of four million one-byte documents.
        "many_tiny_documents" => {
            let n = PLAINTEXT_MAX - 64;
            let mut e = Encoder::new();
            e.map(3)
                .text("version")
                .text("1.0")
                .text("documents")
                .array(n);
            let mut v = e.into_bytes();
            v.resize(v.len() + n, 0xa0);
            v.extend_from_slice(&[0x66, b's', b't', b'a', b't', b'u', b's', 0x00]);
            v
        }
        // A bstr head claiming 2^63 bytes, an array head claiming 2^32 items.
        "huge_declared_length" => {
            let mut v = vec![0x82, 0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0];
            v.extend([0x9b, 0, 0, 0, 1, 0, 0, 0, 0]);
            v.resize(PLAINTEXT_MAX, 0);
            v
        }
        // The whole 4 MiB message is garbage (no session encryption at all).
        "raw_4_mib_garbage" => (0..MAX_MESSAGE)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
            .collect(),
        // A SessionData whose data is a 4 MiB bstr that does not decrypt.
        "raw_4_mib_ciphertext" => {
            let mut e = Encoder::new();
            e.map(1).text("data").bytes(&vec![0x11; MAX_MESSAGE - 16]);
            e.into_bytes()
        }
        other => panic!("no case {other}"),
    };
    (input, encrypted)
}

const CASES: &[&str] = &[
    "elements_at_the_caps",
    "thousands_of_elements",
    "one_4_mib_bstr",
    "deep_nesting",
    "millions_of_tiny_items",
    "many_tiny_documents",
    "huge_declared_length",
    "raw_4_mib_garbage",
    "raw_4_mib_ciphertext",
];

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// The child's body: one case through the reader flow, then its peak RSS on stdout.
#[test]
#[ignore = "run by peak_memory_of_one_verification_is_under_64_mib in a child process"]
fn peak_worker() {
    let name = std::env::var("KAKUNIN_PEAK_CASE").expect("KAKUNIN_PEAK_CASE");
    let c = default_provider();
    let config = ReaderConfig::new(TrustAnchors::default());
    let (de, _, mut session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let mut flow = ReaderFlow::new(c, &config, &Engagement::Qr { uri }).unwrap();
    let establishment = flow.start(c).unwrap();
    let Ok(Event::Request(_)) = session.handle(c, &establishment) else {
        panic!("the holder reads the request");
    };
    let (input, encrypted) = case(&name);
    let message = if encrypted {
        let m = session.respond(c, &input, false).unwrap();
        drop(input);
        m
    } else {
        input
    };
    assert!(
        message.len() <= MAX_MESSAGE,
        "{name}: {} bytes",
        message.len()
    );
    // Building the input is not the till's work: reset the peak to what is resident now (the
    // received message stays), so VmHWM measures the verification. If the kernel refuses,
    // the number only gets more conservative.
    let build_peak = vm_hwm_kib();
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let Step::Done(out) = flow.handle(c, &message, datetime!(2026-12-01 09:00 UTC)) else {
        panic!("{name}: the flow should end");
    };
    let expected = match name.as_str() {
        "raw_4_mib_ciphertext" => NgReason::DeviceAuthFailed,
        _ => NgReason::Malformed,
    };
    let got = out.decision.verdict;
    assert_eq!(
        got,
        Verdict::Ng(expected),
        "{name}: {:?}",
        out.mdoc.as_ref().map(|m| &m.errors)
    );
    if name == "elements_at_the_caps" {
        // It decodes: every element of every document was hashed (and none requested).
        let report = out.mdoc.as_ref().unwrap();
        assert_eq!(report.documents.len(), 16);
        assert_eq!(out.unrequested_elements, 16 * MAX_ELEMENTS);
    }
    drop(out);
    println!(
        "\nPEAK {name} message={} build_kB={build_peak} reset={reset} VmHWM_kB={}",
        message.len(),
        vm_hwm_kib()
    );
}

#[test]
fn peak_memory_of_one_verification_is_under_64_mib() {
    let exe = std::env::current_exe().unwrap();
    let mut report = Vec::new();
    for name in CASES {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {ULIMIT_V_KIB}; exec \"$0\" \"$@\""))
            .arg(&exe)
            .args([
                "--exact",
                "peak_worker",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("KAKUNIN_PEAK_CASE", name)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} failed under ulimit -v {ULIMIT_V_KIB}: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("PEAK {name} ")))
            .unwrap_or_else(|| panic!("{name}: no PEAK line in\n{stdout}"));
        let kib: u64 = line
            .rsplit("VmHWM_kB=")
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap();
        eprintln!("{line}");
        report.push((name, kib));
    }
    for (name, kib) in &report {
        assert!(
            *kib < LIMIT_KIB,
            "{name}: peak RSS {kib} KiB is over {LIMIT_KIB} KiB; all: {report:?}"
        );
    }
}
