//! The demo's first leg (issue 17): JPKI proofing and issuance. A JPKI-SIM in memory, the
//! issuer service in-process over real HTTP, the holder enrolling with the virtual My Number
//! card through the JPKI client, the credentials of both formats in the holder's wallet, and
//! the till's copy of the issuer's status list.

use super::{step, took};
use crate::error::CliError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kakunin_holder_sim::enrolment::{
    prepare, sign_with_card, store_answer, EnrolmentKeys, NonceOffer,
};
use kakunin_holder_sim::jpki_card::JpkiCard as VirtualCard;
use kakunin_holder_sim::jpki_sim::{generate, CardSpec};
use kakunin_holder_sim::Wallet;
use kakunin_issuer::proofing::JpkiProofing;
use kakunin_issuer_server::enrol_client::{self, fetch_nonce};
use kakunin_issuer_server::{IssuerConfig, LocalIssuer};
use kakunin_jpki::profile::Sex;
use kakunin_jpki::{AuthenticationPin, JpkiCard, SignatureCertificate, SignaturePin};
use kakunin_status_fetch::{Accept, Fetcher, StatusCache};
use kakunin_verifier::StatusSource;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// What the proofing leg leaves for the presentations.
pub(super) struct Enrolled {
    /// The holder's wallet: the PID as mdocs and as SD-JWT VCs.
    pub(super) wallet: Wallet,
    /// The till's copy of the issuer's status lists.
    pub(super) status: Arc<dyn StatusSource + Send + Sync>,
    /// The running issuer service (stopped when this is dropped).
    _issuer: LocalIssuer,
}

fn failed<E: std::fmt::Display>(context: &'static str) -> impl Fn(E) -> CliError + Copy {
    move |e| CliError::session(context, e)
}

fn as_text(pin: &[u8]) -> Result<&str, CliError> {
    std::str::from_utf8(pin).map_err(|_| CliError::session("virtual card", "a PIN is not text"))
}

fn sex(s: Sex) -> &'static str {
    match s {
        Sex::Male => "male (1)",
        Sex::Female => "female (2)",
        _ => "not known",
    }
}

