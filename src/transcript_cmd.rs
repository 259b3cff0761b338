//! `kakunin transcript build|explain`: SessionTranscripts for every handover the project knows
//! (kakunin_core::mdoc::Handover), and the search for the one a response's deviceSignature
//! was made over (kakunin_verifier::transcript_explain).
//!
//! Inputs come from flags, from a JSON file (`--inputs`, keys in snake case), or both: a flag
//! overrides the file's key. Binary inputs (engagement, reader key, NDEF messages) are files,
//! raw or hex, on the command line and hex strings in the JSON file.

use crate::error::CliError;
use crate::escape::{escape, quote};
use crate::input::{self, read_cbor, read_file};
use kakunin_core::crypto::default_provider;
use kakunin_core::mdoc::{
    Handover, HandoverKind, Iso7AnnexBHandover, Iso7AnnexCHandover, NfcHandover,
    OpenId4VpDcApiDraft24Handover, OpenId4VpDcApiHandover, OpenId4VpHandover, QrHandover,
    SessionTranscript,
};
use kakunin_verifier::transcript_explain::{
    explain_transcript, handover_inputs, Candidate, Embedding, ExplainError, ExplainInputs,
    Explanation,
};
use kakunin_verifier::{Check, Outcome};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `transcript` subcommands.
#[derive(clap::Subcommand)]
pub(crate) enum TranscriptCommand {
    /// Build the SessionTranscript of a handover and write its CBOR (bare array unless --tagged).
    Build {
        #[command(flatten)]
        inputs: HandoverArgs,
        /// Write SessionTranscriptBytes (tag 24 wrapped) instead of the bare array.
        #[arg(long)]
        tagged: bool,
        /// Where to write the SessionTranscript (CBOR).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Find which handover shape and input variant a DeviceResponse's deviceSignature verifies over (exit 0 found, 1 none).
    Explain {
        /// The DeviceResponse (CBOR, raw or hex).
        #[arg(long, value_name = "FILE")]
        response: PathBuf,
        #[command(flatten)]
        inputs: HandoverArgs,
        /// Trusted IACA certificate: also verify the issuer data; repeat for several.
        #[arg(long = "trust-anchor", value_name = "FILE")]
        trust_anchors: Vec<PathBuf>,
        /// Verification time of the issuer data (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339", requires = "trust_anchors")]
        at: Option<String>,
        /// Print the result as JSON: {explained, tried, documents: [{index, docType, matches: [{handover, clause, variants, inputs, embedding (bare, tagged, unwrapped_payload), transcript}]}], issuerData}.
        #[arg(long)]
        json: bool,
    },
}

/// The handover inputs, as flags.
#[derive(clap::Args)]
pub(crate) struct HandoverArgs {
    /// The handover: qr, nfc, oid4vp, oid4vp-dcapi, oid4vp-dcapi-draft24, iso-7-annex-b, iso-7-annex-c (explain: only a hint, every kind is tried).
    #[arg(long, value_name = "KIND")]
    handover: Option<String>,
    /// A JSON file of inputs: handover, client_id, nonce, jwk_thumbprint (hex) or jwk (an object), response_uri, origin, mdoc_generated_nonce, encryption_info, and hex device_engagement, e_reader_key, handover_select, handover_request.
    #[arg(long, value_name = "FILE")]
    inputs: Option<PathBuf>,
    /// DeviceEngagementBytes (tag 24) or the DeviceEngagement (raw or hex), for qr and nfc.
    #[arg(long, value_name = "FILE")]
    device_engagement: Option<PathBuf>,
    /// EReaderKeyBytes (tag 24) or the COSE_Key (raw or hex), for qr and nfc.
    #[arg(long, value_name = "FILE")]
    e_reader_key: Option<PathBuf>,
    /// The Handover Select NDEF message (raw or hex), for nfc.
    #[arg(long, value_name = "FILE")]
    handover_select: Option<PathBuf>,
    /// The Handover Request NDEF message (raw or hex) of a negotiated nfc handover; absent: null (static).
    #[arg(long, value_name = "FILE")]
    handover_request: Option<PathBuf>,
    /// The request's client_id, with its prefix (oid4vp, iso-7-annex-b, oid4vp-dcapi-draft24).
    #[arg(long)]
    client_id: Option<String>,
    /// The request's nonce.
    #[arg(long)]
    nonce: Option<String>,
    /// RFC 7638 SHA-256 thumbprint of the response encryption key, 64 hex digits; absent: null.
    #[arg(long, value_name = "HEX", conflicts_with = "jwk")]
    jwk_thumbprint: Option<String>,
    /// The response encryption key as a JWK (JSON); its RFC 7638 thumbprint is used.
    #[arg(long, value_name = "FILE")]
    jwk: Option<PathBuf>,
    /// The response_uri (or redirect_uri) (oid4vp, iso-7-annex-b).
    #[arg(long, value_name = "URI")]
    response_uri: Option<String>,
    /// The web origin (oid4vp-dcapi, oid4vp-dcapi-draft24, iso-7-annex-c).
    #[arg(long)]
    origin: Option<String>,
    /// The wallet's mdocGeneratedNonce, as text (iso-7-annex-b).
    #[arg(long)]
    mdoc_generated_nonce: Option<String>,
    /// The request's encryptionInfo, the exact base64url text (iso-7-annex-c).
    #[arg(long, value_name = "BASE64URL")]
    encryption_info: Option<String>,
}

/// The `--inputs` file: a JSON object of text values (hex for the binary ones).
#[derive(Default)]
struct InputsFile {
    handover: Option<String>,
    client_id: Option<String>,
    nonce: Option<String>,
    jwk_thumbprint: Option<String>,
    jwk: Option<serde_json::Value>,
    response_uri: Option<String>,
    origin: Option<String>,
    mdoc_generated_nonce: Option<String>,
    encryption_info: Option<String>,
    device_engagement: Option<String>,
    e_reader_key: Option<String>,
    handover_select: Option<String>,
    handover_request: Option<String>,
}

impl InputsFile {
    /// The keys a file may hold.
    const KEYS: [&'static str; 13] = [
        "handover",
        "client_id",
        "nonce",
        "jwk_thumbprint",
        "jwk",
        "response_uri",
        "origin",
        "mdoc_generated_nonce",
        "encryption_info",
        "device_engagement",
        "e_reader_key",
        "handover_select",
        "handover_request",
    ];

