//! `kakunin holder-sim serve` and `kakunin reader`: the proximity flow over NFC (a virtual
//! card through vpcd and pcscd) or over the simulated BLE link (between two processes, through
//! a local socket standing in for the radio).

use crate::error::CliError;
use crate::holder_cmd::describe;
use crate::input::{parse_time, read_anchors, read_file, read_private_key, render_response_report};
use kakunin_core::cbor::{wrap_tag24, Value};
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, sign_reader_auth,
    DeviceEngagement, RequestedElement,
};
use kakunin_holder_sim::{respond, Consent, HolderPolicy, Wallet};
use kakunin_transport::ble::{fragment, Reassembler};
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::nfc::{MemoryCard, NfcCard};
use kakunin_transport::session::{Event, MdocSession, ReaderSession, MAX_MESSAGE};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The simulated radio's MTU.
const SIM_MTU: u16 = 185;

pub struct ServeArgs<'a> {
    pub ble: bool,
    pub wallet: &'a Path,
    pub nfc: bool,
    pub negotiated: bool,
    pub ble_sim: bool,
    pub reader_trust: &'a [PathBuf],
    pub approve: &'a str,
    pub vpcd: &'a str,
}

fn policy(reader_trust: &[PathBuf], approve: &str) -> Result<HolderPolicy, CliError> {
    Ok(HolderPolicy {
        consent: match approve {
            "all" => Consent::ApproveAll,
            "none" => Consent::Deny,
            l => Consent::ApproveListed(l.split(',').map(|s| s.trim().to_string()).collect()),
        },
        reader_trust: if reader_trust.is_empty() {
            None
        } else {
            Some(read_anchors(reader_trust)?)
        },
        require_reader_auth: !reader_trust.is_empty(),
        ..HolderPolicy::default()
    })
}

fn sim_socket(uuid: &[u8]) -> PathBuf {
    std::env::temp_dir().join(format!("kakunin-ble-sim-{}.sock", hex::encode(uuid)))
}

fn write_frame(s: &mut impl Write, value: &[u8]) -> std::io::Result<()> {
    s.write_all(&(value.len() as u16).to_be_bytes())?;
    s.write_all(value)
}

fn read_frame(s: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len)?;
    let mut v = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut v)?;
    Ok(v)
}

fn send_message(s: &mut impl Write, msg: &[u8]) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Usage(format!("simulated BLE link: {e}"));
    for v in fragment(msg, SIM_MTU).map_err(|e| CliError::Usage(e.to_string()))? {
        write_frame(s, &v).map_err(io)?;
    }
    Ok(())
}

fn receive_message(s: &mut impl Read) -> Result<Vec<u8>, CliError> {
    let mut r =
        Reassembler::new(SIM_MTU, MAX_MESSAGE).map_err(|e| CliError::Usage(e.to_string()))?;
    loop {
        let v = read_frame(s).map_err(|e| CliError::Usage(format!("simulated BLE link: {e}")))?;
        if let Some(m) = r
            .push(&v)
            .map_err(|e| CliError::Usage(format!("BLE: {e}")))?
        {
            return Ok(m);
        }
    }
}

