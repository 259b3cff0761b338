//! The JPKI-AP client: the host side of the My Number card's JPKI application (and of
//! smartphone JPKI, which answers the same APDUs), over any [`Transceive`]
//! (/work/shared/jpki-notes.md §1.3–1.4).
//!
//! [`JpkiCard`] sends one command per call and never retries on its own: a wrong PIN is
//! reported with the card's retry counter and the caller decides, and VERIFY is not even sent
//! when the counter says no tries are left, so the host can never be the one that locks a
//! card. The card answers the counter query with `63Cx` even after a successful VERIFY
//! (notes §1.3), so which PIN is verified is tracked here and cleared when the AP is
//! re-selected (which is what clears it on the card).
//!
//! [`CardSigner`] is the [`RsaSigner`] of a card whose PIN was verified: SHA-256 → DigestInfo
//! → COMPUTE DIGITAL SIGNATURE (the card pads it itself), the signature's length checked.

use kakunin_core::card::Transceive;
use kakunin_core::crypto::{sha256_digest_info, CryptoProvider, HashAlg, RsaPublicKey, RsaSigner};

use crate::apdu::{self, Ef, PinAnswer};
use crate::error::{JpkiError, KeyKind, Step};
use crate::pin::{Pin, PinKind};

/// Largest certificate read from a card: real ones are 1.1–1.8 kB (notes §1.3).
pub const MAX_CERTIFICATE_LEN: usize = 8 * 1024;
/// Bytes read first to learn a certificate's length from its DER header (as jpki/myna does).
const HEADER_READ: usize = 7;
/// Length of the token EF 0006 (notes §1.2).
const TOKEN_LEN: usize = 32;
/// Largest READ BINARY chunk in a short APDU.
const CHUNK: usize = 256;

/// What holds the JPKI keys, by the token EF 0006 (notes §1.2, §2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Token {
    /// `JPKIAPICCTOKEN…`: a My Number card.
    Card,
    /// `JPKIAPGPSETOKEN`: smartphone JPKI in a GlobalPlatform secure element.
    Smartphone,
    /// Anything else (its bytes, NUL padding removed).
    Unknown(Vec<u8>),
}

impl Token {
    /// Classify the token EF's content.
    pub fn from_ef(content: &[u8]) -> Self {
        let end = content
            .iter()
            .rposition(|b| *b != 0 && *b != b' ')
            .map_or(0, |i| i + 1);
        let name = content.get(..end).unwrap_or_default();
        if name.starts_with(b"JPKIAPICCTOKEN") {
            Token::Card
        } else if name.starts_with(b"JPKIAPGPSETOKEN") {
            Token::Smartphone
        } else {
            Token::Unknown(name.to_vec())
        }
    }
}

/// A card (or phone) with the JPKI-AP, over `T`.
pub struct JpkiCard<T: Transceive> {
    link: T,
    ap_selected: bool,
    verified_signature: bool,
    verified_authentication: bool,
}

impl<T: Transceive> core::fmt::Debug for JpkiCard<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JpkiCard")
            .field("ap_selected", &self.ap_selected)
            .finish_non_exhaustive()
    }
}

impl<T: Transceive> JpkiCard<T> {
    /// A card over `link`; nothing is sent yet.
    pub fn new(link: T) -> Self {
        JpkiCard {
            link,
            ap_selected: false,
            verified_signature: false,
            verified_authentication: false,
        }
    }

    /// The link back.
    pub fn into_inner(self) -> T {
        self.link
    }

    /// Whether `kind` was verified since the AP was last selected (host-side state).
    pub fn is_verified(&self, kind: PinKind) -> bool {
        match kind {
            PinKind::Signature => self.verified_signature,
            PinKind::Authentication => self.verified_authentication,
        }
    }

    /// Send one command; the response's data and status word.
    fn exchange(&mut self, step: Step, command: &[u8]) -> Result<(Vec<u8>, u16), JpkiError> {
        let response = self.link.transceive(command).map_err(|e| JpkiError::Link {
            step,
            reason: e.to_string(),
        })?;
        let (data, sw) =
            apdu::split_response(&response).ok_or(JpkiError::ShortResponse { step })?;
        Ok((data.to_vec(), sw))
    }

    fn require_ap(&self, step: Step) -> Result<(), JpkiError> {
        if self.ap_selected {
            Ok(())
        } else {
            Err(JpkiError::ApNotSelected { step })
        }
    }

    /// A command that must answer 9000 with no data.
    fn expect_ok(&mut self, step: Step, command: &[u8]) -> Result<(), JpkiError> {
        let (data, sw) = self.exchange(step, command)?;
        status(step, sw)?;
        if !data.is_empty() {
            return Err(JpkiError::UnexpectedData {
                step,
                len: data.len(),
            });
        }
        Ok(())
    }

