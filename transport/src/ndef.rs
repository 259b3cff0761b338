//! NFC Data Exchange Format messages (NFC Forum NDEF 1.0): the records that carry the
//! Connection Handover and the DeviceEngagement. Parsing is bounded and keeps each record's
//! payload as received.

/// Largest NDEF message accepted (the Type 4 Tag file size limit used by 18013-5 readers).
pub const MAX_MESSAGE: usize = 0xfffe;
/// Most records in one message (and in an embedded handover message).
pub const MAX_RECORDS: usize = 32;

/// Type Name Format.
pub const TNF_WELL_KNOWN: u8 = 0x01;
pub const TNF_MIME: u8 = 0x02;
pub const TNF_EXTERNAL: u8 = 0x04;

/// An NDEF message or record is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdefError {
    #[error("NDEF message ends inside record {record}")]
    Truncated { record: usize },
    #[error("NDEF message of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("NDEF message has more than {MAX_RECORDS} records")]
    TooManyRecords,
    #[error("record {record}: chunked records are not supported")]
    Chunked { record: usize },
    #[error("record {record}: the first record must have MB set and only the last ME")]
    BadFlags { record: usize },
    #[error("NDEF message is empty")]
    Empty,
    #[error("bytes after the record with ME set")]
    Trailing,
}

/// One NDEF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub tnf: u8,
    pub record_type: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
}

impl Record {
    pub fn new(tnf: u8, record_type: &[u8], id: &[u8], payload: &[u8]) -> Self {
        Record {
            tnf,
            record_type: record_type.to_vec(),
            id: id.to_vec(),
            payload: payload.to_vec(),
        }
    }

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
    let mut pos = 0usize;
    let mut out = Vec::new();
    loop {
        let record = out.len();
        if record >= MAX_RECORDS {
            return Err(NdefError::TooManyRecords);
        }
        let t = NdefError::Truncated { record };
        let header = *bytes.get(pos).ok_or(t.clone())?;
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
        pos += 1;
        let type_len = *bytes.get(pos).ok_or(t.clone())? as usize;
        pos += 1;
        let payload_len = if sr {
            let l = *bytes.get(pos).ok_or(t.clone())? as usize;
            pos += 1;
            l
        } else {
            let b = bytes.get(pos..pos + 4).ok_or(t.clone())?;
            pos += 4;
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
        };
        let id_len = if il {
            let l = *bytes.get(pos).ok_or(t.clone())? as usize;
            pos += 1;
            l
        } else {
            0
        };
        let mut take = |n: usize| -> Result<Vec<u8>, NdefError> {
            let end = pos.checked_add(n).ok_or(NdefError::Truncated { record })?;
            let s = bytes.get(pos..end).ok_or(NdefError::Truncated { record })?;
            pos = end;
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
    if pos != bytes.len() {
        return Err(NdefError::Trailing);
    }
    Ok(out)
}

/// Encode a message: MB on the first record, ME on the last, short records where they fit.
pub fn encode_message(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let short = r.payload.len() < 256;
        let mut header = r.tnf & 0x07;
        if i == 0 {
            header |= 0x80;
        }
        if i + 1 == records.len() {
            header |= 0x40;
        }
        if short {
            header |= 0x10;
        }
        if !r.id.is_empty() {
            header |= 0x08;
        }
        out.push(header);
        out.push(r.record_type.len() as u8);
        if short {
            out.push(r.payload.len() as u8);
        } else {
            out.extend_from_slice(&(r.payload.len() as u32).to_be_bytes());
        }
        if !r.id.is_empty() {
            out.push(r.id.len() as u8);
        }
        out.extend_from_slice(&r.record_type);
        out.extend_from_slice(&r.id);
        out.extend_from_slice(&r.payload);
    }
    out
}
