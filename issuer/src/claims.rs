//! Claims for the two document profiles Kakunin issues, validated before anything is signed:
//! the ISO 18013-5 mDL (clause 7.2, namespace `org.iso.18013.5.1`) and the Japanese PID
//! profile of `docs/profiles/jp-pid-mdoc.md`. Input is a JSON object of element identifiers;
//! every rejection names the field.

use kakunin_core::cbor::Value;
use kakunin_core::mdoc::full_date;
use serde_json::Value as Json;

/// The document profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocProfile {
    /// `org.iso.18013.5.1.mDL`.
    Mdl,
    /// `org.kakunin.jp.pid.1` (docs/profiles/jp-pid-mdoc.md).
    JpPid,
}

pub use kakunin_core::mdoc::{JP_PID_DOCTYPE, JP_PID_NAMESPACE};

/// Ages for which `age_over_NN` is issued.
pub const AGE_THRESHOLDS: [u8; 4] = [18, 20, 21, 65];

impl DocProfile {
    /// The profile's docType.
    pub fn doc_type(self) -> &'static str {
        match self {
            DocProfile::Mdl => kakunin_core::mdoc::MDL_DOCTYPE,
            DocProfile::JpPid => JP_PID_DOCTYPE,
        }
    }

    /// The namespace of the profile's elements.
    pub fn namespace(self) -> &'static str {
        match self {
            DocProfile::Mdl => kakunin_core::mdoc::MDL_NAMESPACE,
            DocProfile::JpPid => JP_PID_NAMESPACE,
        }
    }

    /// The profile issued under `doc_type`, if Kakunin issues that docType.
    pub fn from_doc_type(doc_type: &str) -> Option<Self> {
        match doc_type {
            kakunin_core::mdoc::MDL_DOCTYPE => Some(DocProfile::Mdl),
            JP_PID_DOCTYPE => Some(DocProfile::JpPid),
            _ => None,
        }
    }

    fn fields(self) -> &'static [(&'static str, Kind, bool)] {
        match self {
            DocProfile::Mdl => MDL_FIELDS,
            DocProfile::JpPid => JP_PID_FIELDS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Country,
    Portrait,
    Uint,
    Sex,
    DrivingPrivileges,
}

/// (element, type, mandatory)
const MDL_FIELDS: &[(&str, Kind, bool)] = &[
    ("family_name", Kind::Text, true),
    ("given_name", Kind::Text, true),
    ("birth_date", Kind::Date, true),
    ("issue_date", Kind::Date, true),
    ("expiry_date", Kind::Date, true),
    ("issuing_country", Kind::Country, true),
    ("issuing_authority", Kind::Text, true),
    ("document_number", Kind::Text, true),
    ("portrait", Kind::Portrait, true),
    ("driving_privileges", Kind::DrivingPrivileges, true),
    ("un_distinguishing_sign", Kind::Text, true),
    ("administrative_number", Kind::Text, false),
    ("sex", Kind::Sex, false),
    ("height", Kind::Uint, false),
    ("weight", Kind::Uint, false),
    ("eye_colour", Kind::Text, false),
    ("hair_colour", Kind::Text, false),
    ("birth_place", Kind::Text, false),
    ("resident_address", Kind::Text, false),
    ("resident_city", Kind::Text, false),
    ("resident_state", Kind::Text, false),
    ("resident_postal_code", Kind::Text, false),
    ("resident_country", Kind::Country, false),
    ("nationality", Kind::Country, false),
    ("issuing_jurisdiction", Kind::Text, false),
    ("family_name_national_character", Kind::Text, false),
    ("given_name_national_character", Kind::Text, false),
];

const JP_PID_FIELDS: &[(&str, Kind, bool)] = &[
    ("name", Kind::Text, true),
    ("birth_date", Kind::Date, true),
    ("sex", Kind::Sex, true),
    ("resident_address", Kind::Text, true),
    ("issuing_authority", Kind::Text, true),
    ("issuing_country", Kind::Country, true),
    ("issue_date", Kind::Date, true),
    ("expiry_date", Kind::Date, true),
    ("family_name", Kind::Text, false),
    ("given_name", Kind::Text, false),
    ("name_kana", Kind::Text, false),
    ("portrait", Kind::Portrait, false),
    ("assurance_level", Kind::Text, false),
];

/// Elements computed from `birth_date` at issuance; never accepted as input.
const DERIVED: &[&str] = &["age_in_years", "age_birth_year"];

/// A claim is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim \"{field}\": {reason}")]
#[non_exhaustive]
pub struct ClaimError {
    /// The claim's name (the JSON key, as given: print it escaped).
    pub field: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ClaimError {
    /// The error's cause group: always malformed input.
    pub fn cause(&self) -> kakunin_core::Cause {
        kakunin_core::Cause::Malformed
    }
}

fn bad(field: &str, reason: &'static str) -> ClaimError {
    ClaimError {
        field: field.to_string(),
        reason,
    }
}

/// One element to issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The element's namespace (ISO 18013-5 clause 7.2: `org.iso.18013.5.1` for the mDL).
    pub namespace: String,
    /// The element identifier (`family_name`, `age_over_20`).
    pub identifier: String,
    /// The element value, as it goes into the IssuerSignedItem.
    pub value: Value,
}

fn parse_date(field: &str, j: &Json) -> Result<time::Date, ClaimError> {
    let s = j
        .as_str()
        .ok_or_else(|| bad(field, "must be a YYYY-MM-DD string"))?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).map_err(|_| bad(field, "must be a valid YYYY-MM-DD date"))
}

