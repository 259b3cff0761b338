//! The examples of RFC 9901 (Selective Disclosure for JWTs), checked as published.
//!
//! The data in `data/rfc9901/` is the RFC's own (provenance in its `PROVENANCE.md`): SD-JWTs and
//! SD-JWT+KBs signed by the RFC's example keys (Appendix A.5), the Processed SD-JWT Payloads
//! the RFC prints for them, and the Disclosure/digest pairs of §5.1 and §6. A transcription
//! error cannot pass: every SD-JWT must verify under the RFC's issuer key, and every KB-JWT
//! under the holder key in its `cnf`.
//!
//! Then the MUST-rejects of RFC 9901 §7 are applied to the same data: each check changes one
//! thing in a published example (or re-signs an RFC payload with the RFC's issuer key) and
//! expects the one error that change must cause.

use crate::{err, jwk_private_key, unb64, CheckResult, Runner, VectorCheck};
use kakunin_core::crypto::{default_provider, EcPrivateKey, EcPublicKey, HashAlg};
use kakunin_core::sdjwt::{
    jwk_to_key, verify_presentation, verify_sd_jwt_vc, Disclosure, IssuerKey, Jws, JwsError,
    JwtPart, KbRequirements, SdJwtError, VcError, VerifiedSdJwt,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The KB-JWTs of the RFC were made at `iat` 1748537244 (2025-05-29T16:47:24Z); the examples
/// are verified at that instant.
pub const VERIFICATION_TIME: i64 = 1_748_537_244;
/// The verifier of the RFC's KB-JWTs.
pub const AUDIENCE: &str = "https://verifier.example.org";
/// The nonce of the RFC's KB-JWTs.
pub const NONCE: &str = "1234567890";

macro_rules! data {
    ($name:literal) => {
        include_str!(concat!("../data/rfc9901/", $name))
    };
}

/// The examples, by file name.
pub const FILES: &[(&str, &str)] = &[
    ("s5.1-issued.txt", data!("s5.1-issued.txt")),
    ("s5.1-input.json", data!("s5.1-input.json")),
    ("s5.2-presentation.txt", data!("s5.2-presentation.txt")),
    ("s5.2-processed.json", data!("s5.2-processed.json")),
    ("a1-presentation.txt", data!("a1-presentation.txt")),
    ("a1-processed.json", data!("a1-processed.json")),
    ("a2-presentation.txt", data!("a2-presentation.txt")),
    ("a2-processed.json", data!("a2-processed.json")),
    ("a3-issued.txt", data!("a3-issued.txt")),
    ("a3-input.json", data!("a3-input.json")),
    ("a3-presentation.txt", data!("a3-presentation.txt")),
    ("a3-processed.json", data!("a3-processed.json")),
    ("a4-presentation.txt", data!("a4-presentation.txt")),
    ("a4-processed.json", data!("a4-processed.json")),
    ("keys.json", data!("keys.json")),
    ("disclosures.json", data!("disclosures.json")),
    ("structures.json", data!("structures.json")),
];

/// The text of one example file (trimmed); empty if there is no such file.
pub fn text(name: &str) -> &'static str {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.trim())
        .unwrap_or_default()
}

/// One example JSON file, parsed.
pub fn json(name: &str) -> Value {
    serde_json::from_str(text(name)).unwrap_or(Value::Null)
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn public_key(who: &str) -> Result<EcPublicKey, String> {
    jwk_to_key(json("keys.json").get(who).unwrap_or(&Value::Null)).map_err(err("example key"))
}

/// An example private key (Appendix A.5): `issuer` or `holder`.
pub fn private_key(who: &str) -> Result<EcPrivateKey, String> {
    jwk_private_key(json("keys.json").get(who).unwrap_or(&Value::Null))
        .ok_or_else(|| format!("keys.json: no private key for {who}"))
}

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(VERIFICATION_TIME).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What the verifier of the RFC's KB-JWTs requires.
pub fn kb_requirements() -> KbRequirements<'static> {
    KbRequirements {
        required: true,
        aud: AUDIENCE,
        nonce: NONCE,
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    }
}

