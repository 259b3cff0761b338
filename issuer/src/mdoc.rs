//! mdoc issuance (ISO 18013-5 clause 9.1.2): salted, digested elements, an MSO bound to the
//! holder's device key, signed by a Document Signer; and single-use batches in which every
//! credential has its own device key, salts, digestIDs and MSO.

use crate::claims::Element;
use crate::status::{mso_status, StatusList};
use kakunin_core::cbor::Value;
use kakunin_core::cose::{CoseError, Sign1};
use kakunin_core::crypto::{
    CryptoError, CryptoProvider, EcPrivateKey, EcPublicKey, HashAlg, RandomPool,
};
use kakunin_core::mdoc::{
    encode_issuer_signed, encode_mso_bytes, issuer_signed_item_bytes_from_tail,
    issuer_signed_item_tail, MsoParts, NamespaceDigests, ValidityInfo,
};
use std::collections::BTreeSet;

/// Bytes of random salt per element (18013-5 asks for at least 16).
pub const SALT_LEN: usize = 32;
/// Largest batch issued in one call.
pub const MAX_BATCH: usize = 1000;

/// Issuance failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The random generator or a hash failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// Signing the MSO (COSE_Sign1, clause 9.1.2.4) failed.
    #[error("signing the MSO: {0}")]
    Cose(#[from] CoseError),
    /// A credential needs at least one element.
    #[error("no elements to issue")]
    NoElements,
    /// An element is given twice (the MSO holds one digest per element).
    #[error("element {namespace}/{identifier} appears twice")]
    DuplicateElement {
        /// Its namespace.
        namespace: String,
        /// Its identifier.
        identifier: String,
    },
    /// The ValidityInfo (clause 9.1.2.4) is inconsistent.
    #[error("validity: {0}")]
    Validity(&'static str),
    /// The batch is empty or larger than [`MAX_BATCH`].
    #[error("batch of {0} is outside 1..={MAX_BATCH}")]
    BatchSize(usize),
    /// The batch's status-list indices would pass 2^64 - 1.
    #[error("status list index {first} + {count} credentials exceeds 2^64 - 1")]
    StatusIndexOverflow {
        /// The first index.
        first: u64,
        /// Credentials in the batch.
        count: usize,
    },
}

impl IssueError {
    /// The error's cause group: crypto failures keep theirs, the rest is misuse.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            IssueError::Crypto(e) => e.cause(),
            IssueError::Cose(e) => e.cause(),
            _ => kakunin_core::Cause::Misuse,
        }
    }
}

/// One issued credential: IssuerSigned (all elements) and the device key it is bound to.
#[derive(Debug, Clone)]
pub struct IssuedMdoc {
    /// The docType it was issued under.
    pub doc_type: String,
    /// `IssuerSigned` CBOR, as the wallet stores it.
    pub issuer_signed: Vec<u8>,
    /// The device key in the MSO's DeviceKeyInfo (clause 9.1.2.4).
    pub device_key: EcPublicKey,
}

/// A Document Signer ready to issue.
pub struct MdocIssuer<'a> {
    crypto: &'a dyn CryptoProvider,
    ds_key: &'a EcPrivateKey,
    ds_chain: Vec<Vec<u8>>,
    digest_algorithm: HashAlg,
}

impl<'a> MdocIssuer<'a> {
    /// `ds_chain` is the DS certificate (and any intermediates, not the IACA) for `x5chain`.
    pub fn new(
        crypto: &'a dyn CryptoProvider,
        ds_key: &'a EcPrivateKey,
        ds_chain: Vec<Vec<u8>>,
    ) -> Self {
        MdocIssuer {
            crypto,
            ds_key,
            ds_chain,
            digest_algorithm: HashAlg::Sha256,
        }
    }

    /// Use SHA-384 or SHA-512 for the value digests.
    pub fn with_digest_algorithm(mut self, alg: HashAlg) -> Self {
        self.digest_algorithm = alg;
        self
    }

