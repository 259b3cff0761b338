//! Shared by the in-memory proximity tests: the reader flow against the holder loop over BLE
//! GATT framing on an in-memory link, the holder in its own thread.

use kakunin_core::crypto::default_provider;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    run_holder, CredentialStore, HolderDeadlines, HolderLoop, HolderOutcome, HolderPolicy,
};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::link::memory_pair;
use kakunin_verifier::flow::{run_reader, Engagement, FlowOutcome, ReaderConfig, ReaderFlow};
use std::time::Instant;
use time::OffsetDateTime;

/// The simulated radio's MTU.
pub(crate) const MTU: u16 = 185;

/// One QR-engaged session between a till configured by `config` and a holder presenting from
/// `store` under `policy`, both verifying and signing at `now`.
pub(crate) fn run_qr<S: CredentialStore + Sync>(
    config: &ReaderConfig,
    store: &S,
    policy: HolderPolicy,
    now: OffsetDateTime,
) -> (FlowOutcome, HolderOutcome) {
    let c = default_provider();
    let (de, _uuid, session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let (reader_end, holder_end) = memory_pair();
    let mut reader_link = BleFramedLink::new(reader_end, MTU).unwrap();
    let mut holder_link = BleFramedLink::new(holder_end, MTU).unwrap();
    std::thread::scope(|s| {
        let holder = s.spawn(move || {
            let mut hl = HolderLoop::new(store, policy, session);
            run_holder(
                &mut hl,
                &mut holder_link,
                c,
                &Instant::now,
                HolderDeadlines::default(),
                now,
                &mut |_| {},
            )
        });
        let mut flow = ReaderFlow::new(c, config, &Engagement::Qr { uri }).unwrap();
        let out = run_reader(&mut flow, &mut reader_link, c, &Instant::now, now);
        (out, holder.join().unwrap())
    })
}
