//! The valid requests (ISO 18013-5 clauses 8.3.2.1, 9.1.4): the wallet answers with exactly
//! what was asked, fully verified against the suite's IACA.

use super::*;

pub(super) fn mdl_age_over_20(ctx: &mut Ctx<'_>) -> Judged {
    valid(ctx, vec![mdl(&["age_over_20"])], &[MDL_DOCTYPE])
}

pub(super) fn mdl_age_and_portrait(ctx: &mut Ctx<'_>) -> Judged {
    valid(ctx, vec![mdl(&["age_over_20", "portrait"])], &[MDL_DOCTYPE])
}

pub(super) fn jp_pid(ctx: &mut Ctx<'_>) -> Judged {
    valid(
        ctx,
        vec![pid(&["age_over_20", "family_name", "given_name"])],
        &[JP_PID_DOCTYPE],
    )
}

pub(super) fn mdl_several(ctx: &mut Ctx<'_>) -> Judged {
    valid(
        ctx,
        vec![mdl(&[
            "family_name",
            "given_name",
            "birth_date",
            "issuing_country",
            "document_number",
            "expiry_date",
        ])],
        &[MDL_DOCTYPE],
    )
}

pub(super) fn intent_to_retain(ctx: &mut Ctx<'_>) -> Judged {
    let mut req = mdl(&["age_over_20", "family_name"]);
    for e in &mut req.1 {
        e.intent_to_retain = true;
    }
    valid(ctx, vec![req], &[MDL_DOCTYPE])
}

pub(super) fn two_doc_requests(ctx: &mut Ctx<'_>) -> Judged {
    valid(
        ctx,
        vec![mdl(&["age_over_20"]), pid(&["age_over_20", "family_name"])],
        &[MDL_DOCTYPE, JP_PID_DOCTYPE],
    )
}

pub(super) fn known_and_unknown_doctype(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![
        mdl(&["age_over_20"]),
        (
            UNKNOWN_DOCTYPE.into(),
            vec![el(UNKNOWN_DOCTYPE, "age_over_20")],
        ),
    ];
    let mut j = valid(ctx, requests, &[MDL_DOCTYPE]);
    if j.failing_check.is_none() && j.observed == Observed::Accepted {
        // The docType not returned belongs in documentErrors (clause 8.3.2.1.2.2).
        if !j
            .received
            .contains(&format!("documentErrors: {UNKNOWN_DOCTYPE}"))
        {
            j.failing_check = Some(format!(
                "no documentErrors entry for {UNKNOWN_DOCTYPE} (clause 8.3.2.1.2.2)"
            ));
        }
    }
    j
}

pub(super) fn sd_jwt_request(ctx: &mut Ctx<'_>) -> Judged {
    let config = reader_config(ctx, Vec::new(), Auth::Trusted, SdJwtMode::Only);
    let sent = format!(
        "SdJwtDeviceRequest (docs/profiles/sd-jwt-proximity.md): {}",
        config
            .sd_jwt_requests()
            .iter()
            .map(|r| format!("{}: {}", r.vct, r.claims.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let deadline = ctx.left();
    let mut flow = try_setup!(
        ReaderFlow::new(ctx.crypto, &config, &ctx.session.engagement).map_err(|e| flow_failed(&e)),
        sent
    );
    let out = run_reader(
        &mut flow,
        ctx.session.link.as_mut(),
        ctx.crypto,
        &Instant::now,
        ctx.config.now,
    );
    let observed = flow_observed(&out, deadline);
    let failing_check = match (&observed, &out.sd_jwt) {
        (Observed::Accepted, Some(Ok((_, list)))) => {
            if let Some(Err(e)) = list.iter().find(|r| r.is_err()) {
                Some(format!("a presentation does not verify: {e}"))
            } else if out.unrequested_elements > 0 {
                Some(format!(
                    "{} claim(s) disclosed that were not requested",
                    out.unrequested_elements
                ))
            } else {
                None
            }
        }
        (Observed::Accepted, _) => Some("no SD-JWT VC response".into()),
        _ => None,
    };
    Judged {
        observed,
        failing_check,
        sent,
        received: describe_outcome(&out),
    }
    .bounded()
}
