//! The mdoc cases: ISO 18013-5 DeviceResponses (clause 8.3.2.1.2.2) generated with the
//! issuer crate and the holder simulator's `disclose`, each valid or broken in exactly one
//! way, plus the fixed published Annex D response (D.4.1.2) with its own transcript, IACA,
//! reader key and time.
//!
//! Every valid suite case discloses `age_over_20` = true, so a till's age policy (docs/verdict.md)
//! says OK for exactly the cases a plain verifier accepts.

use super::{CaseInput, SuiteError, SuitePki, VerifierCase};
use crate::case::Expected;
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, CryptoProvider, Curve, EcPrivateKey, HashAlg};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_response, encode_items_request, DocumentParts,
    ItemsRequest, RequestedElement, SessionTranscript, ValidityInfo,
};
use kakunin_holder_sim::respond::{disclose, DisclosedDocument};
use kakunin_holder_sim::{Consent, DeviceAuthMode};
use kakunin_issuer::pki::{issue_leaf, issue_root, EKU_MDOC_DS, EKU_MDOC_READER_AUTH};
use kakunin_issuer::{elements_from_json, DocProfile, Element, KeyAndCert, MdocIssuer};
use time::{Duration, OffsetDateTime};

/// The group name in reports.
const GROUP: &str = "mdoc";

/// A credential in the suite's wallet: IssuerSigned and the device key it is bound to.
pub(crate) struct Cred {
    doc_type: String,
    issuer_signed: Vec<u8>,
    device_key: EcPrivateKey,
    elements: Vec<Element>,
}

/// One session: its SessionTranscriptBytes and the reader's ephemeral key (for DeviceMac).
pub(crate) struct Session {
    pub(crate) transcript: Vec<u8>,
    pub(crate) reader_key: EcPrivateKey,
}

/// One document to present.
pub(crate) struct Present<'a> {
    pub(crate) cred: &'a Cred,
    pub(crate) elements: Vec<String>,
    pub(crate) mode: DeviceAuthMode,
    /// The docType written in the Document (and signed over in DeviceAuthentication); the
    /// credential's own when `None`.
    pub(crate) doc_type: Option<&'a str>,
}

/// A change applied to one disclosed document before it is encoded (a one-fault case).
type Mutate = fn(&mut DisclosedDocument);

/// What the generator needs: the crypto, the PKI, the time, and the cases built so far.
pub(crate) struct Gen<'a> {
    pub(crate) crypto: &'static dyn CryptoProvider,
    pub(crate) pki: &'a SuitePki,
    pub(crate) at: OffsetDateTime,
    pub(crate) cases: Vec<VerifierCase>,
}

/// The element sets the valid cases disclose, per profile (`age_over_20` always).
fn element_sets(profile: DocProfile) -> Vec<(&'static str, Vec<&'static str>)> {
    match profile {
        DocProfile::Mdl => vec![
            ("age20", vec!["age_over_20"]),
            ("names", vec!["age_over_20", "family_name", "given_name"]),
            ("portrait", vec!["age_over_20", "portrait"]),
            (
                "driving",
                vec!["age_over_20", "driving_privileges", "document_number"],
            ),
        ],
        DocProfile::JpPid => vec![
            ("age20", vec!["age_over_20"]),
            ("names", vec!["age_over_20", "name", "name_kana"]),
            ("portrait", vec!["age_over_20", "portrait"]),
            ("address", vec!["age_over_20", "resident_address", "sex"]),
        ],
    }
}

fn short(profile: DocProfile) -> &'static str {
    match profile {
        DocProfile::Mdl => "mdl",
        DocProfile::JpPid => "jppid",
    }
}

fn mode_name(mode: DeviceAuthMode) -> &'static str {
    match mode {
        DeviceAuthMode::Signature => "sig",
        DeviceAuthMode::Mac => "mac",
    }
}

fn mode_clause(mode: DeviceAuthMode) -> &'static str {
    match mode {
        DeviceAuthMode::Signature => "DeviceSignature, 9.1.3.6",
        DeviceAuthMode::Mac => "DeviceMac, 9.1.3.5",
    }
}

fn reject(reason: &str) -> Expected {
    Expected::Reject {
        reason: reason.to_string(),
    }
}

/// Flip the last byte of `bytes` (the end of a COSE signature or tag when `bytes` ends with
/// one).
fn flip_last(bytes: &mut [u8]) {
    if let Some(b) = bytes.last_mut() {
        *b ^= 0x01;
    }
}

