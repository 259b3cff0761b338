//! `kakunin holder-sim enroll`: one JPKI-proofed enrolment at the issuer service
//! (docs/profiles/jpki-enrolment.md) — nonce, both JPKI signatures over fresh device keys, the
//! issued mdoc and SD-JWT VC batches into the wallet. The JPKI side is either the card that
//! `jpki-sim serve` (or a real reader) offers through pcscd (`--card vpcd`), or the smartphone
//! JPKI of a JPKI-SIM profile (`--card phone --profile DIR/NAME`). The command only parses,
//! calls `kakunin_holder_sim::enrolment` and `kakunin_issuer_server::enrol_client`, and
//! prints; PINs come from `--pin-file`, a prompt or standard input, never from argv.

use crate::error::CliError;
use crate::escape::escape;
use kakunin_core::crypto::default_provider;
use kakunin_holder_sim::enrolment::{self, EnrolmentError, EnrolmentKeys, NonceOffer};
use kakunin_holder_sim::Wallet;
use kakunin_issuer_server::enrol_client::{self, EnrolClientError};
use std::path::Path;
use std::process::ExitCode;
use zeroize::Zeroizing;

/// Where the JPKI signatures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CardSource {
    /// A card in a PC/SC reader (the virtual card of `jpki-sim serve` through vpcd).
    Vpcd,
    /// The smartphone JPKI of a JPKI-SIM profile (`--profile DIR/NAME`).
    Phone,
}

/// `kakunin holder-sim enroll`'s arguments.
pub(crate) struct EnrollArgs<'a> {
    /// The JPKI side.
    pub(crate) card: CardSource,
    /// The profile directory (phone).
    pub(crate) profile: Option<&'a Path>,
    /// The issuer's base URL.
    pub(crate) issuer: &'a str,
    /// The wallet directory.
    pub(crate) wallet: &'a Path,
    /// The PIN file.
    pub(crate) pin_file: Option<&'a Path>,
    /// The PC/SC reader name (substring); default: the first "Virtual PCD" answering the JPKI-AP.
    pub(crate) pcsc_reader: Option<&'a str>,
    /// Credentials per format.
    pub(crate) mdoc: usize,
    /// SD-JWT VCs.
    pub(crate) sd_jwt: usize,
    /// The device's label at the issuer.
    pub(crate) label: Option<&'a str>,
}

/// Run one enrolment.
pub(crate) fn enroll(a: &EnrollArgs<'_>) -> Result<ExitCode, CliError> {
    let crypto = default_provider();
    let wallet = Wallet::open(a.wallet)?;
    let (sign_pin, auth_pin) = match a.pin_file {
        Some(p) => crate::jpki_cmd::pins_from_file(p)?,
        None => crate::jpki_cmd::pins_interactive()?,
    };
    let keys = EnrolmentKeys::generate(crypto, a.mdoc, a.sd_jwt).map_err(usage_or_session)?;
    let offer = match enrol_client::fetch_nonce(a.issuer) {
        Ok(body) => NonceOffer::parse(&body).map_err(CliError::session_in("issuer"))?,
        Err(e) => return refused_or(e),
    };
    let prepared = enrolment::prepare(crypto, &offer, &keys).map_err(usage_or_session)?;
    let signed =
        match a.card {
            CardSource::Phone => {
                let profile = a.profile.ok_or_else(|| {
                    CliError::Usage("--card phone needs --profile DIR/NAME".to_string())
                })?;
                let mut phone = kakunin_holder_sim::jpki_card::SimulatedPhone::load(profile)
                    .map_err(|e| CliError::BadInput {
                        path: profile.to_path_buf(),
                        reason: e.to_string(),
                    })?;
                let pin = |text: &Zeroizing<String>, which: &str| {
                    kakunin_core::secret::Pin::parse(text)
                        .map_err(|e| CliError::Usage(format!("{which} PIN: {e}")))
                };
                let sp = pin(&sign_pin, "signature")?;
                let ap = pin(&auth_pin, "authentication")?;
                enrolment::sign_with_phone(&mut phone, &sp, &ap, prepared, a.label)
            }
            CardSource::Vpcd => sign_vpcd(a, sign_pin, auth_pin, prepared)?,
        };
    let body = match signed {
        Ok(b) => b,
        Err(e) => return card_refused(e),
    };
    let answer = match enrol_client::enrol(a.issuer, &body) {
        Ok(answer) => answer,
        Err(e) => return refused_or(e),
    };
    let prefix = wallet_prefix()?;
    let outcome =
        enrolment::store_answer(&wallet, keys, &answer, &prefix).map_err(|e| match e {
            EnrolmentError::Wallet(w) => CliError::Wallet(w),
            other => CliError::session("issuer answer", other),
        })?;
    println!("person: {}", escape(&outcome.person));
    println!("device: {}", escape(&outcome.device));
    println!("mdoc: {} credentials stored", outcome.mdoc_ids.len());
    println!("sd-jwt vc: {} credentials stored", outcome.sd_jwt_ids.len());
    Ok(ExitCode::SUCCESS)
}

