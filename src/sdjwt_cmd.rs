//! `kakunin issue sd-jwt`, `kakunin present sd-jwt` and `kakunin verify-sd-jwt`.

use crate::error::{jwk_key, read_json, write_file, CliError};
use crate::escape::{escape, escape_json};
use crate::input::{json_text, parse_time, read_anchors, read_file};
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey, EcPublicKey};
use kakunin_core::sdjwt::{
    add_key_binding, select_paths, verify_sd_jwt_vc, IssuerKey, KbRequirements, VcError,
};
use kakunin_holder_sim::Wallet;
use kakunin_issuer::pki::load_pair;
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, StatusList, JP_PID_VCT};
use kakunin_issuer::{elements_from_json, DocProfile};
use kakunin_verifier::status::{sd_jwt_status, SdJwtIssuer};
use kakunin_verifier::{
    verify_sd_jwt_vc_without_key_binding, KbExpectation, KeyBindingOutcome, StatusOptions,
    StatusOutcome, StatusReport,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Holder keys: JWK files (public; the credential is written without a key) or fresh ones.
fn holder_keys(
    files: &[PathBuf],
    new: bool,
    count: usize,
) -> Result<Vec<(EcPublicKey, Option<EcPrivateKey>)>, CliError> {
    let c = default_provider();
    if new {
        return (0..count)
            .map(|_| {
                let k = c
                    .generate_key(Curve::P256)
                    .map_err(CliError::session_in("key generation"))?;
                Ok((
                    c.public_key(&k)
                        .map_err(CliError::session_in("key generation"))?,
                    Some(k),
                ))
            })
            .collect();
    }
    let mut out = Vec::new();
    for f in files {
        let v = read_json(f)?;
        let keys = match v.get("keys").and_then(|k| k.as_array()) {
            Some(set) => set.clone(),
            None => vec![v],
        };
        for k in keys {
            out.push((jwk_key(&k, f)?, None));
        }
    }
    if out.len() != count {
        return Err(CliError::Usage(format!(
            "--count {count} needs {count} holder keys (one per credential, so presentations cannot be linked); got {}",
            out.len()
        )));
    }
    Ok(out)
}

/// `kakunin issue sd-jwt`'s arguments.
pub(crate) struct IssueArgs<'a> {
    /// PKI directory made by `pki init`.
    pub(crate) pki: &'a Path,
    /// Claims JSON file.
    pub(crate) claims: &'a Path,
    /// Holder JWK (or JWK Set) files.
    pub(crate) holder_jwks: &'a [PathBuf],
    /// Generate a holder key per credential instead.
    pub(crate) new_holder_keys: bool,
    /// Credentials in the batch.
    pub(crate) count: usize,
    /// Wallet directory.
    pub(crate) out: &'a Path,
    /// Days of validity.
    pub(crate) valid_days: i64,
    /// Issuance time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// The `iss` claim.
    pub(crate) issuer_id: &'a str,
    /// `sha-256`, `sha-384` or `sha-512`.
    pub(crate) sd_alg: &'a str,
    /// Status list URI and the first credential's index.
    pub(crate) status_list: Option<(String, u64)>,
}