/// Replace the first `from` in `bytes` with `to` (same length).
fn replace_once(bytes: &mut [u8], from: &[u8], to: &[u8]) -> bool {
    if from.is_empty() || from.len() != to.len() {
        return false;
    }
    let Some(pos) = bytes.windows(from.len()).position(|w| w == from) else {
        return false;
    };
    match bytes.get_mut(pos..pos + to.len()) {
        Some(slot) => {
            slot.copy_from_slice(to);
            true
        }
        None => false,
    }
}

/// `elementValue` followed by CBOR `true`: the age element of an IssuerSignedItem.
const VALUE_TRUE: &[u8] = b"\x6celementValue\xf5";
/// The same with `false`.
const VALUE_FALSE: &[u8] = b"\x6celementValue\xf4";

impl<'a> Gen<'a> {
    pub(crate) fn new(pki: &'a SuitePki, at: OffsetDateTime) -> Self {
        Gen {
            crypto: default_provider(),
            pki,
            at,
            cases: Vec::new(),
        }
    }

    fn err(case: &str) -> impl Fn(String) -> SuiteError + '_ {
        move |detail| SuiteError::Issue {
            case: case.to_string(),
            detail,
        }
    }

    /// The MSO validity of a valid case: signed a day ago, valid 30 more days.
    pub(crate) fn validity(&self) -> ValidityInfo {
        ValidityInfo {
            signed: self.at - Duration::days(1),
            valid_from: self.at - Duration::days(1),
            valid_until: self.at + Duration::days(30),
            expected_update: None,
        }
    }

    fn elements(&self, profile: DocProfile) -> Result<Vec<Element>, SuiteError> {
        let text = match profile {
            DocProfile::Mdl => include_str!("../../../docs/examples/mdl-claims.json"),
            DocProfile::JpPid => include_str!("../../../docs/examples/jp-pid-claims.json"),
        };
        let claims: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| SuiteError::Vector(format!("example claims: {e}")))?;
        elements_from_json(profile, &claims, self.at.date())
            .map_err(|e| SuiteError::Vector(format!("example claims: {e}")))
    }

    /// Issue one credential of `profile` signed by `signer` with `chain`.
    pub(crate) fn issue(
        &self,
        profile: DocProfile,
        signer: &KeyAndCert,
        chain: Vec<Vec<u8>>,
        validity: ValidityInfo,
        alg: HashAlg,
        mso_doc_type: Option<&str>,
    ) -> Result<Cred, SuiteError> {
        let e = Self::err(profile.doc_type());
        let elements = self.elements(profile)?;
        let device_key = self
            .crypto
            .generate_key(Curve::P256)
            .map_err(|x| e(x.to_string()))?;
        let public = self
            .crypto
            .public_key(&device_key)
            .map_err(|x| e(x.to_string()))?;
        let doc_type = mso_doc_type.unwrap_or(profile.doc_type());
        let issued = MdocIssuer::new(self.crypto, &signer.key, chain)
            .with_digest_algorithm(alg)
            .issue(doc_type, &elements, &public, validity, None)
            .map_err(|x| e(x.to_string()))?;
        Ok(Cred {
            doc_type: profile.doc_type().to_string(),
            issuer_signed: issued.issuer_signed,
            device_key,
            elements,
        })
    }

    /// A valid credential of `profile` from the first DS.
    pub(crate) fn good_cred(&self, profile: DocProfile) -> Result<Cred, SuiteError> {
        let ds = self.pki.ds()?;
        self.issue(
            profile,
            ds,
            vec![ds.cert_der.clone()],
            self.validity(),
            HashAlg::Sha256,
            None,
        )
    }

    /// A fresh session: device engagement with a new EDeviceKey, a new EReaderKey, QR
    /// handover (null), clause 9.1.5.1.
    pub(crate) fn session(&self) -> Result<Session, SuiteError> {
        let e = Self::err("session");
        let device = self
            .crypto
            .generate_key(Curve::P256)
            .map_err(|x| e(x.to_string()))?;
        let device_pub = self
            .crypto
            .public_key(&device)
            .map_err(|x| e(x.to_string()))?;
        let reader_key = self
            .crypto
            .generate_key(Curve::P256)
            .map_err(|x| e(x.to_string()))?;
        let reader_pub = self
            .crypto
            .public_key(&reader_key)
            .map_err(|x| e(x.to_string()))?;
        let de = wrap_tag24(&encode_device_engagement(&device_pub, &[]));
        let ek = wrap_tag24(&encode_cose_key(&reader_pub));
        let t = SessionTranscript::build(&de, &ek, &[0xf6]);
        Ok(Session {
            transcript: t.tagged_bytes().to_vec(),
            reader_key,
        })
    }

    /// The DeviceResponse presenting `docs` in `session`, with `mutate` applied to the first
    /// document before encoding.
    pub(crate) fn present(
        &self,
        session: &Session,
        docs: &[Present<'_>],
        mutate: Option<Mutate>,
    ) -> Result<Vec<u8>, SuiteError> {
        let e = Self::err("present");
        let transcript =
            SessionTranscript::from_bytes(&session.transcript).map_err(|x| e(x.to_string()))?;
        let mut built: Vec<(String, DisclosedDocument)> = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            let doc_type = d.doc_type.unwrap_or(&d.cred.doc_type).to_string();
            let wanted: Vec<RequestedElement> = d
                .elements
                .iter()
                .map(|el| RequestedElement {
                    namespace: d
                        .cred
                        .elements
                        .iter()
                        .find(|x| x.identifier == *el)
                        .map(|x| x.namespace.clone())
                        .unwrap_or_else(|| namespace_of(&d.cred.doc_type)),
                    element: el.clone(),
                    intent_to_retain: false,
                })
                .collect();
            let ir = ItemsRequest {
                raw: encode_items_request(&doc_type, &wanted),
                doc_type: doc_type.clone(),
                elements: wanted,
                request_info: None,
            };
            let mut doc = disclose(
                self.crypto,
                &d.cred.issuer_signed,
                &d.cred.device_key,
                &ir,
                &transcript,
                &Consent::ApproveAll,
                d.mode,
            )
            .map_err(|x| e(x.to_string()))?;
            if i == 0 {
                if let Some(m) = mutate {
                    m(&mut doc);
                }
            }
            built.push((doc_type, doc));
        }
        let parts: Vec<DocumentParts<'_>> = built
            .iter()
            .map(|(dt, d)| DocumentParts {
                doc_type: dt,
                issuer_signed: d.issuer_signed.clone(),
                device_name_spaces_bytes: &d.device_name_spaces,
                device_auth: (d.auth_kind, &d.auth),
                errors: d.element_errors.clone(),
            })
            .collect();
        Ok(encode_device_response(&parts, &[], 0))
    }

    /// Add an mdoc case verified against the suite IACA at the suite time.
    pub(crate) fn push(
        &mut self,
        id: &str,
        description: String,
        expected: Expected,
        response: Vec<u8>,
        session: Session,
        with_reader_key: bool,
    ) {
        let reader_key = with_reader_key.then_some(session.reader_key);
        self.cases.push(VerifierCase {
            id: format!("mdoc/{id}"),
            group: GROUP,
            description,
            required: true,
            expected,
            input: CaseInput::Mdoc {
                response,
                transcript: session.transcript,
                reader_key,
            },
            trust_der: self.pki.iaca.cert_der.clone(),
            at: self.at,
            suite_trust: true,
        });
    }

    /// A one-document case: issue nothing new, present `cred` with `elements` in `mode`,
    /// `mutate` applied.
    fn single(
        &mut self,
        id: &str,
        description: String,
        expected: Expected,
        cred: &Cred,
        elements: &[&str],
        (mode, mutate): (DeviceAuthMode, Option<Mutate>),
    ) -> Result<(), SuiteError> {
        let s = self.session()?;
        let response = self.present(
            &s,
            &[Present {
                cred,
                elements: elements.iter().map(|e| e.to_string()).collect(),
                mode,
                doc_type: None,
            }],
            mutate,
        )?;
        self.push(
            id,
            description,
            expected,
            response,
            s,
            mode == DeviceAuthMode::Mac,
        );
        Ok(())
    }
}

