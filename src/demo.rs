//! `kakunin demo`: the whole flow on embedded defaults, in a temporary directory — a test PKI,
//! an mDL batch for one holder, a store till asking for `age_over_20` and the portrait, the
//! holder answering, the till verifying, and what the till learned; then the same age check
//! with the holder's Japanese PID as an SD-JWT VC (docs/profiles/sd-jwt-proximity.md).

use crate::error::CliError;
use crate::input::short_value;
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, sign_reader_auth,
    RequestedElement, SessionTranscript, ValidityInfo,
};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{respond, HolderPolicy, Wallet};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_verifier::Verifier;
use std::process::ExitCode;

const CLAIMS: &str = include_str!("../docs/examples/mdl-claims.json");
const PID_CLAIMS: &str = include_str!("../docs/examples/jp-pid-claims.json");
const BATCH: usize = 5;

fn step(n: u32, what: &str) {
    println!("\n[{n}] {what}");
}

pub fn run() -> Result<ExitCode, CliError> {
    let c = default_provider();
    let now = time::OffsetDateTime::now_utc();
    let tmp = std::env::temp_dir().join(format!(
        "kakunin-demo-{}-{}",
        std::process::id(),
        now.unix_timestamp_nanos()
    ));
    let wallet_dir = tmp.join("wallet");
    let fail = |e: kakunin_core::crypto::CryptoError| CliError::Usage(e.to_string());

    step(
        1,
        "Issuer: test PKI (IACA, Document Signer, reader root + reader certificate), country JP",
    );
    let pki = TestPki::generate(c, "JP", 1, now)?;
    println!("    IACA and DS certificates made (ISO 18013-5 Annex B profiles)");

    step(2, &format!("Issuer: an mDL batch of {BATCH} single-use credentials for Yamada Hanako (born 2000-05-05)"));
    let claims: serde_json::Value = serde_json::from_str(CLAIMS)
        .map_err(|e| CliError::Usage(format!("embedded claims: {e}")))?;
    let elements = elements_from_json(DocProfile::Mdl, &claims, now.date())?;
    let ds = &pki.document_signers[0];
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

    step(3, "Store till: new session, DeviceRequest for age_over_20 and portrait, signed with the reader certificate");
    let device_eph = c
        .public_key(&c.generate_key(Curve::P256).map_err(fail)?)
        .map_err(fail)?;
    let reader_eph = c.generate_key(Curve::P256).map_err(fail)?;
    let reader_eph_pub = c.public_key(&reader_eph).map_err(fail)?;
    let transcript = SessionTranscript::build(
        &wrap_tag24(&encode_device_engagement(&device_eph, &[])),
        &wrap_tag24(&encode_cose_key(&reader_eph_pub)),
        &[0xf6],
    );
    let wanted: Vec<RequestedElement> = ["age_over_20", "portrait"]
        .iter()
        .map(|e| RequestedElement {
            namespace: kakunin_core::mdoc::MDL_NAMESPACE.into(),
            element: e.to_string(),
            intent_to_retain: false,
        })
        .collect();
    let items = encode_items_request(DocProfile::Mdl.doc_type(), &wanted);
    let ra = sign_reader_auth(
        c,
        &pki.reader.key,
        std::slice::from_ref(&pki.reader.cert_der),
        &transcript,
        &items,
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let request = encode_device_request(&[(items, Some(ra.raw().to_vec()))]);
    println!("    DeviceRequest: {} bytes", request.len());

    step(
        4,
        "Holder: checks who is asking, shares only what was asked, with an unused credential",
    );
    let reader_trust = TrustAnchors::from_der_certs([pki.reader_root.cert_der.clone()])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let policy = HolderPolicy {
        reader_trust: Some(reader_trust),
        require_reader_auth: true,
        ..HolderPolicy::default()
    };
    let presentation = respond(
        c,
        &wallet,
        &request,
        transcript.tagged_bytes(),
        &policy,
        None,
        now,
    )?;
    for line in crate::holder_cmd::describe(&presentation).lines() {
        println!("    {line}");
    }
    println!("    DeviceResponse: {} bytes", presentation.response.len());

    step(5, "Store till: verifies everything (issuer chain to the IACA, signature, digests, validity, device signature, transcript)");
    let anchors = TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let started = std::time::Instant::now();
    let report = Verifier::new(&anchors)
        .with_reader_key(&reader_eph)
        .verify_device_response(&presentation.response, transcript.tagged_bytes(), now);
    let took = started.elapsed();
    for d in &report.documents {
        for chk in &d.checks {
            println!("    [{}] {}", chk.outcome.name(), chk.check.name());
        }
    }

    step(6, "What the till learned");
    let over_20 = report
        .documents
        .first()
        .and_then(|d| d.verified_value(kakunin_core::mdoc::MDL_NAMESPACE, "age_over_20"));
    for d in &report.documents {
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
    let ok = report.valid() && over_20 == Some(&kakunin_core::cbor::Value::Bool(true));
    println!(
        "\n    verdict: {}   (verified in {:.1} ms; nothing else about the customer was sent)",
        if ok { "OK - over 20" } else { "NG" },
        took.as_secs_f64() * 1e3
    );

    let sd_ok = sd_jwt_leg(&pki, &tmp, &transcript, now)?;
    let _ = std::fs::remove_dir_all(&tmp);
    let ok = ok && sd_ok;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Steps 7 and 8: the holder's JP PID as SD-JWT VCs (single-use, bound to holder keys), the
/// till asking for `age_equal_or_over.20` in the same session, the holder answering with one
/// Disclosure and a KB-JWT whose nonce is bound to the session transcript, and the till
/// verifying (x5c to the IACA, signature, Disclosures, validity, KB-JWT).
fn sd_jwt_leg(
    pki: &TestPki,
    tmp: &std::path::Path,
    transcript: &SessionTranscript,
    now: time::OffsetDateTime,
) -> Result<bool, CliError> {
    use kakunin_core::sdjwt::proximity::{encode_request, SdJwtRequest};
    use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
    let c = default_provider();
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());

    step(7, &format!("The same check with an SD-JWT VC: the issuer adds a batch of {BATCH} JP PID SD-JWT VCs; the till asks for age_equal_or_over.20"));
    let claims: serde_json::Value = serde_json::from_str(PID_CLAIMS)
        .map_err(|e| CliError::Usage(format!("embedded claims: {e}")))?;
    let elements = elements_from_json(DocProfile::JpPid, &claims, now.date())?;
    let holder_keys: Vec<EcPrivateKey> = (0..BATCH)
        .map(|_| c.generate_key(Curve::P256))
        .collect::<Result<_, _>>()
        .map_err(|e| usage(&e))?;
    let publics: Vec<_> = holder_keys
        .iter()
        .map(|k| c.public_key(k))
        .collect::<Result<_, _>>()
        .map_err(|e| usage(&e))?;
    let creds = issue_sd_jwt_vcs(
        c,
        &pki.jws_signer.key,
        std::slice::from_ref(&pki.jws_signer.cert_der),
        &elements,
        &publics,
        &SdJwtVcSettings {
            issuer_id: "https://issuer.kakunin.invalid",
            valid_from: now.unix_timestamp(),
            valid_until: (now + time::Duration::days(30)).unix_timestamp(),
            ..SdJwtVcSettings::default()
        },
    )
    .map_err(|e| usage(&e))?;
    let wallet = Wallet::open(&tmp.join("sd-jwt-wallet"))?;
    for (i, (cred, key)) in creds.iter().zip(&holder_keys).enumerate() {
        wallet.store_sd_jwt(&format!("pid-{i:03}"), JP_PID_VCT, cred, key)?;
    }
    let request = encode_request(&[SdJwtRequest {
        vct: JP_PID_VCT.into(),
        claims: vec!["age_equal_or_over.20".into()],
    }]);
    let (response, _) = kakunin_holder_sim::sd_jwt::respond_sd_jwt(
        c,
        &wallet,
        &request,
        transcript,
        &kakunin_holder_sim::Consent::ApproveAll,
        now,
    )?;
    println!(
        "    issued credentials: {} bytes each; the presentation sent: {} bytes",
        creds.first().map_or(0, String::len),
        response.len()
    );

    step(8, "What the till learned from the SD-JWT VC");
    let anchors =
        TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()]).map_err(|e| usage(&e))?;
    let started = std::time::Instant::now();
    let (status, results) =
        kakunin_verifier::verify_sd_jwt_response(c, &response, transcript, &anchors, now)
            .map_err(|e| usage(&e))?;
    let took = started.elapsed();
    let mut ok = status == 0 && results.len() == 1;
    for r in &results {
        match r {
            Ok(v) => {
                for (k, val) in &v.claims {
                    if !matches!(k.as_str(), "cnf" | "iss" | "vct" | "iat" | "nbf" | "exp") {
                        println!("    {k} = {val}");
                    }
                }
                ok &= v.claims.get("age_equal_or_over").and_then(|a| a.get("20"))
                    == Some(&serde_json::Value::Bool(true));
            }
            Err(e) => {
                println!("    rejected: {e}");
                ok = false;
            }
        }
    }
    println!(
        "\n    verdict: {}   (verified in {:.1} ms: x5c to the IACA, signature, Disclosures, validity, KB-JWT bound to this session)",
        if ok { "OK - over 20" } else { "NG" },
        took.as_secs_f64() * 1e3
    );
    Ok(ok)
}
