//! `kakunin holder-sim serve` and `kakunin reader`: the proximity flow over NFC (a virtual
//! card through vpcd and pcscd), over the simulated BLE link (between two processes, through
//! a local socket standing in for the radio) or over real radios. Both sides run the library
//! machines — the verifier's reader flow and the holder simulator's holder loop — over the
//! link adapters of [`crate::proximity_links`]; nothing of the protocol is here.

use crate::error::CliError;
use crate::holder_cmd::describe_presented;
use crate::input::{read_anchors, read_file, read_private_key, render_response_report};
use crate::proximity_links::{sim_socket, SocketPipe};
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{encode_device_engagement, RequestedElement};
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::faults::{
    double_engagement_card, BleFaultPipe, Fault, FaultKit, FaultLayer, NfcFaultCard,
};
use kakunin_holder_sim::{
    run_holder, Consent, HolderCard, HolderDeadlines, HolderLoop, HolderOutcome, HolderPolicy,
    Wallet,
};
use kakunin_transport::ble_link::{BleFramedLink, ValuePipe};
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::link::MessageLink;
use kakunin_transport::nfc::NfcCard;
use kakunin_transport::session::MdocSession;
use kakunin_verifier::flow::{
    ble_peripheral_uuid, run_reader, Engagement, FlowOutcome, ReaderAuthSigner, ReaderConfig,
    ReaderFlow, RequestSpec, SdJwtMode,
};
use kakunin_verifier::verdict::AcceptedDocument;
use kakunin_verifier::AgePolicy;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `kakunin holder-sim serve`'s options.
pub(crate) struct ServeArgs<'a> {
    /// Advertise on a real BLE radio (`--ble`).
    pub(crate) ble: bool,
    /// The wallet directory.
    pub(crate) wallet: &'a Path,
    /// Be a virtual NFC card through vpcd (`--nfc`).
    pub(crate) nfc: bool,
    /// NFC negotiated handover instead of static (`--negotiated`).
    pub(crate) negotiated: bool,
    /// Advertise on the simulated BLE radio (`--ble-sim`).
    pub(crate) ble_sim: bool,
    /// Reader roots; when given, requests must carry a verified readerAuth.
    pub(crate) reader_trust: &'a [PathBuf],
    /// CRLs of the reader roots (`--reader-crl`): a revoked reader is untrusted.
    pub(crate) reader_crls: &'a [PathBuf],
    /// Consent: `all`, `none` or a comma-separated list of elements.
    pub(crate) approve: &'a str,
    /// vpcd's address (`host:port`).
    pub(crate) vpcd: &'a str,
    /// Sessions to serve in a row (`--sessions`): on one engagement over simulated BLE, one
    /// fresh card per tap over NFC.
    pub(crate) sessions: u32,
    /// A fault profile to misbehave with (`--fault`, docs/faults.md).
    pub(crate) fault: Option<Fault>,
    /// The issuer PKI whose `ds-1` re-signs the MSO for `stale-mso` (`--fault-pki`).
    pub(crate) fault_pki: Option<&'a Path>,
}

/// A fault profile only runs on the transport of its layer: BLE profiles over the
/// simulated link (whose value pipe they wrap), NFC profiles on the virtual card.
fn check_fault_transport(a: &ServeArgs<'_>) -> Result<(), CliError> {
    let Some(fault) = a.fault else {
        return Ok(());
    };
    let wrong = |needs: &str| {
        Err(CliError::Usage(format!(
            "--fault {fault} acts on the {} layer: it needs {needs}",
            fault.layer()
        )))
    };
    if fault == Fault::StaleMso && a.fault_pki.is_none() {
        return Err(CliError::Usage(
            "--fault stale-mso re-signs the MSO: it needs --fault-pki DIR (the issuer's PKI)"
                .into(),
        ));
    }
    match fault.layer() {
        FaultLayer::Ble if !a.ble_sim && !a.ble => wrong("--ble-sim or --ble"),
        FaultLayer::Nfc if !a.nfc => wrong("--nfc"),
        FaultLayer::Nfc if fault == Fault::NfcDoubleEngagement && a.negotiated => {
            wrong("static handover (no --negotiated)")
        }
        _ => Ok(()),
    }
}

