#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The JPKI-AP client against a scripted card: every APDU sent is asserted byte for byte
//! (/work/shared/jpki-notes.md §1.3), with canned answers.

use kakunin_core::card::Transceive;
use kakunin_core::crypto::{default_provider, RsaPublicKey, RsaSigner, SHA256_DIGEST_INFO_PREFIX};
use kakunin_jpki::apdu::Ef;
use kakunin_jpki::client::CardSigner;
use kakunin_jpki::{
    AuthenticationPin, JpkiCard, JpkiError, KeyKind, Pin, PinKind, SignaturePin, Step, Token,
};

/// Expected command → canned response, in order.
struct Script {
    steps: Vec<(Vec<u8>, Vec<u8>)>,
    at: usize,
}

impl Script {
    fn new(steps: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        Script { steps, at: 0 }
    }
    fn done(&self) {
        assert_eq!(
            self.at,
            self.steps.len(),
            "not every scripted APDU was sent"
        );
    }
}

impl Transceive for Script {
    type Error = String;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        let Some((expected, response)) = self.steps.get(self.at) else {
            panic!("unexpected extra APDU {}", hex(command));
        };
        assert_eq!(hex(command), hex(expected), "APDU {}", self.at);
        self.at += 1;
        Ok(response.clone())
    }
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn h(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ok(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.extend_from_slice(&[0x90, 0x00]);
    v
}

const SELECT_AP: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
const SIGN_CERT: &[u8] = include_bytes!("data/sign.der");

fn card(mut steps: Vec<(Vec<u8>, Vec<u8>)>) -> JpkiCard<Script> {
    steps.insert(0, (h(SELECT_AP), h("90 00")));
    let mut c = JpkiCard::new(Script::new(steps));
    c.select_jpki_ap().unwrap();
    c
}

/// The READ BINARY sequence for a certificate of `cert.len()` bytes: 7 bytes, then ≤ 256.
fn read_steps(fid: &str, cert: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut steps = vec![
        (h(&format!("00 A4 02 0C 02 {fid}")), h("90 00")),
        (h("00 B0 00 00 07"), ok(&cert[..7])),
    ];
    let mut at = 7;
    while at < cert.len() {
        let n = (cert.len() - at).min(256);
        let le = if n == 256 { 0 } else { n };
        steps.push((
            {
                let [hi, lo] = u16::try_from(at).unwrap().to_be_bytes();
                vec![0x00, 0xb0, hi, lo, u8::try_from(le).unwrap()]
            },
            ok(&cert[at..at + n]),
        ));
        at += n;
    }
    steps
}

#[test]
fn reads_a_certificate_in_chunks() {
    let mut c = card(read_steps("00 0B", SIGN_CERT));
    let cert = c.read_certificate(Ef::AuthenticationCaCertificate).unwrap();
    assert_eq!(cert, SIGN_CERT);
    c.into_inner().done();
}

#[test]
fn token_card_phone_unknown() {
    for (content, want) in [
        (b"JPKIAPICCTOKEN".to_vec(), Token::Card),
        (b"JPKIAPGPSETOKEN".to_vec(), Token::Smartphone),
        (b"SOMETHING".to_vec(), Token::Unknown(b"SOMETHING".to_vec())),
    ] {
        let mut padded = content.clone();
        padded.resize(32, 0);
        let mut c = card(vec![
            (h("00 A4 02 0C 02 00 06"), h("90 00")),
            (h("00 B0 00 00 20"), ok(&padded)),
        ]);
        assert_eq!(c.token().unwrap(), want);
        c.into_inner().done();
    }
}

#[test]
fn verify_succeeds_and_the_counter_still_answers_63cx() {
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 1B"), h("90 00")),
        (h("00 20 00 80"), h("63 C5")),
        (h("00 20 00 80 06 41 42 43 31 32 33"), h("90 00")),
        // After a successful VERIFY the counter query still answers 63Cx (notes §1.3).
        (h("00 A4 02 0C 02 00 1B"), h("90 00")),
        (h("00 20 00 80"), h("63 C5")),
    ]);
    // Lower case is upper-cased before it is sent.
    let pin = Pin::from(SignaturePin::new("abc123").unwrap());
    c.verify_pin(&pin).unwrap();
    assert!(c.is_verified(PinKind::Signature));
    assert!(!c.is_verified(PinKind::Authentication));
    assert_eq!(c.pin_status(PinKind::Signature).unwrap(), 5);
    c.into_inner().done();
}