    /// SELECT the JPKI-AP (`00 A4 04 0C 0A D392F000260100000001`). Clears the verified PINs,
    /// as it does on the card.
    pub fn select_jpki_ap(&mut self) -> Result<(), JpkiError> {
        self.ap_selected = false;
        self.verified_signature = false;
        self.verified_authentication = false;
        self.expect_ok(Step::SelectAp, &apdu::select_jpki_ap())?;
        self.ap_selected = true;
        Ok(())
    }

    fn select(&mut self, ef: Ef) -> Result<(), JpkiError> {
        let step = Step::SelectFile(ef);
        self.require_ap(step)?;
        self.expect_ok(step, &apdu::select_ef(ef))
    }

    /// READ BINARY of `len` bytes at `offset`; the data (at most `len` bytes).
    fn read(&mut self, step: Step, offset: usize, len: usize) -> Result<(Vec<u8>, u16), JpkiError> {
        // Offsets stay below MAX_CERTIFICATE_LEN and len within 1..=256: always encodable.
        let command = apdu::read_binary(offset, len)
            .ok_or(JpkiError::UnexpectedData { step, len: offset })?;
        let (data, sw) = self.exchange(step, &command)?;
        if data.len() > len {
            return Err(JpkiError::UnexpectedData {
                step,
                len: data.len(),
            });
        }
        Ok((data, sw))
    }

    /// Which token holds the keys (EF 0006).
    pub fn token(&mut self) -> Result<Token, JpkiError> {
        self.select(Ef::Token)?;
        let (data, sw) = self.read(Step::ReadToken, 0, TOKEN_LEN)?;
        status(Step::ReadToken, sw)?;
        Ok(Token::from_ef(&data))
    }

    /// Read a certificate EF (0001 needs the signature PIN verified; 000A on a smartphone the
    /// authentication PIN): its length from the DER header, then READ BINARY in chunks of at
    /// most 256 bytes, capped at [`MAX_CERTIFICATE_LEN`]. Memory grows only with what the card
    /// actually sent.
    pub fn read_certificate(&mut self, ef: Ef) -> Result<Vec<u8>, JpkiError> {
        let step = Step::ReadCertificate(ef);
        self.select(ef)?;
        let (mut cert, sw) = self.read(step, 0, HEADER_READ)?;
        status(step, sw)?;
        let declared = der_total_len(&cert).ok_or(match cert.first() {
            Some(0x30) | None => JpkiError::TruncatedCertificate {
                ef,
                read: cert.len(),
                declared: 0,
            },
            Some(_) => JpkiError::BadCertificateHeader { ef },
        })?;
        let declared = declared.map_err(|()| JpkiError::BadCertificateHeader { ef })?;
        if declared > MAX_CERTIFICATE_LEN {
            return Err(JpkiError::CertificateTooLarge {
                ef,
                declared,
                max: MAX_CERTIFICATE_LEN,
            });
        }
        cert.truncate(declared);
        while cert.len() < declared {
            let want = (declared - cert.len()).min(CHUNK);
            let (data, sw) = self.read(step, cert.len(), want)?;
            let truncated = JpkiError::TruncatedCertificate {
                ef,
                read: cert.len(),
                declared,
            };
            match sw {
                // 6282 end of file before Le bytes, 6B00 offset beyond the file.
                0x6282 | 0x6b00 => return Err(truncated),
                sw => status(step, sw)?,
            }
            if data.is_empty() {
                return Err(truncated);
            }
            cert.extend_from_slice(&data);
        }
        Ok(cert)
    }

    /// Tries left for `kind` (SELECT the PIN EF, then VERIFY without data: `63Cx`). Locked
    /// answers 0.
    pub fn pin_status(&mut self, kind: PinKind) -> Result<u8, JpkiError> {
        self.select(pin_ef(kind))?;
        let step = Step::PinStatus(kind);
        let (data, sw) = self.exchange(step, &apdu::pin_status())?;
        if !data.is_empty() {
            return Err(JpkiError::UnexpectedData {
                step,
                len: data.len(),
            });
        }
        match apdu::pin_answer(sw) {
            PinAnswer::TriesLeft(n) => Ok(n),
            PinAnswer::Locked => Ok(0),
            _ => Err(JpkiError::UnexpectedStatus { step, sw }),
        }
    }

