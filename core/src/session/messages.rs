//! SessionEstablishment and SessionData (9.1.1.4), with the status codes of Table 20.

use crate::cbor::Encoder;
use crate::mdoc::MdocError;

/// SessionData status 10: error, session encryption.
pub const STATUS_ENCRYPTION_ERROR: u64 = 10;
/// SessionData status 11: error, CBOR decoding.
pub const STATUS_CBOR_ERROR: u64 = 11;
/// SessionData status 20: session termination.
pub const STATUS_TERMINATION: u64 = 20;

fn missing(path: &str) -> MdocError {
    MdocError::Missing { path: path.into() }
}

fn decode<'a>(bytes: &'a [u8], path: &str) -> Result<crate::cbor::Item<'a>, MdocError> {
    crate::cbor::decode(bytes).map_err(|source| MdocError::Cbor {
        path: path.into(),
        source,
    })
}

fn wrong(path: &str, expected: &'static str, item: &crate::cbor::Item<'_>) -> MdocError {
    MdocError::WrongType {
        path: path.into(),
        expected,
        found: item.type_name(),
    }
}

/// `{"eReaderKey": EReaderKeyBytes, "data": bstr}`: the reader's first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEstablishment {
    /// EReaderKeyBytes exactly as received (tag 24 included).
    pub e_reader_key_bytes: Vec<u8>,
    pub data: Vec<u8>,
}

impl SessionEstablishment {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        const P: &str = "SessionEstablishment";
        let top = decode(bytes, P)?;
        if top.as_map().is_none() {
            return Err(wrong(P, "map", &top));
        }
        let key = top
            .get_text_key("eReaderKey")
            .ok_or_else(|| missing("SessionEstablishment.eReaderKey"))?;
        match key.as_tag() {
            Some((24, inner)) if inner.as_bytes().is_some() => {}
            _ => return Err(wrong("SessionEstablishment.eReaderKey", "tag 24 bstr", key)),
        }
        let data = top
            .get_text_key("data")
            .ok_or_else(|| missing("SessionEstablishment.data"))?;
        let data = data
            .as_bytes()
            .ok_or_else(|| wrong("SessionEstablishment.data", "bstr", data))?;
        Ok(SessionEstablishment {
            e_reader_key_bytes: key.raw().to_vec(),
            data: data.to_vec(),
        })
    }

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
    pub data: Option<Vec<u8>>,
    pub status: Option<u64>,
}

impl SessionData {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        const P: &str = "SessionData";
        let top = decode(bytes, P)?;
        if top.as_map().is_none() {
            return Err(wrong(P, "map", &top));
        }
        let data = match top.get_text_key("data") {
            None => None,
            Some(d) => Some(
                d.as_bytes()
                    .ok_or_else(|| wrong("SessionData.data", "bstr", d))?
                    .to_vec(),
            ),
        };
        let status = match top.get_text_key("status") {
            None => None,
            Some(s) => Some(
                s.as_uint()
                    .ok_or_else(|| wrong("SessionData.status", "uint", s))?,
            ),
        };
        if data.is_none() && status.is_none() {
            return Err(MdocError::Invalid {
                path: P.into(),
                reason: "has neither data nor status",
            });
        }
        Ok(SessionData { data, status })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.data.is_some() as usize + self.status.is_some() as usize;
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
