//! The suite's wallet profile for Kakunin's holder simulator: a test PKI, an in-memory store
//! with mDL, JP PID mdoc and JP PID SD-JWT VC credentials issued under its IACA (enough
//! single-use credentials for a whole run), the holder policy the cases assume (readerAuth
//! required, the PKI's reader root trusted), and the matching [`WalletSuiteConfig`] (with an
//! untrusted reader from a second PKI).

use super::WalletSuiteConfig;
use kakunin_core::crypto::{hazmat, CryptoProvider, Curve, EcPrivateKey};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::sdjwt::JP_PID_VCT;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{CredentialStore, HolderPolicy, MemoryStore};
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_verifier::flow::ReaderAuthSigner;

/// Credentials of each mdoc profile stored (a full run uses about 30 mDL and 6 JP PID).
pub const MDOCS_PER_PROFILE: usize = 48;

/// Building the fixture failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// A step failed (key generation, the PKI, issuing, storing).
    #[error("fixture: {step}")]
    Step {
        /// Which step.
        step: &'static str,
    },
}

impl FixtureError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        kakunin_core::Cause::Misuse
    }
}

fn step(step: &'static str) -> impl Fn() -> FixtureError {
    move || FixtureError::Step { step }
}

fn copy_key(k: &EcPrivateKey) -> Result<EcPrivateKey, FixtureError> {
    hazmat::private_key_from_scalar(k.curve(), hazmat::scalar_bytes(k)).ok_or_else(step("key copy"))
}

/// The holder simulator's wallet, set up for the suite.
pub struct SimWallet {
    /// The PKI its credentials and the trusted reader come from.
    pub pki: TestPki,
    /// A second PKI, trusted by no one: its reader signs the untrusted readerAuth.
    pub other: TestPki,
    /// The credentials.
    pub store: MemoryStore,
}

impl core::fmt::Debug for SimWallet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimWallet")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

fn claims(profile: DocProfile) -> Result<serde_json::Value, FixtureError> {
    let text = match profile {
        DocProfile::JpPid => include_str!("../../../docs/examples/jp-pid-claims.json"),
        _ => include_str!("../../../docs/examples/mdl-claims.json"),
    };
    serde_json::from_str(text).map_err(|_| FixtureError::Step {
        step: "example claims",
    })
}

impl SimWallet {
    /// A fresh PKI and wallet, valid at `now`.
    pub fn new(
        crypto: &dyn CryptoProvider,
        now: time::OffsetDateTime,
    ) -> Result<Self, FixtureError> {
        let since = now - time::Duration::days(30);
        let pki = TestPki::generate(crypto, "JP", 1, since).map_err(|_| step("PKI")())?;
        let other = TestPki::generate(crypto, "JP", 1, since).map_err(|_| step("second PKI")())?;
        let store = MemoryStore::new();
        let ds = pki
            .document_signers
            .first()
            .ok_or_else(step("document signer"))?;
        let issuer = MdocIssuer::new(crypto, &ds.key, vec![ds.cert_der.clone()]);
        let validity = ValidityInfo {
            signed: since,
            valid_from: since,
            valid_until: now + time::Duration::days(60),
            expected_update: None,
        };
        for profile in [DocProfile::Mdl, DocProfile::JpPid] {
            let elements = elements_from_json(profile, &claims(profile)?, now.date())
                .map_err(|_| step("elements")())?;
            for i in 0..MDOCS_PER_PROFILE {
                let key = crypto
                    .generate_key(Curve::P256)
                    .map_err(|_| step("device key")())?;
                let public = crypto.public_key(&key).map_err(|_| step("device key")())?;
                let cred = issuer
                    .issue(profile.doc_type(), &elements, &public, validity, None)
                    .map_err(|_| step("issue mdoc")())?;
                store
                    .store(
                        &format!("{}-{i:03}", profile.doc_type()),
                        &cred.doc_type,
                        &cred.issuer_signed,
                        &key,
                    )
                    .map_err(|_| step("store mdoc")())?;
            }
        }
        let elements =
            elements_from_json(DocProfile::JpPid, &claims(DocProfile::JpPid)?, now.date())
                .map_err(|_| step("elements")())?;
        let keys = (0..4)
            .map(|_| crypto.generate_key(Curve::P256))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| step("holder key")())?;
        let publics = keys
            .iter()
            .map(|k| crypto.public_key(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| step("holder key")())?;
        let creds = issue_sd_jwt_vcs(
            crypto,
            &pki.jws_signer.key,
            std::slice::from_ref(&pki.jws_signer.cert_der),
            &elements,
            &publics,
            &SdJwtVcSettings {
                issuer_id: "https://issuer.kakunin.invalid",
                valid_from: since.unix_timestamp(),
                valid_until: (now + time::Duration::days(60)).unix_timestamp(),
                ..SdJwtVcSettings::default()
            },
        )
        .map_err(|_| step("issue SD-JWT VC")())?;
        for (i, (cred, key)) in creds.iter().zip(&keys).enumerate() {
            store
                .store_sd_jwt(&format!("pid-sd-{i}"), JP_PID_VCT, cred, key)
                .map_err(|_| step("store SD-JWT VC")())?;
        }
        Ok(SimWallet { pki, other, store })
    }

    /// The holder policy the cases assume: consent to everything asked, readerAuth required
    /// and checked against the PKI's reader root.
    pub fn policy(&self) -> Result<HolderPolicy, FixtureError> {
        Ok(HolderPolicy {
            reader_trust: Some(
                TrustAnchors::from_der_certs([self.pki.reader_root.cert_der.clone()])
                    .map_err(|_| step("reader trust")())?,
            ),
            require_reader_auth: true,
            ..HolderPolicy::default()
        })
    }

    /// The suite's configuration for this wallet (the SD-JWT case required: it holds one).
    pub fn suite_config(
        &self,
        now: time::OffsetDateTime,
    ) -> Result<WalletSuiteConfig, FixtureError> {
        let trust = TrustAnchors::from_der_certs([self.pki.iaca.cert_der.clone()])
            .map_err(|_| step("IACA")())?;
        let reader = ReaderAuthSigner::new(
            vec![self.pki.reader.cert_der.clone()],
            copy_key(&self.pki.reader.key)?,
        );
        let untrusted = ReaderAuthSigner::new(
            vec![self.other.reader.cert_der.clone()],
            copy_key(&self.other.reader.key)?,
        );
        let mut config = WalletSuiteConfig::new(trust, reader, untrusted, now);
        config.sd_jwt_required = true;
        Ok(config)
    }
}
