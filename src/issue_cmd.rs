//! `kakunin pki init` and `kakunin issue mdoc`.

use crate::error::{read_json, write_file, CliError};
use crate::input::{parse_time, read_file};
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey, EcPublicKey};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_holder_sim::Wallet;
use kakunin_issuer::pki::{load_pair, TestPki};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer};
use std::path::{Path, PathBuf};

pub fn pki_init(country: &str, out: &Path, document_signers: usize) -> Result<(), CliError> {
    let pki = TestPki::generate(
        default_provider(),
        country,
        document_signers,
        time::OffsetDateTime::now_utc(),
    )?;
    pki.write(out)?;
    println!("test PKI for {country} written to {}:", out.display());
    println!("  iaca.cert.pem / iaca.key.pem             IACA root (trust anchor for verifiers)");
    for i in 0..pki.document_signers.len() {
        println!(
            "  ds-{n}.cert.pem / ds-{n}.key.pem             Document Signer {n}",
            n = i + 1
        );
    }
    println!("  reader-root.cert.pem / reader-root.key.pem  reader-authentication root (holder's reader trust)");
    println!("  reader.cert.pem / reader.key.pem         reader certificate for readerAuth");
    Ok(())
}

/// `mdl`, `jp-pid` or a full docType.
pub fn profile(name: &str) -> Result<DocProfile, CliError> {
    match name {
        "mdl" => Ok(DocProfile::Mdl),
        "jp-pid" => Ok(DocProfile::JpPid),
        other => DocProfile::from_doc_type(other).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown document type {other:?} (use mdl, jp-pid, or a full docType)"
            ))
        }),
    }
}

/// A device key file: a private key (the simulated holder's, stored with the credential) or a
/// public key (SubjectPublicKeyInfo PEM/DER; the credential is written without a key).
fn read_device_key(path: &Path) -> Result<(EcPublicKey, Option<EcPrivateKey>), CliError> {
    let bytes = zeroize::Zeroizing::new(read_file(path)?);
    if let Ok(private) = kakunin_core::crypto::import_private_key(&bytes) {
        let public = default_provider()
            .public_key(&private)
            .map_err(|_| CliError::BadInput {
                path: path.into(),
                reason: "invalid private key".into(),
            })?;
        return Ok((public, Some(private)));
    }
    let public =
        kakunin_core::crypto::import_public_key(&bytes).map_err(|_| CliError::BadInput {
            path: path.into(),
            reason: "not a private key (PKCS#8/SEC1) or public key (SubjectPublicKeyInfo)".into(),
        })?;
    Ok((public, None))
}

pub struct IssueArgs<'a> {
    pub pki: &'a Path,
    pub claims: &'a Path,
    pub doctype: &'a str,
    pub device_keys: &'a [PathBuf],
    pub new_device_keys: bool,
    pub count: usize,
    pub out: &'a Path,
    pub valid_days: i64,
    pub signer: &'a str,
    pub at: Option<&'a str>,
}

pub fn issue_mdoc(a: &IssueArgs<'_>) -> Result<(), CliError> {
    let crypto = default_provider();
    let profile = profile(a.doctype)?;
    let claims = read_json(a.claims)?;
    let now = parse_time(a.at)?;
    let elements = elements_from_json(profile, &claims, now.date())?;
    let keys: Vec<(EcPublicKey, Option<EcPrivateKey>)> = match (a.new_device_keys, a.device_keys.len()) {
        (true, 0) => (0..a.count)
            .map(|_| {
                let k = crypto.generate_key(Curve::P256).map_err(|e| CliError::Usage(e.to_string()))?;
                let p = crypto.public_key(&k).map_err(|e| CliError::Usage(e.to_string()))?;
                Ok((p, Some(k)))
            })
            .collect::<Result<_, CliError>>()?,
        (false, n) if n == a.count => a.device_keys.iter().map(|p| read_device_key(p)).collect::<Result<_, _>>()?,
        (false, 0) => return Err(CliError::Usage("give --device-key FILE (one per credential) or --new-device-keys".into())),
        (false, n) => {
            return Err(CliError::Usage(format!(
                "--count {} needs {} --device-key files (one per credential, so presentations cannot be linked); got {n}",
                a.count, a.count
            )))
        }
        (true, _) => return Err(CliError::Usage("--device-key and --new-device-keys exclude each other".into())),
    };
    let ds = load_pair(a.pki, a.signer)?;
    let issuer = MdocIssuer::new(crypto, &ds.key, vec![ds.cert_der.clone()]);
    let validity = ValidityInfo {
        signed: now,
        valid_from: now,
        valid_until: now + time::Duration::days(a.valid_days),
        expected_update: None,
    };
    let publics: Vec<EcPublicKey> = keys.iter().map(|(p, _)| p.clone()).collect();
    let batch = issuer.issue_batch(profile.doc_type(), &elements, &publics, validity)?;
    let wallet = Wallet::open(a.out)?;
    let batch_id = {
        let mut b = [0u8; 4];
        crypto
            .fill_random(&mut b)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        hex::encode(b)
    };
    let slug = match profile {
        DocProfile::Mdl => "mdl",
        DocProfile::JpPid => "jp-pid",
    };
    for (i, (cred, (_, private))) in batch.iter().zip(&keys).enumerate() {
        let id = format!("{slug}-{batch_id}-{i:03}");
        match private {
            Some(k) => wallet.store(&id, &cred.doc_type, &cred.issuer_signed, k)?,
            None => {
                let d = a.out.join(&id);
                std::fs::create_dir_all(&d).map_err(|source| CliError::Write {
                    path: d.clone(),
                    source,
                })?;
                write_file(&d.join("issuer_signed.cbor"), &cred.issuer_signed)?;
                write_file(&d.join("doctype"), cred.doc_type.as_bytes())?;
            }
        }
    }
    println!(
        "issued {} x {} (batch {batch_id}, {} elements each, valid until {}) into {}",
        batch.len(),
        profile.doc_type(),
        elements.len(),
        validity.valid_until,
        a.out.display()
    );
    Ok(())
}
