//! The simulated card's two PINs (jpki-notes §1.2, "PIN rules"): the signature PIN is 6–16
//! uppercase letters and digits with at least one of each, the authentication PIN 4 digits.
//! Drawn at random by `init` and written to the profile's `pins.json` (0600), so tests and
//! demos can use the card; never printed, never on a command line.

use std::path::Path;

use kakunin_core::secret::Pin;
use zeroize::Zeroizing;

use super::error::SimError;
use super::files;

/// The file a profile keeps its PINs in.
pub const PINS_FILE: &str = "pins.json";

/// A card's signature PIN and authentication PIN (zeroized, never Debug-printed).
pub struct SimPins {
    /// 署名用パスワード: 6–16 uppercase letters and digits, both kinds.
    pub signature: Pin,
    /// 利用者証明用暗証番号: 4 digits.
    pub authentication: Pin,
}

impl core::fmt::Debug for SimPins {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SimPins(..)")
    }
}

/// Whether `pin` follows the signature-PIN rule.
pub fn is_valid_signature_pin(pin: &[u8]) -> bool {
    (6..=16).contains(&pin.len())
        && pin
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && pin.iter().any(u8::is_ascii_uppercase)
        && pin.iter().any(u8::is_ascii_digit)
}

/// Whether `pin` follows the authentication-PIN rule.
pub fn is_valid_authentication_pin(pin: &[u8]) -> bool {
    pin.len() == 4 && pin.iter().all(u8::is_ascii_digit)
}

const ALNUM: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// One uniformly random index below `n` (n ≤ 256), by rejection sampling.
fn random_below(n: u8) -> Result<u8, SimError> {
    let limit = 256 - (256 % u16::from(n));
    loop {
        let mut b = [0u8; 1];
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b)
            .map_err(|_| SimError::Random("PIN"))?;
        let [v] = b;
        if u16::from(v) < limit {
            return Ok(v % n);
        }
    }
}

fn pick(alphabet: &[u8]) -> Result<u8, SimError> {
    let n = u8::try_from(alphabet.len()).map_err(|_| SimError::Random("alphabet"))?;
    let i = random_below(n)?;
    alphabet
        .get(usize::from(i))
        .copied()
        .ok_or(SimError::Random("alphabet"))
}

impl SimPins {
    /// Fresh random PINs following the rules.
    pub fn generate() -> Result<Self, SimError> {
        let signature = loop {
            let len = 6 + usize::from(random_below(11)?);
            let mut p = Zeroizing::new(Vec::with_capacity(len));
            for _ in 0..len {
                p.push(pick(ALNUM)?);
            }
            if is_valid_signature_pin(&p) {
                break Pin::from_bytes(&p).map_err(|_| SimError::Random("PIN"))?;
            }
        };
        let mut a = Zeroizing::new(Vec::with_capacity(4));
        for _ in 0..4 {
            a.push(pick(b"0123456789")?);
        }
        let authentication = Pin::from_bytes(&a).map_err(|_| SimError::Random("PIN"))?;
        Ok(SimPins {
            signature,
            authentication,
        })
    }

    /// The pins.json text: `{"signature_pin": "...", "authentication_pin": "...."}`, built
    /// in one zeroized buffer (no intermediate JSON values holding copies). Both PINs are
    /// letters and digits only (checked), so nothing needs escaping.
    fn to_json(&self) -> Result<Zeroizing<String>, SimError> {
        fn text(p: &Pin) -> Result<&str, SimError> {
            std::str::from_utf8(p.expose_secret()).map_err(|_| SimError::Build("PIN text"))
        }
        if !is_valid_signature_pin(self.signature.expose_secret())
            || !is_valid_authentication_pin(self.authentication.expose_secret())
        {
            return Err(SimError::Build("PINs outside the JPKI rules"));
        }
        let mut out = Zeroizing::new(String::with_capacity(96));
        out.push_str("{\"signature_pin\": \"");
        out.push_str(text(&self.signature)?);
        out.push_str("\", \"authentication_pin\": \"");
        out.push_str(text(&self.authentication)?);
        out.push_str("\"}\n");
        Ok(out)
    }

    /// Write `dir/pins.json` (0600, must not exist).
    pub fn write_new(&self, dir: &Path) -> Result<(), SimError> {
        files::write_new(
            &dir.join(PINS_FILE),
            self.to_json()?.as_bytes(),
            files::SECRET,
        )
    }

    /// Read `dir/pins.json`, checking both PINs against the rules.
    pub fn read(dir: &Path) -> Result<Self, SimError> {
        #[derive(serde::Deserialize)]
        struct PinsFile {
            signature_pin: String,
            authentication_pin: String,
        }
        let path = dir.join(PINS_FILE);
        let bad = || SimError::BadFile {
            path: path.clone(),
            what: "pins.json",
        };
        let bytes = Zeroizing::new(files::read_small(&path, 4096)?);
        let parsed: PinsFile = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let s = Zeroizing::new(parsed.signature_pin);
        let a = Zeroizing::new(parsed.authentication_pin);
        if !is_valid_signature_pin(s.as_bytes()) || !is_valid_authentication_pin(a.as_bytes()) {
            return Err(bad());
        }
        Ok(SimPins {
            signature: Pin::from_bytes(s.as_bytes()).map_err(|_| bad())?,
            authentication: Pin::from_bytes(a.as_bytes()).map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pins_follow_the_rules_and_round_trip() {
        for _ in 0..50 {
            let p = SimPins::generate().unwrap();
            assert!(is_valid_signature_pin(p.signature.expose_secret()));
            assert!(is_valid_authentication_pin(
                p.authentication.expose_secret()
            ));
        }
        assert!(!is_valid_signature_pin(b"ABCDEF"));
        assert!(!is_valid_signature_pin(b"123456"));
        assert!(!is_valid_signature_pin(b"abc123"));
        assert!(!is_valid_signature_pin(b"AB12"));
        assert!(!is_valid_authentication_pin(b"12a4"));
        let dir = tempfile::tempdir().unwrap();
        let p = SimPins::generate().unwrap();
        p.write_new(dir.path()).unwrap();
        let back = SimPins::read(dir.path()).unwrap();
        assert!(back.signature.ct_eq(&p.signature));
        assert!(back.authentication.ct_eq(&p.authentication));
        assert_eq!(format!("{back:?}"), "SimPins(..)");
        assert!(matches!(p.write_new(dir.path()), Err(SimError::Exists(_))));
    }
}