/// The holder loop with the session and response faults of `a` (BLE and NFC ones act in
/// the transport wrappers).
fn faulty<'a>(holder: HolderLoop<'a>, fault: Option<Fault>, kit: FaultKit<'a>) -> HolderLoop<'a> {
    match fault {
        Some(f) => holder.with_fault(f).with_fault_kit(kit),
        None => holder,
    }
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

/// The holder's exit: 0 after a clean session, 1 (with the reason) after a failed one.
fn holder_exit(outcome: &HolderOutcome) -> ExitCode {
    match &outcome.failure {
        None => {
            println!("holder-sim: session over");
            ExitCode::SUCCESS
        }
        Some(e) => {
            eprintln!("holder-sim: session ended with an error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Run the holder simulator for one session over the chosen transport.
pub(crate) fn serve(a: &ServeArgs<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    let wallet = Wallet::open(a.wallet)?;
    let policy = policy(a.reader_trust, a.approve)?;
    let crls = match (&policy.reader_trust, a.reader_crls.is_empty()) {
        (_, true) => None,
        (Some(roots), false) => Some(crate::crl_cmd::read_crls(a.reader_crls, roots)?),
        (None, false) => {
            return Err(CliError::Usage(
                "--reader-crl needs --reader-trust (the CRLs' issuers)".into(),
            ))
        }
    };
    if [a.nfc, a.ble_sim, a.ble].iter().filter(|x| **x).count() != 1 {
        return Err(CliError::Usage(
            "choose one of --nfc, --ble-sim or --ble".into(),
        ));
    }
    if a.sessions == 0 || (a.sessions > 1 && !(a.ble_sim || a.nfc)) {
        return Err(CliError::Usage(
            "--sessions N: N of at least 1, and more than one only with --ble-sim or --nfc".into(),
        ));
    }
    check_fault_transport(a)?;
    let ds = crate::holder_cmd::fault_signer(a.fault_pki)?;
    let chain: Vec<Vec<u8>> = ds.iter().map(|d| d.cert_der.clone()).collect();
    let kit = crate::holder_cmd::fault_kit(ds.as_ref(), &chain);
    if let Some(f) = a.fault {
        println!("holder-sim: misbehaving on purpose: fault profile {f} (docs/faults.md)");
    }
    let now = time::OffsetDateTime::now_utc();
    let mut show = |p: &kakunin_holder_sim::Presented| print!("{}", describe_presented(p));
    if a.ble_sim && a.sessions > 1 {
        let fault = (a.fault, kit);
        return serve_ble_sim_sessions(
            &wallet,
            &policy,
            crls.as_ref(),
            a.sessions,
            fault,
            now,
            &mut show,
        );
    }
    if a.nfc {
        let mut last = Ok(ExitCode::SUCCESS);
        for n in 1..=a.sessions {
            let outcome = serve_nfc_once(a, &wallet, &policy, crls.as_ref(), kit, now, &mut show)?;
            if a.sessions == 1 {
                return Ok(holder_exit(&outcome));
            }
            match &outcome.failure {
                None => println!("holder-sim: session {n} of {} over", a.sessions),
                Some(e) => println!(
                    "holder-sim: session {n} of {} ended with an error: {e}",
                    a.sessions
                ),
            }
            last = Ok(ExitCode::SUCCESS);
            // The card leaves the field: pcscd polls vpcd's slot (every 400 ms), so stay out
            // long enough for it to see the removal before the next card arrives.
            std::thread::sleep(Duration::from_millis(1200));
        }
        return last;
    }
    let (de, uuid, session) = qr_ble_engagement(c).map_err(CliError::session_in("engagement"))?;
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let mut holder = faulty(HolderLoop::new(&wallet, policy, session), a.fault, kit);
    if let Some(crls) = &crls {
        holder = holder.with_reader_crls(crls);
    }
    let deadlines = HolderDeadlines::default();
    if a.ble {
        return serve_ble(&mut holder, a.fault, uuid, &uri, deadlines, now, &mut show);
    }
    // BLE, mdoc peripheral server mode, over the simulated radio.
    let path = sim_socket(&uuid);
    let _ = std::fs::remove_file(&path);
    let listener =
        std::os::unix::net::UnixListener::bind(&path).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    println!("{uri}");
    println!(
        "holder-sim: advertising (simulated BLE, peripheral server mode, UUID {})",
        hex::encode(uuid)
    );
    let accepted = listener.accept();
    let _ = std::fs::remove_file(&path);
    let sim_ble = CliError::session_in::<kakunin_transport::link::LinkError>("simulated BLE link");
    let (stream, _) = accepted.map_err(CliError::session_in("simulated BLE"))?;
    let mut pipe = SocketPipe::new(stream);
    pipe.wait_start(Instant::now() + deadlines.first_message)
        .map_err(sim_ble)?;
    let mut link = holder_ble_link(
        pipe,
        kakunin_transport::adapters::ble_socket::SIM_MTU,
        a.fault,
    )
    .map_err(sim_ble)?;
    let outcome = run_holder(
        &mut holder,
        &mut *link,
        c,
        &Instant::now,
        deadlines,
        now,
        &mut show,
    );
    Ok(holder_exit(&outcome))
}

/// The holder's session link over a BLE value pipe (the simulated radio or the real one):
/// framed at `mtu`, with a BLE fault profile between the framing and the medium when one is
/// chosen (other layers' faults act elsewhere), so the framing code itself stays correct.
fn holder_ble_link<P: ValuePipe + 'static>(
    pipe: P,
    mtu: u16,
    fault: Option<Fault>,
) -> Result<Box<dyn MessageLink>, kakunin_transport::link::LinkError> {
    match fault.filter(|f| f.layer() == FaultLayer::Ble) {
        Some(f) => {
            let pipe = BleFaultPipe::new(pipe, f)
                .map_err(|_| kakunin_transport::link::LinkError::Misuse("BLE fault profile"))?;
            Ok(Box::new(BleFramedLink::new(pipe, mtu)?))
        }
        None => Ok(Box::new(BleFramedLink::new(pipe, mtu)?)),
    }
}

/// One NFC session on a fresh virtual card (a fresh EDeviceKey and Handover Select, so a
/// fresh SessionTranscript) served through vpcd: the card is inserted (connected to vpcd)
/// here and removed (disconnected) when the session is over.
fn serve_nfc_once(
    a: &ServeArgs<'_>,
    wallet: &Wallet,
    policy: &HolderPolicy,
    crls: Option<&kakunin_core::trust::CrlSet>,
    kit: FaultKit<'_>,
    now: time::OffsetDateTime,
    show: &mut dyn FnMut(&kakunin_holder_sim::Presented),
) -> Result<HolderOutcome, CliError> {
    let c = default_provider();
    let multi = a.sessions > 1;
    let keygen = CliError::session_in("key generation");
    let e_device_key = c.generate_key(Curve::P256).map_err(keygen)?;
    let e_device_pub = c.public_key(&e_device_key).map_err(keygen)?;
    let de = encode_device_engagement(&e_device_pub, &[]);
    let nfc = NfcCarrier {
        version: 1,
        max_command_data: Some(65535),
        max_response_data: Some(65536),
    };
    let hs = build_static_select(&de, None, Some(&nfc))
        .map_err(CliError::session_in("NFC engagement"))?;
    let (card, hs) = if a.fault == Some(Fault::NfcDoubleEngagement) {
        // The session's Handover Select first, then another (static only, checked above).
        double_engagement_card(c, &de, nfc).map_err(CliError::session_in("NFC card"))?
    } else if a.negotiated {
        let card = NfcCard::negotiated(&de, nfc).map_err(CliError::session_in("NFC card"))?;
        (card, hs)
    } else {
        let card = NfcCard::new(&hs).map_err(CliError::session_in("NFC card"))?;
        (card, hs)
    };
    // Static handover: [HS, null]; negotiated: the card sets [HS, HR] once agreed.
    let session = MdocSession::new(e_device_key, wrap_tag24(&de), nfc_handover(&hs, None));
    let mut holder = faulty(
        HolderLoop::new(wallet, policy.clone(), session),
        a.fault,
        kit,
    );
    if let Some(crls) = crls {
        holder = holder.with_reader_crls(crls);
    }
    let card = HolderCard::new(card, holder, c, now).on_present(show);
    println!(
        "holder-sim: virtual NFC card attached to vpcd at {}; waiting for a reader",
        a.vpcd
    );
    let vpcd = CliError::session_in("vpcd");
    let (n, outcome) = match a.fault {
        Some(f @ (Fault::Nfc61xxLoop | Fault::NfcWrongStatusWords)) => {
            let card = NfcFaultCard::new(card, f).map_err(CliError::session_in("NFC card"))?;
            let (n, card) =
                serve_tap(a.vpcd, card, multi, |c| c.inner().is_done()).map_err(vpcd)?;
            (n, card.into_inner().into_outcome())
        }
        _ => {
            let (n, card) = serve_tap(a.vpcd, card, multi, HolderCard::is_done).map_err(vpcd)?;
            (n, card.into_outcome())
        }
    };
    println!("holder-sim: {n} APDUs");
    Ok(outcome)
}

/// A card in the field for one tap: it knows whether the reader has talked to it and whether
/// the reader has let it go since (SCardDisconnect resets or powers down the card), which is
/// how a phone knows a tap is over.
struct Tap<T> {
    card: T,
    started: bool,
    released: bool,
}

impl<T: kakunin_transport::nfc::Transceive> kakunin_transport::nfc::Transceive for Tap<T> {
    type Error = T::Error;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        self.started = true;
        self.card.transceive(command)
    }
}

/// Serve `card` through vpcd for one tap. With one session (`multi` false) the card leaves
/// once its session is `done`; in a run of sessions it stays until the reader releases it,
/// so a reader that reads on after the session ended sees what a phone shows then.
fn serve_tap<T: kakunin_transport::nfc::Transceive>(
    vpcd: &str,
    card: T,
    multi: bool,
    done: impl Fn(&T) -> bool,
) -> Result<(usize, T), kakunin_transport::adapters::vpcd::VpcdError> {
    use kakunin_transport::adapters::vpcd::{PowerEvent, VirtualCard, ATR};
    let mut tap = Tap {
        card,
        started: false,
        released: false,
    };
    let n = VirtualCard::serve_with_reinsertion_as(
        vpcd,
        &ATR,
        &mut tap,
        Duration::from_secs(120),
        3,
        |t, event| {
            if t.started && matches!(event, PowerEvent::Off | PowerEvent::Reset) {
                t.released = true;
            }
        },
        |t| if multi { t.released } else { done(&t.card) },
    )?;
    Ok((n, tap.card))
}

/// Serve `sessions` sessions in a row over the simulated BLE radio on one engagement: one
/// QR code, one EDeviceKey and service UUID, a fresh session (and SessionTranscript, since
/// each reader brings a fresh EReaderKey) per reader connection. Exit 0 once all were served,
/// whatever each session came to (a conformance run ends many on purpose).
fn serve_ble_sim_sessions(
    wallet: &Wallet,
    policy: &HolderPolicy,
    crls: Option<&kakunin_core::trust::CrlSet>,
    sessions: u32,
    (fault, kit): (Option<Fault>, FaultKit<'_>),
    now: time::OffsetDateTime,
    show: &mut dyn FnMut(&kakunin_holder_sim::Presented),
) -> Result<ExitCode, CliError> {
    use kakunin_core::crypto::hazmat;
    let c = default_provider();
    let keygen = CliError::session_in("key generation");
    let e_device_key = c.generate_key(Curve::P256).map_err(keygen)?;
    let public = c.public_key(&e_device_key).map_err(keygen)?;
    let mut uuid = [0u8; 16];
    c.fill_random(&mut uuid).map_err(keygen)?;
    let de = kakunin_holder_sim::engagement::ble_peripheral_engagement(&public, &uuid);
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let path = sim_socket(&uuid);
    let _ = std::fs::remove_file(&path);
    let listener =
        std::os::unix::net::UnixListener::bind(&path).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    println!("{uri}");
    println!(
        "holder-sim: advertising (simulated BLE, peripheral server mode, UUID {}), {sessions} sessions",
        hex::encode(uuid)
    );
    let deadlines = HolderDeadlines::default();
    let mut result = Ok(ExitCode::SUCCESS);
    for n in 1..=sessions {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                result = Err(CliError::session("simulated BLE", e));
                break;
            }
        };
        // Each session gets its own copy of EDeviceKey (keys are not Clone); both zeroize.
        let Some(key) = hazmat::private_key_from_scalar(
            e_device_key.curve(),
            hazmat::scalar_bytes(&e_device_key),
        ) else {
            result = Err(CliError::session(
                "key generation",
                "the engagement key does not copy",
            ));
            break;
        };
        let session = MdocSession::new(key, wrap_tag24(&de), vec![0xf6]);
        let mut holder = faulty(HolderLoop::new(wallet, policy.clone(), session), fault, kit);
        if let Some(crls) = crls {
            holder = holder.with_reader_crls(crls);
        }
        let mut pipe = SocketPipe::new(stream);
        let started = pipe
            .wait_start(Instant::now() + deadlines.first_message)
            .and_then(|()| {
                holder_ble_link(
                    pipe,
                    kakunin_transport::adapters::ble_socket::SIM_MTU,
                    fault,
                )
            });
        let outcome = match started {
            Ok(mut link) => run_holder(
                &mut holder,
                &mut *link,
                c,
                &Instant::now,
                deadlines,
                now,
                show,
            ),
            Err(e) => HolderOutcome {
                failure: Some(kakunin_holder_sim::HolderFailure::Link(e)),
                ..HolderOutcome::default()
            },
        };
        match &outcome.failure {
            None => println!("holder-sim: session {n} of {sessions} over"),
            Some(e) => println!("holder-sim: session {n} of {sessions} ended with an error: {e}"),
        }
    }
    let _ = std::fs::remove_file(&path);
    result
}

#[cfg(feature = "ble")]
fn serve_ble(
    holder: &mut HolderLoop<'_>,
    fault: Option<Fault>,
    uuid: [u8; 16],
    uri: &str,
    deadlines: HolderDeadlines,
    now: time::OffsetDateTime,
    show: &mut dyn FnMut(&kakunin_holder_sim::Presented),
) -> Result<ExitCode, CliError> {
    let pipe = crate::proximity_links::PeripheralPipe::advertise(
        uuid,
        crate::proximity_links::SIM_MTU,
        Duration::from_secs(300),
        || {
            println!("{uri}");
            println!(
                "holder-sim: advertising on BLE (peripheral server mode, UUID {})",
                hex::encode(uuid)
            );
        },
    )
    .map_err(CliError::session_in("BLE"))?;
    let mtu = pipe.mtu();
    let mut link = holder_ble_link(pipe, mtu, fault).map_err(CliError::session_in("BLE"))?;
    let outcome = run_holder(
        holder,
        &mut *link,
        default_provider(),
        &Instant::now,
        deadlines,
        now,
        show,
    );
    Ok(holder_exit(&outcome))
}

#[cfg(not(feature = "ble"))]
fn serve_ble(
    _: &mut HolderLoop<'_>,
    _: Option<Fault>,
    _: [u8; 16],
    _: &str,
    _: HolderDeadlines,
    _: time::OffsetDateTime,
    _: &mut dyn FnMut(&kakunin_holder_sim::Presented),
) -> Result<ExitCode, CliError> {
    Err(CliError::Usage(
        "this build has no BLE radio support: build with --features ble".into(),
    ))
}

/// `kakunin reader`'s options.
pub(crate) struct ReaderArgs<'a> {
    /// Connect over a real BLE radio (`--ble`, with `--qr`).
    pub(crate) ble: bool,
    /// Engage and transfer over NFC through PC/SC (`--nfc`).
    pub(crate) nfc: bool,
    /// NFC negotiated handover instead of static (`--negotiated`).
    pub(crate) negotiated: bool,
    /// The scanned `mdoc:` URI (`--qr`).
    pub(crate) qr: Option<&'a str>,
    /// Connect over the simulated BLE radio (`--ble-sim`, with `--qr`).
    pub(crate) ble_sim: bool,
    /// The docType profile to ask for.
    pub(crate) doctype: &'a str,
    /// Ask for `age_over_NN` and judge by it (`--age-over`).
    pub(crate) age_over: Option<u8>,
    /// Further elements to ask for (`--element`).
    pub(crate) elements: &'a [String],
    /// The trusted IACAs.
    pub(crate) trust_anchors: &'a [PathBuf],
    /// The reader certificate, to sign readerAuth (with `reader_key`).
    pub(crate) reader_cert: Option<&'a Path>,
    /// The reader certificate's private key.
    pub(crate) reader_key: Option<&'a Path>,
    /// The PC/SC reader name (substring) for `--nfc`.
    pub(crate) pcsc_reader: &'a str,
    /// Extended-length APDUs (`--extended`).
    pub(crate) extended: bool,
    /// Print the report as JSON.
    pub(crate) json: bool,
}

/// The reader's configuration from the command line: exactly the elements asked for, of one
/// docType, judged by the age policy for `--age-over` (20 when not given).
fn reader_config(a: &ReaderArgs<'_>) -> Result<ReaderConfig, CliError> {
    let profile = crate::issue_cmd::profile(a.doctype)?;
    let mut names: Vec<String> = a
        .age_over
        .map(|n| format!("age_over_{n:02}"))
        .into_iter()
        .collect();
    names.extend(a.elements.iter().cloned());
    if names.is_empty() {
        return Err(CliError::Usage(
            "ask for something: --age-over N and/or --element E".into(),
        ));
    }
    let wanted: Vec<RequestedElement> = names
        .iter()
        .map(|e| RequestedElement {
            namespace: profile.namespace().into(),
            element: e.clone(),
            intent_to_retain: false,
        })
        .collect();
    let reader_auth = match (a.reader_cert, a.reader_key) {
        (Some(cert), Some(key)) => Some(ReaderAuthSigner::new(
            vec![
                kakunin_core::trust::parse_certificate_input(&read_file(cert)?).map_err(|e| {
                    CliError::BadInput {
                        path: cert.into(),
                        reason: e.to_string(),
                    }
                })?,
            ],
            read_private_key(key)?,
        )),
        (None, None) => None,
        _ => {
            return Err(CliError::Usage(
                "--reader-cert and --reader-key go together".into(),
            ))
        }
    };
    let mut config = ReaderConfig::new(read_anchors(a.trust_anchors)?);
    config.policy = AgePolicy {
        threshold: a.age_over.unwrap_or(20),
        portrait: names.iter().any(|n| n == "portrait"),
        mdoc_documents: vec![AcceptedDocument {
            doc_type: profile.doc_type().into(),
            namespace: profile.namespace().into(),
        }],
        sd_jwt_vcts: Vec::new(),
        ..AgePolicy::default()
    };
    config.request = RequestSpec::Elements(vec![(profile.doc_type().into(), wanted)]);
    config.reader_auth = reader_auth;
    config.sd_jwt = SdJwtMode::Never;
    Ok(config)
}

/// Run the reader flow for one customer over the chosen transport and print the verdict.
pub(crate) fn reader(a: &ReaderArgs<'_>) -> Result<ExitCode, CliError> {
    let config = reader_config(a)?;
    let outcome = match (a.nfc, a.qr, a.ble_sim, a.ble) {
        (true, None, false, false) => nfc_reader(a, &config)?,
        (false, Some(uri), true, false) => {
            let (mut flow, uuid) = qr_flow(&config, uri)?;
            let sim_ble = CliError::session_in("simulated BLE link");
            let pipe = SocketPipe::connect(&uuid).map_err(|e| {
                CliError::session(
                    "simulated BLE",
                    format!("no peripheral advertising {}: {e}", hex::encode(uuid)),
                )
            })?;
            let mut link = pipe.framed().map_err(sim_ble)?;
            drive(&mut flow, &mut link)
        }
        (false, Some(uri), false, true) => ble_reader(&config, uri)?,
        _ => {
            return Err(CliError::Usage(
                "use --nfc, or --qr URI with --ble-sim or --ble".into(),
            ))
        }
    };
    Ok(print_outcome(&outcome, a.json))
}

fn drive(flow: &mut ReaderFlow<'_>, link: &mut dyn MessageLink) -> FlowOutcome {
    run_reader(
        flow,
        link,
        default_provider(),
        &Instant::now,
        time::OffsetDateTime::now_utc(),
    )
}

/// The flow for a scanned QR code, and the BLE peripheral server UUID it offers.
fn qr_flow<'c>(
    config: &'c ReaderConfig,
    uri: &str,
) -> Result<(ReaderFlow<'c>, [u8; 16]), CliError> {
    let engagement = Engagement::Qr { uri: uri.into() };
    let engaged = engagement
        .resolve()
        .map_err(|e| CliError::Usage(format!("engagement: {e}")))?;
    let uuid = ble_peripheral_uuid(&engaged.device_engagement).ok_or_else(|| {
        CliError::Usage("the engagement offers no BLE peripheral server mode UUID".into())
    })?;
    let flow = ReaderFlow::new(default_provider(), config, &engagement).map_err(|e| {
        // A QR code that does not decode is the caller's input; anything else failed while
        // setting the session up.
        if e.cause() == kakunin_core::Cause::Malformed {
            CliError::Usage(format!("engagement: {e}"))
        } else {
            CliError::session("engagement", e)
        }
    })?;
    Ok((flow, uuid))
}

