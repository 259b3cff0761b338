//! The registry (docs/jpki-registry.md): persons, their devices, every credential issued with
//! its status-list entry, the status lists themselves and the enrolment nonces.
//!
//! SQLite (WAL, one file in the data directory) by default, PostgreSQL by URL, through sqlx's
//! `Any` driver with one portable migration set (migrations/). An enrolment is one
//! transaction — nonce use, person and device upsert, supersession of the device's old
//! credentials, the credential rows — so a process killed at any point leaves either all of
//! it or none of it, and no status index is ever handed out twice (`UNIQUE (status_list,
//! status_index)` backs the allocator). On SQLite every writing transaction starts `BEGIN
//! IMMEDIATE` (no lock upgrade, so no deadlock between writers).
//!
//! On SQLite the enrolment's writes (a nonce handed out, a nonce used, the record) go
//! through a group commit (`registry/group_commit.rs`): concurrent requests' jobs share one
//! transaction and one WAL fsync, each job under its own savepoint, so each stays all or
//! nothing and fails alone; a request is answered only after the commit holding its writes.
//! PostgreSQL, whose writers do not exclude each other, runs the same job bodies in a
//! transaction each.
//!
//! Status indices are reserved before that transaction ([`Registry::reserve`]), so the
//! credentials are signed outside it and the database's write lock is held only for the
//! rows: indices come out of an in-memory block that one short transaction takes from the
//! list row (a compare-and-set, which also serialises several issuer processes on one
//! PostgreSQL). An index reserved by an enrolment that then fails, or left in the block when
//! the process stops, is never used by anyone: a gap in the list, never a reuse.

mod group_commit;

use group_commit::{Done, Job, RecordJob};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::path::Path;
use std::time::Duration;

/// The migrations, in order: (version, name, SQL); statements end with `;` at a line end.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "registry",
    include_str!("../migrations/0001_registry.sql"),
)];

/// Credential state: still valid as far as the issuer is concerned.
pub const STATE_ACTIVE: &str = "active";
/// Credential state: revoked (device revoked, or the person's JPKI certificate on a CRL).
pub const STATE_REVOKED: &str = "revoked";
/// Credential state: replaced by a later enrolment of the same device.
pub const STATE_SUPERSEDED: &str = "superseded";

/// The registry failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The database URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported registry database URL scheme (use sqlite:// or postgres://)")]
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
    /// A stored row does not have the expected shape, or an invariant does not hold.
    #[error("registry: {0}")]
    Inconsistent(&'static str),
    /// Another enrolment changed the same rows at the same moment; the client may retry.
    #[error("concurrent change, retry")]
    Conflict,
    /// The nonce was not handed out by this issuer.
    #[error("nonce unknown")]
    NonceUnknown,
    /// The nonce was used before.
    #[error("nonce already used")]
    NonceUsed,
    /// The nonce was past its expiry when it was presented (it is consumed all the same).
    #[error("nonce expired")]
    NonceExpired,
    /// No such person or device.
    #[error("not found")]
    NotFound,
    /// Credential issuance inside the transaction failed (nothing is committed).
    #[error("issuance failed: {0}")]
    Issue(String),
    /// The shared transaction of a group commit (SQLite) could not begin, set a savepoint or
    /// commit: nothing of any job of that group is stored. Every job of the group gets this
    /// same error.
    #[error("database (group commit): {0}")]
    GroupCommit(std::sync::Arc<sqlx::Error>),
    /// The registry's writer task is gone (the runtime is shutting down): nothing stored.
    #[error("registry writer stopped")]
    WriterStopped,
}

impl RegistryError {
    /// The cause group (kakunin_core::Cause) of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        use kakunin_core::Cause;
        match self {
            RegistryError::NonceUnknown
            | RegistryError::NonceUsed
            | RegistryError::NonceExpired => Cause::FailedCheck,
            RegistryError::NotFound => Cause::Misuse,
            RegistryError::Inconsistent(_) => Cause::Malformed,
            _ => Cause::Misuse,
        }
    }
}

/// What an enrolment writes, with every identifier already derived (links are hex HMACs).
#[derive(Debug, Clone)]
pub struct EnrolmentRecord {
    /// A fresh random identifier of this enrolment.
    pub enrolment_id: String,
    /// SHA-256 of the nonce, hex (the nonce must have been consumed by [`Registry::consume_nonce`]).
    pub nonce_hash: String,
    /// HMAC over the authentication certificate's issuer and serial.
    pub auth_link: String,
    /// HMAC over the four facts.
    pub facts_link: String,
    /// HMAC over the signature certificate's issuer and serial.
    pub sign_link: String,
    /// The device key's RFC 7638 thumbprint, base64url.
    pub device_thumbprint: String,
    /// The device's label, if the holder gave one.
    pub label: Option<String>,
    /// Now (Unix seconds).
    pub now: i64,
    /// Credentials' validFrom / `iat` (Unix seconds).
    pub valid_from: i64,
    /// Credentials' validUntil / `exp` (Unix seconds).
    pub valid_until: i64,
    /// Number of mdocs in the batch (indices `first..first+mdocs`).
    pub mdocs: usize,
    /// Number of SD-JWT VCs (the indices after the mdocs').
    pub sd_jwt_vcs: usize,
    /// Proofing method name (`jpki_card`).
    pub method: String,
    /// Assurance level (`IAL3`).
    pub level: String,
}