fn namespace_of(doc_type: &str) -> String {
    DocProfile::from_doc_type(doc_type)
        .map(DocProfile::namespace)
        .unwrap_or(kakunin_core::mdoc::MDL_NAMESPACE)
        .to_string()
}

/// Build every mdoc case.
pub fn build(pki: &SuitePki, at: OffsetDateTime) -> Result<Vec<VerifierCase>, SuiteError> {
    let mut g = Gen::new(pki, at);
    valid_cases(&mut g)?;
    issuer_fault_cases(&mut g)?;
    holder_fault_cases(&mut g)?;
    structural_cases(&mut g)?;
    annex_d(&mut g)?;
    Ok(g.cases)
}

const PROFILES: [DocProfile; 2] = [DocProfile::Mdl, DocProfile::JpPid];
const MODES: [DeviceAuthMode; 2] = [DeviceAuthMode::Signature, DeviceAuthMode::Mac];

fn valid_cases(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    let ok = Expected::Accept;
    for profile in PROFILES {
        let cred = g.good_cred(profile)?;
        for mode in MODES {
            for (set, elements) in element_sets(profile) {
                g.single(
                    &format!("valid/{}-{}-{set}", short(profile), mode_name(mode)),
                    format!(
                        "valid {} ({}), elements {}: accept (8.3.2.1.2.2, 9.1.2, {})",
                        short(profile),
                        profile.doc_type(),
                        elements.join(", "),
                        mode_clause(mode)
                    ),
                    ok.clone(),
                    &cred,
                    &elements,
                    (mode, None),
                )?;
            }
        }
        // Every element the credential holds.
        let all: Vec<String> = cred.elements.iter().map(|e| e.identifier.clone()).collect();
        let all_refs: Vec<&str> = all.iter().map(String::as_str).collect();
        g.single(
            &format!("valid/{}-sig-every-element", short(profile)),
            format!(
                "valid {}, all {} elements disclosed: accept (9.1.2.4 digests of every item)",
                short(profile),
                all.len()
            ),
            ok.clone(),
            &cred,
            &all_refs,
            (DeviceAuthMode::Signature, None),
        )?;
        // A requested element the credential does not hold: returned in `errors`, still valid.
        g.single(
            &format!("valid/{}-sig-element-error", short(profile)),
            "valid, one requested element not held, reported in DeviceSigned errors (ErrorCode 0): accept (8.3.2.1.2.2)".into(),
            ok.clone(),
            &cred,
            &["age_over_20", "not_an_element"],
            (DeviceAuthMode::Signature, None),
        )?;
        for (alg, name) in [(HashAlg::Sha384, "sha384"), (HashAlg::Sha512, "sha512")] {
            let ds = g.pki.ds()?;
            let c = g.issue(
                profile,
                ds,
                vec![ds.cert_der.clone()],
                g.validity(),
                alg,
                None,
            )?;
            g.single(
                &format!("valid/{}-sig-digest-{name}", short(profile)),
                format!("valid, MSO digestAlgorithm {name}: accept (9.1.2.5)"),
                ok.clone(),
                &c,
                &["age_over_20"],
                (DeviceAuthMode::Signature, None),
            )?;
        }
        let p384 = super::curves::p384_leaf(
            g.crypto,
            &g.pki.iaca,
            "Kakunin conformance DS P-384",
            EKU_MDOC_DS,
            g.at - Duration::days(30),
            365,
        )?;
        let c = g.issue(
            profile,
            &p384,
            vec![p384.cert_der.clone()],
            g.validity(),
            HashAlg::Sha384,
            None,
        )?;
        g.single(
            &format!("valid/{}-sig-ds-p384", short(profile)),
            "valid, Document Signer on P-384 (MSO signed ES384) under the P-256 IACA: accept (9.1.2.4, Annex B)".into(),
            ok.clone(),
            &c,
            &["age_over_20"],
            (DeviceAuthMode::Signature, None),
        )?;
        let ds2 = g.pki.ds2()?;
        let c = g.issue(
            profile,
            ds2,
            vec![ds2.cert_der.clone()],
            g.validity(),
            HashAlg::Sha256,
            None,
        )?;
        g.single(
            &format!("valid/{}-sig-second-ds", short(profile)),
            "valid, signed by the second Document Signer of the same IACA: accept (Annex B)".into(),
            ok.clone(),
            &c,
            &["age_over_20"],
            (DeviceAuthMode::Signature, None),
        )?;
    }
    // MSO validity at its edges.
    let ds = g.pki.ds()?;
    let edges = [
        (
            "valid/mdl-sig-mso-valid-until-in-a-minute",
            "valid, MSO validUntil one minute after the verification time: accept (9.1.2.4)",
            ValidityInfo {
                signed: g.at - Duration::days(29),
                valid_from: g.at - Duration::days(29),
                valid_until: g.at + Duration::minutes(1),
                expected_update: None,
            },
        ),
        (
            "valid/mdl-sig-mso-valid-from-a-minute-ago",
            "valid, MSO validFrom one minute before the verification time: accept (9.1.2.4)",
            ValidityInfo {
                signed: g.at - Duration::minutes(1),
                valid_from: g.at - Duration::minutes(1),
                valid_until: g.at + Duration::days(30),
                expected_update: Some(g.at + Duration::days(7)),
            },
        ),
    ];
    for (id, desc, v) in edges {
        let c = g.issue(
            DocProfile::Mdl,
            ds,
            vec![ds.cert_der.clone()],
            v,
            HashAlg::Sha256,
            None,
        )?;
        g.single(
            id.trim_start_matches("mdoc/"),
            desc.into(),
            ok.clone(),
            &c,
            &["age_over_20"],
            (DeviceAuthMode::Signature, None),
        )?;
    }
    // Two documents in one response.
    let mdl = g.good_cred(DocProfile::Mdl)?;
    let pid = g.good_cred(DocProfile::JpPid)?;
    for (id, m1, m2) in [
        (
            "valid/two-docs-sig-sig",
            DeviceAuthMode::Signature,
            DeviceAuthMode::Signature,
        ),
        (
            "valid/two-docs-mac-mac",
            DeviceAuthMode::Mac,
            DeviceAuthMode::Mac,
        ),
        (
            "valid/two-docs-sig-mac",
            DeviceAuthMode::Signature,
            DeviceAuthMode::Mac,
        ),
    ] {
        let s = g.session()?;
        let r = g.present(
            &s,
            &[
                Present {
                    cred: &mdl,
                    elements: vec!["age_over_20".into(), "family_name".into()],
                    mode: m1,
                    doc_type: None,
                },
                Present {
                    cred: &pid,
                    elements: vec!["age_over_20".into(), "name".into()],
                    mode: m2,
                    doc_type: None,
                },
            ],
            None,
        )?;
        let mac = m1 == DeviceAuthMode::Mac || m2 == DeviceAuthMode::Mac;
        g.push(
            id,
            format!(
                "valid, two documents (mDL {}, JP PID {}) in one DeviceResponse: accept (8.3.2.1.2.2)",
                mode_name(m1),
                mode_name(m2)
            ),
            ok.clone(),
            r,
            s,
            mac,
        );
    }
    Ok(())
}

