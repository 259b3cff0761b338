//! NFC Connection Handover for ISO 18013-5 engagement (clause 8.2.2.1): Handover Select and
//! Handover Request messages with their alternative-carrier records, the BLE out-of-band
//! carrier configuration (LE role, service UUID, device address, L2CAP PSM), the NFC carrier
//! record, and the DeviceEngagement / ReaderEngagement records. The message bytes are kept
//! exactly, since the SessionTranscript's Handover embeds them.

use crate::ndef::{
    encode_message, parse_message, NdefError, Record, TNF_EXTERNAL, TNF_MIME, TNF_WELL_KNOWN,
};

/// Well-known type of the Handover Select record (NFC Forum Connection Handover 1.5).
pub const TYPE_HANDOVER_SELECT: &[u8] = b"Hs";
/// Well-known type of the Handover Request record.
pub const TYPE_HANDOVER_REQUEST: &[u8] = b"Hr";
/// Well-known type of the alternative carrier record.
pub const TYPE_ALTERNATIVE_CARRIER: &[u8] = b"ac";
/// Well-known type of the collision resolution record (Handover Request only).
pub const TYPE_COLLISION_RESOLUTION: &[u8] = b"cr";
/// Media type of the Bluetooth LE out-of-band carrier configuration record.
pub const TYPE_BLE_OOB: &[u8] = b"application/vnd.bluetooth.le.oob";
/// Media type of the Wi-Fi Aware carrier configuration record.
pub const TYPE_WIFI_AWARE: &[u8] = b"application/vnd.wfa.nan";
/// External type of the DeviceEngagement record (18013-5 clause 8.2.2.1).
pub const TYPE_DEVICE_ENGAGEMENT: &[u8] = b"iso.org:18013:deviceengagement";
/// External type of the ReaderEngagement record.
pub const TYPE_READER_ENGAGEMENT: &[u8] = b"iso.org:18013:readerengagement";
/// External type of the NFC carrier configuration record.
pub const TYPE_NFC_CARRIER: &[u8] = b"iso.org:18013:nfc";
/// Connection Handover version 1.5.
pub const HANDOVER_VERSION: u8 = 0x15;

/// A handover message is malformed, lacks what 18013-5 needs, or cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandoverError {
    /// The message (or the one embedded in the Hs / Hr payload) is not valid NDEF, or a
    /// record to send does not fit NDEF's length fields.
    #[error("NDEF: {0}")]
    Ndef(#[from] NdefError),
    /// The first record is not a Handover Select or Request, or has no version byte.
    #[error("the first record is not a Handover Select or Request")]
    NotHandover,
    /// The major version is not 1.
    #[error("handover version {0:#04x} is not 1.x")]
    Version(u8),
    /// An alternative carrier record's references run past its payload.
    #[error("alternative carrier record {record} is malformed")]
    BadAlternativeCarrier {
        /// Index of the record in the embedded message, from 0.
        record: usize,
    },
    /// The BLE out-of-band record's AD structures are malformed.
    #[error("BLE carrier configuration is malformed: {0}")]
    BadBleOob(#[source] BleOobError),
    /// The NFC carrier record is malformed.
    #[error("NFC carrier record is malformed at byte {offset}")]
    BadNfcCarrier {
        /// Offset in the record payload where it breaks.
        offset: usize,
    },
    /// A Handover Select without the DeviceEngagement record (clause 8.2.2.1).
    #[error("Handover Select carries no DeviceEngagement record")]
    NoDeviceEngagement,
    /// A carrier or auxiliary reference to send is over the 255 bytes its length can state.
    #[error("carrier reference of {len} bytes is over 255")]
    CarrierReferenceTooLong {
        /// The reference's length.
        len: usize,
    },
    /// More than 255 auxiliary references for one alternative carrier.
    #[error("{count} auxiliary references are over 255")]
    TooManyAuxiliaryReferences {
        /// How many were given.
        count: usize,
    },
}

/// The BLE out-of-band carrier configuration (Bluetooth CSS AD structures, as 18013-5
/// clause 8.2.2.1 uses them) is malformed. Offsets are from the start of the record payload
/// to the length byte of the AD structure at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BleOobError {
    /// An AD structure's length runs past the end of the payload.
    #[error("AD structure at byte {offset} runs past the payload")]
    TruncatedAdStructure {
        /// Where the AD structure starts.
        offset: usize,
    },
    /// An LE Role structure (type 0x1C) with no value.
    #[error("LE Role at byte {offset} is empty")]
    EmptyLeRole {
        /// Where the AD structure starts.
        offset: usize,
    },
    /// An LE Role value other than 0x00..=0x03.
    #[error("LE Role at byte {offset} has unknown value {value:#04x}")]
    UnknownLeRole {
        /// Where the AD structure starts.
        offset: usize,
        /// The value received.
        value: u8,
    },
    /// A complete list of 128-bit service UUIDs (type 0x07) shorter than one UUID.
    #[error("128-bit UUID list at byte {offset} has {len} bytes, under 16")]
    ShortUuidList {
        /// Where the AD structure starts.
        offset: usize,
        /// The list's length.
        len: usize,
    },
    /// An LE Bluetooth Device Address (type 0x1B) that is not 6 address bytes and a type.
    #[error("LE device address at byte {offset} has {len} bytes, not 7")]
    BadAddressLength {
        /// Where the AD structure starts.
        offset: usize,
        /// The value's length.
        len: usize,
    },
    /// An L2CAP PSM (provisional type 0x77) that is not 4 bytes.
    #[error("L2CAP PSM at byte {offset} has {len} bytes, not 4")]
    BadPsmLength {
        /// Where the AD structure starts.
        offset: usize,
        /// The value's length.
        len: usize,
    },
}