/// Where an enrolment's credentials go: who, which device, which status entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The person's pairwise identifier.
    pub person_id: String,
    /// The device's identifier.
    pub device_id: String,
    /// The status list's identifier (the last path segment of its URI).
    pub list_id: String,
    /// The first index: mdoc `i` gets `first_index + i`, SD-JWT VC `j` gets
    /// `first_index + mdocs + j`.
    pub first_index: u64,
}

/// What a committed enrolment changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentOutcome {
    /// The allocation the credentials were issued under.
    pub allocation: Allocation,
    /// Status lists whose bits changed (superseded credentials): publish them again.
    pub changed_lists: Vec<String>,
    /// Whether the person was recognised (by either link) rather than created.
    pub returning_person: bool,
    /// Credentials superseded by this enrolment.
    pub superseded: u64,
}

/// One device of a person, for the administration API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device identifier.
    pub id: String,
    /// Its label.
    pub label: Option<String>,
    /// First enrolment (Unix seconds).
    pub created_at: i64,
    /// Latest enrolment.
    pub enrolled_at: i64,
    /// When an administrator revoked it, if they did.
    pub revoked_at: Option<i64>,
    /// Its credentials: active, revoked, superseded.
    pub active: i64,
    /// Revoked credentials.
    pub revoked: i64,
    /// Superseded credentials.
    pub superseded: i64,
}

/// A revocation's effect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationOutcome {
    /// Credentials newly marked revoked.
    pub credentials: u64,
    /// Persons with at least one matching link.
    pub persons: u64,
    /// Status lists to publish again.
    pub changed_lists: Vec<String>,
}

/// The state of one status list, for publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    /// Entries in the list.
    pub size: u64,
    /// Bumped on every change of a bit.
    pub version: i64,
    /// Indices whose credential is not active (INVALID in the published list).
    pub invalid: Vec<u64>,
}

/// One credential row to insert, as the issuance step reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// A fresh random identifier.
    pub id: String,
    /// `mdoc` or `sd-jwt-vc`.
    pub format: &'static str,
    /// Its status index in the allocation's list.
    pub status_index: u64,
}

/// The registry: a connection pool over SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Registry {
    pool: AnyPool,
    sqlite: bool,
    list_size: u64,
    /// How many indices one reservation transaction takes from the list row.
    block_size: u64,
    /// The unused rest of the last block taken (shared by clones of this handle).
    block: std::sync::Arc<tokio::sync::Mutex<Option<IndexBlock>>>,
    /// SQLite only: this process's writers take turns here before they ask SQLite for its
    /// write lock. SQLite has one writer, and a writer that finds the lock taken sleeps in
    /// its busy handler (1, 2, 5, 10 ms… until `busy_timeout`) instead of being woken when
    /// the lock is released; queueing on this mutex hands the turn over at once. The busy
    /// timeout stays the guard against other processes on the same file.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite only: the queue of the group-commit writer that runs the enrolment's writes
    /// (nonce issue, nonce use, record), many requests' jobs per commit (one WAL fsync each).
    group: Option<group_commit::Queue>,
}

/// Status indices taken from a list row and not yet handed out: `next..end` of `list_id`.
#[derive(Debug)]
struct IndexBlock {
    list_id: String,
    next: u64,
    end: u64,
}

/// Consecutive status indices reserved for one enrolment ([`Registry::reserve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The status list's identifier (the last path segment of its URI).
    pub list_id: String,
    /// The first index: mdoc `i` gets `first_index + i`, SD-JWT VC `j` gets
    /// `first_index + mdocs + j`.
    pub first_index: u64,
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn to_i64(n: u64) -> Result<i64, RegistryError> {
    i64::try_from(n).map_err(|_| RegistryError::Inconsistent("value beyond 2^63"))
}

fn to_u64(n: i64) -> Result<u64, RegistryError> {
    u64::try_from(n).map_err(|_| RegistryError::Inconsistent("negative value"))
}

fn count(n: usize) -> Result<u64, RegistryError> {
    u64::try_from(n).map_err(|_| RegistryError::Inconsistent("count beyond 2^64"))
}

