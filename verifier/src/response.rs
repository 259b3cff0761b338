//! DeviceResponse verification (ISO 18013-5 clause 9.3.1).

use crate::chain_cache::{CachedChain, ChainCache};
use crate::decode::transcript_and_message;
use crate::report::Warning;
use crate::report::{
    CheckResult, DisclosedElement, DocumentReport, IssuerSummary, Outcome, ResponseReport,
};
use crate::{Check, CheckError};
use kakunin_core::crypto::{default_provider, CryptoProvider, EcPrivateKey};
use kakunin_core::mdoc::{
    device_authentication_bytes, DeviceAuth, DeviceResponse, DeviceSigned, ElementError,
    IssuerSigned, MobileSecurityObject, SessionTranscript,
};
use kakunin_core::session::derive_emac_key;
use kakunin_core::trust::lenient::{validate_chain_for_doc_type_lenient, validate_pinned_ds};
use kakunin_core::trust::{
    validate_chain_for_doc_type, CertProfile, CrlSet, TrustAnchors, TrustError,
};
use std::collections::HashSet;
use time::OffsetDateTime;

/// A configured verifier: trusted IACAs, the crypto provider, and (for DeviceMac) the
/// reader's ephemeral private key.
pub struct Verifier<'a> {
    trust: &'a TrustAnchors,
    crypto: &'a dyn CryptoProvider,
    reader_key: Option<&'a EcPrivateKey>,
    status: Option<crate::status::StatusOptions<'a>>,
    chain_cache: Option<&'a ChainCache>,
    crls: Option<&'a CrlSet>,
    /// The explicit test modes (issue 18); [`TrustMode::IacaChain`] unless configured.
    mode: Mode<'a>,
}

/// How the verifier trusts Document Signers: the default, or one of the explicit test modes.
#[derive(Clone, Copy)]
enum Mode<'a> {
    Strict,
    Lenient,
    Pinned(&'a [Vec<u8>]),
}

/// How the Document Signers of a report were trusted (issue 18). Only
/// [`TrustMode::IacaChain`] is a till's policy; [`crate::AgePolicy::decide_mdoc`] refuses the
/// others with NG `untrusted_issuer`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustMode {
    /// The default: the DS chains to a trusted IACA under the strict Annex B profile.
    #[default]
    IacaChain,
    /// Test mode: the DS chains to a trusted IACA, its certificates read leniently (harmless
    /// RFC 5280 deviations are warnings).
    IacaChainLenient,
    /// Test mode (`--pin-ds`): the DS certificate equals a pinned one; no IACA, no chain.
    PinnedDs,
}

impl TrustMode {
    /// The stable snake_case name used in reports (`"trust_mode"`).
    pub fn name(self) -> &'static str {
        match self {
            TrustMode::IacaChain => "iaca_chain",
            TrustMode::IacaChainLenient => "iaca_chain_lenient",
            TrustMode::PinnedDs => "pinned_ds",
        }
    }

    /// Whether this is an explicit test mode (never a till's policy).
    pub fn is_test_mode(self) -> bool {
        self != TrustMode::IacaChain
    }
}

impl<'a> Verifier<'a> {
    /// A verifier trusting the IACAs `trust`, with the default crypto provider and no reader
    /// key.
    pub fn new(trust: &'a TrustAnchors) -> Self {
        Verifier {
            trust,
            crypto: default_provider(),
            reader_key: None,
            status: None,
            chain_cache: None,
            crls: None,
            mode: Mode::Strict,
        }
    }

    /// Test mode (`verify-response --pin-ds`, issue 18): trust a Document Signer whose
    /// certificate equals one of `pins` (DER) byte for byte, without an IACA; its validity is
    /// still checked and its key must verify the MSO. The trust anchors are not used for
    /// Document Signers, CRL revocation and status are not checked, and the report's
    /// [`ResponseReport::trust_mode`] is [`TrustMode::PinnedDs`] (a till refuses it).
    pub fn with_pinned_ds(mut self, pins: &'a [Vec<u8>]) -> Self {
        self.mode = Mode::Pinned(pins);
        self
    }

