//! BLE data transfer framing (ISO 18013-5 clause 8.3.3.1.1): the GATT service's
//! characteristics, message chunking over Client2Server writes and Server2Client
//! notifications (first byte 0x01 = more follows, 0x00 = last; each value at most
//! min(512, MTU−3) bytes), the State characteristic's start/end values, and Ident.

use kakunin_core::crypto::{CryptoError, CryptoProvider};

/// Characteristic UUIDs of mdoc peripheral server mode (the mdoc is the GATT server).
pub mod peripheral_server {
    /// State: the client writes 0x01 to start and either side 0x02 to end.
    pub const STATE: &str = "00000001-a123-48ce-896b-4c76973373e6";
    /// Client2Server: the reader writes request chunks.
    pub const CLIENT2SERVER: &str = "00000002-a123-48ce-896b-4c76973373e6";
    /// Server2Client: the mdoc notifies response chunks.
    pub const SERVER2CLIENT: &str = "00000003-a123-48ce-896b-4c76973373e6";
    /// L2CAP PSM (optional).
    pub const L2CAP: &str = "0000000a-a123-48ce-896b-4c76973373e6";
}

/// Characteristic UUIDs of mdoc central client mode (the reader is the GATT server).
pub mod central_client {
    /// State: the client (mdoc) writes 0x01 to start and either side 0x02 to end.
    pub const STATE: &str = "00000005-a123-48ce-896b-4c76973373e6";
    /// Client2Server: the mdoc writes response chunks.
    pub const CLIENT2SERVER: &str = "00000006-a123-48ce-896b-4c76973373e6";
    /// Server2Client: the reader notifies request chunks.
    pub const SERVER2CLIENT: &str = "00000007-a123-48ce-896b-4c76973373e6";
    /// Ident: the reader's 16-byte BLEIdent, read by the mdoc first.
    pub const IDENT: &str = "00000008-a123-48ce-896b-4c76973373e6";
    /// L2CAP PSM (optional).
    pub const L2CAP: &str = "0000000b-a123-48ce-896b-4c76973373e6";
}

/// State characteristic: the client starts the transaction.
pub const STATE_START: u8 = 0x01;
/// State characteristic: either side ends the transaction.
pub const STATE_END: u8 = 0x02;
/// Smallest ATT MTU (the BLE default).
pub const MIN_MTU: u16 = 23;
/// Largest characteristic value (ATT attribute length limit).
pub const MAX_VALUE: usize = 512;
const MORE: u8 = 0x01;
const LAST: u8 = 0x00;

/// A BLE framing error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BleError {
    /// An ATT MTU under 23, the BLE minimum.
    #[error("MTU {0} is below the BLE minimum of {MIN_MTU}")]
    MtuTooSmall(u16),
    /// A characteristic value without the leading more/last byte.
    #[error("empty characteristic value")]
    EmptyValue,
    /// A characteristic value whose first byte is neither 0x00 (last) nor 0x01 (more).
    #[error("characteristic value starts with {0:#04x}, not 0x00/0x01")]
    BadFlag(u8),
    /// A characteristic value over min(512, MTU − 3).
    #[error("characteristic value of {len} bytes exceeds {max}")]
    ValueTooLong {
        /// The value's length.
        len: usize,
        /// The largest value allowed at this MTU.
        max: usize,
    },
    /// The chunks of one message add up to more than the reassembler's bound.
    #[error("message exceeds {max} bytes")]
    MessageTooLarge {
        /// The bound.
        max: usize,
    },
    /// The link went away mid-exchange.
    #[error("the link was lost after {chunks} chunk(s)")]
    Disconnected {
        /// Values carried before the loss.
        chunks: usize,
    },
    /// The values ran out before the chunk marked last.
    #[error("the message ended without its last chunk")]
    Incomplete,
    /// Central client mode: the reader's Ident is not HKDF(EDeviceKeyBytes, "BLEIdent").
    #[error("Ident mismatch: the reader is not the one the engagement named")]
    IdentMismatch,
    /// A State value other than 0x01 / 0x02.
    #[error("unexpected State value {0:#04x}")]
    BadState(u8),
}

/// Bytes of message carried per characteristic value: min(512, MTU−3) − 1.
pub fn chunk_payload(mtu: u16) -> Result<usize, BleError> {
    if mtu < MIN_MTU {
        return Err(BleError::MtuTooSmall(mtu));
    }
    Ok((usize::from(mtu) - 3).min(MAX_VALUE) - 1)
}

