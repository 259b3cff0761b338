//! ISO/IEC 18013-5:2021 Annex D: the data and one check per cross-verification.
//!
//! Annex D describes one NFC-engaged transaction (D.3–D.5). Its certificates expired in
//! 2021, so every time-dependent check runs at [`VERIFICATION_TIME`], inside their validity.

use crate::{err, CheckResult, Runner, VectorCheck};
use kakunin_core::cbor;
use kakunin_core::cose::{Mac0, Sign1};
use kakunin_core::crypto::{default_provider, hazmat, Curve, EcPrivateKey, EcPublicKey, HashAlg};
use kakunin_core::mdoc::{
    device_authentication_bytes, reader_authentication_bytes, DeviceEngagement, DeviceRequest,
    DeviceResponse, MobileSecurityObject, SessionTranscript,
};
use kakunin_core::session::{
    derive_emac_key, derive_session_keys, Role, SessionCipher, SessionData, SessionEstablishment,
};
use kakunin_core::trust::{validate_chain, CertProfile, TrustAnchors};
use kakunin_verifier::{Check, Outcome, Verifier};
use time::macros::datetime;
use time::OffsetDateTime;

/// The pinned verification time (nl-wallet uses the same), inside every Annex D validity.
pub const VERIFICATION_TIME: OffsetDateTime = datetime!(2021-01-01 00:00:00 UTC);

macro_rules! files {
    ($($name:literal),* $(,)?) => {
        /// Every Annex D hex file, by name (without `.hex`).
        pub const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../data/annex-d/", $name, ".hex")))),*
        ];
    };
}

files!(
    "derived_ble_ident",
    "derived_session_transcript_bytes_sha256",
    "device_auth",
    "device_authentication_bytes",
    "device_engagement_bytes_nfc",
    "device_engagement_nfc",
    "device_engagement_qr",
    "device_mac_structure",
    "device_mac_tag",
    "device_request",
    "device_response",
    "device_signed",
    "ds_cert.der",
    "e_device_key_bytes",
    "e_device_key_priv_d",
    "e_device_key_pub_x",
    "e_device_key_pub_y",
    "e_reader_key_bytes",
    "e_reader_key_priv_d",
    "e_reader_key_pub_x",
    "e_reader_key_pub_y",
    "emac_key",
    "emac_key_zab",
    "handover_request",
    "handover_select",
    "iaca_cert.der",
    "issuer_auth",
    "issuer_auth_sig_structure",
    "issuer_signed",
    "issuer_signed_item_00_family_name",
    "issuer_signed_item_03_issue_date",
    "issuer_signed_item_04_expiry_date",
    "issuer_signed_item_07_document_number",
    "issuer_signed_item_08_portrait",
    "issuer_signed_item_09_driving_privileges",
    "items_request",
    "items_request_bytes",
    "mobile_security_object_bytes",
    "nfc_handover",
    "portrait.jpg",
    "reader_auth",
    "reader_auth_sig_structure",
    "reader_authentication_bytes",
    "reader_cert.der",
    "reader_root_cert.der",
    "sdevice_key_priv_d",
    "sdevice_key_pub_x",
    "sdevice_key_pub_y",
    "session_data",
    "session_establishment",
    "session_termination",
    "session_transcript",
    "session_transcript_bytes",
    "session_zab",
    "sk_device",
    "sk_reader",
);

/// The QR payload built from D.3.1 (derived, text).
pub const DERIVED_QR_URI: &str =
    include_str!("../data/annex-d/derived_device_engagement_qr_uri.txt");

/// The bytes of an Annex D file, by name (e.g. `device_response`), or why there are none.
pub fn try_bytes(name: &str) -> Result<Vec<u8>, String> {
    let (_, text) = FILES
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("no Annex D file {name}"))?;
    hex::decode(text.trim()).map_err(|_| format!("Annex D file {name} is not hex"))
}