    /// Test mode: read the DS chain's certificates leniently (a serial number over 20
    /// octets, missing profile extensions become [`Warning::Certificate`]s); the report's
    /// trust mode is [`TrustMode::IacaChainLenient`] (a till refuses it). No effect with
    /// [`Self::with_pinned_ds`], which is lenient already.
    pub fn with_lenient_certificates(mut self) -> Self {
        if matches!(self.mode, Mode::Strict) {
            self.mode = Mode::Lenient;
        }
        self
    }

    /// The trust mode reports say.
    pub fn trust_mode(&self) -> TrustMode {
        match self.mode {
            Mode::Strict => TrustMode::IacaChain,
            Mode::Lenient => TrustMode::IacaChainLenient,
            Mode::Pinned(_) => TrustMode::PinnedDs,
        }
    }

    /// Check each validated DS chain against the CRLs of `crls` (RFC 5280 §5,
    /// crate::revocation): the DS certificate in its IACA's CRL, each intermediate in its
    /// issuer's. A certificate whose issuer has no CRL in the set is not failed; without this
    /// the revocation check is `not_checked`.
    pub fn with_crls(mut self, crls: &'a CrlSet) -> Self {
        self.crls = Some(crls);
        self
    }

    /// Check each document's MSO `status` against the Token Status Lists of `options`
    /// (crate::status); without this the status check is `not_checked`.
    pub fn with_status(mut self, options: crate::status::StatusOptions<'a>) -> Self {
        self.status = Some(options);
        self
    }

    /// Use another crypto backend.
    pub fn with_crypto(mut self, crypto: &'a dyn CryptoProvider) -> Self {
        self.crypto = crypto;
        self
    }

    /// The reader's ephemeral private key (EReaderKey.priv), needed to verify DeviceMac.
    pub fn with_reader_key(mut self, key: &'a EcPrivateKey) -> Self {
        self.reader_key = Some(key);
        self
    }

    /// Answer DS chain validations from `cache` when the same chain was validated under the
    /// same trust anchors in the same hour, and store the chains that validate there
    /// ([`ChainCache`]).
    pub fn with_chain_cache(mut self, cache: &'a ChainCache) -> Self {
        self.chain_cache = Some(cache);
        self
    }

    /// Trust the DS of `certs` (an x5chain, leaf first) under the configured mode: the
    /// strict chain to an IACA (cached), the lenient chain, or a pin. Test-mode certificate
    /// deviations are added to `r`'s warnings.
    fn validate_ds(
        &self,
        r: &mut DocumentReport,
        certs: &[&[u8]],
        doc_type: &str,
        at: OffsetDateTime,
    ) -> Result<CachedChain, TrustError> {
        match self.mode {
            Mode::Strict => self.validate_ds_chain(certs, doc_type, at),
            Mode::Lenient => {
                // Never cached, so a lenient result cannot answer a strict lookup.
                let (chain, warnings) = validate_chain_for_doc_type_lenient(
                    self.crypto,
                    certs,
                    self.trust,
                    CertProfile::DocumentSigner,
                    doc_type,
                    at,
                )?;
                r.warnings
                    .extend(warnings.into_iter().map(Warning::Certificate));
                Ok(CachedChain {
                    ds_serial: certs
                        .first()
                        .and_then(|leaf| certificate_serial_lenient(leaf)),
                    iaca_subject: self
                        .trust
                        .iter()
                        .nth(chain.anchor_index)
                        .and_then(|a| certificate_subject(a.der())),
                    chain,
                })
            }
            Mode::Pinned(pins) => {
                let pinned = validate_pinned_ds(certs, pins, at)?;
                r.warnings
                    .extend(pinned.warnings.iter().cloned().map(Warning::Certificate));
                Ok(CachedChain {
                    ds_serial: Some(pinned.serial.clone()),
                    iaca_subject: None,
                    chain: kakunin_core::trust::ValidatedChain {
                        leaf_public_key: pinned.leaf_public_key.clone(),
                        leaf_subject: pinned.leaf_subject.clone(),
                        // The issuer DN as the certificate states it (nothing validated it).
                        issuer_subject: pinned.issuer_subject.clone(),
                        anchor_index: pinned.pin_index,
                        not_before: pinned.not_before,
                        not_after: pinned.not_after,
                        chain_len: 1,
                        path: Vec::new(),
                    },
                })
            }
        }
    }

