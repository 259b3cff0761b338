//! The audit log (docs/till.md): one row per verification — time, store and till, transport,
//! verdict, reason code, document type, issuer, the outcome of each check — and never an
//! attribute value or the portrait.
//!
//! SQLite (WAL) by default, PostgreSQL by URL, through sqlx's `Any` driver with one portable
//! migration set (migrations/). Rows are written by one writer task that commits them in
//! groups: each caller waits until the transaction holding its row has committed, so an
//! answer is never sent for a verification whose row could still be lost by a crash of the
//! process, and a burst costs one commit (one fsync) per group instead of one per row.

use serde_json::{json, Value as Json};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Row};
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The migrations, in order: (version, name, SQL). Statements are separated by `;` at the
/// end of a line.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "audit_log",
    include_str!("../migrations/0001_audit_log.sql"),
)];

/// Rows committed in one transaction at most.
const MAX_GROUP: usize = 256;
/// Rows waiting for the writer at most; callers beyond wait for room (backpressure).
const QUEUE: usize = 4096;
/// Rows one export returns at most.
pub const MAX_EXPORT: i64 = 1_000_000;

/// The audit store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The database URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported audit database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// The database refused or failed (the message never carries a row's content).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The data directory could not be created.
    #[error("{path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The writer task has stopped (the server is shutting down).
    #[error("the audit writer has stopped")]
    WriterStopped,
    /// A stored row does not have the expected shape.
    #[error("stored row: {0}")]
    BadRow(&'static str),
}

/// How the credential was presented to the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// Through the JSON API (a platform, or a scanner feeding the till).
    Api,
    /// QR engagement with BLE data transfer.
    QrBle,
    /// NFC engagement and transfer.
    Nfc,
    /// A simulated customer (`--demo`).
    Demo,
}

impl Transport {
    /// The stored name.
    pub const fn name(self) -> &'static str {
        match self {
            Transport::Api => "api",
            Transport::QrBle => "qr+ble",
            Transport::Nfc => "nfc",
            Transport::Demo => "demo",
        }
    }
}

/// The credential format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialFormat {
    /// ISO 18013-5 mdoc.
    Mdoc,
    /// IETF SD-JWT VC.
    SdJwtVc,
}

impl CredentialFormat {
    /// The stored name.
    pub const fn name(self) -> &'static str {
        match self {
            CredentialFormat::Mdoc => "mdoc",
            CredentialFormat::SdJwtVc => "sd-jwt-vc",
        }
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// A random 128-bit identifier, hex (unique across the tills of a chain).
    pub id: String,
    /// When the verification ran (the server's clock, or the request's `at`), UTC.
    pub at: time::OffsetDateTime,
    /// The store.
    pub store_id: String,
    /// The till.
    pub till_id: String,
    /// `api`, `qr+ble`, `nfc`, `demo`.
    pub transport: String,
    /// `mdoc` or `sd-jwt-vc`, when known.
    pub format: Option<String>,
    /// `OK` or `NG`.
    pub verdict: String,
    /// The NG reason code (kakunin_verifier::NgReason::code).
    pub reason: Option<String>,
    /// The docType or `vct` judged.
    pub doc_type: Option<String>,
    /// The IACA subject common name.
    pub iaca_subject: Option<String>,
    /// The Document Signer subject common name (or the SD-JWT VC `iss`).
    pub ds_subject: Option<String>,
    /// The Document Signer certificate serial, hex (not yet reported by the verifier).
    pub ds_serial: Option<String>,
    /// The issuing country.
    pub country: Option<String>,
    /// Each check's outcome and the error codes, as a JSON object.
    pub checks: String,
}