/// The one place a broken embedded vector stops the program. The vectors are constants
/// compiled into this crate and every one is decoded by `every_embedded_vector_decodes`
/// below, so this only fires on a name that is not in [`FILES`]: a typo in the calling test,
/// which should fail loudly where it is.
#[allow(clippy::panic)] // see above: unreachable for the embedded data, a test's typo otherwise
#[track_caller]
fn vector<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// The bytes of an Annex D file, by name (e.g. `device_response`).
///
/// # Panics
/// Only if `name` is not one of [`FILES`] (the embedded hex itself is checked by this
/// crate's tests); [`try_bytes`] returns an error instead.
#[track_caller]
pub fn bytes(name: &str) -> Vec<u8> {
    vector(try_bytes(name))
}

fn p256_pub(prefix: &str) -> EcPublicKey {
    vector(
        EcPublicKey::from_coordinates(
            Curve::P256,
            &bytes(&format!("{prefix}_x")),
            &bytes(&format!("{prefix}_y")),
        )
        .ok_or_else(|| format!("bad key {prefix}")),
    )
}

fn p256_priv(name: &str) -> EcPrivateKey {
    // Annex D publishes the private scalars; loading them is what hazmat is for.
    vector(
        hazmat::private_key_from_scalar(Curve::P256, &bytes(name))
            .ok_or_else(|| format!("bad key {name}")),
    )
}

/// The reader's ephemeral private key (needed to verify the DeviceMac).
///
/// # Panics
/// Never for the embedded data (checked by this crate's tests).
pub fn e_reader_key() -> EcPrivateKey {
    p256_priv("e_reader_key_priv_d")
}

/// The IACA trust anchor.
///
/// # Panics
/// Never for the embedded data (checked by this crate's tests).
pub fn iaca_anchors() -> TrustAnchors {
    vector(TrustAnchors::from_der_certs([bytes("iaca_cert.der")]).map_err(|e| format!("IACA: {e}")))
}

/// The reader-authentication root.
///
/// # Panics
/// Never for the embedded data (checked by this crate's tests).
pub fn reader_anchors() -> TrustAnchors {
    vector(
        TrustAnchors::from_der_certs([bytes("reader_root_cert.der")])
            .map_err(|e| format!("reader root: {e}")),
    )
}

