//! Session behaviour (clause 9.1.1, Table 20), byte by byte through the suite's own reader
//! session: the status a wallet answers garbage, undecodable or replayed messages with, a
//! second request in the same session, and the end after the reader's termination.

use super::*;

pub(super) fn garbage_ciphertext(ctx: &mut Ctx<'_>) -> Judged {
    let sent =
        "SessionEstablishment whose data is 64 random bytes, not sealed with SKReader".into();
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let mut junk = [0u8; 64];
    if ctx.crypto.fill_random(&mut junk).is_err() {
        junk = [0x5a; 64];
    }
    let msg = raw.establishment_with(junk.to_vec());
    expect_status(ctx, &mut raw, &msg, 10, sent)
}

pub(super) fn undecodable_establishment(ctx: &mut Ctx<'_>) -> Judged {
    let sent = "a first message that is not CBOR (ff 00 ff 00)".into();
    let mut raw = try_setup!(raw_reader(ctx), sent);
    expect_status(ctx, &mut raw, &[0xff, 0x00, 0xff, 0x00], 11, sent)
}

pub(super) fn undecodable_request(ctx: &mut Ctx<'_>) -> Judged {
    let sent = "SessionEstablishment whose data decrypts to bytes that are not CBOR".into();
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let msg = try_setup!(raw.establishment(ctx.crypto, &[0xff, 0xfe, 0xfd]), sent);
    let deadline = ctx.left();
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    // Status 11 either as SessionData status (Table 20) or as the DeviceResponse status
    // "CBOR decoding error" (Table 8).
    if let Answer::Data { plaintext, .. } = &answer {
        let report = verify(ctx, &raw, plaintext);
        let observed = answer_observed(&answer, Some(&report), deadline);
        let failing_check = match (&observed, report.status) {
            (Observed::Rejected { .. }, Some(11)) => None,
            (Observed::Rejected { .. }, s) => Some(format!(
                "expected status 11 (CBOR decoding error, Table 8 or Table 20); DeviceResponse \
                 status {}",
                s.map_or("?".into(), |v| v.to_string())
            )),
            _ => None,
        };
        end_session(ctx);
        return Judged {
            observed,
            failing_check,
            sent,
            received: describe_report(&report),
        }
        .bounded();
    }
    status_judged(ctx, &raw, &answer, 11, sent, deadline)
}