/// Handover Select (mdoc → reader) or Request (reader → mdoc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverKind {
    /// Handover Select: the mdoc's carriers and its DeviceEngagement.
    Select,
    /// Handover Request: the reader's carriers (negotiated handover).
    Request,
}

/// One alternative carrier (`ac`) record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternativeCarrier {
    /// Carrier power state: 0 inactive, 1 active, 2 activating, 3 unknown.
    pub power_state: u8,
    /// The id of the carrier configuration record this carrier refers to.
    pub carrier_ref: Vec<u8>,
    /// Ids of auxiliary data records (for 18013-5: the DeviceEngagement record, `mdoc`).
    pub aux_refs: Vec<Vec<u8>>,
}

/// LE Role AD type values (Bluetooth CSS), as 18013-5 uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeRole {
    /// 0x00: only peripheral — an mdoc offering peripheral server mode.
    PeripheralOnly,
    /// 0x01: only central — an mdoc offering central client mode.
    CentralOnly,
    /// 0x02: both, peripheral preferred.
    BothPeripheralPreferred,
    /// 0x03: both, central preferred.
    BothCentralPreferred,
}

impl LeRole {
    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => LeRole::PeripheralOnly,
            1 => LeRole::CentralOnly,
            2 => LeRole::BothPeripheralPreferred,
            3 => LeRole::BothCentralPreferred,
            _ => return None,
        })
    }

    fn to_byte(self) -> u8 {
        match self {
            LeRole::PeripheralOnly => 0,
            LeRole::CentralOnly => 1,
            LeRole::BothPeripheralPreferred => 2,
            LeRole::BothCentralPreferred => 3,
        }
    }
}

/// BLE out-of-band carrier configuration (AD structures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BleOob {
    /// LE Role (AD type 0x1C): which BLE modes the device offers.
    pub role: Option<LeRole>,
    /// The 128-bit service UUID in network (big-endian) order, as in DeviceEngagement key
    /// 10/11; on the air (AD type 0x07) it is little-endian.
    pub uuid: Option<[u8; 16]>,
    /// LE device address (6 bytes, as printed) and its type byte.
    pub address: Option<([u8; 6], u8)>,
    /// L2CAP PSM (provisional AD type 0x77).
    pub psm: Option<u32>,
}

