//! `kakunin`: the command-line tool. It only parses arguments, reads files and prints; the
//! work is done by the library crates.
#![forbid(unsafe_code)]

mod input;
mod inspect;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kakunin",
    version,
    about = "Issue, hold and verify ISO 18013-5 mdoc credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every ISO 18013-5 Annex D check; exit 0 only if all pass.
    Vectors {
        /// Print a JSON object instead of one line per check.
        #[arg(long)]
        json: bool,
    },
    /// Verify a DeviceResponse completely (exit 0 valid, 1 invalid, 2 usage or input error).
    VerifyResponse {
        /// DeviceResponse, raw CBOR or hex.
        #[arg(long, value_name = "FILE")]
        response: PathBuf,
        /// SessionTranscript CBOR (bare array or tag-24 SessionTranscriptBytes), raw or hex.
        #[arg(long, value_name = "FILE")]
        transcript: PathBuf,
        /// Trusted IACA certificate (DER, PEM or hex); repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// The reader's ephemeral private key, needed for DeviceMac (PKCS#8 DER/PEM, SEC1 PEM, raw or hex scalar).
        #[arg(long, value_name = "FILE")]
        reader_key: Option<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify the readerAuth of a DeviceRequest (exit 0 authenticated, 1 not, 2 input error).
    VerifyRequest {
        /// DeviceRequest, raw CBOR or hex.
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// SessionTranscript CBOR, raw or hex.
        #[arg(long, value_name = "FILE")]
        transcript: PathBuf,
        /// Trusted reader-authentication root certificate; repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE", required = true)]
        trust_anchors: Vec<PathBuf>,
        /// Verification time (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print any 18013-5 structure in CBOR diagnostic notation, tag-24 contents decoded.
    Inspect {
        /// Raw CBOR, hex, or an `mdoc:` engagement URI.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Vectors { json } => Ok(run_vectors(json)),
        Command::VerifyResponse {
            response,
            transcript,
            trust_anchors,
            reader_key,
            at,
            json,
        } => verify_response(
            &response,
            &transcript,
            &trust_anchors,
            reader_key.as_deref(),
            at.as_deref(),
            json,
        ),
        Command::VerifyRequest {
            request,
            transcript,
            trust_anchors,
            at,
            json,
        } => verify_request(&request, &transcript, &trust_anchors, at.as_deref(), json),
        Command::Inspect { file } => inspect::run(&file),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kakunin: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_vectors(json: bool) -> ExitCode {
    let checks = kakunin_spec_vectors::annex_d::run_all();
    let passed = checks.iter().filter(|c| c.passed()).count();
    let failed = checks.len() - passed;
    if json {
        let out = serde_json::json!({
            "suite": "ISO/IEC 18013-5:2021 Annex D",
            "passed": passed,
            "failed": failed,
            "checks": checks.iter().map(|c| serde_json::json!({
                "id": c.id, "clause": c.clause, "description": c.description,
                "passed": c.passed(), "failure": c.failure,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        for c in &checks {
            match &c.failure {
                None => println!("PASS  {:<44} {:<14} {}", c.id, c.clause, c.description),
                Some(f) => println!(
                    "FAIL  {:<44} {:<14} {} -- {f}",
                    c.id, c.clause, c.description
                ),
            }
        }
        println!("annex-d: {passed} passed, {failed} failed");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn verify_response(
    response: &std::path::Path,
    transcript: &std::path::Path,
    anchors: &[PathBuf],
    reader_key: Option<&std::path::Path>,
    at: Option<&str>,
    json: bool,
) -> Result<ExitCode, input::InputError> {
    let response = input::read_cbor(response)?;
    let transcript = input::read_cbor(transcript)?;
    let anchors = input::read_anchors(anchors)?;
    let key = reader_key.map(input::read_private_key).transpose()?;
    let at = input::parse_time(at)?;
    let mut verifier = kakunin_verifier::Verifier::new(&anchors);
    if let Some(k) = &key {
        verifier = verifier.with_reader_key(k);
    }
    let report = verifier.verify_device_response(&response, &transcript, at);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        print!("{}", input::render_response_report(&report));
    }
    Ok(if report.valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn verify_request(
    request: &std::path::Path,
    transcript: &std::path::Path,
    anchors: &[PathBuf],
    at: Option<&str>,
    json: bool,
) -> Result<ExitCode, input::InputError> {
    let request = input::read_cbor(request)?;
    let transcript = input::read_cbor(transcript)?;
    let anchors = input::read_anchors(anchors)?;
    let at = input::parse_time(at)?;
    let report = kakunin_verifier::verify_device_request(&request, &transcript, &anchors, at);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        print!("{}", input::render_request_report(&report));
    }
    Ok(if report.all_reader_authenticated() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