pub fn serve(a: &ServeArgs<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    let wallet = Wallet::open(a.wallet)?;
    let policy = policy(a.reader_trust, a.approve)?;
    let e_device_key = c
        .generate_key(Curve::P256)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let e_device_pub = c
        .public_key(&e_device_key)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if [a.nfc, a.ble_sim, a.ble].iter().filter(|x| **x).count() != 1 {
        return Err(CliError::Usage(
            "choose one of --nfc, --ble-sim or --ble".into(),
        ));
    }
    if a.nfc {
        let de = encode_device_engagement(&e_device_pub, &[]);
        let nfc = NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        };
        let hs = build_static_select(&de, None, Some(&nfc))
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let nfc_card = if a.negotiated {
            NfcCard::negotiated(&de, nfc)
        } else {
            NfcCard::new(&hs)
        }
        .map_err(|e| CliError::Usage(e.to_string()))?;
        let wallet2 = wallet.clone();
        let policy2 = policy.clone();
        let mut card = MemoryCard {
            card: nfc_card,
            session: MdocSession::new(e_device_key, wrap_tag24(&de), nfc_handover(&hs, None)),
            crypto: c,
            responder: Box::new(move |req, transcript| {
                match respond(
                    c,
                    &wallet2,
                    req,
                    transcript.tagged_bytes(),
                    &policy2,
                    None,
                    time::OffsetDateTime::now_utc(),
                ) {
                    Ok(p) => {
                        print!("{}", describe(&p));
                        p.response
                    }
                    Err(e) => {
                        eprintln!("holder: {e}");
                        kakunin_core::mdoc::encode_device_response(
                            &[],
                            &[],
                            kakunin_core::mdoc::STATUS_GENERAL_ERROR,
                        )
                    }
                }
            }),
            last_error: None,
        };
        println!(
            "holder-sim: virtual NFC card attached to vpcd at {}; waiting for a reader",
            a.vpcd
        );
        let n = kakunin_transport::adapters::vpcd::VirtualCard::serve_with_reinsertion(
            a.vpcd,
            &mut card,
            Duration::from_secs(120),
            3,
            |c| c.session.is_closed(),
        )
        .map_err(|e| CliError::Usage(format!("vpcd: {e}")))?;
        println!("holder-sim: session over ({n} APDUs)");
        if let Some(e) = card.last_error {
            eprintln!("holder-sim: session ended with an error: {e}");
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.ble {
        return serve_ble(&wallet, &policy, e_device_key, &e_device_pub);
    }
    // BLE, mdoc peripheral server mode, over the simulated radio.
    let mut uuid = [0u8; 16];
    c.fill_random(&mut uuid)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let de = ble_engagement(&e_device_pub, &uuid);
    let path = sim_socket(&uuid);
    let _ = std::fs::remove_file(&path);
    let listener =
        std::os::unix::net::UnixListener::bind(&path).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    println!("{}", kakunin_transport::qr::engagement_uri(&de));
    println!(
        "holder-sim: advertising (simulated BLE, peripheral server mode, UUID {})",
        hex::encode(uuid)
    );
    let (mut link, _) = listener
        .accept()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut session = MdocSession::new(e_device_key, wrap_tag24(&de), vec![0xf6]);
    let result = (|| -> Result<(), CliError> {
        let start = read_frame(&mut link).map_err(|e| CliError::Usage(e.to_string()))?;
        if start != [kakunin_transport::ble::STATE_START] {
            return Err(CliError::Usage(
                "reader did not start the transaction".into(),
            ));
        }
        loop {
            let msg = receive_message(&mut link)?;
            match session.handle(c, &msg) {
                Ok(Event::Request(req)) => {
                    let transcript = session
                        .transcript()
                        .map(|t| t.tagged_bytes().to_vec())
                        .unwrap_or_default();
                    let p = respond(
                        c,
                        &wallet,
                        &req,
                        &transcript,
                        &policy,
                        None,
                        parse_time(None)?,
                    )?;
                    print!("{}", describe(&p));
                    let out = session
                        .respond(c, &p.response, false)
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                    send_message(&mut link, &out)?;
                }
                Ok(_) => return Ok(()),
                Err(e) => {
                    if let Some(m) = e.message_to_send() {
                        let _ = send_message(&mut link, m);
                    }
                    return Err(CliError::Usage(format!("session: {e}")));
                }
            }
        }
    })();
    let _ = std::fs::remove_file(&path);
    result.map(|_| {
        println!("holder-sim: session over");
        ExitCode::SUCCESS
    })
}

pub struct ReaderArgs<'a> {
    pub ble: bool,
    pub nfc: bool,
    pub negotiated: bool,
    pub qr: Option<&'a str>,
    pub ble_sim: bool,
    pub doctype: &'a str,
    pub age_over: Option<u8>,
    pub elements: &'a [String],
    pub trust_anchors: &'a [PathBuf],
    pub reader_cert: Option<&'a Path>,
    pub reader_key: Option<&'a Path>,
    pub pcsc_reader: &'a str,
    pub extended: bool,
    pub json: bool,
}

