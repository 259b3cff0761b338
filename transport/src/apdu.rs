//! ISO/IEC 7816-4 APDUs: command APDUs in short and extended form, response APDUs, and the
//! BER-TLV data object `53` that wraps 18013-5 messages in ENVELOPE commands.

/// An APDU is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    #[error("command APDU shorter than its header")]
    TooShort,
    #[error("command APDU length fields do not match its size")]
    BadLength,
    #[error("response APDU has no status word")]
    NoStatusWord,
    #[error("data object 53 is malformed")]
    BadDataObject,
    #[error("data of {0} bytes does not fit an APDU")]
    TooLong(usize),
}

/// A command APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Expected response length: `Some(0)` means the maximum (256 short / 65536 extended).
    pub le: Option<usize>,
}

impl Command {
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
    pub fn encode(&self, extended: bool) -> Result<Vec<u8>, ApduError> {
        let le = self.le;
        let ext = extended || self.data.len() > 255 || le.is_some_and(|l| l > 256);
        if self.data.len() > 65535 || le.is_some_and(|l| l > 65536) {
            return Err(ApduError::TooLong(self.data.len()));
        }
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if ext {
            if !self.data.is_empty() {
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(l) = le {
                if self.data.is_empty() {
                    out.push(0);
                }
                out.extend_from_slice(&((l % 65536) as u16).to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(l) = le {
                out.push((l % 256) as u8);
            }
        }
        Ok(out)
    }

    /// Parse any of the ISO 7816-4 cases, short or extended.
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        if b.len() < 4 {
            return Err(ApduError::TooShort);
        }
        let (cla, ins, p1, p2) = (b[0], b[1], b[2], b[3]);
        let body = &b[4..];
        let (data, le): (&[u8], Option<usize>) = match body {
            [] => (&[], None),
            [le] => (&[], Some(if *le == 0 { 256 } else { usize::from(*le) })),
            [0, hi, lo] => (
                &[],
                Some(match u16::from_be_bytes([*hi, *lo]) {
                    0 => 65536,
                    n => usize::from(n),
                }),
            ),
            [0, hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if lc == 0 {
                    return Err(ApduError::BadLength);
                }
                match rest.len() {
                    n if n == lc => (rest, None),
                    n if n == lc + 2 => {
                        let l = u16::from_be_bytes([rest[lc], rest[lc + 1]]);
                        (
                            &rest[..lc],
                            Some(if l == 0 { 65536 } else { usize::from(l) }),
                        )
                    }
                    _ => return Err(ApduError::BadLength),
                }
            }
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                match rest.len() {
                    n if n == lc => (rest, None),
                    n if n == lc + 1 => (
                        &rest[..lc],
                        Some(if rest[lc] == 0 {
                            256
                        } else {
                            usize::from(rest[lc])
                        }),
                    ),
                    _ => return Err(ApduError::BadLength),
                }
            }
        };
        Ok(Command {
            cla,
            ins,
            p1,
            p2,
            data: data.to_vec(),
            le,
        })
    }
}

/// A response APDU: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    pub fn ok(data: Vec<u8>) -> Self {
        Response { data, sw: SW_OK }
    }

    pub fn status(sw: u16) -> Self {
        Response {
            data: Vec::new(),
            sw,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_be_bytes());
        out
    }

    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        if b.len() < 2 {
            return Err(ApduError::NoStatusWord);
        }
        let (data, sw) = b.split_at(b.len() - 2);
        Ok(Response {
            data: data.to_vec(),
            sw: u16::from_be_bytes([sw[0], sw[1]]),
        })
    }
}

pub const SW_OK: u16 = 0x9000;
pub const SW_FILE_NOT_FOUND: u16 = 0x6a82;
pub const SW_INS_NOT_SUPPORTED: u16 = 0x6d00;
pub const SW_CLA_NOT_SUPPORTED: u16 = 0x6e00;
pub const SW_WRONG_P1P2: u16 = 0x6b00;
pub const SW_WRONG_LENGTH: u16 = 0x6700;
pub const SW_CONDITIONS: u16 = 0x6985;
pub const SW_NO_DIAGNOSIS: u16 = 0x6f00;

/// Wrap a message in BER-TLV data object `53`.
pub fn wrap_do53(msg: &[u8]) -> Vec<u8> {
    let mut out = vec![0x53];
    match msg.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
        n if n < 0x10000 => {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x83);
            out.extend_from_slice(&(n as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(msg);
    out
}

/// Unwrap data object `53`; the object must fill `b` exactly.
pub fn unwrap_do53(b: &[u8]) -> Result<&[u8], ApduError> {
    let (&tag, rest) = b.split_first().ok_or(ApduError::BadDataObject)?;
    if tag != 0x53 {
        return Err(ApduError::BadDataObject);
    }
    let (&first, rest) = rest.split_first().ok_or(ApduError::BadDataObject)?;
    let (len, rest) = match first {
        n if n < 0x80 => (usize::from(n), rest),
        0x81..=0x83 => {
            let k = usize::from(first - 0x80);
            let lb = rest.get(..k).ok_or(ApduError::BadDataObject)?;
            (
                lb.iter().fold(0usize, |a, x| (a << 8) | usize::from(*x)),
                &rest[k..],
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
            let w = wrap_do53(&m);
            assert_eq!(unwrap_do53(&w).unwrap(), m.as_slice());
        }
        assert_eq!(unwrap_do53(&[0x53, 0x05, 1]), Err(ApduError::BadDataObject));
        assert_eq!(unwrap_do53(&[0x54, 0x00]), Err(ApduError::BadDataObject));
    }
}