/// Steps 2 to 4. `tmp` is the demo's temporary directory, with the issuer PKI in `tmp/pki`.
pub(super) fn enrol(tmp: &Path, now: time::OffsetDateTime) -> Result<Enrolled, CliError> {
    let c = kakunin_core::crypto::default_provider();

    step(2, "JPKI-SIM: signature and authentication CAs (O=JPKI-SIM, never the real J-LIS), their CRLs, and the virtual My Number card of an invented person, in memory");
    let t = Instant::now();
    let sim = generate(&[CardSpec::default_taro()], now).map_err(failed("JPKI-SIM"))?;
    let jpki_dir = tmp.join("jpki-ca");
    std::fs::create_dir(&jpki_dir).map_err(|source| CliError::Write {
        path: jpki_dir.clone(),
        source,
    })?;
    sim.write_trust_dir(&jpki_dir).map_err(failed("JPKI-SIM"))?;
    let person = sim
        .people
        .into_iter()
        .next()
        .ok_or_else(|| CliError::session("JPKI-SIM", "no card was made"))?;
    println!("    RSA-2048 CA keys, the card's signature and authentication certificates, both PINs (kept on the card's side)");
    took(t);

    step(3, "Issuer service: started in this process on a loopback port, its registry in SQLite in the demo's temporary directory, JpkiProofing over the JPKI-SIM CAs");
    let t = Instant::now();
    let proofing = JpkiProofing::from_dir(&jpki_dir, c).map_err(failed("JPKI CAs"))?;
    let mut config = IssuerConfig::new(&tmp.join("pki"), &jpki_dir, &tmp.join("issuer-data"));
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    // A small list: the demo issues ten credentials.
    config.status_list_size = 1024;
    let issuer =
        LocalIssuer::start(config, Arc::new(proofing)).map_err(failed("issuer service"))?;
    let url = issuer.url().to_owned();
    println!("    {url}: POST /enrol/nonce, POST /enrol, GET /status/{{list}}");
    took(t);

    step(4, &format!("Holder: enrols with the virtual My Number card through the JPKI client (APDUs in memory, no pcscd): a nonce, {} fresh device keys, both PINs, both card keys sign", 2 * super::BATCH + 1));
    let t = Instant::now();
    let offer_bytes = fetch_nonce(&url).map_err(failed("POST /enrol/nonce"))?;
    let offer = NonceOffer::parse(&offer_bytes).map_err(failed("nonce offer"))?;
    let keys =
        EnrolmentKeys::generate(c, super::BATCH, super::BATCH).map_err(failed("device keys"))?;
    let prepared = prepare(c, &offer, &keys).map_err(failed("enrolment"))?;
    println!(
        "    POST /enrol/nonce -> 201: a {}-byte single-use nonce for issuer {}; each device key proves possession over it",
        offer.nonce.len(),
        offer.issuer
    );
    let pins = &person.card.pins;
    let sign_pin = SignaturePin::new(as_text(pins.signature.expose_secret())?)
        .map_err(failed("signature PIN"))?;
    let auth_pin = AuthenticationPin::new(as_text(pins.authentication.expose_secret())?)
        .map_err(failed("authentication PIN"))?;
    let mut card = JpkiCard::new(VirtualCard::in_memory(person.card));
    let body = sign_with_card(
        c,
        &mut card,
        sign_pin,
        auth_pin,
        prepared,
        Some("kakunin demo"),
    )
    .map_err(failed("card"))?;
    println!("    card: JPKI-AP selected; authentication PIN and signature PIN presented and accepted (not shown); both certificates read; the enrolment challenge signed by the signature key and by the authentication key (RSA-2048, PKCS#1 v1.5)");
    let answer_bytes = enrol_client::enrol(&url, &body).map_err(failed("POST /enrol"))?;
    let answer: serde_json::Value =
        serde_json::from_slice(&answer_bytes).map_err(failed("issuer answer"))?;
    let text = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    println!(
        "    POST /enrol -> 201: chain, CRL, validity and both signatures checked; proofing method {}, level {}",
        text(answer.pointer("/proofing/method")),
        text(answer.pointer("/proofing/level"))
    );
    // The four facts, from the signature certificate the card gave (it is in the request).
    let request: serde_json::Value = serde_json::from_slice(&body).map_err(failed("enrolment"))?;
    let cert = request
        .get("signature_certificate")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or_else(|| CliError::session("enrolment", "no signature certificate"))?;
    let facts = SignatureCertificate::parse(&cert)
        .map_err(failed("signature certificate"))?
        .facts;
    println!("    taken from the signature certificate (an invented person): name {}, born {}, sex {}, address {}",
        facts.name,
        facts.date_of_birth.map_or_else(|| "?".to_owned(), |d| d.to_string()),
        sex(facts.sex),
        facts.address);

    let wallet = Wallet::open(&tmp.join("jpki-wallet"))?;
    let stored = store_answer(&wallet, keys, &answer_bytes, "pid").map_err(failed("wallet"))?;
    println!(
        "    stored in the holder's wallet: {} PID mdocs and {} PID SD-JWT VCs derived from those facts, each bound to its own device key, each on the issuer's status list",
        stored.mdoc_ids.len(),
        stored.sd_jwt_ids.len()
    );

    // The till's status cache, filled from the issuer's published lists.
    let uris: BTreeSet<String> = ["mdoc", "sd_jwt_vc"]
        .iter()
        .filter_map(|k| answer.get(*k).and_then(serde_json::Value::as_array))
        .flatten()
        .filter_map(|e| {
            e.pointer("/status/status_list/uri")
                .and_then(serde_json::Value::as_str)
        })
        .map(str::to_owned)
        .collect();
    let cache = StatusCache::open(tmp.join("till-status")).map_err(failed("status cache"))?;
    let fetcher = Fetcher::new().with_accept(Accept::Jwt);
    for uri in &uris {
        fetcher
            .fetch(uri, &cache, time::OffsetDateTime::now_utc())
            .map_err(failed("status list"))?;
        println!("    till: status list {uri} fetched (signed by the issuer's DS)");
    }
    took(t);
    Ok(Enrolled {
        wallet,
        status: Arc::new(cache),
        _issuer: issuer,
    })
}
