//! `kakunin till serve` and `kakunin till audit`: parse the flags, apply them over the
//! configuration file, and call kakunin-verifier-server (docs/till.md).

use crate::error::CliError;
use crate::input::parse_time;
use kakunin_verifier_server::Config;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The flags of `kakunin till serve`.
pub(crate) struct ServeArgs<'a> {
    pub(crate) config: Option<&'a Path>,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) data: Option<&'a Path>,
    pub(crate) demo: bool,
    pub(crate) trust_anchors: &'a [PathBuf],
    pub(crate) reader_cert: Option<&'a Path>,
    pub(crate) reader_key: Option<&'a Path>,
    pub(crate) db: Option<&'a str>,
    pub(crate) trust_bundle: Option<&'a Path>,
    pub(crate) bundle_signer: Option<&'a Path>,
    /// `--crl`: added to the configuration's `trust.crls` (a CRL only takes trust away, so
    /// the file's and the flags' are both kept).
    pub(crate) crls: &'a [PathBuf],
    pub(crate) vicals: &'a [PathBuf],
    pub(crate) vical_authorities: &'a [PathBuf],
}

/// A server failure: exit 2 for the configuration and the files it names, 3 for what
/// failed while running (CliError::exit_code).
fn server_error(e: kakunin_verifier_server::ServerError) -> CliError {
    CliError::Till(e)
}

/// The configuration file (if any) with the flags applied over it.
pub(crate) fn resolve(a: &ServeArgs<'_>) -> Result<Config, CliError> {
    let mut c = match a.config {
        Some(path) => Config::from_file(path, a.data).map_err(server_error)?,
        None => Config::new(
            a.data
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("kakunin-till-data")),
        ),
    };
    if let Some(l) = a.listen {
        c.listen = l;
    }
    if !a.trust_anchors.is_empty() {
        // Flags replace the file's anchors (scripts and tests name exactly what they trust).
        c.trust_anchors = a.trust_anchors.to_vec();
        c.trust_dir = None;
    }
    if let Some(p) = a.reader_cert {
        c.reader_cert = Some(p.to_path_buf());
    }
    if let Some(p) = a.reader_key {
        c.reader_key = Some(p.to_path_buf());
    }
    if let Some(url) = a.db {
        c.audit_database = Some(url.to_string());
    }
    if let (Some(b), Some(anchor)) = (a.trust_bundle, a.bundle_signer) {
        c.trust_bundle = Some(b.to_path_buf());
        c.bundle_signer = Some(anchor.to_path_buf());
    }
    for crl in a.crls {
        if !c.crl_files.contains(crl) {
            c.crl_files.push(crl.clone());
        }
    }
    if !a.vicals.is_empty() {
        c.vicals = a.vicals.to_vec();
    }
    if !a.vical_authorities.is_empty() {
        c.vical_authorities = a.vical_authorities.to_vec();
    }
    c.demo |= a.demo;
    Ok(c)
}

/// `kakunin till serve`.
pub(crate) fn serve(a: &ServeArgs<'_>) -> Result<ExitCode, CliError> {
    let config = resolve(a)?;
    kakunin_verifier_server::run(config).map_err(server_error)?;
    Ok(ExitCode::SUCCESS)
}

