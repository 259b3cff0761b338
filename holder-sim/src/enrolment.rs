//! The holder's side of a JPKI enrolment (docs/profiles/jpki-enrolment.md), sans-IO: it turns
//! the issuer's nonce offer into the enrolment request body, and the issuer's answer into
//! credentials in the wallet. The caller moves the bytes (over HTTP) and supplies the two JPKI
//! signers: a My Number card in a reader (after its PINs) or the simulated phone's keys.
//!
//! Every device key is fresh: one per credential of each batch, plus the device's own key, so no
//! two credentials share a key (single use, unlinkable presentations). The card's two
//! signatures cover all of them ([`kakunin_core::enrolment::enrolment_challenge`]), and each key
//! proves possession of itself over the nonce.

use crate::store::CredentialStore;
use crate::wallet::WalletError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use kakunin_core::crypto::{CryptoError, CryptoProvider, Curve, EcPrivateKey, RsaSigner};
use kakunin_core::enrolment::{
    device_pop_message, enrolment_challenge, jwk_thumbprint, EnrolmentFormatError, NONCE_LEN,
};
use kakunin_core::sdjwt::key_to_jwk;
use serde_json::{json, Value};

/// Most credentials of one format a single enrolment asks for (the issuer's own cap).
pub const MAX_BATCH: usize = 32;
/// Largest issuer answer accepted (a 32 + 32 batch of PID credentials is well under 1 MiB).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Largest nonce offer accepted.
pub const MAX_OFFER_BYTES: usize = 4096;

/// Why an enrolment could not be prepared or stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolmentError {
    /// The issuer's nonce offer or answer is not what docs/profiles/jpki-enrolment.md says.
    #[error("issuer {what} is malformed: {detail}")]
    MalformedIssuerMessage {
        /// `nonce offer` or `enrolment answer`.
        what: &'static str,
        /// Which field (fixed text, never issuer text).
        detail: &'static str,
    },
    /// The issuer's message is over its size cap.
    #[error("issuer {what} is {len} bytes, over the {cap}-byte cap")]
    TooLarge {
        /// Which message.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The cap.
        cap: usize,
    },
    /// A batch size of zero or over [`MAX_BATCH`].
    #[error("batch of {0} credentials (1 to 32 allowed)")]
    BatchSize(usize),
    /// The challenge could not be formed from the offer.
    #[error(transparent)]
    Format(#[from] EnrolmentFormatError),
    /// Key generation or a device-key signature failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The card (or phone) did not sign; its error, as it prints itself.
    #[error("the {key} key did not sign: {error}")]
    JpkiSigner {
        /// `signature` or `authentication`.
        key: &'static str,
        /// The signer's error.
        error: String,
    },
    /// The issuer answered with a different number of credentials than keys were sent.
    #[error("issuer returned {got} {format} credentials for {sent} keys")]
    CountMismatch {
        /// `mdoc` or `sd_jwt_vc`.
        format: &'static str,
        /// Keys sent.
        sent: usize,
        /// Credentials received.
        got: usize,
    },
    /// Storing a credential failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The card refused or failed (a wrong PIN carries the tries left; never retried).
    #[error("card ({key} key): {error}")]
    Card {
        /// `signature` or `authentication`.
        key: &'static str,
        /// The card's answer.
        error: kakunin_jpki::JpkiError,
    },
    /// A certificate read from the card is not a JPKI certificate of its kind.
    #[error("the card's {key} certificate is not a JPKI {key} certificate")]
    CardCertificate {
        /// `signature` or `authentication`.
        key: &'static str,
    },
}

impl EnrolmentError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        use kakunin_core::Cause;
        match self {
            EnrolmentError::MalformedIssuerMessage { .. }
            | EnrolmentError::TooLarge { .. }
            | EnrolmentError::CountMismatch { .. } => Cause::Malformed,
            EnrolmentError::Format(e) => e.cause(),
            EnrolmentError::Crypto(e) => e.cause(),
            EnrolmentError::Wallet(e) => e.cause(),
            EnrolmentError::Card { error, .. } => error.cause(),
            EnrolmentError::CardCertificate { .. } => Cause::Malformed,
            _ => Cause::Misuse,
        }
    }
}

