//! The HTTP target: the till API of docs/till-api.md (`POST {url}/api/v1/verify/mdoc`,
//! `POST {url}/api/v1/verify/sd-jwt`, optional bearer token). `verdict` OK = accepted, NG =
//! rejected (its `reason` kept); any other status, body or a transport failure is broken, the
//! deadline a timeout. Plain `http://` (a verifier under test on a local or test network).

use super::{bounded_text, Answer, Target, OUTPUT_CAP};
use crate::case::Observed;
use crate::verifier_suite::{CaseInput, VerifierCase};
use base64::Engine;
use std::time::Duration;
use zeroize::Zeroizing;

/// A verifier reached over the till API.
pub struct HttpTarget {
    base: String,
    token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for HttpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTarget")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCS#8 DER of a reader key, base64url (the API's `reader_key`).
fn reader_key_field(key: &kakunin_core::crypto::EcPrivateKey) -> Result<Zeroizing<String>, String> {
    let pem = kakunin_core::crypto::export_private_key_pem(key).map_err(|e| e.to_string())?;
    let body: Zeroizing<String> = Zeroizing::new(
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    );
    let der = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| e.to_string())?,
    );
    Ok(Zeroizing::new(b64url(&der)))
}

impl HttpTarget {
    /// The till at `base` (`http://127.0.0.1:8080`), with the bearer `token` if it needs one.
    pub fn new(base: &str, token: Option<Zeroizing<String>>) -> Self {
        HttpTarget {
            base: base.trim_end_matches('/').to_string(),
            token,
        }
    }

    fn body(case: &VerifierCase) -> Result<(&'static str, Zeroizing<String>), String> {
        let at = case.at_rfc3339();
        match &case.input {
            CaseInput::Mdoc {
                response,
                transcript,
                reader_key,
            } => {
                let mut v = serde_json::json!({
                    "device_response": b64url(response),
                    "session_transcript": b64url(transcript),
                    "at": at,
                });
                if let (Some(k), Some(obj)) = (reader_key, v.as_object_mut()) {
                    let field = reader_key_field(k)?;
                    obj.insert("reader_key".into(), serde_json::Value::from(field.as_str()));
                }
                Ok(("mdoc", Zeroizing::new(v.to_string())))
            }
            CaseInput::SdJwt {
                presentation,
                aud,
                nonce,
            } => Ok((
                "sd-jwt",
                Zeroizing::new(
                    serde_json::json!({
                        "presentation": presentation, "aud": aud, "nonce": nonce, "at": at,
                    })
                    .to_string(),
                ),
            )),
        }
    }
}

/// Read the verdict out of a 200 answer.
fn verdict(status: u16, body: &str) -> Observed {
    if status != 200 {
        return Observed::Broken {
            detail: format!("HTTP status {status}, not 200 with a verdict"),
        };
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return Observed::Broken {
            detail: "the answer is not JSON".into(),
        };
    };
    match v.get("verdict").and_then(serde_json::Value::as_str) {
        Some("OK") => Observed::Accepted,
        Some("NG") => Observed::Rejected {
            reason: v
                .get("reason")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        },
        _ => Observed::Broken {
            detail: "the answer has no verdict OK or NG".into(),
        },
    }
}

impl Target for HttpTarget {
    fn describe(&self) -> String {
        format!("till API: {}", self.base)
    }

    fn supports(&self, case: &VerifierCase) -> bool {
        // The till trusts what it was configured with: only cases under the suite IACA.
        case.suite_trust
    }

