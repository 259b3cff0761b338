//! The reader as GATT client (mdoc peripheral server mode) over btleplug. It moves single
//! characteristic values only; the clause 8.3.3.1.1 chunking is
//! [`crate::ble_link::BleFramedLink`] on top, the same code as over the simulated radio.

use super::radio::{uuid, RadioError};
use crate::ble::{peripheral_server, STATE_END, STATE_START};
use btleplug::api::{
    Central as _, Characteristic, Manager as _, Peripheral as _, ScanFilter, ValueNotification,
    WriteType,
};
use btleplug::platform::{Manager, Peripheral};
use futures::stream::{Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;

fn bt<E: std::fmt::Display>(e: E) -> RadioError {
    RadioError::Bluetooth(e.to_string())
}

/// A connection to an mdoc's GATT service.
pub struct Central {
    peripheral: Peripheral,
    state: Characteristic,
    client2server: Characteristic,
    server2client: Characteristic,
    notifications: Pin<Box<dyn Stream<Item = ValueNotification> + Send>>,
    mtu: u16,
}

impl Central {
    /// Scan for the service UUID from the DeviceEngagement (key 10), connect, find the
    /// characteristics and subscribe to State and Server2Client. `mtu` is the ATT MTU to
    /// chunk for (BlueZ negotiates it; 185 is safe for current phones, 23 always works).
    pub async fn connect(
        service: uuid::Uuid,
        mtu: u16,
        timeout: Duration,
    ) -> Result<Self, RadioError> {
        let manager = Manager::new().await.map_err(bt)?;
        let adapter = manager
            .adapters()
            .await
            .map_err(bt)?
            .into_iter()
            .next()
            .ok_or(RadioError::NoAdapter)?;
        adapter
            .start_scan(ScanFilter {
                services: vec![service],
            })
            .await
            .map_err(bt)?;
        let deadline = tokio::time::Instant::now() + timeout;
        let peripheral = loop {
            let mut found = None;
            for p in adapter.peripherals().await.map_err(bt)? {
                if let Ok(Some(props)) = p.properties().await {
                    if props.services.contains(&service) {
                        found = Some(p);
                        break;
                    }
                }
            }
            if let Some(p) = found {
                break p;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(RadioError::NotFound);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let _ = adapter.stop_scan().await;
        peripheral.connect().await.map_err(bt)?;
        peripheral.discover_services().await.map_err(bt)?;
        let chars = peripheral.characteristics();
        let find = |id: &'static str| {
            let u = uuid(id);
            chars
                .iter()
                .find(|c| c.uuid == u)
                .cloned()
                .ok_or(RadioError::MissingCharacteristic(id))
        };
        let state = find(peripheral_server::STATE)?;
        let client2server = find(peripheral_server::CLIENT2SERVER)?;
        let server2client = find(peripheral_server::SERVER2CLIENT)?;
        peripheral.subscribe(&state).await.map_err(bt)?;
        peripheral.subscribe(&server2client).await.map_err(bt)?;
        let notifications = peripheral.notifications().await.map_err(bt)?;
        Ok(Central {
            peripheral,
            state,
            client2server,
            server2client,
            notifications,
            mtu,
        })
    }

    /// Write 0x01 to State: the transaction starts.
    pub async fn start(&self) -> Result<(), RadioError> {
        self.peripheral
            .write(&self.state, &[STATE_START], WriteType::WithoutResponse)
            .await
            .map_err(bt)
    }

    /// The ATT MTU the values are cut for.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// Write one Client2Server value.
    pub async fn write_value(&self, value: &[u8]) -> Result<(), RadioError> {
        self.peripheral
            .write(&self.client2server, value, WriteType::WithoutResponse)
            .await
            .map_err(bt)
    }

    /// The next Server2Client notification. The mdoc notifying State 0x02, or the
    /// notification stream ending, closes the transaction: [`RadioError::Closed`].
    pub async fn next_value(&mut self, timeout: Duration) -> Result<Vec<u8>, RadioError> {
        let (s2c, state) = (self.server2client.uuid, self.state.uuid);
        let notifications = &mut self.notifications;
        let next = async {
            loop {
                let n = notifications.next().await.ok_or(RadioError::Closed)?;
                if n.uuid == state && n.value.first() == Some(&STATE_END) {
                    return Err(RadioError::Closed);
                }
                if n.uuid == s2c {
                    return Ok(n.value);
                }
            }
        };
        tokio::time::timeout(timeout, next)
            .await
            .map_err(|_| RadioError::Timeout)?
    }

    /// Write 0x02 to State and disconnect.
    pub async fn end(self) -> Result<(), RadioError> {
        let _ = self
            .peripheral
            .write(&self.state, &[STATE_END], WriteType::WithoutResponse)
            .await;
        self.peripheral.disconnect().await.map_err(bt)
    }
}
