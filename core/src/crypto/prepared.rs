//! Many ECDSA signatures under one key, with the key's signing state prepared once for the
//! duration of one call (decision 0019, session 19).
//!
//! An issuer signs a batch (20 MSOs, 20 SD-JWTs) with one key. `ring` wants a parsed key pair
//! for each signature and re-derives the public key from the scalar to build it (~10 µs). It
//! does not zeroize that key pair, so Kakunin never keeps one: [`with_signing_key`] builds it
//! when the batch starts and drops it when the call returns, while the authoritative copy of
//! the scalar stays in the zeroizing [`EcPrivateKey`]. A provider without such state
//! ([`CryptoProvider::prepare_signing`] returns `None`, the default, e.g. RustCrypto) signs
//! one by one through [`CryptoProvider::sign_ecdsa`], unchanged.

use super::{CryptoError, CryptoProvider, EcPrivateKey, Forwarding, HashAlg};

/// Signing state for one key and hash, prepared by [`CryptoProvider::prepare_signing`]:
/// signs like [`CryptoProvider::sign_ecdsa`] under that key and hash (raw `r || s`).
pub trait PreparedSigning: Send + Sync {
    /// Sign `msg`.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Run `work` with a provider that is `crypto` in every respect, except that a signature
/// under exactly `key` (the same reference) with `hash` uses the state `crypto` prepared
/// once for this call. The state is dropped when this function returns. Signatures under
/// any other key or hash go to `crypto` as usual.
pub fn with_signing_key<T>(
    crypto: &dyn CryptoProvider,
    key: &EcPrivateKey,
    hash: HashAlg,
    work: impl FnOnce(&dyn CryptoProvider) -> T,
) -> Result<T, CryptoError> {
    match crypto.prepare_signing(key, hash)? {
        None => Ok(work(crypto)),
        Some(prepared) => {
            let scoped = Scoped {
                inner: crypto,
                key,
                hash,
                prepared,
            };
            Ok(work(&scoped))
        }
    }
}

/// Sign every message of `msgs` with `key` and `hash`, the key's state prepared once: the
/// signatures are those [`CryptoProvider::sign_ecdsa`] makes (they verify under the same
/// public key; randomized ones differ byte for byte, as any two signatures of them do).
pub fn sign_ecdsa_batch(
    crypto: &dyn CryptoProvider,
    key: &EcPrivateKey,
    hash: HashAlg,
    msgs: &[&[u8]],
) -> Result<Vec<Vec<u8>>, CryptoError> {
    with_signing_key(crypto, key, hash, |c| {
        msgs.iter().map(|m| c.sign_ecdsa(key, hash, m)).collect()
    })?
}

/// The provider [`with_signing_key`] hands to its work.
struct Scoped<'a> {
    inner: &'a dyn CryptoProvider,
    key: &'a EcPrivateKey,
    hash: HashAlg,
    prepared: Box<dyn PreparedSigning + 'a>,
}