impl BleOob {
    /// Parse the AD structures `[len][type][data]…`; a zero length ends them (padding).
    /// Unknown AD types are skipped.
    pub fn parse(payload: &[u8]) -> Result<Self, BleOobError> {
        let mut out = BleOob::default();
        let mut rest = payload;
        let mut offset = 0usize;
        while let Some((&len, tail)) = rest.split_first() {
            if len == 0 {
                break;
            }
            let len = usize::from(len);
            let (ad, next) = tail
                .split_at_checked(len)
                .ok_or(BleOobError::TruncatedAdStructure { offset })?;
            // `len` ≥ 1, so the AD type byte is there.
            let (&kind, data) = ad
                .split_first()
                .ok_or(BleOobError::TruncatedAdStructure { offset })?;
            match kind {
                0x1c => {
                    let &value = data.first().ok_or(BleOobError::EmptyLeRole { offset })?;
                    out.role = Some(
                        LeRole::from_byte(value)
                            .ok_or(BleOobError::UnknownLeRole { offset, value })?,
                    );
                }
                0x07 => {
                    let le = data.first_chunk::<16>().ok_or(BleOobError::ShortUuidList {
                        offset,
                        len: data.len(),
                    })?;
                    let mut be = *le;
                    be.reverse();
                    out.uuid = Some(be);
                }
                0x1b => {
                    let [a0, a1, a2, a3, a4, a5, kind] = *data else {
                        return Err(BleOobError::BadAddressLength {
                            offset,
                            len: data.len(),
                        });
                    };
                    // Little-endian on the air; shown most significant byte first.
                    out.address = Some(([a5, a4, a3, a2, a1, a0], kind));
                }
                0x77 => {
                    let b: [u8; 4] = data.try_into().map_err(|_| BleOobError::BadPsmLength {
                        offset,
                        len: data.len(),
                    })?;
                    out.psm = Some(u32::from_be_bytes(b));
                }
                _ => {}
            }
            offset += 1 + len;
            rest = next;
        }
        Ok(out)
    }

    /// Encode as AD structures.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some((addr, kind)) = self.address {
            out.extend_from_slice(&[8, 0x1b]);
            out.extend(addr.iter().rev());
            out.push(kind);
        }
        if let Some(role) = self.role {
            out.extend_from_slice(&[2, 0x1c, role.to_byte()]);
        }
        if let Some(uuid) = self.uuid {
            out.extend_from_slice(&[17, 0x07]);
            out.extend(uuid.iter().rev());
        }
        if let Some(psm) = self.psm {
            out.extend_from_slice(&[5, 0x77]);
            out.extend_from_slice(&psm.to_be_bytes());
        }
        out
    }
}

/// The NFC carrier record: version and maximum APDU data lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfcCarrier {
    /// Version of the NFC carrier record (1).
    pub version: u8,
    /// Largest command data field the device accepts (TLV type 0x01).
    pub max_command_data: Option<u32>,
    /// Largest response data field the device accepts (TLV type 0x02).
    pub max_response_data: Option<u32>,
}

impl NfcCarrier {
    /// Parse the record payload: a version byte, then `[len][type][value]` TLVs (`len`
    /// counts the type byte). Values over four bytes, and stray bytes at the end, are
    /// malformed.
    fn parse(p: &[u8]) -> Result<Self, HandoverError> {
        let (&version, mut rest) = p
            .split_first()
            .ok_or(HandoverError::BadNfcCarrier { offset: 0 })?;
        let mut out = NfcCarrier {
            version,
            max_command_data: None,
            max_response_data: None,
        };
        let mut offset = 1usize;
        while !rest.is_empty() {
            let bad = HandoverError::BadNfcCarrier { offset };
            let [len, kind, tail @ ..] = rest else {
                return Err(bad);
            };
            let n = usize::from(*len).checked_sub(1).ok_or(bad.clone())?;
            let (value, next) = tail.split_at_checked(n).ok_or(bad.clone())?;
            if value.len() > 4 {
                return Err(bad);
            }
            let v = value.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            match kind {
                0x01 => out.max_command_data = Some(v),
                0x02 => out.max_response_data = Some(v),
                _ => {}
            }
            offset += 2 + n;
            rest = next;
        }
        Ok(out)
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.version];
        for (kind, v) in [
            (0x01u8, self.max_command_data),
            (0x02, self.max_response_data),
        ] {
            if let Some(v) = v {
                out.extend_from_slice(&[5, kind]);
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        out
    }
}

/// A parsed handover message, with its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// The whole message as received (it goes into the SessionTranscript's Handover).
    pub raw: Vec<u8>,
    /// Select or Request.
    pub kind: HandoverKind,
    /// The handover version byte (major in the high nibble).
    pub version: u8,
    /// The alternative carrier records of the embedded message, in order.
    pub carriers: Vec<AlternativeCarrier>,
    /// The BLE carrier configuration, if the message has one.
    pub ble: Option<BleOob>,
    /// The NFC carrier configuration, if the message has one.
    pub nfc: Option<NfcCarrier>,
    /// Whether the message has a Wi-Fi Aware carrier record (its content is not read).
    pub wifi_aware: bool,
    /// The DeviceEngagement record payload (DeviceEngagement CBOR, untagged), as received.
    pub device_engagement: Option<Vec<u8>>,
    /// The ReaderEngagement record payload, as received.
    pub reader_engagement: Option<Vec<u8>>,
}

