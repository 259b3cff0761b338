#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    unreachable_pub
)]
//! Every committed fuzz seed (`fuzz/corpus-seeds/<target>/*`) and crash reproducer
//! (`fuzz/regressions/<target>-<name>.hex` or `.bin`) through its target's body, on stable.
//! The bodies are `fuzz/src/lib.rs`, compiled here by path: the same code cargo-fuzz runs.
//!
//! `cargo test -p kakunin-fuzz-replay -- --ignored write_seeds` regenerates the seeds from
//! the Annex D and RFC 9901 vectors and from the transport encoders (commit the result).

#[path = "../../fuzz/src/lib.rs"]
mod kakunin_fuzz;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn target(name: &str) -> fn(&[u8]) {
    kakunin_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target named {name:?}"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn the_target_table_matches_the_cargo_fuzz_targets() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let bins: BTreeSet<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|section| {
            let line = section
                .lines()
                .find(|l| l.trim_start().starts_with("name"))?;
            line.split('"').nth(1)
        })
        .collect();
    let table: BTreeSet<&str> = kakunin_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(bins, table);
    assert_eq!(table.len(), 21);
}

#[test]
fn every_seed_replays() {
    let seeds = fuzz_dir().join("corpus-seeds");
    let mut ran = 0;
    for (name, run) in kakunin_fuzz::TARGETS {
        let files = files_in(&seeds.join(name));
        assert!(!files.is_empty(), "no seeds for {name}");
        for f in files {
            run(&std::fs::read(&f).unwrap());
            ran += 1;
        }
    }
    // No stray directories naming targets that do not exist.
    for dir in std::fs::read_dir(&seeds).unwrap() {
        let dir = dir.unwrap().file_name().into_string().unwrap();
        target(&dir);
    }
    assert!(ran >= 60, "{ran} seeds");
}

#[test]
fn every_regression_replays() {
    let mut ran = 0;
    for f in files_in(&fuzz_dir().join("regressions")) {
        let file = f.file_name().unwrap().to_str().unwrap().to_owned();
        let (name, _) = file
            .split_once('-')
            .unwrap_or_else(|| panic!("{file}: not <target>-<name>"));
        let data = match f.extension().and_then(|e| e.to_str()) {
            Some("hex") => {
                let text = std::fs::read_to_string(&f).unwrap();
                hex::decode(text.split_whitespace().collect::<String>()).unwrap()
            }
            Some("bin") => std::fs::read(&f).unwrap(),
            _ => panic!("{file}: regressions are .hex or .bin"),
        };
        target(name)(&data);
        ran += 1;
    }
    assert!(ran >= 1);
}

// ------------------------------------------------------------------ seed generation

fn u16_prefixed<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(&u16::try_from(i.len()).unwrap().to_be_bytes());
        out.extend_from_slice(i);
    }
    out
}

/// The card side of a recorded exchange: an NfcCard that echoes each session message,
/// exactly as the `nfc_card` target does, recording commands and responses.
struct Recorder {
    card: kakunin_transport::nfc::NfcCard,
    commands: Vec<Vec<u8>>,
    responses: Vec<Vec<u8>>,
}

impl kakunin_transport::nfc::Transceive for Recorder {
    type Error = std::convert::Infallible;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        use kakunin_transport::nfc::CardStep;
        let r = match self.card.process(command) {
            CardStep::Reply(r) => r,
            CardStep::Message(m) => self.card.reply_with(&m).unwrap(),
        };
        self.commands.push(command.to_vec());
        self.responses.push(r.clone());
        Ok(r)
    }
}