    fn run(&self, case: &VerifierCase, deadline: Duration) -> Answer {
        let (kind, body) = match Self::body(case) {
            Ok(b) => b,
            Err(e) => {
                return Answer {
                    observed: Observed::Broken { detail: e },
                    received: String::new(),
                }
            }
        };
        let url = format!("{}/api/v1/verify/{kind}", self.base);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(deadline))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut req = agent.post(&url).header("Content-Type", "application/json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {}", t.as_str()));
        }
        let sent = req.send(body.as_bytes());
        let mut resp = match sent {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                return Answer {
                    observed: Observed::Timeout { after: deadline },
                    received: format!("POST {url}: no answer in time"),
                }
            }
            Err(e) => {
                return Answer {
                    observed: Observed::Broken {
                        detail: format!("POST {url}: {e}"),
                    },
                    received: String::new(),
                }
            }
        };
        let status = resp.status().as_u16();
        let cap = u64::try_from(OUTPUT_CAP).unwrap_or(u64::MAX);
        let text = match resp.body_mut().with_config().limit(cap).read_to_vec() {
            Ok(b) => bounded_text(&b),
            Err(ureq::Error::Timeout(_)) => {
                return Answer {
                    observed: Observed::Timeout { after: deadline },
                    received: format!("POST {url}: HTTP {status}, body not complete in time"),
                }
            }
            Err(e) => {
                return Answer {
                    observed: Observed::Broken {
                        detail: format!("reading the answer: {e}"),
                    },
                    received: format!("POST {url}: HTTP {status}"),
                }
            }
        };
        Answer {
            observed: verdict(status, &text),
            received: format!("POST {url}\nHTTP {status}\n{text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Expected;
    use std::io::{Read, Write};

    fn case() -> VerifierCase {
        VerifierCase {
            id: "sd-jwt/test".into(),
            group: "sd-jwt",
            description: "test".into(),
            required: true,
            expected: Expected::Accept,
            input: CaseInput::SdJwt {
                presentation: "x~".into(),
                aud: "a".into(),
                nonce: "n".into(),
            },
            trust_der: Vec::new(),
            at: time::OffsetDateTime::UNIX_EPOCH,
            suite_trust: true,
        }
    }

    /// A server that answers every connection with `answer` (after reading the request head),
    /// or never answers when `answer` is `None`.
    fn server(answer: Option<&'static [u8]>) -> String {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                match answer {
                    Some(a) => {
                        let _ = s.write_all(a);
                    }
                    None => std::thread::sleep(Duration::from_secs(30)),
                }
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn wrong_shapes_hangs_and_refusals_are_graded_not_fatal() {
        let run =
            |answer| HttpTarget::new(&server(answer), None).run(&case(), Duration::from_secs(1));
        let a = run(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
        assert!(
            matches!(a.observed, Observed::Broken { ref detail } if detail.contains("not JSON")),
            "{a:?}"
        );
        let a = run(Some(b"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\n{}"));
        assert!(
            matches!(a.observed, Observed::Broken { ref detail } if detail.contains("500")),
            "{a:?}"
        );
        let a = run(Some(b"garbage, not HTTP\r\n\r\n"));
        assert!(matches!(a.observed, Observed::Broken { .. }), "{a:?}");
        let ok = br#"HTTP/1.1 200 OK
Content-Length: 37

{"verdict":"NG","reason":"tampered"}
"#;
        let a = run(Some(ok));
        assert_eq!(
            a.observed,
            Observed::Rejected {
                reason: Some("tampered".into())
            },
            "{a:?}"
        );
        let start = std::time::Instant::now();
        let a = run(None);
        assert!(matches!(a.observed, Observed::Timeout { .. }), "{a:?}");
        assert!(start.elapsed() < Duration::from_secs(10));
        // Nobody listening: broken, with the transport error.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let a =
            HttpTarget::new(&format!("http://{port}"), None).run(&case(), Duration::from_secs(1));
        assert!(matches!(a.observed, Observed::Broken { .. }), "{a:?}");
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(200, r#"{"verdict":"OK"}"#), Observed::Accepted);
        assert_eq!(
            verdict(200, r#"{"verdict":"NG","reason":"tampered"}"#),
            Observed::Rejected {
                reason: Some("tampered".into())
            }
        );
        assert!(matches!(verdict(500, "{}"), Observed::Broken { .. }));
        assert!(matches!(verdict(200, "garbage"), Observed::Broken { .. }));
        assert!(matches!(
            verdict(200, r#"{"verdict":"MAYBE"}"#),
            Observed::Broken { .. }
        ));
    }
}
