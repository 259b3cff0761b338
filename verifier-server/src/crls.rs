//! The till's CRLs (RFC 5280 §5, kakunin_core::trust::crl): those carried in the signed trust
//! bundle and those in CRL files named by `trust.crls` / `till serve --crl`, each verified
//! against its issuer among the till's trust anchors (the trust files' IACAs, every IACA of
//! the bundle, the bundle's reader roots) and kept as one [`CrlSet`] in the trust snapshot.
//!
//! A CRL that does not verify is never kept, and never read as "not revoked": a bundle with
//! such a CRL is refused as a whole (the bundle is signed, so a bad CRL inside it means the
//! bundle was built wrong — docs/decisions/0013-trust-bundle.md), and a bad CRL file fails
//! the trust load (the till does not start; on a reload the snapshot in force stays). The
//! error names the file and the CRL's position, never its contents.

use crate::bundle::{stamp, FileStamp, LoadedBundle};
use crate::error::ServerError;
use kakunin_core::crypto::default_provider;
use kakunin_core::trust::crl::MAX_CRL_LEN;
use kakunin_core::trust::{verify_crl, CrlSet, TrustAnchors};
use std::path::{Path, PathBuf};

/// Most CRL files a till reads.
pub const MAX_CRL_FILES: usize = 256;

/// The certificates a CRL may be issued by: the trust files' anchors, every IACA of the
/// bundle (also those scoped to docTypes: a CRL only ever takes trust away) and its reader
/// roots.
fn issuers(file_anchors: &TrustAnchors, bundle: Option<&LoadedBundle>) -> Vec<Vec<u8>> {
    let mut ders: Vec<Vec<u8>> = file_anchors.iter().map(|a| a.der().to_vec()).collect();
    if let Some(b) = bundle {
        let c = b.bundle.contents();
        ders.extend(c.iacas.iter().map(|i| i.cert_der.clone()));
        ders.extend(c.reader_roots.iter().cloned());
    }
    ders
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().escape_default().to_string())
        .unwrap_or_default()
}

/// Verify the CRLs of `bundle` against the anchors into `set`: the first that does not
/// verify refuses the bundle.
pub fn add_bundle_crls(
    set: &mut CrlSet,
    file_anchors: &TrustAnchors,
    bundle: &LoadedBundle,
    bundle_path: Option<&Path>,
) -> Result<(), ServerError> {
    let issuers = issuers(file_anchors, Some(bundle));
    for (i, der) in bundle.bundle.crls().iter().enumerate() {
        let crl = verify_crl(default_provider(), der, issuers.iter().map(Vec::as_slice)).map_err(
            |e| {
                ServerError::Invalid(format!(
                "trust bundle {} refused, the bundle in force is kept: CRL {i} does not verify \
                 against any trust anchor ({}: {e})",
                bundle_path.map(file_name).unwrap_or_default(),
                e.cause()
            ))
            },
        )?;
        set.insert(crl);
    }
    Ok(())
}

/// The verified CRLs of the snapshot: the bundle's, then the files'. `None` when neither
/// the bundle nor the files hold a CRL (the reports then say `not_checked`).
pub fn crl_set(
    file_anchors: &TrustAnchors,
    bundle: Option<&LoadedBundle>,
    bundle_path: Option<&Path>,
    files: &[PathBuf],
) -> Result<Option<CrlSet>, ServerError> {
    if files.len() > MAX_CRL_FILES {
        return Err(ServerError::Invalid(format!(
            "more than {MAX_CRL_FILES} CRL files"
        )));
    }
    let mut set = CrlSet::new();
    if let Some(b) = bundle {
        add_bundle_crls(&mut set, file_anchors, b, bundle_path)?;
    }
    let issuers = issuers(file_anchors, bundle);
    for path in files {
        let refused = |why: String| {
            ServerError::Invalid(format!("CRL file {} refused: {why}", file_name(path)))
        };
        let len = std::fs::metadata(path)
            .map_err(|source| ServerError::Read {
                path: path.clone(),
                source,
            })?
            .len();
        if usize::try_from(len).map_or(true, |l| l > MAX_CRL_LEN.saturating_mul(2)) {
            return Err(refused("larger than the CRL size limit".into()));
        }
        let bytes = std::fs::read(path).map_err(|source| ServerError::Read {
            path: path.clone(),
            source,
        })?;
        let crl = verify_crl(
            default_provider(),
            &bytes,
            issuers.iter().map(Vec::as_slice),
        )
        .map_err(|e| refused(format!("{}: {e}", e.cause())))?;
        set.insert(crl);
    }
    Ok((!set.is_empty()).then_some(set))
}

/// The stamps of the CRL files, for change detection.
pub(crate) fn files_stamp(files: &[PathBuf]) -> Vec<(PathBuf, FileStamp)> {
    files.iter().map(|p| (p.clone(), stamp(p))).collect()
}

/// The earliest nextUpdate among `set`'s CRLs: when the till's revocation data goes stale.
pub fn earliest_next_update(set: &CrlSet) -> Option<time::OffsetDateTime> {
    set.iter().filter_map(|c| c.crl().next_update()).min()
}