/// `kakunin till audit`: print the audit log (from `--since`) as CSV or JSON.
pub(crate) fn audit(
    data: &Path,
    db: Option<&str>,
    since: Option<&str>,
    format: &str,
) -> Result<ExitCode, CliError> {
    let since = since.map(|s| parse_time(Some(s))).transpose()?;
    let mut c = Config::new(data);
    c.audit_database = db.map(str::to_string);
    if c.audit_database.is_none() && !data.join("audit.db").exists() {
        return Err(CliError::Usage(format!(
            "{}: no audit database (audit.db) here",
            data.display()
        )));
    }
    let rows =
        kakunin_verifier_server::export_blocking(&c.audit_url(), since).map_err(server_error)?;
    let text = match format {
        "csv" => kakunin_verifier_server::audit::to_csv(&rows),
        "json" => {
            let mut t =
                serde_json::to_string_pretty(&kakunin_verifier_server::audit::to_json(&rows))
                    .unwrap_or_default();
            t.push('\n');
            t
        }
        other => {
            return Err(CliError::Usage(format!(
                "--format {other}: expected csv or json"
            )))
        }
    };
    // A closed pipe (`| head`) ends the export quietly.
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_flags_are_added_to_the_config_files() {
        let dir = std::env::temp_dir().join(format!("kakunin-till-crl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("till.toml");
        std::fs::write(&config, "[trust]\ncrls = [\"from-file.crl\"]\n").unwrap();
        let crls = [PathBuf::from("/x/flag.crl")];
        let args = ServeArgs {
            config: Some(&config),
            listen: None,
            data: Some(&dir),
            demo: false,
            trust_anchors: &[],
            reader_cert: None,
            reader_key: None,
            db: None,
            trust_bundle: None,
            bundle_signer: None,
            crls: &crls,
            vicals: &[],
            vical_authorities: &[],
        };
        let c = resolve(&args).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(c.crl_files.len(), 2, "{:?}", c.crl_files);
        assert!(c.crl_files.first().unwrap().ends_with("from-file.crl"));
        assert_eq!(c.crl_files.get(1), Some(&PathBuf::from("/x/flag.crl")));
    }

    use crate::{Cli, Command, TillCommand};
    use clap::Parser;

    /// `--vical FILE...` and `--vical-authority FILE...` parse, repeat, and replace the
    /// configuration file's `trust.vicals` / `trust.vical_authorities`.
    #[test]
    fn vical_flags_parse_and_replace_the_files_lists() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("till.toml");
        std::fs::write(
            &toml,
            "[trust]\nvicals = [\"file.vical\"]\nvical_authorities = [\"file-root.pem\"]\n",
        )
        .unwrap();
        let toml_s = toml.to_str().unwrap();
        let cli = Cli::try_parse_from([
            "kakunin",
            "till",
            "serve",
            "--config",
            toml_s,
            "--vical",
            "a.vical",
            "b.vical",
            "--vical-authority",
            "root.pem",
        ])
        .unwrap();
        let Command::Till {
            command:
                TillCommand::Serve {
                    vicals,
                    vical_authorities,
                    config,
                    ..
                },
        } = cli.command
        else {
            panic!("not till serve");
        };
        assert_eq!(vicals, [PathBuf::from("a.vical"), PathBuf::from("b.vical")]);
        assert_eq!(vical_authorities, [PathBuf::from("root.pem")]);
        fn args<'a>(
            config: Option<&'a Path>,
            vicals: &'a [PathBuf],
            vical_authorities: &'a [PathBuf],
        ) -> ServeArgs<'a> {
            ServeArgs {
                config,
                listen: None,
                data: None,
                demo: false,
                trust_anchors: &[],
                reader_cert: None,
                reader_key: None,
                db: None,
                trust_bundle: None,
                bundle_signer: None,
                crls: &[],
                vicals,
                vical_authorities,
            }
        }
        let config = config.as_deref();
        let c = resolve(&args(config, &vicals, &vical_authorities)).unwrap();
        assert_eq!(c.vicals, vicals);
        assert_eq!(c.vical_authorities, vical_authorities);
        // Without the flags the file's lists stand, relative to the file.
        let c = resolve(&args(config, &[], &[])).unwrap();
        assert_eq!(c.vicals, [dir.path().join("file.vical")]);
        assert_eq!(c.vical_authorities, [dir.path().join("file-root.pem")]);
        // A VICAL without any authority is refused by the configuration check.
        let c = resolve(&args(None, &vicals, &[])).unwrap();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("vical_authorities"));
        // --vical takes at least one file.
        assert!(Cli::try_parse_from(["kakunin", "till", "serve", "--vical"]).is_err());
    }
}