impl Handover {
    /// Parse a Handover Select or Request message; records are found by type, in any order.
    pub fn parse(bytes: &[u8]) -> Result<Self, HandoverError> {
        let records = parse_message(bytes)?;
        let first = records.first().ok_or(HandoverError::NotHandover)?;
        let kind = if first.is(TNF_WELL_KNOWN, TYPE_HANDOVER_SELECT) {
            HandoverKind::Select
        } else if first.is(TNF_WELL_KNOWN, TYPE_HANDOVER_REQUEST) {
            HandoverKind::Request
        } else {
            return Err(HandoverError::NotHandover);
        };
        let (&version, embedded) = first
            .payload
            .split_first()
            .ok_or(HandoverError::NotHandover)?;
        if version >> 4 != 1 {
            return Err(HandoverError::Version(version));
        }
        let mut carriers = Vec::new();
        if !embedded.is_empty() {
            for (i, r) in parse_message(embedded)?.iter().enumerate() {
                if r.is(TNF_WELL_KNOWN, TYPE_ALTERNATIVE_CARRIER) {
                    carriers.push(
                        parse_ac(&r.payload)
                            .ok_or(HandoverError::BadAlternativeCarrier { record: i })?,
                    );
                }
            }
        }
        let mut h = Handover {
            raw: bytes.to_vec(),
            kind,
            version,
            carriers,
            ble: None,
            nfc: None,
            wifi_aware: false,
            device_engagement: None,
            reader_engagement: None,
        };
        for r in records.iter().skip(1) {
            if r.is(TNF_MIME, TYPE_BLE_OOB) {
                h.ble = Some(BleOob::parse(&r.payload).map_err(HandoverError::BadBleOob)?);
            } else if r.is(TNF_EXTERNAL, TYPE_NFC_CARRIER) {
                h.nfc = Some(NfcCarrier::parse(&r.payload)?);
            } else if r.is(TNF_MIME, TYPE_WIFI_AWARE) {
                h.wifi_aware = true;
            } else if r.is(TNF_EXTERNAL, TYPE_DEVICE_ENGAGEMENT) {
                h.device_engagement = Some(r.payload.clone());
            } else if r.is(TNF_EXTERNAL, TYPE_READER_ENGAGEMENT) {
                h.reader_engagement = Some(r.payload.clone());
            }
        }
        if kind == HandoverKind::Select && h.device_engagement.is_none() {
            return Err(HandoverError::NoDeviceEngagement);
        }
        Ok(h)
    }

    /// DeviceEngagementBytes for the SessionTranscript (tag 24 around the record payload).
    pub fn device_engagement_bytes(&self) -> Option<Vec<u8>> {
        self.device_engagement
            .as_deref()
            .map(kakunin_core::cbor::wrap_tag24)
    }
}

fn parse_ac(p: &[u8]) -> Option<AlternativeCarrier> {
    let (&power_state, rest) = p.split_first()?;
    let (&ref_len, rest) = rest.split_first()?;
    let (carrier_ref, rest) = rest.split_at_checked(usize::from(ref_len))?;
    let (&aux_count, mut rest) = rest.split_first()?;
    let mut aux_refs = Vec::new();
    for _ in 0..aux_count {
        let (&l, tail) = rest.split_first()?;
        let (aux, tail) = tail.split_at_checked(usize::from(l))?;
        aux_refs.push(aux.to_vec());
        rest = tail;
    }
    Some(AlternativeCarrier {
        power_state,
        carrier_ref: carrier_ref.to_vec(),
        aux_refs,
    })
}

