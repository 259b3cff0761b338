//! DeviceEngagement (clause 8.2.1.1), including the second-edition keys 5 (OriginInfos) and
//! 6 (Capabilities), which require version "1.1".

use super::fields::{array, decode_top, int, invalid, map, missing, tag24, text, uint, wrong};
use super::{Expected, InvalidReason, MdocError};
use crate::cbor::{CborType, Item, Value};
use crate::cose::decode_cose_key;
use crate::crypto::EcPublicKey;

/// The Security element (clause 8.2.1.1): cipher suite and the mdoc's ephemeral key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// The cipher suite identifier; 18013-5 defines only 1 (clause 9.1.5.2).
    pub cipher_suite: i64,
    /// EDeviceKeyBytes exactly as received (tag 24 included): part of the SessionTranscript.
    pub e_device_key_bytes: Vec<u8>,
    /// EDeviceKey, the mdoc's ephemeral public key for session key agreement (9.1.1.4).
    pub e_device_key: EcPublicKey,
}

/// One DeviceRetrievalMethod `[type, version, options]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalMethod {
    /// 1 NFC, 2 BLE, 3 Wi-Fi Aware.
    pub kind: u64,
    /// The retrieval method's version (1 for all methods of 18013-5).
    pub version: u64,
    /// The options map, kept as a value (its keys depend on `kind`).
    pub options: Value,
}

/// A decoded DeviceEngagement and its received bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEngagement {
    raw: Vec<u8>,
    /// Key 0, "1.0" or (with keys 5/6) "1.1".
    pub version: String,
    /// Key 1, the cipher suite and EDeviceKeyBytes.
    pub security: Security,
    /// Key 2, how the reader may connect (NFC, BLE, Wi-Fi Aware).
    pub device_retrieval_methods: Vec<RetrievalMethod>,
    /// Key 3, ServerRetrievalMethods (first edition; kept as received).
    pub server_retrieval_methods: Option<Value>,
    /// Key 4, ProtocolInfo (kept as received).
    pub protocol_info: Option<Value>,
    /// Key 5, OriginInfos (second edition, version "1.1").
    pub origin_infos: Option<Value>,
    /// Key 6, Capabilities (second edition, version "1.1").
    pub capabilities: Option<Value>,
}

impl DeviceEngagement {
    /// Decode DeviceEngagement bytes (untagged; use [`Self::from_tagged`] for
    /// DeviceEngagementBytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        let top = decode_top(bytes, "DeviceEngagement")?;
        Self::from_item(&top)
    }

    /// Decode DeviceEngagementBytes (`#6.24(bstr .cbor DeviceEngagement)`).
    pub fn from_tagged(bytes: &[u8]) -> Result<Self, MdocError> {
        let top = decode_top(bytes, "DeviceEngagementBytes")?;
        let inner = tag24(&top, "DeviceEngagementBytes")?;
        Self::from_item(&inner)
    }

    /// Decode from an already decoded DeviceEngagement map.
    pub(crate) fn from_item(item: &Item<'_>) -> Result<Self, MdocError> {
        const P: &str = "DeviceEngagement";
        map(item, P)?;
        let version = text(
            item.get_int_key(0)
                .ok_or_else(|| missing(format_args!("{P}[0]")))?,
            "DeviceEngagement[0] (version)",
        )?
        .to_string();
        if !version.starts_with("1.") {
            return Err(MdocError::UnsupportedVersion {
                path: format!("{P}.version"),
                version,
            });
        }
        let sec = item
            .get_int_key(1)
            .ok_or_else(|| missing(format_args!("{P}[1] (Security)")))?;
        let sec_a = array(sec, "DeviceEngagement.Security")?;
        let [suite, key_bytes] = sec_a else {
            return Err(invalid(
                "DeviceEngagement.Security",
                InvalidReason::WrongLength {
                    expected: 2,
                    found: sec_a.len(),
                },
            ));
        };
        let cipher_suite = int(suite, "DeviceEngagement.Security[0]")?;
        if cipher_suite != 1 {
            return Err(invalid(
                "DeviceEngagement.Security[0]",
                InvalidReason::UnsupportedCipherSuite(cipher_suite),
            ));
        }
        let key_item = tag24(key_bytes, "DeviceEngagement.Security[1] (EDeviceKeyBytes)")?;
        let e_device_key = decode_cose_key(&key_item).map_err(|source| MdocError::CoseKey {
            path: "DeviceEngagement.Security[1] (EDeviceKey)".into(),
            source,
        })?;
        let mut methods = Vec::new();
        if let Some(m) = item.get_int_key(2) {
            for (i, method) in array(m, "DeviceEngagement[2]")?.iter().enumerate() {
                let path = format!("DeviceEngagement.DeviceRetrievalMethods[{i}]");
                let parts = array(method, &path)?;
                let [kind, version, options, ..] = parts else {
                    return Err(invalid(
                        &path,
                        InvalidReason::TooShort {
                            min: 3,
                            found: parts.len(),
                        },
                    ));
                };
                if options.as_map().is_none() {
                    return Err(wrong(&path, Expected::Type(CborType::Map), options));
                }
                methods.push(RetrievalMethod {
                    kind: uint(kind, &path)?,
                    version: uint(version, &path)?,
                    options: options.to_value(),
                });
            }
        }
        let origin_infos = item.get_int_key(5).map(Item::to_value);
        let capabilities = item.get_int_key(6).map(Item::to_value);
        if (origin_infos.is_some() || capabilities.is_some()) && version == "1.0" {
            return Err(invalid(P, InvalidReason::SecondEditionKeysInVersion10));
        }
        Ok(DeviceEngagement {
            raw: item.raw().to_vec(),
            version,
            security: Security {
                cipher_suite,
                e_device_key_bytes: key_bytes.raw().to_vec(),
                e_device_key,
            },
            device_retrieval_methods: methods,
            server_retrieval_methods: item.get_int_key(3).map(Item::to_value),
            protocol_info: item.get_int_key(4).map(Item::to_value),
            origin_infos,
            capabilities,
        })
    }

    /// The DeviceEngagement bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

/// Encode a DeviceEngagement (version "1.0") with cipher suite 1, the mdoc's ephemeral key
/// and the given DeviceRetrievalMethods (each an encoded `[type, version, options]`).
pub fn encode_device_engagement(
    e_device_key: &EcPublicKey,
    retrieval_methods: &[Value],
) -> Vec<u8> {
    let mut e = crate::cbor::Encoder::new();
    e.map(if retrieval_methods.is_empty() { 2 } else { 3 })
        .uint(0)
        .text("1.0")
        .uint(1)
        .array(2)
        .uint(1)
        .raw(&crate::cbor::wrap_tag24(&crate::cose::encode_cose_key(
            e_device_key,
        )));
    if !retrieval_methods.is_empty() {
        e.uint(2).array(retrieval_methods.len());
        for m in retrieval_methods {
            e.value(m);
        }
    }
    e.into_bytes()
}
