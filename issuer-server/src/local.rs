//! The issuer service run in-process on a loopback port, for demos and tests that want the
//! real HTTP exchange (docs/profiles/jpki-enrolment.md) without a second process: its own
//! small tokio runtime, the listener bound before the service is built (so the public URL —
//! the issuer identifier the card signs in the enrolment challenge — is the bound address),
//! and a shutdown that stops accepting, ends the runtime and leaves nothing running.

use crate::config::IssuerConfig;
use crate::error::ServerError;
use crate::server::{build, serve_with_shutdown};
use kakunin_issuer::proofing::ApplicantProofing;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A running in-process issuer service. Dropping it shuts the service down.
pub struct LocalIssuer {
    url: String,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
}

impl core::fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalIssuer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl LocalIssuer {
    /// Bind `config.listen` (port 0: any free port), set `config.public_url` to
    /// `http://<bound address>`, build the service ([`build`]: keys, JPKI CAs, registry,
    /// CRL files) and serve it on a background runtime of one worker thread. Call from
    /// outside any tokio runtime.
    pub fn start(
        mut config: IssuerConfig,
        proofing: Arc<dyn ApplicantProofing>,
    ) -> Result<Self, ServerError> {
        let listen = config.listen;
        let listen_err = |source| ServerError::Listen {
            addr: listen.to_string(),
            source,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kakunin-local-issuer")
            .enable_all()
            .build()
            .map_err(listen_err)?;
        let (state, listener, url) = runtime.block_on(async move {
            let listener = TcpListener::bind(listen).await.map_err(listen_err)?;
            let local = listener.local_addr().map_err(listen_err)?;
            let url = format!("http://{local}");
            config.public_url.clone_from(&url);
            let state = build(config, proofing).await?;
            Ok::<_, ServerError>((state, listener, url))
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(serve_with_shutdown(state, listener, async move {
            // A dropped sender also stops the service.
            let _ = stopped.await;
        }));
        Ok(LocalIssuer {
            url,
            runtime: Some(runtime),
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The service's base URL, `http://127.0.0.1:PORT` (also its issuer identifier).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stop the service and report how its accept loop ended.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let mut result = Ok(());
        if let Some(runtime) = self.runtime.take() {
            // `block_on` is refused inside another runtime; there, the runtime is left to
            // end in the background instead.
            let inside_runtime = tokio::runtime::Handle::try_current().is_ok();
            if let (Some(task), false) = (self.task.take(), inside_runtime) {
                // A task that panicked or was cancelled has nothing more to report.
                result = runtime.block_on(task).unwrap_or(Ok(()));
                runtime.shutdown_timeout(Duration::from_secs(1));
            } else {
                runtime.shutdown_background();
            }
        }
        result
    }
}

impl Drop for LocalIssuer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
