//! `kakunin jpki read`: the JPKI application of a My Number card (or a phone) in a PC/SC reader,
//! through `kakunin_jpki::JpkiCard` (/work/shared/jpki-notes.md §1.4): token kind, the CA and
//! authentication certificates' subjects, the signature PIN's tries left, then — after one
//! VERIFY of the signature PIN — the signature certificate's subject and four facts.
//!
//! The PIN comes from `--pin-file` (a `pins.json` with `signature_pin`, or a text file whose
//! first line is the signature PIN and second the authentication PIN), else a prompt without
//! echo on a terminal, else the first line of standard input; never from the command line. A
//! wrong PIN exits 1 with the tries left; nothing is retried. Card text is escaped.

use std::path::Path;
use std::process::ExitCode;

use zeroize::Zeroizing;

use crate::error::CliError;
use crate::escape::escape;

/// Largest PIN file read.
const PIN_FILE_LIMIT: u64 = 4096;

/// The signature PIN from `--pin-file` (see the module documentation).
fn signature_pin_from_file(path: &Path) -> Result<Zeroizing<String>, CliError> {
    pins_from_file(path).map(|(sign, _)| sign)
}

/// Both PINs from `--pin-file`: a `pins.json` (`signature_pin`, `authentication_pin`) or a text
/// file whose first line is the signature PIN and second line the authentication PIN. The
/// authentication PIN is empty when the file has none (the caller decides whether it needs it).
pub(crate) fn pins_from_file(
    path: &Path,
) -> Result<(Zeroizing<String>, Zeroizing<String>), CliError> {
    use std::io::Read;
    let bad = |reason: &str| CliError::BadInput {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let f = std::fs::File::open(path).map_err(|e| bad(&e.to_string()))?;
    let mut buf = Zeroizing::new(Vec::new());
    f.take(PIN_FILE_LIMIT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| bad(&e.to_string()))?;
    if buf.len() > 4096 {
        return Err(bad("larger than a PIN file"));
    }
    let text = core::str::from_utf8(&buf).map_err(|_| bad("not UTF-8"))?;
    if text.trim_start().starts_with('{') {
        let mut v: serde_json::Value =
            serde_json::from_str(text).map_err(|_| bad("not a pins.json"))?;
        let obj = v.as_object_mut().ok_or_else(|| bad("not a pins.json"))?;
        // Take the PINs out of the parsed value, so both are zeroized when dropped.
        let auth = match obj.remove("authentication_pin") {
            Some(serde_json::Value::String(s)) => Zeroizing::new(s),
            _ => Zeroizing::new(String::new()),
        };
        match obj.remove("signature_pin") {
            Some(serde_json::Value::String(s)) => Ok((Zeroizing::new(s), auth)),
            _ => Err(bad("no \"signature_pin\" string")),
        }
    } else {
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let first = Zeroizing::new(lines.next().unwrap_or_default().to_string());
        let second = Zeroizing::new(lines.next().unwrap_or_default().to_string());
        Ok((first, second))
    }
}

/// The signature PIN from a terminal prompt without echo, or from standard input's first line.
fn signature_pin_interactive() -> Result<Zeroizing<String>, CliError> {
    let stdin = std::io::stdin();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(std::io::Read::take(
        stdin.lock(),
        PIN_FILE_LIMIT,
    )));
    pin_line("signature PIN (6-16 letters and digits): ", &mut lines)
}

/// Both PINs (signature, then authentication) from two prompts without echo on a terminal,
/// or from the first two lines of standard input.
pub(crate) fn pins_interactive() -> Result<(Zeroizing<String>, Zeroizing<String>), CliError> {
    let stdin = std::io::stdin();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(std::io::Read::take(
        stdin.lock(),
        PIN_FILE_LIMIT,
    )));
    let sign = pin_line("signature PIN (6-16 letters and digits): ", &mut lines)?;
    let auth = pin_line("authentication PIN (4 digits): ", &mut lines)?;
    Ok((sign, auth))
}

/// One line of `lines`, after `prompt` with echo off when standard input is a terminal.
fn pin_line(
    prompt: &str,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
) -> Result<Zeroizing<String>, CliError> {
    use std::io::{IsTerminal, Write};
    let tty = std::io::stdin().is_terminal();
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    if tty {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        if !stty("-echo") {
            return Err(CliError::Usage(
                "cannot turn terminal echo off for the PIN prompt; use --pin-file".into(),
            ));
        }
    }
    let read = lines.next().transpose();
    if tty {
        stty("echo");
        eprintln!();
    }
    let line = read
        .map_err(|e| CliError::Usage(format!("reading the PIN: {e}")))?
        .unwrap_or_default();
    let line = Zeroizing::new(line);
    Ok(Zeroizing::new(line.trim_end_matches('\r').to_string()))
}

