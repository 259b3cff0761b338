//! ISO/IEC 7816-4 APDUs: command APDUs in short and extended form, response APDUs, and the
//! BER-TLV data object `53` that wraps 18013-5 messages in ENVELOPE commands.

/// An APDU is malformed, or a value does not fit the APDU field that must carry it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// A command APDU needs at least CLA INS P1 P2 (ISO 7816-4 clause 5.1).
    #[error("command APDU shorter than its header")]
    TooShort,
    /// The Lc / Le fields do not describe the bytes that follow the header.
    #[error("command APDU length fields do not match its size")]
    BadLength,
    /// A response APDU needs at least SW1 SW2.
    #[error("response APDU has no status word")]
    NoStatusWord,
    /// BER-TLV data object `53` has the wrong tag, a bad length or trailing bytes.
    #[error("data object 53 is malformed")]
    BadDataObject,
    /// Command data longer than the 65 535 bytes an extended Lc can state.
    #[error("data of {len} bytes does not fit an APDU")]
    DataTooLong {
        /// The data length asked for.
        len: usize,
    },
    /// An expected response length over 65 536 (the extended-Le maximum).
    #[error("Le of {le} does not fit an APDU")]
    LeTooLarge {
        /// The Le asked for.
        le: usize,
    },
    /// A message longer than the 2^24 − 1 bytes a three-byte BER length can state.
    #[error("message of {len} bytes does not fit data object 53")]
    DataObjectTooLong {
        /// The message length.
        len: usize,
    },
}

/// A command APDU (ISO 7816-4 clause 5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte; bit 5 (0x10) marks command chaining.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// First parameter byte.
    pub p1: u8,
    /// Second parameter byte.
    pub p2: u8,
    /// Command data (its length is Lc).
    pub data: Vec<u8>,
    /// Expected response length: 256 (short) or 65 536 (extended) is the maximum, encoded
    /// as zero; `Some(0)` is encoded as zero too and so read back as the maximum.
    pub le: Option<usize>,
}

/// The short-form Le byte for `le` (≤ 256; 256 is sent as 0).
fn short_le(le: usize) -> Result<u8, ApduError> {
    match le {
        256 => Ok(0),
        n => u8::try_from(n).map_err(|_| ApduError::LeTooLarge { le }),
    }
}

/// The extended-form Le bytes for `le` (≤ 65 536; 65 536 is sent as 0000).
fn extended_le(le: usize) -> Result<[u8; 2], ApduError> {
    match le {
        65536 => Ok([0, 0]),
        n => u16::try_from(n)
            .map(u16::to_be_bytes)
            .map_err(|_| ApduError::LeTooLarge { le }),
    }
}

/// Le as read from its field: zero means the maximum of the form.
fn read_le(value: usize, max: usize) -> usize {
    if value == 0 {
        max
    } else {
        value
    }
}

