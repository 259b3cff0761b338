#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The issuer service end to end over HTTP, with the STAND-IN proofing (tests/common): the
//! same test body against SQLite and against PostgreSQL (a fresh schema per test; the
//! PostgreSQL test fails, never skips, without a server — scripts/install-postgres.sh).
//!
//! Issuance of both formats with status entries and the proofing level; bad input (malformed
//! JSON, oversize body, replayed, unknown and expired nonces, PoP mismatch, reused key, too
//! many keys, proofing errors) as typed 4xx with nothing stored; re-enrolment superseding a
//! device's credentials; a returning person after a move and after a card renewal; the
//! administration API; a JPKI CRL revoking a person; the registry's invariants.

mod common;
use common::*;
use serde_json::Value;

fn code(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

async fn counts(r: &Running) -> (i64, i64, i64, i64) {
    (
        rows(r, "issuer_persons").await,
        rows(r, "issuer_devices").await,
        rows(r, "issuer_credentials").await,
        rows(r, "issuer_enrolments").await,
    )
}

fn decode_mdoc(
    item: &Value,
) -> (
    kakunin_core::mdoc::IssuerSigned,
    kakunin_core::mdoc::MobileSecurityObject,
) {
    let is = kakunin_core::mdoc::decode_issuer_signed(&unb64url(
        item["issuer_signed"].as_str().unwrap(),
    ))
    .unwrap();
    let mso = kakunin_core::mdoc::MobileSecurityObject::from_tagged_bytes(
        is.issuer_auth.payload().unwrap(),
    )
    .unwrap();
    (is, mso)
}

fn sd_jwt_parts(s: &str) -> (Value, Vec<Value>) {
    let mut parts = s.split('~');
    let jwt = parts.next().unwrap();
    let payload: Value = serde_json::from_slice(&unb64url(jwt.split('.').nth(1).unwrap())).unwrap();
    let disclosures = parts
        .filter(|p| !p.is_empty())
        .map(|p| serde_json::from_slice(&unb64url(p)).unwrap())
        .collect();
    (payload, disclosures)
}

/// What a relying party checks, with the issuer's IACA as its only anchor: the mdoc's
/// issuerAuth (DS chain under the Document Signer profile, COSE signature), the SD-JWT VC
/// (x5c chain under the JWS-signer profile, signature, Disclosures), and the status list in
/// both forms (signer under the IACA, signature, `sub`, freshness).
async fn relying_party_accepts(world: &World, v: &Value, list_uri: &str) {
    use kakunin_core::status::{verify_status_list, CheckContext, SignerTrust, StatusListToken};
    use kakunin_core::trust::{validate_chain, CertProfile, TrustAnchors};
    let c = kakunin_core::crypto::default_provider();
    let iaca = kakunin_issuer::pki::read_cert(&world.dir.path().join("pki/iaca.cert.pem")).unwrap();
    let anchors = TrustAnchors::from_der_certs([iaca.as_slice()]).unwrap();
    let at = time::OffsetDateTime::now_utc();
    for m in v["mdoc"].as_array().unwrap() {
        let (is, _) = decode_mdoc(m);
        let chain = is.issuer_auth.x5chain().unwrap();
        let validated =
            validate_chain(c, &chain, &anchors, CertProfile::DocumentSigner, at).unwrap();
        is.issuer_auth
            .verify(c, &validated.leaf_public_key, None)
            .unwrap();
    }
    for sd in v["sd_jwt_vc"].as_array().unwrap() {
        let verified = kakunin_core::sdjwt::verify_sd_jwt_vc(
            c,
            sd["sd_jwt"].as_str().unwrap(),
            kakunin_core::sdjwt::IssuerKey::X5c(&anchors),
            None,
            false,
            at,
        );
        assert!(verified.is_ok(), "{:?}", verified.err());
    }
    let ctx = CheckContext {
        trust: SignerTrust::Iaca(&anchors),
        policy: Default::default(),
        now: at,
        fetched_at: None,
    };
    for token in [
        &world_fetch(list_uri, false).await,
        &world_fetch(list_uri, true).await,
    ] {
        let t = StatusListToken::parse(token).unwrap();
        verify_status_list(c, t, list_uri, &ctx).unwrap();
    }
}

/// GET a status list by its URI (the service listens where its URI says).
async fn world_fetch(uri: &str, cwt: bool) -> Vec<u8> {
    let rest = uri.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let accept = if cwt {
        "application/statuslist+cwt"
    } else {
        "application/statuslist+jwt"
    };
    let (s, _, b) = http(
        host.parse().unwrap(),
        "GET",
        path,
        &[("Accept", accept)],
        b"",
    )
    .await;
    assert_eq!(s, 200);
    b
}

async fn scenario(postgres: bool) {
    let world = World::new();
    let url = database(&world, postgres).await;
    let r = start(world.config(url.clone()), &world).await;
    let issuer = r.state.config().public_url.clone();
    let holder = Holder::new();
    let card = StandInCard::new("山田 花子", "2000-05-05", "東京都千代田区霞が関1-1", 1001);

    // --- issuance ---
    let (s, v, req) = enrol(&r, &holder, &card, 3, 2).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["proofing"]["method"], "jpki_card");
    assert_eq!(v["proofing"]["level"], "IAL3");
    let person = v["person"].as_str().unwrap().to_string();
    let device = v["device"].as_str().unwrap().to_string();
    assert_eq!(person.len(), 64, "pairwise id is an HMAC, hex");
    assert_eq!(v["mdoc"].as_array().unwrap().len(), 3);
    assert_eq!(v["sd_jwt_vc"].as_array().unwrap().len(), 2);
    let valid_until = v["valid_until"].as_i64().unwrap();
    assert!(valid_until > now() + 29 * 86_400 && valid_until <= now() + 30 * 86_400 + 5);
    let mut indices = Vec::new();
    let mut list_uri = String::new();
    for (m, key) in v["mdoc"].as_array().unwrap().iter().zip(&req.mdoc_keys) {
        let (is, mso) = decode_mdoc(m);
        assert_eq!(mso.doc_type, "org.kakunin.jp.pid.1");
        let c = kakunin_core::crypto::default_provider();
        assert_eq!(mso.device_key, c.public_key(key).unwrap());
        let items = &is.name_spaces[0].items;
        let get = |id: &str| {
            items
                .iter()
                .find(|i| i.element_identifier == id)
                .map(|i| i.element_value.clone())
        };
        assert_eq!(
            get("age_over_20"),
            Some(kakunin_core::cbor::Value::Bool(true))
        );
        assert_eq!(
            get("assurance_level"),
            Some(kakunin_core::cbor::Value::Text("IAL3".into()))
        );
        assert_eq!(
            get("proofing_method"),
            Some(kakunin_core::cbor::Value::Text("jpki_card".into()))
        );
        assert_eq!(
            get("name"),
            Some(kakunin_core::cbor::Value::Text("山田 花子".into()))
        );
        match mso.status.unwrap() {
            kakunin_core::mdoc::MsoStatus::StatusList { idx, uri, .. } => {
                assert_eq!(m["status"]["status_list"]["idx"], idx);
                indices.push(idx);
                list_uri = uri;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(list_uri.starts_with(&format!("{issuer}/status/")));
    for sd in v["sd_jwt_vc"].as_array().unwrap() {
        let (payload, disclosures) = sd_jwt_parts(sd["sd_jwt"].as_str().unwrap());
        assert_eq!(payload["iss"], issuer.as_str());
        assert_eq!(payload["exp"], valid_until);
        assert_eq!(payload["status"]["status_list"]["uri"], list_uri.as_str());
        indices.push(payload["status"]["status_list"]["idx"].as_u64().unwrap());
        let verification = disclosures
            .iter()
            .find(|d| d[1] == "verification")
            .expect("a verification disclosure");
        assert_eq!(verification[2]["trust_framework"], "jp_jpki");
        assert_eq!(verification[2]["assurance_level"], "IAL3");
        assert_eq!(verification[2]["evidence"][0]["type"], "jpki_card");
    }
    let mut sorted = indices.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "each credential has its own status entry");
    for idx in &indices {
        assert_eq!(published_status(&r, &list_uri, *idx, false).await, 0);
    }
    relying_party_accepts(&world, &v, &list_uri).await;
    let after_first = counts(&r).await;
    assert_eq!(after_first, (1, 1, 5, 1));

    // --- bad input: typed 4xx, nothing stored ---
    let (s, v) = post_json(r.addr, "/enrol", b"{not json").await;
    assert_eq!((s, code(&v)), (400, "malformed_json"));
    assert!(v["detail"].is_string());
    let (s, v) = post_json(r.addr, "/enrol", br#"{"nonce": "x"}"#).await;
    assert_eq!((s, code(&v)), (400, "malformed_json"));
    let big = vec![b' '; 300 * 1024];
    let (s, v) = post_json(r.addr, "/enrol", &big).await;
    assert_eq!((s, code(&v)), (413, "body_too_large"));
    // Replay: the nonce of the first enrolment.
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&req.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "nonce_used"));
    // A nonce this issuer never handed out.
    let fake = holder.request(&card, &issuer, &[7u8; 32], 1, 1);
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&fake.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "nonce_unknown"));
    // PoP mismatch: one mdoc key's pop replaced by another's; the nonce is spent anyway.
    let n = nonce(r.addr).await;
    let mut bad = holder.request(&card, &issuer, &n, 2, 1);
    bad.body["mdoc_keys"][0]["pop"] = bad.body["mdoc_keys"][1]["pop"].clone();
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&bad.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "bad_pop"));
    let good = holder.request(&card, &issuer, &n, 2, 1);
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&good.body).unwrap()).await;
    assert_eq!(
        (s, code(&v)),
        (400, "nonce_used"),
        "a refused request spends its nonce"
    );
    // One key twice in the batch.
    let n = nonce(r.addr).await;
    let mut reused = holder.request(&card, &issuer, &n, 2, 1);
    reused.body["sd_jwt_keys"][0] = reused.body["mdoc_keys"][0].clone();
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&reused.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "device_key_reused"));
    // 33 keys in a batch.
    let n = nonce(r.addr).await;
    let many = holder.request(&card, &issuer, &n, 33, 1);
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&many.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "too_many_keys"));
    // Proofing errors: a signature over another challenge, a revoked, an untrusted card,
    // the authentication certificate in place of the signature certificate.
    let n = nonce(r.addr).await;
    let mut wrong = holder.request(&card, &issuer, &n, 1, 1);
    wrong.body["signature"] = wrong.body["authentication_signature"].clone();
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&wrong.body).unwrap()).await;
    assert_eq!((s, code(&v)), (403, "bad_signature"));
    let mut revoked = card.clone();
    revoked.revoked = true;
    let (s, v, _) = enrol(&r, &holder, &revoked, 1, 1).await;
    assert_eq!((s, code(&v)), (403, "revoked_certificate"));
    let mut foreign = card.clone();
    foreign.untrusted = true;
    let (s, v, _) = enrol(&r, &holder, &foreign, 1, 1).await;
    assert_eq!((s, code(&v)), (403, "untrusted_certificate"));
    let mut expired = card.clone();
    expired.not_after = now() - 60;
    let (s, v, _) = enrol(&r, &holder, &expired, 1, 1).await;
    assert_eq!((s, code(&v)), (403, "expired_certificate"));
    // A certificate ending within the day cannot carry a credential past its issue date.
    let mut ending = card.clone();
    ending.not_after = now() + 3600;
    let (s, v, _) = enrol(&r, &holder, &ending, 1, 1).await;
    assert_eq!((s, code(&v)), (403, "expired_certificate"));
    // An incomplete date of birth: no age can be derived.
    let mut no_birth = card.clone();
    no_birth.birth = "2000-00-00".into();
    let (s, v, _) = enrol(&r, &holder, &no_birth, 1, 1).await;
    assert_eq!((s, code(&v)), (422, "unusable_facts"));
    let n = nonce(r.addr).await;
    let mut swapped = holder.request(&card, &issuer, &n, 1, 1);
    swapped.body["signature_certificate"] = swapped.body["authentication_certificate"].clone();
    let (s, v) = post_json(
        r.addr,
        "/enrol",
        &serde_json::to_vec(&swapped.body).unwrap(),
    )
    .await;
    assert_eq!((s, code(&v)), (403, "wrong_certificate"));
    // The wrong media type.
    let (s, _, b) = http(
        r.addr,
        "POST",
        "/enrol",
        &[("Content-Type", "text/plain")],
        b"{}",
    )
    .await;
    assert_eq!(s, 415, "{}", String::from_utf8_lossy(&b));
    assert_eq!(
        counts(&r).await,
        after_first,
        "nothing stored by refused requests"
    );
    // No error body echoes input or personal data.
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&v).unwrap()).contains("山田"));

    // --- re-enrolment of the same device: old credentials superseded, bits flipped ---
    let (s, v2, _) = enrol(&r, &holder, &card, 2, 2).await;
    assert_eq!(s, 201, "{v2}");
    assert_eq!(v2["person"], person.as_str());
    assert_eq!(v2["device"], device.as_str());
    for idx in &indices {
        assert_eq!(
            published_status(&r, &list_uri, *idx, false).await,
            1,
            "superseded {idx}"
        );
        assert_eq!(published_status(&r, &list_uri, *idx, true).await, 1);
    }
    let new_idx = v2["mdoc"][0]["status"]["status_list"]["idx"]
        .as_u64()
        .unwrap();
    assert!(!indices.contains(&new_idx));
    assert_eq!(published_status(&r, &list_uri, new_idx, false).await, 0);

    // --- a move: the signature certificate changes with the address, the authentication
    // certificate stays: same person; a second device of the same person.
    let phone = Holder::new();
    let mut moved = card.clone();
    moved.address = "大阪府大阪市北区中之島1-3-20".into();
    moved.sign_serial = 2001;
    let (s, v3, _) = enrol(&r, &phone, &moved, 1, 1).await;
    assert_eq!(s, 201, "{v3}");
    assert_eq!(v3["person"], person.as_str(), "recognised after a move");
    assert_ne!(v3["device"], device.as_str());
    // --- a renewal: both certificates new, the four facts as before: same person.
    let mut renewed = moved.clone();
    renewed.sign_serial = 3001;
    renewed.auth_serial = 3002;
    let (s, v4, _) = enrol(&r, &phone, &renewed, 1, 1).await;
    assert_eq!(s, 201, "{v4}");
    assert_eq!(
        v4["person"],
        person.as_str(),
        "recognised after a card renewal"
    );
    assert_eq!(
        v4["device"], v3["device"],
        "the phone's device record is reused"
    );
    // --- someone else entirely.
    let other = StandInCard::new("佐藤 太郎", "1990-01-01", "札幌市中央区北1条西2", 5001);
    let (s, v5, _) = enrol(&r, &Holder::new(), &other, 1, 1).await;
    assert_eq!(s, 201);
    assert_ne!(v5["person"], person.as_str());

    // --- administration ---
    let path = format!("/admin/persons/{person}/devices");
    let (s, _, b) = http(r.addr, "GET", &path, &[], b"").await;
    assert_eq!(s, 401);
    assert_eq!(
        serde_json::from_slice::<Value>(&b).unwrap()["error"],
        "unauthorized"
    );
    let (s, _, _) = http(
        r.addr,
        "GET",
        &path,
        &[("Authorization", "Bearer wrong-token-0000000000")],
        b"",
    )
    .await;
    assert_eq!(s, 401);
    let (s, d) = admin(r.addr, "GET", &path, b"").await;
    assert_eq!(s, 200, "{d}");
    let devs = d["devices"].as_array().unwrap();
    assert_eq!(devs.len(), 2);
    let first = devs
        .iter()
        .find(|x| x["device"] == device.as_str())
        .unwrap();
    assert_eq!(first["credentials"]["superseded"], 5);
    assert_eq!(first["credentials"]["active"], 4);
    assert_eq!(first["label"], "test phone");
    let (s, _) = admin(r.addr, "GET", "/admin/persons/00ff/devices", b"").await;
    assert_eq!(s, 404);
    let (s, rv) = admin(
        r.addr,
        "POST",
        &format!("/admin/devices/{device}/revoke"),
        b"",
    )
    .await;
    assert_eq!(s, 200, "{rv}");
    assert_eq!(rv["revoked_credentials"], 4);
    assert_eq!(
        published_status(&r, &list_uri, new_idx, false).await,
        1,
        "revoked device"
    );
    let phone_idx = v4["sd_jwt_vc"][0]["status"]["status_list"]["idx"]
        .as_u64()
        .unwrap();
    assert_eq!(
        published_status(&r, &list_uri, phone_idx, false).await,
        0,
        "other device untouched"
    );
    let (s, _) = admin(r.addr, "POST", "/admin/devices/abcdef/revoke", b"").await;
    assert_eq!(s, 404);

    // --- a JPKI CRL listing the renewed card's signature certificate ---
    let crl = world.crl(&[3001, 9999], 1);
    let (s, c) = admin(r.addr, "POST", "/admin/jpki-crl", &crl).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["revoked_certificates"], 2);
    assert_eq!(c["persons"], 1);
    // The phone's active credentials (its earlier ones were superseded by the renewal).
    assert_eq!(c["revoked_credentials"], 2);
    assert_eq!(published_status(&r, &list_uri, phone_idx, false).await, 1);
    let other_idx = v5["mdoc"][0]["status"]["status_list"]["idx"]
        .as_u64()
        .unwrap();
    assert_eq!(published_status(&r, &list_uri, other_idx, false).await, 0);
    // A CRL not signed by the JPKI CA is refused.
    let mut forged = crl.clone();
    let last = forged.len() - 3;
    forged[last] ^= 1;
    let (s, c) = admin(r.addr, "POST", "/admin/jpki-crl", &forged).await;
    assert_eq!((s, c["error"].as_str().unwrap()), (400, "bad_crl"));
    // Re-read from the CA directory (no files there: nothing to do).
    let (s, c) = admin(r.addr, "POST", "/admin/jpki-crl", b"").await;
    assert_eq!((s, c["crls"].as_u64().unwrap()), (200, 0));

    // --- status publication: ETag, caching headers, unknown lists ---
    let path = list_uri.strip_prefix(&issuer).unwrap().to_string();
    let (s, h, _) = http(r.addr, "GET", &path, &[], b"").await;
    assert_eq!(s, 200);
    let etag = h.iter().find(|(k, _)| k == "etag").unwrap().1.clone();
    assert!(h
        .iter()
        .any(|(k, v)| k == "cache-control" && v == "max-age=300"));
    assert!(h
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/statuslist+jwt"));
    let (s, _, b) = http(r.addr, "GET", &path, &[("If-None-Match", &etag)], b"").await;
    assert_eq!((s, b.len()), (304, 0));
    let (s, _, _) = http(r.addr, "GET", "/status/999", &[], b"").await;
    assert_eq!(s, 404);
    let (s, _, _) = http(r.addr, "GET", "/nowhere", &[], b"").await;
    assert_eq!(s, 404);
    let (s, _, b) = http(r.addr, "GET", "/enrol", &[], b"").await;
    assert_eq!(s, 405, "{}", String::from_utf8_lossy(&b));

    let bad = r.state.registry().check_invariants().await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    drop(r);

    // --- a CRL file in the JPKI CA directory is applied when the service starts ---
    std::fs::write(
        world.dir.path().join("jpki-ca/jpki-sign.crl"),
        world.crl(&[3001, 5001], 2),
    )
    .unwrap();
    // --- an expired nonce (a second service over the same registry, 1-second nonces) ---
    let mut c = world.config(url);
    c.nonce_ttl = std::time::Duration::from_secs(1);
    let r = start(c, &world).await;
    assert_eq!(
        published_status(
            &r,
            &list_uri.replace(&issuer, &r.state.config().public_url),
            other_idx,
            false
        )
        .await,
        1
    );
    let (s, c) = admin(r.addr, "POST", "/admin/jpki-crl", b"").await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["crls"].as_u64(), c["revoked_credentials"].as_u64()),
        (Some(1), Some(0))
    );
    let before = counts(&r).await;
    let n = nonce(r.addr).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let late = Holder::new().request(&card, &r.state.config().public_url, &n, 1, 1);
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&late.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "nonce_expired"));
    let (s, v) = post_json(r.addr, "/enrol", &serde_json::to_vec(&late.body).unwrap()).await;
    assert_eq!((s, code(&v)), (400, "nonce_used"));
    assert_eq!(counts(&r).await, before);
    // The registry survived the restart: the person is still known.
    let (s, d) = admin(
        r.addr,
        "GET",
        &format!("/admin/persons/{person}/devices"),
        b"",
    )
    .await;
    assert_eq!((s, d["devices"].as_array().unwrap().len()), (200, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_postgres() {
    scenario(true).await;
}