    /// Parse the file; an unknown key is refused (a typo would silently change the
    /// transcript), and every value must be a string (or null, for absent).
    fn parse(path: &Path, bytes: &[u8]) -> Result<InputsFile, CliError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad_input(path, format!("not JSON: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| bad_input(path, "not a JSON object of handover inputs"))?;
        let mut f = InputsFile::default();
        for (key, value) in object {
            if key == "jwk" {
                // The one non-text input: the encryption key itself, as a JSON object.
                f.jwk = Some(value.clone());
                continue;
            }
            let text = match value {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                _ => return Err(bad_input(path, format!("{} must be a string", quote(key)))),
            };
            let slot = match key.as_str() {
                "handover" => &mut f.handover,
                "client_id" => &mut f.client_id,
                "nonce" => &mut f.nonce,
                "jwk_thumbprint" => &mut f.jwk_thumbprint,
                "response_uri" => &mut f.response_uri,
                "origin" => &mut f.origin,
                "mdoc_generated_nonce" => &mut f.mdoc_generated_nonce,
                "encryption_info" => &mut f.encryption_info,
                "device_engagement" => &mut f.device_engagement,
                "e_reader_key" => &mut f.e_reader_key,
                "handover_select" => &mut f.handover_select,
                "handover_request" => &mut f.handover_request,
                _ => {
                    return Err(bad_input(
                        path,
                        format!(
                            "unknown key {}; the keys are {}",
                            quote(key),
                            InputsFile::KEYS.join(", ")
                        ),
                    ))
                }
            };
            *slot = text;
        }
        Ok(f)
    }
}

/// Largest `--inputs` file (the handover inputs are capped far below this).
const MAX_INPUTS_FILE: usize = 1024 * 1024;

/// The merged inputs, with the kind if one was named.
struct Inputs {
    kind: Option<HandoverKind>,
    known: ExplainInputs,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

fn bad_input(path: &Path, reason: impl Into<String>) -> CliError {
    CliError::BadInput {
        path: path.into(),
        reason: reason.into(),
    }
}

fn parse_thumbprint(hex_text: &str, from: &str) -> Result<[u8; 32], CliError> {
    let bytes = hex::decode(hex_text.trim()).map_err(|_| {
        usage(format!(
            "{from}: jwk_thumbprint {} is not hex (64 hex digits, the SHA-256 thumbprint)",
            quote(hex_text)
        ))
    })?;
    let len = bytes.len();
    bytes.try_into().map_err(|_| {
        usage(format!(
            "{from}: jwk_thumbprint is {len} bytes; a SHA-256 thumbprint is 32"
        ))
    })
}

fn hex_field(path: &Path, key: &str, value: &str) -> Result<Vec<u8>, CliError> {
    hex::decode(value.trim()).map_err(|_| bad_input(path, format!("{key} is not hex")))
}

impl HandoverArgs {
    fn merged(&self) -> Result<Inputs, CliError> {
        let file = match &self.inputs {
            Some(path) => {
                let bytes = read_file(path)?;
                if bytes.len() > MAX_INPUTS_FILE {
                    return Err(bad_input(
                        path,
                        format!("larger than the {MAX_INPUTS_FILE} bytes an inputs file may have"),
                    ));
                }
                let parsed = InputsFile::parse(path, &bytes)?;
                Some((path.as_path(), parsed))
            }
            None => None,
        };
        let (path, f) = match file {
            Some((p, f)) => (Some(p), f),
            None => (None, InputsFile::default()),
        };
        let from = path.map_or("--inputs".to_string(), |p| p.display().to_string());
        let pick = |flag: &Option<String>, key: Option<String>| flag.clone().or(key);
        let kind_name = pick(&self.handover, f.handover);
        let kind = kind_name
            .map(|k| k.parse::<HandoverKind>())
            .transpose()
            .map_err(|e| usage(e.to_string()))?;
        let thumbprint_of = |jwk: &serde_json::Value, from: &str| {
            kakunin_core::mdoc::jwk_thumbprint(default_provider(), jwk)
                .map_err(|e| usage(format!("{from}: {e}")))
        };
        let thumbprint = match (&self.jwk_thumbprint, &self.jwk) {
            (Some(t), _) => Some(parse_thumbprint(t, "--jwk-thumbprint")?),
            (None, Some(file)) => {
                let jwk: serde_json::Value = serde_json::from_slice(&read_file(file)?)
                    .map_err(|e| bad_input(file, format!("not a JWK: {e}")))?;
                Some(thumbprint_of(&jwk, &file.display().to_string())?)
            }
            (None, None) => match (&f.jwk_thumbprint, &f.jwk) {
                (Some(_), Some(_)) => {
                    return Err(usage(format!(
                        "{from}: give jwk_thumbprint or jwk, not both"
                    )))
                }
                (Some(t), None) => Some(parse_thumbprint(t, &from)?),
                (None, Some(jwk)) => Some(thumbprint_of(jwk, &from)?),
                (None, None) => None,
            },
        };
        let binary =
            |flag: &Option<PathBuf>, key: &str, value: Option<String>| -> Result<_, CliError> {
                match (flag, value, path) {
                    (Some(file), _, _) => Ok(Some(read_cbor(file)?)),
                    (None, Some(v), Some(p)) => Ok(Some(hex_field(p, key, &v)?)),
                    _ => Ok(None),
                }
            };
        Ok(Inputs {
            kind,
            known: ExplainInputs {
                client_id: pick(&self.client_id, f.client_id),
                nonce: pick(&self.nonce, f.nonce),
                jwk_thumbprint: thumbprint,
                response_uri: pick(&self.response_uri, f.response_uri),
                origin: pick(&self.origin, f.origin),
                mdoc_generated_nonce: pick(&self.mdoc_generated_nonce, f.mdoc_generated_nonce),
                encryption_info: pick(&self.encryption_info, f.encryption_info),
                device_engagement: binary(
                    &self.device_engagement,
                    "device_engagement",
                    f.device_engagement,
                )?,
                e_reader_key: binary(&self.e_reader_key, "e_reader_key", f.e_reader_key)?,
                handover_select: binary(
                    &self.handover_select,
                    "handover_select",
                    f.handover_select,
                )?,
                handover_request: binary(
                    &self.handover_request,
                    "handover_request",
                    f.handover_request,
                )?,
            },
        })
    }
}

/// A required input of `kind`, or a usage error naming the flag and the key.
fn need<T: Clone>(kind: HandoverKind, value: &Option<T>, key: &str) -> Result<T, CliError> {
    value.clone().ok_or_else(|| {
        usage(format!(
            "--handover {kind} needs {key} (--{} or \"{key}\" in the --inputs file)",
            key.replace('_', "-")
        ))
    })
}

/// The handover of `kind` from the inputs; every input it needs must be there.
fn handover_of(kind: HandoverKind, k: &ExplainInputs) -> Result<Handover, CliError> {
    Ok(match kind {
        HandoverKind::Qr => Handover::Qr(QrHandover {
            device_engagement: need(kind, &k.device_engagement, "device_engagement")?,
            e_reader_key: need(kind, &k.e_reader_key, "e_reader_key")?,
        }),
        HandoverKind::Nfc => Handover::Nfc(NfcHandover {
            device_engagement: need(kind, &k.device_engagement, "device_engagement")?,
            e_reader_key: need(kind, &k.e_reader_key, "e_reader_key")?,
            handover_select: need(kind, &k.handover_select, "handover_select")?,
            handover_request: k.handover_request.clone(),
        }),
        HandoverKind::OpenId4Vp => Handover::OpenId4Vp(OpenId4VpHandover {
            client_id: need(kind, &k.client_id, "client_id")?,
            nonce: need(kind, &k.nonce, "nonce")?,
            jwk_thumbprint: k.jwk_thumbprint,
            response_uri: need(kind, &k.response_uri, "response_uri")?,
        }),
        HandoverKind::OpenId4VpDcApi => Handover::OpenId4VpDcApi(OpenId4VpDcApiHandover {
            origin: need(kind, &k.origin, "origin")?,
            nonce: need(kind, &k.nonce, "nonce")?,
            jwk_thumbprint: k.jwk_thumbprint,
        }),
        HandoverKind::OpenId4VpDcApiDraft24 => {
            let origin = need(kind, &k.origin, "origin")?;
            Handover::OpenId4VpDcApiDraft24(OpenId4VpDcApiDraft24Handover {
                // Draft 24's effective client_id of an unsigned request.
                client_id: k
                    .client_id
                    .clone()
                    .unwrap_or_else(|| format!("web-origin:{origin}")),
                origin,
                nonce: need(kind, &k.nonce, "nonce")?,
            })
        }
        HandoverKind::Iso7AnnexB => Handover::Iso7AnnexB(Iso7AnnexBHandover {
            client_id: need(kind, &k.client_id, "client_id")?,
            response_uri: need(kind, &k.response_uri, "response_uri")?,
            nonce: need(kind, &k.nonce, "nonce")?,
            mdoc_generated_nonce: need(kind, &k.mdoc_generated_nonce, "mdoc_generated_nonce")?,
        }),
        HandoverKind::Iso7AnnexC => Handover::Iso7AnnexC(Iso7AnnexCHandover {
            encryption_info: need(kind, &k.encryption_info, "encryption_info")?,
            origin: need(kind, &k.origin, "origin")?,
        }),
        other => return Err(usage(format!("--handover {other} cannot be built here"))),
    })
}

/// Run a `transcript` subcommand.
pub(crate) fn run(command: TranscriptCommand) -> Result<ExitCode, CliError> {
    match command {
        TranscriptCommand::Build {
            inputs,
            tagged,
            out,
        } => build(&inputs, tagged, &out),
        TranscriptCommand::Explain {
            response,
            inputs,
            trust_anchors,
            at,
            json,
        } => explain(&response, &inputs, &trust_anchors, at.as_deref(), json),
    }
}

fn build(args: &HandoverArgs, tagged: bool, out: &Path) -> Result<ExitCode, CliError> {
    let inputs = args.merged()?;
    let kind = inputs.kind.ok_or_else(|| {
        usage("transcript build needs --handover KIND (or \"handover\" in the --inputs file)")
    })?;
    let handover = handover_of(kind, &inputs.known)?;
    let transcript = handover
        .session_transcript(default_provider())
        .map_err(|e| usage(e.to_string()))?;
    let bytes = if tagged {
        transcript.tagged_bytes()
    } else {
        transcript.bare_bytes()
    };
    std::fs::write(out, bytes).map_err(|source| CliError::Write {
        path: out.into(),
        source,
    })?;
    println!(
        "wrote {}: SessionTranscript of the {kind} handover ({}), {}, {} bytes",
        escape(&out.display().to_string()),
        kind.clause(),
        if tagged {
            "SessionTranscriptBytes (tag 24 wrapped)"
        } else {
            "the bare array (as embedded in DeviceAuthentication)"
        },
        bytes.len()
    );
    println!("{}", hex::encode(bytes));
    Ok(ExitCode::SUCCESS)
}

fn render_candidate(out: &mut String, c: &Candidate) {
    let kind = c.handover.kind();
    let _ = writeln!(
        out,
        "  {kind} ({}){}",
        kind.clause(),
        if c.variants.is_empty() {
            ": every input as given".to_string()
        } else {
            format!(": {}", c.variants.join("; "))
        }
    );
    for (name, value) in handover_inputs(&c.handover) {
        // Texts are quoted (and escaped); hex and null are printed as they are.
        let binary = matches!(
            name,
            "jwk_thumbprint"
                | "device_engagement"
                | "e_reader_key"
                | "handover_select"
                | "handover_request"
        );
        let shown = if binary { value } else { quote(&value) };
        let _ = writeln!(out, "    {name} = {shown}");
    }
    let _ = writeln!(
        out,
        "    embedded in DeviceAuthentication: {}",
        c.embedding.describe()
    );
    let _ = writeln!(
        out,
        "    transcript = {}",
        hex::encode(c.transcript.bare_bytes())
    );
}

/// The issuer-data verdict of one document under `--trust-anchor`.
struct IssuerData {
    valid: bool,
    /// The issuer checks that did not pass, with their outcome.
    not_passed: Vec<(&'static str, &'static str)>,
    /// The errors of those checks.
    errors: Vec<String>,
}

fn explain(
    response_path: &Path,
    args: &HandoverArgs,
    trust_anchors: &[PathBuf],
    at: Option<&str>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let response = read_cbor(response_path)?;
    let inputs = args.merged()?;
    let explanation =
        explain_transcript(default_provider(), &response, &inputs.known).map_err(|e| match e {
            // Unusable inputs are the command line's fault; the rest is the response's.
            ExplainError::Input(_) | ExplainError::NoCandidates => usage(e.to_string()),
            other => bad_input(response_path, other.to_string()),
        })?;
    let issuer = if trust_anchors.is_empty() {
        None
    } else {
        Some(issuer_data(&response, &explanation, trust_anchors, at)?)
    };
    if json {
        println!(
            "{}",
            input::json_text(&explain_json(&explanation, issuer.as_deref()))
        );
    } else {
        print!(
            "{}",
            explain_text(&explanation, inputs.kind, issuer.as_deref())
        );
    }
    Ok(if explanation.all_explained() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explain_text(
    explanation: &Explanation,
    hint: Option<HandoverKind>,
    issuer: Option<&[IssuerData]>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tried {} candidate transcript(s){}",
        explanation.tried,
        hint.map(|k| format!(" (hint: {k}; every kind was tried)"))
            .unwrap_or_default()
    );
    for doc in &explanation.documents {
        if doc.matches.is_empty() {
            let _ = writeln!(
                out,
                "document {} ({}): the deviceSignature verifies over none of them",
                doc.index,
                escape(&doc.doc_type)
            );
            continue;
        }
        let _ = writeln!(
            out,
            "document {} ({}): the deviceSignature verifies over {} of them:",
            doc.index,
            escape(&doc.doc_type),
            doc.matches.len()
        );
        for m in &doc.matches {
            render_candidate(&mut out, m);
        }
    }
    match issuer {
        None => out.push_str(
            "issuer data: not verified (no --trust-anchor); the device key was taken from the \
             MSO as it stands\n",
        ),
        Some(docs) => {
            for (i, d) in docs.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "document {i}: issuer data {}",
                    if d.valid { "valid" } else { "NOT valid" }
                );
                for (check, outcome) in &d.not_passed {
                    let _ = writeln!(out, "  {check}: {outcome}");
                }
                for e in &d.errors {
                    let _ = writeln!(out, "  error: {}", escape(e));
                }
            }
        }
    }
    out
}

fn explain_json(explanation: &Explanation, issuer: Option<&[IssuerData]>) -> serde_json::Value {
    use serde_json::json;
    let candidate = |c: &Candidate| {
        let kind = c.handover.kind();
        let inputs: serde_json::Map<String, serde_json::Value> = handover_inputs(&c.handover)
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        json!({
            "handover": kind.name(),
            "clause": kind.clause(),
            "variants": c.variants,
            "inputs": inputs,
            "embedding": match c.embedding {
                Embedding::Bare => "bare",
                Embedding::Tagged => "tagged",
                _ => "unwrapped_payload",
            },
            "transcript": hex::encode(c.transcript.bare_bytes()),
        })
    };
    json!({
        "explained": explanation.all_explained(),
        "tried": explanation.tried,
        "documents": explanation.documents.iter().map(|d| json!({
            "index": d.index,
            "docType": d.doc_type,
            "matches": d.matches.iter().map(candidate).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "issuerData": issuer.map_or(json!("not_verified"), |docs| json!(docs.iter().map(|d| json!({
            "valid": d.valid,
            "notPassed": d.not_passed.iter().map(|(c, o)| json!({"check": c, "outcome": o})).collect::<Vec<_>>(),
            "errors": d.errors,
        })).collect::<Vec<_>>())),
    })
}

/// The issuer data of every document, verified under the trust anchors at `at`.
fn issuer_data(
    response: &[u8],
    explanation: &Explanation,
    trust_anchors: &[PathBuf],
    at: Option<&str>,
) -> Result<Vec<IssuerData>, CliError> {
    let anchors = input::read_anchors(trust_anchors)?;
    let at = input::parse_time(at)?;
    // The device-authentication check is what the search answered; the transcript given here
    // only has to be well-formed for the issuer checks to run.
    let transcript = explanation
        .documents
        .iter()
        .find_map(|d| d.matches.first())
        .map(|c| c.transcript.clone())
        .unwrap_or_else(|| SessionTranscript::build(&[0xf6], &[0xf6], &[0xf6]));
    let report = kakunin_verifier::Verifier::new(&anchors).verify_device_response(
        response,
        transcript.bare_bytes(),
        at,
    );
    Ok(report
        .documents
        .iter()
        .map(|doc| {
            let not_passed: Vec<_> = doc
                .checks
                .iter()
                .filter(|c| c.check != Check::DeviceAuthentication && c.outcome != Outcome::Passed)
                .map(|c| (c.check.name(), c.outcome.name()))
                .collect();
            IssuerData {
                valid: not_passed.is_empty(),
                not_passed,
                errors: doc
                    .errors
                    .iter()
                    .filter(|e| e.check() != Some(Check::DeviceAuthentication))
                    .map(|e| e.to_string())
                    .collect(),
            }
        })
        .collect())
}