    /// Validate the DS chain (leaf first) to the trusted IACAs at `at`, through the cache
    /// when one is configured; with the DS serial and the IACA subject the report keeps.
    ///
    /// Only anchors trusted for `doc_type` are used: IACAs imported from a VICAL are scoped to
    /// the docTypes their entry lists (ISO 18013-5 Annex C).
    fn validate_ds_chain(
        &self,
        certs: &[&[u8]],
        doc_type: &str,
        at: OffsetDateTime,
    ) -> Result<CachedChain, TrustError> {
        let anchors_id = self.chain_cache.map(|_| {
            // Hashed once per anchor set, not once per response.
            let mut id = self.trust.identity(self.crypto).to_vec();
            // With scoped anchors the outcome depends on the docType: key by it too.
            if self.trust.has_scoped() {
                id.extend_from_slice(doc_type.as_bytes());
            }
            id
        });
        if let (Some(cache), Some(id)) = (self.chain_cache, &anchors_id) {
            if let Some(hit) = cache.get(certs, id, at) {
                return Ok(hit);
            }
        }
        let chain = validate_chain_for_doc_type(
            self.crypto,
            certs,
            self.trust,
            CertProfile::DocumentSigner,
            doc_type,
            at,
        )?;
        let validated = CachedChain {
            ds_serial: certs.first().and_then(|leaf| certificate_serial(leaf)),
            iaca_subject: self
                .trust
                .iter()
                .nth(chain.anchor_index)
                .and_then(|a| certificate_subject(a.der())),
            chain,
        };
        if let (Some(cache), Some(id)) = (self.chain_cache, &anchors_id) {
            cache.put(certs, id, at, validated.clone());
        }
        Ok(validated)
    }

    /// Verify a DeviceResponse against a SessionTranscript (bare or tag-24-wrapped) at `at`.
    pub fn verify_device_response(
        &self,
        response: &[u8],
        transcript: &[u8],
        at: OffsetDateTime,
    ) -> ResponseReport {
        let mut report = ResponseReport {
            version: None,
            status: None,
            documents: Vec::new(),
            document_errors: Vec::new(),
            errors: Vec::new(),
            trust_mode: self.trust_mode(),
        };
        let (transcript, parsed) =
            match transcript_and_message(transcript, response, DeviceResponse::from_bytes) {
                Ok(decoded) => decoded,
                Err(e) => {
                    report.errors.push(e);
                    return report;
                }
            };
        report.version = Some(parsed.version.clone());
        report.status = Some(parsed.status);
        if parsed.status != kakunin_core::mdoc::STATUS_OK {
            report.errors.push(CheckError::ResponseStatus {
                status: parsed.status,
            });
        }
        if parsed.documents.is_empty() {
            report.errors.push(CheckError::NoDocuments);
        }
        report.document_errors = parsed.document_errors.clone();
        for (i, doc) in parsed.documents.iter().enumerate() {
            report.documents.push(self.verify_document(
                i,
                DocParts {
                    doc_type: Some(&doc.doc_type),
                    issuer_signed: &doc.issuer_signed,
                    device: Some((&doc.device_signed, &transcript)),
                    not_returned: &doc.errors,
                },
                at,
            ));
        }
        report
    }

