//! What the holder shows the reader to engage (ISO 18013-5 clause 8.2.1): a DeviceEngagement
//! offering BLE mdoc peripheral server mode under a fresh service UUID (for the QR code), and
//! the ephemeral device key and session for it.

use kakunin_core::cbor::{wrap_tag24, Value};
use kakunin_core::crypto::{CryptoError, CryptoProvider, Curve};
use kakunin_core::mdoc::encode_device_engagement;
use kakunin_transport::session::MdocSession;

/// DeviceRetrievalMethod type 2 (BLE), version 1.
const BLE: u64 = 2;

/// A DeviceEngagement offering BLE mdoc peripheral server mode with service `uuid`
/// (options 0: peripheral server mode, 1: central client mode, 10: its UUID).
pub fn ble_peripheral_engagement(
    e_device_pub: &kakunin_core::crypto::EcPublicKey,
    uuid: &[u8; 16],
) -> Vec<u8> {
    let method = Value::Array(vec![
        Value::Uint(BLE),
        Value::Uint(1),
        Value::Map(vec![
            (Value::Uint(0), Value::Bool(true)),
            (Value::Uint(1), Value::Bool(false)),
            (Value::Uint(10), Value::Bytes(uuid.to_vec())),
        ]),
    ]);
    encode_device_engagement(e_device_pub, &[method])
}

/// A fresh QR engagement over BLE peripheral server mode: the DeviceEngagement bytes (to put
/// in the `mdoc:` URI), the service UUID to advertise, and the mdoc session (Handover null).
pub fn qr_ble_engagement(
    crypto: &dyn CryptoProvider,
) -> Result<(Vec<u8>, [u8; 16], MdocSession), CryptoError> {
    let key = crypto.generate_key(Curve::P256)?;
    let public = crypto.public_key(&key)?;
    let mut uuid = [0u8; 16];
    crypto.fill_random(&mut uuid)?;
    let de = ble_peripheral_engagement(&public, &uuid);
    let session = MdocSession::new(key, wrap_tag24(&de), vec![0xf6]);
    Ok((de, uuid, session))
}
