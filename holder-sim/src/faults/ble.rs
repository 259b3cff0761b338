//! The BLE fault profiles (ISO 18013-5 clause 8.3.3.1.1: each characteristic value starts
//! with 0x01 when more follow and 0x00 on the last, and is at most ATT MTU - 3 bytes): a
//! [`ValuePipe`] wrapper between the holder's [`kakunin_transport::ble_link::BleFramedLink`]
//! and the medium, so the framing code itself stays correct. The fault acts on the first
//! message the holder sends (its answer to the reader's request); later messages pass as
//! they are.

use super::{Fault, FaultError, FaultLayer};
use kakunin_transport::ble_link::ValuePipe;
use kakunin_transport::link::LinkError;
use std::time::{Duration, Instant};

/// Continuation flag of a non-final chunk.
const MORE: u8 = 0x01;
/// Continuation flag of the final chunk.
const LAST: u8 = 0x00;

/// How `ble-slow-drip` drips: one value per `interval`, and after `give_up` of dripping it
/// disconnects, so a reader with no deadline is not held for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drip {
    /// Pause before each value of the response.
    pub interval: Duration,
    /// Total dripping time after which the holder disconnects.
    pub give_up: Duration,
}

impl Default for Drip {
    /// One value a second, for at most two minutes.
    fn default() -> Self {
        Drip {
            interval: Duration::from_secs(1),
            give_up: Duration::from_secs(120),
        }
    }
}

/// A value pipe that breaks the BLE framing of the holder's answer in one way.
pub struct BleFaultPipe<P> {
    inner: P,
    fault: Fault,
    drip: Drip,
    sleep: fn(Duration),
    /// Values of the first outgoing message, held until its final value.
    pending: Vec<Vec<u8>>,
    /// The first outgoing message has gone (with its fault).
    faulted: bool,
    /// The holder disconnected on purpose.
    disconnected: bool,
}

impl<P: ValuePipe> BleFaultPipe<P> {
    /// Wrap `inner` with a [`FaultLayer::Ble`] profile; any other is a
    /// [`FaultError::WrongLayer`].
    pub fn new(inner: P, fault: Fault) -> Result<Self, FaultError> {
        if fault.layer() != FaultLayer::Ble {
            return Err(FaultError::WrongLayer {
                fault,
                layer: fault.layer(),
                here: FaultLayer::Ble,
            });
        }
        Ok(BleFaultPipe {
            inner,
            fault,
            drip: Drip::default(),
            sleep: std::thread::sleep,
            pending: Vec::new(),
            faulted: false,
            disconnected: false,
        })
    }

    /// Drip at another pace (tests use milliseconds).
    pub fn with_drip(mut self, drip: Drip) -> Self {
        self.drip = drip;
        self
    }

    /// The pipe underneath.
    pub fn into_inner(self) -> P {
        self.inner
    }

    fn disconnect(&mut self) -> Result<(), LinkError> {
        self.disconnected = true;
        self.inner.close_pipe()
    }

    /// Send the whole first message, broken as the profile says.
    fn send_faulted(&mut self, mut values: Vec<Vec<u8>>) -> Result<(), LinkError> {
        match self.fault {
            Fault::BleOversizeFirstWrite => {
                // The first two chunks as one value: one flag, twice the payload the MTU
                // allows. A single-chunk message gets its payload doubled instead.
                let second = if values.len() >= 2 {
                    Some(values.remove(1))
                } else {
                    values.first().cloned()
                };
                if let (Some(first), Some(second)) = (values.first_mut(), second) {
                    first.extend(second.iter().skip(1));
                }
            }
            Fault::BleWrongContinuationByte => {
                if let Some(flag) = values.first_mut().and_then(|v| v.first_mut()) {
                    *flag = if *flag == MORE { LAST } else { MORE };
                }
            }
            Fault::BleNotificationDropped => {
                let drop_at = if values.len() >= 3 { 1 } else { 0 };
                if drop_at < values.len() {
                    values.remove(drop_at);
                }
            }
            Fault::BleDisconnectMidResponse => {
                let half = values.len().div_ceil(2).min(values.len().saturating_sub(1));
                for v in values.iter().take(half.max(1)) {
                    self.inner.send_value(v)?;
                }
                return self.disconnect();
            }
            Fault::BleSlowDrip => {
                let mut dripped = Duration::ZERO;
                for v in &values {
                    if dripped >= self.drip.give_up {
                        return self.disconnect();
                    }
                    (self.sleep)(self.drip.interval);
                    dripped = dripped.saturating_add(self.drip.interval);
                    self.inner.send_value(v)?;
                }
                return Ok(());
            }
            _ => {}
        }
        for v in &values {
            self.inner.send_value(v)?;
        }
        Ok(())
    }
}

