//! The JPKI-AP command set as pure functions: command builders and status-word parsing
//! (/work/shared/jpki-notes.md §1.1–1.3, from OpenSC's `card-jpki.c`, jpki/myna and
//! jpki-rs; ISO/IEC 7816-4 for SELECT, READ BINARY and VERIFY). Short APDUs only.

/// DF name (AID) of the 公的個人認証 JPKI application (notes §1.1).
pub const JPKI_AID: [u8; 10] = [0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

/// SELECT (ISO 7816-4 §11.1.1).
pub const INS_SELECT: u8 = 0xa4;
/// READ BINARY (§11.2.3).
pub const INS_READ_BINARY: u8 = 0xb0;
/// VERIFY (§11.5.6).
pub const INS_VERIFY: u8 = 0x20;
/// COMPUTE DIGITAL SIGNATURE under the proprietary class `80` (notes §1.3).
pub const INS_COMPUTE_SIGNATURE: u8 = 0x2a;

/// 9000: success.
pub const SW_OK: u16 = 0x9000;
/// 6982: security status not satisfied (the PIN is not verified).
pub const SW_SECURITY_NOT_SATISFIED: u16 = 0x6982;
/// 6983: authentication method blocked (likely answer to VERIFY on a blocked PIN, unverified).
pub const SW_BLOCKED: u16 = 0x6983;
/// 6984: reference data not usable (treated as blocked, notes §1.3).
pub const SW_REFERENCE_DATA_UNUSABLE: u16 = 0x6984;
/// 6A82: file not found.
pub const SW_FILE_NOT_FOUND: u16 = 0x6a82;

/// Largest data field a short APDU carries.
pub const MAX_SHORT_DATA: usize = 255;
/// Largest input COMPUTE DIGITAL SIGNATURE accepts: the card pads to a 2048-bit modulus with
/// PKCS#1 v1.5 type 1, which needs 11 bytes (notes §1.3).
pub const MAX_SIGNATURE_INPUT: usize = 256 - 11;

/// An elementary file of the JPKI-AP (notes §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ef {
    /// `0001` 署名用電子証明書 (needs the signature PIN).
    SignatureCertificate,
    /// `0002` the signature CA certificate.
    SignatureCaCertificate,
    /// `0006` the token name (`JPKIAPICCTOKEN` / `JPKIAPGPSETOKEN`).
    Token,
    /// `000A` 利用者証明用電子証明書 (needs the authentication PIN on a smartphone).
    AuthenticationCertificate,
    /// `000B` the authentication CA certificate.
    AuthenticationCaCertificate,
    /// `0017` the authentication private key.
    AuthenticationKey,
    /// `0018` the authentication PIN (4 digits, 3 tries).
    AuthenticationPin,
    /// `001A` the signature private key.
    SignatureKey,
    /// `001B` the signature PIN (6–16 characters, 5 tries).
    SignaturePin,
}

impl Ef {
    /// The 2-byte file identifier.
    pub const fn fid(self) -> [u8; 2] {
        match self {
            Ef::SignatureCertificate => [0x00, 0x01],
            Ef::SignatureCaCertificate => [0x00, 0x02],
            Ef::Token => [0x00, 0x06],
            Ef::AuthenticationCertificate => [0x00, 0x0a],
            Ef::AuthenticationCaCertificate => [0x00, 0x0b],
            Ef::AuthenticationKey => [0x00, 0x17],
            Ef::AuthenticationPin => [0x00, 0x18],
            Ef::SignatureKey => [0x00, 0x1a],
            Ef::SignaturePin => [0x00, 0x1b],
        }
    }
}

impl core::fmt::Display for Ef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [hi, lo] = self.fid();
        write!(f, "EF {hi:02X}{lo:02X}")
    }
}

/// `00 A4 04 0C 0A D392F000260100000001`: SELECT the JPKI-AP by DF name, no FCI.
pub fn select_jpki_ap() -> Vec<u8> {
    let mut c = vec![0x00, INS_SELECT, 0x04, 0x0c, 0x0a];
    c.extend_from_slice(&JPKI_AID);
    c
}

/// `00 A4 02 0C 02 <fid>`: SELECT an EF of the current DF, no FCI.
pub fn select_ef(ef: Ef) -> Vec<u8> {
    let [hi, lo] = ef.fid();
    vec![0x00, INS_SELECT, 0x02, 0x0c, 0x02, hi, lo]
}

/// `00 B0 <offset> <Le>`: READ BINARY of `len` bytes (1–256; 256 is sent as Le `00`) at
/// `offset` of the current EF. `None` when the offset needs P1 bit 8 (above 0x7FFF, which
/// would mean a short EF identifier) or `len` is out of range.
pub fn read_binary(offset: usize, len: usize) -> Option<Vec<u8>> {
    let offset = u16::try_from(offset).ok().filter(|o| *o <= 0x7fff)?;
    let le = match len {
        256 => 0,
        1..=255 => u8::try_from(len).ok()?,
        _ => return None,
    };
    let [p1, p2] = offset.to_be_bytes();
    Some(vec![0x00, INS_READ_BINARY, p1, p2, le])
}