/// What the issuer offered: a single-use nonce bound to the issuer's identifier.
#[derive(Debug, Clone)]
pub struct NonceOffer {
    /// The nonce, [`NONCE_LEN`] bytes.
    pub nonce: Vec<u8>,
    /// The issuer identifier the challenge binds.
    pub issuer: String,
    /// When the nonce expires (Unix seconds).
    pub expires_at: i64,
}

impl NonceOffer {
    /// Parse the body of `POST /enrol/nonce`.
    pub fn parse(body: &[u8]) -> Result<Self, EnrolmentError> {
        const WHAT: &str = "nonce offer";
        let bad = |detail| EnrolmentError::MalformedIssuerMessage { what: WHAT, detail };
        if body.len() > MAX_OFFER_BYTES {
            return Err(EnrolmentError::TooLarge {
                what: WHAT,
                len: body.len(),
                cap: MAX_OFFER_BYTES,
            });
        }
        let v: Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
        let nonce = v
            .get("nonce")
            .and_then(Value::as_str)
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .filter(|n| n.len() == NONCE_LEN)
            .ok_or(bad("nonce"))?;
        let issuer = v
            .get("issuer")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 1024)
            .ok_or(bad("issuer"))?
            .to_owned();
        let expires_at = v
            .get("expires_at")
            .and_then(Value::as_i64)
            .ok_or(bad("expires_at"))?;
        Ok(NonceOffer {
            nonce,
            issuer,
            expires_at,
        })
    }
}

/// The fresh device keys of one enrolment. Keys are zeroized when this is dropped; after a
/// successful [`store_answer`] they live on only in the wallet.
pub struct EnrolmentKeys {
    device: EcPrivateKey,
    mdoc: Vec<EcPrivateKey>,
    sd_jwt: Vec<EcPrivateKey>,
}

impl core::fmt::Debug for EnrolmentKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnrolmentKeys")
            .field("mdoc", &self.mdoc.len())
            .field("sd_jwt", &self.sd_jwt.len())
            .finish_non_exhaustive()
    }
}

impl EnrolmentKeys {
    /// A device key and `mdoc` + `sd_jwt` credential keys, all P-256, all fresh.
    pub fn generate(
        crypto: &dyn CryptoProvider,
        mdoc: usize,
        sd_jwt: usize,
    ) -> Result<Self, EnrolmentError> {
        for n in [mdoc, sd_jwt] {
            if !(1..=MAX_BATCH).contains(&n) {
                return Err(EnrolmentError::BatchSize(n));
            }
        }
        // Each key pair is made whole here: its public key derived (and remembered by the
        // key) at generation, before any nonce is asked for, not while the issuer's nonce
        // is waiting to be answered.
        let pair = || -> Result<EcPrivateKey, CryptoError> {
            let key = crypto.generate_key(Curve::P256)?;
            crypto.public_key(&key)?;
            Ok(key)
        };
        let gen = |n: usize| -> Result<Vec<EcPrivateKey>, CryptoError> {
            (0..n).map(|_| pair()).collect()
        };
        Ok(EnrolmentKeys {
            device: pair()?,
            mdoc: gen(mdoc)?,
            sd_jwt: gen(sd_jwt)?,
        })
    }

    fn all(&self) -> impl Iterator<Item = &EcPrivateKey> {
        std::iter::once(&self.device)
            .chain(self.mdoc.iter())
            .chain(self.sd_jwt.iter())
    }
}

/// The two JPKI certificates the request carries, DER.
#[derive(Clone, Copy)]
pub struct JpkiCertificates<'a> {
    /// The signature certificate (署名用電子証明書, EF 0001).
    pub signature: &'a [u8],
    /// The user-authentication certificate (利用者証明用電子証明書, EF 000A).
    pub authentication: &'a [u8],
}

