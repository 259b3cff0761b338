//! Group commit for SQLite: one writer task takes the write jobs that concurrent requests
//! queued (a nonce handed out, a nonce used, an enrolment recorded) and runs them in ONE
//! transaction, each under a savepoint of its own, then commits once — one WAL fsync for the
//! group instead of one per job.
//!
//! The promises of one transaction per job stay:
//! - a request is answered only after the COMMIT that holds its writes returned
//!   (`synchronous = FULL`: on disk);
//! - a job that fails (a nonce used or unknown, a constraint) is rolled back to its savepoint
//!   and gets its own error, while the others of the group still commit;
//! - a failed BEGIN, savepoint or COMMIT fails every job of the group alike
//!   ([`RegistryError::GroupCommit`]): nothing is answered as stored that is not;
//! - a job whose request was dropped before the job ran (the client went away) is skipped,
//!   as a transaction abandoned before its commit would store nothing;
//! - each job is all or nothing (an enrolment's rows are one job), and jobs run one after the
//!   other in queue order, each seeing the writes of those before it, as separate
//!   transactions would.
//!
//! Bounds: the queue holds at most [`QUEUE_BOUND`] jobs (a request beyond waits to enqueue:
//! back-pressure, no unbounded memory) and a group at most [`MAX_GROUP`] jobs. A group is
//! what is queued when the writer takes its turn, so it never waits to fill: one lone request
//! is committed at once, and under load the jobs that arrive during one fsync share the next.

#[cfg(test)]
use super::Registry;
use super::{
    run_job, CredentialRow, EnrolmentOutcome, EnrolmentRecord, RegistryError, Reserved, Tx,
};
use sqlx::AnyPool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Jobs that may wait in the queue.
pub(super) const QUEUE_BOUND: usize = 256;
/// Jobs per transaction at most.
pub(super) const MAX_GROUP: usize = 64;

/// One write the registry runs in a transaction (its own, or its savepoint in a group).
#[derive(Debug)]
pub(super) enum Job {
    /// Store a fresh nonce's hash ([`Registry::put_nonce`](super::Registry::put_nonce)).
    PutNonce {
        hash: String,
        now: i64,
        expires_at: i64,
    },
    /// Mark a nonce used ([`Registry::consume_nonce`](super::Registry::consume_nonce)).
    ConsumeNonce { hash: String, now: i64 },
    /// Record an enrolment ([`Registry::record`](super::Registry::record)); its
    /// `new_device_id` names the device if it is new.
    Record(Box<RecordJob>),
}

/// What [`Job::Record`] writes (boxed: the record is large next to the nonce jobs).
#[derive(Debug)]
pub(super) struct RecordJob {
    pub(super) r: EnrolmentRecord,
    pub(super) reserved: Reserved,
    pub(super) rows: Vec<CredentialRow>,
    pub(super) new_device_id: String,
}

/// What a committed job did.
#[derive(Debug)]
pub(super) enum Done {
    /// The nonce is stored.
    Stored,
    /// The nonce is used now; `expired`: it was past its expiry (used all the same).
    Consumed { expired: bool },
    /// The enrolment is recorded.
    Recorded(EnrolmentOutcome),
}

/// A queued job and where its answer goes.
struct Pending {
    job: Job,
    reply: oneshot::Sender<Result<Done, RegistryError>>,
}

/// The writer's queue (cloned with the registry handle; the writer stops when the last
/// clone is dropped).
#[derive(Clone, Debug)]
pub(super) struct Queue(mpsc::Sender<Pending>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

impl Queue {
    /// Start the writer task on the current Tokio runtime. It takes `turn` (the process's
    /// SQLite write turn, where the registry's other writers queue too) for each group.
    pub(super) fn spawn(pool: AnyPool, turn: Arc<Mutex<()>>) -> Queue {
        let (tx, rx) = mpsc::channel(QUEUE_BOUND);
        tokio::spawn(writer(pool, turn, rx));
        Queue(tx)
    }

    /// Queue `job` and wait until its group is committed (or failed).
    pub(super) async fn submit(&self, job: Job) -> Result<Done, RegistryError> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Pending { job, reply })
            .await
            .map_err(|_| RegistryError::WriterStopped)?;
        answer.await.map_err(|_| RegistryError::WriterStopped)?
    }
}

async fn writer(pool: AnyPool, turn: Arc<Mutex<()>>, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let _turn = turn.lock().await;
        let mut group = vec![first];
        // Whatever queued meanwhile (also while waiting for the turn) joins this group.
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        run_group(&pool, group).await;
    }
}

