//! `kakunin request` (the reader builds a DeviceRequest) and `kakunin holder respond`.

use crate::error::{write_file, CliError};
use crate::input::{parse_time, read_anchors, read_cbor, read_file, read_private_key};
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, sign_reader_auth,
    RequestedElement, SessionTranscript,
};
use kakunin_holder_sim::{
    respond, Consent, DeviceAuthMode, HolderPolicy, Presentation, ReaderIdentity, Wallet,
};
use std::path::{Path, PathBuf};

/// A fresh session for tests and command-line use without a radio: both ephemeral keys are
/// made here, and the handover is the QR one (`null`). Returns the transcript and the
/// reader's ephemeral private key (PKCS#8 PEM), needed to check a DeviceMac.
pub fn new_session() -> Result<(SessionTranscript, Vec<u8>), CliError> {
    let c = default_provider();
    let err = |e: kakunin_core::crypto::CryptoError| CliError::Usage(e.to_string());
    let device = c
        .public_key(&c.generate_key(Curve::P256).map_err(err)?)
        .map_err(err)?;
    let reader = c.generate_key(Curve::P256).map_err(err)?;
    let reader_pub = c.public_key(&reader).map_err(err)?;
    let de = wrap_tag24(&encode_device_engagement(&device, &[]));
    let ek = wrap_tag24(&encode_cose_key(&reader_pub));
    let pem = kakunin_core::crypto::export_private_key_pem(&reader)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok((
        SessionTranscript::build(&de, &ek, &[0xf6]),
        pem.as_bytes().to_vec(),
    ))
}

pub struct RequestArgs<'a> {
    pub doctype: &'a str,
    pub namespace: Option<&'a str>,
    pub elements: &'a [String],
    pub retain: bool,
    pub reader_cert: Option<&'a Path>,
    pub reader_key: Option<&'a Path>,
    pub transcript: Option<&'a Path>,
    pub out: &'a Path,
}

pub fn request(a: &RequestArgs<'_>) -> Result<(), CliError> {
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
        write_file(&key_path, &reader_eph)?;
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
                .map_err(|e| CliError::Usage(format!("readerAuth: {e}")))?;
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
        profile.doc_type(),
        a.elements.join(", "),
        a.out.display(),
        if signed {
            ", with readerAuth"
        } else {
            ", without readerAuth"
        }
    );
    Ok(())
}

pub struct RespondArgs<'a> {
    pub wallet: &'a Path,
    pub request: &'a Path,
    pub transcript: &'a Path,
    pub out: &'a Path,
    pub reader_trust: &'a [PathBuf],
    pub approve: &'a str,
    pub pin: Option<&'a str>,
    pub entered_pin: Option<&'a str>,
    pub device_mac: bool,
    pub at: Option<&'a str>,
}

pub fn holder_respond(a: &RespondArgs<'_>) -> Result<Presentation, CliError> {
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
        unlock_pin: a.pin.map(str::to_string),
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
    let p = respond(
        default_provider(),
        &wallet,
        &read_cbor(a.request)?,
        &read_cbor(a.transcript)?,
        &policy,
        a.entered_pin,
        parse_time(a.at)?,
    )?;
    write_file(a.out, &p.response)?;
    print!("{}", describe(&p));
    println!(
        "DeviceResponse (status {}) written to {}",
        p.status,
        a.out.display()
    );
    Ok(p)
}

/// What the holder would show its user after answering one request in a session.
pub fn describe_presented(p: &kakunin_holder_sim::Presented) -> String {
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
                    let _ = writeln!(s, "  shared   {c}");
                }
            }
            s
        }
    }
}

/// What the holder would show its user.
pub fn describe(p: &Presentation) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for d in &p.documents {
        let who = match &d.reader {
            ReaderIdentity::Authenticated {
                common_name,
                organization,
            } => format!(
                "{} (authenticated{})",
                common_name.as_deref().unwrap_or("?"),
                organization
                    .as_deref()
                    .map(|o| format!(", {o}"))
                    .unwrap_or_default()
            ),
            ReaderIdentity::Anonymous => "an unauthenticated reader".into(),
            ReaderIdentity::Unchecked => {
                "a reader (readerAuth not checked: no reader trust configured)".into()
            }
            ReaderIdentity::Untrusted(e) => format!("an UNTRUSTED reader ({e})"),
        };
        let _ = writeln!(s, "holder: {who} asks for {}", d.doc_type);
        for (ns, el, retain) in &d.disclosed {
            let _ = writeln!(
                s,
                "  shared   {ns}/{el}{}",
                if *retain {
                    " (reader will retain it)"
                } else {
                    ""
                }
            );
        }
        for (ns, el, why) in &d.withheld {
            let _ = writeln!(s, "  withheld {ns}/{el} ({why:?})");
        }
        match (&d.refusal, &d.credential_id) {
            (Some(r), _) => {
                let _ = writeln!(s, "  refused: {r:?}");
            }
            (None, Some(id)) => {
                let _ = writeln!(
                    s,
                    "  used credential {id}; {} unused left in the batch",
                    d.remaining
                );
            }
            _ => {}
        }
    }
    s
}

pub fn list(wallet: &Path) -> Result<(), CliError> {
    let w = Wallet::open(wallet)?;
    let all = w.list()?;
    for c in &all {
        println!(
            "{}  {}  {}",
            c.id,
            c.doc_type,
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
