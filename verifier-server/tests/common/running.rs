//! A till served on 127.0.0.1 for the trust tests (bundle, CRLs, VICALs): a fresh data
//! directory, a 100 ms trust reload, and the caller's configuration on top.
#![allow(dead_code, unreachable_pub)]

use crate::common::World;
use kakunin_verifier_server::{build as build_till, serve_with_shutdown, AppState, Config};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The running till: its address and state, the runtime it runs on; dropped, it stops.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
    pub rt: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

pub fn start(f: impl FnOnce(&mut Config)) -> Result<Running, kakunin_verifier_server::ServerError> {
    let data = tempfile::tempdir().unwrap();
    let mut c = Config::new(data.path());
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.limits.trust_reload = Duration::from_millis(100);
    f(&mut c);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, state) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = build_till(c, None).await?;
        let s = state.clone();
        tokio::spawn(async move {
            serve_with_shutdown(s, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Ok::<_, kakunin_verifier_server::ServerError>((addr, state))
    })?;
    Ok(Running {
        addr,
        state,
        _stop: stop,
        rt,
        _data: data,
    })
}

/// Replace `path` atomically (a till must never read half a file).
pub fn put(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A trust bundle file (written with [`put`]) and the bundle root it must chain to, in a
/// directory that lives as long as this value.
pub struct Files {
    _dir: tempfile::TempDir,
    pub bundle: PathBuf,
    pub anchor: PathBuf,
}

/// The bundle `first` and `w`'s trust-bundle root, written to a fresh directory.
pub fn files(w: &World, first: &[u8]) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("trust.bundle");
    let anchor = dir.path().join("bundle-root.der");
    put(&bundle, first);
    std::fs::write(&anchor, &w.pki.bundle_root.cert_der).unwrap();
    Files {
        _dir: dir,
        bundle,
        anchor,
    }
}
