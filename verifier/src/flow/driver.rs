//! The one driver that runs a [`ReaderFlow`] over any [`MessageLink`]: it sends the flow's
//! messages, waits for each answer with a deadline (per message, and for the whole session),
//! bounds the number of messages, turns a link timeout into NG `timeout`, and sends the final
//! message (status 20, or the error status) before closing the link.
//!
//! Bounds: at most [`super::Deadlines::max_messages`] answers; each waited for until
//! `min(now + per_message, session start + session)`; a wait cut into cancel-poll slices has
//! at most `per_message / 50 ms + 2` of them, so a stalled clock cannot make it spin. NFC, the simulated BLE
//! link, the real radios and the in-memory link all go through here.

use super::machine::{FlowOutcome, Progress, ReaderFlow, Step};
use kakunin_core::crypto::CryptoProvider;
use kakunin_transport::link::{LinkError, MessageLink};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How often a wait is interrupted to look at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Hooks for a UI around [`run_reader_with`].
#[derive(Default)]
pub struct Observer<'a> {
    /// Set to cancel the flow (checked while waiting, every 50 ms).
    pub cancel: Option<&'a AtomicBool>,
    /// Called with each progress state as it is reached.
    pub on_progress: Option<&'a mut dyn FnMut(Progress)>,
}

impl core::fmt::Debug for Observer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Observer")
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

/// Run `flow` over `link` to its outcome. `clock` is a monotonic clock (for deadlines); `now`
/// the wall-clock time the response is verified at.
pub fn run_reader(
    flow: &mut ReaderFlow<'_>,
    link: &mut dyn MessageLink,
    crypto: &dyn CryptoProvider,
    clock: &dyn Fn() -> Instant,
    now: OffsetDateTime,
) -> FlowOutcome {
    run_reader_with(flow, link, crypto, clock, now, Observer::default())
}

fn close(link: &mut dyn MessageLink, outcome: FlowOutcome) -> FlowOutcome {
    if let Some(last) = &outcome.final_message {
        let _ = link.send(last);
    }
    let _ = link.close();
    outcome
}

/// [`run_reader`] with a cancel flag and progress notifications.
pub fn run_reader_with(
    flow: &mut ReaderFlow<'_>,
    link: &mut dyn MessageLink,
    crypto: &dyn CryptoProvider,
    clock: &dyn Fn() -> Instant,
    now: OffsetDateTime,
    mut observer: Observer<'_>,
) -> FlowOutcome {
    let deadlines = flow.deadlines();
    let session_end = clock() + deadlines.session;
    let mut seen = 0;
    let mut notify = |flow: &ReaderFlow<'_>, seen: &mut usize| {
        if let Some(f) = observer.on_progress.as_mut() {
            for p in flow.progress().iter().skip(*seen) {
                f(*p);
            }
        }
        *seen = flow.progress().len();
    };
    let first = match flow.start(crypto) {
        Ok(m) => m,
        Err(e) => {
            let bye = flow.cancel_request(e);
            return close(link, bye);
        }
    };
    notify(flow, &mut seen);
    if let Err(e) = link.send(&first) {
        let out = flow.on_link_error(e);
        return close(link, out);
    }
    // Slices of one wait: enough to cover the per-message deadline in CANCEL_POLL steps, so
    // a clock that stands still cannot keep the wait going forever.
    let max_slices = usize::try_from(deadlines.per_message.as_millis() / CANCEL_POLL.as_millis())
        .unwrap_or(usize::MAX)
        .saturating_add(2);
    for _ in 0..deadlines.max_messages {
        let deadline = (clock() + deadlines.per_message).min(session_end);
        let mut slices = 0usize;
        let received = loop {
            slices += 1;
            if slices > max_slices {
                break Err(Some(LinkError::Timeout));
            }
            if observer.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                break Err(None);
            }
            // A link that cannot resume a timed-out wait (NFC) gets the whole deadline; the
            // cancel flag is then looked at between messages.
            let slice = match observer.cancel {
                Some(_) if link.resumable_wait() => deadline.min(clock() + CANCEL_POLL),
                _ => deadline,
            };
            match link.receive(slice) {
                Err(LinkError::Timeout) if slice < deadline => continue,
                r => break r.map_err(Some),
            }
        };
        let step = match received {
            Ok(msg) => flow.handle(crypto, &msg, now),
            Err(None) => Step::Done(Box::new(flow.cancel())),
            Err(Some(LinkError::Timeout)) => Step::Done(Box::new(flow.on_timeout())),
            Err(Some(e)) => Step::Done(Box::new(flow.on_link_error(e))),
        };
        notify(flow, &mut seen);
        match step {
            Step::Send(m) => {
                if let Err(e) = link.send(&m) {
                    let out = flow.on_link_error(e);
                    notify(flow, &mut seen);
                    return close(link, out);
                }
            }
            Step::Done(out) => return close(link, *out),
        }
    }
    let out = flow.on_too_many_messages();
    notify(flow, &mut seen);
    close(link, out)
}