    /// Issuer data authentication only (issue 18, `kakunin verify-issuer-signed`): the MSO,
    /// the DS chain (or pin), the issuer signature, the docType, validity and every value
    /// digest of each document of a DeviceResponse (clause 9.3.1 without mdoc
    /// authentication: there is no SessionTranscript). Device checks are not performed; see
    /// [`IssuerDataReport`].
    pub fn verify_issuer_data_of_response(
        &self,
        response: &[u8],
        at: OffsetDateTime,
    ) -> IssuerDataReport {
        let mut out = IssuerDataReport {
            trust_mode: self.trust_mode(),
            documents: Vec::new(),
            errors: Vec::new(),
        };
        let parsed = match DeviceResponse::from_bytes(response) {
            Ok(p) => p,
            Err(e) => {
                out.errors.push(CheckError::Malformed(e));
                return out;
            }
        };
        if parsed.documents.is_empty() {
            out.errors.push(CheckError::NoDocuments);
        }
        for (i, doc) in parsed.documents.iter().enumerate() {
            out.documents.push(self.verify_document(
                i,
                DocParts {
                    doc_type: Some(&doc.doc_type),
                    issuer_signed: &doc.issuer_signed,
                    device: None,
                    not_returned: &doc.errors,
                },
                at,
            ));
        }
        out
    }

    /// [`Self::verify_issuer_data_of_response`] for one `IssuerSigned` on its own (as an
    /// issuer hands it to a wallet): there is no outer docType, so the docType check is not
    /// performed.
    pub fn verify_issuer_signed(
        &self,
        issuer_signed: &[u8],
        at: OffsetDateTime,
    ) -> IssuerDataReport {
        let mut out = IssuerDataReport {
            trust_mode: self.trust_mode(),
            documents: Vec::new(),
            errors: Vec::new(),
        };
        match kakunin_core::mdoc::decode_issuer_signed(issuer_signed) {
            Ok(is) => out.documents.push(self.verify_document(
                0,
                DocParts {
                    doc_type: None,
                    issuer_signed: &is,
                    device: None,
                    not_returned: &[],
                },
                at,
            )),
            Err(e) => out.errors.push(CheckError::Malformed(e)),
        }
        out
    }

