//! `kakunin issuer serve|devices|revoke`: the JPKI-proofed issuer service
//! (kakunin_issuer_server) and its administration client. The administration token comes
//! from `--admin-token-file FILE` or `KAKUNIN_ISSUER_ADMIN_TOKEN`, never from a flag value.

use crate::error::CliError;
use crate::escape::quote;
use clap::Subcommand;
use kakunin_issuer_server::client::{request, Answer};
use kakunin_issuer_server::{IssuerConfig, ADMIN_TOKEN_ENV};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// `kakunin issuer ...`.
#[derive(Subcommand)]
pub(crate) enum IssuerCommand {
    /// Serve JPKI-proofed enrolment, the status lists and the administration API (docs/profiles/jpki-enrolment.md).
    Serve {
        /// The issuer PKI directory (`kakunin pki init`): ds-1 signs mdocs and the status lists, jws-1 SD-JWT VCs.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// The JPKI CA directory: jpki-sign-ca.pem, jpki-auth-ca.pem, and their CRLs jpki-sign.crl, jpki-auth.crl.
        #[arg(long, value_name = "DIR")]
        jpki_ca: PathBuf,
        /// Registry database URL (sqlite://FILE or postgres://...); default: sqlite in the data directory.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// Data directory: registry secret, admin token (both generated 0600 on first start), SQLite registry.
        #[arg(long, value_name = "DIR", default_value = "issuer-data")]
        data: PathBuf,
        /// The issuer's public base URL (its identifier in the challenge, `iss`, status-list URIs); default http://ADDR.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// List a person's devices and their credentials (administration API).
    Devices {
        /// The issuer's base URL (http:// or https://).
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// The person's pairwise identifier.
        #[arg(long, value_name = "ID")]
        person: String,
        /// File holding the administration token (else KAKUNIN_ISSUER_ADMIN_TOKEN).
        #[arg(long, value_name = "FILE")]
        admin_token_file: Option<PathBuf>,
        /// Print the issuer's JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one device's credentials: their status bits flip and the lists are re-signed.
    Revoke {
        /// The issuer's base URL (http:// or https://).
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// The device identifier.
        #[arg(long, value_name = "ID")]
        device: String,
        /// File holding the administration token (else KAKUNIN_ISSUER_ADMIN_TOKEN).
        #[arg(long, value_name = "FILE")]
        admin_token_file: Option<PathBuf>,
    },
}

/// Run one `kakunin issuer` command.
pub(crate) fn run(command: IssuerCommand) -> Result<ExitCode, CliError> {
    match command {
        IssuerCommand::Serve {
            pki,
            jpki_ca,
            db,
            listen,
            data,
            public_url,
        } => serve(&pki, &jpki_ca, db, listen, &data, public_url),
        IssuerCommand::Devices {
            issuer,
            person,
            admin_token_file,
            json,
        } => devices(&issuer, &person, admin_token_file.as_deref(), json),
        IssuerCommand::Revoke {
            issuer,
            device,
            admin_token_file,
        } => revoke(&issuer, &device, admin_token_file.as_deref()),
    }
}

/// The configuration `issuer serve` would run with (checked, nothing started).
pub(crate) fn serve_config(
    pki: &Path,
    jpki_ca: &Path,
    db: Option<String>,
    listen: SocketAddr,
    data: &Path,
    public_url: Option<String>,
) -> Result<IssuerConfig, CliError> {
    let mut c = IssuerConfig::new(pki, jpki_ca, data);
    c.listen = listen;
    c.db_url = db;
    c.public_url = public_url.unwrap_or_else(|| format!("http://{listen}"));
    c.validate()
        .map_err(|e| CliError::Usage(format!("issuer serve: {e}")))?;
    for dir in [pki, jpki_ca] {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "issuer serve: {} is not a directory",
                dir.display()
            )));
        }
    }
    Ok(c)
}

