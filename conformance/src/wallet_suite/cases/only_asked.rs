//! Only what was asked (clause 8.3.2.1.2.2): no element the request did not ask for, no other
//! namespace, element errors for what the wallet does not hold.

use super::*;

pub(super) fn no_extra_element(ctx: &mut Ctx<'_>) -> Judged {
    valid(ctx, vec![mdl(&["family_name"])], &[MDL_DOCTYPE])
}

pub(super) fn no_other_namespace(ctx: &mut Ctx<'_>) -> Judged {
    // PID elements asked under the PID namespace only: nothing of the mDL or of any other
    // namespace may come back.
    valid(ctx, vec![pid(&["given_name"])], &[JP_PID_DOCTYPE])
}

pub(super) fn element_not_held(ctx: &mut Ctx<'_>) -> Judged {
    let mut j = valid(ctx, vec![mdl(&["age_over_20", NOT_HELD])], &[]);
    if j.failing_check.is_none() {
        let back = j.received.contains(&format!("{MDL_NAMESPACE}/age_over_20"));
        let errored = j
            .received
            .contains(&format!("element errors: {MDL_NAMESPACE}/{NOT_HELD}"));
        j.failing_check = match (back, errored) {
            (false, _) => Some("age_over_20 not returned".into()),
            (true, false) => Some(format!(
                "no element error for {NOT_HELD} (the Document's errors, clause 8.3.2.1.2.2)"
            )),
            (true, true) => None,
        };
    }
    j
}

pub(super) fn unknown_namespace(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![(
        MDL_DOCTYPE.to_string(),
        vec![
            el(MDL_NAMESPACE, "age_over_20"),
            el("org.kakunin.conformance.unknown", "age_over_20"),
        ],
    )];
    let mut j = valid(ctx, requests, &[]);
    if j.failing_check.is_none() && !j.received.contains(&format!("{MDL_NAMESPACE}/age_over_20")) {
        j.failing_check = Some("age_over_20 not returned".into());
    }
    j
}
