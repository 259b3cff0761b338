//! The command target: the verifier under test as a shell command template. Per case the
//! runner writes the inputs into a fresh temporary directory, fills the placeholders
//! (`{response}` `{transcript}` `{trust}` `{reader_key}` `{presentation}`: file paths;
//! `{at}` `{aud}` `{nonce}`: values; each shell-quoted, empty when it does not apply to the
//! case), runs it with `sh -c` in its own process group, and kills the group at the case's
//! deadline. Exit 0 = accepted, 1 = rejected, anything else (another code, a signal, the
//! deadline) = broken or timed out, with the reason. Output is kept up to
//! [`super::OUTPUT_CAP`] bytes per stream.

use super::{bounded_text, Answer, Target, OUTPUT_CAP};
use crate::case::Observed;
use crate::verifier_suite::{CaseInput, VerifierCase};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "response",
    "transcript",
    "trust",
    "reader_key",
    "at",
    "presentation",
    "aud",
    "nonce",
];

/// How long to wait for a target's output streams to close after it exited (a straggler that
/// left the process group could hold them open forever).
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// A verifier reached as a command.
#[derive(Debug, Clone)]
pub struct CmdTarget {
    /// The template for every case (mdoc and SD-JWT VC).
    pub template: String,
    /// A template for the SD-JWT VC cases only (`--sd-jwt-target-cmd`); `template` is used
    /// when `None`.
    pub sd_jwt_template: Option<String>,
}

/// `s` as one shell word (POSIX single quotes; a `'` inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Fill `{name}` placeholders of `template` from `value` (each result shell-quoted); unknown
/// `{...}` text is left as it is.
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, from_open) = rest.split_at(open);
        out.push_str(before);
        let name_end = from_open.find('}');
        let replaced = name_end.and_then(|end| {
            let name = from_open.get(1..end)?;
            PLACEHOLDERS
                .contains(&name)
                .then(|| (shell_quote(&value(name).unwrap_or_default()), end))
        });
        match replaced {
            Some((v, end)) => {
                out.push_str(&v);
                rest = from_open.get(end + 1..).unwrap_or_default();
            }
            None => {
                out.push('{');
                rest = from_open.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

fn write_file(dir: &Path, name: &str, bytes: &[u8], private: bool) -> Result<String, String> {
    use std::io::Write;
    let path = dir.join(name);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// The placeholder values of one case, its input files written into `dir`.
fn values(case: &VerifierCase, dir: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let mut v = vec![
        (
            "trust",
            write_file(dir, "trust.pem", case.trust_pem().as_bytes(), false)?,
        ),
        ("at", case.at_rfc3339()),
    ];
    match &case.input {
        CaseInput::Mdoc {
            response,
            transcript,
            reader_key,
        } => {
            v.push((
                "response",
                write_file(dir, "response.cbor", response, false)?,
            ));
            v.push((
                "transcript",
                write_file(dir, "transcript.cbor", transcript, false)?,
            ));
            if let Some(k) = reader_key {
                let pem = kakunin_core::crypto::export_private_key_pem(k)
                    .map_err(|e| format!("reader key: {e}"))?;
                v.push((
                    "reader_key",
                    write_file(dir, "reader_key.pem", pem.as_bytes(), true)?,
                ));
            }
        }
        CaseInput::SdJwt {
            presentation,
            aud,
            nonce,
        } => {
            v.push((
                "presentation",
                write_file(dir, "presentation.txt", presentation.as_bytes(), false)?,
            ));
            v.push(("aud", aud.clone()));
            v.push(("nonce", nonce.clone()));
        }
    }
    Ok(v)
}

/// Read a stream to its end, keeping at most `OUTPUT_CAP` bytes; returns them and the total.
fn drain(mut r: impl Read + Send + 'static) -> mpsc::Receiver<(Vec<u8>, usize)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0usize;
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total = total.saturating_add(n);
                    let room = OUTPUT_CAP.saturating_sub(kept.len());
                    kept.extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
                }
            }
        }
        let _ = tx.send((kept, total));
    });
    rx
}

/// Kill every process of group `pgid` (the target's shell and whatever it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The last non-empty line of the target's output, as its reason (bounded).
fn last_line(out: &[u8], err: &[u8]) -> Option<String> {
    [out, err].iter().find_map(|b| {
        String::from_utf8_lossy(b)
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| l.chars().take(200).collect())
    })
}

