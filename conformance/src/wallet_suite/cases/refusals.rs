//! The requests a wallet must refuse (clauses 9.1.4, 8.3.2.1.2): readerAuth it cannot trust
//! or that is missing or misbound, docTypes it does not hold, an oversize request, an
//! unsupported version — nothing may be disclosed.

use super::*;

pub(super) fn untrusted_reader_auth(ctx: &mut Ctx<'_>) -> Judged {
    refused(ctx, vec![mdl(&["age_over_20"])], Auth::Untrusted)
}

pub(super) fn missing_reader_auth(ctx: &mut Ctx<'_>) -> Judged {
    refused(ctx, vec![mdl(&["age_over_20"])], Auth::Missing)
}

pub(super) fn reader_auth_other_transcript(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![mdl(&["age_over_20"])];
    let sent = format!(
        "{} — over the SessionTranscript of another session",
        describe_request(&requests, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let other = try_setup!(raw_reader(ctx), sent);
    let req = try_setup!(
        device_request(ctx, &requests, Auth::Trusted, other.transcript()),
        sent
    );
    let msg = try_setup!(raw.establishment(ctx.crypto, &req), sent);
    raw_refusal(ctx, &mut raw, &msg, sent)
}

pub(super) fn reader_auth_other_items(ctx: &mut Ctx<'_>) -> Judged {
    let signed = vec![mdl(&["age_over_20"])];
    let asked = vec![mdl(&["age_over_20", "portrait", "family_name"])];
    let sent = format!(
        "{} — with the readerAuth made for {}",
        describe_request(&asked, Auth::Trusted.label()),
        describe_request(&signed, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let genuine = try_setup!(
        device_request(ctx, &signed, Auth::Trusted, raw.transcript()),
        sent
    );
    let reader_auth = try_setup!(
        DeviceRequest::from_bytes(&genuine)
            .ok()
            .and_then(|d| d.doc_requests.into_iter().next())
            .and_then(|d| d.reader_auth)
            .map(|s| s.raw().to_vec())
            .ok_or_else(|| Failure::Setup("the suite's own readerAuth".into())),
        sent
    );
    let items = asked
        .iter()
        .map(|(d, e)| (encode_items_request(d, e), Some(reader_auth.clone())))
        .collect::<Vec<_>>();
    let msg = try_setup!(
        raw.establishment(ctx.crypto, &encode_device_request(&items)),
        sent
    );
    raw_refusal(ctx, &mut raw, &msg, sent)
}

pub(super) fn unknown_doctype(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![(
        UNKNOWN_DOCTYPE.to_string(),
        vec![el(UNKNOWN_DOCTYPE, "age_over_20")],
    )];
    let mut j = refused(ctx, requests, Auth::Trusted);
    if matches!(j.observed, Observed::Rejected { .. })
        && !j
            .received
            .contains(&format!("documentErrors: {UNKNOWN_DOCTYPE}"))
    {
        j.failing_check = Some(format!(
            "expected a DeviceResponse with documentErrors for {UNKNOWN_DOCTYPE} and no \
             document (clause 8.3.2.1.2.2)"
        ));
    }
    j
}

pub(super) fn oversize_request(ctx: &mut Ctx<'_>) -> Judged {
    let names: Vec<String> = (0..OVERSIZE_ELEMENTS)
        .map(|i| format!("kakunin_oversize_{i:04}"))
        .collect();
    let mut els: Vec<&str> = vec!["age_over_20"];
    els.extend(names.iter().map(String::as_str));
    refused(ctx, vec![mdl(&els)], Auth::Trusted)
}

pub(super) fn unsupported_version(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![mdl(&["age_over_20"])];
    let sent = format!(
        "{} — with DeviceRequest version \"2.0\"",
        describe_request(&requests, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let req = try_setup!(
        device_request(ctx, &requests, Auth::Trusted, raw.transcript()),
        sent
    );
    // "1.0" is text of 3 bytes after its head 0x63; the same length keeps the CBOR valid.
    let Some(at) = req.windows(4).position(|w| w == b"\x631.0") else {
        return setup_failed(Failure::Setup("no version in the request".into()), sent);
    };
    let mut bumped = req;
    if let Some(major) = bumped.get_mut(at + 1) {
        *major = b'2';
    }
    let msg = try_setup!(raw.establishment(ctx.crypto, &bumped), sent);
    raw_refusal(ctx, &mut raw, &msg, sent)
}
