//! Building the till from a [`Config`] and serving it: the accept loop with a bound on open
//! connections and a header-read deadline per connection (a client that drips its request
//! bytes is cut off), a deadline on every request, and the trust directory's reload task.

use crate::api::{self, AppState, PeerAddr};
use crate::audit::AuditStore;
use crate::config::Config;
use crate::demo::{DemoRunner, DemoWorld};
use crate::error::ServerError;
use crate::session::FlowRunner;
use crate::till::{SessionRunner, Till};
use crate::trust::TrustStore;
use axum::extract::Request;
use axum::middleware::Next;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use kakunin_verifier::flow::ReaderAuthSigner;
use kakunin_verifier::AgePolicy;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Build the till's state: validate the configuration, read the trust data and the reader
/// credentials, open the audit store, prepare the demo customers when asked.
/// `runner` is the session runner (default: the reader flow over the configured BLE link,
/// behind the demo's simulated phones with `--demo`).
pub async fn build(
    config: Config,
    runner: Option<Arc<dyn SessionRunner>>,
) -> Result<AppState, ServerError> {
    config.validate()?;
    let mut policy = AgePolicy::with_threshold(config.policy.age_threshold);
    policy.portrait = config.policy.portrait;
    policy.status.offline_grace =
        time::Duration::try_from(config.status_offline_grace).map_err(|_| {
            ServerError::Invalid("policy.status_offline_grace_seconds is too large".into())
        })?;
    let reader = match (&config.reader_cert, &config.reader_key) {
        (Some(cert), Some(key)) => Some(Arc::new(ReaderCredentials::load(cert, key)?)),
        _ => None,
    };
    let demo = if config.demo {
        let world = tokio::task::spawn_blocking(|| DemoWorld::new(time::OffsetDateTime::now_utc()))
            .await
            .map_err(|e| ServerError::Demo(e.to_string()))?
            .map_err(|e| ServerError::Demo(e.to_string()))?;
        Some(Arc::new(world))
    } else {
        None
    };
    let trust = Arc::new(
        match (
            &demo,
            config.trust_dir.is_some()
                || !config.trust_anchors.is_empty()
                || config.trust_bundle.is_some()
                || !config.vicals.is_empty(),
        ) {
            (_, true) => {
                let bundle = match (&config.trust_bundle, &config.bundle_signer) {
                    (Some(b), Some(anchor)) => Some(crate::bundle::BundleSource::new(b, anchor)?),
                    _ => None,
                };
                let store = TrustStore::load_with_crls(
                    config.trust_dir.as_deref(),
                    &config.trust_anchors,
                    bundle,
                    config.status_cache.as_deref(),
                    &config.crl_files,
                )?;
                if config.vical_authorities.is_empty() {
                    store
                } else {
                    store.with_vicals(crate::vicals::VicalSource::new(
                        &config.vical_authorities,
                        &config.vicals,
                        config.vical_grace,
                    )?)?
                }
            }
            (Some(world), false) => TrustStore::fixed(world.anchors().clone()),
            (None, false) => {
                return Err(ServerError::Invalid(
                    "no trust anchors: give trust.dir, trust.anchors or --trust-anchor".into(),
                ))
            }
        },
    );
    let audit = AuditStore::open(&config.audit_url()).await?;
    let signer = reader.as_ref().map(|r| r.signer());
    let flow: Arc<dyn SessionRunner> = Arc::new(FlowRunner::new(
        Arc::clone(&trust),
        policy.clone(),
        signer.clone(),
        config.transports.ble,
        config.limits.phone_timeout,
    ));
    let runner: Arc<dyn SessionRunner> = match (runner, &demo) {
        (Some(r), _) => r,
        (None, Some(world)) => {
            let mut demo = DemoRunner::new(Arc::clone(world), policy.clone())
                .with_fallback(flow)
                .with_chain_cache(Arc::clone(&trust));
            if let Some(s) = signer {
                demo = demo.with_reader(s);
            }
            Arc::new(demo)
        }
        (None, None) => flow,
    };
    let workers = config.limits.workers;
    Ok(AppState {
        config: Arc::new(config),
        trust,
        policy: Arc::new(policy),
        audit,
        till: Arc::new(Till::new()),
        runner,
        workers: Arc::new(Semaphore::new(workers)),
        demo,
        reader,
    })
}

/// The till's reader certificate and key (readerAuth in its DeviceRequests, ISO 18013-5
/// clause 9.1.4), read once at start-up: a till with a broken reader key does not start.
/// The key is zeroized on drop and never shown by `Debug`.
#[derive(Debug)]
pub struct ReaderCredentials {
    /// The reader certificate, DER.
    pub cert_der: Vec<u8>,
    signer: ReaderAuthSigner,
}