/// Run `cmdline` with `sh -c` in `dir` within `deadline`.
pub fn run_command(cmdline: &str, dir: &Path, deadline: Duration) -> Answer {
    let spawned = Command::new("sh")
        .arg("-c")
        .arg(cmdline)
        .current_dir(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Answer {
                observed: Observed::Broken {
                    detail: format!("cannot start sh: {e}"),
                },
                received: String::new(),
            }
        }
    };
    let pgid = child.id();
    let out_rx = child.stdout.take().map(drain);
    let err_rx = child.stderr.take().map(drain);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Ok(s),
            Ok(None) if start.elapsed() >= deadline => {
                kill_group(pgid);
                let _ = child.kill();
                let _ = child.wait();
                break Err(None);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                kill_group(pgid);
                let _ = child.kill();
                let _ = child.wait();
                break Err(Some(e.to_string()));
            }
        }
    };
    // Whatever the shell left running in its group goes too.
    kill_group(pgid);
    let collect = |rx: Option<mpsc::Receiver<(Vec<u8>, usize)>>| {
        rx.and_then(|r| r.recv_timeout(DRAIN_GRACE).ok())
            .unwrap_or_default()
    };
    let (out, out_total) = collect(out_rx);
    let (err, err_total) = collect(err_rx);
    let shown = |b: &[u8], total: usize| {
        let mut s = bounded_text(b);
        if total > b.len() {
            s.push_str(&format!("\n[… {} more bytes cut]", total - b.len()));
        }
        s
    };
    let (observed, exit_text) = match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(0), _) => (Observed::Accepted, "exit 0".to_string()),
            (Some(1), _) => (
                Observed::Rejected {
                    reason: last_line(&out, &err),
                },
                "exit 1".to_string(),
            ),
            (Some(c), _) => (
                Observed::Broken {
                    detail: format!("exit code {c} (only 0 accept and 1 reject are answers)"),
                },
                format!("exit {c}"),
            ),
            (None, Some(sig)) => (
                Observed::Broken {
                    detail: format!("killed by signal {sig}"),
                },
                format!("signal {sig}"),
            ),
            (None, None) => (
                Observed::Broken {
                    detail: "ended without an exit code".into(),
                },
                "no exit code".into(),
            ),
        },
        Err(None) => (
            Observed::Timeout { after: deadline },
            format!("killed after {} s", deadline.as_secs_f64()),
        ),
        Err(Some(e)) => (
            Observed::Broken {
                detail: format!("waiting for the command: {e}"),
            },
            "wait failed".into(),
        ),
    };
    Answer {
        observed,
        received: format!(
            "{exit_text}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            shown(&out, out_total),
            shown(&err, err_total)
        ),
    }
}

impl Target for CmdTarget {
    fn describe(&self) -> String {
        match &self.sd_jwt_template {
            Some(s) => format!("command: {} (SD-JWT VC: {s})", self.template),
            None => format!("command: {}", self.template),
        }
    }

    fn run(&self, case: &VerifierCase, deadline: Duration) -> Answer {
        let template = match (&case.input, &self.sd_jwt_template) {
            (CaseInput::SdJwt { .. }, Some(t)) => t,
            _ => &self.template,
        };
        let dir = match tempfile::Builder::new().prefix("kakunin-case-").tempdir() {
            Ok(d) => d,
            Err(e) => {
                return Answer {
                    observed: Observed::Broken {
                        detail: format!("cannot create the case directory: {e}"),
                    },
                    received: String::new(),
                }
            }
        };
        let vals = match values(case, dir.path()) {
            Ok(v) => v,
            Err(e) => {
                return Answer {
                    observed: Observed::Broken { detail: e },
                    received: String::new(),
                }
            }
        };
        let cmdline = fill(template, |name| {
            vals.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        });
        let mut a = run_command(&cmdline, dir.path(), deadline);
        a.received = format!("$ {cmdline}\n{}", a.received);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_filling() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        let t = "v {response} --n {nonce} {unknown} {at";
        let s = fill(t, |n| match n {
            "response" => Some("/tmp/x y".into()),
            "nonce" => Some("it's".into()),
            _ => None,
        });
        assert_eq!(s, r"v '/tmp/x y' --n 'it'\''s' {unknown} {at");
        // A placeholder that does not apply is the empty word.
        assert_eq!(fill("x {reader_key}", |_| None), "x ''");
    }

    #[test]
    fn exit_codes_map_to_outcomes() {
        let d = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(5);
        assert_eq!(
            run_command("exit 0", d.path(), t).observed,
            Observed::Accepted
        );
        assert_eq!(
            run_command("echo why; exit 1", d.path(), t).observed,
            Observed::Rejected {
                reason: Some("why".into())
            }
        );
        assert!(matches!(
            run_command("exit 7", d.path(), t).observed,
            Observed::Broken { detail } if detail.contains("exit code 7")
        ));
        assert!(matches!(
            run_command("kill -SEGV $$", d.path(), t).observed,
            Observed::Broken { detail } if detail.contains("signal 11")
        ));
    }

    #[test]
    fn a_hanging_command_is_killed_at_the_deadline() {
        let d = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let a = run_command(
            "sleep 100 & sleep 100",
            d.path(),
            Duration::from_millis(300),
        );
        assert!(matches!(a.observed, Observed::Timeout { .. }));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn output_is_capped() {
        let d = tempfile::tempdir().unwrap();
        let a = run_command(
            "head -c 1000000 /dev/zero | tr '\\0' x; exit 1",
            d.path(),
            Duration::from_secs(10),
        );
        assert!(matches!(a.observed, Observed::Rejected { .. }));
        assert!(a.received.len() < 2 * OUTPUT_CAP, "{}", a.received.len());
        assert!(a.received.contains("more bytes cut"));
    }
}