    /// VERIFY `pin`, once: first the retry counter is read, and a locked PIN is
    /// [`JpkiError::Locked`] without any VERIFY sent; then `Ok(())`,
    /// [`JpkiError::WrongPin`] with the tries left, or [`JpkiError::Locked`].
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), JpkiError> {
        let kind = pin.kind();
        if self.pin_status(kind)? == 0 {
            return Err(JpkiError::Locked { kind });
        }
        let step = Step::VerifyPin(kind);
        let command = apdu::verify(pin.as_bytes()).ok_or(JpkiError::UnexpectedData {
            step,
            len: pin.as_bytes().len(),
        })?;
        let (data, sw) = self.exchange(step, &command)?;
        if !data.is_empty() {
            return Err(JpkiError::UnexpectedData {
                step,
                len: data.len(),
            });
        }
        match apdu::pin_answer(sw) {
            PinAnswer::Ok => {
                match kind {
                    PinKind::Signature => self.verified_signature = true,
                    PinKind::Authentication => self.verified_authentication = true,
                }
                Ok(())
            }
            PinAnswer::TriesLeft(tries_left) => Err(JpkiError::WrongPin { kind, tries_left }),
            PinAnswer::Locked => Err(JpkiError::Locked { kind }),
            PinAnswer::Other(sw) => Err(JpkiError::UnexpectedStatus { step, sw }),
        }
    }

    /// Sign `digest_info` (a DER DigestInfo, at most [`apdu::MAX_SIGNATURE_INPUT`] bytes) with
    /// `key`: SELECT the key EF, then `80 2A 00 80`. The card pads it (PKCS#1 v1.5 type 1).
    /// [`JpkiError::PinNotVerified`] when the card answers 6982.
    pub fn sign(&mut self, key: KeyKind, digest_info: &[u8]) -> Result<Vec<u8>, JpkiError> {
        let step = Step::Sign(key);
        let command = apdu::compute_signature(digest_info).ok_or(JpkiError::SignatureInput {
            len: digest_info.len(),
            max: apdu::MAX_SIGNATURE_INPUT,
        })?;
        self.select(key.ef())?;
        let (data, sw) = self.exchange(step, &command)?;
        status(step, sw)?;
        if data.is_empty() {
            return Err(JpkiError::UnexpectedData { step, len: 0 });
        }
        Ok(data)
    }
}

/// The PIN EF of a PIN.
fn pin_ef(kind: PinKind) -> Ef {
    match kind {
        PinKind::Signature => Ef::SignaturePin,
        PinKind::Authentication => Ef::AuthenticationPin,
    }
}

/// 9000 → Ok; 6982 → PinNotVerified; 6A82 → FileNotFound; anything else unexpected.
fn status(step: Step, sw: u16) -> Result<(), JpkiError> {
    match sw {
        apdu::SW_OK => Ok(()),
        apdu::SW_SECURITY_NOT_SATISFIED => Err(JpkiError::PinNotVerified { step }),
        apdu::SW_FILE_NOT_FOUND => Err(JpkiError::FileNotFound { step }),
        sw => Err(JpkiError::UnexpectedStatus { step, sw }),
    }
}

/// The total length (header + content) a DER SEQUENCE header declares: `None` when `head`
/// is too short to tell, `Some(Err(()))` when it is not a definite-length SEQUENCE header.
fn der_total_len(head: &[u8]) -> Option<Result<usize, ()>> {
    let (tag, rest) = head.split_first()?;
    if *tag != 0x30 {
        return Some(Err(()));
    }
    let (first, rest) = rest.split_first()?;
    if *first < 0x80 {
        return Some(Ok(2 + usize::from(*first)));
    }
    let n = usize::from(*first & 0x7f);
    // 0x80 is indefinite (not DER); more than 3 length bytes is far past the cap anyway.
    if n == 0 || n > 3 {
        return Some(Err(()));
    }
    let bytes = rest.get(..n)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(Ok(2 + n + len))
}

/// The [`RsaSigner`] of a card key whose PIN was verified: SHA-256 through `crypto`, the
/// DigestInfo, COMPUTE DIGITAL SIGNATURE, and a check that the signature is as long as the
/// key's modulus.
pub struct CardSigner<'c, T: Transceive> {
    card: &'c mut JpkiCard<T>,
    key: KeyKind,
    public_key: RsaPublicKey,
    crypto: &'c dyn CryptoProvider,
}

impl<'c, T: Transceive> CardSigner<'c, T> {
    /// A signer over `card`'s `key`, whose public key (from its certificate) is `public_key`.
    pub fn new(
        card: &'c mut JpkiCard<T>,
        key: KeyKind,
        public_key: RsaPublicKey,
        crypto: &'c dyn CryptoProvider,
    ) -> Self {
        CardSigner {
            card,
            key,
            public_key,
            crypto,
        }
    }
}

impl<T: Transceive> RsaSigner for CardSigner<'_, T> {
    type Error = JpkiError;

    fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    fn sign_pkcs1v15(&mut self, msg: &[u8]) -> Result<Vec<u8>, JpkiError> {
        let digest = self.crypto.hash(HashAlg::Sha256, msg);
        let mut d = [0u8; 32];
        // SHA-256 yields 32 bytes; zip keeps this total without indexing.
        for (o, b) in d.iter_mut().zip(digest) {
            *o = b;
        }
        let signature = self.card.sign(self.key, &sha256_digest_info(&d))?;
        let expected = self.public_key.signature_len();
        if signature.len() != expected {
            return Err(JpkiError::SignatureLength {
                len: signature.len(),
                expected,
            });
        }
        Ok(signature)
    }
}
