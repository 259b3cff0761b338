#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The audit store on SQLite and on PostgreSQL: the same migrations, a round trip of every
//! column, `--since` filtering, the CSV and JSON exports, and group commit under concurrent
//! writers. The PostgreSQL test fails (never skips) without a server: `scripts/test` runs
//! scripts/install-postgres.sh first. KAKUNIN_TEST_PG_URL overrides the URL.

use kakunin_verifier_server::audit::{self, AuditRecord, AuditStore};

const DEFAULT_PG: &str = "postgres://kakunin:kakunin-test@127.0.0.1:5432/kakunin_test";

fn record(store: &str, i: u32, at: time::OffsetDateTime) -> AuditRecord {
    AuditRecord {
        id: format!("{store}-{i:04}"),
        at,
        store_id: store.into(),
        till_id: "till-07".into(),
        transport: "api".into(),
        format: Some("mdoc".into()),
        verdict: if i % 2 == 0 { "OK" } else { "NG" }.into(),
        reason: (i % 2 == 1).then(|| "under_age".to_string()),
        doc_type: Some("org.iso.18013.5.1.mDL".into()),
        iaca_subject: Some("Kakunin test IACA JP".into()),
        ds_subject: Some("=cmd|' /C calc'!A0".into()),
        ds_serial: None,
        country: Some("JP".into()),
        checks: r#"{"issuer_signature":"passed","errors":[]}"#.into(),
    }
}

async fn round_trip(url: &str) {
    let store = AuditStore::open(url).await.unwrap();
    // Opening again runs the migrations again: a no-op.
    let again = AuditStore::open(url).await.unwrap();
    let mut tag = [0u8; 6];
    kakunin_core::crypto::default_provider()
        .fill_random(&mut tag)
        .unwrap();
    let tag = format!("store-{}", hex::encode(tag));
    let t0 = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    // 40 concurrent writers, each waits for its own commit.
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let s = if i % 2 == 0 {
            store.clone()
        } else {
            again.clone()
        };
        let r = record(&tag, i, t0 + time::Duration::seconds(i64::from(i)));
        tasks.push(tokio::spawn(async move { s.record(r).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mine = |rows: Vec<AuditRecord>| -> Vec<AuditRecord> {
        rows.into_iter().filter(|r| r.store_id == tag).collect()
    };
    let all = mine(store.export(None).await.unwrap());
    assert_eq!(all.len(), 40);
    assert_eq!(all[3], record(&tag, 3, t0 + time::Duration::seconds(3)));
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(store.contains(&format!("{tag}-0039")).await.unwrap());
    assert!(!store.contains(&format!("{tag}-0040")).await.unwrap());
    let since = mine(
        store
            .export(Some(t0 + time::Duration::seconds(30)))
            .await
            .unwrap(),
    );
    assert_eq!(since.len(), 10);
    assert_eq!(since[0].id, format!("{tag}-0030"));
    let csv = audit::to_csv(&since);
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), AuditRecord::CSV_HEADER.join(","));
    let first = lines.next().unwrap();
    assert!(first.starts_with(&format!("\"{tag}-0030\",")), "{first}");
    assert!(first.contains("\"'=cmd|' /C calc'!A0\""), "{first}");
    assert!(first.contains("\"{\"\"issuer_signature\"\""), "{first}");
    assert_eq!(csv.lines().count(), 11);
    let json = audit::to_json(&since);
    assert_eq!(json[1]["id"], format!("{tag}-0031"));
    assert_eq!(json[1]["reason"], "under_age");
    assert_eq!(json[0]["reason"], serde_json::Value::Null);
    assert_eq!(json[0]["checks"]["issuer_signature"], "passed");
    // A duplicate id is refused, and the writer carries on; a bad row in a group does not
    // fail the good ones committed with it.
    assert!(store.record(record(&tag, 5, t0)).await.is_err());
    let mut burst = Vec::new();
    for i in [5u32, 99, 100, 101] {
        let s = store.clone();
        let r = record(&tag, i, t0);
        burst.push(tokio::spawn(async move { s.record(r).await }));
    }
    let results: Vec<bool> = futures_join(burst).await;
    assert_eq!(results, vec![false, true, true, true]);
    assert!(store.contains(&format!("{tag}-0099")).await.unwrap());
}

async fn futures_join(
    tasks: Vec<tokio::task::JoinHandle<Result<(), kakunin_verifier_server::AuditError>>>,
) -> Vec<bool> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap().is_ok());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_round_trip_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/audit.db", d.path().display());
    round_trip(&url).await;
    // WAL mode: the log file sits beside the database.
    assert!(d.path().join("audit.db-wal").exists() || d.path().join("audit.db").exists());
    let mode = std::process::Command::new("sqlite3")
        .arg(d.path().join("audit.db"))
        .arg("PRAGMA journal_mode;")
        .output();
    if let Ok(out) = mode {
        if out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "wal");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_round_trip_postgres() {
    let url = std::env::var("KAKUNIN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG.into());
    round_trip(&url).await;
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let e = AuditStore::open("mysql://x@localhost/db")
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        kakunin_verifier_server::AuditError::UnsupportedUrl
    ));
}
