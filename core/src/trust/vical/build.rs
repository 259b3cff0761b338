//! Building and signing a VICAL (Annex C) for a test PKI or a provider, through a
//! [`Signer`] so the key may live in a card or an HSM. The key order is the one real lists
//! use (AAMVA, Austroads): version, vicalProvider, date, vicalIssueID, nextUpdate,
//! certificateInfos; and per entry certificate, serialNumber, ski, docType,
//! certificateProfile, issuingAuthority, issuingCountry, stateOrProvinceName, issuer,
//! subject, notBefore, notAfter. The hints are taken from each certificate.

use super::parse::SignedVical;
use super::{VicalError, MAX_DOC_TYPES, MAX_VICAL_ENTRIES, MAX_VICAL_LEN};
use crate::cbor::Encoder;
use crate::cose::{SignatureAlg, HEADER_X5CHAIN};
use crate::crypto::Signer;
use crate::trust::{certificate_public_key, parse_cert, validity, DistinguishedNameSummary};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use time::OffsetDateTime;

/// One IACA to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VicalBuildEntry {
    /// The IACA certificate, DER.
    pub certificate: Vec<u8>,
    /// The docTypes it is trusted for (at least one).
    pub doc_types: Vec<String>,
    /// `certificateProfile`, omitted when empty.
    pub certificate_profiles: Vec<String>,
    /// `issuingAuthority`; by default the certificate subject's organization or common name.
    pub issuing_authority: Option<String>,
}

/// The list to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VicalBuildInput {
    /// `vicalProvider`.
    pub provider: String,
    /// `date`: the issue time.
    pub date: OffsetDateTime,
    /// `vicalIssueID`.
    pub issue_id: Option<u64>,
    /// `nextUpdate`.
    pub next_update: Option<OffsetDateTime>,
    /// `vicalURL`.
    pub url: Option<String>,
    /// The entries (at least one).
    pub entries: Vec<VicalBuildEntry>,
}

/// `tdate`: tag 0 with RFC 3339 text, whole seconds, `Z` (as the MSO's).
fn tdate_text(e: &mut Encoder, t: OffsetDateTime) {
    e.value(&crate::mdoc::tdate(t));
}

fn misuse(what: &'static str) -> VicalError {
    VicalError::BuildMisuse(what)
}

const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

fn encode_entry(e: &mut Encoder, entry: &VicalBuildEntry) -> Result<(), VicalError> {
    if entry.doc_types.is_empty() || entry.doc_types.len() > MAX_DOC_TYPES {
        return Err(misuse("each entry needs 1 to 64 docTypes"));
    }
    let cert = parse_cert(&entry.certificate, 0)
        .map_err(|error| VicalError::EntryCertificate { index: 0, error })?;
    let tbs = &cert.tbs_certificate;
    let serial = tbs.serial_number.as_bytes();
    let serial = serial
        .iter()
        .position(|b| *b != 0)
        .and_then(|i| serial.get(i..))
        .unwrap_or_default();
    let ski = tbs
        .extensions
        .as_ref()
        .and_then(|exts| exts.iter().find(|x| x.extn_id == OID_SKI))
        .and_then(|x| der::asn1::OctetString::from_der(x.extn_value.as_bytes()).ok());
    let subject = DistinguishedNameSummary::of(&tbs.subject);
    let issuer_der = tbs
        .issuer
        .to_der()
        .map_err(|_| misuse("issuer name does not encode"))?;
    let subject_der = tbs
        .subject
        .to_der()
        .map_err(|_| misuse("subject name does not encode"))?;
    let (not_before, not_after) = validity(&cert);
    let authority = entry
        .issuing_authority
        .clone()
        .or(subject.organization.clone())
        .or(subject.common_name.clone());

    let n = 2
        + usize::from(ski.is_some())
        + 1
        + usize::from(!entry.certificate_profiles.is_empty())
        + usize::from(authority.is_some())
        + usize::from(subject.country.is_some())
        + usize::from(subject.state.is_some())
        + 4;
    e.map(n);
    e.text("certificate").bytes(&entry.certificate);
    e.text("serialNumber").tag(2).bytes(serial);
    if let Some(ski) = &ski {
        e.text("ski").bytes(ski.as_bytes());
    }
    e.text("docType").array(entry.doc_types.len());
    for d in &entry.doc_types {
        e.text(d);
    }
    if !entry.certificate_profiles.is_empty() {
        e.text("certificateProfile")
            .array(entry.certificate_profiles.len());
        for p in &entry.certificate_profiles {
            e.text(p);
        }
    }
    if let Some(a) = &authority {
        e.text("issuingAuthority").text(a);
    }
    if let Some(c) = &subject.country {
        e.text("issuingCountry").text(c);
    }
    if let Some(s) = &subject.state {
        e.text("stateOrProvinceName").text(s);
    }
    e.text("issuer").bytes(&issuer_der);
    e.text("subject").bytes(&subject_der);
    e.text("notBefore");
    tdate_text(e, not_before);
    e.text("notAfter");
    tdate_text(e, not_after);
    Ok(())
}