fn same(what: &str, actual: &[u8], expected: &[u8]) -> CheckResult {
    if actual == expected {
        Ok(())
    } else {
        let at = actual
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(actual.len().min(expected.len()));
        Err(format!(
            "{what}: {} bytes differ from the expected {} bytes (first difference at byte {at})",
            actual.len(),
            expected.len()
        ))
    }
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> CheckResult {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn transcript() -> Result<SessionTranscript, String> {
    SessionTranscript::from_bytes(&bytes("session_transcript_bytes"))
        .map_err(err("SessionTranscriptBytes"))
}

/// Run every Annex D check, in document order.
pub fn run_all() -> Vec<VectorCheck> {
    let crypto = default_provider();
    let mut r = Runner { checks: Vec::new() };

    // --- keys ------------------------------------------------------------------------
    for (id, d, p) in [
        (
            "annex-d/keys/e-device-key",
            "e_device_key_priv_d",
            "e_device_key_pub",
        ),
        (
            "annex-d/keys/e-reader-key",
            "e_reader_key_priv_d",
            "e_reader_key_pub",
        ),
        (
            "annex-d/keys/sdevice-key",
            "sdevice_key_priv_d",
            "sdevice_key_pub",
        ),
    ] {
        r.run(
            id,
            "D.3.1/D.5",
            "private scalar d times G equals the published public key",
            || {
                let public = crypto
                    .public_key(&p256_priv(d))
                    .map_err(err("public key"))?;
                same("public key", public.sec1(), p256_pub(p).sec1())
            },
        );
    }

    // --- D.3.1 engagement ---------------------------------------------------------------
    r.run(
        "annex-d/engagement/qr-e-device-key",
        "D.3.1",
        "QR DeviceEngagement carries EDeviceKeyBytes byte-exactly",
        || {
            let de = DeviceEngagement::from_bytes(&bytes("device_engagement_qr"))
                .map_err(err("DeviceEngagement"))?;
            same(
                "EDeviceKeyBytes",
                &de.security.e_device_key_bytes,
                &bytes("e_device_key_bytes"),
            )?;
            same(
                "EDeviceKey",
                de.security.e_device_key.sec1(),
                p256_pub("e_device_key_pub").sec1(),
            )?;
            let ble = de
                .device_retrieval_methods
                .first()
                .ok_or("no retrieval method")?;
            ensure(ble.kind == 2 && ble.version == 1, || {
                "expected one BLE retrieval method, version 1".into()
            })
        },
    );
    r.run(
        "annex-d/engagement/qr-uri",
        "D.3.1",
        "mdoc: URI is base64url (no padding) of the DeviceEngagement",
        || {
            let uri = DERIVED_QR_URI.trim();
            let b64 = uri.strip_prefix("mdoc:").ok_or("no mdoc: prefix")?;
            let decoded = base64url_decode(b64).ok_or("not base64url")?;
            same("engagement", &decoded, &bytes("device_engagement_qr"))
        },
    );
    r.run(
        "annex-d/engagement/nfc-e-device-key",
        "D.5.1",
        "NFC DeviceEngagement carries the same EDeviceKeyBytes",
        || {
            let de = DeviceEngagement::from_tagged(&bytes("device_engagement_bytes_nfc"))
                .map_err(err("DeviceEngagementBytes"))?;
            same(
                "EDeviceKeyBytes",
                &de.security.e_device_key_bytes,
                &bytes("e_device_key_bytes"),
            )?;
            same(
                "DeviceEngagement",
                de.raw(),
                &bytes("device_engagement_nfc"),
            )
        },
    );
    r.run(
        "annex-d/engagement/ble-ident",
        "8.3.3.1.1",
        "BLE Ident = HKDF(EDeviceKeyBytes, \"BLEIdent\") (derived)",
        || {
            let mut ident = [0u8; 16];
            crypto
                .hkdf_sha256(&bytes("e_device_key_bytes"), &[], b"BLEIdent", &mut ident)
                .map_err(err("HKDF"))?;
            same("Ident", &ident, &bytes("derived_ble_ident"))
        },
    );

    // --- D.5.1 session ------------------------------------------------------------------
    r.run(
        "annex-d/session/transcript",
        "D.5.1",
        "SessionTranscript = [DeviceEngagementBytes, EReaderKeyBytes, [HS, HR]]",
        || {
            let t = transcript()?;
            same(
                "bare transcript",
                t.bare_bytes(),
                &bytes("session_transcript"),
            )?;
            same(
                "DeviceEngagementBytes",
                &t.device_engagement_bytes().map_err(err("transcript"))?,
                &bytes("device_engagement_bytes_nfc"),
            )?;
            same(
                "EReaderKeyBytes",
                &t.e_reader_key_bytes().map_err(err("transcript"))?,
                &bytes("e_reader_key_bytes"),
            )?;
            same(
                "Handover",
                &t.handover_bytes().map_err(err("transcript"))?,
                &bytes("nfc_handover"),
            )?;
            let rebuilt = SessionTranscript::build(
                &bytes("device_engagement_bytes_nfc"),
                &bytes("e_reader_key_bytes"),
                &bytes("nfc_handover"),
            );
            same(
                "rebuilt SessionTranscriptBytes",
                rebuilt.tagged_bytes(),
                &bytes("session_transcript_bytes"),
            )?;
            let bare = SessionTranscript::from_bytes(&bytes("session_transcript"))
                .map_err(err("bare transcript"))?;
            same(
                "tag-24 wrapping of the bare transcript",
                bare.tagged_bytes(),
                &bytes("session_transcript_bytes"),
            )
        },
    );
    r.run(
        "annex-d/session/salt",
        "D.5.1",
        "HKDF salt = SHA-256(SessionTranscriptBytes), tag 24 included",
        || {
            let salt = crypto.hash(HashAlg::Sha256, transcript()?.tagged_bytes());
            same(
                "salt",
                &salt,
                &bytes("derived_session_transcript_bytes_sha256"),
            )
        },
    );
    r.run(
        "annex-d/session/zab",
        "D.5.1",
        "ECDH from either side gives Zab",
        || {
            let a = crypto
                .ecdh(
                    &p256_priv("e_device_key_priv_d"),
                    &p256_pub("e_reader_key_pub"),
                )
                .map_err(err("ECDH"))?;
            let b = crypto
                .ecdh(
                    &p256_priv("e_reader_key_priv_d"),
                    &p256_pub("e_device_key_pub"),
                )
                .map_err(err("ECDH"))?;
            same("mdoc-side Zab", &a, &bytes("session_zab"))?;
            same("reader-side Zab", &b, &bytes("session_zab"))
        },
    );
    r.run(
        "annex-d/session/sk-reader",
        "D.5.1",
        "SKReader = HKDF(Zab, salt, \"SKReader\")",
        || {
            let k = derive_session_keys(
                crypto,
                &e_reader_key(),
                &p256_pub("e_device_key_pub"),
                &transcript()?,
            )
            .map_err(err("derive"))?;
            same(
                "SKReader",
                kakunin_core::session::hazmat::sk_reader(&k),
                &bytes("sk_reader"),
            )
        },
    );
    r.run(
        "annex-d/session/sk-device",
        "D.5.1",
        "SKDevice = HKDF(Zab, salt, \"SKDevice\"), derived on the mdoc side",
        || {
            let k = derive_session_keys(
                crypto,
                &p256_priv("e_device_key_priv_d"),
                &p256_pub("e_reader_key_pub"),
                &transcript()?,
            )
            .map_err(err("derive"))?;
            same(
                "SKDevice",
                kakunin_core::session::hazmat::sk_device(&k),
                &bytes("sk_device"),
            )
        },
    );
    r.run(
        "annex-d/session/establishment",
        "D.5.1",
        "SessionEstablishment decrypts (SKReader, counter 1) to the DeviceRequest",
        || {
            let se = SessionEstablishment::from_bytes(&bytes("session_establishment"))
                .map_err(err("SessionEstablishment"))?;
            same(
                "eReaderKey",
                &se.e_reader_key_bytes,
                &bytes("e_reader_key_bytes"),
            )?;
            let keys = derive_session_keys(
                crypto,
                &p256_priv("e_device_key_priv_d"),
                &p256_pub("e_reader_key_pub"),
                &transcript()?,
            )
            .map_err(err("derive"))?;
            let mut mdoc = SessionCipher::new(keys, Role::Mdoc);
            let request = mdoc.decrypt(crypto, &se.data).map_err(err("decrypt"))?;
            same("DeviceRequest", &request, &bytes("device_request"))?;
            same(
                "re-encoded SessionEstablishment",
                &se.to_bytes(),
                &bytes("session_establishment"),
            )
        },
    );
    r.run("annex-d/session/data", "D.5.1", "SessionData decrypts (SKDevice, counter 1) to the DeviceResponse; re-encryption is identical", || {
        let sd = SessionData::from_bytes(&bytes("session_data")).map_err(err("SessionData"))?;
        let keys = derive_session_keys(crypto, &e_reader_key(), &p256_pub("e_device_key_pub"), &transcript()?).map_err(err("derive"))?;
        // The mdoc derives its own keys from its side of the agreement.
        let mdoc_keys = derive_session_keys(crypto, &p256_priv("e_device_key_priv_d"), &p256_pub("e_reader_key_pub"), &transcript()?).map_err(err("derive"))?;
        let mut reader = SessionCipher::new(keys, Role::Reader);
        let response = reader.decrypt(crypto, sd.data.as_deref().ok_or("no data")?).map_err(err("decrypt"))?;
        same("DeviceResponse", &response, &bytes("device_response"))?;
        let mut mdoc = SessionCipher::new(mdoc_keys, Role::Mdoc);
        let again = mdoc.encrypt(crypto, &response).map_err(err("encrypt"))?;
        let rebuilt = SessionData { data: Some(again), status: None }.to_bytes();
        same("re-encrypted SessionData", &rebuilt, &bytes("session_data"))
    });
    r.run(
        "annex-d/session/termination",
        "D.5.1",
        "SessionData {status: 20} is session termination",
        || {
            let sd = SessionData::from_bytes(&bytes("session_termination"))
                .map_err(err("SessionData"))?;
            ensure(sd.status == Some(20) && sd.data.is_none(), || {
                format!("got {sd:?}")
            })?;
            same(
                "encoding",
                &SessionData {
                    data: None,
                    status: Some(20),
                }
                .to_bytes(),
                &bytes("session_termination"),
            )
        },
    );

    // --- D.4.1.1 request and D.5.4 reader authentication ---------------------------------
    r.run(
        "annex-d/request/items",
        "D.4.1.1",
        "DeviceRequest: one mDL DocRequest, 6 elements, intentToRetain false only for portrait",
        || {
            let req = DeviceRequest::from_bytes(&bytes("device_request"))
                .map_err(err("DeviceRequest"))?;
            let dr = req.doc_requests.first().ok_or("no DocRequest")?;
            same(
                "ItemsRequestBytes",
                &dr.items_request.raw,
                &bytes("items_request_bytes"),
            )?;
            ensure(
                dr.items_request.doc_type == kakunin_core::mdoc::MDL_DOCTYPE,
                || "docType".into(),
            )?;
            ensure(dr.items_request.elements.len() == 6, || {
                format!("{} elements", dr.items_request.elements.len())
            })?;
            for e in &dr.items_request.elements {
                ensure(e.intent_to_retain == (e.element != "portrait"), || {
                    format!("intentToRetain of {}", e.element)
                })?;
            }
            Ok(())
        },
    );
    r.run(
        "annex-d/reader-auth/payload",
        "D.5.4",
        "ReaderAuthenticationBytes and its Sig_structure are byte-exact",
        || {
            let t = transcript()?;
            let payload = reader_authentication_bytes(&t, &bytes("items_request_bytes"));
            same(
                "ReaderAuthenticationBytes",
                &payload,
                &bytes("reader_authentication_bytes"),
            )?;
            let ra = Sign1::from_slice(&bytes("reader_auth")).map_err(err("readerAuth"))?;
            same(
                "Sig_structure",
                &ra.to_be_signed(Some(&payload))
                    .map_err(err("Sig_structure"))?,
                &bytes("reader_auth_sig_structure"),
            )
        },
    );
    r.run(
        "annex-d/reader-auth/certificate",
        "D.5.4",
        "reader certificate chains to the reader root (reader-auth profile)",
        || {
            validate_chain(
                crypto,
                &[&bytes("reader_cert.der")],
                &reader_anchors(),
                CertProfile::ReaderAuth,
                VERIFICATION_TIME,
            )
            .map(|_| ())
            .map_err(err("reader chain"))
        },
    );
    r.run(
        "annex-d/reader-auth/verify",
        "D.4.1.1/D.5.4",
        "DeviceRequest readerAuth verifies end to end",
        || {
            let rep = kakunin_verifier::verify_device_request(
                &bytes("device_request"),
                &bytes("session_transcript_bytes"),
                &reader_anchors(),
                VERIFICATION_TIME,
            );
            ensure(rep.all_reader_authenticated(), || format!("{rep:?}"))
        },
    );

    // --- D.5.2 issuer data authentication ------------------------------------------------
    r.run(
        "annex-d/issuer-auth/sig-structure",
        "D.5.2",
        "issuerAuth Sig_structure is byte-exact",
        || {
            let ia = Sign1::from_slice(&bytes("issuer_auth")).map_err(err("issuerAuth"))?;
            same(
                "payload",
                ia.payload().ok_or("no payload")?,
                &bytes("mobile_security_object_bytes"),
            )?;
            same(
                "Sig_structure",
                &ia.to_be_signed(None).map_err(err("Sig_structure"))?,
                &bytes("issuer_auth_sig_structure"),
            )
        },
    );
    r.run(
        "annex-d/issuer-auth/certificate",
        "D.5.2",
        "DS certificate chains to the IACA (DS profile) at 2021-01-01",
        || {
            let ia = Sign1::from_slice(&bytes("issuer_auth")).map_err(err("issuerAuth"))?;
            let chain = ia.x5chain().map_err(err("x5chain"))?;
            same(
                "x5chain[0]",
                chain.first().ok_or("empty x5chain")?,
                &bytes("ds_cert.der"),
            )?;
            validate_chain(
                crypto,
                &chain,
                &iaca_anchors(),
                CertProfile::DocumentSigner,
                VERIFICATION_TIME,
            )
            .map(|_| ())
            .map_err(err("DS chain"))
        },
    );
    r.run(
        "annex-d/issuer-auth/certificate-expired",
        "D.5.2",
        "DS certificate is rejected after 2021-10-01",
        || {
            let t = datetime!(2021-10-02 00:00:00 UTC);
            ensure(
                validate_chain(
                    crypto,
                    &[&bytes("ds_cert.der")],
                    &iaca_anchors(),
                    CertProfile::DocumentSigner,
                    t,
                )
                .is_err(),
                || "an expired DS certificate was accepted".into(),
            )
        },
    );
    r.run(
        "annex-d/issuer-auth/signature",
        "D.5.2",
        "issuerAuth ES256 verifies with the DS key",
        || {
            let ia = Sign1::from_slice(&bytes("issuer_auth")).map_err(err("issuerAuth"))?;
            let chain = validate_chain(
                crypto,
                &[&bytes("ds_cert.der")],
                &iaca_anchors(),
                CertProfile::DocumentSigner,
                VERIFICATION_TIME,
            )
            .map_err(err("DS chain"))?;
            ia.verify(crypto, &chain.leaf_public_key, None)
                .map_err(err("signature"))
        },
    );
    r.run(
        "annex-d/mso/contents",
        "D.5.2",
        "MSO: SHA-256, mDL docType, deviceKey = SDeviceKey, 2020-10-01..2021-10-01",
        || {
            let mso =
                MobileSecurityObject::from_tagged_bytes(&bytes("mobile_security_object_bytes"))
                    .map_err(err("MSO"))?;
            ensure(mso.digest_algorithm == HashAlg::Sha256, || {
                "digestAlgorithm".into()
            })?;
            ensure(mso.doc_type == kakunin_core::mdoc::MDL_DOCTYPE, || {
                "docType".into()
            })?;
            same(
                "deviceKey",
                mso.device_key.sec1(),
                p256_pub("sdevice_key_pub").sec1(),
            )?;
            ensure(
                mso.validity.signed == datetime!(2020-10-01 13:30:02 UTC),
                || "signed".into(),
            )?;
            ensure(
                mso.validity.valid_from == datetime!(2020-10-01 13:30:02 UTC),
                || "validFrom".into(),
            )?;
            ensure(
                mso.validity.valid_until == datetime!(2021-10-01 13:30:02 UTC),
                || "validUntil".into(),
            )?;
            let counts: Vec<usize> = mso.value_digests.values().map(|m| m.len()).collect();
            ensure(counts.iter().sum::<usize>() == 17, || {
                format!("digest counts {counts:?}")
            })
        },
    );
    for (name, ns_index) in [
        ("issuer_signed_item_00_family_name", 0u64),
        ("issuer_signed_item_03_issue_date", 3),
        ("issuer_signed_item_04_expiry_date", 4),
        ("issuer_signed_item_07_document_number", 7),
        ("issuer_signed_item_08_portrait", 8),
        ("issuer_signed_item_09_driving_privileges", 9),
    ] {
        r.run(
            digest_check_id(ns_index),
            "D.5.2",
            "SHA-256 of IssuerSignedItemBytes (tag 24 included) equals the MSO digest",
            move || {
                let mso =
                    MobileSecurityObject::from_tagged_bytes(&bytes("mobile_security_object_bytes"))
                        .map_err(err("MSO"))?;
                let item = bytes(name);
                let expected = mso
                    .digest(kakunin_core::mdoc::MDL_NAMESPACE, ns_index)
                    .ok_or("digestID not in MSO")?;
                same("digest", &crypto.hash(HashAlg::Sha256, &item), expected)
            },
        );
    }
    r.run(
        "annex-d/issuer-signed/items",
        "D.4.1.2",
        "IssuerSigned in the DeviceResponse holds exactly the 6 published items",
        || {
            let resp = DeviceResponse::from_bytes(&bytes("device_response"))
                .map_err(err("DeviceResponse"))?;
            let doc = resp.documents.first().ok_or("no document")?;
            let ns = doc
                .issuer_signed
                .name_spaces
                .first()
                .ok_or("no namespace")?;
            let names = [
                "issuer_signed_item_00_family_name",
                "issuer_signed_item_03_issue_date",
                "issuer_signed_item_04_expiry_date",
                "issuer_signed_item_07_document_number",
                "issuer_signed_item_08_portrait",
                "issuer_signed_item_09_driving_privileges",
            ];
            ensure(ns.items.len() == names.len(), || {
                format!("{} items", ns.items.len())
            })?;
            for (item, name) in ns.items.iter().zip(names) {
                same(name, &item.raw, &bytes(name))?;
            }
            same(
                "issuerAuth",
                doc.issuer_signed.issuer_auth.raw(),
                &bytes("issuer_auth"),
            )
        },
    );
    r.run(
        "annex-d/issuer-signed/portrait",
        "D.4.1.2",
        "portrait element value is the published JPEG",
        || {
            let resp = DeviceResponse::from_bytes(&bytes("device_response"))
                .map_err(err("DeviceResponse"))?;
            let doc = resp.documents.first().ok_or("no document")?;
            let portrait = doc
                .issuer_signed
                .name_spaces
                .iter()
                .flat_map(|n| &n.items)
                .find(|i| i.element_identifier == "portrait")
                .ok_or("no portrait")?;
            match &portrait.element_value {
                cbor::Value::Bytes(b) => same("portrait", b, &bytes("portrait.jpg")),
                other => Err(format!("portrait is {other:?}")),
            }
        },
    );

    // --- D.5.3 mdoc authentication --------------------------------------------------------
    r.run(
        "annex-d/device-auth/payload",
        "D.5.3",
        "DeviceAuthenticationBytes and MAC_structure are byte-exact",
        || {
            let resp = DeviceResponse::from_bytes(&bytes("device_response"))
                .map_err(err("DeviceResponse"))?;
            let doc = resp.documents.first().ok_or("no document")?;
            let payload = device_authentication_bytes(
                &transcript()?,
                &doc.doc_type,
                &doc.device_signed.name_spaces_bytes,
            );
            same(
                "DeviceAuthenticationBytes",
                &payload,
                &bytes("device_authentication_bytes"),
            )?;
            let da_bytes = bytes("device_auth");
            let da = cbor::decode(&da_bytes).map_err(err("DeviceAuth"))?;
            let mac = Mac0::from_slice(da.get_text_key("deviceMac").ok_or("no deviceMac")?.raw())
                .map_err(err("deviceMac"))?;
            same(
                "MAC_structure",
                &mac.to_be_maced(Some(&payload))
                    .map_err(err("MAC_structure"))?,
                &bytes("device_mac_structure"),
            )
        },
    );
    r.run(
        "annex-d/device-auth/emac-key",
        "D.5.3",
        "EMacKey from either side (ECDH + HKDF \"EMacKey\")",
        || {
            let t = transcript()?;
            let zab = crypto
                .ecdh(
                    &p256_priv("sdevice_key_priv_d"),
                    &p256_pub("e_reader_key_pub"),
                )
                .map_err(err("ECDH"))?;
            same("Zab", &zab, &bytes("emac_key_zab"))?;
            let mdoc = derive_emac_key(
                crypto,
                &p256_priv("sdevice_key_priv_d"),
                &p256_pub("e_reader_key_pub"),
                &t,
            )
            .map_err(err("EMacKey"))?;
            let reader = derive_emac_key(crypto, &e_reader_key(), &p256_pub("sdevice_key_pub"), &t)
                .map_err(err("EMacKey"))?;
            same("mdoc-side EMacKey", mdoc.as_ref(), &bytes("emac_key"))?;
            same("reader-side EMacKey", reader.as_ref(), &bytes("emac_key"))
        },
    );
    r.run(
        "annex-d/device-auth/mac",
        "D.5.3",
        "HMAC-SHA-256 over MAC_structure equals the DeviceMac tag",
        || {
            let tag = crypto.hmac_sha256(&bytes("emac_key"), &bytes("device_mac_structure"));
            same("tag", &tag, &bytes("device_mac_tag"))?;
            let da_bytes = bytes("device_auth");
            let da = cbor::decode(&da_bytes).map_err(err("DeviceAuth"))?;
            let mac = Mac0::from_slice(da.get_text_key("deviceMac").ok_or("no deviceMac")?.raw())
                .map_err(err("deviceMac"))?;
            same("tag in DeviceAuth", mac.tag(), &bytes("device_mac_tag"))?;
            mac.verify(
                crypto,
                &bytes("emac_key"),
                Some(&bytes("device_authentication_bytes")),
            )
            .map_err(err("verify"))
        },
    );

    // --- the whole response ----------------------------------------------------------------
    r.run(
        "annex-d/response/verify",
        "D.4.1.2",
        "DeviceResponse passes every check: 1 mDL document, 6 verified elements, status 0",
        || {
            let anchors = iaca_anchors();
            let key = e_reader_key();
            let rep = Verifier::new(&anchors)
                .with_reader_key(&key)
                .verify_device_response(
                    &bytes("device_response"),
                    &bytes("session_transcript_bytes"),
                    VERIFICATION_TIME,
                );
            ensure(rep.valid(), || {
                format!(
                    "{:?}",
                    rep.all_errors()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                )
            })?;
            ensure(
                rep.status == Some(0) && rep.document_errors.is_empty(),
                || "status/documentErrors".into(),
            )?;
            let doc = rep.documents.first().ok_or("no document")?;
            ensure(
                doc.elements.len() == 6 && doc.elements.iter().all(|e| e.verified),
                || "elements".into(),
            )?;
            ensure(
                Check::ALL
                    .iter()
                    .all(|c| doc.outcome(*c) == Outcome::Passed),
                || "a check did not pass".into(),
            )?;
            ensure(doc.device_auth == "deviceMac", || "device auth kind".into())?;
            let family = doc.verified_value(kakunin_core::mdoc::MDL_NAMESPACE, "family_name");
            ensure(family == Some(&cbor::Value::text("Doe")), || {
                format!("family_name {family:?}")
            })
        },
    );
    r.run("annex-d/response/tampered-element", "D.4.1.2", "\"Doe\" -> \"Foe\" at byte 200: that digest fails, issuerAuth still verifies", || {
        let mut resp = bytes("device_response");
        let byte = resp.get_mut(200).ok_or("the response is shorter than 201 bytes")?;
        ensure(*byte == b'D', || "byte 200 is not 'D'".into())?;
        *byte = b'F';
        let anchors = iaca_anchors();
        let key = e_reader_key();
        let rep = Verifier::new(&anchors).with_reader_key(&key).verify_device_response(&resp, &bytes("session_transcript_bytes"), VERIFICATION_TIME);
        let doc = rep.documents.first().ok_or("no document")?;
        ensure(!rep.valid(), || "tampered response accepted".into())?;
        ensure(doc.outcome(Check::IssuerSignature) == Outcome::Passed, || "issuerAuth should still verify".into())?;
        ensure(doc.outcome(Check::ValueDigests) == Outcome::Failed, || "digest check should fail".into())?;
        ensure(
            doc.errors.iter().any(|e| matches!(e, kakunin_verifier::CheckError::DigestMismatch { element, .. } if element == "family_name")),
            || "no DigestMismatch for family_name".into(),
        )
    });
    r.checks
}

fn digest_check_id(digest_id: u64) -> &'static str {
    match digest_id {
        0 => "annex-d/digest/00-family-name",
        3 => "annex-d/digest/03-issue-date",
        4 => "annex-d/digest/04-expiry-date",
        7 => "annex-d/digest/07-document-number",
        8 => "annex-d/digest/08-portrait",
        _ => "annex-d/digest/09-driving-privileges",
    }
}

fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_vector_decodes() {
        for (name, _) in FILES {
            assert!(try_bytes(name).is_ok(), "{name}");
        }
        assert!(try_bytes("no_such_file").is_err());
        for key in ["e_device_key_pub", "e_reader_key_pub", "sdevice_key_pub"] {
            p256_pub(key);
        }
        e_reader_key();
        iaca_anchors();
        reader_anchors();
    }
}