/// The report as before, then the verdict; exit 0 only for a valid report.
fn print_outcome(outcome: &FlowOutcome, json: bool) -> ExitCode {
    let verdict = outcome.decision.verdict;
    let reason = verdict.reason();
    if json {
        let mut v = outcome
            .mdoc
            .as_ref()
            .map(|r| r.to_json())
            .unwrap_or_else(|| serde_json::json!({ "valid": false }));
        if let Some(obj) = v.as_object_mut() {
            obj.insert("verdict".into(), verdict.label().into());
            obj.insert(
                "reason".into(),
                reason
                    .map(|r| r.code().into())
                    .unwrap_or(serde_json::Value::Null),
            );
            if let Some(f) = &outcome.failure {
                obj.insert("failure".into(), f.to_string().into());
            }
        }
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        if let Some(report) = &outcome.mdoc {
            print!("{}", render_response_report(report));
        }
        if let Some(f) = &outcome.failure {
            eprintln!("reader: {f}");
        }
        match reason {
            None => println!("verdict: OK"),
            Some(r) => println!("verdict: NG {} - {}", r.code(), r.text_en()),
        }
    }
    if outcome.mdoc.as_ref().is_some_and(|r| r.valid()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(feature = "pcsc")]
fn nfc_reader(a: &ReaderArgs<'_>, config: &ReaderConfig) -> Result<FlowOutcome, CliError> {
    use kakunin_transport::nfc::{NfcReader, ReaderConfig as ApduConfig};
    use kakunin_transport::nfc_link::NfcMessageLink;
    use kakunin_verifier::flow::{engage_nfc, NfcHandoverMode};
    let e = |e: &dyn std::fmt::Display| CliError::session("NFC", e);
    let card = kakunin_transport::adapters::pcsc::PcscCard::connect(
        a.pcsc_reader,
        Duration::from_secs(60),
    )
    .map_err(|x| e(&x))?;
    let (apdus, limits) = if a.extended {
        (ApduConfig::EXTENDED, (65535, 65536))
    } else {
        (ApduConfig::SHORT, (255, 256))
    };
    let mut nfc = NfcReader::new(card, apdus);
    let mode = if a.negotiated {
        NfcHandoverMode::Negotiated {
            max_command_data: limits.0,
            max_response_data: limits.1,
        }
    } else {
        NfcHandoverMode::Static
    };
    let engagement = engage_nfc(&mut nfc, mode, 0x4b4b).map_err(|x| e(&x))?;
    println!(
        "reader: NFC engagement by {} handover",
        if a.negotiated { "negotiated" } else { "static" }
    );
    let mut flow = ReaderFlow::new(default_provider(), config, &engagement).map_err(|x| e(&x))?;
    let mut link = NfcMessageLink::open(nfc).map_err(|x| e(&x))?;
    let outcome = drive(&mut flow, &mut link);
    println!("reader: {} APDUs over PC/SC", link.stats().commands);
    Ok(outcome)
}

#[cfg(not(feature = "pcsc"))]
fn nfc_reader(a: &ReaderArgs<'_>, _: &ReaderConfig) -> Result<FlowOutcome, CliError> {
    Err(CliError::Usage(format!(
        "this build has no PC/SC support (reader {:?}, {} APDUs, {} handover): build with --features pcsc",
        a.pcsc_reader,
        if a.extended { "extended" } else { "short" },
        if a.negotiated { "negotiated" } else { "static" }
    )))
}

#[cfg(feature = "ble")]
fn ble_reader(config: &ReaderConfig, uri: &str) -> Result<FlowOutcome, CliError> {
    let (mut flow, uuid) = qr_flow(config, uri)?;
    let mut link = crate::proximity_links::CentralLink::connect(
        uuid,
        crate::proximity_links::SIM_MTU,
        Duration::from_secs(30),
    )
    .map_err(CliError::session_in("BLE"))?;
    Ok(drive(&mut flow, &mut link))
}

#[cfg(not(feature = "ble"))]
fn ble_reader(_: &ReaderConfig, _: &str) -> Result<FlowOutcome, CliError> {
    Err(CliError::Usage(
        "this build has no BLE radio support: build with --features ble".into(),
    ))
}