/// A DS-like certificate under `issuer`, valid `days` from `from`.
fn leaf(
    g: &Gen<'_>,
    issuer: &KeyAndCert,
    cn: &str,
    eku: &'static str,
    from: OffsetDateTime,
    days: i64,
) -> Result<KeyAndCert, SuiteError> {
    Ok(issue_leaf(g.crypto, issuer, cn, "JP", eku, from, days)?)
}

/// (id, description, reason, signer, x5chain, MSO validity) of an issuer-side fault.
type SignerFault<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a KeyAndCert,
    Vec<Vec<u8>>,
    ValidityInfo,
);

fn issuer_fault_cases(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    let at = g.at;
    // Signers that break the chain or the certificate profile (9.3.3, Annex B).
    let other_root = issue_root(
        g.crypto,
        "Kakunin conformance rogue IACA",
        "JP",
        at - Duration::days(30),
        3650,
    )?;
    let rogue_ds = leaf(
        g,
        &other_root,
        "Kakunin conformance rogue DS",
        EKU_MDOC_DS,
        at - Duration::days(30),
        365,
    )?;
    // A root with the suite IACA's exact subject name but another key.
    let twin_root = issue_root(
        g.crypto,
        "Kakunin test IACA JP",
        "JP",
        at - Duration::days(30),
        3650,
    )?;
    let twin_ds = leaf(
        g,
        &twin_root,
        "Kakunin conformance twin DS",
        EKU_MDOC_DS,
        at - Duration::days(30),
        365,
    )?;
    let expired_ds = leaf(
        g,
        &g.pki.iaca,
        "Kakunin conformance expired DS",
        EKU_MDOC_DS,
        at - Duration::days(400),
        30,
    )?;
    let future_ds = leaf(
        g,
        &g.pki.iaca,
        "Kakunin conformance future DS",
        EKU_MDOC_DS,
        at + Duration::days(10),
        365,
    )?;
    let reader_eku_ds = leaf(
        g,
        &g.pki.iaca,
        "Kakunin conformance reader-EKU DS",
        EKU_MDOC_READER_AUTH,
        at - Duration::days(30),
        365,
    )?;
    let ds = g.pki.ds()?;
    let ds2 = g.pki.ds2()?;
    let sig = DeviceAuthMode::Signature;
    let past = ValidityInfo {
        signed: at - Duration::days(31),
        valid_from: at - Duration::days(31),
        valid_until: at - Duration::days(1),
        expected_update: None,
    };
    let future = ValidityInfo {
        signed: at + Duration::days(1),
        valid_from: at + Duration::days(1),
        valid_until: at + Duration::days(31),
        expected_update: None,
    };
    for profile in PROFILES {
        let p = short(profile);
        let v = g.validity();
        // (id, description, reason, signer, chain, validity)
        let signer_faults: Vec<SignerFault<'_>> = vec![
            ("mso-expired", "MSO validUntil passed a day ago: reject (9.3.1 step 4, 9.1.2.4)", "expired", ds, vec![ds.cert_der.clone()], past),
            ("mso-not-yet-valid", "MSO validFrom is tomorrow: reject (9.3.1, 9.1.2.4)", "not_yet_valid", ds, vec![ds.cert_der.clone()], future),
            ("ds-expired", "Document Signer certificate expired a year ago (MSO itself valid): reject (9.3.3, RFC 5280 6.1.3)", "expired", &expired_ds, vec![expired_ds.cert_der.clone()], v),
            ("ds-not-yet-valid", "Document Signer certificate valid only from in 10 days: reject (9.3.3)", "not_yet_valid", &future_ds, vec![future_ds.cert_der.clone()], v),
            ("untrusted-iaca", "MSO signed by a DS under an IACA the verifier does not trust: reject (9.3.3)", "untrusted_issuer", &rogue_ds, vec![rogue_ds.cert_der.clone()], v),
            ("ds-issuer-name-twin", "DS issued by a root with the trusted IACA's exact name but another key: reject (RFC 5280 6.1.3 signature)", "untrusted_issuer", &twin_ds, vec![twin_ds.cert_der.clone()], v),
            ("ds-wrong-eku", "MSO signed by a certificate with the reader-auth EKU 1.0.18013.5.1.6, not mdoc DS: reject (Annex B.1.4)", "untrusted_issuer", &reader_eku_ds, vec![reader_eku_ds.cert_der.clone()], v),
            ("ds-is-jws-signer", "MSO signed by the SD-JWT VC issuer certificate (EKU 1.0.18013.5.1.3): reject (Annex B.1.4)", "untrusted_issuer", &g.pki.jws_signer, vec![g.pki.jws_signer.cert_der.clone()], v),
            ("mso-signed-by-iaca", "MSO signed by the IACA key itself, x5chain the IACA: reject (Annex B: a CA is no Document Signer)", "untrusted_issuer", &g.pki.iaca, vec![g.pki.iaca.cert_der.clone()], v),
            ("x5chain-other-ds", "MSO signed by DS 1 with DS 2's certificate in x5chain: reject (9.1.2.4 issuerAuth signature)", "tampered", ds, vec![ds2.cert_der.clone()], v),
        ];
        for (id, desc, reason, signer, chain, validity) in signer_faults {
            let c = g.issue(profile, signer, chain, validity, HashAlg::Sha256, None)?;
            g.single(
                &format!("fault/{p}-{id}"),
                desc.to_string(),
                reject(reason),
                &c,
                &["age_over_20"],
                (sig, None),
            )?;
        }
        // Faults in the presentation of a good credential.
        let cred = g.good_cred(profile)?;
        let mutations: [(&str, &str, &str, DeviceAuthMode, Mutate); 4] = [
            ("tampered-element-value", "age_over_20 changed from true to false after signing: reject (9.3.1 step 7, value digest)", "tampered", sig, |d| {
                replace_once(&mut d.issuer_signed, VALUE_TRUE, VALUE_FALSE);
            }),
            ("issuer-auth-signature-flipped", "one bit of the issuerAuth signature flipped: reject (9.3.1 step 2)", "tampered", sig, |d| flip_last(&mut d.issuer_signed)),
            ("device-signature-flipped", "one bit of the deviceSignature flipped: reject (9.1.3.6)", "device_auth_failed", sig, |d| flip_last(&mut d.auth)),
            ("device-mac-flipped", "one bit of the deviceMac tag flipped: reject (9.1.3.5)", "device_auth_failed", DeviceAuthMode::Mac, |d| flip_last(&mut d.auth)),
        ];
        for (id, desc, reason, mode, m) in mutations {
            g.single(
                &format!("fault/{p}-{id}"),
                desc.to_string(),
                reject(reason),
                &cred,
                &["age_over_20"],
                (mode, Some(m)),
            )?;
        }
        // Device key of another credential.
        let other = g.good_cred(profile)?;
        let swapped = Cred {
            doc_type: cred.doc_type.clone(),
            issuer_signed: cred.issuer_signed.clone(),
            device_key: other.device_key,
            elements: cred.elements.clone(),
        };
        g.single(
            &format!("fault/{p}-device-key-not-in-mso"),
            "deviceSignature made with a key other than the MSO's DeviceKey: reject (9.1.3.6, 9.3.1 step 8)".into(),
            reject("device_auth_failed"),
            &swapped,
            &["age_over_20"],
            (sig, None),
        )?;
        // Signed for one session, presented in another.
        for mode in MODES {
            let s1 = g.session()?;
            let s2 = g.session()?;
            let r = g.present(
                &s1,
                &[Present {
                    cred: &cred,
                    elements: vec!["age_over_20".into()],
                    mode,
                    doc_type: None,
                }],
                None,
            )?;
            // The reader key is the second session's own: a DeviceMac then fails on EMacKey,
            // not on a key that is not in the transcript.
            let session = s2;
            g.push(
                &format!("fault/{p}-{}-other-session-transcript", mode_name(mode)),
                format!(
                    "DeviceAuthentication over another session's transcript: reject (9.1.3.4, {})",
                    mode_clause(mode)
                ),
                reject("device_auth_failed"),
                r,
                session,
                mode == DeviceAuthMode::Mac,
            );
        }
        // DeviceMac checked with another reader key.
        let s = g.session()?;
        let r = g.present(
            &s,
            &[Present {
                cred: &cred,
                elements: vec!["age_over_20".into()],
                mode: DeviceAuthMode::Mac,
                doc_type: None,
            }],
            None,
        )?;
        let wrong = g.session()?;
        g.push(
            &format!("fault/{p}-mac-wrong-reader-key"),
            "deviceMac, and the reader key given is not the session's EReaderKey: reject (9.1.3.5 EMacKey)".into(),
            reject("device_auth_failed"),
            r,
            Session {
                transcript: s.transcript,
                reader_key: wrong.reader_key,
            },
            true,
        );
        // MSO issued under another docType than the Document says.
        let other_type = match profile {
            DocProfile::Mdl => DocProfile::JpPid.doc_type(),
            DocProfile::JpPid => DocProfile::Mdl.doc_type(),
        };
        let c = g.issue(
            profile,
            ds,
            vec![ds.cert_der.clone()],
            g.validity(),
            HashAlg::Sha256,
            Some(other_type),
        )?;
        g.single(
            &format!("fault/{p}-mso-doctype-differs"),
            format!(
                "MSO docType {other_type}, Document docType {}: reject (9.3.1 step 5)",
                profile.doc_type()
            ),
            reject("tampered"),
            &c,
            &["age_over_20"],
            (sig, None),
        )?;
    }
    Ok(())
}

