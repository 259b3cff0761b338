#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The registry on its own, SQLite and PostgreSQL (the same body): status lists roll over when
//! full, never handing out an index twice; a failed issuance step commits nothing; links are
//! re-bound and taken over; CRL links revoke by certificate and by person.

mod common;
use common::*;
use kakunin_core::crypto::default_provider;
use kakunin_issuer_server::registry::{CredentialRow, EnrolmentRecord, Registry, RegistryError};

fn record(
    id: &str,
    auth: &str,
    facts: &str,
    sign: &str,
    device: &str,
    n: usize,
) -> EnrolmentRecord {
    let now = now();
    EnrolmentRecord {
        enrolment_id: id.into(),
        nonce_hash: format!("nonce-{id}"),
        auth_link: auth.into(),
        facts_link: facts.into(),
        sign_link: sign.into(),
        device_thumbprint: device.into(),
        label: None,
        now,
        valid_from: now,
        valid_until: now + 86_400,
        mdocs: n,
        sd_jwt_vcs: n,
        method: "jpki_card".into(),
        level: "IAL3".into(),
    }
}

async fn enrol(
    reg: &Registry,
    r: &EnrolmentRecord,
) -> Result<kakunin_issuer_server::registry::EnrolmentOutcome, RegistryError> {
    let now = now();
    reg.put_nonce(&r.nonce_hash, now, now + 60).await.unwrap();
    reg.consume_nonce(&r.nonce_hash, now).await.unwrap();
    let total = r.mdocs + r.sd_jwt_vcs;
    reg.enrol(default_provider(), r, |a| {
        Ok((
            (0..total)
                .map(|i| CredentialRow {
                    id: format!("{}-{i}", r.enrolment_id),
                    format: if i < r.mdocs { "mdoc" } else { "sd-jwt-vc" },
                    status_index: a.first_index + u64::try_from(i).unwrap(),
                })
                .collect(),
            (),
        ))
    })
    .await
    .map(|(o, ())| o)
}