#[test]
fn wrong_pin_reports_the_counter_and_is_not_retried() {
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 18"), h("90 00")),
        (h("00 20 00 80"), h("63 C3")),
        (h("00 20 00 80 04 31 32 33 34"), h("63 C2")),
    ]);
    let pin = Pin::from(AuthenticationPin::new("1234").unwrap());
    assert_eq!(
        c.verify_pin(&pin),
        Err(JpkiError::WrongPin {
            kind: PinKind::Authentication,
            tries_left: 2
        })
    );
    assert!(!c.is_verified(PinKind::Authentication));
    // Exactly the three APDUs: no second VERIFY.
    c.into_inner().done();
}

#[test]
fn a_locked_pin_gets_no_verify() {
    for locked_sw in ["63 C0", "69 83"] {
        let mut c = card(vec![
            (h("00 A4 02 0C 02 00 1B"), h("90 00")),
            (h("00 20 00 80"), h(locked_sw)),
        ]);
        let pin = Pin::from(SignaturePin::new("ABC123").unwrap());
        assert_eq!(
            c.verify_pin(&pin),
            Err(JpkiError::Locked {
                kind: PinKind::Signature
            })
        );
        c.into_inner().done();
    }
    // The last try fails: locked, reported as such.
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 1B"), h("90 00")),
        (h("00 20 00 80"), h("63 C1")),
        (h("00 20 00 80 06 41 42 43 31 32 33"), h("63 C0")),
    ]);
    let pin = Pin::from(SignaturePin::new("ABC123").unwrap());
    assert_eq!(
        c.verify_pin(&pin),
        Err(JpkiError::Locked {
            kind: PinKind::Signature
        })
    );
    c.into_inner().done();
}

#[test]
fn signing_without_the_pin_is_pin_not_verified() {
    let mut di = SHA256_DIGEST_INFO_PREFIX.to_vec();
    di.extend_from_slice(&[0x11; 32]);
    let mut cmd = h("80 2A 00 80 33");
    cmd.extend_from_slice(&di);
    cmd.push(0x00);
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 1A"), h("90 00")),
        (cmd, h("69 82")),
    ]);
    assert_eq!(
        c.sign(KeyKind::Signature, &di),
        Err(JpkiError::PinNotVerified {
            step: Step::Sign(KeyKind::Signature)
        })
    );
    c.into_inner().done();
    // Reading EF 0001 without the PIN: 6982 on the READ BINARY.
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 01"), h("90 00")),
        (h("00 B0 00 00 07"), h("69 82")),
    ]);
    assert_eq!(
        c.read_certificate(Ef::SignatureCertificate),
        Err(JpkiError::PinNotVerified {
            step: Step::ReadCertificate(Ef::SignatureCertificate)
        })
    );
}

#[test]
fn truncated_certificate_is_typed() {
    let mut steps = read_steps("00 0A", SIGN_CERT);
    // The card stops answering data after the first chunk.
    steps.truncate(3);
    steps.push((h("00 B0 01 07 00"), h("6B 00")));
    let mut c = card(steps);
    assert_eq!(
        c.read_certificate(Ef::AuthenticationCertificate),
        Err(JpkiError::TruncatedCertificate {
            ef: Ef::AuthenticationCertificate,
            read: 263,
            declared: SIGN_CERT.len()
        })
    );
    c.into_inner().done();
    // An empty 9000 is no progress: truncated too, not a loop.
    let mut steps = read_steps("00 0A", SIGN_CERT);
    steps.truncate(2);
    steps.push((h("00 B0 00 07 00"), h("90 00")));
    let mut c = card(steps);
    assert!(matches!(
        c.read_certificate(Ef::AuthenticationCertificate),
        Err(JpkiError::TruncatedCertificate { read: 7, .. })
    ));
    // More than asked for.
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 0A"), h("90 00")),
        (
            h("00 B0 00 00 07"),
            ok(&[0x30, 0x82, 0x01, 0x00, 0, 0, 0, 0]),
        ),
    ]);
    assert!(matches!(
        c.read_certificate(Ef::AuthenticationCertificate),
        Err(JpkiError::UnexpectedData { len: 8, .. })
    ));
}

#[test]
fn oversize_declared_length_reads_nothing_more() {
    // 30 83 01 00 00: 65 536 bytes declared; refused after the header, no further READ.
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 0A"), h("90 00")),
        (h("00 B0 00 00 07"), ok(&h("30 83 01 00 00 30 82"))),
    ]);
    assert_eq!(
        c.read_certificate(Ef::AuthenticationCertificate),
        Err(JpkiError::CertificateTooLarge {
            ef: Ef::AuthenticationCertificate,
            declared: 65536 + 5,
            max: 8192
        })
    );
    c.into_inner().done();
    // Not a SEQUENCE.
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 0A"), h("90 00")),
        (h("00 B0 00 00 07"), ok(&h("04 82 01 00 00 30 82"))),
    ]);
    assert_eq!(
        c.read_certificate(Ef::AuthenticationCertificate),
        Err(JpkiError::BadCertificateHeader {
            ef: Ef::AuthenticationCertificate
        })
    );
}

