//! Every APDU path of the virtual card, both counters to lock-out, persistence across a
//! restart, hostile APDUs, and the simulated phone.

use std::path::Path;
use std::sync::OnceLock;

use der::{Decode, Encode};
use kakunin_core::crypto::{default_provider, HashAlg, RsaPublicKey, RsaSigner};
use kakunin_core::secret::Pin;
use time::macros::datetime;

use super::*;
use crate::jpki_sim::{init, CardSpec, CardState, Device, SimProfile};

fn fixture() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        init(
            d.path(),
            &[CardSpec::default_taro()],
            datetime!(2026-12-01 00:00 UTC),
        )
        .unwrap();
        d
    })
    .path()
}

fn card() -> JpkiCard {
    JpkiCard::in_memory(SimProfile::load_card(&fixture().join("taro")).unwrap())
}

fn sw_of(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

fn select_ap(c: &mut JpkiCard) -> u16 {
    let mut a = vec![0x00, 0xa4, 0x04, 0x0c, 0x0a];
    a.extend_from_slice(&JPKI_AP_AID);
    sw_of(&c.process(&a))
}

fn select(c: &mut JpkiCard, fid: u16) -> u16 {
    let [h, l] = fid.to_be_bytes();
    sw_of(&c.process(&[0x00, 0xa4, 0x02, 0x0c, 0x02, h, l]))
}

fn verify(c: &mut JpkiCard, pin: &[u8]) -> u16 {
    let mut a = vec![0x00, 0x20, 0x00, 0x80];
    if !pin.is_empty() {
        a.push(u8::try_from(pin.len()).unwrap());
        a.extend_from_slice(pin);
    }
    sw_of(&c.process(&a))
}

/// Read the selected EF as OpenSC does: 4 bytes for the DER length, then 256-byte chunks and
/// an exact last one.
fn read_all(c: &mut JpkiCard) -> Result<Vec<u8>, u16> {
    let head = c.process(&[0x00, 0xb0, 0x00, 0x00, 0x04]);
    if sw_of(&head) != sw::OK {
        return Err(sw_of(&head));
    }
    let size = (usize::from(head[2]) << 8 | usize::from(head[3])) + 4;
    let mut out = Vec::new();
    while out.len() < size {
        let [h, l] = u16::try_from(out.len()).unwrap().to_be_bytes();
        let le = (size - out.len()).min(256);
        let r = c.process(&[0x00, 0xb0, h, l, u8::try_from(le % 256).unwrap()]);
        assert_eq!(sw_of(&r), sw::OK);
        assert_eq!(r.len() - 2, le);
        out.extend_from_slice(&r[..r.len() - 2]);
    }
    Ok(out)
}

fn sign(c: &mut JpkiCard, input: &[u8]) -> Vec<u8> {
    let mut a = vec![0x80, 0x2a, 0x00, 0x80, u8::try_from(input.len()).unwrap()];
    a.extend_from_slice(input);
    a.push(0x00);
    c.process(&a)
}

fn public_key_of(cert_der: &[u8]) -> RsaPublicKey {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    RsaPublicKey::from_spki_der(
        &cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
    )
    .unwrap()
}

fn digest_info(msg: &[u8]) -> [u8; 51] {
    use sha2::Digest;
    kakunin_core::crypto::sha256_digest_info(&sha2::Sha256::digest(msg).into())
}

#[test]
fn certificates_read_in_chunks_and_the_signature_certificate_needs_the_signature_pin() {
    let mut c = card();
    let pins = SimProfile::load_card(&fixture().join("taro")).unwrap().pins;
    // Nothing before the AP.
    assert_eq!(select(&mut c, EF_SIGN_CA), sw::NOT_FOUND);
    assert_eq!(sw_of(&c.process(&[0x00, 0xb0, 0, 0, 4])), sw::NO_CURRENT_EF);
    assert_eq!(select_ap(&mut c), sw::OK);
    // Wrong AID, wrong P2, wrong P1.
    assert_eq!(
        sw_of(&c.process(&[0x00, 0xa4, 0x04, 0x0c, 0x02, 0xd3, 0x92])),
        sw::NOT_FOUND
    );
    assert_eq!(
        sw_of(&c.process(&[0x00, 0xa4, 0x02, 0x00, 0x02, 0x00, 0x02])),
        sw::WRONG_P1P2
    );
    assert_eq!(
        sw_of(&c.process(&[0x00, 0xa4, 0x08, 0x0c, 0x02, 0x00, 0x02])),
        sw::WRONG_P1P2
    );
    assert_eq!(select(&mut c, 0x0099), sw::NOT_FOUND);
    assert_eq!(select(&mut c, EF_SIGN_CA), sw::OK);
    assert_eq!(read_all(&mut c).unwrap(), c.profile().sign_ca_cert);
    assert_eq!(select(&mut c, EF_AUTH_CA), sw::OK);
    assert_eq!(read_all(&mut c).unwrap(), c.profile().auth_ca_cert);
    assert_eq!(select(&mut c, EF_AUTH_CERT), sw::OK);
    let auth = read_all(&mut c).unwrap();
    assert_eq!(auth, c.profile().auth_cert);
    // Past the end; SFI form; no Le.
    let [h, l] = u16::try_from(auth.len()).unwrap().to_be_bytes();
    assert_eq!(sw_of(&c.process(&[0x00, 0xb0, h, l, 1])), sw::WRONG_OFFSET);
    assert_eq!(
        sw_of(&c.process(&[0x00, 0xb0, 0x7f, 0xff, 1])),
        sw::WRONG_OFFSET
    );
    assert_eq!(
        sw_of(&c.process(&[0x00, 0xb0, 0x81, 0x00, 1])),
        sw::WRONG_P1P2
    );
    assert_eq!(
        sw_of(&c.process(&[0x00, 0xb0, 0x00, 0x00])),
        sw::WRONG_LENGTH
    );
    // Le beyond the rest: min(Le, remaining).
    let [h, l] = u16::try_from(auth.len() - 3).unwrap().to_be_bytes();
    let r = c.process(&[0x00, 0xb0, h, l, 0x00]);
    assert_eq!(r.len(), 3 + 2);
    // Token.
    assert_eq!(select(&mut c, EF_TOKEN), sw::OK);
    let t = c.process(&[0x00, 0xb0, 0, 0, 0]);
    assert_eq!(
        &t[..32],
        b"JPKIAPICCTOKEN\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
    );
    assert_eq!(sw_of(&t), sw::OK);
    // VERIFY on a non-PIN EF.
    assert_eq!(verify(&mut c, b""), sw::NO_CURRENT_EF);
    // EF 0001 needs the signature PIN.
    assert_eq!(select(&mut c, EF_SIGN_CERT), sw::OK);
    assert_eq!(read_all(&mut c), Err(sw::SECURITY_NOT_SATISFIED));
    assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
    assert_eq!(verify(&mut c, b""), 0x63c5);
    assert_eq!(
        sw_of(&c.process(&[0x00, 0x20, 0x00, 0x81, 1, b'1'])),
        sw::WRONG_P1P2
    );
    assert_eq!(verify(&mut c, pins.signature.expose_secret()), sw::OK);
    // The empty VERIFY never says 9000.
    assert_eq!(verify(&mut c, b""), 0x63c5);
    assert_eq!(select(&mut c, EF_SIGN_CERT), sw::OK);
    assert_eq!(read_all(&mut c).unwrap(), c.profile().sign_cert);
    // Re-selecting the AP ends the security state; so does a reset.
    assert_eq!(select_ap(&mut c), sw::OK);
    assert_eq!(select(&mut c, EF_SIGN_CERT), sw::OK);
    assert_eq!(read_all(&mut c), Err(sw::SECURITY_NOT_SATISFIED));
    assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
    assert_eq!(verify(&mut c, pins.signature.expose_secret()), sw::OK);
    c.reset();
    assert_eq!(select(&mut c, EF_SIGN_CERT), sw::NOT_FOUND);
    assert_eq!(select_ap(&mut c), sw::OK);
    assert_eq!(select(&mut c, EF_SIGN_CERT), sw::OK);
    assert_eq!(read_all(&mut c), Err(sw::SECURITY_NOT_SATISFIED));
    // Unknown instruction and class.
    assert_eq!(
        sw_of(&c.process(&[0x00, 0x24, 0x01, 0x80])),
        sw::UNKNOWN_INS
    );
    assert_eq!(
        sw_of(&c.process(&[0x80, 0xb0, 0x00, 0x00, 4])),
        sw::UNKNOWN_INS
    );
    assert_eq!(
        sw_of(&c.process(&[0x90, 0xb0, 0x00, 0x00, 4])),
        sw::UNKNOWN_CLA
    );
}

#[test]
fn both_keys_sign_a_digest_info_after_their_own_pin_and_ring_verifies_it() {
    let mut c = card();
    let pins = SimProfile::load_card(&fixture().join("taro")).unwrap().pins;
    let crypto = default_provider();
    assert_eq!(select_ap(&mut c), sw::OK);
    // Signing with no key EF, then without the PIN.
    assert_eq!(sw_of(&sign(&mut c, &digest_info(b"x"))), sw::NO_CURRENT_EF);
    assert_eq!(select(&mut c, EF_SIGN_KEY), sw::OK);
    assert_eq!(
        sw_of(&sign(&mut c, &digest_info(b"x"))),
        sw::SECURITY_NOT_SATISFIED
    );
    // The authentication PIN does not open the signature key.
    assert_eq!(select(&mut c, EF_AUTH_PIN), sw::OK);
    assert_eq!(verify(&mut c, pins.authentication.expose_secret()), sw::OK);
    assert_eq!(select(&mut c, EF_SIGN_KEY), sw::OK);
    assert_eq!(
        sw_of(&sign(&mut c, &digest_info(b"x"))),
        sw::SECURITY_NOT_SATISFIED
    );
    assert_eq!(select(&mut c, EF_AUTH_KEY), sw::OK);
    let r = sign(&mut c, &digest_info(b"auth challenge"));
    assert_eq!((r.len(), sw_of(&r)), (258, sw::OK));
    crypto
        .verify_rsa_pkcs1v15(
            &public_key_of(&c.profile().auth_cert),
            HashAlg::Sha256,
            b"auth challenge",
            &r[..256],
        )
        .unwrap();
    assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
    assert_eq!(verify(&mut c, pins.signature.expose_secret()), sw::OK);
    assert_eq!(select(&mut c, EF_SIGN_KEY), sw::OK);
    let r = sign(&mut c, &digest_info(b"sign challenge"));
    assert_eq!(sw_of(&r), sw::OK);
    let sign_key = public_key_of(&c.profile().sign_cert);
    crypto
        .verify_rsa_pkcs1v15(&sign_key, HashAlg::Sha256, b"sign challenge", &r[..256])
        .unwrap();
    assert!(crypto
        .verify_rsa_pkcs1v15(&sign_key, HashAlg::Sha256, b"auth challenge", &r[..256])
        .is_err());
    // 245 bytes is the most the modulus takes; 246 and empty are wrong lengths; P1P2.
    assert_eq!(sw_of(&sign(&mut c, &[0x42; 245])), sw::OK);
    assert_eq!(sw_of(&sign(&mut c, &[0x42; 246])), sw::WRONG_LENGTH);
    assert_eq!(
        sw_of(&c.process(&[0x80, 0x2a, 0x00, 0x80, 0x00])),
        sw::WRONG_LENGTH
    );
    assert_eq!(
        sw_of(&c.process(&[0x80, 0x2a, 0x9e, 0x9a, 1, 0, 0])),
        sw::WRONG_P1P2
    );
    // A binary EF is not a key.
    assert_eq!(select(&mut c, EF_TOKEN), sw::OK);
    assert_eq!(sw_of(&sign(&mut c, &digest_info(b"x"))), sw::NO_CURRENT_EF);
}

#[test]
fn both_counters_run_down_to_a_lock_that_the_right_pin_does_not_open() {
    let mut c = card();
    let pins = SimProfile::load_card(&fixture().join("taro")).unwrap().pins;
    assert_eq!(select_ap(&mut c), sw::OK);
    // Authentication: 3 tries; success resets the counter.
    assert_eq!(select(&mut c, EF_AUTH_PIN), sw::OK);
    assert_eq!(verify(&mut c, b"0000x"), 0x63c2);
    assert_eq!(verify(&mut c, pins.authentication.expose_secret()), sw::OK);
    assert_eq!(verify(&mut c, b""), 0x63c3);
    let wrong: &[u8] = if pins.authentication.expose_secret() == b"9999" {
        b"9998"
    } else {
        b"9999"
    };
    assert_eq!(verify(&mut c, wrong), 0x63c2);
    assert_eq!(verify(&mut c, wrong), 0x63c1);
    assert_eq!(verify(&mut c, wrong), 0x63c0);
    assert_eq!(
        verify(&mut c, pins.authentication.expose_secret()),
        sw::BLOCKED
    );
    assert_eq!(verify(&mut c, b""), 0x63c0);
    assert_eq!(c.tries().authentication_pin_tries, 0);
    // The failed attempt also ended the verified state: the key stays shut.
    assert_eq!(select(&mut c, EF_AUTH_KEY), sw::OK);
    assert_eq!(
        sw_of(&sign(&mut c, &digest_info(b"x"))),
        sw::SECURITY_NOT_SATISFIED
    );
    // Signature: 5 tries, independent of the other.
    assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
    for left in (0..5u16).rev() {
        assert_eq!(verify(&mut c, b"WRONG0"), 0x63c0 | left);
    }
    assert_eq!(verify(&mut c, pins.signature.expose_secret()), sw::BLOCKED);
    // Huge garbage on a blocked PIN is still refused, not counted.
    assert_eq!(verify(&mut c, &[0xff; 200]), sw::BLOCKED);
    assert_eq!(
        c.tries(),
        CardState {
            signature_pin_tries: 0,
            authentication_pin_tries: 0
        }
    );
}

#[test]
fn a_locked_pin_stays_locked_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    init(
        tmp.path(),
        &[CardSpec::default_taro()],
        datetime!(2026-12-01 00:00 UTC),
    )
    .unwrap();
    let dir = tmp.path().join("taro");
    let pins = SimProfile::load_card(&dir).unwrap().pins;
    {
        let mut c = JpkiCard::load(&dir, Device::Card).unwrap();
        assert_eq!(select_ap(&mut c), sw::OK);
        assert_eq!(select(&mut c, EF_AUTH_PIN), sw::OK);
        for _ in 0..3 {
            verify(&mut c, b"12345");
        }
        assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
        assert_eq!(verify(&mut c, b"WRONG0"), 0x63c4);
    }
    assert_eq!(
        CardState::read(&dir).unwrap(),
        CardState {
            signature_pin_tries: 4,
            authentication_pin_tries: 0
        }
    );
    let mut c = JpkiCard::load(&dir, Device::Card).unwrap();
    assert_eq!(select_ap(&mut c), sw::OK);
    assert_eq!(select(&mut c, EF_AUTH_PIN), sw::OK);
    assert_eq!(
        verify(&mut c, pins.authentication.expose_secret()),
        sw::BLOCKED
    );
    assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
    assert_eq!(verify(&mut c, b""), 0x63c4);
    assert_eq!(verify(&mut c, pins.signature.expose_secret()), sw::OK);
    assert_eq!(CardState::read(&dir).unwrap().signature_pin_tries, 5);
    // A tampered state file is refused, not trusted.
    std::fs::write(
        dir.join("card-state.json"),
        br#"{"signature_pin_tries":9,"authentication_pin_tries":3}"#,
    )
    .unwrap();
    assert!(JpkiCard::load(&dir, Device::Card).is_err());
}