/// `kakunin jpki read --pcsc-reader NAME [--pin-file FILE]`.
#[cfg(feature = "pcsc")]
pub(crate) fn read(reader: &str, pin_file: Option<&Path>) -> Result<ExitCode, CliError> {
    let card = kakunin_transport::adapters::pcsc::PcscCard::connect(
        reader,
        std::time::Duration::from_secs(10),
    )
    .map_err(CliError::session_in("PC/SC"))?;
    run(card, pin_file)
}

/// Without PC/SC support: a usage error naming the feature.
#[cfg(not(feature = "pcsc"))]
pub(crate) fn read(reader: &str, _pin_file: Option<&Path>) -> Result<ExitCode, CliError> {
    Err(CliError::Usage(format!(
        "this build has no PC/SC support (reader {:?}): build with --features pcsc",
        reader
    )))
}

/// The exchange over any card link (PC/SC in practice).
// Without `pcsc` only the tests drive it (through an in-memory card).
#[cfg_attr(not(feature = "pcsc"), allow(dead_code))]
fn run<T: kakunin_core::card::Transceive>(
    link: T,
    pin_file: Option<&Path>,
) -> Result<ExitCode, CliError> {
    use kakunin_jpki::apdu::Ef;
    use kakunin_jpki::profile::{certificate_subject, Sex};
    use kakunin_jpki::{JpkiCard, JpkiError, Pin, PinKind, SignatureCertificate, SignaturePin};
    let card_err = CliError::session_in("JPKI card");
    let mut card = JpkiCard::new(link);
    card.select_jpki_ap().map_err(card_err)?;
    let token = card.token().map_err(card_err)?;
    println!(
        "token: {}",
        match &token {
            kakunin_jpki::Token::Card => "My Number card (JPKIAPICCTOKEN)".to_string(),
            kakunin_jpki::Token::Smartphone => "smartphone JPKI (JPKIAPGPSETOKEN)".to_string(),
            kakunin_jpki::Token::Unknown(t) =>
                format!("unknown ({})", escape(&String::from_utf8_lossy(t))),
            _ => "unknown".to_string(),
        }
    );
    let subject = |der: &[u8]| {
        certificate_subject(der)
            .map(|s| escape(&s).into_owned())
            .unwrap_or_else(|e| format!("(unreadable: {e})"))
    };
    let sign_ca = card
        .read_certificate(Ef::SignatureCaCertificate)
        .map_err(card_err)?;
    println!("signature CA: {}", subject(&sign_ca));
    let auth_ca = card
        .read_certificate(Ef::AuthenticationCaCertificate)
        .map_err(card_err)?;
    println!("authentication CA: {}", subject(&auth_ca));
    match card.read_certificate(Ef::AuthenticationCertificate) {
        Ok(auth) => println!("authentication certificate: {}", subject(&auth)),
        // A phone's secure element needs the authentication PIN first (notes §2.6).
        Err(JpkiError::PinNotVerified { .. }) => {
            println!("authentication certificate: (needs the authentication PIN on this token)")
        }
        Err(e) => return Err(card_err(e)),
    }
    let tries = card.pin_status(PinKind::Signature).map_err(card_err)?;
    println!("signature PIN: {tries} tries left");
    if tries == 0 {
        eprintln!("kakunin: the signature PIN is locked; nothing was sent");
        return Ok(ExitCode::from(1));
    }
    let text = match pin_file {
        Some(p) => signature_pin_from_file(p)?,
        None => signature_pin_interactive()?,
    };
    let pin = SignaturePin::try_from(text).map_err(|e| CliError::Usage(e.to_string()))?;
    match card.verify_pin(&Pin::Signature(pin)) {
        Ok(()) => {}
        Err(JpkiError::WrongPin { tries_left, .. }) => {
            eprintln!("kakunin: wrong signature PIN: {tries_left} tries left (not retried)");
            return Ok(ExitCode::from(1));
        }
        Err(JpkiError::Locked { .. }) => {
            eprintln!("kakunin: the signature PIN is locked");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(card_err(e)),
    }
    let der = card
        .read_certificate(Ef::SignatureCertificate)
        .map_err(card_err)?;
    let cert = SignatureCertificate::parse(&der)
        .map_err(CliError::session_in("JPKI signature certificate"))?;
    let f = &cert.facts;
    println!("signature certificate: {}", escape(&cert.info.subject()));
    println!("name: {}", escape(&f.name));
    println!(
        "date of birth: {}",
        f.date_of_birth
            .map_or_else(|| "unknown".to_string(), |d| d.to_string())
    );
    println!(
        "sex: {}",
        match f.sex {
            Sex::Male => "male",
            Sex::Female => "female",
            _ => "not known",
        }
    );
    println!("address: {}", escape(&f.address));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal in-memory JPKI-AP (notes §1.3) over the JPKI-SIM fixtures: enough for `run`.
    struct MiniCard {
        selected: Option<[u8; 2]>,
        sign_tries: u8,
        sign_verified: bool,
        verifies: usize,
    }

    const PIN: &[u8] = b"ABC123";

    impl kakunin_core::card::Transceive for MiniCard {
        type Error = String;
        fn transceive(&mut self, c: &[u8]) -> Result<Vec<u8>, String> {
            let sw = |v: u16| v.to_be_bytes().to_vec();
            let file = |fid: [u8; 2]| -> Option<&'static [u8]> {
                Some(match fid {
                    [0, 1] => include_bytes!("../jpki/tests/data/sign.der"),
                    [0, 2] => include_bytes!("../jpki/tests/data/sign-ca.der"),
                    [0, 0x0a] => include_bytes!("../jpki/tests/data/auth.der"),
                    [0, 0x0b] => include_bytes!("../jpki/tests/data/auth-ca.der"),
                    [0, 6] => b"JPKIAPICCTOKEN\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                    _ => return None,
                })
            };
            Ok(match c {
                [0x00, 0xa4, 0x04, 0x0c, ..] => {
                    self.sign_verified = false;
                    sw(0x9000)
                }
                [0x00, 0xa4, 0x02, 0x0c, 0x02, hi, lo] => {
                    self.selected = Some([*hi, *lo]);
                    sw(0x9000)
                }
                [0x00, 0xb0, p1, p2, le] => {
                    let Some(fid) = self.selected else {
                        return Ok(sw(0x6986));
                    };
                    if fid == [0, 1] && !self.sign_verified {
                        return Ok(sw(0x6982));
                    }
                    let data = file(fid).unwrap();
                    let off = usize::from(u16::from_be_bytes([*p1, *p2]));
                    let n = if *le == 0 { 256 } else { usize::from(*le) };
                    let end = (off + n).min(data.len());
                    let mut r = data[off..end].to_vec();
                    r.extend(sw(0x9000));
                    r
                }
                [0x00, 0x20, 0x00, 0x80] => sw(0x63c0 | u16::from(self.sign_tries)),
                [0x00, 0x20, 0x00, 0x80, _, pin @ ..] => {
                    self.verifies += 1;
                    if pin == PIN {
                        self.sign_verified = true;
                        self.sign_tries = 5;
                        sw(0x9000)
                    } else {
                        self.sign_tries -= 1;
                        sw(0x63c0 | u16::from(self.sign_tries))
                    }
                }
                _ => sw(0x6d00),
            })
        }
    }

    fn card(tries: u8) -> MiniCard {
        MiniCard {
            selected: None,
            sign_tries: tries,
            sign_verified: false,
            verifies: 0,
        }
    }

    fn pin_file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn reads_the_four_facts_after_the_pin() {
        let f = pin_file(r#"{"signature_pin": "abc123", "authentication_pin": "1234"}"#);
        assert_eq!(run(card(5), Some(f.path())).unwrap(), ExitCode::SUCCESS);
        let f = pin_file("ABC123\n1234\n");
        assert_eq!(run(card(5), Some(f.path())).unwrap(), ExitCode::SUCCESS);
    }

    #[test]
    fn a_wrong_pin_exits_1_once_and_a_locked_pin_sends_nothing() {
        let f = pin_file("WRONG1\n");
        let mut c = card(5);
        assert_eq!(run(&mut c, Some(f.path())).unwrap(), ExitCode::from(1));
        assert_eq!((c.verifies, c.sign_tries), (1, 4));
        let mut c = card(0);
        assert_eq!(run(&mut c, Some(f.path())).unwrap(), ExitCode::from(1));
        assert_eq!(c.verifies, 0);
        // A PIN of the wrong format never reaches the card.
        let f = pin_file("short\n");
        let mut c = card(5);
        assert!(matches!(
            run(&mut c, Some(f.path())),
            Err(CliError::Usage(_))
        ));
        assert_eq!(c.verifies, 0);
        let f = pin_file("{\"other\": 1}");
        assert!(matches!(
            run(card(5), Some(f.path())),
            Err(CliError::BadInput { .. })
        ));
    }

    #[test]
    fn both_pins_from_a_pins_json_or_two_lines() {
        let both = |text: &str| {
            let (s, a) = pins_from_file(pin_file(text).path()).unwrap();
            (s.to_string(), a.to_string())
        };
        assert_eq!(
            both(r#"{"signature_pin": "ABC123", "authentication_pin": "1234"}"#),
            ("ABC123".into(), "1234".into())
        );
        assert_eq!(both("ABC123\r\n1234\r\n"), ("ABC123".into(), "1234".into()));
        assert_eq!(both("ABC123\n"), ("ABC123".into(), String::new()));
        assert!(matches!(
            pins_from_file(pin_file(r#"{"authentication_pin": "1234"}"#).path()),
            Err(CliError::BadInput { .. })
        ));
    }

    impl kakunin_core::card::Transceive for &mut MiniCard {
        type Error = String;
        fn transceive(&mut self, c: &[u8]) -> Result<Vec<u8>, String> {
            (**self).transceive(c)
        }
    }
}
