//! NFC Data Exchange Format messages (NFC Forum NDEF 1.0): the records that carry the
//! Connection Handover and the DeviceEngagement. Parsing is bounded and keeps each record's
//! payload as received.

/// Largest NDEF message accepted (the Type 4 Tag file size limit used by 18013-5 readers).
pub const MAX_MESSAGE: usize = 0xfffe;
/// Most records in one message (and in an embedded handover message).
pub const MAX_RECORDS: usize = 32;

/// Type Name Format 1: NFC Forum well-known type (`Hs`, `Hr`, `ac`, `Tp`, …).
pub const TNF_WELL_KNOWN: u8 = 0x01;
/// Type Name Format 2: media type (RFC 2046), e.g. the BLE OOB record.
pub const TNF_MIME: u8 = 0x02;
/// Type Name Format 4: NFC Forum external type, e.g. `iso.org:18013:deviceengagement`.
pub const TNF_EXTERNAL: u8 = 0x04;

/// An NDEF message or record is malformed, or a record does not fit the NDEF length fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NdefError {
    /// The message ends inside a record's header or fields.
    #[error("NDEF message ends inside record {record}")]
    Truncated {
        /// Index of the record, from 0.
        record: usize,
    },
    /// The message is longer than [`MAX_MESSAGE`] (parsing or encoding).
    #[error("NDEF message of {0} bytes is over the limit")]
    TooLarge(usize),
    /// More than [`MAX_RECORDS`] records.
    #[error("NDEF message has more than {MAX_RECORDS} records")]
    TooManyRecords,
    /// A chunked record (CF set): 18013-5 engagement never needs them.
    #[error("record {record}: chunked records are not supported")]
    Chunked {
        /// Index of the record, from 0.
        record: usize,
    },
    /// MB set on a record other than the first, or missing on the first.
    #[error("record {record}: the first record must have MB set and only the last ME")]
    BadFlags {
        /// Index of the record, from 0.
        record: usize,
    },
    /// No bytes, or no records to encode.
    #[error("NDEF message is empty")]
    Empty,
    /// Bytes follow the record with ME set.
    #[error("bytes after the record with ME set")]
    Trailing,
    /// A record type longer than the 255 bytes its one-byte length can state.
    #[error("record {record}: type of {len} bytes is over 255")]
    TypeTooLong {
        /// Index of the record, from 0.
        record: usize,
        /// The type's length.
        len: usize,
    },
    /// A record id longer than the 255 bytes its one-byte length can state.
    #[error("record {record}: id of {len} bytes is over 255")]
    IdTooLong {
        /// Index of the record, from 0.
        record: usize,
        /// The id's length.
        len: usize,
    },
}

/// One NDEF record (NDEF 1.0 clause 3.2), chunking aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Type Name Format (three bits).
    pub tnf: u8,
    /// The record type, interpreted according to `tnf`.
    pub record_type: Vec<u8>,
    /// The record id (empty when absent); handover carrier references point at it.
    pub id: Vec<u8>,
    /// The payload, as received.
    pub payload: Vec<u8>,
}

impl Record {
    /// A record from its parts.
    pub fn new(tnf: u8, record_type: &[u8], id: &[u8], payload: &[u8]) -> Self {
        Record {
            tnf,
            record_type: record_type.to_vec(),
            id: id.to_vec(),
            payload: payload.to_vec(),
        }
    }

    /// Whether the record has this TNF and type.
    pub fn is(&self, tnf: u8, record_type: &[u8]) -> bool {
        self.tnf == tnf && self.record_type == record_type
    }
}