impl Command {
    /// A command with the given header, data and Le.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<usize>) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: data.to_vec(),
            le,
        }
    }

    /// Encode, using the extended form only when the data or Le need it (or `extended`).
    /// Data over 65 535 bytes or an Le over 65 536 is an error, never a truncated field.
    pub fn encode(&self, extended: bool) -> Result<Vec<u8>, ApduError> {
        let len = self.data.len();
        let ext = extended || len > 255 || self.le.is_some_and(|l| l > 256);
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if ext {
            if !self.data.is_empty() {
                let lc = u16::try_from(len).map_err(|_| ApduError::DataTooLong { len })?;
                out.push(0);
                out.extend_from_slice(&lc.to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(l) = self.le {
                let le = extended_le(l)?;
                if self.data.is_empty() {
                    out.push(0);
                }
                out.extend_from_slice(&le);
            }
        } else {
            if !self.data.is_empty() {
                // `ext` is false, so `len` ≤ 255.
                let lc = u8::try_from(len).map_err(|_| ApduError::DataTooLong { len })?;
                out.push(lc);
                out.extend_from_slice(&self.data);
            }
            if let Some(l) = self.le {
                out.push(short_le(l)?);
            }
        }
        Ok(out)
    }

    /// Parse any of the ISO 7816-4 cases (1, 2, 3, 4), short or extended.
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        let [cla, ins, p1, p2, body @ ..] = b else {
            return Err(ApduError::TooShort);
        };
        let (data, le): (&[u8], Option<usize>) = match body {
            // Case 1.
            [] => (&[], None),
            // Case 2 short.
            [le] => (&[], Some(read_le(usize::from(*le), 256))),
            // Case 2 extended.
            [0, hi, lo] => (
                &[],
                Some(read_le(usize::from(u16::from_be_bytes([*hi, *lo])), 65536)),
            ),
            // Cases 3 and 4 extended.
            [0, hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if lc == 0 {
                    return Err(ApduError::BadLength);
                }
                match rest.split_at_checked(lc) {
                    Some((data, [])) => (data, None),
                    Some((data, [hi, lo])) => (
                        data,
                        Some(read_le(usize::from(u16::from_be_bytes([*hi, *lo])), 65536)),
                    ),
                    _ => return Err(ApduError::BadLength),
                }
            }
            // Cases 3 and 4 short (Lc 1..=255).
            [lc, rest @ ..] => match rest.split_at_checked(usize::from(*lc)) {
                Some((data, [])) if *lc != 0 => (data, None),
                Some((data, [le])) if *lc != 0 => (data, Some(read_le(usize::from(*le), 256))),
                _ => return Err(ApduError::BadLength),
            },
        };
        Ok(Command {
            cla: *cla,
            ins: *ins,
            p1: *p1,
            p2: *p2,
            data: data.to_vec(),
            le,
        })
    }
}

/// A response APDU: data and status word (ISO 7816-4 clause 5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// SW1 SW2 as one big-endian word.
    pub sw: u16,
}

impl Response {
    /// Data with status 9000.
    pub fn ok(data: Vec<u8>) -> Self {
        Response { data, sw: SW_OK }
    }

    /// A status word alone.
    pub fn status(sw: u16) -> Self {
        Response {
            data: Vec::new(),
            sw,
        }
    }

    /// The response bytes: data, then SW1 SW2.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_be_bytes());
        out
    }

    /// Split a response into data and status word.
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        let (data, sw) = b.split_last_chunk::<2>().ok_or(ApduError::NoStatusWord)?;
        Ok(Response {
            data: data.to_vec(),
            sw: u16::from_be_bytes(*sw),
        })
    }
}

/// Normal processing.
pub const SW_OK: u16 = 0x9000;
/// Function not supported (here: READ / UPDATE BINARY by short EF identifier).
pub const SW_FUNCTION_NOT_SUPPORTED: u16 = 0x6a81;
/// File or application not found.
pub const SW_FILE_NOT_FOUND: u16 = 0x6a82;
/// Instruction code not supported.
pub const SW_INS_NOT_SUPPORTED: u16 = 0x6d00;
/// Class not supported.
pub const SW_CLA_NOT_SUPPORTED: u16 = 0x6e00;
/// Wrong parameters P1-P2 (e.g. an offset beyond the end of the file).
pub const SW_WRONG_P1P2: u16 = 0x6b00;
/// Wrong length (Lc or Le, or a write beyond the file's maximum size).
pub const SW_WRONG_LENGTH: u16 = 0x6700;
/// Conditions of use not satisfied (e.g. no file selected).
pub const SW_CONDITIONS: u16 = 0x6985;
/// No precise diagnosis.
pub const SW_NO_DIAGNOSIS: u16 = 0x6f00;

/// Wrap a message in BER-TLV data object `53` (18013-5 clause 8.3.3.1.2), with the shortest
/// length form; a message over 2^24 − 1 bytes is an error.
pub fn wrap_do53(msg: &[u8]) -> Result<Vec<u8>, ApduError> {
    let len = msg.len();
    let mut out = vec![0x53];
    if let Ok(n) = u8::try_from(len) {
        if n < 0x80 {
            out.push(n);
        } else {
            out.extend_from_slice(&[0x81, n]);
        }
    } else if let Ok(n) = u16::try_from(len) {
        out.push(0x82);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        let [top, a, b, c] = u32::try_from(len)
            .map_err(|_| ApduError::DataObjectTooLong { len })?
            .to_be_bytes();
        if top != 0 {
            return Err(ApduError::DataObjectTooLong { len });
        }
        out.extend_from_slice(&[0x83, a, b, c]);
    }
    out.extend_from_slice(msg);
    Ok(out)
}