impl Forwarding for Scoped<'_> {
    fn inner(&self) -> &dyn CryptoProvider {
        self.inner
    }

    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        // By identity: the prepared state is this key's; an equal key elsewhere in memory
        // simply takes the ordinary path (no comparison of secrets).
        if std::ptr::eq(key, self.key) && hash == self.hash {
            self.prepared.sign(msg)
        } else {
            self.inner.sign_ecdsa(key, hash, msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Curve, RustCrypto};

    fn providers() -> Vec<(&'static str, &'static dyn CryptoProvider)> {
        #[allow(unused_mut)]
        let mut v: Vec<(&'static str, &'static dyn CryptoProvider)> =
            vec![("RustCrypto", &RustCrypto)];
        #[cfg(feature = "ring")]
        v.push(("ring", &crate::crypto::Ring));
        v
    }

    /// A batch's signatures verify on both backends under the key's public key, for the
    /// curves `ring` prepares and the one it does not (P-521: RustCrypto, one by one); a
    /// wrong message does not verify.
    #[test]
    fn batch_signatures_verify_on_both_backends() {
        let msgs: [&[u8]; 3] = [b"first", b"second", b""];
        for (name, signer) in providers() {
            for curve in [Curve::P256, Curve::P384, Curve::P521] {
                let sk = RustCrypto.generate_key(curve).unwrap();
                let pk = RustCrypto.public_key(&sk).unwrap();
                let hash = curve.default_hash();
                let sigs = sign_ecdsa_batch(signer, &sk, hash, &msgs).unwrap();
                assert_eq!(sigs.len(), msgs.len());
                for (msg, sig) in msgs.iter().zip(&sigs) {
                    assert_eq!(sig.len(), 2 * curve.field_len(), "{name} {curve:?}");
                    // The one-by-one path's signature verifies under the same key, too.
                    let single = signer.sign_ecdsa(&sk, hash, msg).unwrap();
                    for (vname, verifier) in providers() {
                        verifier
                            .verify_ecdsa(&pk, hash, msg, sig)
                            .unwrap_or_else(|e| panic!("{name} -> {vname} {curve:?}: {e}"));
                        verifier.verify_ecdsa(&pk, hash, msg, &single).unwrap();
                        assert!(verifier.verify_ecdsa(&pk, hash, b"other", sig).is_err());
                    }
                }
            }
        }
    }

    /// Inside the scope, only the prepared key (by reference) and hash take the prepared
    /// state; another key is signed by the provider as usual, under its own key.
    #[test]
    fn another_key_in_the_scope_signs_under_itself() {
        for (_, signer) in providers() {
            let sk = RustCrypto.generate_key(Curve::P256).unwrap();
            let other = RustCrypto.generate_key(Curve::P256).unwrap();
            let other_pk = RustCrypto.public_key(&other).unwrap();
            let pk = RustCrypto.public_key(&sk).unwrap();
            let (a, b, c) = with_signing_key(signer, &sk, HashAlg::Sha256, |p| {
                (
                    p.sign_ecdsa(&sk, HashAlg::Sha256, b"m").unwrap(),
                    p.sign_ecdsa(&other, HashAlg::Sha256, b"m").unwrap(),
                    p.sign_ecdsa(&sk, HashAlg::Sha384, b"m").unwrap(),
                )
            })
            .unwrap();
            RustCrypto
                .verify_ecdsa(&pk, HashAlg::Sha256, b"m", &a)
                .unwrap();
            RustCrypto
                .verify_ecdsa(&other_pk, HashAlg::Sha256, b"m", &b)
                .unwrap();
            assert!(RustCrypto
                .verify_ecdsa(&pk, HashAlg::Sha256, b"m", &b)
                .is_err());
            RustCrypto
                .verify_ecdsa(&pk, HashAlg::Sha384, b"m", &c)
                .unwrap();
        }
    }

    /// RustCrypto prepares nothing: its batch is its one-by-one path, byte for byte
    /// (RFC 6979 deterministic signatures).
    #[test]
    fn rustcrypto_batch_equals_one_by_one() {
        let sk = RustCrypto.generate_key(Curve::P256).unwrap();
        assert!(RustCrypto
            .prepare_signing(&sk, HashAlg::Sha256)
            .unwrap()
            .is_none());
        let batch = sign_ecdsa_batch(&RustCrypto, &sk, HashAlg::Sha256, &[b"a", b"b"]).unwrap();
        assert_eq!(
            batch[0],
            RustCrypto.sign_ecdsa(&sk, HashAlg::Sha256, b"a").unwrap()
        );
        assert_eq!(
            batch[1],
            RustCrypto.sign_ecdsa(&sk, HashAlg::Sha256, b"b").unwrap()
        );
    }

    /// `ring` prepares P-256 and P-384 with their own hashes, nothing else; an invalid scalar
    /// fails to prepare as it fails to sign.
    #[cfg(feature = "ring")]
    #[test]
    fn ring_prepares_its_curves_only() {
        use crate::crypto::Ring;
        let p256 = RustCrypto.generate_key(Curve::P256).unwrap();
        let p521 = RustCrypto.generate_key(Curve::P521).unwrap();
        assert!(Ring
            .prepare_signing(&p256, HashAlg::Sha256)
            .unwrap()
            .is_some());
        assert!(Ring
            .prepare_signing(&p256, HashAlg::Sha384)
            .unwrap()
            .is_none());
        assert!(Ring
            .prepare_signing(&p521, HashAlg::Sha512)
            .unwrap()
            .is_none());
    }
}
