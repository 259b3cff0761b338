//! `kakunin status build|check|show|fetch`: the IETF Token Status List
//! (draft-ietf-oauth-status-list-20) on the command line. The work is in `kakunin_core::status`
//! and, for `fetch`, `kakunin_status_fetch`; this file parses, reads files, prints
//! (peer-chosen text escaped) and picks the exit code.

use crate::error::{write_file, CliError};
use crate::escape::{escape, quote};
use crate::input::{hex_or_raw, parse_time, read_anchors, read_file};
use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::status::{
    build_cwt, build_jwt, verify_status_list, Bits, CheckContext, FreshnessPolicy, KeyReference,
    SignerIdentity, SignerTrust, StatusCheck, StatusList, StatusListClaims, StatusListToken,
    StatusValue, TokenFormat,
};
use kakunin_issuer::pki::load_pair;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::format_description::well_known::Rfc3339;

/// How many non-VALID entries `status show` lists before summarising.
const SHOW_ENTRIES: usize = 32;

/// `kakunin status build`'s arguments.
pub(crate) struct BuildArgs<'a> {
    /// PKI directory made by `pki init`.
    pub(crate) pki: &'a Path,
    /// Which key and certificate of the PKI signs (`ds-1`, `jws-1`).
    pub(crate) signer: &'a str,
    /// The list's URI (`sub`).
    pub(crate) uri: &'a str,
    /// Bits per entry.
    pub(crate) bits: u8,
    /// Number of entries.
    pub(crate) size: u64,
    /// `INDEX=VALUE` settings.
    pub(crate) set: &'a [String],
    /// `jwt` or `cwt`.
    pub(crate) format: &'a str,
    /// `ttl` in seconds, if any.
    pub(crate) ttl: Option<u64>,
    /// Seconds from `iat` to `exp`; 0 for no `exp`.
    pub(crate) valid_for: u64,
    /// `iat` (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Where to write the token.
    pub(crate) out: &'a Path,
}

fn parse_format(s: &str) -> Result<TokenFormat, CliError> {
    match s.to_ascii_lowercase().as_str() {
        "jwt" => Ok(TokenFormat::Jwt),
        "cwt" => Ok(TokenFormat::Cwt),
        _ => Err(CliError::Usage(format!(
            "--format {} is not jwt or cwt",
            quote(s)
        ))),
    }
}

/// A status value: `VALID`, `INVALID`, `SUSPENDED` (any case) or a number (decimal or `0x`).
fn parse_value(s: &str) -> Option<u8> {
    match s.to_ascii_uppercase().as_str() {
        "VALID" => Some(0),
        "INVALID" => Some(1),
        "SUSPENDED" => Some(2),
        other => match other.strip_prefix("0X") {
            Some(hex) => u8::from_str_radix(hex, 16).ok(),
            None => other.parse().ok(),
        },
    }
}

fn parse_setting(s: &str, size: u64) -> Result<(u64, u8), CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--set {}: expected INDEX=VALUE (VALUE: VALID, INVALID, SUSPENDED or 0-255)",
            quote(s)
        ))
    };
    let (i, v) = s.split_once('=').ok_or_else(bad)?;
    let index: u64 = i.trim().parse().map_err(|_| bad())?;
    let value = parse_value(v.trim()).ok_or_else(bad)?;
    if index >= size {
        return Err(CliError::Usage(format!(
            "--set {}: index {index} is beyond --size {size}",
            quote(s)
        )));
    }
    Ok((index, value))
}