/// One case per Response-layer fault profile of the holder simulator (docs/faults.md), per
/// profile (mDL, JP PID) and device authentication (Signature, Mac): the simulator's answer
/// with exactly that one thing wrong. `non-shortest-heads` is valid and must be accepted.
fn holder_fault_cases(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    use kakunin_core::mdoc::encode_device_request;
    use kakunin_holder_sim::faults::{
        respond_faulty, Fault, FaultError, FaultKit, FaultLayer, IssuerSigner,
    };
    use kakunin_holder_sim::{
        CredentialStore, HolderError, HolderPolicy, MemoryStore, RespondOptions,
    };
    let ds = g.pki.ds()?;
    let chain = vec![ds.cert_der.clone()];
    for fault in Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.layer() == FaultLayer::Response)
    {
        for profile in PROFILES {
            for mode in MODES {
                let id = format!(
                    "{}/holder-{}-{}-{}",
                    if fault.must_be_refused() {
                        "fault"
                    } else {
                        "valid"
                    },
                    fault.name(),
                    short(profile),
                    mode_name(mode)
                );
                let e = Gen::err(&id);
                let cred = g.good_cred(profile)?;
                let store = MemoryStore::new();
                store
                    .store("c", &cred.doc_type, &cred.issuer_signed, &cred.device_key)
                    .map_err(|x| e(x.to_string()))?;
                let wanted: Vec<RequestedElement> = element_sets(profile)
                    .get(1)
                    .map(|(_, els)| els.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|el| RequestedElement {
                        namespace: profile.namespace().to_string(),
                        element: (*el).to_string(),
                        intent_to_retain: false,
                    })
                    .collect();
                let request = encode_device_request(&[(
                    encode_items_request(profile.doc_type(), &wanted),
                    None,
                )]);
                let s = g.session()?;
                let kit = FaultKit {
                    issuer: Some(IssuerSigner {
                        key: &ds.key,
                        x5chain: &chain,
                    }),
                    earlier_response: None,
                };
                let policy = HolderPolicy {
                    device_auth: mode,
                    ..HolderPolicy::default()
                };
                let answer = respond_faulty(
                    g.crypto,
                    &store,
                    &request,
                    &s.transcript,
                    &policy,
                    RespondOptions::default(),
                    g.at,
                    fault,
                    &kit,
                );
                let response = match answer {
                    Ok(p) => p.response,
                    // A profile that has nothing to break in this mode (DeviceMac where
                    // DeviceSignature is expected, when the wallet already MACs).
                    Err(HolderError::Fault(FaultError::NotApplicable { .. })) => continue,
                    Err(x) => return Err(e(x.to_string())),
                };
                // An unrequested but authentic element: the issuer data is valid, and the
                // command and HTTP interfaces carry no request, so a correct verifier accepts
                // (it must neither judge nor show the element; the wallet suite and the till,
                // which know the request, check that part).
                let unrequested = fault == Fault::ExtraElement;
                let expected = if fault.must_be_refused() && !unrequested {
                    reject(fault.name())
                } else {
                    Expected::Accept
                };
                g.push(
                    &id,
                    format!(
                        "holder fault profile {} (docs/faults.md) on a {} presentation, {}: {}",
                        fault.name(),
                        short(profile),
                        mode_clause(mode),
                        if unrequested {
                            "accept (authentic data; the element was not requested, which only a verifier given the request can act on)"
                        } else if fault.must_be_refused() {
                            "reject"
                        } else {
                            "accept (valid encoding)"
                        },
                    ),
                    expected,
                    response,
                    s,
                    mode == DeviceAuthMode::Mac,
                );
            }
        }
    }
    Ok(())
}

