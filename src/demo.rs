//! `kakunin demo`: the whole flow on embedded defaults, in a temporary directory — a test PKI,
//! an mDL batch for one holder, a store till asking for `age_over_20` and the portrait, the
//! holder answering, the till verifying, and what the till learned; then the same age check
//! with the holder's Japanese PID as an SD-JWT VC (docs/profiles/sd-jwt-proximity.md).
//!
//! Both legs run the real machines of both sides — the verifier's reader flow and the holder
//! simulator's holder loop — over an in-memory link with the BLE GATT framing: QR engagement,
//! an encrypted session, readerAuth, the complete report and the till's verdict. The
//! temporary directory is a `TempDir`, removed however the demo ends.

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
    run_reader, Engagement, FlowOutcome, ReaderAuthSigner, ReaderConfig, ReaderFlow,
};
use kakunin_verifier::Verdict;
use std::process::ExitCode;
use std::time::Instant;

const CLAIMS: &str = include_str!("../docs/examples/mdl-claims.json");
const PID_CLAIMS: &str = include_str!("../docs/examples/jp-pid-claims.json");
const BATCH: usize = 5;

fn step(n: u32, what: &str) {
    println!("\n[{n}] {what}");
}

pub(crate) fn run() -> Result<ExitCode, CliError> {
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
    let wallet_dir = tmp.join("wallet");
    let fail = CliError::session_in::<kakunin_core::crypto::CryptoError>("key generation");

    step(
        1,
        "Issuer: test PKI (IACA, Document Signer, reader root + reader certificate), country JP",
    );
    let pki = TestPki::generate(c, "JP", 1, now)?;
    println!("    IACA and DS certificates made (ISO 18013-5 Annex B profiles)");

    step(2, &format!("Issuer: an mDL batch of {BATCH} single-use credentials for Yamada Hanako (born 2000-05-05)"));
    let claims: serde_json::Value =
        serde_json::from_str(CLAIMS).map_err(CliError::session_in("embedded claims"))?;
    let elements = elements_from_json(DocProfile::Mdl, &claims, now.date())?;
    let ds = pki
        .document_signers
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
    let wallet = Wallet::open(&wallet_dir)?;
    for (i, (cred, key)) in batch.iter().zip(&device_keys).enumerate() {
        wallet.store(
            &format!("mdl-{i:03}"),
            &cred.doc_type,
            &cred.issuer_signed,
            key,
        )?;
    }
    println!(
        "    {} elements per credential, each with its own device key, salts and MSO; stored in the holder's wallet",
        elements.len()
    );

    step(3, "Store till: QR engagement, a new encrypted session over BLE (in memory), DeviceRequest for age_over_20 and portrait, signed with the reader certificate");
    let anchors = TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()])
        .map_err(CliError::session_in("trust anchors"))?;
    let config = ReaderConfig::new(anchors).with_reader_auth(ReaderAuthSigner::new(
        vec![pki.reader.cert_der.clone()],
        pki.reader.key,
    ));
    let reader_trust = TrustAnchors::from_der_certs([pki.reader_root.cert_der.clone()])
        .map_err(CliError::session_in("reader trust anchors"))?;
    let policy = HolderPolicy {
        reader_trust: Some(reader_trust),
        require_reader_auth: true,
        ..HolderPolicy::default()
    };
    let run = present(&config, &wallet, policy.clone(), now)?;
    println!(
        "    SessionEstablishment: {} bytes (EReaderKey + encrypted DeviceRequest)",
        run.sizes.first().copied().unwrap_or(0)
    );

    step(
        4,
        "Holder: checks who is asking, shares only what was asked, with an unused credential",
    );
    print_holder(&run.holder);
    println!(
        "    SessionData: {} bytes (encrypted DeviceResponse)",
        run.received.first().copied().unwrap_or(0)
    );

    step(5, "Store till: verifies everything (issuer chain to the IACA, signature, digests, validity, device signature, transcript)");
    let report = run.outcome.mdoc.as_ref();
    for d in report.iter().flat_map(|r| r.documents.iter()) {
        for chk in &d.checks {
            println!("    [{}] {}", chk.outcome.name(), chk.check.name());
        }
    }

    step(6, "What the till learned");
    for d in report.iter().flat_map(|r| r.documents.iter()) {
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
    let ok = print_verdict(&run, "nothing else about the customer was sent");

    let sd_ok = sd_jwt_leg(&pki.jws_signer, tmp, &config, policy, now)?;
    let ok = ok && sd_ok;
    drop(tmp_dir);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

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

fn present(
    config: &ReaderConfig,
    store: &dyn CredentialStore,
    policy: HolderPolicy,
    now: time::OffsetDateTime,
) -> Result<Run, CliError> {
    const MTU: u16 = 185;
    let c = default_provider();
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

/// Steps 7 and 8: the holder's JP PID as SD-JWT VCs (single-use, bound to holder keys) in a
/// wallet with no mdoc; the till's same flow finds no accepted mdoc and asks, in the same
/// session, for `age_equal_or_over.20`; the holder answers with one Disclosure and a KB-JWT
/// whose nonce is bound to the session transcript; the till verifies (x5c to the IACA,
/// signature, Disclosures, validity, KB-JWT) and decides.
fn sd_jwt_leg(
    jws_signer: &kakunin_issuer::KeyAndCert,
    tmp: &std::path::Path,
    config: &ReaderConfig,
    policy: HolderPolicy,
    now: time::OffsetDateTime,
) -> Result<bool, CliError> {
    use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
    let c = default_provider();
    let fail_sd = |e: &dyn std::fmt::Display| CliError::session("SD-JWT VC", e);

    step(7, &format!("The same check with an SD-JWT VC: the issuer adds a batch of {BATCH} JP PID SD-JWT VCs to a wallet with no mdoc; the till's flow falls back to asking for age_equal_or_over.20 in the same session"));
    let claims: serde_json::Value =
        serde_json::from_str(PID_CLAIMS).map_err(CliError::session_in("embedded claims"))?;
    let elements = elements_from_json(DocProfile::JpPid, &claims, now.date())?;
    let holder_keys: Vec<EcPrivateKey> = (0..BATCH)
        .map(|_| c.generate_key(Curve::P256))
        .collect::<Result<_, _>>()
        .map_err(|e| fail_sd(&e))?;
    let publics: Vec<_> = holder_keys
        .iter()
        .map(|k| c.public_key(k))
        .collect::<Result<_, _>>()
        .map_err(|e| fail_sd(&e))?;
    let creds = issue_sd_jwt_vcs(
        c,
        &jws_signer.key,
        std::slice::from_ref(&jws_signer.cert_der),
        &elements,
        &publics,
        &SdJwtVcSettings {
            issuer_id: "https://issuer.kakunin.invalid",
            valid_from: now.unix_timestamp(),
            valid_until: (now + time::Duration::days(30)).unix_timestamp(),
            ..SdJwtVcSettings::default()
        },
    )
    .map_err(|e| fail_sd(&e))?;
    let wallet = Wallet::open(&tmp.join("sd-jwt-wallet"))?;
    for (i, (cred, key)) in creds.iter().zip(&holder_keys).enumerate() {
        wallet.store_sd_jwt(&format!("pid-{i:03}"), JP_PID_VCT, cred, key)?;
    }
    // This till shows no portrait for the SD-JWT VC: it asks for the age alone.
    let mut age_only = ReaderConfig::new(config.trust.clone());
    age_only.reader_auth = config.reader_auth.clone();
    age_only.policy.portrait = false;
    let run = present(&age_only, &wallet, policy, now)?;
    print_holder(&run.holder);
    println!(
        "    issued credentials: {} bytes each; the presentation sent: {} bytes (encrypted)",
        creds.first().map_or(0, String::len),
        run.received.last().copied().unwrap_or(0)
    );

    step(8, "What the till learned from the SD-JWT VC");
    if let Some(Ok((_, results))) = &run.outcome.sd_jwt {
        for r in results {
            match r {
                Ok(v) => {
                    for (k, val) in &v.claims {
                        if !matches!(k.as_str(), "cnf" | "iss" | "vct" | "iat" | "nbf" | "exp") {
                            println!("    {k} = {val}");
                        }
                    }
                }
                Err(e) => println!("    rejected: {e}"),
            }
        }
    }
    Ok(print_verdict(
        &run,
        "x5c to the IACA, signature, Disclosures, validity, KB-JWT bound to this session",
    ))
}