#[test]
fn bad_huge_and_truncated_apdus_get_an_error_status_never_a_panic() {
    let mut c = card();
    assert_eq!(select_ap(&mut c), sw::OK);
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x00, 0xa4, 0x04],
        vec![0x00, 0xa4, 0x04, 0x0c, 0x0a, 0xd3],
        vec![0x00, 0xa4, 0x02, 0x0c, 0x03, 0, 1, 2],
        vec![0x00, 0xa4, 0x02, 0x0c, 0x01, 0],
        vec![0x00, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x00],
        vec![0x00; 70_000],
        vec![0xff; 300],
    ];
    // Every single-byte truncation of real commands, and a pseudo-random spray.
    let real = [
        [&[0x00u8, 0xa4, 0x04, 0x0c, 0x0a][..], &JPKI_AP_AID].concat(),
        vec![0x80, 0x2a, 0x00, 0x80, 0x33],
        vec![0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4'],
    ];
    for r in &real {
        for n in 0..r.len() {
            cases.push(r[..n].to_vec());
        }
    }
    let mut x: u32 = 0x1234_5678;
    for _ in 0..2000 {
        let mut v = Vec::new();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let len = (x % 40) as usize;
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v.push((x & 0xff) as u8);
        }
        cases.push(v);
    }
    for apdu in &cases {
        let r = c.process(apdu);
        assert!(r.len() >= 2, "{apdu:02x?}");
        let s = sw_of(&r);
        assert!(
            s == sw::OK || (0x6000..0x7000).contains(&s),
            "{apdu:02x?} -> {s:04x}"
        );
    }
}

