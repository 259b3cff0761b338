//! SessionEstablishment and SessionData (9.1.1.4), with the status codes of Table 20.

use crate::cbor::Encoder;
use crate::mdoc::fields::{bytes, decode_top, field, map, opt_field, tag24_bytes, uint};
use crate::mdoc::MdocError;

/// SessionData status 10: error, session encryption.
pub const STATUS_ENCRYPTION_ERROR: u64 = 10;
/// SessionData status 11: error, CBOR decoding.
pub const STATUS_CBOR_ERROR: u64 = 11;
/// SessionData status 20: session termination.
pub const STATUS_TERMINATION: u64 = 20;

/// `{"eReaderKey": EReaderKeyBytes, "data": bstr}`: the reader's first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEstablishment {
    /// EReaderKeyBytes exactly as received (tag 24 included): part of the SessionTranscript.
    pub e_reader_key_bytes: Vec<u8>,
    /// The first encrypted message (the DeviceRequest), sealed with SKReader.
    pub data: Vec<u8>,
}

impl SessionEstablishment {
    /// Decode a received SessionEstablishment. EReaderKeyBytes must be a tag-24 item holding
    /// well-formed CBOR (its COSE_Key is read by the caller).
    pub fn from_bytes(input: &[u8]) -> Result<Self, MdocError> {
        const P: &str = "SessionEstablishment";
        let top = decode_top(input, P)?;
        map(&top, P)?;
        let key = field(&top, "eReaderKey", P)?;
        tag24_bytes(key, "SessionEstablishment.eReaderKey")?;
        let data = bytes(field(&top, "data", P)?, "SessionEstablishment.data")?;
        Ok(SessionEstablishment {
            e_reader_key_bytes: key.raw().to_vec(),
            data: data.to_vec(),
        })
    }

    /// Encode for sending (reader side).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_capacity(self.data.len() + self.e_reader_key_bytes.len() + 32);
        e.map(2)
            .text("eReaderKey")
            .raw(&self.e_reader_key_bytes)
            .text("data")
            .bytes(&self.data);
        e.into_bytes()
    }
}

/// `{? "data": bstr, ? "status": uint}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionData {
    /// An encrypted message (DeviceRequest or DeviceResponse), if any.
    pub data: Option<Vec<u8>>,
    /// A status code of Table 20 ([`STATUS_ENCRYPTION_ERROR`], [`STATUS_CBOR_ERROR`],
    /// [`STATUS_TERMINATION`]), if any.
    pub status: Option<u64>,
}

impl SessionData {
    /// Decode a received SessionData; one with neither member is refused.
    pub fn from_bytes(input: &[u8]) -> Result<Self, MdocError> {
        const P: &str = "SessionData";
        let top = decode_top(input, P)?;
        let data = opt_field(&top, "data", P)?
            .map(|d| bytes(d, "SessionData.data").map(<[u8]>::to_vec))
            .transpose()?;
        let status = opt_field(&top, "status", P)?
            .map(|s| uint(s, "SessionData.status"))
            .transpose()?;
        if data.is_none() && status.is_none() {
            return Err(crate::mdoc::fields::invalid(
                P,
                crate::mdoc::InvalidReason::EmptySessionData,
            ));
        }
        Ok(SessionData { data, status })
    }

    /// Encode for sending.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = usize::from(self.data.is_some()) + usize::from(self.status.is_some());
        let mut e = Encoder::new();
        e.map(n);
        if let Some(d) = &self.data {
            e.text("data").bytes(d);
        }
        if let Some(s) = self.status {
            e.text("status").uint(s);
        }
        e.into_bytes()
    }
}