async fn body(postgres: bool) {
    let world = World::new();
    let url = database(&world, postgres)
        .await
        .unwrap_or_else(|| format!("sqlite://{}/r.db", world.dir.path().display()));
    // Lists of 16 entries: a batch of 6 credentials fits twice, the third opens list 2.
    let reg = Registry::open(&url, 16).await.unwrap();
    let a = enrol(
        &reg,
        &record("e1", "auth-1", "facts-1", "sign-1", "dev-a", 3),
    )
    .await
    .unwrap();
    let b = enrol(
        &reg,
        &record("e2", "auth-2", "facts-2", "sign-2", "dev-b", 3),
    )
    .await
    .unwrap();
    let c = enrol(
        &reg,
        &record("e3", "auth-3", "facts-3", "sign-3", "dev-c", 3),
    )
    .await
    .unwrap();
    assert_eq!(
        (a.allocation.list_id.as_str(), a.allocation.first_index),
        ("1", 0)
    );
    assert_eq!(
        (b.allocation.list_id.as_str(), b.allocation.first_index),
        ("1", 6)
    );
    assert_eq!(
        (c.allocation.list_id.as_str(), c.allocation.first_index),
        ("2", 0)
    );
    assert!(!a.returning_person);

    // A failing issuance step: nothing of it is committed, and its nonce stays spent.
    let r = record("e4", "auth-4", "facts-4", "sign-4", "dev-d", 1);
    let now = now();
    reg.put_nonce(&r.nonce_hash, now, now + 60).await.unwrap();
    reg.consume_nonce(&r.nonce_hash, now).await.unwrap();
    let e = reg
        .enrol(default_provider(), &r, |_| {
            Err::<(Vec<CredentialRow>, ()), _>(RegistryError::Issue("signing failed".into()))
        })
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Issue(_)));
    assert!(matches!(
        reg.consume_nonce(&r.nonce_hash, now).await,
        Err(RegistryError::NonceUsed)
    ));
    // A nonce never consumed cannot be tied to an enrolment.
    let mut unconsumed = record("e5", "auth-5", "facts-5", "sign-5", "dev-e", 1);
    unconsumed.nonce_hash = "never-handed-out".into();
    let e = reg
        .enrol(default_provider(), &unconsumed, |_| Ok((Vec::new(), ())))
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::NonceUsed));

    // Renewal of person 1 (new auth and sign links, same facts): same person, device record
    // reused, old credentials superseded; list 1 changed.
    let renew = enrol(
        &reg,
        &record("e6", "auth-1b", "facts-1", "sign-1b", "dev-a", 1),
    )
    .await
    .unwrap();
    assert!(renew.returning_person);
    assert_eq!(renew.allocation.person_id, a.allocation.person_id);
    assert_eq!(renew.allocation.device_id, a.allocation.device_id);
    assert_eq!(renew.superseded, 6);
    assert_eq!(renew.changed_lists, vec!["1".to_string()]);
    let l1 = reg.list_state("1").await.unwrap().unwrap();
    assert_eq!(l1.invalid.len(), 6);
    assert!(l1.version >= 1);
    // Person 2 moves into facts-1's values (hypothetically): the link is taken over, and person
    // 1's next enrolment by facts alone is no longer theirs (but by auth it is).
    let moved = enrol(
        &reg,
        &record("e7", "auth-2", "facts-1", "sign-2b", "dev-b", 1),
    )
    .await
    .unwrap();
    assert_eq!(moved.allocation.person_id, b.allocation.person_id);
    let again = enrol(
        &reg,
        &record("e8", "auth-1b", "facts-1c", "sign-1c", "dev-a2", 1),
    )
    .await
    .unwrap();
    assert_eq!(again.allocation.person_id, a.allocation.person_id);

    // CRL links: the old signature certificate of person 1 revokes what was issued under it
    // (already superseded: nothing new); person 3's current one revokes all of theirs.
    let out = reg
        .revoke_links(&["sign-1".into(), "sign-3".into(), "unknown".into()], now)
        .await
        .unwrap();
    assert_eq!(out.credentials, 6);
    assert_eq!(out.persons, 1);
    assert_eq!(out.changed_lists, vec!["2".to_string()]);
    let devices = reg.devices(&c.allocation.person_id).await.unwrap();
    assert_eq!((devices[0].active, devices[0].revoked), (0, 6));
    assert!(matches!(
        reg.devices("nobody").await,
        Err(RegistryError::NotFound)
    ));
    assert!(matches!(
        reg.revoke_device("nothing", now).await,
        Err(RegistryError::NotFound)
    ));
    assert!(reg.check_invariants().await.unwrap().is_empty());
    // Concurrent enrolments across list boundaries (16 entries, 6 per enrolment): none is
    // refused, no index is handed out twice.
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let reg = reg.clone();
            tokio::spawn(async move {
                let k = format!("c{i}");
                enrol(
                    &reg,
                    &record(&k, &format!("auth-{k}"), &format!("facts-{k}"), "s", &k, 3),
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert!(reg.check_invariants().await.unwrap().is_empty());
    reg.close().await;
    // Reopening runs the migrations again: a no-op.
    let reg = Registry::open(&url, 16).await.unwrap();
    assert_eq!(reg.list_version("2").await.unwrap(), Some(1));
    assert!(
        reg.list_version("6").await.unwrap().is_some(),
        "lists rolled over"
    );
    assert!(matches!(
        Registry::open("mysql://x@localhost/db", 16).await,
        Err(RegistryError::UnsupportedUrl)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_sqlite() {
    body(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_postgres() {
    body(true).await;
}

/// Status indices come out of in-memory blocks (a 64th of the list): two registry handles
/// opened separately on one database (two issuer processes) enrolling concurrently never
/// hand out an index twice, a failed enrolment's indices are a gap that is never reused,
/// and every credential's index lies below its list's allocation mark.
async fn blocks_body(postgres: bool) {
    let world = World::new();
    let url = database(&world, postgres)
        .await
        .unwrap_or_else(|| format!("sqlite://{}/b.db", world.dir.path().display()));
    let one = Registry::open(&url, 4096).await.unwrap();
    let two = Registry::open(&url, 4096).await.unwrap();
    let first = one.reserve(8).await.unwrap();
    let next = one.reserve(8).await.unwrap();
    assert_eq!((first.list_id.as_str(), first.first_index), ("1", 0));
    // From the same block: no transaction, the next 8.
    assert_eq!(next.first_index, 8);
    // The other handle takes its own block (64 indices) after the first one's.
    assert_eq!(two.reserve(8).await.unwrap().first_index, 64);
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let reg = if i % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move {
                let k = format!("b{i}");
                enrol(
                    &reg,
                    &record(&k, &format!("auth-{k}"), &format!("facts-{k}"), "s", &k, 4),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        let o = t.await.unwrap();
        for i in 0..8 {
            assert!(
                seen.insert((o.allocation.list_id.clone(), o.allocation.first_index + i)),
                "index handed out twice"
            );
        }
        // None of the indices reserved above by hand is ever handed to an enrolment.
        assert!(o.allocation.first_index >= 16);
        assert!(o.allocation.first_index < 64 || o.allocation.first_index >= 72);
    }
    assert_eq!(seen.len(), 24 * 8);
    assert!(one.check_invariants().await.unwrap().is_empty());
    one.close().await;
    two.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_blocks_sqlite() {
    blocks_body(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_blocks_postgres() {
    blocks_body(true).await;
}

/// 32 enrolments at once, with replays of a spent nonce among them: every enrolment lands
/// with its own indices, every replay is refused, and the invariants hold (on SQLite the
/// writes of concurrent requests share group commits).
async fn concurrent_body(postgres: bool) {
    let world = World::new();
    let url = database(&world, postgres)
        .await
        .unwrap_or_else(|| format!("sqlite://{}/r.db", world.dir.path().display()));
    let reg = Registry::open(&url, 4096).await.unwrap();
    let spent = record("spent", "auth-s", "facts-s", "sign-s", "dev-s", 1);
    enrol(&reg, &spent).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let one = reg.clone();
        tasks.push(tokio::spawn(async move {
            let r = record(
                &format!("c{i}"),
                &format!("auth-c{i}"),
                &format!("facts-c{i}"),
                &format!("sign-c{i}"),
                &format!("dev-c{i}"),
                2,
            );
            enrol(&one, &r)
                .await
                .map(|o| Some(o.allocation.first_index))
        }));
        if i % 4 == 0 {
            let reg = reg.clone();
            let hash = spent.nonce_hash.clone();
            tasks.push(tokio::spawn(async move {
                match reg.consume_nonce(&hash, now()).await {
                    Err(RegistryError::NonceUsed) => Ok(None),
                    other => panic!("a replayed nonce was not refused: {other:?}"),
                }
            }));
        }
    }
    let mut firsts = Vec::new();
    for t in tasks {
        if let Some(first) = t.await.unwrap().unwrap() {
            firsts.push(first);
        }
    }
    assert_eq!(firsts.len(), 32);
    firsts.sort_unstable();
    firsts.dedup();
    assert_eq!(firsts.len(), 32, "an index range was handed out twice");
    let enrolments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issuer_enrolments")
        .fetch_one(reg.pool())
        .await
        .unwrap();
    assert_eq!(enrolments, 33);
    assert!(reg.check_invariants().await.unwrap().is_empty());
    reg.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enrolments_sqlite() {
    concurrent_body(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enrolments_postgres() {
    concurrent_body(true).await;
}