/// Build and sign a VICAL: an untagged COSE_Sign1 with protected `{1: alg}`, unprotected
/// `{33: x5chain}` (a bstr for one certificate, an array otherwise) and the VICAL map as the
/// attached payload. `x5chain` starts with the signer's certificate, which must certify the
/// signer's key. The result is parsed back before it is returned.
pub fn build_vical(
    signer: &dyn Signer,
    x5chain: &[Vec<u8>],
    input: &VicalBuildInput,
) -> Result<Vec<u8>, VicalError> {
    let curve = signer.curve();
    if signer.hash() != curve.default_hash() || signer.public_key().curve() != curve {
        return Err(misuse(
            "ES256/ES384/ES512 need the curve's own hash and key",
        ));
    }
    let leaf = x5chain.first().ok_or(misuse("x5chain is empty"))?;
    let leaf_cert = parse_cert(leaf, 0).map_err(VicalError::UntrustedSigner)?;
    let leaf_key = certificate_public_key(&leaf_cert, 0).map_err(VicalError::UntrustedSigner)?;
    if &leaf_key != signer.public_key() {
        return Err(misuse(
            "the x5chain leaf certifies another key than the signer's",
        ));
    }
    if input.entries.is_empty() || input.entries.len() > MAX_VICAL_ENTRIES {
        return Err(misuse("a VICAL lists 1 to 4096 entries"));
    }
    let alg = SignatureAlg::for_curve(curve);

    let mut p = Encoder::new();
    let n = 4
        + usize::from(input.issue_id.is_some())
        + usize::from(input.next_update.is_some())
        + usize::from(input.url.is_some());
    p.map(n);
    p.text("version").text("1.0");
    p.text("vicalProvider").text(&input.provider);
    p.text("date");
    tdate_text(&mut p, input.date);
    if let Some(id) = input.issue_id {
        p.text("vicalIssueID").uint(id);
    }
    if let Some(t) = input.next_update {
        p.text("nextUpdate");
        tdate_text(&mut p, t);
    }
    if let Some(u) = &input.url {
        p.text("vicalURL").text(u);
    }
    p.text("certificateInfos").array(input.entries.len());
    for (index, entry) in input.entries.iter().enumerate() {
        encode_entry(&mut p, entry).map_err(|e| match e {
            VicalError::EntryCertificate { error, .. } => {
                VicalError::EntryCertificate { index, error }
            }
            other => other,
        })?;
    }
    let payload = p.into_bytes();

    let mut ph = Encoder::new();
    ph.map(1).int(1).int(alg.cose_id());
    let protected = ph.into_bytes();
    let mut tbs = Encoder::with_capacity(payload.len() + 32);
    tbs.array(4)
        .text("Signature1")
        .bytes(&protected)
        .bytes(b"")
        .bytes(&payload);
    let signature = signer.sign(&tbs.into_bytes()).map_err(VicalError::Signer)?;
    if signature.len() != 2 * curve.field_len() {
        return Err(misuse(
            "the signature is not raw r || s of the curve's size",
        ));
    }

    let mut e = Encoder::with_capacity(payload.len() + 4096);
    e.array(4).bytes(&protected).map(1).int(HEADER_X5CHAIN);
    match x5chain {
        [one] => {
            e.bytes(one);
        }
        many => {
            e.array(many.len());
            for c in many {
                e.bytes(c);
            }
        }
    }
    e.bytes(&payload).bytes(&signature);
    let out = e.into_bytes();
    if out.len() > MAX_VICAL_LEN {
        return Err(VicalError::TooLarge {
            len: out.len(),
            max: MAX_VICAL_LEN,
        });
    }
    SignedVical::parse(&out)?;
    Ok(out)
}