fn ref_len(r: &[u8]) -> Result<u8, HandoverError> {
    u8::try_from(r.len()).map_err(|_| HandoverError::CarrierReferenceTooLong { len: r.len() })
}

/// An active alternative carrier record pointing at `carrier_ref`, with auxiliary refs.
fn ac_record(carrier_ref: &[u8], aux: &[&[u8]]) -> Result<Record, HandoverError> {
    let count = u8::try_from(aux.len())
        .map_err(|_| HandoverError::TooManyAuxiliaryReferences { count: aux.len() })?;
    let mut p = vec![0x01, ref_len(carrier_ref)?];
    p.extend_from_slice(carrier_ref);
    p.push(count);
    for a in aux {
        p.push(ref_len(a)?);
        p.extend_from_slice(a);
    }
    Ok(Record::new(
        TNF_WELL_KNOWN,
        TYPE_ALTERNATIVE_CARRIER,
        &[],
        &p,
    ))
}

/// Build the mdoc's Handover Select for static handover: an alternative carrier per offered
/// transport (BLE id "0", NFC id "nfc"), the carrier records, and the DeviceEngagement.
/// Fails only when the message would exceed [`crate::ndef::MAX_MESSAGE`].
pub fn build_static_select(
    device_engagement: &[u8],
    ble: Option<&BleOob>,
    nfc: Option<&NfcCarrier>,
) -> Result<Vec<u8>, HandoverError> {
    let mut acs = Vec::new();
    let mut carriers = Vec::new();
    if let Some(b) = ble {
        acs.push(ac_record(b"0", &[b"mdoc"])?);
        carriers.push(Record::new(TNF_MIME, TYPE_BLE_OOB, b"0", &b.encode()));
    }
    if let Some(n) = nfc {
        acs.push(ac_record(b"nfc", &[b"mdoc"])?);
        carriers.push(Record::new(
            TNF_EXTERNAL,
            TYPE_NFC_CARRIER,
            b"nfc",
            &n.encode(),
        ));
    }
    let mut hs_payload = vec![HANDOVER_VERSION];
    if !acs.is_empty() {
        hs_payload.extend(encode_message(&acs)?);
    }
    let mut records = vec![Record::new(
        TNF_WELL_KNOWN,
        TYPE_HANDOVER_SELECT,
        &[],
        &hs_payload,
    )];
    records.extend(carriers);
    records.push(Record::new(
        TNF_EXTERNAL,
        TYPE_DEVICE_ENGAGEMENT,
        b"mdoc",
        device_engagement,
    ));
    Ok(encode_message(&records)?)
}

/// Build the reader's Handover Request for negotiated handover: a collision-resolution
/// record, an alternative carrier for NFC, and the NFC carrier record with the reader's
/// APDU limits.
pub fn build_handover_request(
    collision_random: u16,
    nfc: &NfcCarrier,
) -> Result<Vec<u8>, HandoverError> {
    let cr = Record::new(
        TNF_WELL_KNOWN,
        TYPE_COLLISION_RESOLUTION,
        &[],
        &collision_random.to_be_bytes(),
    );
    let mut hr_payload = vec![HANDOVER_VERSION];
    hr_payload.extend(encode_message(&[cr, ac_record(b"nfc", &[])?])?);
    Ok(encode_message(&[
        Record::new(TNF_WELL_KNOWN, TYPE_HANDOVER_REQUEST, &[], &hr_payload),
        Record::new(TNF_EXTERNAL, TYPE_NFC_CARRIER, b"nfc", &nfc.encode()),
    ])?)
}

/// TNEP (NFC Forum Tag NDEF Exchange Protocol) records used for negotiated handover.
pub mod tnep {
    use crate::ndef::{encode_message, NdefError, Record, TNF_WELL_KNOWN};