fn transport_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    use kakunin_spec_vectors::annex_d::bytes;
    use kakunin_transport::apdu::{wrap_do53, Command, Response};
    use kakunin_transport::ble::fragment;
    use kakunin_transport::handover::{
        build_handover_request, build_static_select, tnep, BleOob, LeRole, NfcCarrier, TYPE_BLE_OOB,
    };
    use kakunin_transport::ndef::{parse_message, TNF_MIME};
    use kakunin_transport::nfc::{NfcCard, NfcReader, ReaderConfig, MDOC_AID, NDEF_AID};
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let mut add = |t: &'static str, name: &str, data: Vec<u8>| out.push((t, name.into(), data));

    let se = bytes("session_establishment");
    let hs = bytes("handover_select");
    let hr = bytes("handover_request");
    let nfc = NfcCarrier {
        version: 1,
        max_command_data: Some(255),
        max_response_data: Some(256),
    };
    let ble = BleOob {
        role: Some(LeRole::PeripheralOnly),
        uuid: Some(*b"0123456789abcdef"),
        address: Some(([1, 2, 3, 4, 5, 6], 1)),
        psm: Some(0x1001),
    };

    // apdu
    let cmds = [
        (
            "select-ndef",
            Command::new(0, 0xa4, 4, 0, &NDEF_AID, None),
            false,
        ),
        (
            "select-mdoc",
            Command::new(0, 0xa4, 4, 0, &MDOC_AID, Some(256)),
            false,
        ),
        (
            "read-nlen",
            Command::new(0, 0xb0, 0, 0, &[], Some(2)),
            false,
        ),
        (
            "read-ext-7fff",
            Command::new(0, 0xb0, 0x7f, 0xff, &[], Some(65536)),
            true,
        ),
        (
            "envelope-ext",
            Command::new(0, 0xc3, 0, 0, &wrap_do53(&se).unwrap(), Some(65536)),
            true,
        ),
        (
            "envelope-chain",
            Command::new(0x10, 0xc3, 0, 0, &[0x53; 255], None),
            false,
        ),
    ];
    for (name, c, ext) in cmds {
        add("apdu", &format!("command-{name}"), c.encode(ext).unwrap());
    }
    add("apdu", "response-ok", Response::status(0x9000).encode());
    add(
        "apdu",
        "response-more",
        Response {
            data: vec![7; 16],
            sw: 0x6110,
        }
        .encode(),
    );
    add("apdu", "do53-long", wrap_do53(&vec![0xaa; 300]).unwrap());

    // ndef
    add("ndef", "annex-d-handover_select", hs.clone());
    add("ndef", "annex-d-handover_request", hr.clone());
    add("ndef", "handover-select-embedded", hs[6..].to_vec());
    add(
        "ndef",
        "tnep-service-parameter",
        tnep::service_parameter().unwrap(),
    );
    add(
        "ndef",
        "tnep-service-select",
        tnep::service_select().unwrap(),
    );
    add("ndef", "tnep-status", tnep::status(0).unwrap());

    // handover
    add("handover", "annex-d-handover_select", hs.clone());
    add("handover", "annex-d-handover_request", hr.clone());
    add(
        "handover",
        "static-select-ble-nfc",
        build_static_select(&bytes("device_engagement_nfc"), Some(&ble), Some(&nfc)).unwrap(),
    );
    add(
        "handover",
        "handover-request",
        build_handover_request(0x0102, &nfc).unwrap(),
    );

    // ble_oob
    for (name, msg) in [("annex-d-select", &hs), ("annex-d-request", &hr)] {
        for r in parse_message(msg).unwrap() {
            if r.is(TNF_MIME, TYPE_BLE_OOB) {
                add("ble_oob", name, r.payload);
            }
        }
    }
    add("ble_oob", "all-fields", ble.encode());

    // ble_reassembler
    for mtu in [23u16, 185, 517] {
        let values = fragment(&se, mtu).unwrap();
        let mut seed = mtu.to_be_bytes().to_vec();
        seed.extend(u16_prefixed(values.iter().map(Vec::as_slice)));
        add(
            "ble_reassembler",
            &format!("annex-d-session-establishment-mtu{mtu}"),
            seed,
        );
    }

    // nfc_card and nfc_reader: one recorded exchange per handover mode and APDU form, the
    // same script the nfc_reader target runs.
    let f = kakunin_fuzz::fixtures();
    for negotiated in [false, true] {
        for extended in [false, true] {
            let card = if negotiated {
                NfcCard::negotiated(&f.device_engagement_nfc, nfc.clone()).unwrap()
            } else {
                NfcCard::new(&f.handover_select).unwrap()
            };
            let config = if extended {
                ReaderConfig::EXTENDED
            } else {
                ReaderConfig::SHORT
            };
            let mut reader = NfcReader::new(
                Recorder {
                    card,
                    commands: vec![],
                    responses: vec![],
                },
                config,
            );
            if negotiated {
                let hr = build_handover_request(kakunin_fuzz::READER_COLLISION, &nfc).unwrap();
                reader.negotiate_handover(&hr).unwrap();
            } else {
                reader.read_handover_select().unwrap();
            }
            reader.select_mdoc().unwrap();
            let answer = reader.exchange(&kakunin_fuzz::READER_MESSAGE).unwrap();
            assert_eq!(answer, kakunin_fuzz::READER_MESSAGE);
            reader.send_final(&kakunin_fuzz::READER_FINAL).unwrap();
            let rec = reader.into_inner();
            let name = format!(
                "{}-{}",
                if negotiated { "negotiated" } else { "static" },
                if extended { "extended" } else { "short" }
            );
            let mut card_seed = vec![u8::from(negotiated)];
            card_seed.extend(u16_prefixed(rec.commands.iter().map(Vec::as_slice)));
            add("nfc_card", &name, card_seed);
            let mut reader_seed = vec![u8::from(extended) | (u8::from(negotiated) << 1)];
            reader_seed.extend(u16_prefixed(rec.responses.iter().map(Vec::as_slice)));
            add("nfc_reader", &name, reader_seed);
        }
    }
    out
}