/// Run `group` in one transaction, a savepoint per job, commit, answer every job.
async fn run_group(pool: &AnyPool, group: Vec<Pending>) {
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return fail_all(group.into_iter().map(|p| p.reply), e),
    };
    let mut answered = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    while let Some(Pending { job, reply }) = jobs.next() {
        if reply.is_closed() {
            // Its request was dropped before the job ran (the client went away): as with a
            // transaction of its own abandoned before its commit, nothing of it is stored.
            continue;
        }
        match run_in_savepoint(&mut tx, job).await {
            Ok(result) => answered.push((reply, result)),
            Err(e) => {
                // The transaction is in an unknown state: nothing of the group is kept.
                drop(tx);
                let replies = answered
                    .into_iter()
                    .map(|(r, _)| r)
                    .chain(std::iter::once(reply))
                    .chain(jobs.map(|p| p.reply));
                return fail_all(replies, e);
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {
            for (reply, result) in answered {
                // A requester that went away just does not read its answer.
                let _ = reply.send(result);
            }
        }
        Err(e) => fail_all(answered.into_iter().map(|(r, _)| r), e),
    }
}

/// Run one job under a savepoint: released when the job succeeded, rolled back to when it
/// failed (the job's own error is its answer). The outer `Err` is a savepoint statement that
/// failed, which fails the whole group.
async fn run_in_savepoint(
    tx: &mut Tx,
    job: Job,
) -> Result<Result<Done, RegistryError>, sqlx::Error> {
    sqlx::query("SAVEPOINT job").execute(&mut **tx).await?;
    let result = run_job(tx, true, job).await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO SAVEPOINT job")
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("RELEASE SAVEPOINT job")
        .execute(&mut **tx)
        .await?;
    Ok(result)
}

fn fail_all(
    replies: impl Iterator<Item = oneshot::Sender<Result<Done, RegistryError>>>,
    e: sqlx::Error,
) {
    let e = Arc::new(e);
    for reply in replies {
        let _ = reply.send(Err(RegistryError::GroupCommit(Arc::clone(&e))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open() -> (tempfile::TempDir, Registry) {
        let d = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/registry.db", d.path().display());
        let reg = Registry::open(&url, 1024).await.unwrap();
        (d, reg)
    }

    fn pending(job: Job) -> (Pending, oneshot::Receiver<Result<Done, RegistryError>>) {
        let (reply, rx) = oneshot::channel();
        (Pending { job, reply }, rx)
    }

    /// One group: a nonce used twice (the second fails alone), an unknown nonce, and good
    /// jobs around them that all commit.
    #[tokio::test]
    async fn a_failing_job_fails_alone_and_the_rest_commit() {
        let (_d, reg) = open().await;
        let now = 1_000;
        let put = |h: &str| Job::PutNonce {
            hash: h.into(),
            now,
            expires_at: now + 60,
        };
        let consume = |h: &str| Job::ConsumeNonce {
            hash: h.into(),
            now,
        };
        let jobs = vec![
            put("a"),
            consume("a"),
            consume("a"),
            consume("never-issued"),
            put("b"),
            put("b"),
            consume("b"),
        ];
        let (group, answers): (Vec<_>, Vec<_>) = jobs.into_iter().map(pending).unzip();
        run_group(reg.pool(), group).await;
        let mut got = Vec::new();
        for a in answers {
            got.push(a.await.unwrap());
        }
        assert!(matches!(got[0], Ok(Done::Stored)));
        assert!(matches!(got[1], Ok(Done::Consumed { expired: false })));
        assert!(matches!(got[2], Err(RegistryError::NonceUsed)));
        assert!(matches!(got[3], Err(RegistryError::NonceUnknown)));
        assert!(matches!(got[4], Ok(Done::Stored)));
        assert!(matches!(got[5], Err(RegistryError::Conflict)));
        assert!(matches!(got[6], Ok(Done::Consumed { expired: false })));
        // What the answers said is what is on disk: both nonces stored once and used.
        let used: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM issuer_nonces WHERE used_at IS NOT NULL AND hash IN ('a', 'b')",
        )
        .fetch_one(reg.pool())
        .await
        .unwrap();
        assert_eq!(used, 2);
        let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issuer_nonces")
            .fetch_one(reg.pool())
            .await
            .unwrap();
        assert_eq!(all, 2);
    }

    /// A job whose requester is gone before it runs is not run: nothing of it is stored.
    #[tokio::test]
    async fn an_abandoned_job_is_not_run() {
        let (_d, reg) = open().await;
        let job = |h: &str| Job::PutNonce {
            hash: h.into(),
            now: 1,
            expires_at: 2,
        };
        let (gone, gone_rx) = pending(job("gone"));
        drop(gone_rx);
        let (kept, kept_rx) = pending(job("kept"));
        run_group(reg.pool(), vec![gone, kept]).await;
        assert!(matches!(kept_rx.await.unwrap(), Ok(Done::Stored)));
        let hashes: Vec<String> = sqlx::query_scalar("SELECT hash FROM issuer_nonces")
            .fetch_all(reg.pool())
            .await
            .unwrap();
        assert_eq!(hashes, vec!["kept".to_string()]);
    }

    /// A group whose transaction cannot start (the pool is closed) fails every job alike.
    #[tokio::test]
    async fn a_failed_transaction_fails_every_job() {
        let (_d, reg) = open().await;
        reg.close().await;
        let (group, answers): (Vec<_>, Vec<_>) = ["x", "y"]
            .into_iter()
            .map(|h| {
                pending(Job::PutNonce {
                    hash: h.into(),
                    now: 1,
                    expires_at: 2,
                })
            })
            .unzip();
        run_group(reg.pool(), group).await;
        for a in answers {
            assert!(matches!(
                a.await.unwrap(),
                Err(RegistryError::GroupCommit(_))
            ));
        }
    }
}