impl<P: ValuePipe> ValuePipe for BleFaultPipe<P> {
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError> {
        if self.disconnected {
            return Err(LinkError::Closed);
        }
        if self.faulted {
            return self.inner.send_value(value);
        }
        self.pending.push(value.to_vec());
        if value.first() == Some(&LAST) || value.is_empty() {
            self.faulted = true;
            let values = std::mem::take(&mut self.pending);
            return self.send_faulted(values);
        }
        Ok(())
    }

    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        if self.disconnected {
            return Err(LinkError::Closed);
        }
        self.inner.receive_value(deadline)
    }

    fn close_pipe(&mut self) -> Result<(), LinkError> {
        if self.disconnected {
            return Ok(());
        }
        self.inner.close_pipe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_transport::link::memory_pair;

    /// What the reader side sees of a message of `chunks` values at MTU 23 (20 payload
    /// bytes per value) sent through the profile.
    fn through(fault: Fault, chunks: usize) -> (Vec<Vec<u8>>, Result<Vec<u8>, LinkError>) {
        let (a, mut b) = memory_pair();
        let mut pipe = BleFaultPipe::new(a, fault).unwrap().with_drip(Drip {
            interval: Duration::from_millis(1),
            give_up: Duration::from_millis(3),
        });
        for i in 0..chunks {
            let flag = if i + 1 == chunks { LAST } else { MORE };
            let mut v = vec![flag];
            v.extend(std::iter::repeat_n(u8::try_from(i).unwrap(), 20));
            pipe.send_value(&v).unwrap();
        }
        let later = pipe.send_value(&[LAST, 0xee]).map(|()| Vec::new());
        let mut seen = Vec::new();
        while let Ok(v) = b.receive_value(Instant::now() + Duration::from_millis(20)) {
            seen.push(v);
        }
        (seen, later)
    }

    #[test]
    fn each_profile_breaks_the_first_message_one_way() {
        let (v, _) = through(Fault::BleOversizeFirstWrite, 4);
        assert_eq!(v.first().unwrap().len(), 41);
        assert_eq!(v.len(), 3 + 1);
        let (v, _) = through(Fault::BleWrongContinuationByte, 4);
        assert_eq!(v.first().unwrap().first(), Some(&LAST));
        assert_eq!(v.len(), 5);
        let (v, _) = through(Fault::BleNotificationDropped, 4);
        assert_eq!(v.len(), 3 + 1);
        assert!(v.iter().all(|x| x.get(1) != Some(&1)));
        let (v, later) = through(Fault::BleDisconnectMidResponse, 4);
        assert_eq!(v.len(), 2);
        assert_eq!(later, Err(LinkError::Closed));
        // Three intervals of dripping, then the holder gives up and disconnects.
        let (v, later) = through(Fault::BleSlowDrip, 10);
        assert_eq!(v.len(), 3);
        assert_eq!(later, Err(LinkError::Closed));
        assert!(BleFaultPipe::new(memory_pair().0, Fault::DigestSwap).is_err());
    }
}
