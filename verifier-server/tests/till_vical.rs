#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The till with VICALs (ISO/IEC 18013-5 Annex C): a till whose only IACA comes from a
//! VICAL answers OK for an mDL over the API, and NG `untrusted_issuer` when the list scopes
//! that IACA to another docType; a VICAL with a bad signature, from a signer outside the
//! configured VICAL authorities, or stale, imports nothing; a bundle carrying such a VICAL is
//! refused and the bundle in force kept; a lower issue id on reload is refused; the bundle's
//! docType-scoped IACAs keep their scope.

mod common;
#[path = "common/running.rs"]
mod running;

use common::{http, mdoc_body, post_json, Who, World};
use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::trust::bundle::{build, BundleContents, BundleIaca};
use kakunin_core::trust::vical::{build_vical, VicalBuildEntry, VicalBuildInput};
use kakunin_holder_sim::DeviceAuthMode;
use kakunin_issuer::TestPki;
use kakunin_verifier_server::Config;
use running::{put, start, Running};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const AGE: &[&str] = &["age_over_20", "portrait", "family_name"];
const MDL: &str = "org.iso.18013.5.1.mDL";
const PID: &str = "eu.europa.ec.eudi.pid.1";

/// A VICAL from `signer_pki`'s VICAL signer listing `pki`'s IACA for `doc_types`.
fn vical(
    pki: &TestPki,
    signer_pki: &TestPki,
    issue_id: u64,
    doc_types: &[&str],
    next_update: time::OffsetDateTime,
) -> Vec<u8> {
    let signer = ProviderSigner::new(default_provider(), &signer_pki.vical_signer.key).unwrap();
    let now = common::now();
    let input = VicalBuildInput {
        provider: "Kakunin test VICAL provider".into(),
        date: now - time::Duration::minutes(1),
        issue_id: Some(issue_id),
        next_update: Some(next_update),
        url: None,
        entries: vec![VicalBuildEntry {
            certificate: pki.iaca.cert_der.clone(),
            doc_types: doc_types.iter().map(|d| d.to_string()).collect(),
            certificate_profiles: vec![],
            issuing_authority: None,
        }],
    };
    build_vical(
        &signer,
        std::slice::from_ref(&signer_pki.vical_signer.cert_der),
        &input,
    )
    .unwrap()
}

fn fresh(pki: &TestPki, issue_id: u64, doc_types: &[&str]) -> Vec<u8> {
    vical(
        pki,
        pki,
        issue_id,
        doc_types,
        common::now() + time::Duration::days(30),
    )
}

/// Flip a bit in the COSE signature (the last bytes of the list).
fn bad_signature(mut v: Vec<u8>) -> Vec<u8> {
    let last = v.len() - 1;
    v[last] ^= 0x01;
    v
}

/// A bundle of `version` with `iacas` (certificate, docTypes) and `vicals`.
fn bundle(pki: &TestPki, version: u64, iacas: &[(&[u8], &[&str])], vicals: &[Vec<u8>]) -> Vec<u8> {
    let mut c = BundleContents::new(version, common::now());
    for (der, doc_types) in iacas {
        c.iacas.push(BundleIaca {
            cert_der: der.to_vec(),
            doc_types: doc_types.iter().map(|d| d.to_string()).collect(),
        });
    }
    c.vicals = vicals.to_vec();
    let signer = ProviderSigner::new(default_provider(), &pki.bundle_signer.key).unwrap();
    build(
        &c,
        &signer,
        std::slice::from_ref(&pki.bundle_signer.cert_der),
    )
    .unwrap()
}

struct Files {
    dir: tempfile::TempDir,
    authority: PathBuf,
    bundle_root: PathBuf,
}

impl Files {
    fn new(w: &World) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let authority = dir.path().join("vical-root.der");
        std::fs::write(&authority, &w.pki.vical_root.cert_der).unwrap();
        let bundle_root = dir.path().join("bundle-root.der");
        std::fs::write(&bundle_root, &w.pki.bundle_root.cert_der).unwrap();
        Files {
            dir,
            authority,
            bundle_root,
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        put(&p, bytes);
        p
    }
}

fn verify(r: &Running, w: &World) -> serde_json::Value {
    let s = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let (status, v) = post_json(r.addr, "/api/v1/verify/mdoc", &mdoc_body(&s, false), None);
    assert_eq!(status, 200, "{v}");
    v
}

