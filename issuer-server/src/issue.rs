//! Issuance for one proven applicant: the Japanese PID (docs/profiles/jp-pid-mdoc.md) as a
//! batch of mdocs and a batch of SD-JWT VCs, one credential per device key, each on its own
//! status-list entry, valid from now for the configured period but never beyond the
//! signature certificate's notAfter. The proofing method and level travel with the
//! credentials (docs/profiles/jpki-proofing.md, "Carriage in the credentials"): the mdoc
//! elements `assurance_level` and `proofing_method` in the PID namespace, and the SD-JWT VC
//! claim `verification`.

use crate::error::ApiError;
use crate::registry::{CredentialRow, Reserved};
use crate::wire::{b64url_encode, ParsedKey};
use kakunin_core::cbor::Value as Cbor;
use kakunin_core::crypto::{with_signing_key, CryptoProvider, EcPublicKey, RandomPool};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_issuer::claims::{elements_from_json, DocProfile, Element, JP_PID_DOCTYPE};
use kakunin_issuer::pki::{load_pair, KeyAndCert, PkiError};
use kakunin_issuer::proofing::{ProofedApplicant, Sex};
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
use kakunin_issuer::{MdocIssuer, StatusList};
use serde_json::json;
use std::path::Path;

/// Credential format names as the registry stores them.
pub const FORMAT_MDOC: &str = "mdoc";
/// SD-JWT VC.
pub const FORMAT_SD_JWT_VC: &str = "sd-jwt-vc";
/// The `trust_framework` of the SD-JWT VC `verification` claim.
pub const TRUST_FRAMEWORK: &str = "jp_jpki";

/// The issuer's signing keys, read once at start from the PKI directory.
pub struct IssuerKeys {
    /// The mdoc Document Signer (`ds-1`).
    pub ds: KeyAndCert,
    /// The SD-JWT VC issuer (`jws-1`).
    pub jws: KeyAndCert,
    /// The status-list signer (default `ds-1`).
    pub status: KeyAndCert,
}

impl core::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("IssuerKeys(..)")
    }
}

impl IssuerKeys {
    /// `ds-1`, `jws-1` and `status_signer` from `pki_dir`.
    pub fn load(pki_dir: &Path, status_signer: &str) -> Result<Self, PkiError> {
        Ok(IssuerKeys {
            ds: load_pair(pki_dir, "ds-1")?,
            jws: load_pair(pki_dir, "jws-1")?,
            status: load_pair(pki_dir, status_signer)?,
        })
    }
}

/// What the credentials say besides the applicant's facts.
#[derive(Debug, Clone, Copy)]
pub struct IssueContext<'a> {
    /// The issuer's identifier (`iss`), its public base URL.
    pub issuer_id: &'a str,
    /// `issuing_authority`.
    pub issuing_authority: &'a str,
    /// Now (Unix seconds).
    pub now: i64,
    /// The credentials' validUntil (Unix seconds), already capped by the certificate.
    pub valid_until: i64,
}

/// The credentials of one enrolment, as the response carries them. Typed, so that the
/// answer is written straight to JSON text, without a `serde_json::Value` tree per
/// credential in between.
#[derive(Debug, Clone, Default)]
pub struct IssuedBatch {
    /// One per mdoc key: `{"device_key", "doc_type", "issuer_signed", "status"}`.
    pub mdoc: Vec<MdocAnswer>,
    /// One per SD-JWT VC key: `{"holder_key", "sd_jwt", "status", "vct"}`.
    pub sd_jwt_vc: Vec<SdJwtVcAnswer>,
}

/// One mdoc of the answer (fields in the order the response has always had them).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MdocAnswer {
    /// The device key of the MSO, as a JWK.
    pub device_key: Jwk,
    /// The docType.
    pub doc_type: String,
    /// `IssuerSigned` CBOR, base64url.
    pub issuer_signed: String,
    /// The status-list entry.
    pub status: StatusRef,
}

