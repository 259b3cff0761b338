//! NFC Connection Handover for ISO 18013-5 engagement (clause 8.2.2.1): Handover Select and
//! Handover Request messages with their alternative-carrier records, the BLE out-of-band
//! carrier configuration (LE role, service UUID, device address, L2CAP PSM), the NFC carrier
//! record, and the DeviceEngagement / ReaderEngagement records. The message bytes are kept
//! exactly, since the SessionTranscript's Handover embeds them.

use crate::ndef::{
    encode_message, parse_message, NdefError, Record, TNF_EXTERNAL, TNF_MIME, TNF_WELL_KNOWN,
};

pub const TYPE_HANDOVER_SELECT: &[u8] = b"Hs";
pub const TYPE_HANDOVER_REQUEST: &[u8] = b"Hr";
pub const TYPE_ALTERNATIVE_CARRIER: &[u8] = b"ac";
pub const TYPE_COLLISION_RESOLUTION: &[u8] = b"cr";
pub const TYPE_BLE_OOB: &[u8] = b"application/vnd.bluetooth.le.oob";
pub const TYPE_WIFI_AWARE: &[u8] = b"application/vnd.wfa.nan";
pub const TYPE_DEVICE_ENGAGEMENT: &[u8] = b"iso.org:18013:deviceengagement";
pub const TYPE_READER_ENGAGEMENT: &[u8] = b"iso.org:18013:readerengagement";
pub const TYPE_NFC_CARRIER: &[u8] = b"iso.org:18013:nfc";
/// Connection Handover version 1.5.
pub const HANDOVER_VERSION: u8 = 0x15;

/// A handover message is malformed or lacks what 18013-5 needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoverError {
    #[error("NDEF: {0}")]
    Ndef(#[from] NdefError),
    #[error("the first record is not a Handover Select or Request")]
    NotHandover,
    #[error("handover version {0:#04x} is not 1.x")]
    Version(u8),
    #[error("alternative carrier record {0} is malformed")]
    BadAlternativeCarrier(usize),
    #[error("BLE carrier configuration is malformed: {0}")]
    BadBleOob(&'static str),
    #[error("NFC carrier record is malformed")]
    BadNfcCarrier,
    #[error("Handover Select carries no DeviceEngagement record")]
    NoDeviceEngagement,
}

/// Handover Select (mdoc → reader) or Request (reader → mdoc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverKind {
    Select,
    Request,
}

