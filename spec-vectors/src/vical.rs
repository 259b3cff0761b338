//! Two real VICALs (ISO/IEC 18013-5 Annex C), checked on fixed clocks inside their validity:
//! AAMVA's list of 2024-09-24 (3 US state IACAs) and Austroads' pre-production list of
//! 2024-09-19 (35 IACAs). Provenance in `data/vical/PROVENANCE.md`.
//!
//! For each list: it parses (untagged COSE_Sign1); its COSE signature verifies with the
//! `x5chain` leaf (through `core::cose::Sign1`, independently of the VICAL verifier); the
//! leaf carries the VICAL-signer EKU 1.0.18013.5.1.8 and not the DS one; the leaf chains to
//! the provider's published root (both roots come from the same multipaz test file; AAMVA's
//! is also the third certificate of its `x5chain`, which is checked, but the chain is
//! anchored in the separately published copy); the provider, date, issue id and nextUpdate
//! are the documented values; the entry count; the hint warnings; and a copy with one
//! payload byte flipped is refused.

use crate::{err, CheckResult, Runner, VectorCheck};
use kakunin_core::cose::Sign1;
use kakunin_core::crypto::default_provider;
use kakunin_core::trust::vical::{
    SignedVical, VerifiedVical, VicalError, VicalPolicy, VicalWarning, WarningKind,
};
use kakunin_core::trust::{
    certificate_public_key, parse_certificate_input, validate_chain, CertProfile, TrustAnchors,
    TrustError,
};
use time::macros::datetime;
use time::OffsetDateTime;

/// Where the vectors come from.
pub const SOURCE: &str = "AAMVA 2024-09-24 and Austroads 2024-09-19 VICALs, from \
     openwallet-foundation/multipaz @ af670c68e15fe85087409aa4c8a96944ac8f160d \
     (multipaz/src/commonTest/kotlin/org/multipaz/mdoc/vical/VicalParserTest.kt)";

/// The AAMVA list (6131 bytes).
pub const AAMVA: &[u8] = include_bytes!("../data/vical/aamva-20240924.vical");
/// The Austroads list (42764 bytes).
pub const AUSTROADS: &[u8] = include_bytes!("../data/vical/austroads-20240919.vical");
/// The AAMVA DTS root, as published at vical.dts.aamva.org (per the multipaz test).
pub const AAMVA_ROOT_PEM: &str = include_str!("../data/vical/aamva-dts-root.pem");
/// The Austroads pre-production DTS root.
pub const AUSTROADS_ROOT_PEM: &str = include_str!("../data/vical/austroads-root.pem");

/// AAMVA's list is checked after its `date` and before its `nextUpdate` (+24 h).
pub const AAMVA_AT: OffsetDateTime = datetime!(2024-09-25 00:00:00 UTC);
/// Austroads' list has no `nextUpdate`; checked twelve days after its `date`.
pub const AUSTROADS_AT: OffsetDateTime = datetime!(2024-10-01 00:00:00 UTC);

struct Case {
    name: &'static str,
    bytes: &'static [u8],
    root: &'static str,
    at: OffsetDateTime,
    provider: &'static str,
    date: OffsetDateTime,
    issue_id: u64,
    next_update: Option<OffsetDateTime>,
    x5chain_len: usize,
    entries: usize,
}

const CASES: [Case; 2] = [
    Case {
        name: "aamva",
        bytes: AAMVA,
        root: AAMVA_ROOT_PEM,
        at: AAMVA_AT,
        provider: "AAMVA",
        date: datetime!(2024-09-24 17:37:31 UTC),
        issue_id: 616_575,
        next_update: Some(datetime!(2024-09-25 17:37:31 UTC)),
        x5chain_len: 3,
        entries: 3,
    },
    Case {
        name: "austroads",
        bytes: AUSTROADS,
        root: AUSTROADS_ROOT_PEM,
        at: AUSTROADS_AT,
        provider: "Austroads",
        date: datetime!(2024-09-19 23:19:59 UTC),
        issue_id: 15,
        next_update: None,
        x5chain_len: 1,
        entries: 35,
    },
];

/// The provider's root as a trust-anchor set.
pub fn root_anchors(pem: &str) -> Result<TrustAnchors, String> {
    let der = parse_certificate_input(pem.as_bytes()).map_err(err("root PEM"))?;
    TrustAnchors::from_der_certs([der]).map_err(err("root anchor"))
}