/// One SD-JWT VC of the answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SdJwtVcAnswer {
    /// The holder key of `cnf`, as a JWK.
    pub holder_key: Jwk,
    /// `<JWT>~<Disclosures>~`.
    pub sd_jwt: String,
    /// The status-list entry.
    pub status: StatusRef,
    /// The `vct`.
    pub vct: &'static str,
}

/// An EC public key as a JWK (RFC 7517, RFC 7518 §6.2.1), the same members as
/// `kakunin_core::sdjwt::key_to_jwk`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Jwk {
    /// The curve (`P-256`, `P-384`, `P-521`).
    pub crv: &'static str,
    /// Always `EC`.
    pub kty: &'static str,
    /// The x coordinate, base64url.
    pub x: String,
    /// The y coordinate, base64url.
    pub y: String,
}

impl Jwk {
    fn of(key: &EcPublicKey) -> Self {
        Jwk {
            crv: key.curve().name(),
            kty: "EC",
            x: b64url_encode(key.x()),
            y: b64url_encode(key.y()),
        }
    }
}

/// `{"status_list": {"idx", "uri"}}` (Token Status List §6.1).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusRef {
    /// The list entry.
    pub status_list: StatusListRef,
}

/// A status list and an index in it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusListRef {
    /// The index.
    pub idx: u64,
    /// The list's URI.
    pub uri: String,
}

fn time_at(t: i64) -> Result<time::OffsetDateTime, ApiError> {
    time::OffsetDateTime::from_unix_timestamp(t).map_err(|_| ApiError::INTERNAL)
}

/// validUntil: `now + validity`, capped at the certificate's notAfter. A certificate that
/// ends within a day of `now` is refused (the credential's expiry_date must fall after its
/// issue_date).
pub fn valid_until(now: i64, validity_secs: u64, not_after: i64) -> Result<i64, ApiError> {
    let wanted = now.saturating_add(i64::try_from(validity_secs).unwrap_or(i64::MAX));
    let until = wanted.min(not_after);
    if until.saturating_sub(now) < 86_400 {
        return Err(ApiError::EXPIRED_CERTIFICATE);
    }
    Ok(until)
}

fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The PID elements for `a`: name, date of birth, sex, address, the issuer's elements, the
/// age elements as of the issuance date, and `assurance_level` + `proofing_method`.
pub fn pid_elements(a: &ProofedApplicant, cx: &IssueContext<'_>) -> Result<Vec<Element>, ApiError> {
    let dob = a.date_of_birth.ok_or(ApiError::UNUSABLE_FACTS)?;
    let issued = time_at(cx.now)?.date();
    let expiry = time_at(cx.valid_until)?.date();
    // ISO/IEC 5218: 0 not known, 1 male, 2 female.
    let sex = match a.sex {
        Sex::Male => 1,
        Sex::Female => 2,
        _ => 0,
    };
    let claims = json!({
        "name": a.name,
        "birth_date": ymd(dob),
        "sex": sex,
        "resident_address": a.address,
        "issuing_authority": cx.issuing_authority,
        "issuing_country": "JP",
        "issue_date": ymd(issued),
        "expiry_date": ymd(expiry),
        "assurance_level": a.level,
    });
    let mut els = elements_from_json(DocProfile::JpPid, &claims, issued)
        .map_err(|_| ApiError::UNUSABLE_FACTS)?;
    els.push(Element {
        namespace: DocProfile::JpPid.namespace().into(),
        identifier: "proofing_method".into(),
        value: Cbor::Text(a.method.name().into()),
    });
    Ok(els)
}

