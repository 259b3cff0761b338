//! `kakunin demo`: the whole chain on embedded defaults, in a temporary directory — JPKI
//! proofing, issuance, presentation, verification (issue 17, "the main job").
//!
//! It begins with the proofing step: a JPKI-SIM (two CAs, `O=JPKI-SIM`, and the virtual My
//! Number card of an invented person) made in memory; the issuer service run in-process on a
//! loopback port with its SQLite registry in the temporary directory and `JpkiProofing` over
//! the simulated CAs; the holder enrolling over real HTTP (nonce, fresh device keys, the card
//! driven APDU by APDU by the JPKI client after both PINs, both card keys signing the
//! enrolment challenge) and storing the Japanese PID the issuer derives from the signature
//! certificate's four facts, as mdocs and as SD-JWT VCs (docs/profiles/jpki-enrolment.md,
//! docs/profiles/jpki-proofing.md). A store till then asks for `age_over_20`, is answered
//! with the JPKI-issued PID mdoc and then with the JPKI-issued PID SD-JWT VC
//! (docs/profiles/sd-jwt-proximity.md), checks each credential's status on the list the
//! issuer publishes, and decides. Last, a short mDL leg with the portrait shown to the clerk.
//!
//! Every presentation runs the real machines of both sides — the verifier's reader flow and
//! the holder simulator's holder loop — over an in-memory link with the BLE GATT framing: QR
//! engagement, an encrypted session, readerAuth, the complete report and the till's verdict.
//! The temporary directory is a `TempDir`, removed however the demo ends.

use crate::error::CliError;
use crate::input::short_value;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    run_holder, CredentialStore, HolderDeadlines, HolderLoop, HolderOutcome, HolderPolicy, Wallet,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::link::{memory_pair, LinkError, MessageLink};
use kakunin_verifier::flow::{
    run_reader, Engagement, FlowOutcome, ReaderAuthSigner, ReaderConfig, ReaderFlow, SdJwtMode,
};
use kakunin_verifier::Verdict;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

const CLAIMS: &str = include_str!("../docs/examples/mdl-claims.json");
const BATCH: usize = 5;

fn step(n: u32, what: &str) {
    println!("\n[{n}] {what}");
}

/// The time a step took, on its own line.
fn took(since: Instant) {
    println!("    ({:.1} ms)", since.elapsed().as_secs_f64() * 1e3);
}