/// Split a session message into characteristic values.
pub fn fragment(message: &[u8], mtu: u16) -> Result<Vec<Vec<u8>>, BleError> {
    let n = chunk_payload(mtu)?;
    let chunks: Vec<&[u8]> = if message.is_empty() {
        vec![&[][..]]
    } else {
        message.chunks(n).collect()
    };
    let last = chunks.len().saturating_sub(1);
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut v = Vec::with_capacity(c.len() + 1);
            v.push(if i == last { LAST } else { MORE });
            v.extend_from_slice(c);
            v
        })
        .collect())
}

/// Reassembles characteristic values into whole messages, bounded in size.
#[derive(Debug)]
pub struct Reassembler {
    buf: Vec<u8>,
    max_message: usize,
    max_value: usize,
}

impl Reassembler {
    /// A reassembler for values at `mtu`, refusing messages over `max_message` bytes.
    pub fn new(mtu: u16, max_message: usize) -> Result<Self, BleError> {
        Ok(Reassembler {
            buf: Vec::new(),
            max_message,
            max_value: chunk_payload(mtu)? + 1,
        })
    }

    /// Add one value; returns the message when its last chunk arrives.
    pub fn push(&mut self, value: &[u8]) -> Result<Option<Vec<u8>>, BleError> {
        let (&flag, data) = value.split_first().ok_or(BleError::EmptyValue)?;
        if value.len() > self.max_value {
            return Err(BleError::ValueTooLong {
                len: value.len(),
                max: self.max_value,
            });
        }
        if self.buf.len() + data.len() > self.max_message {
            self.buf.clear();
            return Err(BleError::MessageTooLarge {
                max: self.max_message,
            });
        }
        match flag {
            MORE => {
                self.buf.extend_from_slice(data);
                Ok(None)
            }
            LAST => {
                self.buf.extend_from_slice(data);
                Ok(Some(std::mem::take(&mut self.buf)))
            }
            other => {
                // A broken message: drop what was gathered of it.
                self.buf.clear();
                Err(BleError::BadFlag(other))
            }
        }
    }

    /// Whether part of a message is waiting for more chunks.
    pub fn is_mid_message(&self) -> bool {
        !self.buf.is_empty()
    }
}

/// Ident = HKDF-SHA-256(EDeviceKeyBytes, salt = "", info = "BLEIdent", 16 bytes).
pub fn ident(
    crypto: &dyn CryptoProvider,
    e_device_key_bytes: &[u8],
) -> Result<[u8; 16], CryptoError> {
    let mut out = [0u8; 16];
    crypto.hkdf_sha256(e_device_key_bytes, &[], b"BLEIdent", &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_counts_are_minimal() {
        let msg = vec![0xab; 16 * 1024];
        for mtu in [23u16, 185, 517] {
            let chunks = fragment(&msg, mtu).unwrap();
            let per = usize::from(mtu) - 4;
            let per = per.min(MAX_VALUE - 1);
            assert_eq!(chunks.len(), msg.len().div_ceil(per), "mtu {mtu}");
            assert!(chunks
                .iter()
                .all(|c| c.len() <= (usize::from(mtu) - 3).min(MAX_VALUE)));
            assert!(chunks[..chunks.len() - 1].iter().all(|c| c[0] == 0x01));
            assert_eq!(chunks.last().unwrap()[0], 0x00);
            let mut r = Reassembler::new(mtu, 1 << 20).unwrap();
            let mut out = None;
            for c in &chunks {
                out = r.push(c).unwrap();
            }
            assert_eq!(out.unwrap(), msg);
        }
        assert_eq!(fragment(b"x", 22), Err(BleError::MtuTooSmall(22)));
    }

    #[test]
    fn reassembler_rejects_bad_values() {
        let mut r = Reassembler::new(23, 30).unwrap();
        assert_eq!(r.push(&[]), Err(BleError::EmptyValue));
        assert_eq!(r.push(&[0x07, 1]), Err(BleError::BadFlag(0x07)));
        assert!(matches!(
            r.push(&[0x01; 21]),
            Err(BleError::ValueTooLong { .. })
        ));
        r.push(&[0x01; 20]).unwrap();
        assert!(r.is_mid_message());
        assert_eq!(
            r.push(&[0x00; 20]),
            Err(BleError::MessageTooLarge { max: 30 })
        );
    }

    #[test]
    fn annex_d_ident() {
        let key = kakunin_spec_vectors::annex_d::bytes("e_device_key_bytes");
        let id = ident(kakunin_core::crypto::default_provider(), &key).unwrap();
        assert_eq!(
            id.to_vec(),
            kakunin_spec_vectors::annex_d::bytes("derived_ble_ident")
        );
    }
}