/// Parse a whole NDEF message.
pub fn parse_message(bytes: &[u8]) -> Result<Vec<Record>, NdefError> {
    if bytes.len() > MAX_MESSAGE {
        return Err(NdefError::TooLarge(bytes.len()));
    }
    if bytes.is_empty() {
        return Err(NdefError::Empty);
    }
    let mut rest = bytes;
    let mut out = Vec::new();
    loop {
        let record = out.len();
        if record >= MAX_RECORDS {
            return Err(NdefError::TooManyRecords);
        }
        let t = NdefError::Truncated { record };
        let byte = |rest: &mut &[u8]| -> Result<u8, NdefError> {
            let (&b, tail) = rest.split_first().ok_or(t.clone())?;
            *rest = tail;
            Ok(b)
        };
        let header = byte(&mut rest)?;
        let (mb, me, cf, sr, il) = (
            header & 0x80 != 0,
            header & 0x40 != 0,
            header & 0x20 != 0,
            header & 0x10 != 0,
            header & 0x08 != 0,
        );
        if cf {
            return Err(NdefError::Chunked { record });
        }
        if mb != (record == 0) {
            return Err(NdefError::BadFlags { record });
        }
        let type_len = usize::from(byte(&mut rest)?);
        let payload_len = if sr {
            usize::from(byte(&mut rest)?)
        } else {
            let (b, tail) = rest.split_first_chunk::<4>().ok_or(t.clone())?;
            rest = tail;
            // Over usize (16-bit targets) cannot be in the message: report it truncated.
            usize::try_from(u32::from_be_bytes(*b)).map_err(|_| t.clone())?
        };
        let id_len = if il { usize::from(byte(&mut rest)?) } else { 0 };
        let mut take = |n: usize| -> Result<Vec<u8>, NdefError> {
            let (s, tail) = rest.split_at_checked(n).ok_or(t.clone())?;
            rest = tail;
            Ok(s.to_vec())
        };
        let record_type = take(type_len)?;
        let id = take(id_len)?;
        let payload = take(payload_len)?;
        out.push(Record {
            tnf: header & 0x07,
            record_type,
            id,
            payload,
        });
        if me {
            break;
        }
    }
    if !rest.is_empty() {
        return Err(NdefError::Trailing);
    }
    Ok(out)
}

/// Encode a message: MB on the first record, ME on the last, short records where they fit.
/// A type or id over 255 bytes, or a message over [`MAX_MESSAGE`], is an error.
pub fn encode_message(records: &[Record]) -> Result<Vec<u8>, NdefError> {
    if records.is_empty() {
        return Err(NdefError::Empty);
    }
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let type_len = u8::try_from(r.record_type.len()).map_err(|_| NdefError::TypeTooLong {
            record: i,
            len: r.record_type.len(),
        })?;
        let id_len = u8::try_from(r.id.len()).map_err(|_| NdefError::IdTooLong {
            record: i,
            len: r.id.len(),
        })?;
        let short = u8::try_from(r.payload.len()).ok();
        let mut header = r.tnf & 0x07;
        if i == 0 {
            header |= 0x80;
        }
        if i + 1 == records.len() {
            header |= 0x40;
        }
        if short.is_some() {
            header |= 0x10;
        }
        if id_len != 0 {
            header |= 0x08;
        }
        out.push(header);
        out.push(type_len);
        match short {
            Some(n) => out.push(n),
            None => {
                let n = u32::try_from(r.payload.len())
                    .map_err(|_| NdefError::TooLarge(r.payload.len()))?;
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        if id_len != 0 {
            out.push(id_len);
        }
        out.extend_from_slice(&r.record_type);
        out.extend_from_slice(&r.id);
        out.extend_from_slice(&r.payload);
        if out.len() > MAX_MESSAGE {
            return Err(NdefError::TooLarge(out.len()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_length_limits() {
        let records = [
            Record::new(TNF_WELL_KNOWN, b"Te", &[], &[0]),
            Record::new(TNF_MIME, b"x/y", b"id", &[7; 300]),
        ];
        let m = encode_message(&records).unwrap();
        assert_eq!(parse_message(&m).unwrap(), records);
        assert_eq!(encode_message(&[]), Err(NdefError::Empty));
        let long_type = Record::new(TNF_MIME, &[b'a'; 256], &[], &[]);
        assert_eq!(
            encode_message(&[records[0].clone(), long_type]),
            Err(NdefError::TypeTooLong {
                record: 1,
                len: 256
            })
        );
        let long_id = Record::new(TNF_MIME, b"a", &[1; 256], &[]);
        assert_eq!(
            encode_message(&[long_id]),
            Err(NdefError::IdTooLong {
                record: 0,
                len: 256
            })
        );
        let huge = Record::new(TNF_MIME, b"a", &[], &vec![0; MAX_MESSAGE]);
        assert!(matches!(
            encode_message(&[huge]),
            Err(NdefError::TooLarge(_))
        ));
        assert_eq!(
            parse_message(&m[..m.len() - 1]),
            Err(NdefError::Truncated { record: 1 })
        );
        let mut trailing = m.clone();
        trailing.push(0);
        assert_eq!(parse_message(&trailing), Err(NdefError::Trailing));
    }
}