#[test]
fn operations_need_the_ap_and_a_real_response() {
    let mut c = JpkiCard::new(Script::new(vec![]));
    assert_eq!(
        c.pin_status(PinKind::Signature),
        Err(JpkiError::ApNotSelected {
            step: Step::SelectFile(Ef::SignaturePin)
        })
    );
    let mut c = JpkiCard::new(Script::new(vec![(h(SELECT_AP), vec![0x90])]));
    assert_eq!(
        c.select_jpki_ap(),
        Err(JpkiError::ShortResponse {
            step: Step::SelectAp
        })
    );
    let mut c = JpkiCard::new(Script::new(vec![(h(SELECT_AP), h("6A 82"))]));
    assert_eq!(
        c.select_jpki_ap(),
        Err(JpkiError::FileNotFound {
            step: Step::SelectAp
        })
    );
}

#[test]
fn card_signer_sends_the_sha256_digest_info_and_checks_the_length() {
    let key = RsaPublicKey::from_components(&[0xff; 256], &[1, 0, 1]).unwrap();
    let msg = b"enrolment challenge";
    let digest = default_provider().hash(kakunin_core::crypto::HashAlg::Sha256, msg);
    let mut cmd = h("80 2A 00 80 33 30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20");
    cmd.extend_from_slice(&digest);
    cmd.push(0x00);
    let mut c = card(vec![
        (h("00 A4 02 0C 02 00 17"), h("90 00")),
        (cmd.clone(), ok(&[0xab; 256])),
        (h("00 A4 02 0C 02 00 17"), h("90 00")),
        (cmd, ok(&[0xab; 255])),
    ]);
    let mut signer = CardSigner::new(&mut c, KeyKind::Authentication, key, default_provider());
    assert_eq!(signer.sign_pkcs1v15(msg).unwrap(), vec![0xab; 256]);
    assert_eq!(
        signer.sign_pkcs1v15(msg),
        Err(JpkiError::SignatureLength {
            len: 255,
            expected: 256
        })
    );
    c.into_inner().done();
}

/// A card whose certificate EF holds `file`: READ BINARY answers min(Le, remaining) bytes,
/// 6B00 past the end (notes §1.3).
struct FileCard {
    file: Vec<u8>,
    reads: usize,
}

impl Transceive for FileCard {
    type Error = String;
    fn transceive(&mut self, c: &[u8]) -> Result<Vec<u8>, String> {
        Ok(match c {
            [0x00, 0xb0, p1, p2, le] => {
                self.reads += 1;
                let off = usize::from(u16::from_be_bytes([*p1, *p2]));
                let n = if *le == 0 { 256 } else { usize::from(*le) };
                if off >= self.file.len() {
                    h("6B 00")
                } else {
                    ok(&self.file[off..(off + n).min(self.file.len())])
                }
            }
            _ => h("90 00"),
        })
    }
}

#[test]
fn every_truncation_of_a_certificate_is_an_error_never_a_panic_or_a_loop() {
    for len in 0..SIGN_CERT.len() {
        let mut c = JpkiCard::new(FileCard {
            file: SIGN_CERT[..len].to_vec(),
            reads: 0,
        });
        c.select_jpki_ap().unwrap();
        let r = c.read_certificate(Ef::AuthenticationCertificate);
        assert!(r.is_err(), "truncated at {len} accepted");
        // One header read and at most one READ per 256 bytes, plus the one that fails.
        assert!(c.into_inner().reads <= 2 + SIGN_CERT.len() / 256 + 1);
    }
    let mut c = JpkiCard::new(FileCard {
        file: SIGN_CERT.to_vec(),
        reads: 0,
    });
    c.select_jpki_ap().unwrap();
    assert_eq!(
        c.read_certificate(Ef::AuthenticationCertificate).unwrap(),
        SIGN_CERT
    );
    // Trailing bytes in the EF after the certificate are not read.
    let mut padded = SIGN_CERT.to_vec();
    padded.extend_from_slice(&[0xff; 300]);
    let mut c = JpkiCard::new(FileCard {
        file: padded,
        reads: 0,
    });
    c.select_jpki_ap().unwrap();
    assert_eq!(
        c.read_certificate(Ef::AuthenticationCertificate).unwrap(),
        SIGN_CERT
    );
}