fn wait_for(r: &Running, w: &World, want: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = verify(r, w);
        if v["verdict"] == want {
            return v;
        }
        assert!(Instant::now() < deadline, "still {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn trust_info(r: &Running) -> serde_json::Value {
    let (status, _, body) = http(r.addr, "GET", "/api/v1/till/trust", &[], b"");
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

fn loose(f: &Files, list: &Path) -> impl FnOnce(&mut Config) {
    let (a, l) = (f.authority.clone(), list.to_path_buf());
    move |c| {
        c.vical_authorities = vec![a];
        c.vicals = vec![l];
    }
}

#[test]
fn the_only_iaca_from_a_vical_answers_ok_for_an_mdl() {
    let w = World::new();
    let f = Files::new(&w);
    let list = f.file("list.vical", &fresh(&w.pki, 7, &[MDL]));
    let r = start(loose(&f, &list)).unwrap();
    let v = verify(&r, &w);
    assert_eq!(v["verdict"], "OK", "{v}");
    let info = trust_info(&r);
    assert_eq!(info["anchors"], 1, "{info}");
    let l = &info["vicals"][0];
    assert_eq!(l["provider"], "Kakunin test VICAL provider", "{info}");
    assert_eq!(l["issue_id"], 7, "{info}");
    assert_eq!(l["entries"], 1, "{info}");
    assert_eq!(l["origin"], "list.vical", "{info}");
    assert!(l["date"].as_str().unwrap().ends_with('Z'), "{info}");
    assert!(l["next_update"].is_string(), "{info}");
}

#[test]
fn the_same_iaca_listed_for_another_doc_type_is_untrusted() {
    let w = World::new();
    let f = Files::new(&w);
    let list = f.file("list.vical", &fresh(&w.pki, 1, &[PID]));
    let r = start(loose(&f, &list)).unwrap();
    let v = verify(&r, &w);
    assert_eq!(v["verdict"], "NG", "{v}");
    assert_eq!(v["reason"], "untrusted_issuer", "{v}");
    assert_eq!(trust_info(&r)["anchors"], 1);
}

#[test]
fn a_vical_that_does_not_verify_imports_nothing() {
    let w = World::new();
    let other = TestPki::generate(default_provider(), "JP", 1, common::now()).unwrap();
    let f = Files::new(&w);
    let past = common::now() - time::Duration::days(1);
    for (what, bytes) in [
        ("bad signature", bad_signature(fresh(&w.pki, 1, &[MDL]))),
        (
            "signed by a non-authority",
            vical(
                &w.pki,
                &other,
                1,
                &[MDL],
                common::now() + time::Duration::days(1),
            ),
        ),
        ("stale", vical(&w.pki, &w.pki, 1, &[MDL], past)),
        ("not a VICAL", b"\x84garbage".to_vec()),
    ] {
        let list = f.file("list.vical", &bytes);
        let r = start(loose(&f, &list)).unwrap();
        let v = verify(&r, &w);
        assert_eq!(v["verdict"], "NG", "{what}: {v}");
        assert_eq!(v["reason"], "untrusted_issuer", "{what}: {v}");
        let info = trust_info(&r);
        assert_eq!(info["anchors"], 0, "{what}: {info}");
        assert_eq!(info["vicals"].as_array().unwrap().len(), 0, "{what}");
    }
    // A stale list's replacement is picked up on the reload interval.
    let list = f.file("list.vical", &vical(&w.pki, &w.pki, 1, &[MDL], past));
    let r = start(loose(&f, &list)).unwrap();
    put(&list, &fresh(&w.pki, 2, &[MDL]));
    wait_for(&r, &w, "OK");
}

#[test]
fn a_lower_issue_id_on_reload_is_refused_and_a_higher_one_taken() {
    let w = World::new();
    let f = Files::new(&w);
    let list = f.file("list.vical", &fresh(&w.pki, 5, &[MDL]));
    let r = start(loose(&f, &list)).unwrap();
    assert_eq!(verify(&r, &w)["verdict"], "OK");
    // Issue 4 would withdraw the mDL scope: refused as a rollback, issue 5 stays.
    put(&list, &fresh(&w.pki, 4, &[PID]));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(verify(&r, &w)["verdict"], "OK");
    assert_eq!(trust_info(&r)["vicals"][0]["issue_id"], 5);
    // A bad signature on a higher issue is refused too; issue 5 stays.
    put(&list, &bad_signature(fresh(&w.pki, 9, &[PID])));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(verify(&r, &w)["verdict"], "OK");
    // Issue 6 (equal would do as well) is taken without restart.
    put(&list, &fresh(&w.pki, 6, &[PID]));
    let v = wait_for(&r, &w, "NG");
    assert_eq!(v["reason"], "untrusted_issuer", "{v}");
    assert_eq!(trust_info(&r)["vicals"][0]["issue_id"], 6);
}

#[test]
fn a_bundle_with_a_vical_that_does_not_verify_is_refused() {
    let w = World::new();
    let f = Files::new(&w);
    let good = fresh(&w.pki, 1, &[MDL]);
    let path = f.file("trust.bundle", &bundle(&w.pki, 1, &[], &[good]));
    let (a, b, p) = (f.authority.clone(), f.bundle_root.clone(), path.clone());
    let cfg = move |c: &mut Config| {
        c.vical_authorities = vec![a];
        c.trust_bundle = Some(p);
        c.bundle_signer = Some(b);
    };
    let r = start(cfg.clone()).unwrap();
    assert_eq!(verify(&r, &w)["verdict"], "OK");
    let info = trust_info(&r);
    assert_eq!(
        info["vicals"][0]["origin"], "trust bundle v1, VICAL #0",
        "{info}"
    );

    // Version 2 carries the IACA unscoped but a VICAL with a bad signature: refused whole.
    let iaca: &[u8] = &w.pki.iaca.cert_der;
    let bad = bad_signature(fresh(&w.pki, 2, &[PID]));
    put(&path, &bundle(&w.pki, 2, &[(iaca, &[])], &[bad]));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(trust_info(&r)["bundle_version"], 1);
    assert_eq!(trust_info(&r)["anchors"], 1);
    // The same for a VICAL signed by the bundle signer's PKI but not a VICAL authority of
    // this till (another PKI's VICAL signer).
    let other = TestPki::generate(default_provider(), "JP", 1, common::now()).unwrap();
    let foreign = vical(
        &w.pki,
        &other,
        3,
        &[PID],
        common::now() + time::Duration::days(1),
    );
    put(&path, &bundle(&w.pki, 3, &[], &[foreign]));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(trust_info(&r)["bundle_version"], 1);
    assert_eq!(verify(&r, &w)["verdict"], "OK");
    // A good version 4 whose VICAL lists the IACA for PID only is taken.
    put(&path, &bundle(&w.pki, 4, &[], &[fresh(&w.pki, 4, &[PID])]));
    let v = wait_for(&r, &w, "NG");
    assert_eq!(v["reason"], "untrusted_issuer", "{v}");
    assert_eq!(trust_info(&r)["bundle_version"], 4);
    drop(r);

    // At start, such a bundle stops the till.
    put(
        &path,
        &bundle(&w.pki, 5, &[], &[bad_signature(fresh(&w.pki, 5, &[MDL]))]),
    );
    let e = start(cfg).err().unwrap();
    assert!(e.to_string().contains("VICAL #0"), "{e}");
}

#[test]
fn scoped_bundle_iacas_keep_their_scope() {
    let w = World::new();
    let f = Files::new(&w);
    let iaca: &[u8] = &w.pki.iaca.cert_der;
    for (scope, want) in [(&[PID][..], "NG"), (&[MDL][..], "OK"), (&[][..], "OK")] {
        let path = f.file("trust.bundle", &bundle(&w.pki, 1, &[(iaca, scope)], &[]));
        let (b, p) = (f.bundle_root.clone(), path.clone());
        let r = start(move |c| {
            c.trust_bundle = Some(p);
            c.bundle_signer = Some(b);
        })
        .unwrap();
        let v = verify(&r, &w);
        assert_eq!(v["verdict"], want, "{scope:?}: {v}");
        if want == "NG" {
            assert_eq!(v["reason"], "untrusted_issuer", "{v}");
        }
        assert_eq!(trust_info(&r)["anchors"], 1);
    }
}

#[test]
fn loose_vicals_need_a_vical_authority() {
    let w = World::new();
    let f = Files::new(&w);
    let list = f.file("list.vical", &fresh(&w.pki, 1, &[MDL]));
    let e = start(|c| c.vicals = vec![list]).err().unwrap();
    assert!(e.to_string().contains("vical_authorities"), "{e}");
}