/// Issue a batch of SD-JWT VCs (Japanese PID profile) into a wallet directory.
pub(crate) fn issue(a: &IssueArgs<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    let claims = read_json(a.claims)?;
    let now = parse_time(a.at)?;
    let elements = elements_from_json(DocProfile::JpPid, &claims, now.date())?;
    let keys = holder_keys(a.holder_jwks, a.new_holder_keys, a.count)?;
    let signer = load_pair(a.pki, "jws-1")?;
    let publics: Vec<EcPublicKey> = keys.iter().map(|(p, _)| p.clone()).collect();
    let sd_alg = kakunin_core::sdjwt::sd_alg(a.sd_alg).ok_or_else(|| {
        CliError::Usage(format!(
            "--sd-alg {}: expected sha-256, sha-384 or sha-512",
            a.sd_alg
        ))
    })?;
    let status_list = a
        .status_list
        .clone()
        .map(|(uri, first_index)| StatusList { uri, first_index });
    crate::issue_cmd::check_status_range(status_list.as_ref(), a.count)?;
    let settings = SdJwtVcSettings {
        issuer_id: a.issuer_id,
        valid_from: now.unix_timestamp(),
        valid_until: (now + time::Duration::days(a.valid_days)).unix_timestamp(),
        sd_alg,
        status_list,
        ..SdJwtVcSettings::default()
    };
    let creds = issue_sd_jwt_vcs(
        c,
        &signer.key,
        std::slice::from_ref(&signer.cert_der),
        &elements,
        &publics,
        &settings,
    )
    .map_err(CliError::session_in("SD-JWT VC issuance"))?;
    let wallet = Wallet::open(a.out)?;
    let mut batch = [0u8; 4];
    c.fill_random(&mut batch)
        .map_err(CliError::session_in("random batch id"))?;
    for (i, (cred, (_, private))) in creds.iter().zip(&keys).enumerate() {
        let id = format!("sdjwt-{}-{i:03}", hex::encode(batch));
        match private {
            Some(k) => wallet.store_sd_jwt(&id, JP_PID_VCT, cred, k)?,
            None => {
                std::fs::create_dir_all(a.out.join(&id)).map_err(|source| CliError::Write {
                    path: a.out.join(&id),
                    source,
                })?;
                write_file(&a.out.join(&id).join("sd_jwt.txt"), cred.as_bytes())?;
            }
        }
    }
    println!(
        "issued {} SD-JWT VC(s) ({JP_PID_VCT}) into {}",
        creds.len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `kakunin present sd-jwt`'s arguments.
pub(crate) struct PresentArgs<'a> {
    /// Wallet directory.
    pub(crate) wallet: &'a Path,
    /// Dotted claim paths to disclose.
    pub(crate) disclose: &'a [String],
    /// The KB-JWT `aud`.
    pub(crate) aud: &'a str,
    /// The KB-JWT `nonce`.
    pub(crate) nonce: &'a str,
    /// Presentation time, the KB-JWT `iat` (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Output file; `None` prints to standard output.
    pub(crate) out: Option<&'a Path>,
}

/// Present an unused SD-JWT VC with the chosen disclosures and a KB-JWT (RFC 9901 clause 4.3).
pub(crate) fn present(a: &PresentArgs<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    // Arguments are checked before the wallet is touched.
    let now = parse_time(a.at)?.unix_timestamp();
    let w = Wallet::open(a.wallet)?;
    let info = w
        .list()?
        .into_iter()
        .find(|i| !i.used && i.doc_type == JP_PID_VCT)
        .ok_or_else(|| CliError::session("wallet", "no unused SD-JWT VC (batch exhausted?)"))?;
    let (sd_jwt, key) = w.load_sd_jwt(&info.id)?;
    let paths: Vec<&str> = a.disclose.iter().map(String::as_str).collect();
    let (selected, missing) =
        select_paths(c, &sd_jwt, &paths).map_err(CliError::session_in("stored SD-JWT VC"))?;
    if !missing.is_empty() {
        return Err(CliError::Usage(format!(
            "not in the credential: {}",
            escape(&missing.join(", "))
        )));
    }
    let presentation = add_key_binding(c, &selected, &key, a.aud, a.nonce, now)
        .map_err(CliError::session_in("KB-JWT"))?;
    w.mark_used(&info.id)?;
    match a.out {
        Some(p) => write_file(p, presentation.as_bytes())?,
        None => println!("{presentation}"),
    }
    eprintln!(
        "holder: presented {} from {} (disclosed: {})",
        JP_PID_VCT,
        escape(&info.id),
        escape(&a.disclose.join(", "))
    );
    Ok(ExitCode::SUCCESS)
}

/// `kakunin verify-sd-jwt`'s arguments.
pub(crate) struct VerifyArgs<'a> {
    /// The presentation file.
    pub(crate) file: &'a Path,
    /// Roots for the `x5c` chain.
    pub(crate) trust_anchors: &'a [PathBuf],
    /// The issuer's public JWK, instead of an `x5c` chain to `trust_anchors`.
    pub(crate) issuer_jwk: Option<&'a Path>,
    /// Expected KB-JWT `aud` (`None` only with `no_key_binding`).
    pub(crate) aud: Option<&'a str>,
    /// Expected KB-JWT `nonce` (`None` only with `no_key_binding`).
    pub(crate) nonce: Option<&'a str>,
    /// The test mode without key binding (`--no-key-binding`).
    pub(crate) no_key_binding: bool,
    /// Verification time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Also accept `typ` `vc+sd-jwt`.
    pub(crate) accept_vc_typ: bool,
    /// Print JSON.
    /// The status-list cache directory (`--status-cache`), if the status is checked.
    pub(crate) status_cache: Option<&'a Path>,
    /// CRL files (`--crl`) for the `x5c` chain; empty: revocation not checked.
    pub(crate) crls: &'a [std::path::PathBuf],
    pub(crate) json: bool,
}

