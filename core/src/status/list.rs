//! The Status List itself (draft-ietf-oauth-status-list-20 §4): one status of `bits` bits per
//! Referenced Token, packed least-significant-bit first into bytes, compressed with DEFLATE in
//! the ZLIB wrapper (RFC 1950), and its JSON (§4.2) and CBOR (§4.3) `StatusList` encodings.
//!
//! Inflation accepts any valid zlib header (`78 01`, `78 5e`, `78 9c`, `78 da`, smaller
//! windows), checks the Adler-32 trailer, refuses trailing bytes, and stops at
//! [`MAX_LIST_BYTES`]: a bomb costs at most that much memory and is an error.

use super::{StatusListError, MAX_LIST_BYTES};
use crate::cbor::{Encoder, Item};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use serde_json::Value;

/// The zlib level used when building: the highest, which the draft RECOMMENDS (header `78 da`).
const BUILD_LEVEL: u8 = 9;

/// Bits per status (`bits`, §4.1): only 1, 2, 4 and 8 are legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bits {
    /// 1 bit: VALID/INVALID.
    One,
    /// 2 bits: adds SUSPENDED and 0x03.
    Two,
    /// 4 bits: up to 0x0F.
    Four,
    /// 8 bits: up to 0xFF.
    Eight,
}

impl Bits {
    /// The number of bits.
    pub const fn get(self) -> u8 {
        match self {
            Bits::One => 1,
            Bits::Two => 2,
            Bits::Four => 4,
            Bits::Eight => 8,
        }
    }

    /// The largest value an entry can hold.
    pub const fn max_value(self) -> u8 {
        match self {
            Bits::One => 0x01,
            Bits::Two => 0x03,
            Bits::Four => 0x0F,
            Bits::Eight => 0xFF,
        }
    }

    /// Entries per byte.
    const fn per_byte(self) -> u64 {
        match self {
            Bits::One => 8,
            Bits::Two => 4,
            Bits::Four => 2,
            Bits::Eight => 1,
        }
    }

    /// `bits` from the wire; anything but 1, 2, 4 or 8 is [`StatusListError::InvalidBits`].
    pub fn from_wire(n: i128) -> Result<Bits, StatusListError> {
        match n {
            1 => Ok(Bits::One),
            2 => Ok(Bits::Two),
            4 => Ok(Bits::Four),
            8 => Ok(Bits::Eight),
            other => Err(StatusListError::InvalidBits(other)),
        }
    }
}

/// A Status Type value (§7): the three registered ones, or any other value, which is either
/// application-specific (0x03, 0x0C–0x0F) or reserved. Only [`StatusValue::Valid`] means valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusValue {
    /// 0x00: valid.
    Valid,
    /// 0x01: revoked, annulled, recalled.
    Invalid,
    /// 0x02: temporarily invalid.
    Suspended,
    /// Any other value: application-specific (0x03, 0x0C–0x0F) or reserved.
    Other(u8),
}

impl StatusValue {
    /// The value in the list.
    pub const fn to_u8(self) -> u8 {
        match self {
            StatusValue::Valid => 0x00,
            StatusValue::Invalid => 0x01,
            StatusValue::Suspended => 0x02,
            StatusValue::Other(v) => v,
        }
    }

    /// Whether the draft reserves this value as application-specific (0x03, 0x0C–0x0F).
    pub const fn is_application_specific(self) -> bool {
        matches!(self.to_u8(), 0x03 | 0x0C..=0x0F)
    }

    /// The registered name, or `None` for other values.
    pub const fn name(self) -> Option<&'static str> {
        match self {
            StatusValue::Valid => Some("VALID"),
            StatusValue::Invalid => Some("INVALID"),
            StatusValue::Suspended => Some("SUSPENDED"),
            StatusValue::Other(_) => None,
        }
    }
}

impl From<u8> for StatusValue {
    fn from(v: u8) -> Self {
        match v {
            0x00 => StatusValue::Valid,
            0x01 => StatusValue::Invalid,
            0x02 => StatusValue::Suspended,
            other => StatusValue::Other(other),
        }
    }
}

impl core::fmt::Display for StatusValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None if self.is_application_specific() => {
                write!(f, "0x{:02X} (application-specific)", self.to_u8())
            }
            None => write!(f, "0x{:02X} (reserved)", self.to_u8()),
        }
    }
}