fn convert(field: &str, kind: Kind, j: &Json) -> Result<Value, ClaimError> {
    Ok(match kind {
        Kind::Text => {
            let s = j.as_str().ok_or_else(|| bad(field, "must be a string"))?;
            if s.is_empty() || s.len() > 1024 {
                return Err(bad(field, "must be 1 to 1024 bytes"));
            }
            Value::text(s)
        }
        Kind::Date => full_date(parse_date(field, j)?),
        Kind::Country => {
            let s = j.as_str().ok_or_else(|| bad(field, "must be a string"))?;
            if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(
                    field,
                    "must be an ISO 3166-1 alpha-2 code such as \"JP\"",
                ));
            }
            Value::text(s)
        }
        Kind::Portrait => {
            use base64::Engine;
            let s = j.as_str().ok_or_else(|| {
                bad(
                    field,
                    "must be base64 (standard or URL-safe) JPEG/JPEG2000 bytes",
                )
            })?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
                .map_err(|_| bad(field, "is not valid base64"))?;
            let jpeg = bytes.starts_with(&[0xff, 0xd8]);
            let jp2 = bytes.starts_with(&[0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50]);
            if !(jpeg || jp2) {
                return Err(bad(field, "must be a JPEG or JPEG 2000 image"));
            }
            if bytes.len() > 512 * 1024 {
                return Err(bad(field, "is larger than 512 KiB"));
            }
            Value::Bytes(bytes)
        }
        Kind::Uint => Value::Uint(
            j.as_u64()
                .ok_or_else(|| bad(field, "must be a non-negative integer"))?,
        ),
        Kind::Sex => {
            // ISO/IEC 5218: 0 not known, 1 male, 2 female, 9 not applicable.
            let n = j
                .as_u64()
                .ok_or_else(|| bad(field, "must be 0, 1, 2 or 9 (ISO/IEC 5218)"))?;
            if !matches!(n, 0 | 1 | 2 | 9) {
                return Err(bad(field, "must be 0, 1, 2 or 9 (ISO/IEC 5218)"));
            }
            Value::Uint(n)
        }
        Kind::DrivingPrivileges => {
            let arr = j
                .as_array()
                .ok_or_else(|| bad(field, "must be an array of privileges"))?;
            let mut out = Vec::with_capacity(arr.len());
            for (i, p) in arr.iter().enumerate() {
                let obj = p
                    .as_object()
                    .ok_or_else(|| bad(&format!("{field}[{i}]"), "must be an object"))?;
                let mut m = Vec::new();
                for (k, v) in obj {
                    let f = format!("{field}[{i}].{k}");
                    let value = match k.as_str() {
                        "vehicle_category_code" => convert(&f, Kind::Text, v)?,
                        "issue_date" | "expiry_date" => convert(&f, Kind::Date, v)?,
                        "codes" => Value::Array(
                            v.as_array()
                                .ok_or_else(|| bad(&f, "must be an array"))?
                                .iter()
                                .map(|c| {
                                    let code =
                                        c.get("code").and_then(Json::as_str).ok_or_else(|| {
                                            bad(&f, "each code needs a \"code\" string")
                                        })?;
                                    Ok(Value::Map(vec![(Value::text("code"), Value::text(code))]))
                                })
                                .collect::<Result<_, ClaimError>>()?,
                        ),
                        _ => return Err(bad(&f, "is not a driving privilege field")),
                    };
                    m.push((Value::text(k.as_str()), value));
                }
                if !obj.contains_key("vehicle_category_code") {
                    return Err(bad(
                        &format!("{field}[{i}].vehicle_category_code"),
                        "is required",
                    ));
                }
                out.push(Value::Map(m));
            }
            Value::Array(out)
        }
    })
}

