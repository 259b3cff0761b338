//! Property tests: encode/decode round trips of the 18013-5 structures Kakunin builds.

use crate::cbor::{decode, wrap_tag24, Encoder};
use crate::cose::{decode_cose_key, encode_cose_key};
use crate::crypto::{default_provider, Curve};
use crate::mdoc::SessionTranscript;
use crate::session::{Role, SessionCipher, SessionData, SessionEstablishment, SessionKeys};
use proptest::prelude::*;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn session_data_round_trip(data in proptest::option::of(bytes(300)), status in proptest::option::of(0u64..100)) {
        prop_assume!(data.is_some() || status.is_some());
        let sd = SessionData { data, status };
        let encoded = sd.to_bytes();
        prop_assert_eq!(SessionData::from_bytes(&encoded).unwrap(), sd);
    }

    #[test]
    fn session_establishment_round_trip(key in bytes(80), data in bytes(500)) {
        let se = SessionEstablishment { e_reader_key_bytes: wrap_tag24(&key), data };
        let encoded = se.to_bytes();
        let back = SessionEstablishment::from_bytes(&encoded).unwrap();
        prop_assert_eq!(&back, &se);
        prop_assert_eq!(back.to_bytes(), encoded);
    }

    #[test]
    fn transcript_build_parse_round_trip(de in bytes(120), ek in bytes(90), hs in bytes(200)) {
        let de = wrap_tag24(&de);
        let ek = wrap_tag24(&ek);
        let mut h = Encoder::new();
        h.array(2).bytes(&hs).null();
        let handover = h.into_bytes();
        let t = SessionTranscript::build(&de, &ek, &handover);
        let from_tagged = SessionTranscript::from_bytes(t.tagged_bytes()).unwrap();
        let from_bare = SessionTranscript::from_bytes(t.bare_bytes()).unwrap();
        prop_assert_eq!(&from_tagged, &t);
        prop_assert_eq!(&from_bare, &t);
        prop_assert_eq!(t.device_engagement_bytes().unwrap(), de);
        prop_assert_eq!(t.e_reader_key_bytes().unwrap(), ek);
        prop_assert_eq!(t.handover_bytes().unwrap(), handover);
    }

    #[test]
    fn session_cipher_round_trip(messages in proptest::collection::vec(bytes(2000), 1..6), sk in any::<[u8; 32]>(), dk in any::<[u8; 32]>()) {
        let c = default_provider();
        let keys = || SessionKeys { sk_reader: sk, sk_device: dk };
        let mut reader = SessionCipher::new(keys(), Role::Reader);
        let mut mdoc = SessionCipher::new(keys(), Role::Mdoc);
        for m in &messages {
            let ct = reader.encrypt(c, m).unwrap();
            prop_assert_eq!(&mdoc.decrypt(c, &ct).unwrap(), m);
            let back = mdoc.encrypt(c, m).unwrap();
            prop_assert_eq!(&reader.decrypt(c, &back).unwrap(), m);
        }
    }
}

#[test]
fn cose_key_round_trip_all_curves() {
    let c = default_provider();
    for curve in [Curve::P256, Curve::P384, Curve::P521] {
        for _ in 0..8 {
            let public = c.public_key(&c.generate_key(curve).unwrap()).unwrap();
            let encoded = encode_cose_key(&public);
            let item = decode(&encoded).unwrap();
            assert_eq!(decode_cose_key(&item).unwrap(), public);
        }
    }
}
