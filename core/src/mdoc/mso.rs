//! MobileSecurityObject (clause 9.1.2.4): digests, device key, validity and the optional
//! second-edition `status` (IETF Token Status List or identifier list, clause 12.3.6).

use super::fields::{
    array, bytes, decode_top, field, invalid, map, opt_field, tag24, tdate, text, uint,
};
use super::limits::{check_cap, Collection};
use super::{InvalidReason, MdocError};
use crate::cbor::{Item, Value};
use crate::cose::decode_cose_key;
use crate::crypto::{EcPublicKey, HashAlg};
use std::collections::BTreeMap;

/// ValidityInfo: when the MSO was signed and the window in which it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityInfo {
    /// When the MSO was signed.
    pub signed: time::OffsetDateTime,
    /// Start of the window in which the MSO may be used.
    pub valid_from: time::OffsetDateTime,
    /// End of that window.
    pub valid_until: time::OffsetDateTime,
    /// When the issuer expects to re-sign, if it says.
    pub expected_update: Option<time::OffsetDateTime>,
}

/// KeyAuthorizations: which namespaces and elements the device key may sign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyAuthorizations {
    /// Namespaces whose every element the device key may sign.
    pub name_spaces: Vec<String>,
    /// namespace -> the elements of it the device key may sign.
    pub data_elements: BTreeMap<String, Vec<String>>,
}

impl KeyAuthorizations {
    /// Whether the device key may sign `element` in `namespace`.
    pub fn permits(&self, namespace: &str, element: &str) -> bool {
        self.name_spaces.iter().any(|n| n == namespace)
            || self
                .data_elements
                .get(namespace)
                .is_some_and(|els| els.iter().any(|e| e == element))
    }
}

/// The MSO `status` field: where the credential's revocation status is published.
#[derive(Debug, Clone, PartialEq)]
pub enum MsoStatus {
    /// IETF Token Status List reference.
    StatusList {
        /// The credential's index in the list.
        idx: u64,
        /// Where the status list token is published.
        uri: String,
        /// The certificate that signs the status list, if given (DER).
        certificate: Option<Vec<u8>>,
    },
    /// ISO 18013-5 identifier list reference.
    IdentifierList {
        /// The credential's identifier in the list.
        id: Vec<u8>,
        /// Where the identifier list is published.
        uri: String,
        /// The certificate that signs the identifier list, if given (DER).
        certificate: Option<Vec<u8>>,
    },
    /// A status mechanism this version does not know, kept as received.
    Other(Value),
}

/// A decoded MSO with the bytes it was decoded from.
#[derive(Debug, Clone, PartialEq)]
pub struct MobileSecurityObject {
    /// MobileSecurityObjectBytes as signed (tag 24 included).
    raw_tagged: Vec<u8>,
    /// "1.0" (or another "1.x").
    pub version: String,
    /// The hash of every value digest.
    pub digest_algorithm: HashAlg,
    /// namespace -> digestID -> digest.
    pub value_digests: BTreeMap<String, BTreeMap<u64, Vec<u8>>>,
    /// The device key, which signs or MACs DeviceAuthentication (9.1.3).
    pub device_key: EcPublicKey,
    /// What the device key may sign in DeviceSigned, if restricted.
    pub key_authorizations: Option<KeyAuthorizations>,
    /// `keyInfo`, kept as received.
    pub key_info: Option<Value>,
    /// The document type the MSO is for; must equal the Document's docType.
    pub doc_type: String,
    /// When the MSO is valid.
    pub validity: ValidityInfo,
    /// Where revocation status is published, if anywhere.
    pub status: Option<MsoStatus>,
}

const P: &str = "MobileSecurityObject";

