//! The mdoc as GATT server (peripheral server mode) over BlueZ, via bluer. It moves single
//! characteristic values only (Client2Server writes in, Server2Client notifications out);
//! the clause 8.3.3.1.1 chunking is [`crate::ble_link::BleFramedLink`] on top, the same code
//! as over the simulated radio, so anything wrapping a value pipe (the holder simulator's
//! BLE fault profiles) works on the real radio too.

use super::radio::{uuid, RadioError};
use crate::ble::{peripheral_server, STATE_END, STATE_START};
use bluer::adv::{Advertisement, AdvertisementHandle};
use bluer::gatt::local::{
    Application, ApplicationHandle, Characteristic, CharacteristicNotifier, CharacteristicNotify,
    CharacteristicNotifyMethod, CharacteristicWrite, CharacteristicWriteMethod, Service,
};
use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

fn bt<E: std::fmt::Display>(e: E) -> RadioError {
    RadioError::Bluetooth(e.to_string())
}

/// An advertising mdoc GATT service.
pub struct Peripheral {
    _app: ApplicationHandle,
    _adv: AdvertisementHandle,
    values: mpsc::Receiver<Vec<u8>>,
    states: mpsc::Receiver<u8>,
    notifier: Arc<Mutex<Option<CharacteristicNotifier>>>,
    mtu: u16,
}

impl Peripheral {
    /// Register the service (State, Client2Server, Server2Client) and advertise `service`.
    pub async fn advertise(service: uuid::Uuid, mtu: u16) -> Result<Self, RadioError> {
        let session = bluer::Session::new().await.map_err(bt)?;
        let adapter = session.default_adapter().await.map_err(bt)?;
        adapter.set_powered(true).await.map_err(bt)?;
        let (value_tx, values) = mpsc::channel(1024);
        let (state_tx, states) = mpsc::channel(16);
        let notifier: Arc<Mutex<Option<CharacteristicNotifier>>> = Arc::new(Mutex::new(None));
        let n2 = notifier.clone();
        let app = Application {
            services: vec![Service {
                uuid: service,
                primary: true,
                characteristics: vec![
                    Characteristic {
                        uuid: uuid(peripheral_server::STATE),
                        write: Some(CharacteristicWrite {
                            write_without_response: true,
                            method: CharacteristicWriteMethod::Fun(Box::new(move |v, _| {
                                let tx = state_tx.clone();
                                async move {
                                    if let Some(b) = v.first() {
                                        let _ = tx.send(*b).await;
                                    }
                                    Ok(())
                                }
                                .boxed()
                            })),
                            ..Default::default()
                        }),
                        notify: Some(CharacteristicNotify {
                            notify: true,
                            method: CharacteristicNotifyMethod::Fun(Box::new(|_| async {}.boxed())),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    Characteristic {
                        uuid: uuid(peripheral_server::CLIENT2SERVER),
                        write: Some(CharacteristicWrite {
                            write_without_response: true,
                            method: CharacteristicWriteMethod::Fun(Box::new(move |v, _| {
                                let tx = value_tx.clone();
                                async move {
                                    let _ = tx.send(v).await;
                                    Ok(())
                                }
                                .boxed()
                            })),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    Characteristic {
                        uuid: uuid(peripheral_server::SERVER2CLIENT),
                        notify: Some(CharacteristicNotify {
                            notify: true,
                            method: CharacteristicNotifyMethod::Fun(Box::new(move |n| {
                                let slot = n2.clone();
                                async move {
                                    *slot.lock().await = Some(n);
                                }
                                .boxed()
                            })),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let app = adapter.serve_gatt_application(app).await.map_err(bt)?;
        let adv = adapter
            .advertise(Advertisement {
                service_uuids: [service].into_iter().collect(),
                discoverable: Some(true),
                local_name: Some("kakunin mdoc".into()),
                ..Default::default()
            })
            .await
            .map_err(bt)?;
        Ok(Peripheral {
            _app: app,
            _adv: adv,
            values,
            states,
            notifier,
            mtu,
        })
    }

    /// Wait for the reader to write 0x01 to State.
    pub async fn wait_start(&mut self, timeout: Duration) -> Result<(), RadioError> {
        loop {
            let s = tokio::time::timeout(timeout, self.states.recv())
                .await
                .map_err(|_| RadioError::Timeout)?
                .ok_or(RadioError::Closed)?;
            match s {
                STATE_START => return Ok(()),
                STATE_END => return Err(RadioError::Closed),
                _ => {}
            }
        }
    }

    /// The ATT MTU the values are cut for.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// The next Client2Server value. The reader writing State 0x02 (or the GATT
    /// application going away) ends the transaction: [`RadioError::Closed`].
    pub async fn receive_value(&mut self, timeout: Duration) -> Result<Vec<u8>, RadioError> {
        let Peripheral { values, states, .. } = self;
        let next = async {
            loop {
                tokio::select! {
                    value = values.recv() => return value.ok_or(RadioError::Closed),
                    state = states.recv() => match state {
                        Some(STATE_END) | None => return Err(RadioError::Closed),
                        Some(_) => {}
                    },
                }
            }
        };
        tokio::time::timeout(timeout, next)
            .await
            .map_err(|_| RadioError::Timeout)?
    }

    /// Notify one Server2Client value (the reader must have subscribed).
    pub async fn notify_value(&mut self, value: &[u8]) -> Result<(), RadioError> {
        let mut slot = self.notifier.lock().await;
        let notifier = slot.as_mut().ok_or(RadioError::Closed)?;
        notifier.notify(value.to_vec()).await.map_err(bt)
    }
}