fn verify(
    presentation: &str,
    kb: Option<&KbRequirements<'_>>,
    now: OffsetDateTime,
) -> Result<VerifiedSdJwt, SdJwtError> {
    // The example issuer JWK (Appendix A.5) not loading is a bad key, not a bad presentation.
    let key = public_key("issuer").map_err(|_| SdJwtError::Jws {
        part: JwtPart::IssuerJwt,
        source: JwsError::BadJwk,
    })?;
    verify_presentation(default_provider(), presentation, &key, kb, now)
}

fn same_claims(what: &str, actual: &Map<String, Value>, expected: &Value) -> CheckResult {
    if Value::Object(actual.clone()) == *expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, expected {expected}",
            Value::Object(actual.clone())
        ))
    }
}

/// `input` with the claims the issuer adds (`iss`, `iat`, `exp`, `cnf`) taken from `issued`:
/// what verifying an SD-JWT with every Disclosure must give back.
fn input_with_issuer_claims(input: &str, issued: &Map<String, Value>) -> Value {
    let mut expected = json(input);
    if let Value::Object(m) = &mut expected {
        for k in ["iss", "iat", "exp", "cnf"] {
            if let Some(v) = issued.get(k) {
                m.insert(k.to_string(), v.clone());
            }
        }
    }
    expected
}

/// Expect `result` to fail with `want`.
fn rejects<T>(result: Result<T, SdJwtError>, want: &SdJwtError) -> CheckResult {
    match result {
        Err(e) if e == *want => Ok(()),
        Err(e) => Err(format!("rejected, but with {e:?} instead of {want:?}")),
        Ok(_) => Err(format!("accepted; expected {want:?}")),
    }
}

/// The presentation split at `~`: issuer-signed JWT, Disclosures, KB-JWT (possibly empty).
fn parts(presentation: &str) -> (String, Vec<String>, String) {
    let mut p: Vec<String> = presentation.split('~').map(str::to_string).collect();
    let kb = p.pop().unwrap_or_default();
    let jwt = if p.is_empty() {
        String::new()
    } else {
        p.remove(0)
    };
    (jwt, p, kb)
}

fn join(jwt: &str, disclosures: &[String]) -> String {
    let mut s = jwt.to_string();
    for d in disclosures {
        s.push('~');
        s.push_str(d);
    }
    s.push('~');
    s
}

/// Sign `payload` with the RFC's issuer key under `typ` example+sd-jwt.
fn sign_example(payload: &Value) -> Result<String, String> {
    let Value::Object(payload) = payload else {
        return Err("payload is not an object".into());
    };
    let mut header = Map::new();
    header.insert("typ".into(), Value::from("example+sd-jwt"));
    Jws::sign(default_provider(), &private_key("issuer")?, header, payload).map_err(err("signing"))
}

/// A Disclosure from disclosures.json, by `"<section> <claim>"`.
fn listed_disclosure(reference: &str) -> Option<String> {
    json("disclosures.json")
        .as_array()?
        .iter()
        .find(|d| {
            format!(
                "{} {}",
                d["section"].as_str().unwrap_or_default(),
                d["claim"].as_str().unwrap_or_default()
            ) == reference
        })
        .and_then(|d| d["disclosure"].as_str())
        .map(str::to_string)
}

/// The presentations and what verifying each must give.
struct Example {
    id: &'static str,
    clause: &'static str,
    file: &'static str,
    /// The Processed SD-JWT Payload the RFC prints, or the input claims (for an issued SD-JWT
    /// with every Disclosure).
    expected: &'static str,
    key_binding: bool,
    /// An SD-JWT VC (typ dc+sd-jwt, vct, iss).
    vc: bool,
}