#[test]
fn the_phone_signs_with_both_of_its_keys_after_their_pins_and_counts_wrong_ones() {
    let tmp = tempfile::tempdir().unwrap();
    init(
        tmp.path(),
        &[CardSpec::default_taro()],
        datetime!(2026-12-01 00:00 UTC),
    )
    .unwrap();
    let dir = tmp.path().join("taro");
    let pins = SimProfile::load_phone(&dir).unwrap().pins;
    let card_cert = SimProfile::load_card(&dir).unwrap().sign_cert;
    let mut phone = SimulatedPhone::load(&dir).unwrap();
    assert_ne!(phone.signature_certificate(), card_cert.as_slice());
    let crypto = default_provider();
    assert_eq!(phone.sign_pkcs1v15(b"n"), Err(PhoneError::NotUnlocked));
    assert_eq!(
        phone.unlock(PinRef::Signature, &Pin::parse("WRONG0").unwrap()),
        Err(PhoneError::WrongPin { tries_left: 4 })
    );
    phone.unlock(PinRef::Signature, &pins.signature).unwrap();
    let sig = phone.sign_pkcs1v15(b"nonce").unwrap();
    let key = public_key_of(phone.signature_certificate());
    assert_eq!(&key, phone.public_key());
    crypto
        .verify_rsa_pkcs1v15(&key, HashAlg::Sha256, b"nonce", &sig)
        .unwrap();
    assert_eq!(
        phone.authentication_key().sign_pkcs1v15(b"n"),
        Err(PhoneError::NotUnlocked)
    );
    phone
        .unlock(PinRef::Authentication, &pins.authentication)
        .unwrap();
    let auth_cert = phone.authentication_certificate().to_vec();
    let sig = phone.authentication_key().sign_pkcs1v15(b"nonce").unwrap();
    crypto
        .verify_rsa_pkcs1v15(&public_key_of(&auth_cert), HashAlg::Sha256, b"nonce", &sig)
        .unwrap();
    assert_eq!(phone.ap().tries(), CardState::default());
    // The phone's AP: GP-SE token, and its authentication certificate needs the PIN.
    let mut ap = JpkiCard::in_memory(SimProfile::load_phone(&dir).unwrap());
    assert_eq!(select_ap(&mut ap), sw::OK);
    assert_eq!(select(&mut ap, EF_TOKEN), sw::OK);
    assert_eq!(
        &ap.process(&[0x00, 0xb0, 0, 0, 15])[..15],
        b"JPKIAPGPSETOKEN"
    );
    assert_eq!(select(&mut ap, EF_AUTH_CERT), sw::OK);
    assert_eq!(read_all(&mut ap), Err(sw::SECURITY_NOT_SATISFIED));
    // Lock-out on the phone too.
    for _ in 0..3 {
        let _ = phone.unlock(PinRef::Authentication, &Pin::parse("00000").unwrap());
    }
    assert_eq!(
        phone.unlock(PinRef::Authentication, &pins.authentication),
        Err(PhoneError::Blocked)
    );
    assert_eq!(
        CardState::read(&dir.join("phone"))
            .unwrap()
            .authentication_pin_tries,
        0
    );
}