pub fn reader(a: &ReaderArgs<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    let profile = crate::issue_cmd::profile(a.doctype)?;
    let mut names: Vec<String> = a
        .age_over
        .map(|n| format!("age_over_{n}"))
        .into_iter()
        .collect();
    names.extend(a.elements.iter().cloned());
    if names.is_empty() {
        return Err(CliError::Usage(
            "ask for something: --age-over N and/or --element E".into(),
        ));
    }
    let anchors = read_anchors(a.trust_anchors)?;
    let reader_key = c
        .generate_key(Curve::P256)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let wanted: Vec<RequestedElement> = names
        .iter()
        .map(|e| RequestedElement {
            namespace: profile.namespace().into(),
            element: e.clone(),
            intent_to_retain: false,
        })
        .collect();
    let items = encode_items_request(profile.doc_type(), &wanted);
    let reader_auth_keys = match (a.reader_cert, a.reader_key) {
        (Some(cert), Some(key)) => Some((
            kakunin_core::trust::parse_certificate_input(&read_file(cert)?).map_err(|e| {
                CliError::BadInput {
                    path: cert.into(),
                    reason: e.to_string(),
                }
            })?,
            read_private_key(key)?,
        )),
        (None, None) => None,
        _ => {
            return Err(CliError::Usage(
                "--reader-cert and --reader-key go together".into(),
            ))
        }
    };
    let build_request = |session: &ReaderSession| -> Result<Vec<u8>, CliError> {
        let ra = match &reader_auth_keys {
            Some((cert, key)) => Some(
                sign_reader_auth(
                    c,
                    key,
                    std::slice::from_ref(cert),
                    session.transcript(),
                    &items,
                )
                .map_err(|e| CliError::Usage(e.to_string()))?
                .raw()
                .to_vec(),
            ),
            None => None,
        };
        Ok(encode_device_request(&[(items.clone(), ra)]))
    };
    let (response, transcript) = match (a.nfc, a.qr, a.ble_sim, a.ble) {
        (true, None, false, false) => nfc_reader(a, &reader_key, &build_request)?,
        (false, Some(uri), true, false) => ble_sim_reader(uri, &reader_key, &build_request)?,
        (false, Some(uri), false, true) => ble_reader(uri, &reader_key, &build_request)?,
        _ => {
            return Err(CliError::Usage(
                "use --nfc, or --qr URI with --ble-sim or --ble".into(),
            ))
        }
    };
    let report = kakunin_verifier::Verifier::new(&anchors)
        .with_reader_key(&reader_key)
        .verify_device_response(&response, &transcript, time::OffsetDateTime::now_utc());
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        print!("{}", render_response_report(&report));
    }
    Ok(if report.valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

type RequestBuilder<'a> = dyn Fn(&ReaderSession) -> Result<Vec<u8>, CliError> + 'a;

#[cfg(feature = "pcsc")]
fn nfc_reader(
    a: &ReaderArgs<'_>,
    reader_key: &kakunin_core::crypto::EcPrivateKey,
    build_request: &RequestBuilder<'_>,
) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    use kakunin_transport::handover::Handover;
    use kakunin_transport::nfc::{NfcReader, ReaderConfig};
    let c = default_provider();
    let e = |e: &dyn std::fmt::Display| CliError::Usage(format!("NFC: {e}"));
    let card = kakunin_transport::adapters::pcsc::PcscCard::connect(
        a.pcsc_reader,
        Duration::from_secs(60),
    )
    .map_err(|x| e(&x))?;
    let mut nfc = NfcReader::new(
        card,
        if a.extended {
            ReaderConfig::EXTENDED
        } else {
            ReaderConfig::SHORT
        },
    );
    let (hs, hr) = if a.negotiated {
        let limits = if a.extended {
            (65535, 65536)
        } else {
            (255, 256)
        };
        let hr = kakunin_transport::handover::build_handover_request(
            0x4b4b,
            &NfcCarrier {
                version: 1,
                max_command_data: Some(limits.0),
                max_response_data: Some(limits.1),
            },
        )
        .map_err(|x| e(&x))?;
        (nfc.negotiate_handover(&hr).map_err(|x| e(&x))?, Some(hr))
    } else {
        (nfc.read_handover_select().map_err(|x| e(&x))?, None)
    };
    println!(
        "reader: NFC engagement by {} handover",
        if hr.is_some() { "negotiated" } else { "static" }
    );
    let parsed = Handover::parse(&hs).map_err(|x| e(&x))?;
    let de = parsed
        .device_engagement_bytes()
        .ok_or_else(|| CliError::Usage("no DeviceEngagement".into()))?;
    let mut session = ReaderSession::new(c, &de, &nfc_handover(&hs, hr.as_deref()), reader_key)
        .map_err(|x| e(&x))?;
    nfc.select_mdoc().map_err(|x| e(&x))?;
    let request = build_request(&session)?;
    let answer = nfc
        .exchange(&session.request(c, &request).map_err(|x| e(&x))?)
        .map_err(|x| e(&x))?;
    let response = match session.handle(c, &answer).map_err(|x| e(&x))? {
        Event::Response { response, .. } => response,
        _ => {
            return Err(CliError::Usage(
                "the mdoc ended the session without a response".into(),
            ))
        }
    };
    let _ = nfc.send_final(&session.terminate());
    println!("reader: {} APDUs over PC/SC", nfc.stats().commands);
    Ok((response, session.transcript().tagged_bytes().to_vec()))
}