fn structural_cases(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    let cred = g.good_cred(DocProfile::Mdl)?;
    let s = g.session()?;
    let good = g.present(
        &s,
        &[Present {
            cred: &cred,
            elements: vec!["age_over_20".into()],
            mode: DeviceAuthMode::Signature,
            doc_type: None,
        }],
        None,
    )?;
    let half = good.get(..good.len() / 2).unwrap_or_default().to_vec();
    let mut trailing = good.clone();
    trailing.push(0x00);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("not-cbor", "DeviceResponse is not CBOR (text): reject (8.3.2.1.2.2, RFC 8949)", b"this is not a DeviceResponse\n".to_vec()),
        ("empty", "DeviceResponse is empty (zero bytes): reject (8.3.2.1.2.2)", Vec::new()),
        ("truncated", "a valid DeviceResponse cut in half: reject (RFC 8949 well-formedness)", half),
        ("trailing-byte", "a valid DeviceResponse followed by one extra byte: reject (RFC 8949 5.1, one data item)", trailing),
        ("no-documents-status-0", "DeviceResponse with no documents and status 0: reject (nothing presented, 8.3.2.1.2.2)", encode_device_response(&[], &[], 0)),
        ("status-10-no-documents", "DeviceResponse status 10 (general error), no documents: reject (Table 8)", encode_device_response(&[], &[], 10)),
        ("not-a-map", "DeviceResponse is a CBOR array, not a map: reject (8.3.2.1.2.2)", vec![0x83, 0x01, 0x02, 0x03]),
    ];
    for (id, desc, bytes) in cases {
        g.cases.push(VerifierCase {
            id: format!("mdoc/fault/{id}"),
            group: GROUP,
            description: desc.to_string(),
            required: true,
            expected: reject("malformed"),
            input: CaseInput::Mdoc {
                response: bytes,
                transcript: s.transcript.clone(),
                reader_key: None,
            },
            trust_der: g.pki.iaca.cert_der.clone(),
            at: g.at,
            suite_trust: true,
        });
    }
    Ok(())
}