/// Unwrap data object `53`; the object must fill `b` exactly. Non-shortest length forms
/// (`81 05`) are accepted.
pub fn unwrap_do53(b: &[u8]) -> Result<&[u8], ApduError> {
    let (&tag, rest) = b.split_first().ok_or(ApduError::BadDataObject)?;
    if tag != 0x53 {
        return Err(ApduError::BadDataObject);
    }
    let (&first, rest) = rest.split_first().ok_or(ApduError::BadDataObject)?;
    let (len, rest) = match first {
        n if n < 0x80 => (usize::from(n), rest),
        0x81..=0x83 => {
            let (lb, rest) = rest
                .split_at_checked(usize::from(first - 0x80))
                .ok_or(ApduError::BadDataObject)?;
            (
                lb.iter().fold(0usize, |a, x| (a << 8) | usize::from(*x)),
                rest,
            )
        }
        _ => return Err(ApduError::BadDataObject),
    };
    if rest.len() != len {
        return Err(ApduError::BadDataObject);
    }
    Ok(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_round_trips() {
        for (data, le, ext) in [
            (vec![], None, false),
            (vec![], Some(256), false),
            (vec![1, 2, 3], None, false),
            (vec![1; 255], Some(256), false),
            (vec![1; 300], Some(65536), true),
            (vec![], Some(65536), true),
            (vec![7; 4], Some(1000), true),
        ] {
            let c = Command::new(0x00, 0xc3, 0, 0, &data, le);
            let enc = c.encode(ext).unwrap();
            assert_eq!(Command::parse(&enc).unwrap(), c, "{enc:02x?}");
        }
        assert_eq!(Command::parse(&[0, 0xa4, 4]), Err(ApduError::TooShort));
        assert_eq!(
            Command::parse(&[0, 0xa4, 4, 0, 5, 1, 2]),
            Err(ApduError::BadLength)
        );
    }

    #[test]
    fn do53_forms() {
        for n in [0usize, 5, 127, 128, 255, 256, 65535, 65536, 100_000] {
            let m = vec![0xaa; n];
            let w = wrap_do53(&m).unwrap();
            assert_eq!(unwrap_do53(&w).unwrap(), m.as_slice());
        }
        assert_eq!(unwrap_do53(&[0x53, 0x05, 1]), Err(ApduError::BadDataObject));
        assert_eq!(unwrap_do53(&[0x54, 0x00]), Err(ApduError::BadDataObject));
        // Non-shortest length accepted.
        assert_eq!(unwrap_do53(&[0x53, 0x81, 0x01, 7]).unwrap(), &[7]);
        let len = 1 << 24;
        assert_eq!(
            wrap_do53(&vec![0; len]),
            Err(ApduError::DataObjectTooLong { len })
        );
        assert_eq!(
            wrap_do53(&vec![0; len - 1]).unwrap()[..5],
            [0x53, 0x83, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn lengths_that_do_not_fit_are_errors() {
        let big = Command::new(0, 0xc3, 0, 0, &vec![0; 65536], None);
        assert_eq!(big.encode(true), Err(ApduError::DataTooLong { len: 65536 }));
        let ok = Command::new(0, 0xc3, 0, 0, &vec![0; 65535], Some(65536));
        let enc = ok.encode(false).unwrap();
        assert_eq!(enc[4..7], [0, 0xff, 0xff]);
        assert_eq!(enc[enc.len() - 2..], [0, 0]);
        let le = Command::new(0, 0xb0, 0, 0, &[], Some(65537));
        assert_eq!(le.encode(true), Err(ApduError::LeTooLarge { le: 65537 }));
        // Short Lc 0 is not an ISO form.
        assert_eq!(
            Command::parse(&[0, 0xb0, 0, 0, 0, 1]),
            Err(ApduError::BadLength)
        );
        assert_eq!(Response::parse(&[0x90]), Err(ApduError::NoStatusWord));
        assert_eq!(
            Response::parse(&[1, 0x61, 0x05]).unwrap(),
            Response {
                data: vec![1],
                sw: 0x6105
            }
        );
    }
}