    /// The Connection Handover service name.
    pub const SERVICE_HANDOVER: &[u8] = b"urn:nfc:sn:handover";
    /// Well-known type of the Service Parameter record.
    pub const TYPE_SERVICE_PARAMETER: &[u8] = b"Tp";
    /// Well-known type of the Service Select record.
    pub const TYPE_SERVICE_SELECT: &[u8] = b"Ts";
    /// Well-known type of the Status record.
    pub const TYPE_STATUS: &[u8] = b"Te";
    /// TNEP version 1.0.
    pub const VERSION: u8 = 0x10;

    /// The handover service name, preceded by its one-byte length.
    fn service_name_field() -> Result<Vec<u8>, NdefError> {
        let len = u8::try_from(SERVICE_HANDOVER.len()).map_err(|_| NdefError::TypeTooLong {
            record: 0,
            len: SERVICE_HANDOVER.len(),
        })?;
        let mut p = vec![len];
        p.extend_from_slice(SERVICE_HANDOVER);
        Ok(p)
    }

    /// The Service Parameter message the card offers first: the handover service, single
    /// response mode, WT 0, N_wait 15, max NDEF 0xFFFF.
    pub fn service_parameter() -> Result<Vec<u8>, NdefError> {
        let mut p = vec![VERSION];
        p.extend(service_name_field()?);
        p.extend_from_slice(&[0x00, 0x00, 0x0f, 0xff, 0xff]);
        encode_message(&[Record::new(TNF_WELL_KNOWN, TYPE_SERVICE_PARAMETER, &[], &p)])
    }

    /// The reader's Service Select for the handover service.
    pub fn service_select() -> Result<Vec<u8>, NdefError> {
        let p = service_name_field()?;
        encode_message(&[Record::new(TNF_WELL_KNOWN, TYPE_SERVICE_SELECT, &[], &p)])
    }

    /// A TNEP Status message (0x00 success).
    pub fn status(code: u8) -> Result<Vec<u8>, NdefError> {
        encode_message(&[Record::new(TNF_WELL_KNOWN, TYPE_STATUS, &[], &[code])])
    }

    /// The service a Service Parameter or Service Select record names.
    pub fn service_name(record: &Record) -> Option<&[u8]> {
        let p = &record.payload;
        let at_len = if record.record_type == TYPE_SERVICE_PARAMETER {
            p.get(1..)?
        } else {
            p.as_slice()
        };
        let (&n, name) = at_len.split_first()?;
        name.get(..usize::from(n))
    }
}