/// The published ISO 18013-5 Annex D DeviceResponse (D.4.1.2, DeviceMac) with its transcript,
/// IACA, EReaderKey and a time inside its validity.
fn annex_d(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    use kakunin_spec_vectors::annex_d::{try_bytes, VERIFICATION_TIME};
    let response = try_bytes("device_response").map_err(SuiteError::Vector)?;
    let transcript = try_bytes("session_transcript_bytes").map_err(SuiteError::Vector)?;
    let iaca = try_bytes("iaca_cert.der").map_err(SuiteError::Vector)?;
    let d = try_bytes("e_reader_key_priv_d").map_err(SuiteError::Vector)?;
    let reader_key = kakunin_core::crypto::hazmat::private_key_from_scalar(Curve::P256, &d)
        .ok_or_else(|| SuiteError::Vector("Annex D EReaderKey".into()))?;
    g.cases.push(VerifierCase {
        id: "mdoc/valid/annex-d".into(),
        group: GROUP,
        description: "the published ISO 18013-5 Annex D DeviceResponse (D.4.1.2, deviceMac) with its transcript, IACA and reader key, at 2021-01-01: accept".into(),
        required: true,
        expected: Expected::Accept,
        input: CaseInput::Mdoc {
            response,
            transcript,
            reader_key: Some(reader_key),
        },
        trust_der: iaca,
        at: VERIFICATION_TIME,
        suite_trust: false,
    });
    Ok(())
}