/// The SD-JWT VC `verification` claim (after OpenID Connect for Identity Assurance):
/// `{"trust_framework": "jp_jpki", "assurance_level": "IAL3", "evidence": [{"type": "jpki_card"}]}`.
pub fn verification_element(a: &ProofedApplicant) -> Element {
    let t = |s: &str| Cbor::Text(s.into());
    Element {
        namespace: DocProfile::JpPid.namespace().into(),
        identifier: "verification".into(),
        value: Cbor::Map(vec![
            (t("trust_framework"), t(TRUST_FRAMEWORK)),
            (t("assurance_level"), t(a.level)),
            (
                t("evidence"),
                Cbor::Array(vec![Cbor::Map(vec![(t("type"), t(a.method.name()))])]),
            ),
        ]),
    }
}

fn status_ref(uri: &str, idx: u64) -> StatusRef {
    StatusRef {
        status_list: StatusListRef {
            idx,
            uri: uri.to_string(),
        },
    }
}

/// Sign both batches for `allocation` (mdoc `i` at `first + i`, SD-JWT VC `j` at
/// `first + mdocs + j` of list `status_uri`), returning the registry rows and the response.
#[allow(clippy::too_many_arguments)] // every argument is a distinct input of one signing run
pub fn issue_batches(
    crypto: &dyn CryptoProvider,
    keys: &IssuerKeys,
    applicant: &ProofedApplicant,
    cx: &IssueContext<'_>,
    mdoc_keys: &[ParsedKey],
    sd_jwt_keys: &[ParsedKey],
    allocation: &Reserved,
    status_uri: &str,
) -> Result<(Vec<CredentialRow>, IssuedBatch), ApiError> {
    let elements = pid_elements(applicant, cx)?;
    let validity = ValidityInfo {
        signed: time_at(cx.now)?,
        valid_from: time_at(cx.now)?,
        valid_until: time_at(cx.valid_until)?,
        expected_update: None,
    };
    let mdoc_public: Vec<EcPublicKey> = mdoc_keys.iter().map(|k| k.key.clone()).collect();
    let mdoc_list = StatusList {
        uri: status_uri.into(),
        first_index: allocation.first_index,
    };
    // Each batch signs under one key: its signing state (`ring`'s key pair) is prepared
    // once for the batch and dropped with it (decision 0019, session 19).
    let ds_key = &keys.ds.key;
    let mdocs = with_signing_key(crypto, ds_key, ds_key.curve().default_hash(), |c| {
        MdocIssuer::new(c, ds_key, vec![keys.ds.cert_der.clone()]).issue_batch_with_status(
            JP_PID_DOCTYPE,
            &elements,
            &mdoc_public,
            validity,
            Some(&mdoc_list),
        )
    })
    .map_err(|_| ApiError::INTERNAL)?
    .map_err(|_| ApiError::INTERNAL)?;
    let sd_first = allocation
        .first_index
        .checked_add(u64::try_from(mdoc_keys.len()).map_err(|_| ApiError::INTERNAL)?)
        .ok_or(ApiError::INTERNAL)?;
    let mut sd_elements: Vec<Element> = elements
        .iter()
        .filter(|e| e.identifier != "assurance_level" && e.identifier != "proofing_method")
        .cloned()
        .collect();
    sd_elements.push(verification_element(applicant));
    let sd_public: Vec<EcPublicKey> = sd_jwt_keys.iter().map(|k| k.key.clone()).collect();
    let settings = SdJwtVcSettings {
        issuer_id: cx.issuer_id,
        valid_from: cx.now,
        valid_until: cx.valid_until,
        status_list: Some(StatusList {
            uri: status_uri.into(),
            first_index: sd_first,
        }),
        ..SdJwtVcSettings::default()
    };
    let jws_key = &keys.jws.key;
    let sd_jwts = with_signing_key(crypto, jws_key, jws_key.curve().default_hash(), |c| {
        issue_sd_jwt_vcs(
            c,
            jws_key,
            std::slice::from_ref(&keys.jws.cert_der),
            &sd_elements,
            &sd_public,
            &settings,
        )
    })
    .map_err(|_| ApiError::INTERNAL)?
    .map_err(|_| ApiError::INTERNAL)?;
    let mut rows = Vec::with_capacity(mdocs.len() + sd_jwts.len());
    // The credentials' registry IDs, 16 random bytes each, from one provider call.
    let mut ids = RandomPool::with_capacity(crypto, 16 * (mdocs.len() + sd_jwts.len()));
    let mut batch = IssuedBatch {
        mdoc: Vec::with_capacity(mdocs.len()),
        sd_jwt_vc: Vec::with_capacity(sd_jwts.len()),
    };
    for (i, m) in mdocs.iter().enumerate() {
        let idx = mdoc_list.index_of(i).ok_or(ApiError::INTERNAL)?;
        rows.push(CredentialRow {
            id: crate::registry::random_id_from(&mut ids).map_err(|_| ApiError::INTERNAL)?,
            format: FORMAT_MDOC,
            status_index: idx,
        });
        batch.mdoc.push(MdocAnswer {
            device_key: Jwk::of(&m.device_key),
            doc_type: m.doc_type.clone(),
            issuer_signed: b64url_encode(&m.issuer_signed),
            status: status_ref(status_uri, idx),
        });
    }
    let sd_list = settings.status_list.as_ref().ok_or(ApiError::INTERNAL)?;
    for (j, (s, k)) in sd_jwts.into_iter().zip(&sd_public).enumerate() {
        let idx = sd_list.index_of(j).ok_or(ApiError::INTERNAL)?;
        rows.push(CredentialRow {
            id: crate::registry::random_id_from(&mut ids).map_err(|_| ApiError::INTERNAL)?,
            format: FORMAT_SD_JWT_VC,
            status_index: idx,
        });
        batch.sd_jwt_vc.push(SdJwtVcAnswer {
            holder_key: Jwk::of(k),
            sd_jwt: s,
            status: status_ref(status_uri, idx),
            vct: JP_PID_VCT,
        });
    }
    Ok((rows, batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed answer writes the same JSON as the `json!` trees it replaced: the same
    /// members, in the same (alphabetical) order.
    #[test]
    fn typed_answer_is_the_same_json() {
        let c = kakunin_core::crypto::default_provider();
        let key = c
            .public_key(&c.generate_key(kakunin_core::crypto::Curve::P256).unwrap())
            .unwrap();
        assert_eq!(
            serde_json::to_string(&Jwk::of(&key)).unwrap(),
            kakunin_core::sdjwt::key_to_jwk(&key).to_string()
        );
        let m = MdocAnswer {
            device_key: Jwk::of(&key),
            doc_type: "d".into(),
            issuer_signed: "AA".into(),
            status: status_ref("https://i.example/status/1", 7),
        };
        let tree = json!({
            "doc_type": "d",
            "issuer_signed": "AA",
            "device_key": kakunin_core::sdjwt::key_to_jwk(&key),
            "status": {"status_list": {"uri": "https://i.example/status/1", "idx": 7}},
        });
        assert_eq!(serde_json::to_string(&m).unwrap(), tree.to_string());
        let s = SdJwtVcAnswer {
            holder_key: Jwk::of(&key),
            sd_jwt: "a.b.c~".into(),
            status: status_ref("u", 0),
            vct: JP_PID_VCT,
        };
        let tree = json!({
            "vct": JP_PID_VCT,
            "sd_jwt": "a.b.c~",
            "holder_key": kakunin_core::sdjwt::key_to_jwk(&key),
            "status": {"status_list": {"uri": "u", "idx": 0}},
        });
        assert_eq!(serde_json::to_string(&s).unwrap(), tree.to_string());
    }

    #[test]
    fn validity_is_capped_by_the_certificate() {
        let day: i64 = 86_400;
        assert_eq!(valid_until(0, 30 * 86_400, 100 * day).unwrap(), 30 * day);
        assert_eq!(valid_until(0, 30 * 86_400, 10 * day).unwrap(), 10 * day);
        assert_eq!(
            valid_until(0, 30 * 86_400, 3600).unwrap_err(),
            ApiError::EXPIRED_CERTIFICATE
        );
    }
}