fn serve(
    pki: &Path,
    jpki_ca: &Path,
    db: Option<String>,
    listen: SocketAddr,
    data: &Path,
    public_url: Option<String>,
) -> Result<ExitCode, CliError> {
    let config = serve_config(pki, jpki_ca, db, listen, data, public_url)?;
    let proofing = kakunin_issuer::proofing::JpkiProofing::from_dir(
        jpki_ca,
        kakunin_core::crypto::default_provider(),
    )
    .map_err(|e| CliError::Usage(format!("issuer serve: --jpki-ca: {e}")))?;
    kakunin_issuer_server::run(config, std::sync::Arc::new(proofing))
        .map_err(CliError::session_in("issuer serve"))?;
    Ok(ExitCode::SUCCESS)
}

/// The administration token: the file's first line, or the environment.
fn admin_token(file: Option<&Path>) -> Result<Zeroizing<String>, CliError> {
    match file {
        Some(path) => {
            let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| CliError::BadInput {
                path: path.into(),
                reason: e.to_string(),
            })?);
            kakunin_issuer_server::secrets::token_from_bytes(path, &bytes).map_err(|e| {
                CliError::BadInput {
                    path: path.into(),
                    reason: e.to_string(),
                }
            })
        }
        None => match std::env::var(ADMIN_TOKEN_ENV) {
            Ok(t) if !t.trim().is_empty() => Ok(Zeroizing::new(t.trim().to_string())),
            _ => Err(CliError::Usage(format!(
                "no administration token: give --admin-token-file FILE or set {ADMIN_TOKEN_ENV}"
            ))),
        },
    }
}

/// An identifier as the issuer makes them: hex (and `-`), at most 128 characters.
fn check_id(what: &str, id: &str) -> Result<(), CliError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(CliError::Usage(format!(
            "--{what} {} is not an issuer identifier (hex)",
            quote(id)
        )));
    }
    Ok(())
}

fn call(issuer: &str, method: &str, path: &str, token: &str) -> Result<Answer, CliError> {
    let a = request(issuer, method, path, token, None).map_err(|e| match e {
        kakunin_issuer_server::client::ClientError::BadUrl => {
            CliError::Usage(format!("--issuer {}: {e}", quote(issuer)))
        }
        other => CliError::session("issuer", other),
    })?;
    if a.status >= 400 {
        let code = a.body.get("error").and_then(|v| v.as_str()).unwrap_or("?");
        let detail = a.body.get("detail").and_then(|v| v.as_str()).unwrap_or("");
        return Err(CliError::session(
            "issuer",
            format!("{} {}: {}", a.status, quote(code), quote(detail)),
        ));
    }
    Ok(a)
}

fn devices(
    issuer: &str,
    person: &str,
    token_file: Option<&Path>,
    json: bool,
) -> Result<ExitCode, CliError> {
    check_id("person", person)?;
    let token = admin_token(token_file)?;
    let a = call(
        issuer,
        "GET",
        &format!("/admin/persons/{person}/devices"),
        &token,
    )?;
    if json {
        println!(
            "{}",
            crate::escape::escape_json(&serde_json::to_string_pretty(&a.body).unwrap_or_default())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let list = a
        .body
        .get("devices")
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    println!("person {person}: {} device(s)", list.len());
    for d in &list {
        let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let n = |k: &str| {
            d.get("credentials")
                .and_then(|c| c.get(k))
                .and_then(|v| v.as_i64())
                .unwrap_or(0)
        };
        let revoked = d
            .get("revoked_at")
            .and_then(|v| v.as_i64())
            .map(|t| format!(", revoked at {t}"))
            .unwrap_or_default();
        println!(
            "  device {} label {}: {} active, {} revoked, {} superseded credential(s){revoked}",
            quote(&s("device")),
            quote(&s("label")),
            n("active"),
            n("revoked"),
            n("superseded")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(issuer: &str, device: &str, token_file: Option<&Path>) -> Result<ExitCode, CliError> {
    check_id("device", device)?;
    let token = admin_token(token_file)?;
    let a = call(
        issuer,
        "POST",
        &format!("/admin/devices/{device}/revoke"),
        &token,
    )?;
    let n = a
        .body
        .get("revoked_credentials")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    println!("device {device}: {n} credential(s) revoked; status lists re-signed");
    Ok(ExitCode::SUCCESS)
}
