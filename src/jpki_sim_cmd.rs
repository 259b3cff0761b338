//! `kakunin jpki-sim init | revoke | serve`: the JPKI-SIM CA directory and its virtual My
//! Number cards (holder-sim's `jpki_sim` and `jpki_card`, built to /work/shared/jpki-notes.md).
//!
//! - `init --out DIR [--card NAME --name .. --birth-date .. --sex .. --address ..]...` writes
//!   both CAs, their CRLs and one profile per card (card and smartphone); the facts pair with
//!   the `--card`s by order, and each fact is given for every card or for none (invented
//!   defaults). Without `--card`, one profile `taro`.
//! - `revoke --ca DIR --card NAME [--reason R]` lists that person's signature certificates
//!   (card and phone) on the signature CRL and re-signs it (default `affiliationChanged`: a
//!   move or a name change, notes §3.4).
//! - `serve --card DIR/NAME [--vpcd HOST:PORT]` serves the card to pcscd through vpcd with
//!   the JPKI ATR, until killed; PIN counters persist in the profile's `card-state.json`.

use crate::error::CliError;
use kakunin_core::trust::CrlReason;
use kakunin_holder_sim::jpki_card::{JpkiCard, JPKI_ATR};
use kakunin_holder_sim::jpki_sim::{self, CardSpec, Device, PersonFacts, SimError, SimSex};
use kakunin_transport::adapters::vpcd::{VirtualCard, VpcdError};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The per-card options of `init`, each in `--card` order.
pub(crate) struct CardArgs<'a> {
    pub(crate) cards: &'a [String],
    pub(crate) names: &'a [String],
    pub(crate) birth_dates: &'a [String],
    pub(crate) sexes: &'a [String],
    pub(crate) addresses: &'a [String],
    pub(crate) prefectures: &'a [String],
    pub(crate) cities: &'a [String],
}

fn sim_error(e: SimError) -> CliError {
    match e.cause() {
        kakunin_core::Cause::Misuse
            if !matches!(
                e,
                SimError::Io { .. } | SimError::Build(_) | SimError::Random(_)
            ) =>
        {
            CliError::Usage(e.to_string())
        }
        kakunin_core::Cause::Malformed => CliError::Usage(e.to_string()),
        _ => CliError::session("jpki-sim", e),
    }
}

fn pick<'a>(
    values: &'a [String],
    i: usize,
    option: &str,
    cards: usize,
) -> Result<Option<&'a str>, CliError> {
    match values.len() {
        0 => Ok(None),
        n if n == cards => Ok(values.get(i).map(String::as_str)),
        n => Err(CliError::Usage(format!(
            "{option} given {n} times for {cards} --card: give it once per card, in --card order, or not at all"
        ))),
    }
}

fn specs(args: &CardArgs<'_>) -> Result<Vec<CardSpec>, CliError> {
    if args.cards.is_empty() {
        let facts_given = [
            args.names,
            args.birth_dates,
            args.sexes,
            args.addresses,
            args.prefectures,
            args.cities,
        ]
        .iter()
        .any(|v| !v.is_empty());
        if facts_given {
            return Err(CliError::Usage(
                "person facts need a --card NAME before them".into(),
            ));
        }
        return Ok(vec![CardSpec::default_taro()]);
    }
    let n = args.cards.len();
    let mut out = Vec::with_capacity(n);
    for (i, card) in args.cards.iter().enumerate() {
        let mut facts = PersonFacts::default_taro();
        if let Some(v) = pick(args.names, i, "--name", n)? {
            facts.name = v.to_owned();
        }
        if let Some(v) = pick(args.birth_dates, i, "--birth-date", n)? {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            facts.birth_date = time::Date::parse(v, &fmt)
                .map_err(|_| CliError::Usage(format!("--birth-date {v:?}: expected YYYY-MM-DD")))?;
        }
        if let Some(v) = pick(args.sexes, i, "--sex", n)? {
            facts.sex = SimSex::from_word(v).ok_or_else(|| {
                CliError::Usage(format!("--sex {v:?}: expected male, female or not-known"))
            })?;
        }
        if let Some(v) = pick(args.addresses, i, "--address", n)? {
            facts.address = v.to_owned();
        }
        if let Some(v) = pick(args.prefectures, i, "--prefecture", n)? {
            facts.prefecture = v.to_owned();
        }
        if let Some(v) = pick(args.cities, i, "--city", n)? {
            facts.city = v.to_owned();
        }
        out.push(CardSpec {
            name: card.clone(),
            facts,
        });
    }
    Ok(out)
}

/// `jpki-sim init`.
pub(crate) fn init(out: &Path, args: &CardArgs<'_>) -> Result<ExitCode, CliError> {
    let cards = specs(args)?;
    jpki_sim::init(out, &cards, time::OffsetDateTime::now_utc()).map_err(sim_error)?;
    println!("JPKI-SIM CA written to {}", out.display());
    for c in &cards {
        // The PINs stay in the 0600 file; never printed.
        println!(
            "  card {0}: {1}/{0}/ (PINs in {1}/{0}/pins.json), phone: {1}/{0}/phone/",
            c.name,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `jpki-sim revoke`.
pub(crate) fn revoke(ca: &Path, card: &str, reason: Option<&str>) -> Result<ExitCode, CliError> {
    let reason = match reason {
        None => jpki_sim::DEFAULT_REASON,
        Some(r) => {
            let reason = CrlReason::from_name(r).ok_or_else(|| {
                CliError::Usage(format!(
                    "--reason {r:?}: expected an RFC 5280 reason name such as affiliationChanged or keyCompromise"
                ))
            })?;
            if reason == CrlReason::RemoveFromCrl {
                return Err(CliError::Usage(
                    "--reason removeFromCRL belongs in delta CRLs only".into(),
                ));
            }
            reason
        }
    };
    let done =
        jpki_sim::revoke(ca, card, reason, time::OffsetDateTime::now_utc()).map_err(sim_error)?;
    println!(
        "revoked {} signature certificate(s) of {card} ({}); jpki-sign.crl number {}",
        done.serials.len(),
        reason.name(),
        done.crl_number
    );
    for s in &done.serials {
        println!("  serial {}", hex::encode(s));
    }
    Ok(ExitCode::SUCCESS)
}

/// `jpki-sim serve`: until killed (or vpcd unreachable at the start).
pub(crate) fn serve(card_dir: &Path, vpcd: &str) -> Result<ExitCode, CliError> {
    let mut card = JpkiCard::load(card_dir, Device::Card).map_err(sim_error)?;
    eprintln!(
        "serving the virtual My Number card {} through vpcd at {vpcd} (Ctrl-C to stop)",
        card_dir.display()
    );
    let mut first = true;
    loop {
        let served = VirtualCard::serve_with_reinsertion_as(
            vpcd,
            &JPKI_ATR,
            &mut card,
            // Re-insert when pcscd leaves the fresh card unpowered (see the vpcd adapter).
            Duration::from_secs(5),
            1,
            |c, _| c.reset(),
            |_| false,
        );
        match served {
            // vpcd closed the connection (pcscd restarted): insert the card again.
            Ok(_) | Err(VpcdError::Idle) => {}
            Err(VpcdError::Io(e)) if first => {
                return Err(CliError::session("vpcd", e));
            }
            Err(e) => {
                eprintln!("kakunin: vpcd: {e}; reconnecting");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        // The counters on disk are the truth; the volatile state ends with the insertion.
        card.reset();
        first = false;
    }
}
