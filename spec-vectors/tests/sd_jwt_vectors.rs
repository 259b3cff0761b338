//! The RFC 9901 examples and the sd-jwt-python test cases (the same checks `kakunin vectors`
//! prints): every check is present and passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_spec_vectors::{rfc9901, sd_jwt_python, VectorCheck};

fn assert_all_pass(checks: &[VectorCheck]) {
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| format!("{}: {}", c.id, c.failure.as_deref().unwrap_or_default()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn rfc9901_examples_and_rejections() {
    let checks = rfc9901::run_all();
    assert_all_pass(&checks);
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "rfc9901/keys/issuer",
        "rfc9901/keys/holder",
        "rfc9901/s5.1/issued",
        "rfc9901/s5.2/presentation",
        "rfc9901/a1/presentation",
        "rfc9901/a2/presentation",
        "rfc9901/a3/issued",
        "rfc9901/a3/presentation",
        "rfc9901/a4/presentation",
        "rfc9901/structure/6.1",
        "rfc9901/structure/6.2",
        "rfc9901/structure/6.3",
        "rfc9901/reject/kb-missing",
        "rfc9901/reject/kb-audience",
        "rfc9901/reject/kb-nonce",
        "rfc9901/reject/kb-iat-stale",
        "rfc9901/reject/kb-iat-future",
        "rfc9901/reject/kb-sd-hash",
        "rfc9901/reject/kb-signature",
        "rfc9901/reject/expired",
        "rfc9901/reject/issuer-signature",
        "rfc9901/reject/alg-none",
        "rfc9901/reject/duplicate-disclosure",
        "rfc9901/reject/unreferenced-disclosure",
        "rfc9901/reject/wrong-typ-for-vc",
        "rfc9901/reject/sd-alg-unsupported",
        "rfc9901/reject/duplicate-digest",
        "rfc9901/reject/claim-overwrite",
        "rfc9901/reject/disclosure-named-sd",
        "rfc9901/reject/disclosure-named-ellipsis",
        "rfc9901/reject/array-disclosure-in-object",
    ] {
        assert!(ids.contains(&id), "missing check {id}; have {ids:#?}");
    }
    // One digest check per Disclosure the RFC prints a digest for.
    assert_eq!(
        ids.iter()
            .filter(|i| i.starts_with("rfc9901/digest/"))
            .count(),
        9
    );
}

#[test]
fn sd_jwt_python_test_cases() {
    let checks = sd_jwt_python::run_all();
    assert_all_pass(&checks);
    let mut names: Vec<&str> = checks.iter().map(|c| c.clause.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "array_data_types",
            "array_full_sd",
            "array_in_sd",
            "array_nested_in_plain",
            "array_none_disclosed",
            "array_of_nulls",
            "array_of_objects",
            "array_of_scalars",
            "array_recursive_sd",
            "array_recursive_sd_some_disclosed",
            "header_mod",
            "json_serialization_flattened",
            "json_serialization_general",
            "key_binding",
            "no_sd",
            "object_data_types",
            "recursions",
        ]
    );
}

/// The harness is not vacuous: a case whose expectation is changed fails.
#[test]
fn a_wrong_expectation_fails() {
    let (settings, cases) = sd_jwt_python::cases();
    let (_, case) = cases
        .iter()
        .find(|(n, _)| n == "array_of_scalars")
        .expect("case");
    let mut case = case.clone();
    case["expect_verified_user_claims"]["nationalities"] = serde_json::json!(["US", "CA", "DE"]);
    let err = sd_jwt_python::run_case(&settings, &case).expect_err("must fail");
    assert!(err.contains("differs"), "{err}");
}

/// Decoy digests (RFC 9901 §4.2.5) in every `_sd` array change nothing the verifier reports.
#[test]
fn sd_jwt_python_test_cases_with_decoys() {
    let (settings, cases) = sd_jwt_python::cases();
    for (name, case) in &cases {
        sd_jwt_python::run_case_with_decoys(&settings, case, 3)
            .unwrap_or_else(|e| panic!("{name} with decoys: {e}"));
    }
}