/// Verify an SD-JWT VC presentation and print the result; exit 0 valid, 1 invalid.
pub(crate) fn verify(a: &VerifyArgs<'_>) -> Result<ExitCode, CliError> {
    let c = default_provider();
    let text = String::from_utf8(read_file(a.file)?).map_err(|_| CliError::BadInput {
        path: a.file.into(),
        reason: "not UTF-8 text".into(),
    })?;
    let configured_key = match a.issuer_jwk {
        Some(path) => Some(jwk_key(&read_json(path)?, path)?),
        None => None,
    };
    let anchors = if configured_key.is_some() {
        None
    } else {
        Some(read_anchors(a.trust_anchors)?)
    };
    let issuer = match (&configured_key, &anchors) {
        (Some(k), _) => IssuerKey::Key(k),
        (None, Some(anchors)) => IssuerKey::X5c(anchors),
        (None, None) => {
            return Err(CliError::Usage(
                "--trust-anchor or --issuer-jwk is required".into(),
            ))
        }
    };
    let now = parse_time(a.at)?;
    let expect = match (a.aud, a.nonce) {
        (Some(aud), Some(nonce)) => Some(KbExpectation { aud, nonce }),
        (None, None) if a.no_key_binding => None,
        _ if a.no_key_binding => return Err(CliError::Usage(
            "--no-key-binding: give both --aud and --nonce (to verify a KB-JWT present) or neither"
                .into(),
        )),
        _ => return Err(CliError::Usage("--aud and --nonce are required".into())),
    };
    let cache = a
        .status_cache
        .map(crate::status_cmd::open_cache)
        .transpose()?;
    let (result, kb_outcome): (Result<_, VcError>, Option<KeyBindingOutcome>) = if a.no_key_binding
    {
        match verify_sd_jwt_vc_without_key_binding(
            c,
            text.trim(),
            issuer,
            expect,
            a.accept_vc_typ,
            now,
        ) {
            Ok((v, o)) => (Ok(v), Some(o)),
            Err(e) => (Err(e), None),
        }
    } else {
        let kb = expect.map(|e| KbRequirements {
            required: true,
            aud: e.aud,
            nonce: e.nonce,
            max_age: time::Duration::minutes(5),
            max_skew: time::Duration::minutes(1),
        });
        (
            verify_sd_jwt_vc(c, text.trim(), issuer, kb.as_ref(), a.accept_vc_typ, now),
            None,
        )
    };
    // The status only of a presentation that verified (§8.3 step 1); without a cache, not
    // checked.
    let status_options = cache.as_ref().map(|c| StatusOptions::new(c));
    let status_issuer = match (&configured_key, &anchors) {
        (Some(k), _) => SdJwtIssuer::Key(k),
        (None, Some(anchors)) => SdJwtIssuer::X5c(anchors),
        (None, None) => {
            return Err(CliError::Usage(
                "--trust-anchor or --issuer-jwk is required".into(),
            ))
        }
    };
    let status = match &result {
        Ok(v) => sd_jwt_status(c, v, status_issuer, status_options.as_ref(), now),
        Err(_) => StatusReport {
            outcome: StatusOutcome::NotPerformed,
            ..StatusReport::default()
        },
    };
    let crls = match &anchors {
        Some(anchors) if !a.crls.is_empty() => Some(crate::crl_cmd::read_crls(a.crls, anchors)?),
        _ => None,
    };
    let revocation = match &result {
        Ok(v) => kakunin_verifier::sd_jwt_revocation(c, v, anchors.as_ref(), crls.as_ref(), now),
        Err(_) if crls.is_some() => kakunin_verifier::RevocationReport::NotPerformed,
        Err(_) => kakunin_verifier::RevocationReport::NotChecked,
    };
    let valid = result.is_ok() && status.passes() && revocation.passes();
    if a.json {
        let mut out = kakunin_verifier::sd_jwt_report_json_with_checks(
            &result,
            configured_key.is_some(),
            Some(&status),
            Some(&revocation),
        );
        if let (true, Some(obj)) = (a.no_key_binding, out.as_object_mut()) {
            obj.insert("test_mode".into(), "no_key_binding".into());
            if let Some(o) = kb_outcome {
                obj.insert("key_binding".into(), o.name().into());
            }
            if let Some(checks) = obj.get_mut("checks").and_then(|c| c.as_object_mut()) {
                if kb_outcome != Some(KeyBindingOutcome::Verified) && result.is_ok() {
                    checks.insert("key_binding".into(), "not_performed".into());
                }
            }
        }
        println!("{}", json_text(&out));
    } else {
        if a.no_key_binding {
            println!("test mode: no key binding (never a till's policy)");
        }
        match &result {
            Ok(v) => {
                println!(
                    "SD-JWT VC: {} (key-bound: {}, {} disclosure(s))",
                    if valid { "VALID" } else { "INVALID" },
                    v.key_bound,
                    v.disclosures
                );
                if let Some(o) = kb_outcome {
                    println!("  key binding: {}", o.describe());
                }
                println!("  status: {}", crate::input::status_line(&status));
                println!(
                    "  revocation: {}",
                    escape(&crate::crl_cmd::revocation_line(&revocation))
                );
                for (k, val) in &v.claims {
                    if k != "cnf" {
                        println!("  {} = {}", escape(k), escape_json(&val.to_string()));
                    }
                }
            }
            Err(e) => println!("SD-JWT VC: INVALID -- {}", escape(&e.to_string())),
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