impl MobileSecurityObject {
    /// Decode MobileSecurityObjectBytes (`#6.24(bstr .cbor MSO)`), the issuerAuth payload.
    pub fn from_tagged_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        let top = decode_top(bytes, "MobileSecurityObjectBytes")?;
        let mso = tag24(&top, "MobileSecurityObjectBytes")?;
        Self::from_item(&mso, bytes)
    }

    /// Decode the MSO map; `raw_tagged` is the MobileSecurityObjectBytes it came from.
    fn from_item(mso: &Item<'_>, raw_tagged: &[u8]) -> Result<Self, MdocError> {
        map(mso, P)?;
        let version = text(field(mso, "version", P)?, "MobileSecurityObject.version")?.to_string();
        if !version.starts_with("1.") {
            return Err(MdocError::UnsupportedVersion {
                path: format!("{P}.version"),
                version,
            });
        }
        let alg_name = text(
            field(mso, "digestAlgorithm", P)?,
            "MobileSecurityObject.digestAlgorithm",
        )?;
        let digest_algorithm = HashAlg::from_mso_name(alg_name).ok_or_else(|| {
            invalid(
                "MobileSecurityObject.digestAlgorithm",
                InvalidReason::UnsupportedDigestAlgorithm(alg_name.to_string()),
            )
        })?;

        let mut value_digests = BTreeMap::new();
        let vd = field(mso, "valueDigests", P)?;
        const VD: &str = "MobileSecurityObject.valueDigests";
        let nss = map(vd, VD)?;
        check_cap(nss.len(), Collection::Namespaces, VD)?;
        let mut total = 0usize;
        for (ns, digests) in nss {
            let ns = text(ns, "MobileSecurityObject.valueDigests (namespace)")?;
            let path = format!("MobileSecurityObject.valueDigests[{ns:?}]");
            let mut ids = BTreeMap::new();
            let digests = map(digests, &path)?;
            total = total.saturating_add(digests.len());
            check_cap(total, Collection::Digests, VD)?;
            for (id, digest) in digests {
                let id = uint(id, &path)?;
                let d = bytes(digest, format_args!("{path}[{id}]"))?;
                if d.len() != digest_algorithm.output_len() {
                    return Err(invalid(
                        format_args!("{path}[{id}]"),
                        InvalidReason::DigestLength {
                            expected: digest_algorithm.output_len(),
                            found: d.len(),
                        },
                    ));
                }
                ids.insert(id, d.to_vec());
            }
            value_digests.insert(ns.to_string(), ids);
        }

        let dki = field(mso, "deviceKeyInfo", P)?;
        let device_key = decode_cose_key(field(
            dki,
            "deviceKey",
            "MobileSecurityObject.deviceKeyInfo",
        )?)
        .map_err(|source| MdocError::CoseKey {
            path: "MobileSecurityObject.deviceKeyInfo.deviceKey".into(),
            source,
        })?;
        let key_authorizations = match opt_field(
            dki,
            "keyAuthorizations",
            "MobileSecurityObject.deviceKeyInfo",
        )? {
            None => None,
            Some(ka) => Some(parse_key_authorizations(ka)?),
        };
        let key_info =
            opt_field(dki, "keyInfo", "MobileSecurityObject.deviceKeyInfo")?.map(Item::to_value);

        let doc_type = text(field(mso, "docType", P)?, "MobileSecurityObject.docType")?.to_string();
        let vi = field(mso, "validityInfo", P)?;
        const VP: &str = "MobileSecurityObject.validityInfo";
        let validity = ValidityInfo {
            signed: tdate(
                field(vi, "signed", VP)?,
                "MobileSecurityObject.validityInfo.signed",
            )?,
            valid_from: tdate(
                field(vi, "validFrom", VP)?,
                "MobileSecurityObject.validityInfo.validFrom",
            )?,
            valid_until: tdate(
                field(vi, "validUntil", VP)?,
                "MobileSecurityObject.validityInfo.validUntil",
            )?,
            expected_update: match opt_field(vi, "expectedUpdate", VP)? {
                None => None,
                Some(t) => Some(tdate(
                    t,
                    "MobileSecurityObject.validityInfo.expectedUpdate",
                )?),
            },
        };
        if validity.valid_until < validity.valid_from {
            return Err(invalid(VP, InvalidReason::ValidityInverted));
        }
        let status = opt_field(mso, "status", P)?.map(parse_status).transpose()?;
        Ok(MobileSecurityObject {
            raw_tagged: raw_tagged.to_vec(),
            version,
            digest_algorithm,
            value_digests,
            device_key,
            key_authorizations,
            key_info,
            doc_type,
            validity,
            status,
        })
    }

    /// MobileSecurityObjectBytes as received (the signed payload).
    pub fn raw_tagged(&self) -> &[u8] {
        &self.raw_tagged
    }

    /// The digest recorded for `digest_id` in `namespace`.
    pub fn digest(&self, namespace: &str, digest_id: u64) -> Option<&[u8]> {
        self.value_digests
            .get(namespace)?
            .get(&digest_id)
            .map(Vec::as_slice)
    }
}