    fn verify_document(&self, idx: usize, doc: DocParts<'_>, at: OffsetDateTime) -> DocumentReport {
        let mut r = DocumentReport {
            doc_type: doc.doc_type.unwrap_or_default().to_string(),
            checks: Vec::with_capacity(Check::ALL.len()),
            issuer: None,
            validity: None,
            status: None,
            status_check: Default::default(),
            revocation: Default::default(),
            device_auth: match doc.device.map(|(d, _)| &d.device_auth) {
                Some(DeviceAuth::Signature(_)) => "deviceSignature",
                Some(DeviceAuth::Mac(_)) => "deviceMac",
                None => "none",
            },
            elements: Vec::new(),
            not_returned: doc.not_returned.to_vec(),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let ignored = doc.issuer_signed.issuer_auth.ignored_unprotected_labels();
        if !ignored.is_empty() {
            r.warnings.push(Warning::IgnoredUnprotectedHeader {
                structure: "issuerAuth",
                labels: ignored.to_vec(),
            });
        }
        if let Some((
            DeviceSigned {
                device_auth: DeviceAuth::Signature(sig),
                ..
            },
            _,
        )) = doc.device
        {
            if !sig.ignored_unprotected_labels().is_empty() {
                r.warnings.push(Warning::IgnoredUnprotectedHeader {
                    structure: "deviceSignature",
                    labels: sig.ignored_unprotected_labels().to_vec(),
                });
            }
        }
        let record = |r: &mut DocumentReport, check: Check, result: Result<(), Vec<CheckError>>| {
            let outcome = match result {
                Ok(()) => Outcome::Passed,
                Err(errs) => {
                    r.errors.extend(errs);
                    Outcome::Failed
                }
            };
            r.checks.push(CheckResult { check, outcome });
            outcome == Outcome::Passed
        };
        let skip_rest = |r: &mut DocumentReport| {
            for c in Check::ALL {
                if !r.checks.iter().any(|x| x.check == c) {
                    r.checks.push(CheckResult {
                        check: c,
                        outcome: Outcome::NotPerformed,
                    });
                }
            }
        };

        // 1. The MSO. Without it nothing else can be checked.
        let issuer_auth = &doc.issuer_signed.issuer_auth;
        let mso = issuer_auth
            .payload()
            .ok_or_else(|| kakunin_core::mdoc::MdocError::Missing {
                path: format!("DeviceResponse.documents[{idx}].issuerSigned.issuerAuth.payload"),
            })
            .and_then(MobileSecurityObject::from_tagged_bytes);
        let mso = match mso {
            Ok(m) => m,
            Err(source) => {
                record(
                    &mut r,
                    Check::MsoStructure,
                    Err(vec![CheckError::MalformedMso { doc: idx, source }]),
                );
                skip_rest(&mut r);
                return r;
            }
        };
        record(&mut r, Check::MsoStructure, Ok(()));
        r.validity = Some(mso.validity);
        r.status = mso.status.clone();

        // 2. The DS certificate chain to a trusted IACA.
        let chain = issuer_auth
            .x5chain()
            .map_err(|source| vec![CheckError::IssuerAuthHeader { doc: idx, source }])
            .and_then(|certs| {
                self.validate_ds(&mut r, &certs, &mso.doc_type, at)
                    .map_err(|source| vec![CheckError::UntrustedIssuer { doc: idx, source }])
            });
        let chain = match chain {
            Ok(c) => {
                record(&mut r, Check::IssuerCertificateChain, Ok(()));
                Some(c)
            }
            // Keep going without a trusted key: the remaining checks still tell an interop
            // tester what else is wrong, and nothing is marked verified.
            Err(e) => {
                record(&mut r, Check::IssuerCertificateChain, Err(e));
                None
            }
        };
        if let Some(validated) = &chain {
            let chain = &validated.chain;
            r.issuer = Some(IssuerSummary {
                ds_common_name: chain.leaf_subject.common_name.clone(),
                country: chain
                    .leaf_subject
                    .country
                    .clone()
                    .or(chain.issuer_subject.country.clone()),
                // A pinned DS has no IACA.
                iaca_common_name: match self.mode {
                    Mode::Pinned(_) => None,
                    _ => chain.issuer_subject.common_name.clone(),
                },
                ds_serial: validated.ds_serial.clone(),
                iaca_subject: validated.iaca_subject.clone(),
            });
        }
        let chain = chain.map(|v| v.chain);

        // 3. issuerAuth signature.
        let sig_ok = match &chain {
            Some(chain) => record(
                &mut r,
                Check::IssuerSignature,
                issuer_auth
                    .verify(self.crypto, &chain.leaf_public_key, None)
                    .map_err(|source| vec![CheckError::IssuerSignature { doc: idx, source }]),
            ),
            None => {
                r.checks.push(CheckResult {
                    check: Check::IssuerSignature,
                    outcome: Outcome::NotPerformed,
                });
                false
            }
        };

        // 4. docType.
        match doc.doc_type {
            Some(doc_type) => {
                record(
                    &mut r,
                    Check::DocType,
                    if mso.doc_type == doc_type {
                        Ok(())
                    } else {
                        Err(vec![CheckError::DocTypeMismatch {
                            doc: idx,
                            document: doc_type.to_string(),
                            mso: mso.doc_type.clone(),
                        }])
                    },
                );
            }
            // A bare IssuerSigned: only the MSO names the docType.
            None => {
                r.doc_type = mso.doc_type.clone();
                r.checks.push(CheckResult {
                    check: Check::DocType,
                    outcome: Outcome::NotPerformed,
                });
            }
        }

        // 5. Validity: the verification time within [validFrom, validUntil], and the MSO
        //    signed while the DS certificate was valid.
        let v = mso.validity;
        let mut verrs = Vec::new();
        if at < v.valid_from {
            verrs.push(CheckError::NotYetValid {
                doc: idx,
                valid_from: v.valid_from,
                at,
            });
        }
        if at > v.valid_until {
            verrs.push(CheckError::Expired {
                doc: idx,
                valid_until: v.valid_until,
                at,
            });
        }
        if let Some(chain) = &chain {
            if v.signed < chain.not_before || v.signed > chain.not_after {
                verrs.push(CheckError::SignedOutsideCertificateValidity {
                    doc: idx,
                    signed: v.signed,
                });
            }
        }
        record(
            &mut r,
            Check::Validity,
            if verrs.is_empty() { Ok(()) } else { Err(verrs) },
        );

        // 6. Digests of every returned element.
        let digests_ok = self.collect_elements(&mut r, idx, doc.issuer_signed, &mso, sig_ok);
        let digest_errors = std::mem::take(&mut r.errors)
            .into_iter()
            .partition::<Vec<_>, _>(|e| e.check() == Some(Check::ValueDigests));
        r.errors = digest_errors.1;
        record(
            &mut r,
            Check::ValueDigests,
            if digests_ok {
                Ok(())
            } else {
                Err(digest_errors.0)
            },
        );

        // Issuer data only (no transcript): the device checks are not performed.
        let Some((device_signed, transcript)) = doc.device else {
            for check in [Check::KeyAuthorizations, Check::DeviceAuthentication] {
                r.checks.push(CheckResult {
                    check,
                    outcome: Outcome::NotPerformed,
                });
            }
            self.revocation_and_status(&mut r, issuer_auth, &mso, chain.as_ref(), sig_ok, at);
            // Here revocation and status count too: no grace applies to issuer data alone.
            if !r.issuer_data_valid() {
                for e in &mut r.elements {
                    e.verified = false;
                }
            }
            return r;
        };
        // 7. KeyAuthorizations for device-signed elements.
        let mut kerrs = Vec::new();
        for (ns, els) in &device_signed.name_spaces {
            for (el, _) in els {
                let allowed = mso
                    .key_authorizations
                    .as_ref()
                    .is_some_and(|ka| ka.permits(ns, el));
                if !allowed {
                    kerrs.push(CheckError::DeviceKeyNotAuthorized {
                        doc: idx,
                        namespace: ns.clone(),
                        element: el.clone(),
                    });
                }
                if r.elements
                    .iter()
                    .any(|e| e.namespace == *ns && e.identifier == *el)
                {
                    kerrs.push(CheckError::DeviceSignedOverridesIssuer {
                        doc: idx,
                        namespace: ns.clone(),
                        element: el.clone(),
                    });
                }
            }
        }
        record(
            &mut r,
            Check::KeyAuthorizations,
            if kerrs.is_empty() { Ok(()) } else { Err(kerrs) },
        );

        // 8. Device authentication over DeviceAuthenticationBytes.
        let device_auth = self
            .verify_device_auth(idx, &r.doc_type, device_signed, &mso, transcript)
            .map_err(|e| vec![e]);
        let device_ok = record(&mut r, Check::DeviceAuthentication, device_auth);
        for (ns, els) in &device_signed.name_spaces {
            for (el, value) in els {
                r.elements.push(DisclosedElement {
                    namespace: ns.clone(),
                    identifier: el.clone(),
                    value: value.clone(),
                    digest_id: None,
                    verified: device_ok && sig_ok,
                });
            }
        }
        // An element is only "verified" when the whole document is.
        if !r.valid() {
            for e in &mut r.elements {
                e.verified = false;
            }
        }
        self.revocation_and_status(&mut r, issuer_auth, &mso, chain.as_ref(), sig_ok, at);
        r
    }

    /// Steps 9 and 10 of a document: revocation by CRLs and the MSO status.
    fn revocation_and_status(
        &self,
        r: &mut DocumentReport,
        issuer_auth: &kakunin_core::cose::Sign1,
        mso: &MobileSecurityObject,
        chain: Option<&kakunin_core::trust::ValidatedChain>,
        sig_ok: bool,
        at: OffsetDateTime,
    ) {
        // A pinned DS has no chain to an anchor: neither CRLs nor status lists can be tied
        // to it, so neither is checked (as without CRLs or a status source).
        if let Mode::Pinned(_) = self.mode {
            r.revocation = crate::revocation::RevocationReport::NotChecked;
            r.status_check = crate::status::not_checked(mso.status.as_ref());
            return;
        }
        // 9. Revocation of the validated DS chain by CRLs (after the flags above, like the
        //    status: a verdict may accept a stale CRL within its grace).
        r.revocation = match (self.crls, chain) {
            (None, _) => crate::revocation::RevocationReport::NotChecked,
            (Some(crls), Some(chain)) => {
                match (
                    issuer_auth.x5chain(),
                    self.trust.iter().nth(chain.anchor_index),
                ) {
                    (Ok(certs), Some(anchor)) => {
                        crate::revocation::chain_revocation(crls, &certs, chain, anchor.der(), at)
                    }
                    _ => crate::revocation::RevocationReport::NotPerformed,
                }
            }
            (Some(_), None) => crate::revocation::RevocationReport::NotPerformed,
        };
        // 10. Status (Token Status List), only for an MSO whose signature verified under a
        //    trusted chain: the list's signer must chain to that same IACA.
        r.status_check = match chain {
            Some(chain) if sig_ok => crate::status::mdoc_status(
                self.crypto,
                mso.status.as_ref(),
                self.trust,
                chain.anchor_index,
                self.status.as_ref(),
                at,
            ),
            _ => crate::status::not_performed(mso.status.as_ref()),
        };
    }

    /// Record every issuer-signed element, checking its digest; returns whether all matched.
    fn collect_elements(
        &self,
        r: &mut DocumentReport,
        doc_idx: usize,
        issuer_signed: &IssuerSigned,
        mso: &MobileSecurityObject,
        trusted: bool,
    ) -> bool {
        let idx_errs_before = r.errors.len();
        for ns in &issuer_signed.name_spaces {
            let mut ids = HashSet::with_capacity(ns.items.len());
            let mut names = HashSet::with_capacity(ns.items.len());
            for item in &ns.items {
                let doc = doc_idx;
                if !ids.insert(item.digest_id) {
                    r.errors.push(CheckError::DuplicateDigestId {
                        doc,
                        namespace: ns.name.clone(),
                        digest_id: item.digest_id,
                    });
                }
                if !names.insert(item.element_identifier.as_str()) {
                    r.errors.push(CheckError::DuplicateElement {
                        doc,
                        namespace: ns.name.clone(),
                        element: item.element_identifier.clone(),
                    });
                }
                let ok = match mso.digest(&ns.name, item.digest_id) {
                    None => {
                        r.errors.push(CheckError::DigestMissing {
                            doc,
                            namespace: ns.name.clone(),
                            element: item.element_identifier.clone(),
                            digest_id: item.digest_id,
                        });
                        false
                    }
                    Some(expected) => {
                        let actual = self.crypto.hash(mso.digest_algorithm, &item.raw);
                        let same = actual.len() == expected.len()
                            && actual
                                .iter()
                                .zip(expected)
                                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                                == 0;
                        if !same {
                            r.errors.push(CheckError::DigestMismatch {
                                doc,
                                namespace: ns.name.clone(),
                                element: item.element_identifier.clone(),
                                digest_id: item.digest_id,
                            });
                        }
                        same
                    }
                };
                r.elements.push(DisclosedElement {
                    namespace: ns.name.clone(),
                    identifier: item.element_identifier.clone(),
                    value: item.element_value.clone(),
                    digest_id: Some(item.digest_id),
                    verified: ok && trusted,
                });
            }
        }
        r.errors.len() == idx_errs_before
    }

    fn verify_device_auth(
        &self,
        idx: usize,
        doc_type: &str,
        device_signed: &DeviceSigned,
        mso: &MobileSecurityObject,
        transcript: &SessionTranscript,
    ) -> Result<(), CheckError> {
        let payload =
            device_authentication_bytes(transcript, doc_type, &device_signed.name_spaces_bytes);
        match &device_signed.device_auth {
            DeviceAuth::Signature(sig) => sig
                .verify(self.crypto, &mso.device_key, Some(&payload))
                .map_err(|source| CheckError::DeviceSignature { doc: idx, source }),
            DeviceAuth::Mac(mac) => {
                let reader_key = self
                    .reader_key
                    .ok_or(CheckError::DeviceMacNeedsReaderKey { doc: idx })?;
                let emac = derive_emac_key(self.crypto, reader_key, &mso.device_key, transcript)
                    .map_err(|source| CheckError::Crypto { doc: idx, source })?;
                mac.verify(self.crypto, emac.as_ref(), Some(&payload))
                    .map_err(|source| {
                        // Only on failure: tell a wrong reader key apart from a bad MAC.
                        if !self.reader_key_matches_transcript(reader_key, transcript) {
                            CheckError::ReaderKeyNotInTranscript { doc: idx }
                        } else {
                            CheckError::DeviceMac { doc: idx, source }
                        }
                    })
            }
        }
    }

    fn reader_key_matches_transcript(
        &self,
        key: &EcPrivateKey,
        transcript: &SessionTranscript,
    ) -> bool {
        let Ok(public) = self.crypto.public_key(key) else {
            return false;
        };
        let Ok(bytes) = transcript.e_reader_key_bytes() else {
            return false;
        };
        let Ok(item) = kakunin_core::cbor::decode(&bytes) else {
            return false;
        };
        let Some((24, inner)) = item.as_tag() else {
            return false;
        };
        let Some(Ok(key_item)) = inner.as_bytes().map(kakunin_core::cbor::decode) else {
            return false;
        };
        kakunin_core::cose::decode_cose_key(&key_item).is_ok_and(|k| k == public)
    }
}

/// A certificate's serial number as lowercase hex of its DER INTEGER content (RFC 5280
/// 4.1.2.2), or `None` when the certificate does not parse.
pub(crate) fn certificate_serial(der: &[u8]) -> Option<String> {
    use der::Decode;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    Some(hex_lower(cert.tbs_certificate.serial_number.as_bytes()))
}

/// [`certificate_serial`] for a certificate the strict parse refuses (test modes).
fn certificate_serial_lenient(der: &[u8]) -> Option<String> {
    use der::Decode;
    let cert =
        x509_cert::certificate::CertificateInner::<x509_cert::certificate::Raw>::from_der(der)
            .ok()?;
    Some(hex_lower(cert.tbs_certificate.serial_number.as_bytes()))
}

/// The parts of a document verification looks at: a DeviceResponse document, or a bare
/// IssuerSigned (no docType outside the MSO, no device part).
#[derive(Clone, Copy)]
struct DocParts<'d> {
    doc_type: Option<&'d str>,
    issuer_signed: &'d IssuerSigned,
    device: Option<(&'d DeviceSigned, &'d SessionTranscript)>,
    not_returned: &'d [ElementError],
}