#[test]
fn a_jpki_sim_generated_in_memory_serves_a_card_without_files() {
    let sim =
        crate::jpki_sim::generate(&[CardSpec::default_taro()], datetime!(2026-12-01 00:00 UTC))
            .unwrap();
    assert!(sim.sign_crl.starts_with(&[0x30]));
    let person = sim.people.into_iter().next().unwrap();
    assert_eq!(person.name, "taro");
    assert_eq!(person.card.sign_ca_cert, sim.sign_ca.cert_der());
    let pin = Pin::from_bytes(person.card.pins.signature.expose_secret()).unwrap();
    let mut c = JpkiCard::in_memory(person.card);
    assert_eq!(select_ap(&mut c), sw::OK);
    assert_eq!(select(&mut c, EF_SIGN_PIN), sw::OK);
    assert_eq!(verify(&mut c, pin.expose_secret()), sw::OK);
    assert_eq!(select(&mut c, EF_SIGN_CERT), sw::OK);
    assert_eq!(read_all(&mut c).unwrap(), c.profile().sign_cert);
    assert_eq!(select(&mut c, EF_SIGN_KEY), sw::OK);
    let r = sign(&mut c, &digest_info(b"demo"));
    default_provider()
        .verify_rsa_pkcs1v15(
            &public_key_of(&c.profile().sign_cert),
            HashAlg::Sha256,
            b"demo",
            &r[..256],
        )
        .unwrap();
    let mut phone = SimulatedPhone::from_ap(JpkiCard::in_memory(person.phone));
    assert_eq!(phone.ap().tries(), CardState::default());
    assert_eq!(phone.sign_pkcs1v15(b"x"), Err(PhoneError::NotUnlocked));
}