/// An enrolment request waiting for the two JPKI signatures: the device keys' entries (each
/// with its proof of possession) and the challenge both card keys must sign. Splitting the
/// request in two lets one card sign with both of its keys in turn.
#[derive(Debug)]
pub struct PreparedEnrolment {
    nonce: Vec<u8>,
    challenge: Vec<u8>,
    device: Value,
    mdoc: Vec<Value>,
    sd_jwt: Vec<Value>,
}

/// Prove possession of every device key over the offer's nonce and form the enrolment
/// challenge over their thumbprints (device key, mdoc keys, SD-JWT keys, in that order).
pub fn prepare(
    crypto: &dyn CryptoProvider,
    offer: &NonceOffer,
    keys: &EnrolmentKeys,
) -> Result<PreparedEnrolment, EnrolmentError> {
    let mut thumbprints = Vec::new();
    let mut entries = Vec::new();
    for key in keys.all() {
        let public = crypto.public_key(key)?;
        let thumbprint = jwk_thumbprint(crypto, &public);
        let pop = crypto.sign_ecdsa(
            key,
            kakunin_core::crypto::HashAlg::Sha256,
            &device_pop_message(&offer.nonce, &thumbprint)?,
        )?;
        thumbprints.push(thumbprint);
        entries.push(json!({"key": key_to_jwk(&public), "pop": URL_SAFE_NO_PAD.encode(pop)}));
    }
    let challenge = enrolment_challenge(&offer.issuer, &offer.nonce, &thumbprints)?;
    let mut entries = entries.into_iter();
    let device = entries.next().unwrap_or(Value::Null);
    let mdoc: Vec<Value> = entries.by_ref().take(keys.mdoc.len()).collect();
    Ok(PreparedEnrolment {
        nonce: offer.nonce.clone(),
        challenge,
        device,
        mdoc,
        sd_jwt: entries.collect(),
    })
}

impl PreparedEnrolment {
    /// The bytes both JPKI keys sign (RSASSA-PKCS1-v1_5, SHA-256).
    pub fn challenge(&self) -> &[u8] {
        &self.challenge
    }

    /// The body of `POST /enrol`, with the certificates and both signatures over
    /// [`PreparedEnrolment::challenge`].
    pub fn into_request(
        self,
        certificates: JpkiCertificates<'_>,
        signature: &[u8],
        authentication_signature: &[u8],
        device_label: Option<&str>,
    ) -> Result<Vec<u8>, EnrolmentError> {
        let mut device = self.device;
        if let (Some(label), Some(obj)) = (device_label, device.as_object_mut()) {
            obj.insert("label".into(), Value::from(label));
        }
        let body = json!({
            "nonce": URL_SAFE_NO_PAD.encode(&self.nonce),
            "signature_certificate": STANDARD.encode(certificates.signature),
            "signature": URL_SAFE_NO_PAD.encode(signature),
            "authentication_certificate": STANDARD.encode(certificates.authentication),
            "authentication_signature": URL_SAFE_NO_PAD.encode(authentication_signature),
            "device": device,
            "mdoc_keys": self.mdoc,
            "sd_jwt_keys": self.sd_jwt,
        });
        serde_json::to_vec(&body).map_err(|_| EnrolmentError::MalformedIssuerMessage {
            what: "enrolment request",
            detail: "could not serialise",
        })
    }
}