/// Issuer data authentication of one or more documents without mdoc authentication (issue
/// 18): what `kakunin verify-issuer-signed` reports as "issuer data valid" — never a valid
/// presentation, since nothing shows the credential was presented by its device.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IssuerDataReport {
    /// How the Document Signers were trusted.
    pub trust_mode: TrustMode,
    /// One report per document: the device checks are `NotPerformed`.
    pub documents: Vec<DocumentReport>,
    /// Input-level errors (malformed, no documents).
    pub errors: Vec<CheckError>,
}

impl IssuerDataReport {
    /// The input decoded, holds at least one document, and every document's issuer data
    /// verified ([`DocumentReport::issuer_data_valid`]).
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
            && !self.documents.is_empty()
            && self.documents.iter().all(DocumentReport::issuer_data_valid)
    }
}

/// A certificate's subject as an RFC 4514 string (`CN=...,O=...,C=JP`, most specific first),
/// or `None` when the certificate does not parse.
fn certificate_subject(der: &[u8]) -> Option<String> {
    use der::Decode;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    Some(cert.tbs_certificate.subject.to_string())
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    use core::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Verify a DeviceResponse with the default crypto provider and no reader key (so a
/// DeviceMac response reports [`CheckError::DeviceMacNeedsReaderKey`]).
pub fn verify_device_response(
    response: &[u8],
    transcript: &[u8],
    trust: &TrustAnchors,
    at: OffsetDateTime,
) -> ResponseReport {
    Verifier::new(trust).verify_device_response(response, transcript, at)
}