pub(super) fn skipped_counter(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![mdl(&["age_over_20"])];
    let sent = format!(
        "{} — sealed with message counter 2 instead of 1 (clause 9.1.1.5)",
        describe_request(&requests, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let req = try_setup!(
        device_request(ctx, &requests, Auth::Trusted, raw.transcript()),
        sent
    );
    // Counter 1 is used up on a message never sent.
    let _ = try_setup!(raw.data(ctx.crypto, &req), sent);
    let msg = try_setup!(raw.establishment(ctx.crypto, &req), sent);
    expect_status(ctx, &mut raw, &msg, 10, sent)
}

/// The first exchange of a session case: a valid request for `requests`; the answer's
/// report, or the finished judgement when the wallet did not answer with a valid response.
fn first_exchange(
    ctx: &mut Ctx<'_>,
    raw: &mut RawReader,
    requests: &Requests,
    sent: &str,
) -> Result<ResponseReport, Judged> {
    let deadline = ctx.left();
    let req = device_request(ctx, requests, Auth::Trusted, raw.transcript())
        .map_err(|f| setup_failed(f, sent.into()))?;
    let msg = raw
        .establishment(ctx.crypto, &req)
        .map_err(|f| setup_failed(f, sent.into()))?;
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    check_exchange(ctx, raw, &answer, requests, sent, deadline, "first")
}

fn check_exchange(
    ctx: &Ctx<'_>,
    raw: &RawReader,
    answer: &Answer,
    requests: &Requests,
    sent: &str,
    deadline: Duration,
    which: &str,
) -> Result<ResponseReport, Judged> {
    let Answer::Data { plaintext, .. } = answer else {
        return Err(Judged {
            observed: answer_observed(answer, None, deadline),
            failing_check: Some(format!("no response to the {which} request")),
            sent: sent.into(),
            received: answer.describe(),
        });
    };
    let mut report = verify(ctx, raw, plaintext);
    let extra = keep_requested(&mut report, requests);
    let failing = if let Some(e) = report.all_errors().next() {
        Some(format!("the {which} response does not verify: {e}"))
    } else if extra > 0 {
        Some(format!(
            "the {which} response holds {extra} element(s) not requested"
        ))
    } else if !report.valid() {
        Some(format!("the {which} response holds no document"))
    } else {
        None
    };
    match failing {
        Some(f) => Err(Judged {
            observed: answer_observed(answer, Some(&report), deadline),
            failing_check: Some(f),
            sent: sent.into(),
            received: describe_report(&report),
        }),
        None => Ok(report),
    }
}

pub(super) fn second_request(ctx: &mut Ctx<'_>) -> Judged {
    let first = vec![mdl(&["age_over_20"])];
    let second = vec![mdl(&["family_name"])];
    let sent = format!(
        "{}, then in the same session (SessionData, counter 2) {}",
        describe_request(&first, Auth::Trusted.label()),
        describe_request(&second, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let r1 = match first_exchange(ctx, &mut raw, &first, &sent) {
        Ok(r) => r,
        Err(j) => return j.bounded(),
    };
    let deadline = ctx.left();
    let req = try_setup!(
        device_request(ctx, &second, Auth::Trusted, raw.transcript()),
        sent
    );
    let msg = try_setup!(raw.data(ctx.crypto, &req), sent);
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    let judged = match check_exchange(ctx, &raw, &answer, &second, &sent, deadline, "second") {
        Ok(r2) => Judged {
            observed: Observed::Accepted,
            failing_check: None,
            sent,
            received: format!(
                "first: {}; second: {}",
                describe_report(&r1),
                describe_report(&r2)
            ),
        },
        Err(j) => j,
    };
    end_session(ctx);
    judged.bounded()
}

pub(super) fn replayed_reader_message(ctx: &mut Ctx<'_>) -> Judged {
    let first = vec![mdl(&["age_over_20"])];
    let second = vec![mdl(&["family_name"])];
    let sent = format!(
        "{}, then {} as SessionData (counter 2), then that same SessionData again",
        describe_request(&first, Auth::Trusted.label()),
        describe_request(&second, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    if let Err(j) = first_exchange(ctx, &mut raw, &first, &sent) {
        return j.bounded();
    }
    let deadline = ctx.left();
    let req = try_setup!(
        device_request(ctx, &second, Auth::Trusted, raw.transcript()),
        sent
    );
    let msg = try_setup!(raw.data(ctx.crypto, &req), sent);
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    if let Err(j) = check_exchange(ctx, &raw, &answer, &second, &sent, deadline, "second") {
        return j.bounded();
    }
    let deadline = ctx.left();
    let replay = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    status_judged(ctx, &raw, &replay, 10, sent, deadline)
}

pub(super) fn reader_termination(ctx: &mut Ctx<'_>) -> Judged {
    let first = vec![mdl(&["age_over_20"])];
    let second = vec![mdl(&["family_name"])];
    let sent = format!(
        "{}, then SessionData status 20 (termination), then {} as SessionData",
        describe_request(&first, Auth::Trusted.label()),
        describe_request(&second, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    if let Err(j) = first_exchange(ctx, &mut raw, &first, &sent) {
        return j.bounded();
    }
    let link = ctx.session.link.as_mut();
    if let Err(e) = link.send(&status_message(20)) {
        return Judged::broken(format!("the link failed sending status 20: {e}"), sent);
    }
    // After termination nothing may be answered: the request after it must go unanswered.
    let req = try_setup!(
        device_request(ctx, &second, Auth::Trusted, raw.transcript()),
        sent
    );
    let msg = try_setup!(raw.data(ctx.crypto, &req), sent);
    let quiet = Instant::now() + QUIET.min(ctx.left());
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, quiet);
    let _ = ctx.session.link.close();
    let (observed, failing_check) = match &answer {
        Answer::Link(_) | Answer::Status(_) => (
            Observed::Rejected {
                reason: Some(format!("after termination: {}", answer.describe())),
            },
            None,
        ),
        Answer::Data { .. } => (
            Observed::Accepted,
            Some("the wallet answered a request after the reader ended the session".into()),
        ),
        other => (
            Observed::Broken {
                detail: other.describe(),
            },
            None,
        ),
    };
    Judged {
        observed,
        failing_check,
        sent,
        received: answer.describe(),
    }
    .bounded()
}
