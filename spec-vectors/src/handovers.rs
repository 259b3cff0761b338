//! The worked SessionTranscript handover examples, rebuilt with Kakunin's handover builders
//! (kakunin_core::mdoc::Handover) and compared byte for byte.
//!
//! - OpenID4VP 1.0 B.2.6.1 (`OpenID4VPHandover`) and B.2.6.2 (`OpenID4VPDCAPIHandover`): the
//!   RFC 7638 thumbprint of the examples' JWK, the handover info array, its SHA-256, the
//!   Handover and the SessionTranscript, each as published.
//! - ISO/IEC 18013-7 Annex C (`dcapi`): a cross-check of a real capture's inputs against the
//!   hash and transcript an independent encoder derived (not published values).
//! - ISO/IEC 18013-5 Annex D D.5.1: the NFC transcript rebuilt from its four parts.
//!
//! Provenance: `data/handovers/PROVENANCE.md`.

use crate::{err, unb64, CheckResult, Runner, VectorCheck};
use kakunin_core::crypto::{default_provider, Curve, EcPublicKey, HashAlg};
use kakunin_core::enrolment::jwk_thumbprint as ec_key_thumbprint;
use kakunin_core::mdoc::{
    jwk_thumbprint, Iso7AnnexCHandover, NfcHandover, OpenId4VpDcApiHandover, OpenId4VpHandover,
    SessionTranscript,
};
use serde_json::Value;

/// Where the vectors come from.
pub const SOURCE: &str = "OpenID4VP 1.0 B.2.6.1 and B.2.6.2 examples (openid/OpenID4VP @ \
                          e819ed37), an ISO/IEC 18013-7 Annex C capture (walt-id, derived), \
                          ISO/IEC 18013-5 Annex D D.5.1";

/// The vectors file.
pub const VECTORS: &str = include_str!("../data/handovers/vectors.json");

fn vectors() -> Result<Value, String> {
    serde_json::from_str(VECTORS).map_err(err("vectors.json"))
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, String> {
    let mut at = v;
    for p in path {
        at = at
            .get(p)
            .ok_or_else(|| format!("vectors.json: no {}", path.join(".")))?;
    }
    at.as_str()
        .ok_or_else(|| format!("vectors.json: {} is not a string", path.join(".")))
}

fn hex_of(v: &Value, path: &[&str]) -> Result<Vec<u8>, String> {
    hex::decode(text(v, path)?).map_err(err("vectors.json hex"))
}

fn same(what: &str, actual: &[u8], expected: &[u8]) -> CheckResult {
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: built {}, published {}",
            hex::encode(actual),
            hex::encode(expected)
        ))
    }
}

fn thumbprint(v: &Value) -> Result<[u8; 32], String> {
    hex_of(v, &["vp10_jwk_thumbprint"])?
        .try_into()
        .map_err(|_| "vp10_jwk_thumbprint is not 32 bytes".to_string())
}

fn b261(v: &Value) -> Result<OpenId4VpHandover, String> {
    Ok(OpenId4VpHandover {
        client_id: text(v, &["vp10_b261", "client_id"])?.into(),
        nonce: text(v, &["vp10_b261", "nonce"])?.into(),
        jwk_thumbprint: Some(thumbprint(v)?),
        response_uri: text(v, &["vp10_b261", "response_uri"])?.into(),
    })
}

fn b262(v: &Value) -> Result<OpenId4VpDcApiHandover, String> {
    Ok(OpenId4VpDcApiHandover {
        origin: text(v, &["vp10_b262", "origin"])?.into(),
        nonce: text(v, &["vp10_b262", "nonce"])?.into(),
        jwk_thumbprint: Some(thumbprint(v)?),
    })
}

