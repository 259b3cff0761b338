//! `kakunin request` (the reader builds a DeviceRequest) and `kakunin holder respond`.

use crate::error::{write_file, write_secret_file, CliError};
use crate::escape::escape;
use crate::input::{
    parse_time, read_anchors, read_cbor, read_file, read_pin_file, read_pin_stdin, read_private_key,
};
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, sign_reader_auth,
    RequestedElement, SessionTranscript,
};
use kakunin_holder_sim::faults::{respond_faulty, Fault, FaultKit, FaultLayer, IssuerSigner};
use kakunin_holder_sim::{
    respond, Consent, DeviceAuthMode, HolderPolicy, Presentation, ReaderIdentity, Refusal,
    RespondOptions, Wallet, Withheld,
};
use kakunin_issuer::pki::{load_pair, KeyAndCert};
use std::path::{Path, PathBuf};

/// A fresh session for tests and command-line use without a radio: both ephemeral keys are
/// made here, and the handover is the QR one (`null`). Returns the transcript and the
/// reader's ephemeral private key (PKCS#8 PEM), needed to check a DeviceMac.
pub(crate) fn new_session() -> Result<(SessionTranscript, zeroize::Zeroizing<Vec<u8>>), CliError> {
    let c = default_provider();
    let err = CliError::session_in::<kakunin_core::crypto::CryptoError>("session keys");
    let device = c
        .public_key(&c.generate_key(Curve::P256).map_err(err)?)
        .map_err(err)?;
    let reader = c.generate_key(Curve::P256).map_err(err)?;
    let reader_pub = c.public_key(&reader).map_err(err)?;
    let de = wrap_tag24(&encode_device_engagement(&device, &[]));
    let ek = wrap_tag24(&encode_cose_key(&reader_pub));
    let pem = kakunin_core::crypto::export_private_key_pem(&reader)
        .map_err(CliError::session_in("session keys"))?;
    Ok((
        SessionTranscript::build(&de, &ek, &[0xf6]),
        zeroize::Zeroizing::new(pem.as_bytes().to_vec()),
    ))
}

/// `kakunin request`'s arguments.
pub(crate) struct RequestArgs<'a> {
    /// `mdl`, `jp-pid` or a full docType.
    pub(crate) doctype: &'a str,
    /// Namespace of the elements; default: the document type's own.
    pub(crate) namespace: Option<&'a str>,
    /// Element identifiers to request.
    pub(crate) elements: &'a [String],
    /// intentToRetain on every element.
    pub(crate) retain: bool,
    /// Reader certificate for readerAuth.
    pub(crate) reader_cert: Option<&'a Path>,
    /// Its private key.
    pub(crate) reader_key: Option<&'a Path>,
    /// SessionTranscript file; created with a fresh session if missing.
    pub(crate) transcript: Option<&'a Path>,
    /// Where the DeviceRequest goes.
    pub(crate) out: &'a Path,
}

/// Build a DeviceRequest (ISO 18013-5 clause 8.3.2.1.2.1), with readerAuth when a reader
/// certificate and key are given.
pub(crate) fn request(a: &RequestArgs<'_>) -> Result<(), CliError> {
    let profile = crate::issue_cmd::profile(a.doctype)?;
    let namespace = a.namespace.unwrap_or(profile.namespace());
    let transcript_path = a
        .transcript
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{}.transcript", a.out.display())));
    let transcript = if transcript_path.exists() {
        SessionTranscript::from_bytes(&read_cbor(&transcript_path)?).map_err(|e| {
            CliError::BadInput {
                path: transcript_path.clone(),
                reason: e.to_string(),
            }
        })?
    } else {
        let (t, reader_eph) = new_session()?;
        write_file(&transcript_path, t.tagged_bytes())?;
        let key_path = PathBuf::from(format!(
            "{}.reader-ephemeral-key.pem",
            transcript_path.display()
        ));
        // A stale key of an earlier session may sit there; the new one replaces it, created
        // afresh with mode 0600 like every private key the command writes.
        match std::fs::remove_file(&key_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::Write {
                    path: key_path,
                    source: e,
                })
            }
            _ => {}
        }
        write_secret_file(&key_path, &reader_eph)?;
        println!(
            "new session: transcript {} (reader ephemeral key {})",
            transcript_path.display(),
            key_path.display()
        );
        t
    };
    let wanted: Vec<RequestedElement> = a
        .elements
        .iter()
        .map(|e| RequestedElement {
            namespace: namespace.to_string(),
            element: e.clone(),
            intent_to_retain: a.retain,
        })
        .collect();
    let items = encode_items_request(profile.doc_type(), &wanted);
    let reader_auth = match (a.reader_cert, a.reader_key) {
        (Some(cert), Some(key)) => {
            let der =
                kakunin_core::trust::parse_certificate_input(&read_file(cert)?).map_err(|e| {
                    CliError::BadInput {
                        path: cert.into(),
                        reason: e.to_string(),
                    }
                })?;
            let key = read_private_key(key)?;
            let ra = sign_reader_auth(default_provider(), &key, &[der], &transcript, &items)
                .map_err(CliError::session_in("readerAuth"))?;
            Some(ra.raw().to_vec())
        }
        (None, None) => None,
        _ => {
            return Err(CliError::Usage(
                "--reader-cert and --reader-key go together".into(),
            ))
        }
    };
    let signed = reader_auth.is_some();
    write_file(a.out, &encode_device_request(&[(items, reader_auth)]))?;
    println!(
        "DeviceRequest for {} ({}) written to {}{}",
        escape(profile.doc_type()),
        escape(&a.elements.join(", ")),
        a.out.display(),
        if signed {
            ", with readerAuth"
        } else {
            ", without readerAuth"
        }
    );
    Ok(())
}