/// The Handover element of the SessionTranscript: `[HS, HR or null]` (clause 9.1.5.1).
pub fn nfc_handover(select: &[u8], request: Option<&[u8]>) -> Vec<u8> {
    let mut e = kakunin_core::cbor::Encoder::new();
    e.array(2).bytes(select);
    match request {
        Some(r) => e.bytes(r),
        None => e.null(),
    };
    e.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_spec_vectors::annex_d::bytes;

    #[test]
    fn annex_d_handover_select() {
        let hs = Handover::parse(&bytes("handover_select")).unwrap();
        assert_eq!(hs.kind, HandoverKind::Select);
        assert_eq!(hs.version, 0x15);
        assert_eq!(hs.carriers.len(), 1);
        assert_eq!(hs.carriers[0].carrier_ref, b"0");
        assert_eq!(hs.carriers[0].aux_refs, vec![b"mdoc".to_vec()]);
        let ble = hs.ble.as_ref().unwrap();
        assert_eq!(ble.role, Some(LeRole::CentralOnly));
        assert_eq!(
            ble.address,
            Some(([0x28, 0x28, 0x37, 0x8b, 0x12, 0x28], 0x01))
        );
        assert_eq!(ble.uuid, None);
        assert_eq!(
            hs.device_engagement.as_deref(),
            Some(bytes("device_engagement_nfc").as_slice())
        );
        assert_eq!(
            hs.device_engagement_bytes().unwrap(),
            bytes("device_engagement_bytes_nfc")
        );
        // The BLE record re-encodes to the same AD bytes.
        let records = parse_message(&bytes("handover_select")).unwrap();
        assert_eq!(ble.encode(), records[1].payload);
    }

    #[test]
    fn annex_d_handover_request_and_transcript_handover() {
        let hr = Handover::parse(&bytes("handover_request")).unwrap();
        assert_eq!(hr.kind, HandoverKind::Request);
        let refs: Vec<&[u8]> = hr
            .carriers
            .iter()
            .map(|c| c.carrier_ref.as_slice())
            .collect();
        assert_eq!(refs, vec![&b"0"[..], b"nfc", b"W"]);
        let ble = hr.ble.unwrap();
        assert_eq!(ble.role, Some(LeRole::BothPeripheralPreferred));
        let uuid = hex::decode("3a82d455d5fc4db3bea06fd2f6ff32c8").unwrap();
        assert_eq!(ble.uuid.unwrap().to_vec(), uuid);
        assert_eq!(hr.nfc.unwrap().version, 1);
        assert!(hr.wifi_aware);
        assert_eq!(
            nfc_handover(&bytes("handover_select"), Some(&bytes("handover_request"))),
            bytes("nfc_handover")
        );
    }

    #[test]
    fn static_select_round_trip_and_bad_input() {
        let de = bytes("device_engagement_nfc");
        let ble = BleOob {
            role: Some(LeRole::PeripheralOnly),
            uuid: Some([7; 16]),
            address: None,
            psm: Some(0x1001),
        };
        let nfc = NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        };
        let hs = build_static_select(&de, Some(&ble), Some(&nfc)).unwrap();
        let parsed = Handover::parse(&hs).unwrap();
        assert_eq!(parsed.ble, Some(ble));
        assert_eq!(parsed.nfc, Some(nfc));
        assert_eq!(parsed.device_engagement, Some(de));
        assert_eq!(parsed.raw, hs);
        for len in 0..hs.len() {
            assert!(
                Handover::parse(&hs[..len]).is_err(),
                "truncated at {len} accepted"
            );
        }
        assert!(Handover::parse(&bytes("device_engagement_nfc")).is_err());
    }

    #[test]
    fn ble_oob_errors_are_typed() {
        use BleOobError::*;
        for (ad, want) in [
            (&[3u8, 0x1c, 0][..], TruncatedAdStructure { offset: 0 }),
            (&[1, 0x1c], EmptyLeRole { offset: 0 }),
            (
                &[2, 0x1c, 0, 2, 0x1c, 9],
                UnknownLeRole {
                    offset: 3,
                    value: 9,
                },
            ),
            (&[3, 0x07, 1, 2], ShortUuidList { offset: 0, len: 2 }),
            (&[3, 0x1b, 1, 2], BadAddressLength { offset: 0, len: 2 }),
            (&[3, 0x77, 1, 2], BadPsmLength { offset: 0, len: 2 }),
        ] {
            assert_eq!(BleOob::parse(ad), Err(want), "{ad:02x?}");
        }
        // Unknown AD types are skipped; a zero length ends the structures.
        assert_eq!(
            BleOob::parse(&[2, 0xff, 0, 2, 0x1c, 1, 0, 0xee])
                .unwrap()
                .role,
            Some(LeRole::CentralOnly)
        );
    }

    #[test]
    fn nfc_carrier_and_references_are_bounded() {
        assert_eq!(
            NfcCarrier::parse(&[]),
            Err(HandoverError::BadNfcCarrier { offset: 0 })
        );
        assert_eq!(
            NfcCarrier::parse(&[1, 6, 1, 0, 0, 0, 0, 1]),
            Err(HandoverError::BadNfcCarrier { offset: 1 })
        );
        assert_eq!(
            NfcCarrier::parse(&[1, 3, 1, 0xff, 0xff, 7]),
            Err(HandoverError::BadNfcCarrier { offset: 5 })
        );
        assert_eq!(
            NfcCarrier::parse(&[1, 3, 1, 0xff, 0xff])
                .unwrap()
                .max_command_data,
            Some(0xffff)
        );
        assert_eq!(
            ac_record(&[0; 256], &[]),
            Err(HandoverError::CarrierReferenceTooLong { len: 256 })
        );
        let many: Vec<&[u8]> = vec![b"a"; 256];
        assert_eq!(
            ac_record(b"0", &many),
            Err(HandoverError::TooManyAuxiliaryReferences { count: 256 })
        );
        let too_big = vec![0u8; crate::ndef::MAX_MESSAGE];
        assert!(matches!(
            build_static_select(&too_big, None, None),
            Err(HandoverError::Ndef(NdefError::TooLarge(_)))
        ));
    }
}