fn verified(c: &Case) -> Result<VerifiedVical, String> {
    VerifiedVical::from_bytes(
        c.bytes,
        &root_anchors(c.root)?,
        default_provider(),
        c.at,
        &VicalPolicy::default(),
    )
    .map_err(err("verify"))
}

fn expect(ok: bool, what: impl FnOnce() -> String) -> CheckResult {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// Run the suite.
pub fn run_all() -> Vec<VectorCheck> {
    let crypto = default_provider();
    let mut r = Runner { checks: Vec::new() };
    for c in &CASES {
        let id = |what: &str| format!("vical/{}/{what}", c.name);
        r.run(
            id("parse"),
            "Annex C",
            "parses: an untagged COSE_Sign1 with attached payload, the documented x5chain length",
            || {
                let s = SignedVical::parse(c.bytes).map_err(err("parse"))?;
                expect(!s.is_tagged(), || "tagged".into())?;
                expect(s.x5chain().len() == c.x5chain_len, || {
                    format!("x5chain of {}", s.x5chain().len())
                })
            },
        );
        r.run(
            id("signature"),
            "Annex C, RFC 9052 §4.4",
            "the COSE signature verifies with the x5chain leaf's key (core::cose::Sign1)",
            || {
                let sign1 = Sign1::from_slice(c.bytes).map_err(err("COSE_Sign1"))?;
                let leaf = *sign1
                    .x5chain()
                    .map_err(err("x5chain"))?
                    .first()
                    .ok_or("empty x5chain")?;
                let parsed =
                    <x509_cert::Certificate as der::Decode>::from_der(leaf).map_err(err("leaf"))?;
                let key = certificate_public_key(&parsed, 0).map_err(err("leaf key"))?;
                sign1.verify(crypto, &key, None).map_err(err("signature"))
            },
        );
        r.run(id("signer-eku"), "Annex C (VICAL signer 1.0.18013.5.1.8)", "the leaf chains to the published root under the VICAL-signer profile, and not under the DS profile (no EKU 1.0.18013.5.1.2)", || {
            let s = SignedVical::parse(c.bytes).map_err(err("parse"))?;
            let chain: Vec<&[u8]> = s.x5chain().iter().map(Vec::as_slice).collect();
            let roots = root_anchors(c.root)?;
            validate_chain(crypto, &chain, &roots, CertProfile::VicalSigner, c.at)
                .map_err(err("VICAL signer chain"))?;
            match validate_chain(crypto, &chain, &roots, CertProfile::DocumentSigner, c.at) {
                Err(TrustError::WrongExtendedKeyUsage { .. }) => Ok(()),
                other => Err(format!("under the DS profile: {other:?}")),
            }
        });
        r.run(
            id("values"),
            "Annex C (VICAL)",
            "verifies; version 1.0, provider, date, vicalIssueID, nextUpdate as documented",
            || {
                let v = verified(c)?;
                expect(v.version() == "1.0", || format!("version {}", v.version()))?;
                expect(v.provider() == c.provider, || {
                    format!("provider {:?}", v.provider())
                })?;
                expect(v.date() == c.date, || format!("date {}", v.date()))?;
                expect(v.issue_id() == Some(c.issue_id), || {
                    format!("issue id {:?}", v.issue_id())
                })?;
                expect(v.next_update() == c.next_update, || {
                    format!("nextUpdate {:?}", v.next_update())
                })?;
                expect(v.entries().len() == c.entries, || {
                    format!("{} entries", v.entries().len())
                })
            },
        );
        r.run(
            id("flipped-byte"),
            "Annex C",
            "a copy with one payload byte flipped is refused (bad signature), nothing imported",
            || {
                let mut bad = c.bytes.to_vec();
                let mid = bad.len() / 2;
                if let Some(b) = bad.get_mut(mid) {
                    *b ^= 0x01;
                }
                let r = VerifiedVical::from_bytes(
                    &bad,
                    &root_anchors(c.root)?,
                    crypto,
                    c.at,
                    &VicalPolicy::default(),
                );
                match r {
                    Err(VicalError::BadSignature) => Ok(()),
                    Err(e) => Err(format!("refused, but for {e}")),
                    Ok(_) => Err("accepted".into()),
                }
            },
        );
    }
    r.run("vical/aamva/root-in-x5chain", "Annex C", "the x5chain's third certificate is the published AAMVA DTS root (which is still used only from the separate copy)", || {
        let s = SignedVical::parse(AAMVA).map_err(err("parse"))?;
        let root = parse_certificate_input(AAMVA_ROOT_PEM.as_bytes()).map_err(err("root"))?;
        expect(s.x5chain().get(2) == Some(&root), || "differs".into())
    });
    r.run(
        "vical/aamva/entry-0",
        "Annex C (CertificateInfo)",
        "entry 0 is \"Fast Enterprises Root\", ST US-MD, C US, for org.iso.18013.5.1.mDL",
        || {
            let v = verified(&CASES[0])?;
            let e = v.entries().first().ok_or("no entry")?;
            let s = e.subject();
            expect(
                s.common_name.as_deref() == Some("Fast Enterprises Root")
                    && s.state.as_deref() == Some("US-MD")
                    && s.country.as_deref() == Some("US")
                    && e.doc_types() == ["org.iso.18013.5.1.mDL"],
                || format!("{s:?} {:?}", e.doc_types()),
            )
        },
    );
    r.run("vical/aamva/ski-wrapped", "Annex C (ski)", "each entry's ski is the DER OCTET STRING around the key identifier: a SkiDerWrapped warning, the certificate's 20-byte SKI used", || {
        let v = verified(&CASES[0])?;
        for e in v.entries() {
            let w = VicalWarning { index: e.index(), kind: WarningKind::SkiDerWrapped };
            expect(v.warnings().contains(&w), || format!("no warning for entry {}", e.index()))?;
            expect(e.ski().map(<[u8]>::len) == Some(20), || format!("entry {} ski", e.index()))?;
        }
        Ok(())
    });
    r.run("vical/austroads/entry-18-ski", "Annex C (ski)", "entry 18 (IACA_mDO_GEN_01): its certificate has a SubjectKeyIdentifier and the ski hint equals it (no hint warning in the whole list)", || {
        let s = SignedVical::parse(AUSTROADS).map_err(err("parse"))?;
        let c = s.unverified_contents();
        let e = c.entries().get(18).ok_or("no entry 18")?;
        expect(e.subject().common_name.as_deref() == Some("IACA_mDO_GEN_01"), || format!("{:?}", e.subject()))?;
        expect(e.ski().is_some(), || "no SKI".into())?;
        expect(c.warnings().is_empty(), || format!("{:?}", c.warnings()))
    });
    r.run(
        "vical/austroads/entry-1",
        "Annex C (CertificateInfo)",
        "entry 1 is the OWF Identity Credential TEST IACA (ZZ) for mDL, photoid, micov and mVRC",
        || {
            let v = verified(&CASES[1])?;
            let e = v.entries().get(1).ok_or("no entry 1")?;
            expect(
                e.subject().common_name.as_deref() == Some("OWF Identity Credential TEST IACA")
                    && e.doc_types()
                        == [
                            "org.iso.18013.5.1.mDL",
                            "org.iso.23220.photoid.1",
                            "org.micov.1",
                            "org.iso.7367.1.mVRC",
                        ],
                || format!("{:?} {:?}", e.subject(), e.doc_types()),
            )
        },
    );
    r.run(
        "vical/wrong-authority",
        "Annex C",
        "each list refused under the other provider's root",
        || {
            for (c, other) in [(&CASES[0], &CASES[1]), (&CASES[1], &CASES[0])] {
                let r = VerifiedVical::from_bytes(
                    c.bytes,
                    &root_anchors(other.root)?,
                    crypto,
                    c.at,
                    &VicalPolicy::default(),
                );
                expect(matches!(r, Err(VicalError::UntrustedSigner(_))), || {
                    format!("{}: {:?}", c.name, r.err())
                })?;
            }
            Ok(())
        },
    );
    r.run(
        "vical/aamva/stale",
        "Annex C (nextUpdate)",
        "refused as stale a day after nextUpdate",
        || {
            let c = &CASES[0];
            let r = VerifiedVical::from_bytes(
                c.bytes,
                &root_anchors(c.root)?,
                crypto,
                datetime!(2024-09-26 18:00:00 UTC),
                &VicalPolicy::default(),
            );
            expect(matches!(r, Err(VicalError::Stale { .. })), || {
                format!("{:?}", r.err())
            })
        },
    );
    r.checks
}