/// Build and sign a list with a key of the test PKI.
pub(crate) fn build(a: &BuildArgs<'_>) -> Result<ExitCode, CliError> {
    let bits = Bits::from_wire(i128::from(a.bits))
        .map_err(|_| CliError::Usage(format!("--bits {} is not 1, 2, 4 or 8", a.bits)))?;
    let format = parse_format(a.format)?;
    if a.ttl == Some(0) {
        return Err(CliError::Usage("--ttl must be positive".into()));
    }
    let mut list = StatusList::new(bits, a.size).map_err(|e| CliError::Usage(e.to_string()))?;
    for s in a.set {
        let (index, value) = parse_setting(s, a.size)?;
        list.set(index, value)
            .map_err(|e| CliError::Usage(format!("--set {}: {e}", quote(s))))?;
    }
    let iat = parse_time(a.at)?;
    let mut claims = StatusListClaims::new(a.uri, iat);
    claims.ttl = a.ttl;
    if a.valid_for > 0 {
        let secs = i64::try_from(a.valid_for)
            .map_err(|_| CliError::Usage("--valid-for is too large".into()))?;
        claims.exp = iat.checked_add(time::Duration::seconds(secs));
        if claims.exp.is_none() {
            return Err(CliError::Usage("--valid-for is too large".into()));
        }
    }
    let pair = load_pair(a.pki, a.signer)?;
    let crypto = default_provider();
    let signer = ProviderSigner::new(crypto, &pair.key).map_err(CliError::session_in("signer"))?;
    let key = KeyReference {
        kid: None,
        x5chain: vec![pair.cert_der.clone()],
    };
    let token = match format {
        TokenFormat::Jwt => build_jwt(&signer, &list, &claims, &key).map(String::into_bytes),
        TokenFormat::Cwt => build_cwt(&signer, &list, &claims, &key),
    }
    .map_err(CliError::session_in("signing the status list"))?;
    write_file(a.out, &token)?;
    println!(
        "built a {}-bit {} status list of {} entries ({} set) for {}, signed by {}, into {}",
        bits.get(),
        format.media_type(),
        a.size,
        list.non_valid().count(),
        quote(a.uri),
        a.signer,
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Read and parse a Status List Token file (JWT text, CWT binary or CWT hex); a file that is
/// not one is an input error (exit 2).
fn read_token(path: &Path) -> Result<StatusListToken, CliError> {
    let bytes = read_file(path)?;
    match StatusListToken::parse(&bytes) {
        Ok(t) => Ok(t),
        Err(first) => StatusListToken::parse(&hex_or_raw(bytes)).map_err(|_| CliError::BadInput {
            path: path.into(),
            reason: format!("not a Status List Token: {first}"),
        }),
    }
}

fn time_text(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// `kakunin status check`'s arguments.
pub(crate) struct CheckArgs<'a> {
    /// The token file.
    pub(crate) list: &'a Path,
    /// The credential's index.
    pub(crate) index: u64,
    /// The credential's IACA certificates.
    pub(crate) trust_anchors: &'a [PathBuf],
    /// The credential's `status.status_list.uri`; `None` skips the `sub` match (noted).
    pub(crate) uri: Option<&'a str>,
    /// Check time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// When the list was fetched (RFC 3339); `None`: its `iat`.
    pub(crate) fetched_at: Option<&'a str>,
    /// Seconds of grace after `exp`/`ttl`.
    pub(crate) grace: u64,
}

/// Check one index: exit 0 for VALID, 1 for any other status or undetermined, 2 for input errors.
pub(crate) fn check(a: &CheckArgs<'_>) -> Result<ExitCode, CliError> {
    let token = read_token(a.list)?;
    let anchors = read_anchors(a.trust_anchors)?;
    let now = parse_time(a.at)?;
    let fetched_at = a.fetched_at.map(|t| parse_time(Some(t))).transpose()?;
    let grace = i64::try_from(a.grace)
        .map(time::Duration::seconds)
        .map_err(|_| CliError::Usage("--grace is too large".into()))?;
    let ctx = CheckContext {
        trust: SignerTrust::Iaca(&anchors),
        policy: FreshnessPolicy {
            grace,
            ..FreshnessPolicy::default()
        },
        now,
        fetched_at,
    };
    let sub = token.claims().sub.clone();
    let uri = match a.uri {
        Some(u) => u.to_string(),
        None => {
            println!(
                "note: no --uri given; the list's sub {} is not matched against a credential",
                quote(&sub)
            );
            sub
        }
    };
    let result = match verify_status_list(default_provider(), token, &uri, &ctx) {
        Ok(verified) => {
            if let SignerIdentity::Certificate(chain) = verified.signer() {
                println!(
                    "signer: {} under {}",
                    quote(chain.leaf_subject.common_name.as_deref().unwrap_or("?")),
                    quote(chain.issuer_subject.common_name.as_deref().unwrap_or("?"))
                );
            }
            verified.status(a.index)
        }
        Err(reason) => StatusCheck::Undetermined { reason },
    };
    println!("index {}: {}", a.index, escape(&result.to_string()));
    Ok(if result.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Decode a list and print it (the signature is not checked: that is `status check`).
pub(crate) fn show(path: &Path) -> Result<ExitCode, CliError> {
    let token = read_token(path)?;
    let c = token.claims();
    let list = token.list();
    println!("format:      {}", token.format().media_type());
    let alg = match token.algorithm() {
        kakunin_core::cose::SignatureAlg::Es256 => "ES256",
        kakunin_core::cose::SignatureAlg::Es384 => "ES384",
        kakunin_core::cose::SignatureAlg::Es512 => "ES512",
    };
    println!("alg:         {alg}");
    if let Some(kid) = token.kid() {
        println!("kid:         {}", quote(&String::from_utf8_lossy(kid)));
    }
    println!("x5chain:     {} certificate(s)", token.x5chain().len());
    println!("sub:         {}", quote(&c.sub));
    if let Some(iss) = &c.iss {
        println!("iss:         {}", quote(iss));
    }
    println!("iat:         {}", time_text(c.iat));
    if let Some(exp) = c.exp {
        println!("exp:         {}", time_text(exp));
    }
    if let Some(ttl) = c.ttl {
        println!("ttl:         {ttl} s");
    }
    if let Some(agg) = list.aggregation_uri() {
        println!("aggregation: {}", quote(agg));
    }
    println!("bits:        {}", list.bits().get());
    println!("entries:     {}", list.len());
    let mut counts = [0u64; 256];
    for (_, v) in list.non_valid() {
        if let Some(n) = counts.get_mut(usize::from(v)) {
            *n += 1;
        }
    }
    let non_valid: u64 = counts.iter().sum();
    println!("VALID:       {}", list.len().saturating_sub(non_valid));
    for (v, n) in (0u8..=255).zip(counts).filter(|(_, n)| *n > 0) {
        println!("{:<12} {n}", format!("{}:", StatusValue::from(v)));
    }
    for (i, v) in list.non_valid().take(SHOW_ENTRIES) {
        println!("  [{i}] {}", StatusValue::from(v));
    }
    let shown = u64::try_from(SHOW_ENTRIES).unwrap_or(u64::MAX);
    if non_valid > shown {
        println!("  ... {} more", non_valid - shown);
    }
    println!("signature:   not checked here (kakunin status check)");
    Ok(ExitCode::SUCCESS)
}

/// `kakunin status fetch`'s arguments.
pub(crate) struct FetchArgs<'a> {
    /// The list's URI.
    pub(crate) uri: &'a str,
    /// The cache directory.
    pub(crate) cache: &'a Path,
    /// `jwt`, `cwt` or `any`.
    pub(crate) accept: &'a str,
    /// Seconds for the whole exchange.
    pub(crate) timeout: u64,
    /// Largest list accepted, if not the default.
    pub(crate) max_size: Option<usize>,
    /// CA certificates (PEM or DER) https servers must chain to; empty: the platform's store.
    pub(crate) ca: &'a [PathBuf],
    /// With `ca`: the platform's store as well.
    pub(crate) platform_roots: bool,
    /// Refuse plain http.
    pub(crate) https_only: bool,
}

/// The TLS roots of `status fetch`: the `--ca` files (PEM blocks, or one DER certificate),
/// plus the platform's store when no `--ca` is given or `--platform-roots` asks for it.
fn fetch_roots(
    ca: &[PathBuf],
    platform_roots: bool,
) -> Result<kakunin_status_fetch::TlsRoots, CliError> {
    use kakunin_status_fetch::TlsRoots;
    let mut roots = TlsRoots::none().with_platform(ca.is_empty() || platform_roots);
    for path in ca {
        let bytes = read_file(path)?;
        let name = path.display().to_string();
        let bad = |e: kakunin_status_fetch::RootsError| CliError::BadInput {
            path: path.clone(),
            reason: format!("not a CA certificate: {e}"),
        };
        roots = if bytes.first() == Some(&0x30) {
            roots.with_ca_der(&bytes, &name).map_err(bad)?
        } else {
            roots.with_ca_pem(&bytes, &name).map_err(bad)?
        };
    }
    Ok(roots)
}

/// The status-list cache in `dir` (`--status-cache`, `status fetch --cache`).
pub(crate) fn open_cache(dir: &Path) -> Result<kakunin_status_fetch::StatusCache, CliError> {
    kakunin_status_fetch::StatusCache::open(dir).map_err(CliError::session_in("status cache"))
}

/// Fetch a list into the cache; the time of the fetch is the clock's.
pub(crate) fn fetch(a: &FetchArgs<'_>) -> Result<ExitCode, CliError> {
    use kakunin_status_fetch::{Accept, FetchOutcome, Fetcher};
    let accept = match a.accept.to_ascii_lowercase().as_str() {
        "jwt" => Accept::Jwt,
        "cwt" => Accept::Cwt,
        "any" => Accept::Any,
        _ => {
            return Err(CliError::Usage(format!(
                "--accept {} is not jwt, cwt or any",
                quote(a.accept)
            )))
        }
    };
    if a.timeout == 0 {
        return Err(CliError::Usage(
            "--timeout must be at least 1 second".into(),
        ));
    }
    let lower = a.uri.to_ascii_lowercase();
    let https = lower.starts_with("https://");
    if !https && !lower.starts_with("http://") {
        return Err(CliError::Usage(format!(
            "--uri {}: not an http:// or https:// URI",
            quote(a.uri)
        )));
    }
    if !https && a.https_only {
        return Err(CliError::Usage(format!(
            "--uri {}: plain http refused by --https-only",
            quote(a.uri)
        )));
    }
    if a.platform_roots && a.ca.is_empty() {
        return Err(CliError::Usage(
            "--platform-roots adds the platform's store to --ca; without --ca it is already used"
                .into(),
        ));
    }
    let roots = fetch_roots(a.ca, a.platform_roots)?;
    let mut cache = open_cache(a.cache)?;
    if let Some(max) = a.max_size {
        cache = cache.with_max_len(max);
    }
    let fetcher = Fetcher::new()
        .with_accept(accept)
        .with_timeout(std::time::Duration::from_secs(a.timeout))
        .with_roots(roots)
        .with_https_only(a.https_only);
    let outcome = fetcher
        .fetch(a.uri, &cache, time::OffsetDateTime::now_utc())
        .map_err(|e| match e {
            // No root to check the server against is the invocation's fault (exit 2).
            kakunin_status_fetch::FetchError::NoRoots(_) => CliError::Usage(format!(
                "--uri {}: no TLS root certificate is trusted (the platform's store is empty \
                 or unreadable); give --ca FILE",
                quote(a.uri)
            )),
            other => CliError::session("status fetch", other),
        })?;
    match outcome {
        FetchOutcome::NotModified => {
            println!("{}: not modified; the cached copy is current", quote(a.uri))
        }
        FetchOutcome::Updated { len } => println!(
            "{}: {len} bytes cached in {}",
            quote(a.uri),
            cache.path_for(a.uri).display()
        ),
        _ => println!("{}: cached", quote(a.uri)),
    }
    Ok(ExitCode::SUCCESS)
}