impl ReaderCredentials {
    /// Read the certificate (PEM, DER or hex) and the private key (PKCS#8 or SEC1).
    pub fn load(cert: &std::path::Path, key: &std::path::Path) -> Result<Self, ServerError> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|source| ServerError::Read {
                path: p.into(),
                source,
            })
        };
        let cert_der =
            kakunin_core::trust::parse_certificate_input(&read(cert)?).map_err(|source| {
                ServerError::Certificate {
                    path: cert.into(),
                    source,
                }
            })?;
        let bytes = zeroize::Zeroizing::new(read(key)?);
        let key = kakunin_core::crypto::import_private_key(&bytes).map_err(|source| {
            ServerError::Key {
                path: key.into(),
                source,
            }
        })?;
        Ok(ReaderCredentials {
            signer: ReaderAuthSigner::new(vec![cert_der.clone()], key),
            cert_der,
        })
    }

    /// The readerAuth signer of the till's sessions (shares the one key; never copies it).
    pub fn signer(&self) -> ReaderAuthSigner {
        self.signer.clone()
    }
}

impl AppState {
    /// The audit store (for exports and tests).
    pub fn audit(&self) -> &AuditStore {
        &self.audit
    }

    /// The till's state machine.
    pub fn till(&self) -> &Arc<Till> {
        &self.till
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The reader credentials, when configured (for the session runner's DeviceRequests).
    pub fn reader(&self) -> Option<&Arc<ReaderCredentials>> {
        self.reader.as_ref()
    }
}

/// Serve until `shutdown` completes.
pub async fn serve_with_shutdown(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let limits = state.config.limits.clone();
    let trust = Arc::clone(&state.trust);
    // The NFC reader's polling thread (transports.nfc_reader), stopped below.
    let nfc = crate::nfc::start(&state);
    let reload = tokio::spawn(async move {
        let mut tick = tokio::time::interval(limits.trust_reload);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let t = Arc::clone(&trust);
            match tokio::task::spawn_blocking(move || t.reload_if_changed()).await {
                Ok(Ok(true)) => {
                    let t = trust.snapshot();
                    match &t.bundle {
                        Some(b) => eprintln!(
                            "kakunin till: trust data reloaded ({} anchors, trust bundle version {})",
                            t.anchors.len(),
                            b.bundle.version()
                        ),
                        None => eprintln!(
                            "kakunin till: trust data reloaded ({} anchors)",
                            t.anchors.len()
                        ),
                    }
                }
                Ok(Ok(false)) => {}
                Ok(Err(e)) => eprintln!(
                    "kakunin till: trust data not reloaded, keeping the previous set: {e}"
                ),
                Err(_) => {}
            }
        }
    });
    let deadline = state.config.limits.request_timeout;
    let router = api::router(state.clone()).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| async move {
            match tokio::time::timeout(deadline, next.run(req)).await {
                Ok(r) => r,
                Err(_) => api::timeout_response(),
            }
        },
    ));
    let connections = Arc::new(Semaphore::new(state.config.limits.max_connections));
    let header_timeout = state.config.limits.header_timeout;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&connections).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    eprintln!("kakunin till: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = router
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(PeerAddr(peer));
                req
            });
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            // A connection error (a client that went away, a header deadline) ends only
            // that connection.
            let _ = conn.await;
            drop(permit);
        });
    }
    reload.abort();
    if let Some(poller) = nfc {
        let _ = tokio::task::spawn_blocking(move || poller.stop()).await;
    }
    Ok(())
}

/// Build the till from `config` and serve it on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(config: Config, listener: TcpListener) -> Result<(), ServerError> {
    let state = build(config, None).await?;
    serve_with_shutdown(state, listener, shutdown_signal()).await
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// For the command line: build a multi-threaded runtime, bind `config.listen`, print where
/// the till listens, and serve until Ctrl-C or SIGTERM.
pub fn run(config: Config) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Listen {
            addr: config.listen.to_string(),
            source,
        })?;
    runtime.block_on(async move {
        let addr = config.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Listen {
                addr: addr.to_string(),
                source,
            })?;
        let state = build(config, None).await?;
        let local = listener.local_addr().map_err(|source| ServerError::Listen {
            addr: addr.to_string(),
            source,
        })?;
        let c = state.config();
        eprintln!(
            "kakunin till: listening on http://{local} (store {}, till {}, {} trust anchor(s), audit {}{})",
            c.store_id,
            c.till_id,
            state.trust.snapshot().anchors.len(),
            c.audit_url_redacted(),
            if c.demo { ", demo customers" } else { "" }
        );
        serve_with_shutdown(state, listener, shutdown_signal()).await
    })
}

/// For the command line: the audit rows at or after `since` from the database at `url`.
pub fn export_blocking(
    url: &str,
    since: Option<time::OffsetDateTime>,
) -> Result<Vec<crate::audit::AuditRecord>, ServerError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Listen {
            addr: "audit export".into(),
            source,
        })?;
    runtime.block_on(async {
        let store = AuditStore::open(url).await?;
        let rows = store.export(since).await?;
        store.close().await;
        Ok(rows)
    })
}
