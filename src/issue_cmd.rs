//! `kakunin pki init` and `kakunin issue mdoc`.

use crate::error::{read_json, write_file, CliError};
use crate::escape::quote;
use crate::input::{parse_time, read_file};
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey, EcPublicKey};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_holder_sim::Wallet;
use kakunin_issuer::pki::{load_pair, TestPki};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer};
use std::path::{Path, PathBuf};

/// `kakunin pki init`: a fresh test PKI (ISO 18013-5 Annex B profiles) in `out`.
pub(crate) fn pki_init(country: &str, out: &Path, document_signers: usize) -> Result<(), CliError> {
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
    println!("  trust-bundle-root.cert.pem / .key.pem    trust-bundle root (a till's bundle-signer anchor)");
    println!(
        "  trust-bundle-1.cert.pem / .key.pem       trust-bundle signer (kakunin trust bundle)"
    );
    Ok(())
}

/// `mdl`, `jp-pid` or a full docType.
pub(crate) fn profile(name: &str) -> Result<DocProfile, CliError> {
    match name {
        "mdl" => Ok(DocProfile::Mdl),
        "jp-pid" => Ok(DocProfile::JpPid),
        other => DocProfile::from_doc_type(other).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown document type {} (use mdl, jp-pid, or a full docType)",
                quote(other)
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

/// `kakunin issue mdoc`'s arguments.
pub(crate) struct IssueArgs<'a> {
    /// PKI directory made by `pki init`.
    pub(crate) pki: &'a Path,
    /// Claims JSON file.
    pub(crate) claims: &'a Path,
    /// `mdl`, `jp-pid` or a full docType.
    pub(crate) doctype: &'a str,
    /// Device key files, one per credential.
    pub(crate) device_keys: &'a [PathBuf],
    /// Generate a device key per credential instead.
    pub(crate) new_device_keys: bool,
    /// Credentials in the batch.
    pub(crate) count: usize,
    /// Wallet directory.
    pub(crate) out: &'a Path,
    /// Days of validity.
    pub(crate) valid_days: i64,
    /// Document Signer name in the PKI (`ds-1`).
    pub(crate) signer: &'a str,
    /// Issuance time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// The status list the batch goes on, from its first index.
    pub(crate) status: Option<kakunin_issuer::StatusList>,
}

/// Refuse a status list whose indices for `count` credentials would pass 2^64 - 1.
pub(crate) fn check_status_range(
    status: Option<&kakunin_issuer::StatusList>,
    count: usize,
) -> Result<(), CliError> {
    match status {
        Some(list) if list.index_of(count.saturating_sub(1)).is_none() => {
            Err(CliError::Usage(format!(
                "--status-index {} leaves no room for {count} credentials (indices stop at 2^64 - 1)",
                list.first_index
            )))
        }
        _ => Ok(()),
    }
}

/// Issue a batch of mdocs (one device key each) into a wallet directory.
pub(crate) fn issue_mdoc(a: &IssueArgs<'_>) -> Result<(), CliError> {
    let crypto = default_provider();
    let profile = profile(a.doctype)?;
    let claims = read_json(a.claims)?;
    let now = parse_time(a.at)?;
    let elements = elements_from_json(profile, &claims, now.date())?;
    check_status_range(a.status.as_ref(), a.count)?;
    let keys: Vec<(EcPublicKey, Option<EcPrivateKey>)> = match (a.new_device_keys, a.device_keys.len()) {
        (true, 0) => (0..a.count)
            .map(|_| {
                let k = crypto.generate_key(Curve::P256).map_err(CliError::session_in("key generation"))?;
                let p = crypto.public_key(&k).map_err(CliError::session_in("key generation"))?;
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
    let batch = issuer.issue_batch_with_status(
        profile.doc_type(),
        &elements,
        &publics,
        validity,
        a.status.as_ref(),
    )?;
    let wallet = Wallet::open(a.out)?;
    let batch_id = {
        let mut b = [0u8; 4];
        crypto
            .fill_random(&mut b)
            .map_err(CliError::session_in("random batch id"))?;
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
    if let Some(list) = &a.status {
        println!(
            "  status list {}: indices {}..={}",
            quote(&list.uri),
            list.first_index,
            list.index_of(batch.len().saturating_sub(1))
                .unwrap_or(u64::MAX)
        );
    }
    Ok(())
}