    /// Random digestIDs, unique within the credential, in no particular order, so the IDs say
    /// nothing about which elements exist or their order.
    fn digest_ids(pool: &mut RandomPool<'_>, n: usize) -> Result<Vec<u64>, IssueError> {
        let mut seen = BTreeSet::new();
        let mut ids = Vec::with_capacity(n);
        while ids.len() < n {
            let id = u64::from(u32::from_be_bytes(pool.array()?) & 0x7fff_ffff);
            if seen.insert(id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Random bytes one credential of `elements` draws: a digestID and a salt per element
    /// (a digestID drawn twice is drawn again, rarely).
    fn random_bytes_per_credential(elements: usize) -> usize {
        elements.saturating_mul(SALT_LEN + 4)
    }

    /// Issue one credential of `doc_type` with `elements`, bound to `device_key`.
    pub fn issue(
        &self,
        doc_type: &str,
        elements: &[Element],
        device_key: &EcPublicKey,
        validity: ValidityInfo,
        status: Option<Value>,
    ) -> Result<IssuedMdoc, IssueError> {
        let tails = Self::prepare(elements, validity)?;
        let mut pool = RandomPool::with_capacity(
            self.crypto,
            Self::random_bytes_per_credential(elements.len()),
        );
        self.issue_prepared(
            &mut pool, doc_type, elements, &tails, device_key, validity, status,
        )
    }

    /// Check `elements` and `validity`, and encode each element's
    /// `elementIdentifier`/`elementValue` once: every credential of a batch shares them.
    fn prepare(elements: &[Element], validity: ValidityInfo) -> Result<Vec<Vec<u8>>, IssueError> {
        if elements.is_empty() {
            return Err(IssueError::NoElements);
        }
        if validity.valid_until <= validity.valid_from {
            return Err(IssueError::Validity("validUntil must be after validFrom"));
        }
        if validity.signed > validity.valid_from + time::Duration::days(1) {
            return Err(IssueError::Validity(
                "signed must not be later than validFrom",
            ));
        }
        let mut names = BTreeSet::new();
        for e in elements {
            if !names.insert((&e.namespace, &e.identifier)) {
                return Err(IssueError::DuplicateElement {
                    namespace: e.namespace.clone(),
                    identifier: e.identifier.clone(),
                });
            }
        }
        Ok(elements
            .iter()
            .map(|e| issuer_signed_item_tail(&e.identifier, &e.value))
            .collect())
    }

    /// One credential from [`Self::prepare`]'s checked elements and their encoded `tails`,
    /// with the salts and digestIDs drawn from `pool` (a batch shares one: each byte is still
    /// handed out once, so every credential's salts are its own).
    #[allow(clippy::too_many_arguments)] // the prepared batch's parts, passed through
    fn issue_prepared(
        &self,
        pool: &mut RandomPool<'_>,
        doc_type: &str,
        elements: &[Element],
        tails: &[Vec<u8>],
        device_key: &EcPublicKey,
        validity: ValidityInfo,
        status: Option<Value>,
    ) -> Result<IssuedMdoc, IssueError> {
        let ids = Self::digest_ids(pool, elements.len())?;
        // namespace -> items, and namespace -> digests, in first-seen namespace order.
        let mut items: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
        let mut digests: Vec<NamespaceDigests> = Vec::new();
        for ((e, tail), id) in elements.iter().zip(tails).zip(ids) {
            let salt: [u8; SALT_LEN] = pool.array()?;
            let item = issuer_signed_item_bytes_from_tail(id, &salt, tail);
            let digest = self.crypto.hash(self.digest_algorithm, &item);
            // `items` and `digests` grow together, one entry per namespace.
            let known = items
                .iter_mut()
                .zip(digests.iter_mut())
                .find(|((ns, _), _)| *ns == e.namespace);
            match known {
                Some(((_, ns_items), (_, ns_digests))) => {
                    ns_items.push(item);
                    ns_digests.push((id, digest));
                }
                None => {
                    items.push((e.namespace.clone(), vec![item]));
                    digests.push((e.namespace.clone(), vec![(id, digest)]));
                }
            }
        }
        for (_, d) in &mut digests {
            d.sort_by_key(|(id, _)| *id);
        }
        let mso = encode_mso_bytes(&MsoParts {
            digest_algorithm: self.digest_algorithm,
            value_digests: &digests,
            device_key,
            key_authorizations: None,
            doc_type,
            validity,
            status,
        });
        let issuer_auth = Sign1::sign_to_bytes(self.crypto, self.ds_key, &mso, &self.ds_chain)?;
        let ns_refs: Vec<(&str, Vec<&[u8]>)> = items
            .iter()
            .map(|(ns, v)| (ns.as_str(), v.iter().map(Vec::as_slice).collect()))
            .collect();
        Ok(IssuedMdoc {
            doc_type: doc_type.to_string(),
            issuer_signed: encode_issuer_signed(&ns_refs, &issuer_auth),
            device_key: device_key.clone(),
        })
    }

    /// Issue one credential per device key: a single-use batch for one holder.
    pub fn issue_batch(
        &self,
        doc_type: &str,
        elements: &[Element],
        device_keys: &[EcPublicKey],
        validity: ValidityInfo,
    ) -> Result<Vec<IssuedMdoc>, IssueError> {
        self.issue_batch_with_status(doc_type, elements, device_keys, validity, None)
    }

    /// [`Self::issue_batch`] with each MSO carrying a `status` reference: credential `i` at
    /// index `status.first_index + i` of the list at `status.uri` (ISO 18013-5 second
    /// edition MSO `status`, docs/decisions/0009-mso-status.md).
    pub fn issue_batch_with_status(
        &self,
        doc_type: &str,
        elements: &[Element],
        device_keys: &[EcPublicKey],
        validity: ValidityInfo,
        status: Option<&StatusList>,
    ) -> Result<Vec<IssuedMdoc>, IssueError> {
        if device_keys.is_empty() || device_keys.len() > MAX_BATCH {
            return Err(IssueError::BatchSize(device_keys.len()));
        }
        let tails = Self::prepare(elements, validity)?;
        // The whole batch's salts and digestIDs from one provider call (up to the pool's
        // size limit), plus room for a few redrawn digestIDs.
        let mut pool = RandomPool::with_capacity(
            self.crypto,
            Self::random_bytes_per_credential(elements.len())
                .saturating_mul(device_keys.len())
                .saturating_add(64),
        );
        device_keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let entry = match status {
                    None => None,
                    Some(list) => {
                        let idx = list.index_of(i).ok_or(IssueError::StatusIndexOverflow {
                            first: list.first_index,
                            count: device_keys.len(),
                        })?;
                        Some(mso_status(idx, &list.uri))
                    }
                };
                self.issue_prepared(&mut pool, doc_type, elements, &tails, k, validity, entry)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::{default_provider, Curve};
    use kakunin_core::mdoc::{decode_issuer_signed, MobileSecurityObject};

    fn setup() -> (crate::TestPki, Vec<Element>, ValidityInfo) {
        let c = default_provider();
        let now = time::macros::datetime!(2026-11-24 00:00 UTC);
        let pki = crate::TestPki::generate(c, "JP", 1, now).unwrap();
        let claims: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/examples/mdl-claims.json")).unwrap();
        let els = crate::elements_from_json(crate::DocProfile::Mdl, &claims, now.date()).unwrap();
        let v = ValidityInfo {
            signed: now,
            valid_from: now,
            valid_until: now + time::Duration::days(30),
            expected_update: None,
        };
        (pki, els, v)
    }

    #[test]
    fn salts_ids_and_digests() {
        let c = default_provider();
        let (pki, els, v) = setup();
        let ds = &pki.document_signers[0];
        for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let issuer =
                MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]).with_digest_algorithm(alg);
            let key = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
            let cred = issuer
                .issue("org.iso.18013.5.1.mDL", &els, &key, v, None)
                .unwrap();
            let is = decode_issuer_signed(&cred.issuer_signed).unwrap();
            let mso =
                MobileSecurityObject::from_tagged_bytes(is.issuer_auth.payload().unwrap()).unwrap();
            assert_eq!(mso.digest_algorithm, alg);
            assert_eq!(mso.device_key, key);
            let items = &is.name_spaces[0].items;
            assert_eq!(items.len(), els.len());
            let ids: Vec<u64> = items.iter().map(|i| i.digest_id).collect();
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), ids.len(), "digestIDs unique");
            assert!(
                ids.windows(2).any(|w| w[1] != w[0] + 1),
                "digestIDs are not sequential"
            );
            for i in items {
                assert!(i.random.len() >= 16);
                assert_eq!(
                    mso.digest(&is.name_spaces[0].name, i.digest_id).unwrap(),
                    c.hash(alg, &i.raw).as_slice()
                );
            }
        }
    }

    #[test]
    fn batch_status_references_are_consecutive() {
        let c = default_provider();
        let (pki, els, v) = setup();
        let ds = &pki.document_signers[0];
        let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
        let keys: Vec<_> = (0..3)
            .map(|_| c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap())
            .collect();
        let list = StatusList {
            uri: "https://issuer.example/status/7".into(),
            first_index: 40,
        };
        let batch = issuer
            .issue_batch_with_status("org.iso.18013.5.1.mDL", &els, &keys, v, Some(&list))
            .unwrap();
        for (i, cred) in batch.iter().enumerate() {
            let is = decode_issuer_signed(&cred.issuer_signed).unwrap();
            let mso =
                MobileSecurityObject::from_tagged_bytes(is.issuer_auth.payload().unwrap()).unwrap();
            assert_eq!(
                mso.status,
                Some(kakunin_core::mdoc::MsoStatus::StatusList {
                    idx: 40 + i as u64,
                    uri: list.uri.clone(),
                    certificate: None,
                })
            );
        }
        // Without a list, no status field at all.
        let plain = issuer
            .issue_batch("org.iso.18013.5.1.mDL", &els, &keys[..1], v)
            .unwrap();
        let is = decode_issuer_signed(&plain[0].issuer_signed).unwrap();
        let mso =
            MobileSecurityObject::from_tagged_bytes(is.issuer_auth.payload().unwrap()).unwrap();
        assert_eq!(mso.status, None);
        let top = StatusList {
            first_index: u64::MAX,
            ..list
        };
        assert!(matches!(
            issuer.issue_batch_with_status("x", &els, &keys[..2], v, Some(&top)),
            Err(IssueError::StatusIndexOverflow { count: 2, .. })
        ));
    }

    /// A batch's salts and digestIDs come from one provider call, and are still each
    /// credential's own (no salt appears twice anywhere in the batch).
    #[test]
    fn a_batch_draws_its_randomness_in_one_call() {
        let counting = crate::test_support::CountingRandom::default();
        let (pki, els, v) = setup();
        let ds = &pki.document_signers[0];
        let issuer = MdocIssuer::new(&counting, &ds.key, vec![ds.cert_der.clone()]);
        let c = default_provider();
        let keys: Vec<_> = (0..5)
            .map(|_| c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap())
            .collect();
        let batch = issuer
            .issue_batch("org.iso.18013.5.1.mDL", &els, &keys, v)
            .unwrap();
        assert_eq!(counting.calls(), 1);
        let mut salts = BTreeSet::new();
        for cred in &batch {
            let is = decode_issuer_signed(&cred.issuer_signed).unwrap();
            for item in &is.name_spaces[0].items {
                assert_eq!(item.random.len(), SALT_LEN);
                assert!(salts.insert(item.random.clone()), "a salt repeated");
            }
        }
        assert_eq!(salts.len(), 5 * els.len());
    }

    #[test]
    fn batch_credentials_share_nothing_linkable() {
        let c = default_provider();
        let (pki, els, v) = setup();
        let ds = &pki.document_signers[0];
        let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
        let keys: Vec<_> = (0..3)
            .map(|_| c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap())
            .collect();
        let batch = issuer
            .issue_batch("org.iso.18013.5.1.mDL", &els, &keys, v)
            .unwrap();
        let decoded: Vec<_> = batch
            .iter()
            .map(|b| decode_issuer_signed(&b.issuer_signed).unwrap())
            .collect();
        for (i, a) in decoded.iter().enumerate() {
            for b in &decoded[i + 1..] {
                assert_ne!(a.issuer_auth.payload(), b.issuer_auth.payload());
                for (x, y) in a.name_spaces[0].items.iter().zip(&b.name_spaces[0].items) {
                    assert_ne!(x.random, y.random);
                    assert_ne!(x.raw, y.raw);
                }
            }
        }
        assert!(matches!(
            issuer.issue_batch("x", &els, &[], v),
            Err(IssueError::BatchSize(0))
        ));
        let bad = ValidityInfo {
            valid_until: v.valid_from,
            ..v
        };
        assert!(matches!(
            issuer.issue("x", &els, &keys[0], bad, None),
            Err(IssueError::Validity(_))
        ));
        let dup = [els[0].clone(), els[0].clone()];
        assert!(matches!(
            issuer.issue("x", &dup, &keys[0], v, None),
            Err(IssueError::DuplicateElement { .. })
        ));
    }
}