impl AuditRecord {
    /// The record as a JSON object (the `--format json` export).
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id, "at": rfc3339(self.at), "store_id": self.store_id,
            "till_id": self.till_id, "transport": self.transport, "format": self.format,
            "verdict": self.verdict, "reason": self.reason, "doc_type": self.doc_type,
            "iaca_subject": self.iaca_subject, "ds_subject": self.ds_subject,
            "ds_serial": self.ds_serial, "country": self.country,
            "checks": serde_json::from_str::<Json>(&self.checks).unwrap_or(Json::Null),
        })
    }

    /// The CSV columns, in order.
    pub const CSV_HEADER: [&'static str; 14] = [
        "id",
        "at",
        "store_id",
        "till_id",
        "transport",
        "format",
        "verdict",
        "reason",
        "doc_type",
        "iaca_subject",
        "ds_subject",
        "ds_serial",
        "country",
        "checks",
    ];

    fn csv_fields(&self) -> [String; 14] {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.id.clone(),
            rfc3339(self.at),
            self.store_id.clone(),
            self.till_id.clone(),
            self.transport.clone(),
            o(&self.format),
            self.verdict.clone(),
            o(&self.reason),
            o(&self.doc_type),
            o(&self.iaca_subject),
            o(&self.ds_subject),
            o(&self.ds_serial),
            o(&self.country),
            self.checks.clone(),
        ]
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One CSV field (RFC 4180 quoting). Text that a spreadsheet would run as a formula (a
/// leading `=`, `+`, `-`, `@`, tab or CR — docType and issuer names come from credentials,
/// which anyone can make) gets a leading `'`.
fn csv_field(s: &str) -> String {
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

/// Render records as CSV with a header line.
pub fn to_csv(records: &[AuditRecord]) -> String {
    let mut out = AuditRecord::CSV_HEADER.join(",");
    out.push_str("\r\n");
    for r in records {
        let fields: Vec<String> = r.csv_fields().iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Render records as a JSON array.
pub fn to_json(records: &[AuditRecord]) -> Json {
    Json::Array(records.iter().map(AuditRecord::to_json).collect())
}

type Pending = (AuditRecord, oneshot::Sender<Result<(), String>>);

/// The audit store: a connection pool and the group-commit writer.
#[derive(Clone, Debug)]
pub struct AuditStore {
    pool: AnyPool,
    writer: mpsc::Sender<Pending>,
}

/// Whether a URL is for SQLite.
fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

impl AuditStore {
    /// Connect, run the migrations and start the writer. For SQLite, the file is created
    /// (with its directory) if absent and put in WAL mode.
    pub async fn open(url: &str) -> Result<Self, AuditError> {
        sqlx::any::install_default_drivers();
        let sqlite = is_sqlite(url);
        if !sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(AuditError::UnsupportedUrl);
        }
        let url = if sqlite {
            prepare_sqlite(url)?
        } else {
            url.to_string()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL: readers (exports) do not block the writer; FULL: a commit is
                        // on disk before the answer, not only in the page cache.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        migrate(&pool).await?;
        let (writer, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(pool.clone(), rx));
        Ok(AuditStore { pool, writer })
    }

    /// Record one verification; returns once the row is committed.
    pub async fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.writer
            .send((record, ack))
            .await
            .map_err(|_| AuditError::WriterStopped)?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(AuditError::Database(sqlx::Error::Protocol(message))),
            Err(_) => Err(AuditError::WriterStopped),
        }
    }

    /// Rows at or after `since` (all when `None`), oldest first, at most [`MAX_EXPORT`].
    pub async fn export(
        &self,
        since: Option<time::OffsetDateTime>,
    ) -> Result<Vec<AuditRecord>, AuditError> {
        let since_ms = since.map_or(i64::MIN, unix_ms);
        let rows = sqlx::query(
            "SELECT id, at_ms, store_id, till_id, transport, format, verdict, reason, doc_type, \
             iaca_subject, ds_subject, ds_serial, country, checks FROM audit_log \
             WHERE at_ms >= $1 ORDER BY at_ms, id LIMIT $2",
        )
        .bind(since_ms)
        .bind(MAX_EXPORT)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Rows in the log.
    pub async fn count(&self) -> Result<i64, AuditError> {
        let row = sqlx::query("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Whether a row with this id is stored.
    pub async fn contains(&self, id: &str) -> Result<bool, AuditError> {
        let row = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Close the pool (after the writer has drained).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The SQLite URL with `mode=rwc` (create if missing), its directory created.
fn prepare_sqlite(url: &str) -> Result<String, AuditError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if !path.is_empty() && path != ":memory:" {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| AuditError::DataDir {
                path: dir.into(),
                source,
            })?;
        }
    }
    Ok(if url.contains('?') {
        url.to_string()
    } else {
        format!("{url}?mode=rwc")
    })
}

fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

async fn migrate(pool: &AnyPool) -> Result<(), AuditError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS kakunin_migrations (version BIGINT PRIMARY KEY, \
         name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    for (version, name, sql) in MIGRATIONS {
        let mut tx = pool.begin().await?;
        let applied = sqlx::query("SELECT COUNT(*) FROM kakunin_migrations WHERE version = $1")
            .bind(*version)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>(0)?;
        if applied > 0 {
            continue;
        }
        for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            let statement: String = statement
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            if statement.trim().is_empty() {
                continue;
            }
            sqlx::query(&statement).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO kakunin_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(*version)
        .bind(*name)
        .bind(rfc3339(time::OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The columns of one row, in the order of [`bind_row`].
const COLUMNS: &str = "id, at_ms, at, store_id, till_id, transport, format, verdict, reason, \
    doc_type, iaca_subject, ds_subject, ds_serial, country, checks";
/// Placeholders per row.
const PER_ROW: usize = 15;

/// `INSERT ... VALUES (..), (..), ...` for `rows` rows: one statement, so one round trip to
/// the database and one implicit transaction (all rows or none) however large the group.
/// At most [`MAX_GROUP`] x 15 = 3,840 placeholders, within SQLite's 32,766 and
/// PostgreSQL's 65,535. SQLite gets anonymous `?` placeholders (bound in order): binding to
/// numbered ones makes SQLite look each name up among all of the statement's, quadratic in
/// the group's size; PostgreSQL needs `$N`.
fn insert_sql(rows: usize, sqlite: bool) -> String {
    let mut sql = format!("INSERT INTO audit_log ({COLUMNS}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..PER_ROW {
            if c > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(r * PER_ROW + c + 1).to_string());
            }
        }
        sql.push(')');
    }
    sql
}

fn bind_row<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    r: &'q AuditRecord,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&r.id)
        .bind(unix_ms(r.at))
        .bind(rfc3339(r.at))
        .bind(&r.store_id)
        .bind(&r.till_id)
        .bind(&r.transport)
        .bind(&r.format)
        .bind(&r.verdict)
        .bind(&r.reason)
        .bind(&r.doc_type)
        .bind(&r.iaca_subject)
        .bind(&r.ds_subject)
        .bind(&r.ds_serial)
        .bind(&r.country)
        .bind(&r.checks)
}

/// Commit a group of rows: one multi-row INSERT in autocommit mode. A statement is atomic,
/// so either every row of the group is committed (and with SQLite's synchronous=FULL, on
/// disk) when it returns, or none is. Before, a group was BEGIN, one INSERT per row and
/// COMMIT: each a round trip to sqlx's SQLite worker thread.
async fn write_group(conn: &mut AnyConnection, group: &[Pending]) -> Result<(), sqlx::Error> {
    let sql = insert_sql(group.len(), conn.backend_name() == "SQLite");
    let mut q = sqlx::query(&sql);
    for (r, _) in group {
        q = bind_row(q, r);
    }
    q.execute(conn).await.map(|_| ())
}

/// The writer's own connection, taken from the pool on first use and kept: with SQLite, a
/// connection whose last write was its own keeps its page cache (one that sees another
/// connection's WAL frames drops it and reads the pages again), and no pool hand-off per
/// group.
async fn writer_connection<'c>(
    pool: &AnyPool,
    conn: &'c mut Option<PoolConnection<sqlx::Any>>,
) -> Result<&'c mut AnyConnection, sqlx::Error> {
    if conn.is_none() {
        *conn = Some(pool.acquire().await?);
    }
    match conn.as_mut() {
        Some(c) => Ok(&mut **c),
        None => Err(sqlx::Error::PoolClosed),
    }
}

/// Commit a group on the writer's connection; after a failure the connection is given back
/// (it may be broken) and the next group takes a fresh one.
async fn commit_group(
    pool: &AnyPool,
    conn: &mut Option<PoolConnection<sqlx::Any>>,
    group: &[Pending],
) -> Result<(), sqlx::Error> {
    let result = match writer_connection(pool, conn).await {
        Ok(c) => write_group(c, group).await,
        Err(e) => Err(e),
    };
    if result.is_err() {
        *conn = None;
    }
    result
}

/// Take what is queued (up to [`MAX_GROUP`]), commit it in one transaction, answer each
/// caller; repeat until every sender is gone.
async fn write_loop(pool: AnyPool, mut rx: mpsc::Receiver<Pending>) {
    let mut group: Vec<Pending> = Vec::with_capacity(MAX_GROUP);
    let mut conn: Option<PoolConnection<sqlx::Any>> = None;
    while let Some(first) = rx.recv().await {
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        match commit_group(&pool, &mut conn, &group).await {
            Ok(()) => {
                for (_, ack) in group.drain(..) {
                    // A caller that gave up (its request timed out) no longer listens.
                    let _ = ack.send(Ok(()));
                }
            }
            Err(e) if group.len() == 1 => {
                for (_, ack) in group.drain(..) {
                    let _ = ack.send(Err(e.to_string()));
                }
            }
            // One bad row must not fail the others of its group: each on its own.
            Err(_) => {
                for pending in group.drain(..) {
                    let result = commit_group(&pool, &mut conn, std::slice::from_ref(&pending))
                        .await
                        .map_err(|e| e.to_string());
                    let _ = pending.1.send(result);
                }
            }
        }
    }
}

fn from_row(row: &AnyRow) -> Result<AuditRecord, AuditError> {
    let at_ms: i64 = row.try_get("at_ms")?;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .map_err(|_| AuditError::BadRow("at_ms out of range"))?;
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at,
        store_id: row.try_get("store_id")?,
        till_id: row.try_get("till_id")?,
        transport: row.try_get("transport")?,
        format: row.try_get("format")?,
        verdict: row.try_get("verdict")?,
        reason: row.try_get("reason")?,
        doc_type: row.try_get("doc_type")?,
        iaca_subject: row.try_get("iaca_subject")?,
        ds_subject: row.try_get("ds_subject")?,
        ds_serial: row.try_get("ds_serial")?,
        country: row.try_get("country")?,
        checks: row.try_get("checks")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(
            csv_field("org.iso.18013.5.1.mDL"),
            "\"org.iso.18013.5.1.mDL\""
        );
    }

    #[tokio::test]
    async fn one_bad_row_does_not_fail_its_group() {
        let d = tempfile::tempdir().unwrap();
        let store = AuditStore::open(&format!("sqlite://{}/a.db", d.path().display()))
            .await
            .unwrap();
        let row = sample_row;
        store.record(row("dup")).await.unwrap();
        // Queue four rows before the writer runs: one group, one of them a duplicate.
        let (tx, rx) = mpsc::channel(8);
        let mut acks = Vec::new();
        for id in ["a", "dup", "b", "c"] {
            let (ack, done) = oneshot::channel();
            tx.send((row(id), ack)).await.unwrap();
            acks.push(done);
        }
        drop(tx);
        write_loop(store.pool.clone(), rx).await;
        let mut ok = Vec::new();
        for a in acks {
            ok.push(a.await.unwrap().is_ok());
        }
        assert_eq!(ok, [true, false, true, true]);
        assert_eq!(store.count().await.unwrap(), 4);
    }

    #[test]
    fn insert_numbers_placeholders_per_row() {
        assert_eq!(insert_sql(1, false).matches('$').count(), PER_ROW);
        let two = insert_sql(2, false);
        assert!(two.ends_with("$29, $30)"), "{two}");
        assert_eq!(two.matches("), (").count(), 1);
        let two = insert_sql(2, true);
        assert_eq!(two.matches('?').count(), 2 * PER_ROW);
        assert!(!two.contains('$'), "{two}");
    }

    #[tokio::test]
    async fn a_group_commits_every_row() {
        let d = tempfile::tempdir().unwrap();
        let store = AuditStore::open(&format!("sqlite://{}/g.db", d.path().display()))
            .await
            .unwrap();
        let (tx, rx) = mpsc::channel(MAX_GROUP);
        let mut acks = Vec::new();
        for i in 0..MAX_GROUP {
            let (ack, done) = oneshot::channel();
            let mut r = sample_row(&format!("r{i}"));
            r.doc_type = Some(format!("doc-{i}"));
            tx.send((r, ack)).await.unwrap();
            acks.push(done);
        }
        drop(tx);
        write_loop(store.pool.clone(), rx).await;
        for a in acks {
            assert!(a.await.unwrap().is_ok());
        }
        assert_eq!(
            store.count().await.unwrap(),
            i64::try_from(MAX_GROUP).unwrap()
        );
        let rows = store.export(None).await.unwrap();
        let r7 = rows.iter().find(|r| r.id == "r7").unwrap();
        assert_eq!(r7.doc_type.as_deref(), Some("doc-7"));
        assert_eq!(r7.verdict, "NG");
    }

    fn sample_row(id: &str) -> AuditRecord {
        AuditRecord {
            id: id.into(),
            at: time::OffsetDateTime::now_utc(),
            store_id: "s".into(),
            till_id: "t".into(),
            transport: "api".into(),
            format: None,
            verdict: "NG".into(),
            reason: Some("timeout".into()),
            doc_type: None,
            iaca_subject: None,
            ds_subject: None,
            ds_serial: None,
            country: None,
            checks: "{}".into(),
        }
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let d = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/audit.db", d.path().display());
        assert_eq!(prepare_sqlite(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(d.path().join("sub").is_dir());
    }
}