fn parse_key_authorizations(ka: &Item<'_>) -> Result<KeyAuthorizations, MdocError> {
    const KP: &str = "MobileSecurityObject.deviceKeyInfo.keyAuthorizations";
    let mut out = KeyAuthorizations::default();
    if let Some(ns) = opt_field(ka, "nameSpaces", KP)? {
        let ns = array(ns, format_args!("{KP}.nameSpaces"))?;
        check_cap(ns.len(), Collection::Namespaces, KP)?;
        for n in ns {
            out.name_spaces
                .push(text(n, format_args!("{KP}.nameSpaces"))?.to_string());
        }
    }
    if let Some(de) = opt_field(ka, "dataElements", KP)? {
        let de = map(de, format_args!("{KP}.dataElements"))?;
        check_cap(de.len(), Collection::Namespaces, KP)?;
        let mut total = 0usize;
        for (ns, els) in de {
            let ns = text(ns, format_args!("{KP}.dataElements"))?.to_string();
            let path = format!("{KP}.dataElements[{ns:?}]");
            if out.name_spaces.contains(&ns) {
                // 9.1.2.4: a namespace in nameSpaces shall not also appear in dataElements.
                return Err(invalid(&path, InvalidReason::NamespaceAuthorizedTwice));
            }
            let els = array(els, &path)?;
            total = total.saturating_add(els.len());
            check_cap(total, Collection::Elements, KP)?;
            let list = els
                .iter()
                .map(|e| text(e, &path).map(str::to_string))
                .collect::<Result<Vec<_>, _>>()?;
            out.data_elements.insert(ns, list);
        }
    }
    Ok(out)
}

fn parse_status(st: &Item<'_>) -> Result<MsoStatus, MdocError> {
    const SP: &str = "MobileSecurityObject.status";
    map(st, SP)?;
    let cert = |m: &Item<'_>, path: &str| -> Result<Option<Vec<u8>>, MdocError> {
        opt_field(m, "certificate", path)?
            .map(|c| bytes(c, path).map(<[u8]>::to_vec))
            .transpose()
    };
    if let Some(sl) = opt_field(st, "status_list", SP)? {
        let path = "MobileSecurityObject.status.status_list";
        return Ok(MsoStatus::StatusList {
            idx: uint(field(sl, "idx", path)?, path)?,
            uri: text(field(sl, "uri", path)?, path)?.to_string(),
            certificate: cert(sl, path)?,
        });
    }
    if let Some(il) = opt_field(st, "identifier_list", SP)? {
        let path = "MobileSecurityObject.status.identifier_list";
        return Ok(MsoStatus::IdentifierList {
            id: bytes(field(il, "id", path)?, path)?.to_vec(),
            uri: text(field(il, "uri", path)?, path)?.to_string(),
            certificate: cert(il, path)?,
        });
    }
    Ok(MsoStatus::Other(st.to_value()))
}