/// One alternative carrier (`ac`) record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternativeCarrier {
    /// Carrier power state: 0 inactive, 1 active, 2 activating, 3 unknown.
    pub power_state: u8,
    pub carrier_ref: Vec<u8>,
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
    /// Parse the AD structures `[len][type][data]…`.
    pub fn parse(payload: &[u8]) -> Result<Self, HandoverError> {
        let mut out = BleOob::default();
        let mut pos = 0;
        while pos < payload.len() {
            let len = payload[pos] as usize;
            if len == 0 {
                break;
            }
            let ad = payload
                .get(pos + 1..pos + 1 + len)
                .ok_or(HandoverError::BadBleOob(
                    "AD structure runs past the payload",
                ))?;
            let (kind, data) = (ad[0], &ad[1..]);
            match kind {
                0x1c => {
                    let b = *data
                        .first()
                        .ok_or(HandoverError::BadBleOob("empty LE Role"))?;
                    out.role = Some(
                        LeRole::from_byte(b).ok_or(HandoverError::BadBleOob("unknown LE Role"))?,
                    );
                }
                0x07 => {
                    let le: [u8; 16] = data
                        .get(..16)
                        .and_then(|d| d.try_into().ok())
                        .ok_or(HandoverError::BadBleOob("128-bit UUID list too short"))?;
                    let mut be = le;
                    be.reverse();
                    out.uuid = Some(be);
                }
                0x1b => {
                    if data.len() != 7 {
                        return Err(HandoverError::BadBleOob(
                            "LE device address must be 7 bytes",
                        ));
                    }
                    let mut addr = [0u8; 6];
                    // Little-endian on the air; shown most significant byte first.
                    for (i, b) in data[..6].iter().enumerate() {
                        addr[5 - i] = *b;
                    }
                    out.address = Some((addr, data[6]));
                }
                0x77 => {
                    let b: [u8; 4] = data
                        .try_into()
                        .map_err(|_| HandoverError::BadBleOob("PSM must be 4 bytes"))?;
                    out.psm = Some(u32::from_be_bytes(b));
                }
                _ => {}
            }
            pos += 1 + len;
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
    pub version: u8,
    pub max_command_data: Option<u32>,
    pub max_response_data: Option<u32>,
}

impl NfcCarrier {
    fn parse(p: &[u8]) -> Result<Self, HandoverError> {
        let (&version, mut rest) = p.split_first().ok_or(HandoverError::BadNfcCarrier)?;
        let mut out = NfcCarrier {
            version,
            max_command_data: None,
            max_response_data: None,
        };
        while let [len, kind, tail @ ..] = rest {
            let n = (*len as usize)
                .checked_sub(1)
                .ok_or(HandoverError::BadNfcCarrier)?;
            let value = tail.get(..n).ok_or(HandoverError::BadNfcCarrier)?;
            let v = value.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            match kind {
                0x01 => out.max_command_data = Some(v),
                0x02 => out.max_response_data = Some(v),
                _ => {}
            }
            rest = &tail[n..];
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
    pub raw: Vec<u8>,
    pub kind: HandoverKind,
    pub version: u8,
    pub carriers: Vec<AlternativeCarrier>,
    pub ble: Option<BleOob>,
    pub nfc: Option<NfcCarrier>,
    pub wifi_aware: bool,
    /// The DeviceEngagement record payload (DeviceEngagement CBOR, untagged), as received.
    pub device_engagement: Option<Vec<u8>>,
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
                    carriers
                        .push(parse_ac(&r.payload).ok_or(HandoverError::BadAlternativeCarrier(i))?);
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
        for r in &records[1..] {
            if r.is(TNF_MIME, TYPE_BLE_OOB) {
                h.ble = Some(BleOob::parse(&r.payload)?);
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
    let carrier_ref = rest.get(..ref_len as usize)?.to_vec();
    let rest = &rest[ref_len as usize..];
    let (&aux_count, mut rest) = rest.split_first()?;
    let mut aux_refs = Vec::new();
    for _ in 0..aux_count {
        let (&l, tail) = rest.split_first()?;
        aux_refs.push(tail.get(..l as usize)?.to_vec());
        rest = &tail[l as usize..];
    }
    Some(AlternativeCarrier {
        power_state,
        carrier_ref,
        aux_refs,
    })
}

fn ac_record(carrier_ref: &[u8], aux: &[&[u8]]) -> Record {
    let mut p = vec![0x01, carrier_ref.len() as u8];
    p.extend_from_slice(carrier_ref);
    p.push(aux.len() as u8);
    for a in aux {
        p.push(a.len() as u8);
        p.extend_from_slice(a);
    }
    Record::new(TNF_WELL_KNOWN, TYPE_ALTERNATIVE_CARRIER, &[], &p)
}

/// Build the mdoc's Handover Select for static handover: an alternative carrier per offered
/// transport (BLE id "0", NFC id "nfc"), the carrier records, and the DeviceEngagement.
pub fn build_static_select(
    device_engagement: &[u8],
    ble: Option<&BleOob>,
    nfc: Option<&NfcCarrier>,
) -> Vec<u8> {
    let mut acs = Vec::new();
    let mut carriers = Vec::new();
    if let Some(b) = ble {
        acs.push(ac_record(b"0", &[b"mdoc"]));
        carriers.push(Record::new(TNF_MIME, TYPE_BLE_OOB, b"0", &b.encode()));
    }
    if let Some(n) = nfc {
        acs.push(ac_record(b"nfc", &[b"mdoc"]));
        carriers.push(Record::new(
            TNF_EXTERNAL,
            TYPE_NFC_CARRIER,
            b"nfc",
            &n.encode(),
        ));
    }
    let mut hs_payload = vec![HANDOVER_VERSION];
    if !acs.is_empty() {
        hs_payload.extend(encode_message(&acs));
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
    encode_message(&records)
}

/// Build the reader's Handover Request for negotiated handover: a collision-resolution
/// record, an alternative carrier for NFC, and the NFC carrier record with the reader's
/// APDU limits.
pub fn build_handover_request(collision_random: u16, nfc: &NfcCarrier) -> Vec<u8> {
    let cr = Record::new(
        TNF_WELL_KNOWN,
        TYPE_COLLISION_RESOLUTION,
        &[],
        &collision_random.to_be_bytes(),
    );
    let mut hr_payload = vec![HANDOVER_VERSION];
    hr_payload.extend(encode_message(&[cr, ac_record(b"nfc", &[])]));
    encode_message(&[
        Record::new(TNF_WELL_KNOWN, TYPE_HANDOVER_REQUEST, &[], &hr_payload),
        Record::new(TNF_EXTERNAL, TYPE_NFC_CARRIER, b"nfc", &nfc.encode()),
    ])
}

/// TNEP (NFC Forum Tag NDEF Exchange Protocol) records used for negotiated handover.
pub mod tnep {
    use crate::ndef::{encode_message, Record, TNF_WELL_KNOWN};

    pub const SERVICE_HANDOVER: &[u8] = b"urn:nfc:sn:handover";
    pub const TYPE_SERVICE_PARAMETER: &[u8] = b"Tp";
    pub const TYPE_SERVICE_SELECT: &[u8] = b"Ts";
    pub const TYPE_STATUS: &[u8] = b"Te";
    /// TNEP version 1.0.
    pub const VERSION: u8 = 0x10;

    /// The Service Parameter message the card offers first: the handover service, single
    /// response mode, WT 0, N_wait 15, max NDEF 0xFFFF.
    pub fn service_parameter() -> Vec<u8> {
        let mut p = vec![VERSION, SERVICE_HANDOVER.len() as u8];
        p.extend_from_slice(SERVICE_HANDOVER);
        p.extend_from_slice(&[0x00, 0x00, 0x0f, 0xff, 0xff]);
        encode_message(&[Record::new(TNF_WELL_KNOWN, TYPE_SERVICE_PARAMETER, &[], &p)])
    }

    /// The reader's Service Select for the handover service.
    pub fn service_select() -> Vec<u8> {
        let mut p = vec![SERVICE_HANDOVER.len() as u8];
        p.extend_from_slice(SERVICE_HANDOVER);
        encode_message(&[Record::new(TNF_WELL_KNOWN, TYPE_SERVICE_SELECT, &[], &p)])
    }

    /// A TNEP Status message (0x00 success).
    pub fn status(code: u8) -> Vec<u8> {
        encode_message(&[Record::new(TNF_WELL_KNOWN, TYPE_STATUS, &[], &[code])])
    }

    /// The service a Service Parameter or Service Select record names.
    pub fn service_name(record: &Record) -> Option<&[u8]> {
        let p = &record.payload;
        let (len_at, start) = if record.record_type == TYPE_SERVICE_PARAMETER {
            (1, 2)
        } else {
            (0, 1)
        };
        let n = usize::from(*p.get(len_at)?);
        p.get(start..start + n)
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
        let hs = build_static_select(&de, Some(&ble), Some(&nfc));
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
}
