//! Building the issuer service from an [`IssuerConfig`] and serving it: the accept loop with
//! a bound on open connections and a header-read deadline per connection, a deadline on every
//! request, the nonce sweeper, and the CRL files applied at start.

use crate::api::{self, AppState, Inner};
use crate::config::IssuerConfig;
use crate::error::ServerError;
use crate::issue::IssuerKeys;
use crate::links::LinkKey;
use crate::registry::Registry;
use crate::status::Publisher;
use axum::extract::Request;
use axum::middleware::Next;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use kakunin_core::crypto::{default_provider, HashAlg};
use kakunin_issuer::proofing::ApplicantProofing;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The environment variable that may hold the administration token.
pub const ADMIN_TOKEN_ENV: &str = "KAKUNIN_ISSUER_ADMIN_TOKEN";

/// Build the service: validate the configuration, load the issuer keys and the JPKI CAs,
/// create or read the data directory's secrets, open (and migrate) the registry, and apply
/// the CRL files of the JPKI CA directory. `proofing` proves applicants.
pub async fn build(
    config: IssuerConfig,
    proofing: Arc<dyn ApplicantProofing>,
) -> Result<AppState, ServerError> {
    config.validate()?;
    let crypto = default_provider();
    let keys = IssuerKeys::load(&config.pki_dir, &config.status_signer)?;
    let jpki_cas = crate::crl::read_ca_certificates(&config.jpki_ca_dir)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::Read {
        path: config.data_dir.clone(),
        source,
    })?;
    let links = LinkKey::new(crate::secrets::registry_secret(crypto, &config.data_dir)?);
    let token = match &config.admin_token {
        Some(t) => t.clone(),
        None => match std::env::var(ADMIN_TOKEN_ENV) {
            Ok(t) if !t.trim().is_empty() => zeroize::Zeroizing::new(t.trim().to_string()),
            _ => crate::secrets::admin_token(crypto, &config.data_dir)?,
        },
    };
    if token.len() < 16 {
        return Err(ServerError::Invalid(
            "the administration token must be at least 16 characters".into(),
        ));
    }
    let admin_token_hash = zeroize::Zeroizing::new(crypto.hash(HashAlg::Sha256, token.as_bytes()));
    let registry = Registry::open(&config.registry_url(), config.status_list_size).await?;
    let state = AppState {
        inner: Arc::new(Inner {
            config,
            crypto,
            keys,
            registry,
            proofing,
            links,
            admin_token_hash,
            publisher: Publisher::new(),
            jpki_cas,
        }),
    };
    let files = crate::crl::crl_files(&state.inner.config.jpki_ca_dir);
    if !files.is_empty() {
        let crls: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
        match api::apply_crls(&state, &crls).await {
            Ok(s) => eprintln!(
                "kakunin issuer: {} JPKI CRL(s) applied ({} credentials newly revoked)",
                crls.len(),
                s.get("revoked_credentials").cloned().unwrap_or_default()
            ),
            Err(e) => eprintln!("kakunin issuer: JPKI CRLs not applied: {}", e.code),
        }
    }
    Ok(state)
}

/// Serve until `shutdown` completes.
pub async fn serve_with_shutdown(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let limits = state.inner.config.limits.clone();
    let sweeper = {
        let st = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let _ = st.registry().sweep_nonces(now).await;
            }
        })
    };
    let deadline = limits.request_timeout;
    let router = api::router(state.clone()).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| async move {
            match tokio::time::timeout(deadline, next.run(req)).await {
                Ok(r) => r,
                Err(_) => api::timeout_response(),
            }
        },
    ));
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&connections).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("kakunin issuer: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = router.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            let _ = conn.await;
            drop(permit);
        });
    }
    sweeper.abort();
    Ok(())
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

/// For the command line: a multi-threaded runtime, bind `config.listen`, print where the
/// service listens, serve until Ctrl-C or SIGTERM.
pub fn run(config: IssuerConfig, proofing: Arc<dyn ApplicantProofing>) -> Result<(), ServerError> {
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
        let local = listener
            .local_addr()
            .map_err(|source| ServerError::Listen {
                addr: addr.to_string(),
                source,
            })?;
        let state = build(config, proofing).await?;
        let c = state.config();
        eprintln!(
            "kakunin issuer: listening on http://{local} (issuer {}, registry {})",
            c.public_url,
            c.registry_url_redacted()
        );
        serve_with_shutdown(state, listener, shutdown_signal()).await
    })
}