const EXAMPLES: &[Example] = &[
    Example {
        id: "rfc9901/s5.1/issued",
        clause: "5.1",
        file: "s5.1-issued.txt",
        expected: "s5.1-input.json",
        key_binding: false,
        vc: false,
    },
    Example {
        id: "rfc9901/s5.2/presentation",
        clause: "5.2",
        file: "s5.2-presentation.txt",
        expected: "s5.2-processed.json",
        key_binding: true,
        vc: false,
    },
    Example {
        id: "rfc9901/a1/presentation",
        clause: "A.1",
        file: "a1-presentation.txt",
        expected: "a1-processed.json",
        key_binding: false,
        vc: false,
    },
    Example {
        id: "rfc9901/a2/presentation",
        clause: "A.2",
        file: "a2-presentation.txt",
        expected: "a2-processed.json",
        key_binding: false,
        vc: false,
    },
    Example {
        id: "rfc9901/a3/issued",
        clause: "A.3",
        file: "a3-issued.txt",
        expected: "a3-input.json",
        key_binding: false,
        vc: true,
    },
    Example {
        id: "rfc9901/a3/presentation",
        clause: "A.3",
        file: "a3-presentation.txt",
        expected: "a3-processed.json",
        key_binding: true,
        vc: true,
    },
    Example {
        id: "rfc9901/a4/presentation",
        clause: "A.4",
        file: "a4-presentation.txt",
        expected: "a4-processed.json",
        key_binding: true,
        vc: false,
    },
];

fn check_example(e: &Example) -> CheckResult {
    let kb = kb_requirements();
    let kb = e.key_binding.then_some(&kb);
    let crypto = default_provider();
    let v = if e.vc {
        let key = public_key("issuer")?;
        verify_sd_jwt_vc(crypto, text(e.file), IssuerKey::Key(&key), kb, false, at())
            .map_err(err("SD-JWT VC"))?
    } else {
        verify(text(e.file), kb, at()).map_err(err("SD-JWT"))?
    };
    if v.key_bound != e.key_binding {
        return Err(format!("key_bound is {}", v.key_bound));
    }
    let expected = if e.expected.ends_with("-input.json") {
        input_with_issuer_claims(e.expected, &v.claims)
    } else {
        json(e.expected)
    };
    same_claims("processed payload", &v.claims, &expected)
}

/// Run every RFC 9901 check.
pub fn run_all() -> Vec<VectorCheck> {
    let crypto = default_provider();
    let mut r = Runner { checks: Vec::new() };

    for who in ["issuer", "holder"] {
        r.run(
            format!("rfc9901/keys/{who}"),
            "A.5",
            "the private scalar d times G is the published public key",
            || {
                let public = crypto
                    .public_key(&private_key(who)?)
                    .map_err(err("public key"))?;
                if public == public_key(who)? {
                    Ok(())
                } else {
                    Err("public key differs".into())
                }
            },
        );
    }

    if let Some(list) = json("disclosures.json").as_array() {
        for d in list {
            let section = d["section"].as_str().unwrap_or_default().to_string();
            let claim = d["claim"].as_str().unwrap_or_default().to_string();
            r.run(
                format!("rfc9901/digest/{section}/{claim}"),
                section.clone(),
                "the Disclosure hashes (SHA-256 over its base64url text) to the printed digest",
                || {
                    let text = d["disclosure"].as_str().unwrap_or_default();
                    let disclosure = Disclosure::parse(text).ok_or("Disclosure does not parse")?;
                    let name = claim.rsplit('/').next().unwrap_or_default();
                    let is_index = name.parse::<usize>().is_ok();
                    match (&disclosure.name, is_index) {
                        (None, true) => {}
                        (Some(n), false) if n == name => {}
                        (n, _) => return Err(format!("Disclosure names {n:?}, not {name}")),
                    }
                    let digest = disclosure.digest(crypto, HashAlg::Sha256);
                    if digest == d["digest"].as_str().unwrap_or_default() {
                        Ok(())
                    } else {
                        Err(format!("digest {digest}"))
                    }
                },
            );
        }
    }

    for e in EXAMPLES {
        r.run(
            e.id,
            e.clause,
            if e.key_binding {
                "verifies under the A.5 keys (issuer JWS, KB-JWT, sd_hash) to the printed payload"
            } else {
                "verifies under the A.5 issuer key to the printed (or input) payload"
            },
            || check_example(e),
        );
    }

    if let Some(list) = json("structures.json").as_array() {
        for s in list {
            let section = s["section"].as_str().unwrap_or_default().to_string();
            let slug: String = section
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            r.run(
                format!("rfc9901/structure/{}", slug.trim_matches('-')),
                section,
                "the RFC's payload (signed with the A.5 issuer key) and Disclosures process to the address",
                || {
                    let jwt = sign_example(&s["payload"])?;
                    let disclosures: Vec<String> = s["disclose"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|d| {
                            d.as_str()
                                .and_then(listed_disclosure)
                                .ok_or_else(|| format!("no Disclosure {d}"))
                        })
                        .collect::<Result<_, _>>()?;
                    let v = verify(&join(&jwt, &disclosures), None, at()).map_err(err("SD-JWT"))?;
                    same_claims("processed payload", &v.claims, &s["processed"])
                },
            );
        }
    }

    rejections(&mut r);
    r.checks
}