#[cfg(not(feature = "pcsc"))]
fn nfc_reader(
    a: &ReaderArgs<'_>,
    _: &kakunin_core::crypto::EcPrivateKey,
    _: &RequestBuilder<'_>,
) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    Err(CliError::Usage(format!(
        "this build has no PC/SC support (reader {:?}, {} APDUs, {} handover): build with --features pcsc",
        a.pcsc_reader,
        if a.extended { "extended" } else { "short" },
        if a.negotiated { "negotiated" } else { "static" }
    )))
}

fn ble_sim_reader(
    uri: &str,
    reader_key: &kakunin_core::crypto::EcPrivateKey,
    build_request: &RequestBuilder<'_>,
) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    let c = default_provider();
    let de = kakunin_transport::qr::parse_engagement_uri(uri)
        .map_err(|e| CliError::Usage(format!("QR: {e}")))?;
    let engagement = DeviceEngagement::from_bytes(&de)
        .map_err(|e| CliError::Usage(format!("engagement: {e}")))?;
    let uuid = peripheral_uuid(&engagement).ok_or_else(|| {
        CliError::Usage("the engagement offers no BLE peripheral server mode UUID".into())
    })?;
    let tagged = wrap_tag24(&de);
    let mut session = ReaderSession::new(c, &tagged, &[0xf6], reader_key)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut link = std::os::unix::net::UnixStream::connect(sim_socket(&uuid)).map_err(|e| {
        CliError::Usage(format!(
            "no simulated peripheral advertising {}: {e}",
            hex::encode(&uuid)
        ))
    })?;
    write_frame(&mut link, &[kakunin_transport::ble::STATE_START])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let request = build_request(&session)?;
    send_message(
        &mut link,
        &session
            .request(c, &request)
            .map_err(|e| CliError::Usage(e.to_string()))?,
    )?;
    let answer = receive_message(&mut link)?;
    let response = match session
        .handle(c, &answer)
        .map_err(|e| CliError::Usage(e.to_string()))?
    {
        Event::Response { response, .. } => response,
        _ => {
            return Err(CliError::Usage(
                "the mdoc ended the session without a response".into(),
            ))
        }
    };
    send_message(&mut link, &session.terminate())?;
    Ok((response, session.transcript().tagged_bytes().to_vec()))
}

/// The BLE peripheral-server-mode service UUID a DeviceEngagement offers (key 10).
fn peripheral_uuid(engagement: &DeviceEngagement) -> Option<Vec<u8>> {
    engagement
        .device_retrieval_methods
        .iter()
        .filter(|m| m.kind == 2)
        .find_map(|m| match &m.options {
            Value::Map(opts) => opts.iter().find_map(|(k, v)| match (k, v) {
                (Value::Uint(10), Value::Bytes(b)) => Some(b.clone()),
                _ => None,
            }),
            _ => None,
        })
}

fn ble_engagement(e_device_pub: &kakunin_core::crypto::EcPublicKey, uuid: &[u8; 16]) -> Vec<u8> {
    let method = Value::Array(vec![
        Value::Uint(2),
        Value::Uint(1),
        Value::Map(vec![
            (Value::Uint(0), Value::Bool(true)),
            (Value::Uint(1), Value::Bool(false)),
            (Value::Uint(10), Value::Bytes(uuid.to_vec())),
        ]),
    ]);
    encode_device_engagement(e_device_pub, &[method])
}

#[cfg(feature = "ble")]
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("async runtime: {e}")))
}