/// Wallet answers for the `reader_flow` target: u16-prefixed, each with its mode byte (bit 0:
/// encrypt the rest in the session, bit 1: with status 20; clear: the raw message).
fn flow_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    use kakunin_spec_vectors::annex_d::bytes;
    let with = |mode: u8, body: &[u8]| {
        let mut v = vec![mode];
        v.extend_from_slice(body);
        v
    };
    let response = bytes("device_response");
    let empty = [
        0xa2, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x63, b'1', b'.', b'0', 0x66, b's',
        b't', b'a', b't', b'u', b's', 0x00,
    ];
    let status_20 = [0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x14];
    let huge = [0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
    let seeds: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("annex-d-response", vec![with(1, &response)]),
        ("annex-d-response-terminated", vec![with(3, &response)]),
        (
            "no-documents-then-sd-jwt-answer",
            vec![with(1, &empty), with(3, b"\xa1\x66status\x00")],
        ),
        ("raw-garbage", vec![with(0, b"\x82\x01garbage")]),
        ("raw-status-20", vec![with(0, &status_20)]),
        ("huge-declared-length", vec![with(1, &huge)]),
    ];
    seeds
        .into_iter()
        .map(|(name, answers)| {
            (
                "reader_flow",
                name.to_string(),
                u16_prefixed(answers.iter().map(Vec::as_slice)),
            )
        })
        .collect()
}

fn vector_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    use kakunin_spec_vectors::annex_d::bytes;
    let annex: &[(&str, &[&str])] = &[
        (
            "cbor_decode",
            &[
                "device_response",
                "device_request",
                "session_transcript_bytes",
                "device_engagement_qr",
                "mobile_security_object_bytes",
                "issuer_auth",
                "device_auth",
                "session_establishment",
                "session_data",
                "e_device_key_bytes",
                "items_request_bytes",
                "issuer_signed_item_09_driving_privileges",
            ],
        ),
        ("device_response", &["device_response"]),
        ("device_request", &["device_request"]),
        (
            "device_engagement",
            &[
                "device_engagement_qr",
                "device_engagement_nfc",
                "device_engagement_bytes_nfc",
            ],
        ),
        (
            "session_messages",
            &[
                "session_establishment",
                "session_data",
                "session_termination",
            ],
        ),
        ("mso", &["mobile_security_object_bytes"]),
        (
            "cose",
            &[
                "issuer_auth",
                "reader_auth",
                "device_auth",
                "e_device_key_bytes",
                "e_reader_key_bytes",
            ],
        ),
        (
            "transcript",
            &["session_transcript", "session_transcript_bytes"],
        ),
        (
            "certificate",
            &[
                "ds_cert.der",
                "iaca_cert.der",
                "reader_cert.der",
                "reader_root_cert.der",
            ],
        ),
    ];
    let mut out = Vec::new();
    for (t, names) in annex {
        for n in *names {
            out.push((*t, format!("annex-d-{n}"), bytes(n)));
        }
    }
    let rfc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-vectors/data/rfc9901");
    for f in files_in(&rfc) {
        if f.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let text: String = std::fs::read_to_string(&f)
            .unwrap()
            .chars()
            .filter(|c| *c != '\n')
            .collect();
        let stem = f.file_stem().unwrap().to_str().unwrap();
        out.push(("sd_jwt", format!("rfc9901-{stem}"), text.into_bytes()));
    }
    use kakunin_spec_vectors::vical::{AAMVA, AUSTROADS};
    out.push(("vical", "aamva-20240924.vical".into(), AAMVA.to_vec()));
    out.push((
        "vical",
        "austroads-20240919.vical".into(),
        AUSTROADS.to_vec(),
    ));
    out
}

/// The committed seeds are what the generators produce now (so they stay valid inputs as
/// the encoders change): regenerate with `-- --ignored write_seeds` when this fails.
#[test]
fn committed_seeds_match_the_generators() {
    let seeds = fuzz_dir().join("corpus-seeds");
    for (t, name, data) in vector_seeds()
        .into_iter()
        .chain(transport_seeds())
        .chain(flow_seeds())
    {
        let path = seeds.join(t).join(&name);
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run -- --ignored write_seeds)", path.display()));
        assert!(committed == data, "{} is stale", path.display());
    }
}

#[test]
#[ignore = "writes fuzz/corpus-seeds; run on purpose and commit the result"]
fn write_seeds() {
    let seeds = fuzz_dir().join("corpus-seeds");
    for (t, name, data) in vector_seeds()
        .into_iter()
        .chain(transport_seeds())
        .chain(flow_seeds())
    {
        target(t)(&data);
        let dir = seeds.join(t);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    }
}