/// Whole years from `birth` to `on`.
pub fn age_on(birth: time::Date, on: time::Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day()) {
        age -= 1;
    }
    age
}

/// Validate `claims` for `profile` and return the elements to issue, with the age elements
/// derived from `birth_date` as of `issued_on`.
pub fn elements_from_json(
    profile: DocProfile,
    claims: &Json,
    issued_on: time::Date,
) -> Result<Vec<Element>, ClaimError> {
    let obj = claims
        .as_object()
        .ok_or_else(|| bad("(top level)", "claims must be a JSON object"))?;
    let ns = profile.namespace();
    let fields = profile.fields();
    for key in obj.keys() {
        if key == "docType" {
            continue;
        }
        if key.starts_with("age_over_") || DERIVED.contains(&key.as_str()) {
            return Err(bad(
                key,
                "is derived from birth_date at issuance and must not be given",
            ));
        }
        if !fields.iter().any(|(f, _, _)| f == key) {
            return Err(bad(key, "is not an element of this document profile"));
        }
    }
    if let Some(dt) = obj.get("docType") {
        if dt.as_str() != Some(profile.doc_type()) {
            return Err(bad("docType", "does not match the document profile"));
        }
    }
    let mut out = Vec::new();
    for (name, kind, mandatory) in fields {
        match obj.get(*name) {
            None if *mandatory => return Err(bad(name, "is mandatory and missing")),
            None => {}
            Some(j) => out.push(Element {
                namespace: ns.to_string(),
                identifier: name.to_string(),
                value: convert(name, *kind, j)?,
            }),
        }
    }
    let birth = parse_date("birth_date", obj.get("birth_date").unwrap_or(&Json::Null))?;
    if birth > issued_on {
        return Err(bad("birth_date", "is after the issuance date"));
    }
    if let (Some(i), Some(e)) = (obj.get("issue_date"), obj.get("expiry_date")) {
        if parse_date("expiry_date", e)? <= parse_date("issue_date", i)? {
            return Err(bad("expiry_date", "must be after issue_date"));
        }
    }
    let age = age_on(birth, issued_on);
    for t in AGE_THRESHOLDS {
        out.push(Element {
            namespace: ns.to_string(),
            identifier: format!("age_over_{t}"),
            value: Value::Bool(age >= i32::from(t)),
        });
    }
    out.push(Element {
        namespace: ns.to_string(),
        identifier: "age_in_years".into(),
        value: Value::Uint(u64::try_from(age).unwrap_or(0)),
    });
    out.push(Element {
        namespace: ns.to_string(),
        identifier: "age_birth_year".into(),
        value: Value::Uint(u64::try_from(birth.year()).unwrap_or(0)),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn mdl() -> Json {
        serde_json::from_str(include_str!("../../docs/examples/mdl-claims.json")).unwrap()
    }

    fn err(profile: DocProfile, j: &Json) -> ClaimError {
        elements_from_json(profile, j, date!(2026 - 11 - 24)).unwrap_err()
    }

    #[test]
    fn example_claims_validate_and_ages_are_derived() {
        let els = elements_from_json(DocProfile::Mdl, &mdl(), date!(2026 - 11 - 24)).unwrap();
        let get = |id: &str| {
            els.iter()
                .find(|e| e.identifier == id)
                .map(|e| e.value.clone())
        };
        assert_eq!(get("age_over_18"), Some(Value::Bool(true)));
        assert_eq!(get("age_over_20"), Some(Value::Bool(true)));
        assert_eq!(get("age_over_21"), Some(Value::Bool(true)));
        assert_eq!(get("age_over_65"), Some(Value::Bool(false)));
        assert_eq!(get("age_in_years"), Some(Value::Uint(26)));
        assert_eq!(get("age_birth_year"), Some(Value::Uint(2000)));
        assert!(matches!(get("birth_date"), Some(Value::Tag(1004, _))));
        assert!(matches!(get("portrait"), Some(Value::Bytes(_))));
        let pid: Json =
            serde_json::from_str(include_str!("../../docs/examples/jp-pid-claims.json")).unwrap();
        let els = elements_from_json(DocProfile::JpPid, &pid, date!(2026 - 11 - 24)).unwrap();
        assert!(els.iter().all(|e| e.namespace == JP_PID_NAMESPACE));
        assert!(els
            .iter()
            .any(|e| e.identifier == "age_over_20" && e.value == Value::Bool(true)));
    }

    #[test]
    fn age_boundaries() {
        let birth = date!(2006 - 11 - 24);
        assert_eq!(age_on(birth, date!(2026 - 11 - 23)), 19);
        assert_eq!(age_on(birth, date!(2026 - 11 - 24)), 20);
        // Born on 29 February: 20 on 1 March in a common year.
        let leap = date!(2004 - 02 - 29);
        assert_eq!(age_on(leap, date!(2024 - 02 - 28)), 19);
        assert_eq!(age_on(leap, date!(2024 - 02 - 29)), 20);
        assert_eq!(age_on(leap, date!(2025 - 02 - 28)), 20);
    }

    #[test]
    fn age_on_common_year_birthdays() {
        // 2025 is a common year: 28 February is followed by 1 March.
        let march_first = date!(2005 - 03 - 01);
        assert_eq!(age_on(march_first, date!(2025 - 02 - 28)), 19);
        assert_eq!(age_on(march_first, date!(2025 - 03 - 01)), 20);
        let feb_28 = date!(2005 - 02 - 28);
        assert_eq!(age_on(feb_28, date!(2025 - 02 - 27)), 19);
        assert_eq!(age_on(feb_28, date!(2025 - 02 - 28)), 20);
        assert_eq!(age_on(feb_28, date!(2025 - 03 - 01)), 20);
        // Born on 29 February 2004: the 2025 birthday has passed by 1 March.
        assert_eq!(age_on(date!(2004 - 02 - 29), date!(2025 - 03 - 01)), 21);
    }

    #[test]
    fn rejections_name_the_field() {
        let mut j = mdl();
        j.as_object_mut().unwrap().remove("document_number");
        assert_eq!(err(DocProfile::Mdl, &j).field, "document_number");
        let mut j = mdl();
        j["birth_date"] = Json::from("2000-02-30");
        assert_eq!(err(DocProfile::Mdl, &j).field, "birth_date");
        let mut j = mdl();
        j["age_over_20"] = Json::from(true);
        assert_eq!(err(DocProfile::Mdl, &j).field, "age_over_20");
        let mut j = mdl();
        j["favourite_colour"] = Json::from("blue");
        assert_eq!(err(DocProfile::Mdl, &j).field, "favourite_colour");
        let mut j = mdl();
        j["issuing_country"] = Json::from("Japan");
        assert_eq!(err(DocProfile::Mdl, &j).field, "issuing_country");
        let mut j = mdl();
        j["portrait"] = Json::from("bm90IGEgSlBFRw==");
        assert_eq!(err(DocProfile::Mdl, &j).field, "portrait");
        let mut j = mdl();
        j["expiry_date"] = Json::from("2020-01-01");
        assert_eq!(err(DocProfile::Mdl, &j).field, "expiry_date");
        let mut j = mdl();
        j["driving_privileges"] = serde_json::json!([{"issue_date": "2020-01-01"}]);
        assert_eq!(
            err(DocProfile::Mdl, &j).field,
            "driving_privileges[0].vehicle_category_code"
        );
        let mut j = mdl();
        j["sex"] = Json::from(3);
        assert_eq!(err(DocProfile::Mdl, &j).field, "sex");
        let mut j = mdl();
        j["birth_date"] = Json::from("2030-01-01");
        assert_eq!(err(DocProfile::Mdl, &j).field, "birth_date");
        assert_eq!(err(DocProfile::Mdl, &Json::from(5)).field, "(top level)");
    }
}

/// Birthdays at the end of February in a common year (2025 has no 29 February).
#[cfg(test)]
mod common_year_age_tests {
    use super::age_on;
    use time::macros::date;

    #[test]
    fn born_on_1_march() {
        let birth = date!(2005 - 03 - 01);
        assert_eq!(age_on(birth, date!(2025 - 02 - 28)), 19);
        assert_eq!(age_on(birth, date!(2025 - 03 - 01)), 20);
    }

    #[test]
    fn born_on_28_february() {
        let birth = date!(2005 - 02 - 28);
        assert_eq!(age_on(birth, date!(2025 - 02 - 27)), 19);
        assert_eq!(age_on(birth, date!(2025 - 02 - 28)), 20);
        assert_eq!(age_on(birth, date!(2025 - 03 - 01)), 20);
    }
}