#[cfg(feature = "ble")]
fn serve_ble(
    wallet: &Wallet,
    policy: &HolderPolicy,
    e_device_key: kakunin_core::crypto::EcPrivateKey,
    e_device_pub: &kakunin_core::crypto::EcPublicKey,
) -> Result<ExitCode, CliError> {
    use kakunin_transport::adapters::ble_peripheral::Peripheral;
    let c = default_provider();
    let mut uuid = [0u8; 16];
    c.fill_random(&mut uuid)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let de = ble_engagement(e_device_pub, &uuid);
    let r = |e: kakunin_transport::adapters::RadioError| CliError::Usage(format!("BLE: {e}"));
    runtime()?.block_on(async {
        let mut radio = Peripheral::advertise(::uuid::Uuid::from_bytes(uuid), SIM_MTU)
            .await
            .map_err(r)?;
        println!("{}", kakunin_transport::qr::engagement_uri(&de));
        println!(
            "holder-sim: advertising on BLE (peripheral server mode, UUID {})",
            hex::encode(uuid)
        );
        radio
            .wait_start(Duration::from_secs(300))
            .await
            .map_err(r)?;
        let mut session = MdocSession::new(e_device_key, wrap_tag24(&de), vec![0xf6]);
        loop {
            let msg = match radio.receive(Duration::from_secs(60)).await {
                Ok(m) => m,
                Err(_) => break,
            };
            match session.handle(c, &msg) {
                Ok(Event::Request(req)) => {
                    let t = session
                        .transcript()
                        .map(|t| t.tagged_bytes().to_vec())
                        .unwrap_or_default();
                    let p = respond(
                        c,
                        wallet,
                        &req,
                        &t,
                        policy,
                        None,
                        time::OffsetDateTime::now_utc(),
                    )?;
                    print!("{}", describe(&p));
                    let out = session
                        .respond(c, &p.response, false)
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                    radio.send(&out).await.map_err(r)?;
                }
                Ok(_) => break,
                Err(e) => {
                    if let Some(m) = e.message_to_send() {
                        let _ = radio.send(m).await;
                    }
                    return Err(CliError::Usage(format!("session: {e}")));
                }
            }
        }
        println!("holder-sim: session over");
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(not(feature = "ble"))]
fn serve_ble(
    _: &Wallet,
    _: &HolderPolicy,
    _: kakunin_core::crypto::EcPrivateKey,
    _: &kakunin_core::crypto::EcPublicKey,
) -> Result<ExitCode, CliError> {
    Err(CliError::Usage(
        "this build has no BLE radio support: build with --features ble".into(),
    ))
}

#[cfg(feature = "ble")]
fn ble_reader(
    uri: &str,
    reader_key: &kakunin_core::crypto::EcPrivateKey,
    build_request: &RequestBuilder<'_>,
) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    use kakunin_transport::adapters::ble_central::Central;
    let c = default_provider();
    let de = kakunin_transport::qr::parse_engagement_uri(uri)
        .map_err(|e| CliError::Usage(format!("QR: {e}")))?;
    let engagement = DeviceEngagement::from_bytes(&de)
        .map_err(|e| CliError::Usage(format!("engagement: {e}")))?;
    let uuid = peripheral_uuid(&engagement)
        .and_then(|u| <[u8; 16]>::try_from(u.as_slice()).ok())
        .ok_or_else(|| {
            CliError::Usage("the engagement offers no BLE peripheral server mode UUID".into())
        })?;
    let mut session = ReaderSession::new(c, &wrap_tag24(&de), &[0xf6], reader_key)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let request = build_request(&session)?;
    let r = |e: kakunin_transport::adapters::RadioError| CliError::Usage(format!("BLE: {e}"));
    runtime()?.block_on(async {
        let mut radio = Central::connect(
            ::uuid::Uuid::from_bytes(uuid),
            SIM_MTU,
            Duration::from_secs(30),
        )
        .await
        .map_err(r)?;
        radio.start().await.map_err(r)?;
        radio
            .send(
                &session
                    .request(c, &request)
                    .map_err(|e| CliError::Usage(e.to_string()))?,
            )
            .await
            .map_err(r)?;
        let answer = radio.receive(Duration::from_secs(30)).await.map_err(r)?;
        let response = match session
            .handle(c, &answer)
            .map_err(|e| CliError::Usage(e.to_string()))?
        {
            Event::Response { response, .. } => response,
            _ => {
                return Err(CliError::Usage(
                    "the mdoc ended the session without a response".into(),
                ))
            }
        };
        let _ = radio.send(&session.terminate()).await;
        let _ = radio.end().await;
        Ok((response, session.transcript().tagged_bytes().to_vec()))
    })
}

#[cfg(not(feature = "ble"))]
fn ble_reader(
    _: &str,
    _: &kakunin_core::crypto::EcPrivateKey,
    _: &RequestBuilder<'_>,
) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    Err(CliError::Usage(
        "this build has no BLE radio support: build with --features ble".into(),
    ))
}