/// `kakunin holder respond`'s arguments.
pub(crate) struct RespondArgs<'a> {
    /// Wallet directory.
    pub(crate) wallet: &'a Path,
    /// DeviceRequest file.
    pub(crate) request: &'a Path,
    /// SessionTranscript file.
    pub(crate) transcript: &'a Path,
    /// Where the DeviceResponse goes.
    pub(crate) out: &'a Path,
    /// Reader-authentication roots; non-empty means readerAuth is required.
    pub(crate) reader_trust: &'a [PathBuf],
    /// `all`, `none` or a comma-separated element list.
    pub(crate) approve: &'a str,
    /// File holding the unlock PIN the wallet requires (`--pin-file`).
    pub(crate) pin_file: Option<&'a Path>,
    /// File holding the PIN the user entered (`--entered-pin-file`).
    pub(crate) entered_pin_file: Option<&'a Path>,
    /// Read the entered PIN from standard input instead (`--pin-stdin`).
    pub(crate) pin_stdin: bool,
    /// DeviceMac instead of DeviceSignature.
    pub(crate) device_mac: bool,
    /// Presentation time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// A Response-layer fault profile to apply (`--fault`).
    pub(crate) fault: Option<Fault>,
    /// The issuer PKI whose `ds-1` re-signs the MSO for `stale-mso` (`--fault-pki`).
    pub(crate) fault_pki: Option<&'a Path>,
}

/// The issuer's first Document Signer from a `kakunin pki init` directory, for the fault
/// profiles that re-sign the MSO (`--fault-pki`).
pub(crate) fn fault_signer(dir: Option<&Path>) -> Result<Option<KeyAndCert>, CliError> {
    Ok(dir.map(|d| load_pair(d, "ds-1")).transpose()?)
}

/// [`FaultKit`] over a loaded DS (and its one-certificate chain).
pub(crate) fn fault_kit<'a>(ds: Option<&'a KeyAndCert>, chain: &'a [Vec<u8>]) -> FaultKit<'a> {
    FaultKit {
        issuer: ds.map(|d| IssuerSigner {
            key: &d.key,
            x5chain: chain,
        }),
        earlier_response: None,
    }
}

/// Answer a DeviceRequest from the wallet and write the DeviceResponse.
pub(crate) fn holder_respond(a: &RespondArgs<'_>) -> Result<Presentation, CliError> {
    if a.pin_stdin && a.entered_pin_file.is_some() {
        return Err(CliError::Usage(
            "--pin-stdin and --entered-pin-file exclude each other".into(),
        ));
    }
    let unlock_pin = a.pin_file.map(read_pin_file).transpose()?;
    let entered_pin = if a.pin_stdin {
        Some(read_pin_stdin()?)
    } else {
        a.entered_pin_file.map(read_pin_file).transpose()?
    };
    let wallet = Wallet::open(a.wallet)?;
    let consent = match a.approve {
        "all" => Consent::ApproveAll,
        "none" => Consent::Deny,
        list => Consent::ApproveListed(
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
    };
    let policy = HolderPolicy {
        consent,
        unlock_pin: unlock_pin.map(std::sync::Arc::new),
        reader_trust: if a.reader_trust.is_empty() {
            None
        } else {
            Some(read_anchors(a.reader_trust)?)
        },
        require_reader_auth: !a.reader_trust.is_empty(),
        device_auth: if a.device_mac {
            DeviceAuthMode::Mac
        } else {
            DeviceAuthMode::Signature
        },
    };
    let p = match a.fault {
        Some(fault) if fault.layer() != FaultLayer::Response => {
            return Err(CliError::Usage(format!(
                "--fault {fault} acts on the {} layer; `holder respond` only makes a DeviceResponse \
                 (response-layer profiles, docs/faults.md): use `holder-sim serve --fault`",
                fault.layer()
            )))
        }
        Some(fault) => {
            let ds = fault_signer(a.fault_pki)?;
            let chain: Vec<Vec<u8>> = ds.iter().map(|d| d.cert_der.clone()).collect();
            respond_faulty(
                default_provider(),
                &wallet,
                &read_cbor(a.request)?,
                &read_cbor(a.transcript)?,
                &policy,
                RespondOptions {
                    entered_pin: entered_pin.as_ref(),
                    reader_crls: None,
                },
                parse_time(a.at)?,
                fault,
                &fault_kit(ds.as_ref(), &chain),
            )?
        }
        None => respond(
            default_provider(),
            &wallet,
            &read_cbor(a.request)?,
            &read_cbor(a.transcript)?,
            &policy,
            entered_pin.as_ref(),
            parse_time(a.at)?,
        )?,
    };
    if let Some(fault) = a.fault {
        println!("fault profile {fault} applied (docs/faults.md)");
    }
    write_file(a.out, &p.response)?;
    print!("{}", describe(&p));
    println!(
        "DeviceResponse (status {}) written to {}",
        p.status,
        a.out.display()
    );
    Ok(p)
}

/// Why an element was withheld, as the holder's user reads it.
fn withheld_text(w: Withheld) -> &'static str {
    match w {
        Withheld::NotApproved => "not approved",
        Withheld::NotInCredential => "not in the credential",
        // The enum may grow; a new reason still prints something true.
        #[allow(unreachable_patterns)]
        _ => "withheld",
    }
}