/// Run every check.
pub fn run_all() -> Vec<VectorCheck> {
    let mut r = Runner { checks: Vec::new() };
    let c = default_provider();

    r.run(
        "handovers/oid4vp/jwk-thumbprint",
        "VP10 B.2.6.1",
        "RFC 7638 SHA-256 thumbprint of the examples' encryption JWK",
        || {
            let v = vectors()?;
            let jwk = v.get("vp10_jwk").ok_or("vectors.json: no vp10_jwk")?;
            // The JWK as published, with use, alg and kid, which the thumbprint leaves out.
            let from_jwk = jwk_thumbprint(c, jwk).map_err(err("thumbprint"))?;
            same("thumbprint", &from_jwk, &thumbprint(&v)?)?;
            // The EC-key path of the enrolment proofs computes the same digest.
            let coord = |name: &str| {
                text(&v, &["vp10_jwk", name])
                    .and_then(|s| unb64(s).ok_or_else(|| format!("vp10_jwk.{name}: base64url")))
            };
            let key = EcPublicKey::from_coordinates(Curve::P256, &coord("x")?, &coord("y")?)
                .ok_or("vp10_jwk: not a P-256 point")?;
            same("EC key thumbprint", &ec_key_thumbprint(c, &key), &from_jwk)
        },
    );

    for (id, key) in [("oid4vp", "vp10_b261"), ("oid4vp-dcapi", "vp10_b262")] {
        let clause = if key == "vp10_b261" {
            "VP10 B.2.6.1"
        } else {
            "VP10 B.2.6.2"
        };
        // Both shapes expose the same three steps; one closure per step keeps the checks apart.
        let build = move |v: &Value| -> Result<(Vec<u8>, Vec<u8>, SessionTranscript), String> {
            if key == "vp10_b261" {
                let h = b261(v)?;
                Ok((
                    h.info_bytes().map_err(err("info"))?,
                    h.handover_bytes(c).map_err(err("handover"))?,
                    h.session_transcript(c).map_err(err("transcript"))?,
                ))
            } else {
                let h = b262(v)?;
                Ok((
                    h.info_bytes().map_err(err("info"))?,
                    h.handover_bytes(c).map_err(err("handover"))?,
                    h.session_transcript(c).map_err(err("transcript"))?,
                ))
            }
        };
        r.run(
            format!("handovers/{id}/handover-info"),
            clause,
            "the handover info array, CBOR",
            || {
                let v = vectors()?;
                same("info", &build(&v)?.0, &hex_of(&v, &[key, "handover_info"])?)
            },
        );
        r.run(
            format!("handovers/{id}/handover-info-hash"),
            clause,
            "SHA-256 of the handover info array",
            || {
                let v = vectors()?;
                let digest = c.hash(HashAlg::Sha256, &build(&v)?.0);
                same("hash", &digest, &hex_of(&v, &[key, "handover_info_hash"])?)
            },
        );
        r.run(
            format!("handovers/{id}/handover"),
            clause,
            "the Handover [label, hash]",
            || {
                let v = vectors()?;
                same("handover", &build(&v)?.1, &hex_of(&v, &[key, "handover"])?)
            },
        );
        r.run(
            format!("handovers/{id}/session-transcript"),
            clause,
            "SessionTranscript [null, null, Handover]",
            || {
                let v = vectors()?;
                let t = build(&v)?.2;
                same(
                    "transcript",
                    t.bare_bytes(),
                    &hex_of(&v, &[key, "session_transcript"])?,
                )?;
                // The transcript decodes back to the same bytes (the verifier's input form).
                let back =
                    SessionTranscript::from_bytes(t.tagged_bytes()).map_err(err("decode"))?;
                same("decoded transcript", back.bare_bytes(), t.bare_bytes())
            },
        );
    }

    r.run(
        "handovers/iso-7-annex-c/real-001-cross-check",
        "18013-7 Annex C (derived)",
        "dcapi handover of the walt-id REAL-001 capture's inputs equals the independently derived bytes",
        || {
            use base64::Engine as _;
            let v = vectors()?;
            let info = hex_of(&v, &["annex_c_real_001", "encryption_info_cbor"])?;
            let h = Iso7AnnexCHandover {
                encryption_info: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(info),
                origin: text(&v, &["annex_c_real_001", "origin"])?.into(),
            };
            let digest = c.hash(HashAlg::Sha256, &h.info_bytes().map_err(err("info"))?);
            same(
                "dcapiInfo hash",
                &digest,
                &hex_of(&v, &["annex_c_real_001", "dcapi_info_hash"])?,
            )?;
            same(
                "transcript",
                h.session_transcript(c).map_err(err("transcript"))?.bare_bytes(),
                &hex_of(&v, &["annex_c_real_001", "session_transcript"])?,
            )
        },
    );

    r.run(
        "handovers/nfc/annex-d-transcript",
        "18013-5 D.5.1",
        "NFC handover [HS, HR] built from the Annex D parts gives the published SessionTranscript",
        || {
            let part = |name: &str| crate::annex_d::try_bytes(name);
            let h = NfcHandover {
                device_engagement: part("device_engagement_bytes_nfc")?,
                e_reader_key: part("e_reader_key_bytes")?,
                handover_select: part("handover_select")?,
                handover_request: Some(part("handover_request")?),
            };
            same(
                "Handover",
                &h.handover_bytes().map_err(err("handover"))?,
                &part("nfc_handover")?,
            )?;
            let t = h.session_transcript().map_err(err("transcript"))?;
            same("bare", t.bare_bytes(), &part("session_transcript")?)?;
            same(
                "tagged",
                t.tagged_bytes(),
                &part("session_transcript_bytes")?,
            )
        },
    );

    r.checks
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_handover_vector_passes() {
        let checks = super::run_all();
        assert_eq!(checks.len(), 11);
        for c in &checks {
            assert!(c.passed(), "{}: {:?}", c.id, c.failure);
        }
    }
}