/// Sign a prepared enrolment with a My Number card (or smartphone JPKI) over its APDU seam:
/// SELECT the JPKI-AP, VERIFY the authentication PIN and read the authentication certificate,
/// VERIFY the signature PIN and read the signature certificate, then sign the challenge with
/// each key. Each PIN is presented once; a wrong or locked PIN stops here with the card's
/// answer ([`kakunin_jpki::JpkiError::WrongPin`] with the tries left), never retried.
pub fn sign_with_card<T: kakunin_core::card::Transceive>(
    crypto: &dyn CryptoProvider,
    card: &mut kakunin_jpki::client::JpkiCard<T>,
    signature_pin: kakunin_jpki::pin::SignaturePin,
    authentication_pin: kakunin_jpki::pin::AuthenticationPin,
    prepared: PreparedEnrolment,
    device_label: Option<&str>,
) -> Result<Vec<u8>, EnrolmentError> {
    use kakunin_jpki::apdu::Ef;
    use kakunin_jpki::client::CardSigner;
    use kakunin_jpki::pin::Pin;
    use kakunin_jpki::KeyKind;
    let jpki = |key: &'static str| {
        move |e: kakunin_jpki::JpkiError| EnrolmentError::Card { key, error: e }
    };
    card.select_jpki_ap().map_err(jpki("authentication"))?;
    card.verify_pin(&Pin::from(authentication_pin))
        .map_err(jpki("authentication"))?;
    let auth_cert = card
        .read_certificate(Ef::AuthenticationCertificate)
        .map_err(jpki("authentication"))?;
    card.verify_pin(&Pin::from(signature_pin))
        .map_err(jpki("signature"))?;
    let sign_cert = card
        .read_certificate(Ef::SignatureCertificate)
        .map_err(jpki("signature"))?;
    let sign_public = kakunin_jpki::SignatureCertificate::parse(&sign_cert)
        .map_err(|_| EnrolmentError::CardCertificate { key: "signature" })?
        .info
        .public_key;
    let auth_public = kakunin_jpki::AuthenticationCertificate::parse(&auth_cert)
        .map_err(|_| EnrolmentError::CardCertificate {
            key: "authentication",
        })?
        .info
        .public_key;
    let signature = CardSigner::new(card, KeyKind::Signature, sign_public, crypto)
        .sign_pkcs1v15(prepared.challenge())
        .map_err(jpki("signature"))?;
    let authentication_signature =
        CardSigner::new(card, KeyKind::Authentication, auth_public, crypto)
            .sign_pkcs1v15(prepared.challenge())
            .map_err(jpki("authentication"))?;
    prepared.into_request(
        JpkiCertificates {
            signature: &sign_cert,
            authentication: &auth_cert,
        },
        &signature,
        &authentication_signature,
        device_label,
    )
}

/// Sign a prepared enrolment with the simulated phone's smartphone JPKI (no card): unlock
/// each key with its PIN, sign the challenge with each.
pub fn sign_with_phone(
    phone: &mut crate::jpki_card::SimulatedPhone,
    signature_pin: &kakunin_core::secret::Pin,
    authentication_pin: &kakunin_core::secret::Pin,
    prepared: PreparedEnrolment,
    device_label: Option<&str>,
) -> Result<Vec<u8>, EnrolmentError> {
    use crate::jpki_card::PinRef;
    let phone_err = |key: &'static str| {
        move |e: crate::jpki_card::PhoneError| EnrolmentError::JpkiSigner {
            key,
            error: e.to_string(),
        }
    };
    phone
        .unlock(PinRef::Authentication, authentication_pin)
        .map_err(phone_err("authentication"))?;
    phone
        .unlock(PinRef::Signature, signature_pin)
        .map_err(phone_err("signature"))?;
    let signature = phone
        .sign_pkcs1v15(prepared.challenge())
        .map_err(phone_err("signature"))?;
    let authentication_signature = phone
        .authentication_key()
        .sign_pkcs1v15(prepared.challenge())
        .map_err(phone_err("authentication"))?;
    let sign_cert = phone.signature_certificate().to_vec();
    let auth_cert = phone.authentication_certificate().to_vec();
    prepared.into_request(
        JpkiCertificates {
            signature: &sign_cert,
            authentication: &auth_cert,
        },
        &signature,
        &authentication_signature,
        device_label,
    )
}

/// What the issuer said about the enrolment, and where the credentials went.
#[derive(Debug, Clone)]
pub struct EnrolmentOutcome {
    /// The issuer's pairwise identifier of the person.
    pub person: String,
    /// The issuer's identifier of this device.
    pub device: String,
    /// The wallet ids of the stored mdocs.
    pub mdoc_ids: Vec<String>,
    /// The wallet ids of the stored SD-JWT VCs.
    pub sd_jwt_ids: Vec<String>,
}