/// A decoded (or to-be-built) status list: `bits` and the uncompressed byte array.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: Bits,
    bytes: Vec<u8>,
    aggregation_uri: Option<String>,
}

impl core::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits.get())
            .field("bytes", &self.bytes.len())
            .field("aggregation_uri", &self.aggregation_uri)
            .finish()
    }
}

impl StatusList {
    /// A list of at least `entries` entries, all VALID. The byte array is rounded up to whole
    /// bytes, so [`StatusList::len`] may exceed `entries` by the padding.
    pub fn new(bits: Bits, entries: u64) -> Result<Self, StatusListError> {
        let too_large = StatusListError::ListTooLarge {
            entries,
            bits: bits.get(),
            max: MAX_LIST_BYTES,
        };
        let bytes = entries.div_ceil(bits.per_byte());
        let bytes = usize::try_from(bytes).map_err(|_| too_large.clone())?;
        if bytes > MAX_LIST_BYTES {
            return Err(too_large);
        }
        Ok(StatusList {
            bits,
            bytes: vec![0; bytes],
            aggregation_uri: None,
        })
    }

    /// A list over an uncompressed byte array.
    pub fn from_bytes(bits: Bits, bytes: Vec<u8>) -> Result<Self, StatusListError> {
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusListError::InflatedTooLarge {
                max: MAX_LIST_BYTES,
            });
        }
        Ok(StatusList {
            bits,
            bytes,
            aggregation_uri: None,
        })
    }

    /// A list from `bits` and the compressed `lst` bytes, inflated under the cap.
    pub fn from_compressed(bits: Bits, lst: &[u8]) -> Result<Self, StatusListError> {
        Ok(StatusList {
            bits,
            bytes: inflate_zlib(lst, MAX_LIST_BYTES)?,
            aggregation_uri: None,
        })
    }

    /// Bits per entry.
    pub fn bits(&self) -> Bits {
        self.bits
    }

    /// The number of entries the byte array holds (padding included).
    pub fn len(&self) -> u64 {
        // A usize byte count always fits in u64 on the platforms Rust supports.
        u64::try_from(self.bytes.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(self.bits.per_byte())
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The `aggregation_uri` of the StatusList, if any (§9).
    pub fn aggregation_uri(&self) -> Option<&str> {
        self.aggregation_uri.as_deref()
    }

    /// Set the `aggregation_uri` written when encoding.
    pub fn set_aggregation_uri(&mut self, uri: Option<String>) {
        self.aggregation_uri = uri;
    }

    fn locate(&self, index: u64) -> Option<(usize, u8)> {
        let per = self.bits.per_byte();
        let byte = usize::try_from(index / per).ok()?;
        if byte >= self.bytes.len() {
            return None;
        }
        // index % per < 8 and bits <= 8, so the shift is below 8.
        let shift = u8::try_from(index % per)
            .ok()?
            .checked_mul(self.bits.get())?;
        Some((byte, shift))
    }

    /// The raw value at `index` (§4.1: byte `index*bits/8`, LSB-first), or `None` beyond the
    /// array (no statement can be made).
    pub fn get(&self, index: u64) -> Option<u8> {
        let (byte, shift) = self.locate(index)?;
        let b = self.bytes.get(byte)?;
        Some((b >> shift) & self.bits.max_value())
    }

    /// The status at `index`.
    pub fn status(&self, index: u64) -> Result<StatusValue, StatusListError> {
        self.get(index)
            .map(StatusValue::from)
            .ok_or(StatusListError::IndexOutOfRange {
                index,
                len: self.len(),
            })
    }

    /// Set the value at `index`; it must fit in `bits`.
    pub fn set(&mut self, index: u64, value: u8) -> Result<(), StatusListError> {
        if value > self.bits.max_value() {
            return Err(StatusListError::ValueTooWide {
                value,
                bits: self.bits.get(),
            });
        }
        let len = self.len();
        let out_of_range = StatusListError::IndexOutOfRange { index, len };
        let (byte, shift) = self.locate(index).ok_or(out_of_range.clone())?;
        let mask = self.bits.max_value() << shift;
        let b = self.bytes.get_mut(byte).ok_or(out_of_range)?;
        *b = (*b & !mask) | (value << shift);
        Ok(())
    }

    /// Every entry whose value is not VALID, in index order.
    pub fn non_valid(&self) -> impl Iterator<Item = (u64, u8)> + '_ {
        let per = self.bits.per_byte();
        let bits = self.bits.get();
        let max = self.bits.max_value();
        self.bytes
            .iter()
            .zip(0u64..)
            .filter(|(b, _)| **b != 0)
            .flat_map(move |(b, i)| {
                (0..per).filter_map(move |k| {
                    let shift = u8::try_from(k).ok()?.checked_mul(bits)?;
                    let v = (b >> shift) & max;
                    (v != 0).then_some((i * per + k, v))
                })
            })
    }

    /// The compressed byte array (`lst`), zlib at the highest level.
    pub fn compress(&self) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(&self.bytes, BUILD_LEVEL)
    }

    /// The JSON `StatusList` (§4.2): `{"bits", "lst" (base64url), "aggregation_uri"?}`.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("bits".into(), Value::from(self.bits.get()));
        m.insert(
            "lst".into(),
            Value::from(crate::base64url::encode(&self.compress())),
        );
        if let Some(u) = &self.aggregation_uri {
            m.insert("aggregation_uri".into(), Value::from(u.as_str()));
        }
        Value::Object(m)
    }

    /// Decode a JSON `StatusList`. Unknown members are ignored.
    pub fn from_json(v: &Value) -> Result<Self, StatusListError> {
        let m = v.as_object().ok_or(StatusListError::Malformed {
            field: "status_list",
            reason: "not a JSON object",
        })?;
        Self::from_json_members(
            m.get("bits"),
            m.get("lst").map(|v| v.as_str().ok_or(())),
            m.get("aggregation_uri"),
        )
    }

    /// The JSON `StatusList` from its members as given: `bits`, `lst` (`Err` when it is not
    /// a string) and `aggregation_uri`; the checks and errors of [`StatusList::from_json`].
    pub(crate) fn from_json_members(
        bits: Option<&Value>,
        lst: Option<Result<&str, ()>>,
        aggregation_uri: Option<&Value>,
    ) -> Result<Self, StatusListError> {
        let bits = match bits {
            None => return Err(StatusListError::MissingClaim("status_list.bits")),
            Some(b) => match (b.as_i64(), b.as_u64()) {
                (Some(n), _) => Bits::from_wire(i128::from(n))?,
                (None, Some(n)) => Bits::from_wire(i128::from(n))?,
                _ => {
                    return Err(StatusListError::Malformed {
                        field: "status_list.bits",
                        reason: "not an integer",
                    })
                }
            },
        };
        let lst = match lst {
            None => return Err(StatusListError::MissingClaim("status_list.lst")),
            Some(Ok(s)) => s,
            Some(Err(())) => {
                return Err(StatusListError::Malformed {
                    field: "status_list.lst",
                    reason: "not a string",
                })
            }
        };
        if lst.is_empty() {
            return Err(StatusListError::EmptyLst);
        }
        // Liberal in what it accepts: a padded `lst` is decoded too.
        let lst = crate::base64url::decode_lenient(lst).ok_or(StatusListError::Malformed {
            field: "status_list.lst",
            reason: "not base64url",
        })?;
        let mut list = StatusList::from_compressed(bits, &lst)?;
        list.aggregation_uri = aggregation_uri_json(aggregation_uri)?;
        Ok(list)
    }

    /// The CBOR `StatusList` (§4.3): a map with the text keys `bits`, `lst` (bstr) and
    /// `aggregation_uri`.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        self.encode_cbor(&mut e);
        e.into_bytes()
    }

    pub(crate) fn encode_cbor(&self, e: &mut Encoder) {
        e.map(if self.aggregation_uri.is_some() { 3 } else { 2 });
        e.text("bits").uint(u64::from(self.bits.get()));
        e.text("lst").bytes(&self.compress());
        if let Some(u) = &self.aggregation_uri {
            e.text("aggregation_uri").text(u);
        }
    }

    /// Decode a CBOR `StatusList` from its encoded bytes.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, StatusListError> {
        let limits = crate::cbor::Limits {
            max_input: super::MAX_TOKEN_LEN,
            ..crate::cbor::Limits::DEFAULT
        };
        let item = crate::cbor::decode_with(bytes, &limits).map_err(StatusListError::Cbor)?;
        Self::from_cbor_item(&item)
    }

    /// Decode a CBOR `StatusList` item. Unknown keys are ignored.
    pub(crate) fn from_cbor_item(item: &Item<'_>) -> Result<Self, StatusListError> {
        if item.as_map().is_none() {
            return Err(StatusListError::Malformed {
                field: "status_list",
                reason: "not a CBOR map",
            });
        }
        let bits = match item.get_text_key("bits") {
            None => return Err(StatusListError::MissingClaim("status_list.bits")),
            Some(b) => match (b.as_uint(), b.as_int()) {
                (Some(n), _) => Bits::from_wire(i128::from(n))?,
                (None, Some(n)) => Bits::from_wire(i128::from(n))?,
                _ => {
                    return Err(StatusListError::Malformed {
                        field: "status_list.bits",
                        reason: "not an integer",
                    })
                }
            },
        };
        let lst = match item.get_text_key("lst") {
            None => return Err(StatusListError::MissingClaim("status_list.lst")),
            Some(l) => l.as_bytes().ok_or(StatusListError::Malformed {
                field: "status_list.lst",
                reason: "not a byte string",
            })?,
        };
        if lst.is_empty() {
            return Err(StatusListError::EmptyLst);
        }
        let mut list = StatusList::from_compressed(bits, lst)?;
        list.aggregation_uri = match item.get_text_key("aggregation_uri") {
            None => None,
            Some(u) => Some(
                u.as_text()
                    .ok_or(StatusListError::Malformed {
                        field: "status_list.aggregation_uri",
                        reason: "not a text string",
                    })?
                    .to_string(),
            ),
        };
        Ok(list)
    }
}