/// `00 20 00 80 Lc <PIN>`: VERIFY the current PIN EF with the PIN as ASCII. `None` for an
/// empty or over-long PIN (the pin module never makes one).
pub fn verify(pin: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let lc = u8::try_from(pin.len()).ok().filter(|l| *l > 0)?;
    let mut c = zeroize::Zeroizing::new(Vec::with_capacity(5 + pin.len()));
    c.extend_from_slice(&[0x00, INS_VERIFY, 0x00, 0x80, lc]);
    c.extend_from_slice(pin);
    Some(c)
}

/// `00 20 00 80`: VERIFY without data, the retry-counter query (answered `63Cx`).
pub fn pin_status() -> Vec<u8> {
    vec![0x00, INS_VERIFY, 0x00, 0x80]
}

/// `80 2A 00 80 Lc <data> 00`: COMPUTE DIGITAL SIGNATURE with the selected key EF over
/// `data` (a DigestInfo: the card pads it itself). `None` above [`MAX_SIGNATURE_INPUT`] or
/// for empty data.
pub fn compute_signature(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() > MAX_SIGNATURE_INPUT {
        return None;
    }
    let lc = u8::try_from(data.len()).ok().filter(|l| *l > 0)?;
    let mut c = Vec::with_capacity(6 + data.len());
    c.extend_from_slice(&[0x80, INS_COMPUTE_SIGNATURE, 0x00, 0x80, lc]);
    c.extend_from_slice(data);
    c.push(0x00);
    Some(c)
}

/// A response APDU split into its data and SW1 SW2; `None` when shorter than 2 bytes.
pub fn split_response(response: &[u8]) -> Option<(&[u8], u16)> {
    let (data, sw) = response.split_at_checked(response.len().checked_sub(2)?)?;
    match sw {
        [sw1, sw2] => Some((data, u16::from_be_bytes([*sw1, *sw2]))),
        _ => None,
    }
}

/// What a status word says about a PIN, for VERIFY and the counter query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinAnswer {
    /// `9000`.
    Ok,
    /// `63Cx`, x ≥ 1: x tries left.
    TriesLeft(u8),
    /// `63C0`, `6983` or `6984`: no tries left (notes §1.3: all treated as locked).
    Locked,
    /// Any other status word.
    Other(u16),
}

/// Interpret a status word answered to VERIFY.
pub fn pin_answer(sw: u16) -> PinAnswer {
    match sw {
        SW_OK => PinAnswer::Ok,
        0x63c0 | SW_BLOCKED | SW_REFERENCE_DATA_UNUSABLE => PinAnswer::Locked,
        sw if sw & 0xfff0 == 0x63c0 => {
            // The low nibble, 1..=15: fits a u8.
            PinAnswer::TriesLeft(u8::try_from(sw & 0x000f).unwrap_or(0))
        }
        sw => PinAnswer::Other(sw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_byte_exact() {
        assert_eq!(
            select_jpki_ap(),
            [
                0x00, 0xa4, 0x04, 0x0c, 0x0a, 0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
                0x01
            ]
        );
        assert_eq!(
            select_ef(Ef::SignaturePin),
            [0x00, 0xa4, 0x02, 0x0c, 0x02, 0x00, 0x1b]
        );
        assert_eq!(read_binary(0, 7).unwrap(), [0x00, 0xb0, 0x00, 0x00, 0x07]);
        assert_eq!(
            read_binary(0x0107, 256).unwrap(),
            [0x00, 0xb0, 0x01, 0x07, 0x00]
        );
        assert_eq!(read_binary(0x8000, 1), None);
        assert_eq!(read_binary(0, 0), None);
        assert_eq!(read_binary(0, 257), None);
        assert_eq!(
            &*verify(b"1234").unwrap(),
            &[0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4']
        );
        assert_eq!(pin_status(), [0x00, 0x20, 0x00, 0x80]);
        let c = compute_signature(&[0xaa; 51]).unwrap();
        assert_eq!(&c[..5], &[0x80, 0x2a, 0x00, 0x80, 0x33]);
        assert_eq!(c.len(), 5 + 51 + 1);
        assert_eq!(c.last(), Some(&0x00));
        assert_eq!(compute_signature(&[0; 246]), None);
        assert_eq!(compute_signature(&[]), None);
    }

    #[test]
    fn status_words() {
        assert_eq!(split_response(&[1, 0x90, 0x00]), Some((&[1u8][..], 0x9000)));
        assert_eq!(split_response(&[0x90]), None);
        assert_eq!(pin_answer(0x9000), PinAnswer::Ok);
        assert_eq!(pin_answer(0x63c3), PinAnswer::TriesLeft(3));
        assert_eq!(pin_answer(0x63c0), PinAnswer::Locked);
        assert_eq!(pin_answer(0x6983), PinAnswer::Locked);
        assert_eq!(pin_answer(0x6a82), PinAnswer::Other(0x6a82));
    }
}