/// The SQLite URL with `mode=rwc` (create if missing), its directory created.
fn prepare_sqlite(url: &str) -> Result<String, RegistryError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if !path.is_empty() && path != ":memory:" {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| RegistryError::DataDir {
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

/// Whether a database error is a uniqueness violation (two writers raced on the same row).
fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

fn map_db(e: sqlx::Error) -> RegistryError {
    if is_unique_violation(&e) {
        RegistryError::Conflict
    } else {
        RegistryError::Database(e)
    }
}

/// A fresh 128-bit random identifier, hex.
pub fn random_id(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
) -> Result<String, RegistryError> {
    let mut b = [0u8; 16];
    crypto
        .fill_random(&mut b)
        .map_err(|_| RegistryError::Inconsistent("random generator failed"))?;
    Ok(hex::encode(b))
}

/// [`random_id`] drawn from `pool` (one provider call serves a batch's credential IDs; each
/// byte is handed out once).
pub fn random_id_from(
    pool: &mut kakunin_core::crypto::RandomPool<'_>,
) -> Result<String, RegistryError> {
    let b: [u8; 16] = pool
        .array()
        .map_err(|_| RegistryError::Inconsistent("random generator failed"))?;
    Ok(hex::encode(b))
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Registry {
    /// Connect, run the migrations. For SQLite the file (and its directory) is created if
    /// absent, in WAL mode with `synchronous = FULL` (a commit is on disk before the answer)
    /// and foreign keys enforced. `list_size` is the number of entries of each new status list.
    pub async fn open(url: &str, list_size: u64) -> Result<Self, RegistryError> {
        sqlx::any::install_default_drivers();
        let sqlite = is_sqlite(url);
        if !sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(RegistryError::UnsupportedUrl);
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
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let list_size = list_size.max(8);
        let writer = std::sync::Arc::new(tokio::sync::Mutex::new(()));
        let group = sqlite
            .then(|| group_commit::Queue::spawn(pool.clone(), std::sync::Arc::clone(&writer)));
        let registry = Registry {
            group,
            pool,
            sqlite,
            list_size,
            // A 64th of a list, at most 1,024: what a stopped process can leave unused.
            block_size: (list_size / 64).clamp(1, 1024),
            block: std::sync::Arc::new(tokio::sync::Mutex::new(None)),
            writer,
        };
        registry.migrate().await?;
        Ok(registry)
    }

    /// Close the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for read-only inspection (tests check the registry's invariants with it).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// This process's turn to write (SQLite; `None` on PostgreSQL, whose writers do not
    /// exclude each other): hold it across the writing statement or transaction.
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        if self.sqlite {
            Some(std::sync::Arc::clone(&self.writer).lock_owned().await)
        } else {
            None
        }
    }

    /// Run one write job and commit it: on SQLite through the group-commit writer (committed
    /// together with whatever other requests queued meanwhile, under a savepoint of its
    /// own), on PostgreSQL in a transaction of its own. Either way the answer comes only
    /// after the job's writes are committed; an error means none of them are.
    async fn write(&self, job: Job) -> Result<Done, RegistryError> {
        match &self.group {
            Some(queue) => queue.submit(job).await,
            None => {
                let mut tx = self.begin().await?;
                let done = run_job(&mut tx, self.sqlite, job).await?;
                tx.commit().await.map_err(map_db)?;
                Ok(done)
            }
        }
    }

    async fn begin(&self) -> Result<Tx, RegistryError> {
        Ok(if self.sqlite {
            self.pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            self.pool.begin().await?
        })
    }

    async fn migrate(&self) -> Result<(), RegistryError> {
        // Its own table, not the till's `kakunin_migrations`: both may share one database.
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS issuer_migrations (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for (version, name, sql) in MIGRATIONS {
            let _turn = self.write_turn().await;
            let mut tx = self.begin().await?;
            let applied = sqlx::query("SELECT COUNT(*) FROM issuer_migrations WHERE version = $1")
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
                "INSERT INTO issuer_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(*version)
            .bind(*name)
            .bind(time::OffsetDateTime::now_utc().unix_timestamp())
            .execute(&mut *tx)
            .await
            .map_err(map_db)?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Store a fresh nonce (by its hash) valid until `expires_at`; old unused nonces (expired
    /// a day ago) are swept at the same time.
    pub async fn put_nonce(
        &self,
        hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), RegistryError> {
        match self
            .write(Job::PutNonce {
                hash: hash.to_string(),
                now,
                expires_at,
            })
            .await?
        {
            Done::Stored => Ok(()),
            _ => Err(wrong_answer()),
        }
    }

    /// Delete nonces that expired more than a day before `now` and were never tied to an
    /// enrolment (those keep their row: the enrolment names it).
    pub async fn sweep_nonces(&self, now: i64) -> Result<u64, RegistryError> {
        let _turn = self.write_turn().await;
        let r =
            sqlx::query("DELETE FROM issuer_nonces WHERE expires_at < $1 AND enrolment_id IS NULL")
                .bind(now.saturating_sub(86_400))
                .execute(&self.pool)
                .await?;
        Ok(r.rows_affected())
    }

    /// Use a nonce, atomically and for good: whatever is checked after this, the nonce
    /// cannot be presented again. An expired nonce is consumed too, and then refused.
    pub async fn consume_nonce(&self, hash: &str, now: i64) -> Result<(), RegistryError> {
        match self
            .write(Job::ConsumeNonce {
                hash: hash.to_string(),
                now,
            })
            .await?
        {
            Done::Consumed { expired: false } => Ok(()),
            Done::Consumed { expired: true } => Err(RegistryError::NonceExpired),
            _ => Err(wrong_answer()),
        }
    }

    /// `n` consecutive status indices, from the in-memory block or, when it has fewer left,
    /// from a new block taken in one short transaction (the list row's compare-and-set; a
    /// full list opens the next one, leaving its tail unused).
    pub async fn reserve(&self, n: u64) -> Result<Reserved, RegistryError> {
        if n == 0 || n > self.list_size {
            return Err(RegistryError::Inconsistent(
                "batch does not fit a status list",
            ));
        }
        let mut block = self.block.lock().await;
        if let Some(b) = block.as_mut() {
            if b.end.saturating_sub(b.next) >= n {
                let first_index = b.next;
                b.next = first_index.saturating_add(n);
                return Ok(Reserved {
                    list_id: b.list_id.clone(),
                    first_index,
                });
            }
        }
        let take = n.max(self.block_size);
        let _turn = self.write_turn().await;
        let mut tx = self.begin().await?;
        let (list_id, first_index) = self.allocate(&mut tx, take).await?;
        tx.commit().await.map_err(map_db)?;
        *block = Some(IndexBlock {
            list_id: list_id.clone(),
            next: first_index.saturating_add(n),
            end: first_index.saturating_add(take),
        });
        Ok(Reserved {
            list_id,
            first_index,
        })
    }

    /// Run one enrolment: reserve `mdocs + sd_jwt_vcs` consecutive status indices, call
    /// `issue` (which signs the credentials for them) outside any transaction, then
    /// [`Registry::record`] the rows. The same steps the service takes one by one, so that it
    /// can sign off its async workers; nothing is committed when any step fails (the
    /// reserved indices are then a gap, never reused).
    pub async fn enrol<T, F>(
        &self,
        crypto: &dyn kakunin_core::crypto::CryptoProvider,
        r: &EnrolmentRecord,
        issue: F,
    ) -> Result<(EnrolmentOutcome, T), RegistryError>
    where
        F: FnOnce(&Reserved) -> Result<(Vec<CredentialRow>, T), RegistryError>,
    {
        self.check_nonce_open(&r.nonce_hash).await?;
        let total = count(r.mdocs.saturating_add(r.sd_jwt_vcs))?;
        let reserved = self.reserve(total).await?;
        let (rows, extra) = issue(&reserved)?;
        let outcome = self.record(crypto, r.clone(), reserved, rows).await?;
        Ok((outcome, extra))
    }

    /// A read before any signing work: `Ok` when the nonce was consumed and is not tied to
    /// an enrolment yet ([`Registry::record`]'s conditional UPDATE stays the guard).
    pub async fn check_nonce_open(&self, nonce_hash: &str) -> Result<(), RegistryError> {
        let open = sqlx::query(
            "SELECT COUNT(*) FROM issuer_nonces WHERE hash = $1 AND enrolment_id IS NULL \
             AND used_at IS NOT NULL",
        )
        .bind(nonce_hash)
        .fetch_one(&self.pool)
        .await?
        .try_get::<i64, _>(0)?;
        if open == 1 {
            Ok(())
        } else {
            Err(RegistryError::NonceUsed)
        }
    }

    /// Record one enrolment whose credentials were signed for `reserved` (rows in batch
    /// order, `r.mdocs + r.sd_jwt_vcs` of them), in one transaction: tie the (consumed)
    /// nonce to the enrolment, find or create the person (by the authentication link, else
    /// by the facts link) and re-bind both links and the signature link, find or create the
    /// device and supersede its active credentials, insert the enrolment and every credential
    /// row, and commit (on SQLite: under a savepoint of a group commit, answered after that
    /// commit). Nothing is committed when any step fails.
    pub async fn record(
        &self,
        crypto: &dyn kakunin_core::crypto::CryptoProvider,
        r: EnrolmentRecord,
        reserved: Reserved,
        rows: Vec<CredentialRow>,
    ) -> Result<EnrolmentOutcome, RegistryError> {
        let total = count(r.mdocs.saturating_add(r.sd_jwt_vcs))?;
        if count(rows.len())? != total {
            return Err(RegistryError::Inconsistent(
                "credential count differs from the batch",
            ));
        }
        // Drawn here, so that the job body needs no random generator (used only for a new
        // device).
        let new_device_id = random_id(crypto)?;
        match self
            .write(Job::Record(Box::new(RecordJob {
                r,
                reserved,
                rows,
                new_device_id,
            })))
            .await?
        {
            Done::Recorded(outcome) => Ok(outcome),
            _ => Err(wrong_answer()),
        }
    }
}

/// Run one write job's statements in `tx` (the one body for both databases and for both
/// ways of committing: its own transaction, or a savepoint in a group).
async fn run_job(tx: &mut Tx, sqlite: bool, job: Job) -> Result<Done, RegistryError> {
    match job {
        Job::PutNonce {
            hash,
            now,
            expires_at,
        } => {
            sqlx::query(
                "INSERT INTO issuer_nonces (hash, created_at, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(hash)
            .bind(now)
            .bind(expires_at)
            .execute(&mut **tx)
            .await
            .map_err(map_db)?;
            Ok(Done::Stored)
        }
        Job::ConsumeNonce { hash, now } => consume_nonce_body(tx, &hash, now).await,
        Job::Record(job) => {
            let RecordJob {
                r,
                reserved,
                rows,
                new_device_id,
            } = *job;
            record_body(tx, sqlite, &r, reserved, &rows, new_device_id)
                .await
                .map(Done::Recorded)
        }
    }
}

/// Use a nonce: the conditional UPDATE marks it used once; an expired one is marked too (and
/// then refused by the caller, its use committed all the same).
async fn consume_nonce_body(tx: &mut Tx, hash: &str, now: i64) -> Result<Done, RegistryError> {
    let row = sqlx::query(
        "UPDATE issuer_nonces SET used_at = $1 WHERE hash = $2 AND used_at IS NULL \
         RETURNING expires_at",
    )
    .bind(now)
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(r) => {
            let expires: i64 = r.try_get(0)?;
            Ok(Done::Consumed {
                expired: now > expires,
            })
        }
        None => {
            let known = sqlx::query("SELECT COUNT(*) FROM issuer_nonces WHERE hash = $1")
                .bind(hash)
                .fetch_one(&mut **tx)
                .await?
                .try_get::<i64, _>(0)?;
            Err(if known > 0 {
                RegistryError::NonceUsed
            } else {
                RegistryError::NonceUnknown
            })
        }
    }
}

/// [`Registry::record`]'s statements (the count of `rows` already checked).
async fn record_body(
    tx: &mut Tx,
    sqlite: bool,
    r: &EnrolmentRecord,
    reserved: Reserved,
    rows: &[CredentialRow],
    new_device_id: String,
) -> Result<EnrolmentOutcome, RegistryError> {
    let total = count(rows.len())?;
    let Reserved {
        list_id,
        first_index,
    } = reserved;
    // First the nonce: a replay fails here, before any other row is touched.
    let linked = sqlx::query(
        "UPDATE issuer_nonces SET enrolment_id = $1 WHERE hash = $2 AND enrolment_id IS NULL \
         AND used_at IS NOT NULL",
    )
    .bind(&r.enrolment_id)
    .bind(&r.nonce_hash)
    .execute(&mut **tx)
    .await?;
    if linked.rows_affected() != 1 {
        return Err(RegistryError::NonceUsed);
    }
    let (person_id, returning_person) = Registry::upsert_person(tx, r).await?;
    let (device_id, superseded, mut changed_lists) =
        Registry::upsert_device(tx, r, &person_id, new_device_id).await?;
    let allocation = Allocation {
        person_id: person_id.clone(),
        device_id: device_id.clone(),
        list_id: list_id.clone(),
        first_index,
    };
    sqlx::query(
        "INSERT INTO issuer_enrolments (id, person_id, device_id, at, method, level, credentials) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.enrolment_id)
    .bind(&person_id)
    .bind(&device_id)
    .bind(r.now)
    .bind(&r.method)
    .bind(&r.level)
    .bind(to_i64(total)?)
    .execute(&mut **tx)
    .await
    .map_err(map_db)?;
    // Multi-row inserts, at most 64 rows (704 placeholders) per statement. SQLite gets
    // anonymous `?` placeholders, bound in order: SQLite looks a numbered one (`$N`) up
    // in a list of all of them for each bind, which made binding quadratic in the row
    // count (the top symbol of the SQLite worker, with the write lock held).
    for chunk in rows.chunks(64) {
        let mut sql = String::from(
            "INSERT INTO issuer_credentials (id, device_id, enrolment_id, format, status_list, \
             status_index, sign_link, valid_from, valid_until, state, changed_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 11;
            sql.push('(');
            for c in 1..=11 {
                if c > 1 {
                    sql.push_str(", ");
                }
                if sqlite {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&(b + c).to_string());
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            q = q
                .bind(row.id.clone())
                .bind(device_id.clone())
                .bind(r.enrolment_id.clone())
                .bind(row.format)
                .bind(list_id.clone())
                .bind(to_i64(row.status_index)?)
                .bind(r.sign_link.clone())
                .bind(r.valid_from)
                .bind(r.valid_until)
                .bind(STATE_ACTIVE)
                .bind(r.now);
        }
        q.execute(&mut **tx).await.map_err(map_db)?;
    }
    changed_lists.sort();
    changed_lists.dedup();
    bump_versions(tx, &changed_lists).await?;
    Ok(EnrolmentOutcome {
        allocation,
        changed_lists,
        returning_person,
        superseded,
    })
}

impl Registry {
    async fn upsert_person(
        tx: &mut Tx,
        r: &EnrolmentRecord,
    ) -> Result<(String, bool), RegistryError> {
        let by_auth = sqlx::query("SELECT id FROM issuer_persons WHERE auth_link = $1")
            .bind(&r.auth_link)
            .fetch_optional(&mut **tx)
            .await?;
        let found = match by_auth {
            Some(row) => Some(row.try_get::<String, _>(0)?),
            None => sqlx::query("SELECT id FROM issuer_persons WHERE facts_link = $1")
                .bind(&r.facts_link)
                .fetch_optional(&mut **tx)
                .await?
                .map(|row| row.try_get::<String, _>(0))
                .transpose()?,
        };
        match found {
            Some(id) => {
                // Re-bind: the links now point at the current certificates and facts. A
                // link another person row still holds (someone whose facts were these
                // before) is taken from it first, so each link names one person.
                for column in ["auth_link", "facts_link"] {
                    let value = if column == "auth_link" {
                        &r.auth_link
                    } else {
                        &r.facts_link
                    };
                    let sql = format!(
                        "UPDATE issuer_persons SET {column} = NULL WHERE {column} = $1 AND id <> $2"
                    );
                    sqlx::query(&sql)
                        .bind(value)
                        .bind(&id)
                        .execute(&mut **tx)
                        .await?;
                }
                sqlx::query(
                    "UPDATE issuer_persons SET auth_link = $1, facts_link = $2, sign_link = $3, \
                     updated_at = $4 WHERE id = $5",
                )
                .bind(&r.auth_link)
                .bind(&r.facts_link)
                .bind(&r.sign_link)
                .bind(r.now)
                .bind(&id)
                .execute(&mut **tx)
                .await
                .map_err(map_db)?;
                Ok((id, true))
            }
            None => {
                // The pairwise id is the authentication link at first enrolment, and stays
                // the person's id when the links are re-bound later. Should that value be
                // taken already (an old authentication certificate coming back after its
                // person moved on to a new one), the new person gets a random id.
                let taken = sqlx::query("SELECT COUNT(*) FROM issuer_persons WHERE id = $1")
                    .bind(&r.auth_link)
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get::<i64, _>(0)?;
                let id = if taken == 0 {
                    r.auth_link.clone()
                } else {
                    format!(
                        "{}-{}",
                        &r.auth_link.get(..32).unwrap_or_default(),
                        r.enrolment_id
                    )
                };
                sqlx::query(
                    "INSERT INTO issuer_persons (id, auth_link, facts_link, sign_link, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(&id)
                .bind(&r.auth_link)
                .bind(&r.facts_link)
                .bind(&r.sign_link)
                .bind(r.now)
                .execute(&mut **tx)
                .await
                .map_err(map_db)?;
                Ok((id, false))
            }
        }
    }

    async fn upsert_device(
        tx: &mut Tx,
        r: &EnrolmentRecord,
        person_id: &str,
        new_device_id: String,
    ) -> Result<(String, u64, Vec<String>), RegistryError> {
        let existing = sqlx::query(
            "SELECT id FROM issuer_devices WHERE person_id = $1 AND key_thumbprint = $2",
        )
        .bind(person_id)
        .bind(&r.device_thumbprint)
        .fetch_optional(&mut **tx)
        .await?;
        match existing {
            Some(row) => {
                let id: String = row.try_get(0)?;
                let lists = sqlx::query(
                    "SELECT DISTINCT status_list FROM issuer_credentials \
                     WHERE device_id = $1 AND state = $2",
                )
                .bind(&id)
                .bind(STATE_ACTIVE)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| row.try_get::<String, _>(0))
                .collect::<Result<Vec<_>, _>>()?;
                let superseded = sqlx::query(
                    "UPDATE issuer_credentials SET state = $1, changed_at = $2 \
                     WHERE device_id = $3 AND state = $4",
                )
                .bind(STATE_SUPERSEDED)
                .bind(r.now)
                .bind(&id)
                .bind(STATE_ACTIVE)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                // A fresh proofing re-admits a device an administrator had revoked.
                sqlx::query(
                    "UPDATE issuer_devices SET label = COALESCE($1, label), enrolled_at = $2, \
                     revoked_at = NULL WHERE id = $3",
                )
                .bind(r.label.clone())
                .bind(r.now)
                .bind(&id)
                .execute(&mut **tx)
                .await?;
                Ok((id, superseded, lists))
            }
            None => {
                let id = new_device_id;
                sqlx::query(
                    "INSERT INTO issuer_devices (id, person_id, key_thumbprint, label, created_at, \
                     enrolled_at) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(&id)
                .bind(person_id)
                .bind(&r.device_thumbprint)
                .bind(r.label.clone())
                .bind(r.now)
                .execute(&mut **tx)
                .await
                .map_err(map_db)?;
                Ok((id, 0, Vec::new()))
            }
        }
    }

    /// `n` consecutive indices of the current list, or of a new list when it is full. The
    /// increment is one conditional `UPDATE … SET next_index = next_index + n … RETURNING`:
    /// on PostgreSQL a concurrent transaction blocks on the row and then re-evaluates the
    /// condition on the committed value (no lost update, no retry); on SQLite the transaction
    /// holds the write lock already. A full list opens the next one with `ON CONFLICT DO
    /// NOTHING`, so two transactions opening it at once do not fail: the loser takes its
    /// indices from the winner's list.
    async fn allocate(&self, tx: &mut Tx, n: u64) -> Result<(String, u64), RegistryError> {
        if n == 0 || n > self.list_size {
            return Err(RegistryError::Inconsistent(
                "batch does not fit a status list",
            ));
        }
        let n_i = to_i64(n)?;
        for _ in 0..16 {
            let current =
                sqlx::query("SELECT id, seq FROM issuer_status_lists ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await?;
            let seq = match current {
                Some(row) => {
                    let id: String = row.try_get(0)?;
                    let seq: i64 = row.try_get(1)?;
                    let moved = sqlx::query(
                        "UPDATE issuer_status_lists SET next_index = next_index + $1 \
                         WHERE id = $2 AND next_index + $1 <= size RETURNING next_index",
                    )
                    .bind(n_i)
                    .bind(&id)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some(row) = moved {
                        let end = to_u64(row.try_get::<i64, _>(0)?)?;
                        let first = end
                            .checked_sub(n)
                            .ok_or(RegistryError::Inconsistent("allocator went backwards"))?;
                        return Ok((id, first));
                    }
                    seq
                }
                None => 0,
            };
            // Full (or none yet): open the next list with this batch at its start.
            let seq = seq.saturating_add(1);
            let id = seq.to_string();
            let opened = sqlx::query(
                "INSERT INTO issuer_status_lists (id, seq, size, next_index, version) \
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(seq)
            .bind(to_i64(self.list_size)?)
            .bind(n_i)
            .execute(&mut **tx)
            .await
            .map_err(map_db)?;
            if opened.rows_affected() == 1 {
                return Ok((id, 0));
            }
        }
        Err(RegistryError::Conflict)
    }

    /// A person's devices with their credential counts; [`RegistryError::NotFound`] for an
    /// unknown person.
    pub async fn devices(&self, person_id: &str) -> Result<Vec<DeviceInfo>, RegistryError> {
        let known = sqlx::query("SELECT COUNT(*) FROM issuer_persons WHERE id = $1")
            .bind(person_id)
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>(0)?;
        if known == 0 {
            return Err(RegistryError::NotFound);
        }
        let rows = sqlx::query(
            "SELECT d.id, d.label, d.created_at, d.enrolled_at, d.revoked_at, \
             (SELECT COUNT(*) FROM issuer_credentials c WHERE c.device_id = d.id AND c.state = $2), \
             (SELECT COUNT(*) FROM issuer_credentials c WHERE c.device_id = d.id AND c.state = $3), \
             (SELECT COUNT(*) FROM issuer_credentials c WHERE c.device_id = d.id AND c.state = $4) \
             FROM issuer_devices d WHERE d.person_id = $1 ORDER BY d.created_at, d.id",
        )
        .bind(person_id)
        .bind(STATE_ACTIVE)
        .bind(STATE_REVOKED)
        .bind(STATE_SUPERSEDED)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DeviceInfo {
                    id: row.try_get(0)?,
                    label: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                    enrolled_at: row.try_get(3)?,
                    revoked_at: row.try_get(4)?,
                    active: row.try_get(5)?,
                    revoked: row.try_get(6)?,
                    superseded: row.try_get(7)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(RegistryError::from)
    }

    /// Revoke one device: every active credential of it becomes revoked, the device is
    /// marked, the lists concerned get a new version. [`RegistryError::NotFound`] for an
    /// unknown device.
    pub async fn revoke_device(
        &self,
        device_id: &str,
        now: i64,
    ) -> Result<RevocationOutcome, RegistryError> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin().await?;
        let marked = sqlx::query("UPDATE issuer_devices SET revoked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() == 0 {
            return Err(RegistryError::NotFound);
        }
        let lists = distinct_lists(
            &mut tx,
            "SELECT DISTINCT status_list FROM issuer_credentials WHERE device_id = $1 AND state = $2",
            device_id,
        )
        .await?;
        let n = sqlx::query(
            "UPDATE issuer_credentials SET state = $1, changed_at = $2 WHERE device_id = $3 AND state = $4",
        )
        .bind(STATE_REVOKED)
        .bind(now)
        .bind(device_id)
        .bind(STATE_ACTIVE)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        bump_versions(&mut tx, &lists).await?;
        tx.commit().await?;
        Ok(RevocationOutcome {
            credentials: n,
            persons: 1,
            changed_lists: lists,
        })
    }

    /// Revoke for each certificate link on a CRL (HMACs of issuer + serial): every active
    /// credential issued under that signature certificate, and every active credential of a
    /// person whose current signature or authentication certificate it is.
    pub async fn revoke_links(
        &self,
        links: &[String],
        now: i64,
    ) -> Result<RevocationOutcome, RegistryError> {
        let mut out = RevocationOutcome::default();
        let _turn = self.write_turn().await;
        let mut tx = self.begin().await?;
        let mut lists = Vec::new();
        for link in links {
            let persons =
                sqlx::query("SELECT id FROM issuer_persons WHERE sign_link = $1 OR auth_link = $1")
                    .bind(link)
                    .fetch_all(&mut *tx)
                    .await?;
            let by_cert =
                sqlx::query("SELECT COUNT(*) FROM issuer_credentials WHERE sign_link = $1")
                    .bind(link)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get::<i64, _>(0)?;
            if persons.is_empty() && by_cert == 0 {
                continue;
            }
            out.persons = out.persons.saturating_add(count(persons.len())?);
            lists.extend(
                distinct_lists(
                    &mut tx,
                    "SELECT DISTINCT status_list FROM issuer_credentials WHERE sign_link = $1 AND state = $2",
                    link,
                )
                .await?,
            );
            let n = sqlx::query(
                "UPDATE issuer_credentials SET state = $1, changed_at = $2 WHERE sign_link = $3 AND state = $4",
            )
            .bind(STATE_REVOKED)
            .bind(now)
            .bind(link)
            .bind(STATE_ACTIVE)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            out.credentials = out.credentials.saturating_add(n);
            for p in &persons {
                let person: String = p.try_get(0)?;
                let select = "SELECT DISTINCT c.status_list FROM issuer_credentials c \
                     JOIN issuer_devices d ON c.device_id = d.id WHERE d.person_id = $1 AND c.state = $2";
                lists.extend(distinct_lists(&mut tx, select, &person).await?);
                let n = sqlx::query(
                    "UPDATE issuer_credentials SET state = $1, changed_at = $2 WHERE state = $3 AND \
                     device_id IN (SELECT id FROM issuer_devices WHERE person_id = $4)",
                )
                .bind(STATE_REVOKED)
                .bind(now)
                .bind(STATE_ACTIVE)
                .bind(&person)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                out.credentials = out.credentials.saturating_add(n);
            }
        }
        lists.sort();
        lists.dedup();
        bump_versions(&mut tx, &lists).await?;
        tx.commit().await?;
        out.changed_lists = lists;
        Ok(out)
    }

    /// A list's size, version and non-active indices; `None` for an unknown list.
    pub async fn list_state(&self, list_id: &str) -> Result<Option<ListState>, RegistryError> {
        let Some(row) = sqlx::query("SELECT size, version FROM issuer_status_lists WHERE id = $1")
            .bind(list_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let size = to_u64(row.try_get::<i64, _>(0)?)?;
        let version: i64 = row.try_get(1)?;
        let invalid = sqlx::query(
            "SELECT status_index FROM issuer_credentials WHERE status_list = $1 AND state <> $2",
        )
        .bind(list_id)
        .bind(STATE_ACTIVE)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            row.try_get::<i64, _>(0)
                .map_err(RegistryError::from)
                .and_then(to_u64)
        })
        .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ListState {
            size,
            version,
            invalid,
        }))
    }

    /// A list's version alone (cheap: the publication cache compares it); `None` if unknown.
    pub async fn list_version(&self, list_id: &str) -> Result<Option<i64>, RegistryError> {
        Ok(
            sqlx::query("SELECT version FROM issuer_status_lists WHERE id = $1")
                .bind(list_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<i64, _>(0))
                .transpose()?,
        )
    }

    /// Whether the registry is in a consistent state: no status index used twice, no
    /// credential without its device or enrolment, no device without its person, every
    /// committed enrolment with exactly the credential rows it announced. The list of
    /// violations (empty when all hold).
    pub async fn check_invariants(&self) -> Result<Vec<&'static str>, RegistryError> {
        let checks: [(&str, &'static str); 5] = [
            (
                "SELECT COUNT(*) FROM (SELECT status_list, status_index FROM issuer_credentials \
                 GROUP BY status_list, status_index HAVING COUNT(*) > 1) t",
                "a status index is used twice",
            ),
            (
                "SELECT COUNT(*) FROM issuer_credentials c WHERE NOT EXISTS \
                 (SELECT 1 FROM issuer_devices d WHERE d.id = c.device_id)",
                "a credential has no device",
            ),
            (
                "SELECT COUNT(*) FROM issuer_devices d WHERE NOT EXISTS \
                 (SELECT 1 FROM issuer_persons p WHERE p.id = d.person_id)",
                "a device has no person",
            ),
            (
                "SELECT COUNT(*) FROM issuer_enrolments e WHERE e.credentials <> \
                 (SELECT COUNT(*) FROM issuer_credentials c WHERE c.enrolment_id = e.id)",
                "an enrolment's credential rows are incomplete",
            ),
            (
                "SELECT COUNT(*) FROM issuer_credentials c WHERE c.status_index >= \
                 (SELECT l.next_index FROM issuer_status_lists l WHERE l.id = c.status_list)",
                "a credential's status index was never allocated",
            ),
        ];
        let mut bad = Vec::new();
        for (sql, what) in checks {
            let n = sqlx::query(sql)
                .fetch_one(&self.pool)
                .await?
                .try_get::<i64, _>(0)?;
            if n != 0 {
                bad.push(what);
            }
        }
        Ok(bad)
    }
}

async fn distinct_lists(tx: &mut Tx, sql: &str, key: &str) -> Result<Vec<String>, RegistryError> {
    sqlx::query(sql)
        .bind(key)
        .bind(STATE_ACTIVE)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0).map_err(RegistryError::from))
        .collect()
}

async fn bump_versions(tx: &mut Tx, lists: &[String]) -> Result<(), RegistryError> {
    for l in lists {
        sqlx::query("UPDATE issuer_status_lists SET version = version + 1 WHERE id = $1")
            .bind(l)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The writer answered a job with the answer to another kind of job: a bug in the writer
/// task, never the database's doing.
fn wrong_answer() -> RegistryError {
    RegistryError::Inconsistent("writer answered another job")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let d = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/registry.db", d.path().display());
        assert_eq!(prepare_sqlite(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(d.path().join("sub").is_dir());
    }
}