/// Why a document was refused, as the holder's user reads it.
fn refusal_text(r: &Refusal) -> &'static str {
    match r {
        Refusal::NotHeld => "no such credential in the wallet",
        Refusal::BatchExhausted => "every credential of the batch has been used",
        Refusal::Denied => "the user declined",
        Refusal::PinRejected => "wrong or missing unlock PIN",
        Refusal::UntrustedReader => "the reader is not trusted",
        // The enum may grow; a new reason still prints something true.
        _ => "refused",
    }
}

/// What the holder would show its user after answering one request in a session.
pub(crate) fn describe_presented(p: &kakunin_holder_sim::Presented) -> String {
    use std::fmt::Write;
    match p {
        kakunin_holder_sim::Presented::Mdoc(p) => describe(p),
        kakunin_holder_sim::Presented::SdJwt { disclosed } => {
            let mut s = String::new();
            if disclosed.is_empty() {
                let _ = writeln!(s, "holder: SD-JWT VC request: nothing shared");
            }
            for claims in disclosed {
                let _ = writeln!(s, "holder: SD-JWT VC presented");
                for c in claims {
                    let _ = writeln!(s, "  shared   {}", crate::escape::escape(c));
                }
            }
            s
        }
        _ => "holder: answered a request\n".into(),
    }
}

/// What the holder would show its user. Every name in it (reader, docType, elements) came
/// from the request or the wallet and is escaped.
pub(crate) fn describe(p: &Presentation) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for d in &p.documents {
        let who = match &d.reader {
            ReaderIdentity::Authenticated {
                common_name,
                organization,
            } => format!(
                "{} (authenticated{})",
                common_name.as_deref().map_or("?".into(), escape),
                organization
                    .as_deref()
                    .map(|o| format!(", {}", escape(o)))
                    .unwrap_or_default()
            ),
            ReaderIdentity::Anonymous => "an unauthenticated reader".into(),
            ReaderIdentity::Unchecked => {
                "a reader (readerAuth not checked: no reader trust configured)".into()
            }
            ReaderIdentity::Untrusted(e) => {
                format!("an UNTRUSTED reader ({})", escape(&e.to_string()))
            }
            // A kind of reader this version does not know: say nothing it cannot vouch for.
            _ => "a reader of unknown standing".into(),
        };
        let _ = writeln!(s, "holder: {who} asks for {}", escape(&d.doc_type));
        for (ns, el, retain) in &d.disclosed {
            let _ = writeln!(
                s,
                "  shared   {}/{}{}",
                escape(ns),
                escape(el),
                if *retain {
                    " (reader will retain it)"
                } else {
                    ""
                }
            );
        }
        for (ns, el, why) in &d.withheld {
            let _ = writeln!(
                s,
                "  withheld {}/{} ({})",
                escape(ns),
                escape(el),
                withheld_text(*why)
            );
        }
        match (&d.refusal, &d.credential_id) {
            (Some(r), _) => {
                let _ = writeln!(s, "  refused: {}", refusal_text(r));
            }
            (None, Some(id)) => {
                let _ = writeln!(
                    s,
                    "  used credential {}; {} unused left in the batch",
                    escape(id),
                    d.remaining
                );
            }
            _ => {}
        }
    }
    s
}

/// `kakunin holder list`: the wallet's credentials and how many are unused.
pub(crate) fn list(wallet: &Path) -> Result<(), CliError> {
    let w = Wallet::open(wallet)?;
    let all = w.list()?;
    for c in &all {
        println!(
            "{}  {}  {}",
            escape(&c.id),
            escape(&c.doc_type),
            if c.used { "used" } else { "unused" }
        );
    }
    println!(
        "{} credential(s), {} unused",
        all.len(),
        all.iter().filter(|c| !c.used).count()
    );
    Ok(())
}
