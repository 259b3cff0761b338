//! `kakunin conformance wallet`: act as a reader against a wallet under test with the wallet
//! suite of `kakunin-conformance` (docs/conformance.md), over the simulated BLE link (`--qr
//! URI --ble-sim`: one engagement, one connection per case) or NFC through PC/SC (`--nfc`),
//! and write the reports.

use crate::error::CliError;
use crate::input::{read_anchors, read_file, read_private_key};
use crate::proximity_links::SocketPipe;
use kakunin_conformance::report::write_reports;
use kakunin_conformance::wallet_suite::{
    run_wallet_suite, TargetError, WalletSession, WalletSuiteConfig, WalletTarget,
};
use kakunin_core::crypto::{default_provider, CryptoProvider};
use kakunin_transport::link::LinkError;
use kakunin_verifier::flow::{ble_peripheral_uuid, Engagement, ReaderAuthSigner};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The command's arguments.
pub(crate) struct Args<'a> {
    pub(crate) nfc: bool,
    pub(crate) pcsc_reader: Option<&'a str>,
    pub(crate) qr: Option<&'a str>,
    pub(crate) ble_sim: bool,
    pub(crate) report: &'a Path,
    /// The IACAs the wallet's credentials chain to.
    pub(crate) trust_anchors: &'a [PathBuf],
    /// The reader certificate the wallet trusts, and its key.
    pub(crate) reader_cert: &'a Path,
    pub(crate) reader_key: &'a Path,
    /// Per-case deadline.
    pub(crate) case_timeout: Duration,
    /// The SD-JWT VC case is required.
    pub(crate) require_sd_jwt: bool,
    /// The wallet holds no JP PID mdoc (its cases are optional).
    pub(crate) without_jp_pid: bool,
}

/// The wallet behind one QR engagement over the simulated BLE radio: each case connects
/// anew to the peripheral advertising the engagement's service UUID (the wallet must accept
/// one connection per session on the same engagement: `holder-sim serve --ble-sim
/// --sessions N`).
struct SimBleTarget {
    uri: String,
    uuid: [u8; 16],
}

impl WalletTarget for SimBleTarget {
    fn describe(&self) -> String {
        format!("simulated BLE (mdoc peripheral server mode), {}", self.uri)
    }

    fn connect(
        &mut self,
        _crypto: &dyn CryptoProvider,
        deadline: Instant,
    ) -> Result<WalletSession, TargetError> {
        // The wallet may still be closing the previous session: retry until the deadline.
        let pipe = loop {
            match SocketPipe::connect(&self.uuid) {
                Ok(p) => break p,
                Err(e) if Instant::now() >= deadline => {
                    return Err(TargetError::Link {
                        step: "connect to the simulated peripheral",
                        source: e,
                    })
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        let link = pipe
            .framed()
            .map_err(|source: LinkError| TargetError::Link {
                step: "BLE framing",
                source,
            })?;
        Ok(WalletSession {
            engagement: Engagement::Qr {
                uri: self.uri.clone(),
            },
            link: Box::new(link),
        })
    }
}

/// The wallet tapped on a PC/SC reader: one tap (card session) per case.
#[cfg(feature = "pcsc")]
fn nfc_target(reader: Option<&str>, wait: Duration) -> Result<Box<dyn WalletTarget>, CliError> {
    let target = kakunin_conformance::wallet_suite::pcsc_target::PcscTarget::open(reader, wait)
        .map_err(|e| CliError::session("NFC (PC/SC)", e))?;
    println!(
        "conformance wallet: NFC through PC/SC reader {:?}",
        target.reader()
    );
    Ok(Box::new(target))
}

#[cfg(not(feature = "pcsc"))]
fn nfc_target(reader: Option<&str>, _: Duration) -> Result<Box<dyn WalletTarget>, CliError> {
    Err(CliError::Usage(format!(
        "conformance wallet --nfc{}: this build has no PC/SC support: build with --features pcsc",
        reader
            .map(|r| format!(" --pcsc-reader {r}"))
            .unwrap_or_default()
    )))
}

/// A reader nobody trusts: a fresh throw-away PKI's reader certificate.
fn untrusted_reader(
    c: &dyn CryptoProvider,
    now: time::OffsetDateTime,
) -> Result<ReaderAuthSigner, CliError> {
    let pki = kakunin_issuer::TestPki::generate(c, "ZZ", 1, now - time::Duration::days(1))?;
    Ok(ReaderAuthSigner::new(
        vec![pki.reader.cert_der.clone()],
        pki.reader.key,
    ))
}

fn config(a: &Args<'_>, c: &dyn CryptoProvider) -> Result<WalletSuiteConfig, CliError> {
    let now = time::OffsetDateTime::now_utc();
    let cert =
        kakunin_core::trust::parse_certificate_input(&read_file(a.reader_cert)?).map_err(|e| {
            CliError::BadInput {
                path: a.reader_cert.into(),
                reason: e.to_string(),
            }
        })?;
    let reader = ReaderAuthSigner::new(vec![cert], read_private_key(a.reader_key)?);
    let mut config = WalletSuiteConfig::new(
        read_anchors(a.trust_anchors)?,
        reader,
        untrusted_reader(c, now)?,
        now,
    );
    config.case_deadline = a.case_timeout;
    config.sd_jwt_required = a.require_sd_jwt;
    config.jp_pid_required = !a.without_jp_pid;
    Ok(config)
}

/// Run the suite; exit 0 only when every required case passed.
pub(crate) fn run(a: &Args<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    if a.case_timeout.is_zero() {
        return Err(CliError::Usage("--case-timeout must be at least 1".into()));
    }
    let mut target: Box<dyn WalletTarget> = match (a.nfc, a.qr, a.ble_sim) {
        (false, Some(uri), true) => {
            let engaged = Engagement::Qr { uri: uri.into() }
                .resolve()
                .map_err(|e| CliError::Usage(format!("engagement: {e}")))?;
            let uuid = ble_peripheral_uuid(&engaged.device_engagement).ok_or_else(|| {
                CliError::Usage("the engagement offers no BLE peripheral server mode UUID".into())
            })?;
            Box::new(SimBleTarget {
                uri: uri.into(),
                uuid,
            })
        }
        (true, None, false) => nfc_target(a.pcsc_reader, a.case_timeout)?,
        _ => {
            return Err(CliError::Usage(
                "use --qr URI with --ble-sim, or --nfc".into(),
            ))
        }
    };
    let config = config(a, c)?;
    let report = run_wallet_suite(target.as_mut(), &config, c);
    for r in &report.cases {
        let mark = match r.grade {
            kakunin_conformance::Grade::Pass => "pass",
            kakunin_conformance::Grade::Fail if r.required => "FAIL",
            kakunin_conformance::Grade::Fail => "fail (optional)",
        };
        match &r.failing_check {
            Some(why) if r.grade == kakunin_conformance::Grade::Fail => {
                println!("{mark} {} — {why}", r.id);
            }
            _ => println!("{mark} {}", r.id),
        }
    }
    let written = write_reports(a.report, &report).map_err(|e| CliError::Session {
        context: "report".into(),
        message: e.to_string(),
    })?;
    println!(
        "conformance wallet: {} passed, {} failed of {} cases in {:.1} s; reports in {}",
        report.passed(),
        report.failed(),
        report.cases.len(),
        report.elapsed.as_secs_f64(),
        written.json.parent().map_or_else(
            || a.report.display().to_string(),
            |p| p.display().to_string()
        )
    );
    Ok(if report.all_required_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