/// RFC 9901 §7 MUST-rejects, each applied to a published example.
fn rejections(r: &mut Runner) {
    let kb = kb_requirements();
    let s52 = text("s5.2-presentation.txt");
    let a1 = text("a1-presentation.txt");
    let (s52_jwt, s52_disclosures, s52_kb) = parts(s52);
    let (a1_jwt, a1_disclosures, _) = parts(a1);
    let later = |seconds: i64| at() + time::Duration::seconds(seconds);

    r.run(
        "rfc9901/reject/kb-missing",
        "7.3",
        "5.2 without its KB-JWT, when the verifier requires Key Binding",
        || {
            rejects(
                verify(&join(&s52_jwt, &s52_disclosures), Some(&kb), at()),
                &SdJwtError::MissingKeyBinding,
            )
        },
    );
    r.run(
        "rfc9901/reject/kb-audience",
        "7.3",
        "5.2 presented to another verifier (aud)",
        || {
            let other = KbRequirements {
                aud: "https://other.example.org",
                ..kb
            };
            rejects(verify(s52, Some(&other), at()), &SdJwtError::KbAudience)
        },
    );
    r.run(
        "rfc9901/reject/kb-nonce",
        "7.3",
        "5.2 answered to another nonce",
        || {
            let other = KbRequirements {
                nonce: "0987654321",
                ..kb
            };
            rejects(verify(s52, Some(&other), at()), &SdJwtError::KbNonce)
        },
    );
    r.run(
        "rfc9901/reject/kb-iat-stale",
        "7.3",
        "5.2 replayed an hour after its KB-JWT was made (5-minute window)",
        || rejects(verify(s52, Some(&kb), later(3600)), &SdJwtError::KbIat),
    );
    r.run(
        "rfc9901/reject/kb-iat-future",
        "7.3",
        "5.2 checked ten minutes before its KB-JWT's iat (1-minute skew)",
        || rejects(verify(s52, Some(&kb), later(-600)), &SdJwtError::KbIat),
    );
    r.run(
        "rfc9901/reject/kb-sd-hash",
        "7.3",
        "5.2 with one Disclosure withheld after the KB-JWT was made (sd_hash)",
        || {
            let fewer = s52_disclosures
                .split_last()
                .map_or(&[][..], |(_, rest)| rest);
            let tampered = format!("{}{s52_kb}", join(&s52_jwt, fewer));
            rejects(verify(&tampered, Some(&kb), at()), &SdJwtError::KbSdHash)
        },
    );
    r.run(
        "rfc9901/reject/kb-signature",
        "7.3",
        "5.2 with its KB-JWT signed by a key other than cnf.jwk",
        || {
            let kb_jwt = Jws::parse(&s52_kb).map_err(err("KB-JWT"))?;
            let mut header = kb_jwt.header.clone();
            header.remove("alg");
            let forged = Jws::sign(
                default_provider(),
                &private_key("issuer")?,
                header,
                &kb_jwt.payload,
            )
            .map_err(err("signing"))?;
            let tampered = format!("{}{forged}", join(&s52_jwt, &s52_disclosures));
            rejects(
                verify(&tampered, Some(&kb), at()),
                &SdJwtError::Jws {
                    part: JwtPart::KbJwt,
                    source: JwsError::BadSignature,
                },
            )
        },
    );
    r.run(
        "rfc9901/reject/expired",
        "7.1",
        "5.2 checked at its exp (1883000000)",
        || {
            let at_exp = OffsetDateTime::from_unix_timestamp(1_883_000_000).map_err(err("time"))?;
            rejects(verify(s52, None, at_exp), &SdJwtError::Expired)
        },
    );
    r.run(
        "rfc9901/reject/issuer-signature",
        "7.1",
        "A.1 with one byte of the issuer signature changed",
        || {
            let mut sig = unb64(a1_jwt.rsplit('.').next().unwrap_or_default())
                .ok_or("signature is not base64url")?;
            *sig.get_mut(10).ok_or("signature is short")? ^= 0x01;
            let head = a1_jwt.rsplit_once('.').map_or("", |(head, _)| head);
            let tampered = join(&format!("{head}.{}", b64(&sig)), &a1_disclosures);
            rejects(
                verify(&tampered, None, at()),
                &SdJwtError::Jws {
                    part: JwtPart::IssuerJwt,
                    source: JwsError::BadSignature,
                },
            )
        },
    );
    r.run(
        "rfc9901/reject/alg-none",
        "7.1",
        "A.1's payload under alg none with no signature",
        || {
            let payload = a1_jwt.split('.').nth(1).unwrap_or_default();
            let none = format!(
                "{}.{payload}.",
                b64(br#"{"alg":"none","typ":"example+sd-jwt"}"#)
            );
            rejects(
                verify(&join(&none, &a1_disclosures), None, at()),
                &SdJwtError::Jws {
                    part: JwtPart::IssuerJwt,
                    source: JwsError::AlgNone,
                },
            )
        },
    );
    r.run(
        "rfc9901/reject/duplicate-disclosure",
        "7.1",
        "A.1 with one of its Disclosures presented twice",
        || {
            let mut twice = a1_disclosures.clone();
            let first = a1_disclosures.first().ok_or("A.1 has no Disclosure")?;
            twice.push(first.clone());
            let d = Disclosure::parse(first).ok_or("Disclosure")?;
            rejects(
                verify(&join(&a1_jwt, &twice), None, at()),
                &SdJwtError::DuplicateDigest(d.digest(default_provider(), HashAlg::Sha256)),
            )
        },
    );
    r.run(
        "rfc9901/reject/unreferenced-disclosure",
        "7.1",
        "A.1 with a Disclosure from 5.1 that no digest of A.1 references",
        || {
            let mut extra = a1_disclosures.clone();
            extra.push(listed_disclosure("4.2.1/5.1 given_name").ok_or("no Disclosure")?);
            rejects(
                verify(&join(&a1_jwt, &extra), None, at()),
                &SdJwtError::UnreferencedDisclosure {
                    index: a1_disclosures.len(),
                },
            )
        },
    );
    r.run(
        "rfc9901/reject/wrong-typ-for-vc",
        "SD-JWT VC 3.2.1",
        "5.2 (typ example+sd-jwt) offered as an SD-JWT VC",
        || {
            let key = public_key("issuer")?;
            match verify_sd_jwt_vc(
                default_provider(),
                s52,
                IssuerKey::Key(&key),
                Some(&kb),
                false,
                at(),
            ) {
                Err(VcError::Typ(Some(t))) if t == "example+sd-jwt" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    );

    // The remaining MUSTs need an issuer-signed payload that breaks a rule; the RFC's 6.1
    // payload is re-signed with the RFC's issuer key after one change.
    let address = listed_disclosure("6.1 address").unwrap_or_default();
    let address_digest = "fOBUSQvo46yQO-wRwXBcGqvnbKIueISEL961_Sjd4do";
    let payload = json("structures.json")
        .pointer("/0/payload")
        .cloned()
        .unwrap_or(Value::Null);
    let resigned = |change: &dyn Fn(&mut Map<String, Value>), disclosures: &[String]| {
        let mut p = payload.clone();
        if let Value::Object(m) = &mut p {
            change(m);
        }
        sign_example(&p).map(|jwt| join(&jwt, disclosures))
    };
    r.run(
        "rfc9901/reject/sd-alg-unsupported",
        "7.1",
        "6.1 payload with _sd_alg md5",
        || {
            let sd = resigned(
                &|m| {
                    m.insert("_sd_alg".into(), Value::from("md5"));
                },
                std::slice::from_ref(&address),
            )?;
            rejects(
                verify(&sd, None, at()),
                &SdJwtError::UnsupportedSdAlg("md5".into()),
            )
        },
    );
    r.run(
        "rfc9901/reject/duplicate-digest",
        "7.1",
        "6.1 payload listing the address digest twice in _sd",
        || {
            let sd = resigned(
                &|m| {
                    m.insert(
                        "_sd".into(),
                        serde_json::json!([address_digest, address_digest]),
                    );
                },
                std::slice::from_ref(&address),
            )?;
            rejects(
                verify(&sd, None, at()),
                &SdJwtError::DuplicateDigest(address_digest.into()),
            )
        },
    );
    r.run(
        "rfc9901/reject/claim-overwrite",
        "7.1",
        "6.1 payload that also carries address in the clear",
        || {
            let sd = resigned(
                &|m| {
                    m.insert("address".into(), Value::from("in the clear"));
                },
                std::slice::from_ref(&address),
            )?;
            rejects(
                verify(&sd, None, at()),
                &SdJwtError::ClaimOverwrite("address".into()),
            )
        },
    );
    for name in ["_sd", "..."] {
        r.run(
            format!(
                "rfc9901/reject/disclosure-named-{}",
                if name == "_sd" { "sd" } else { "ellipsis" }
            ),
            "7.1",
            "a Disclosure whose claim name is _sd or ..., referenced from 6.1's payload",
            || {
                let bad = Disclosure::new("2GLC42sKQveCfGfryNRN9w", Some(name), Value::from(1));
                let digest = bad.digest(default_provider(), HashAlg::Sha256);
                let sd = resigned(
                    &|m| {
                        m.insert("_sd".into(), serde_json::json!([address_digest, digest]));
                    },
                    &[address.clone(), bad.encoded.clone()],
                )?;
                rejects(
                    verify(&sd, None, at()),
                    &SdJwtError::ForbiddenClaimName(name.into()),
                )
            },
        );
    }
    r.run(
        "rfc9901/reject/array-disclosure-in-object",
        "7.1",
        "5.1's array-element Disclosure referenced from an object's _sd",
        || {
            let element = listed_disclosure("5.1 nationalities/0").ok_or("no Disclosure")?;
            let sd = resigned(
                &|m| {
                    m.insert(
                        "_sd".into(),
                        serde_json::json!(["pFndjkZ_VCzmyTa6UjlZo3dh-ko8aIKQc9DlGzhaVYo"]),
                    );
                },
                &[element],
            )?;
            rejects(
                verify(&sd, None, at()),
                &SdJwtError::WrongDisclosureKind(String::new()),
            )
        },
    );
}
