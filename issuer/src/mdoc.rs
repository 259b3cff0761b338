//! mdoc issuance (ISO 18013-5 clause 9.1.2): salted, digested elements, an MSO bound to the
//! holder's device key, signed by a Document Signer; and single-use batches in which every
//! credential has its own device key, salts, digestIDs and MSO.

use crate::claims::Element;
use kakunin_core::cbor::Value;
use kakunin_core::cose::{CoseError, Sign1};
use kakunin_core::crypto::{CryptoError, CryptoProvider, EcPrivateKey, EcPublicKey, HashAlg};
use kakunin_core::mdoc::{
    encode_issuer_signed, encode_mso_bytes, issuer_signed_item_bytes, MsoParts, NamespaceDigests,
    ValidityInfo,
};
use std::collections::BTreeSet;

/// Bytes of random salt per element (18013-5 asks for at least 16).
pub const SALT_LEN: usize = 32;
/// Largest batch issued in one call.
pub const MAX_BATCH: usize = 1000;

/// Issuance failed.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    #[error("signing the MSO: {0}")]
    Cose(#[from] CoseError),
    #[error("no elements to issue")]
    NoElements,
    #[error("element {namespace}/{identifier} appears twice")]
    DuplicateElement {
        namespace: String,
        identifier: String,
    },
    #[error("validity: {0}")]
    Validity(&'static str),
    #[error("batch of {0} is outside 1..={MAX_BATCH}")]
    BatchSize(usize),
}

impl IssueError {
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
    pub doc_type: String,
    /// `IssuerSigned` CBOR, as the wallet stores it.
    pub issuer_signed: Vec<u8>,
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
    fn digest_ids(&self, n: usize) -> Result<Vec<u64>, IssueError> {
        let mut seen = BTreeSet::new();
        let mut ids = Vec::with_capacity(n);
        while ids.len() < n {
            let mut b = [0u8; 4];
            self.crypto.fill_random(&mut b)?;
            let id = u64::from(u32::from_be_bytes(b) & 0x7fff_ffff);
            if seen.insert(id) {
                ids.push(id);
            }
        }
        Ok(ids)
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
        let ids = self.digest_ids(elements.len())?;
        // namespace -> items, and namespace -> digests, in first-seen namespace order.
        let mut items: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
        let mut digests: Vec<NamespaceDigests> = Vec::new();
        for (e, id) in elements.iter().zip(ids) {
            let mut salt = [0u8; SALT_LEN];
            self.crypto.fill_random(&mut salt)?;
            let item = issuer_signed_item_bytes(id, &salt, &e.identifier, &e.value);
            let digest = self.crypto.hash(self.digest_algorithm, &item);
            match items.iter_mut().position(|(ns, _)| *ns == e.namespace) {
                Some(i) => {
                    items[i].1.push(item);
                    digests[i].1.push((id, digest));
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
        let issuer_auth = Sign1::sign(self.crypto, self.ds_key, &mso, false, &self.ds_chain)?;
        let ns_refs: Vec<(&str, Vec<&[u8]>)> = items
            .iter()
            .map(|(ns, v)| (ns.as_str(), v.iter().map(Vec::as_slice).collect()))
            .collect();
        Ok(IssuedMdoc {
            doc_type: doc_type.to_string(),
            issuer_signed: encode_issuer_signed(&ns_refs, issuer_auth.raw()),
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
        if device_keys.is_empty() || device_keys.len() > MAX_BATCH {
            return Err(IssueError::BatchSize(device_keys.len()));
        }
        device_keys
            .iter()
            .map(|k| self.issue(doc_type, elements, k, validity, None))
            .collect()
    }
}