pub(crate) fn run() -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let c = default_provider();
    let now = time::OffsetDateTime::now_utc();
    let tmp_dir = tempfile::Builder::new()
        .prefix("kakunin-demo-")
        .tempdir()
        .map_err(|source| CliError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    let tmp = tmp_dir.path();

    step(
        1,
        "Issuer: test PKI (IACA, Document Signer, reader root + reader certificate), country JP",
    );
    let t = Instant::now();
    let pki = TestPki::generate(c, "JP", 1, now)?;
    pki.write(&tmp.join("pki"))?;
    println!("    IACA and DS certificates made (ISO 18013-5 Annex B profiles)");
    took(t);

    let enrolled = jpki::enrol(tmp, now)?;

    // The till: readerAuth with the reader certificate, the IACA as trust anchor, each
    // credential's status checked on the issuer's list (a credential without one is NG).
    let anchors = TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()])
        .map_err(CliError::session_in("trust anchors"))?;
    let signer = ReaderAuthSigner::new(vec![pki.reader.cert_der.clone()], pki.reader.key);
    let reader_trust = TrustAnchors::from_der_certs([pki.reader_root.cert_der.clone()])
        .map_err(CliError::session_in("reader trust anchors"))?;
    let policy = HolderPolicy {
        reader_trust: Some(reader_trust),
        require_reader_auth: true,
        ..HolderPolicy::default()
    };
    // The PID carries no portrait (a JPKI certificate has no photograph): this till asks
    // for the age alone.
    let mut age_only = ReaderConfig::new(anchors.clone())
        .with_reader_auth(signer.clone())
        .with_status_source(Arc::clone(&enrolled.status));
    age_only.policy.portrait = false;
    age_only.policy.status.required = true;

    step(5, "Store till: QR engagement, a new encrypted session over BLE (in memory), DeviceRequest for age_over_20, signed with the reader certificate; the holder answers with a JPKI-issued PID mdoc");
    let run = present(&age_only, &enrolled.wallet, policy.clone())?;
    println!(
        "    SessionEstablishment: {} bytes (EReaderKey + encrypted DeviceRequest)",
        run.sizes.first().copied().unwrap_or(0)
    );
    print_holder(&run.holder);
    println!(
        "    SessionData: {} bytes (encrypted DeviceResponse)",
        run.received.first().copied().unwrap_or(0)
    );

    step(6, "Store till: verifies everything (issuer chain to the IACA, signature, digests, validity, device signature, transcript, status on the issuer's list)");
    print_checks(&run);

    step(7, "What the till learned from the JPKI-issued PID mdoc");
    print_learned(&run);
    let pid_mdoc_ok = print_verdict(
        &run,
        "JPKI-issued PID mdoc; nothing else about the customer was sent",
    );

    step(8, "The same check with the JPKI-issued PID as an SD-JWT VC: the till asks for age_equal_or_over.20 only");
    let mut sd_only = ReaderConfig::new(anchors.clone())
        .with_reader_auth(signer.clone())
        .with_status_source(Arc::clone(&enrolled.status));
    sd_only.sd_jwt = SdJwtMode::Only;
    sd_only.policy.portrait = false;
    sd_only.policy.status.required = true;
    let run = present(&sd_only, &enrolled.wallet, policy.clone())?;
    print_holder(&run.holder);
    println!(
        "    the presentation sent: {} bytes (encrypted)",
        run.received.last().copied().unwrap_or(0)
    );

    for s in &run.outcome.sd_jwt_status {
        print_status(s);
    }

    step(9, "What the till learned from the SD-JWT VC");
    print_sd_jwt_learned(&run);
    let pid_sd_ok = print_verdict(
        &run,
        "JPKI-issued PID SD-JWT VC: x5c to the IACA, signature, Disclosures, validity, status, KB-JWT bound to this session",
    );
    drop(enrolled);

    let mdl_ok = mdl_leg(
        &pki.document_signers,
        &tmp.join("wallet"),
        ReaderConfig::new(anchors).with_reader_auth(signer),
        policy,
        now,
    )?;
    println!(
        "\n    whole demo: {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    drop(tmp_dir);
    Ok(if pid_mdoc_ok && pid_sd_ok && mdl_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Step 10: an mDL batch issued directly with the test PKI (the demo's original leg, kept
/// short), the till asking for `age_over_20` and the portrait.
fn mdl_leg(
    document_signers: &[kakunin_issuer::KeyAndCert],
    wallet_dir: &Path,
    config: ReaderConfig,
    policy: HolderPolicy,
    now: time::OffsetDateTime,
) -> Result<bool, CliError> {
    let c = default_provider();
    let fail = CliError::session_in::<kakunin_core::crypto::CryptoError>("key generation");
    step(10, &format!("And an mDL with the portrait: a batch of {BATCH} for Yamada Hanako (born 2000-05-05) from the test PKI's Document Signer; the till asks for age_over_20 and the portrait"));
    let t = Instant::now();
    let claims: serde_json::Value =
        serde_json::from_str(CLAIMS).map_err(CliError::session_in("embedded claims"))?;
    let elements = elements_from_json(DocProfile::Mdl, &claims, now.date())?;
    let ds = document_signers
        .first()
        .ok_or_else(|| CliError::session("test PKI", "it has no Document Signer"))?;
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let device_keys: Vec<EcPrivateKey> = (0..BATCH)
        .map(|_| c.generate_key(Curve::P256))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let publics: Vec<_> = device_keys
        .iter()
        .map(|k| c.public_key(k))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let validity = ValidityInfo {
        signed: now,
        valid_from: now,
        valid_until: now + time::Duration::days(30),
        expected_update: None,
    };
    let batch = issuer.issue_batch(DocProfile::Mdl.doc_type(), &elements, &publics, validity)?;
    let wallet = Wallet::open(wallet_dir)?;
    for (i, (cred, key)) in batch.iter().zip(&device_keys).enumerate() {
        wallet.store(
            &format!("mdl-{i:03}"),
            &cred.doc_type,
            &cred.issuer_signed,
            key,
        )?;
    }
    println!(
        "    {} elements per credential, each with its own device key, salts and MSO",
        elements.len()
    );
    took(t);
    let run = present(&config, &wallet, policy)?;
    print_holder(&run.holder);

    step(11, "What the till learned from the mDL");
    print_learned(&run);
    Ok(print_verdict(
        &run,
        "nothing else about the customer was sent",
    ))
}

mod jpki;

/// Counts what the till sends and receives.
struct Counting<L> {
    inner: L,
    sent: Vec<usize>,
    received: Vec<usize>,
}

impl<L: MessageLink> MessageLink for Counting<L> {
    fn send(&mut self, m: &[u8]) -> Result<(), LinkError> {
        self.sent.push(m.len());
        self.inner.send(m)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let m = self.inner.receive(deadline)?;
        self.received.push(m.len());
        Ok(m)
    }
    fn close(&mut self) -> Result<(), LinkError> {
        self.inner.close()
    }
}

/// One presentation: the holder loop on its own thread, the till's flow on this one, joined
/// by an in-memory link framed as BLE GATT values (MTU 185).
struct Run {
    outcome: FlowOutcome,
    holder: HolderOutcome,
    sizes: Vec<usize>,
    received: Vec<usize>,
    took: std::time::Duration,
}

/// Present from `store` to a till configured by `config`, both sides at the current time
/// (the issuer service signed its credentials after the demo started).
fn present(
    config: &ReaderConfig,
    store: &dyn CredentialStore,
    policy: HolderPolicy,
) -> Result<Run, CliError> {
    const MTU: u16 = 185;
    let c = default_provider();
    let now = time::OffsetDateTime::now_utc();
    let link_err = CliError::session_in::<LinkError>("in-memory link");
    let (de, _uuid, session) = qr_ble_engagement(c).map_err(CliError::session_in("engagement"))?;
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let (till_end, phone_end) = memory_pair();
    let mut till = Counting {
        inner: BleFramedLink::new(till_end, MTU).map_err(link_err)?,
        sent: Vec::new(),
        received: Vec::new(),
    };
    let mut phone = BleFramedLink::new(phone_end, MTU).map_err(link_err)?;
    let mut flow = ReaderFlow::new(c, config, &Engagement::Qr { uri })
        .map_err(CliError::session_in("engagement"))?;
    let started = Instant::now();
    let (outcome, holder) = std::thread::scope(|s| {
        let holder = s.spawn(move || {
            let mut hl = HolderLoop::new(store, policy, session);
            run_holder(
                &mut hl,
                &mut phone,
                c,
                &Instant::now,
                HolderDeadlines::default(),
                now,
                &mut |_| {},
            )
        });
        let outcome = run_reader(&mut flow, &mut till, c, &Instant::now, now);
        (outcome, holder.join())
    });
    let took = started.elapsed();
    let holder = holder.map_err(|_| CliError::session("holder", "its thread panicked"))?;
    Ok(Run {
        outcome,
        holder,
        sizes: till.sent,
        received: till.received,
        took,
    })
}

fn print_holder(holder: &HolderOutcome) {
    for p in &holder.presented {
        for line in crate::holder_cmd::describe_presented(p).lines() {
            println!("    {line}");
        }
    }
    if let Some(e) = &holder.failure {
        println!("    holder: session ended with an error: {e}");
    }
}

fn print_checks(run: &Run) {
    for d in run.outcome.mdoc.iter().flat_map(|r| r.documents.iter()) {
        for chk in &d.checks {
            println!("    [{}] {}", chk.outcome.name(), chk.check.name());
        }
        print_status(&d.status_check);
    }
}

/// A credential's status on its issuer's list, as the till checked it.
fn print_status(s: &kakunin_verifier::StatusReport) {
    match &s.reference {
        Some(r) => println!(
            "    [{}] status (list {}, entry {})",
            s.name(),
            r.uri,
            r.idx
        ),
        None => println!("    [{}] status", s.name()),
    }
}

fn print_learned(run: &Run) {
    for d in run.outcome.mdoc.iter().flat_map(|r| r.documents.iter()) {
        for e in &d.elements {
            println!(
                "    {}/{} = {}{}",
                e.namespace,
                e.identifier,
                short_value(&e.value),
                if e.verified { "" } else { "  (UNVERIFIED)" }
            );
        }
    }
}

fn print_sd_jwt_learned(run: &Run) {
    if let Some(Ok((_, results))) = &run.outcome.sd_jwt {
        for r in results {
            match r {
                Ok(v) => {
                    for (k, val) in &v.claims {
                        if !matches!(
                            k.as_str(),
                            "cnf" | "iss" | "vct" | "iat" | "nbf" | "exp" | "status"
                        ) {
                            println!("    {k} = {val}");
                        }
                    }
                }
                Err(e) => println!("    rejected: {e}"),
            }
        }
    }
}

fn print_verdict(run: &Run, note: &str) -> bool {
    if let Some(f) = &run.outcome.failure {
        println!("    session: {f}");
    }
    let verdict = run.outcome.decision.verdict;
    let portrait = run
        .outcome
        .decision
        .portrait
        .as_ref()
        .map(|p| format!("; portrait shown to the clerk: {} bytes", p.bytes().len()))
        .unwrap_or_default();
    println!(
        "\n    verdict: {}   (session and verification in {:.1} ms; {note}{portrait})",
        match verdict.reason() {
            None => "OK - over 20".to_string(),
            Some(r) => format!("NG {} - {}", r.code(), r.text_en()),
        },
        run.took.as_secs_f64() * 1e3
    );
    verdict == Verdict::Ok
}