/// Store the credentials of the issuer's answer (the 201 body of `POST /enrol`) in `store`, each
/// with the device key it was issued to, under ids `<prefix>-mdoc-<n>` / `<prefix>-sdjwt-<n>`.
pub fn store_answer(
    store: &dyn CredentialStore,
    keys: EnrolmentKeys,
    answer: &[u8],
    prefix: &str,
) -> Result<EnrolmentOutcome, EnrolmentError> {
    const WHAT: &str = "enrolment answer";
    let bad = |detail| EnrolmentError::MalformedIssuerMessage { what: WHAT, detail };
    if answer.len() > MAX_RESPONSE_BYTES {
        return Err(EnrolmentError::TooLarge {
            what: WHAT,
            len: answer.len(),
            cap: MAX_RESPONSE_BYTES,
        });
    }
    let v: Value = serde_json::from_slice(answer).map_err(|_| bad("not JSON"))?;
    let text = |k: &'static str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .map(str::to_owned)
            .ok_or(bad(k))
    };
    let person = text("person")?;
    let device = text("device")?;
    let list = |k: &'static str| v.get(k).and_then(Value::as_array).ok_or(bad(k));
    let mdocs = list("mdoc")?;
    let sd_jwts = list("sd_jwt_vc")?;
    for (format, sent, got) in [
        ("mdoc", keys.mdoc.len(), mdocs.len()),
        ("sd_jwt_vc", keys.sd_jwt.len(), sd_jwts.len()),
    ] {
        if sent != got {
            return Err(EnrolmentError::CountMismatch { format, sent, got });
        }
    }
    // Decode everything before storing anything, so a bad answer leaves the wallet untouched.
    let mut decoded_mdocs = Vec::with_capacity(mdocs.len());
    for m in mdocs {
        let doc_type = m
            .get("doc_type")
            .and_then(Value::as_str)
            .ok_or(bad("mdoc doc_type"))?;
        let issuer_signed = m
            .get("issuer_signed")
            .and_then(Value::as_str)
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or(bad("mdoc issuer_signed"))?;
        decoded_mdocs.push((doc_type, issuer_signed));
    }
    let mut decoded_sd_jwts = Vec::with_capacity(sd_jwts.len());
    for s in sd_jwts {
        let vct = s.get("vct").and_then(Value::as_str).ok_or(bad("vct"))?;
        // docs/profiles/jpki-enrolment.md: the SD-JWT VC (with every disclosure) is `sd_jwt`.
        let credential = s
            .get("sd_jwt")
            .and_then(Value::as_str)
            .ok_or(bad("sd_jwt_vc sd_jwt"))?;
        decoded_sd_jwts.push((vct, credential));
    }
    let mut outcome = EnrolmentOutcome {
        person,
        device,
        mdoc_ids: Vec::new(),
        sd_jwt_ids: Vec::new(),
    };
    for (n, ((doc_type, issuer_signed), key)) in decoded_mdocs.iter().zip(&keys.mdoc).enumerate() {
        let id = format!("{prefix}-mdoc-{n}");
        store.store(&id, doc_type, issuer_signed, key)?;
        outcome.mdoc_ids.push(id);
    }
    for (n, ((vct, credential), key)) in decoded_sd_jwts.iter().zip(&keys.sd_jwt).enumerate() {
        let id = format!("{prefix}-sdjwt-{n}");
        store.store_sd_jwt(&id, vct, credential, key)?;
        outcome.sd_jwt_ids.push(id);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use kakunin_core::crypto::{default_provider, HashAlg};
    use kakunin_core::sdjwt::jwk_to_key;

    fn offer() -> NonceOffer {
        let body = json!({"nonce": URL_SAFE_NO_PAD.encode([5u8; 32]), "issuer": "https://issuer.test", "expires_at": 99});
        NonceOffer::parse(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn request_binds_every_key_and_each_key_proves_itself() {
        let crypto = default_provider();
        let keys = EnrolmentKeys::generate(crypto, 3, 2).unwrap();
        let offer = offer();
        let prepared = prepare(crypto, &offer, &keys).unwrap();
        // Stand-in signatures: the challenge itself, so the test sees exactly what was bound.
        let challenge = prepared.challenge().to_vec();
        let body = prepared
            .into_request(
                JpkiCertificates {
                    signature: b"sign-cert",
                    authentication: b"auth-cert",
                },
                &challenge,
                &challenge,
                Some("test phone"),
            )
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["device"]["label"], "test phone");
        let mut entries = vec![v["device"].clone()];
        entries.extend(v["mdoc_keys"].as_array().unwrap().iter().cloned());
        entries.extend(v["sd_jwt_keys"].as_array().unwrap().iter().cloned());
        assert_eq!(entries.len(), 6);
        let mut thumbprints = Vec::new();
        for e in &entries {
            let key = jwk_to_key(&e["key"]).unwrap();
            let t = jwk_thumbprint(crypto, &key);
            let pop = URL_SAFE_NO_PAD.decode(e["pop"].as_str().unwrap()).unwrap();
            crypto
                .verify_ecdsa(
                    &key,
                    HashAlg::Sha256,
                    &device_pop_message(&offer.nonce, &t).unwrap(),
                    &pop,
                )
                .unwrap();
            thumbprints.push(t);
        }
        thumbprints.sort();
        thumbprints.dedup();
        assert_eq!(thumbprints.len(), 6, "every key is distinct");
        // The card signed the challenge over the keys in request order.
        let in_order: Vec<[u8; 32]> = entries
            .iter()
            .map(|e| jwk_thumbprint(crypto, &jwk_to_key(&e["key"]).unwrap()))
            .collect();
        let expected = enrolment_challenge(&offer.issuer, &offer.nonce, &in_order).unwrap();
        for field in ["signature", "authentication_signature"] {
            let signed = URL_SAFE_NO_PAD.decode(v[field].as_str().unwrap()).unwrap();
            assert_eq!(signed, expected, "{field}");
        }
        assert_eq!(
            STANDARD
                .decode(v["signature_certificate"].as_str().unwrap())
                .unwrap(),
            b"sign-cert"
        );
    }

    #[test]
    fn bad_offers_and_batch_sizes_are_typed_errors() {
        assert!(matches!(
            NonceOffer::parse(b"{\"nonce\":\"AAAA\",\"issuer\":\"x\",\"expires_at\":1}"),
            Err(EnrolmentError::MalformedIssuerMessage {
                detail: "nonce",
                ..
            })
        ));
        assert!(matches!(
            NonceOffer::parse(&vec![b' '; MAX_OFFER_BYTES + 1]),
            Err(EnrolmentError::TooLarge { .. })
        ));
        let crypto = default_provider();
        assert!(matches!(
            EnrolmentKeys::generate(crypto, 0, 1),
            Err(EnrolmentError::BatchSize(0))
        ));
        assert!(matches!(
            EnrolmentKeys::generate(crypto, 1, 33),
            Err(EnrolmentError::BatchSize(33))
        ));
    }

    #[test]
    fn a_short_answer_stores_nothing() {
        let crypto = default_provider();
        let keys = EnrolmentKeys::generate(crypto, 2, 1).unwrap();
        let store = MemoryStore::new();
        let answer = json!({"person": "p", "device": "d",
            "mdoc": [{"doc_type": "x", "issuer_signed": "AA"}],
            "sd_jwt_vc": [{"vct": "v", "sd_jwt": "c~"}]});
        let err = store_answer(&store, keys, answer.to_string().as_bytes(), "e").unwrap_err();
        assert!(matches!(
            err,
            EnrolmentError::CountMismatch {
                format: "mdoc",
                sent: 2,
                got: 1
            }
        ));
        assert!(store.list().unwrap().is_empty());
    }
}