fn aggregation_uri_json(v: Option<&Value>) -> Result<Option<String>, StatusListError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(StatusListError::Malformed {
            field: "status_list.aggregation_uri",
            reason: "not a string",
        }),
    }
}

/// The first output buffer, in multiples of the input: status lists are mostly zero bits and
/// compress about this well or better, so the buffer rarely has to grow.
const FIRST_OUTPUT_PER_INPUT_BYTE: usize = 16;

/// Inflate a zlib (RFC 1950) stream, stopping with an error once the output would exceed
/// `cap` bytes. miniz_oxide inflates straight into the output buffer (its non-wrapping
/// mode: back-references read the output itself, so nothing is inflated twice or copied
/// out of a window). The buffer starts at 16 times the input and doubles while the
/// stream has more, never beyond `cap`: memory is proportional to what was read and
/// inflated, never to what the stream claims.
pub(crate) fn inflate_zlib(input: &[u8], cap: usize) -> Result<Vec<u8>, StatusListError> {
    if input.is_empty() {
        return Err(StatusListError::EmptyLst);
    }
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_COMPUTE_ADLER32
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let first = input
        .len()
        .saturating_mul(FIRST_OUTPUT_PER_INPUT_BYTE)
        .max(4096)
        .min(cap);
    let mut out = vec![0u8; first];
    let mut state = Box::<DecompressorOxide>::default();
    let (mut in_pos, mut out_pos) = (0usize, 0usize);
    loop {
        let rest = input.get(in_pos..).unwrap_or_default();
        let (status, consumed, written) = decompress(&mut state, rest, &mut out, out_pos, flags);
        in_pos = in_pos.saturating_add(consumed);
        out_pos = out_pos.saturating_add(written);
        match status {
            TINFLStatus::Done => {
                if in_pos != input.len() {
                    return Err(StatusListError::NotZlib {
                        reason: "bytes after the end of the stream",
                    });
                }
                out.truncate(out_pos);
                if out.capacity() > out.len().saturating_add(out.len() / 4) {
                    out.shrink_to_fit();
                }
                return Ok(out);
            }
            // The buffer is full and the stream has more: grow, up to the cap.
            TINFLStatus::HasMoreOutput => {
                if out.len() >= cap {
                    return Err(StatusListError::InflatedTooLarge { max: cap });
                }
                let grown = out.len().saturating_mul(2).min(cap);
                out.resize(grown, 0);
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
                return Err(StatusListError::NotZlib {
                    reason: "the stream is truncated",
                })
            }
            TINFLStatus::Adler32Mismatch => {
                return Err(StatusListError::NotZlib {
                    reason: "Adler-32 checksum mismatch",
                })
            }
            _ => {
                return Err(StatusListError::NotZlib {
                    reason: "invalid zlib header or DEFLATE data",
                })
            }
        }
    }
}