/// A fresh wallet-id prefix, so a second enrolment never overwrites the first one's entries.
fn wallet_prefix() -> Result<String, CliError> {
    let mut r = [0u8; 6];
    default_provider()
        .fill_random(&mut r)
        .map_err(CliError::session_in("random"))?;
    Ok(format!("jpki-{}", hex::encode(r)))
}

fn usage_or_session(e: EnrolmentError) -> CliError {
    match e {
        EnrolmentError::BatchSize(_) => CliError::Usage(e.to_string()),
        other => CliError::session("enrolment", other),
    }
}

/// An issuer refusal (4xx) exits 1 with its code; anything else is a runtime failure.
fn refused_or(e: EnrolClientError) -> Result<ExitCode, CliError> {
    match e {
        EnrolClientError::Refused { status, code } => {
            eprintln!("kakunin: the issuer refused the enrolment (HTTP {status}): {code}");
            Ok(ExitCode::from(1))
        }
        other => Err(CliError::session("issuer", other)),
    }
}

/// A PIN the card or phone refused exits 1 with the tries left (never retried).
fn card_refused(e: EnrolmentError) -> Result<ExitCode, CliError> {
    use kakunin_jpki::JpkiError;
    match e {
        EnrolmentError::Card {
            error: JpkiError::WrongPin { kind, tries_left },
            ..
        } => {
            eprintln!("kakunin: wrong {kind}: {tries_left} tries left (not retried)");
            Ok(ExitCode::from(1))
        }
        EnrolmentError::Card {
            error: JpkiError::Locked { kind },
            ..
        } => {
            eprintln!("kakunin: the {kind} is locked; nothing was sent");
            Ok(ExitCode::from(1))
        }
        EnrolmentError::JpkiSigner { key, error } => {
            eprintln!("kakunin: the {key} key refused: {error} (not retried)");
            Ok(ExitCode::from(1))
        }
        other => Err(CliError::session("JPKI card", other)),
    }
}

#[cfg(feature = "pcsc")]
fn sign_vpcd(
    a: &EnrollArgs<'_>,
    sign_pin: Zeroizing<String>,
    auth_pin: Zeroizing<String>,
    prepared: enrolment::PreparedEnrolment,
) -> Result<Result<Vec<u8>, EnrolmentError>, CliError> {
    use kakunin_jpki::{AuthenticationPin, JpkiCard, SignaturePin};
    use kakunin_transport::adapters::pcsc::PcscCard;
    use std::time::Duration;
    let sp = SignaturePin::try_from(sign_pin)
        .map_err(|e| CliError::Usage(format!("signature PIN: {e}")))?;
    let ap = AuthenticationPin::try_from(auth_pin)
        .map_err(|e| CliError::Usage(format!("authentication PIN: {e}")))?;
    let no_card = |why: String| CliError::session("PC/SC", why);
    let mut card = match a.pcsc_reader {
        Some(name) => JpkiCard::new(
            PcscCard::connect(name, Duration::from_secs(10)).map_err(|e| no_card(e.to_string()))?,
        ),
        None => {
            let readers = PcscCard::readers().map_err(|e| no_card(e.to_string()))?;
            let mut found = None;
            for r in readers.iter().filter(|r| r.contains("Virtual PCD")) {
                let Ok(link) = PcscCard::connect(r, Duration::from_secs(2)) else {
                    continue;
                };
                let mut card = JpkiCard::new(link);
                if card.select_jpki_ap().is_ok() {
                    found = Some(card);
                    break;
                }
            }
            found.ok_or_else(|| {
                no_card("no \"Virtual PCD\" reader answers the JPKI-AP (use --pcsc-reader)".into())
            })?
        }
    };
    Ok(enrolment::sign_with_card(
        default_provider(),
        &mut card,
        sp,
        ap,
        prepared,
        a.label,
    ))
}

#[cfg(not(feature = "pcsc"))]
fn sign_vpcd(
    a: &EnrollArgs<'_>,
    _sign_pin: Zeroizing<String>,
    _auth_pin: Zeroizing<String>,
    _prepared: enrolment::PreparedEnrolment,
) -> Result<Result<Vec<u8>, EnrolmentError>, CliError> {
    Err(CliError::Usage(format!(
        "this build has no PC/SC support (--card vpcd, reader {}): build with --features pcsc",
        a.pcsc_reader.unwrap_or("the first \"Virtual PCD\"")
    )))
}
