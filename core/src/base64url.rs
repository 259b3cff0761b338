//! base64url (RFC 4648 §5) without padding, as JOSE (RFC 7515 §2), SD-JWT (RFC 9901 §4.2)
//! and the Token Status List's `lst` (draft-ietf-oauth-status-list §4.1) use it.
//!
//! Every base64url text a verifier receives goes through here: the JWS parts, the
//! Disclosures, the status list's compressed bytes (a 2^20-entry list is tens of KB of
//! text, decoded twice: the JWS payload, then `lst` inside it). The codec is `base64-simd`,
//! about 4× the scalar `base64` crate on these sizes (decision 0008, session 18). Decoding
//! is strict in the same way as the `base64` crate's `URL_SAFE_NO_PAD`: no padding, no
//! characters outside the URL-safe alphabet, and no non-zero bits after the last whole
//! byte (the tests below hold the two equal on every short text and on random long ones).

use base64_simd::URL_SAFE_NO_PAD;

/// Encode without padding.
pub fn encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode_to_string(data)
}

/// Decode a text without padding; `None` if it is not canonical base64url.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode_to_vec(text.as_bytes()).ok()
}

/// Decode a text with or without trailing `=` padding (for fields where senders differ);
/// `None` if what is left is not canonical base64url.
pub fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    decode(text.trim_end_matches('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn reference(text: &[u8]) -> Option<Vec<u8>> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()
    }

    /// Every text of up to five characters over an alphabet with the edge cases (the
    /// first and last URL-safe letters of each 6-bit group, padding, standard-alphabet
    /// and foreign characters) decodes exactly as the `base64` crate decodes it.
    #[test]
    fn agrees_with_the_base64_crate_on_every_short_text() {
        let alphabet = b"AQgw_-=+/ .";
        let mut pending: Vec<Vec<u8>> = vec![Vec::new()];
        let mut seen = 0usize;
        while let Some(text) = pending.pop() {
            seen += 1;
            let ours = std::str::from_utf8(&text).ok().and_then(decode);
            assert_eq!(
                ours,
                reference(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            if text.len() < 5 {
                for &c in alphabet {
                    let mut longer = text.clone();
                    longer.push(c);
                    pending.push(longer);
                }
            }
        }
        assert!(seen > 170_000);
    }

    /// Random texts of up to 400 characters (the SIMD paths work on 32-byte blocks), one
    /// in five with a character replaced by one outside the alphabet.
    #[test]
    fn agrees_with_the_base64_crate_on_long_texts() {
        let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut valid, mut invalid) = (0, 0);
        for _ in 0..20_000 {
            let len = usize::try_from(next() % 400).unwrap();
            let mut text: Vec<u8> = (0..len)
                .map(|_| letters[usize::try_from(next() % 64).unwrap()])
                .collect();
            if len > 0 && next() % 5 == 0 {
                let at = usize::try_from(next()).unwrap() % len;
                text[at] = b"=+/ \n."[usize::try_from(next() % 6).unwrap()];
            }
            let ours = decode(std::str::from_utf8(&text).unwrap());
            assert_eq!(ours, reference(&text));
            if ours.is_some() {
                valid += 1;
                assert_eq!(encode(ours.as_deref().unwrap()).as_bytes(), &text[..]);
            } else {
                invalid += 1;
            }
        }
        // Both outcomes are exercised: lengths of 1 mod 4, bad tails and bad characters.
        assert!(valid > 5_000 && invalid > 5_000, "{valid} {invalid}");
    }

    #[test]
    fn lenient_decoding_drops_padding_only() {
        assert_eq!(decode_lenient("YQ=="), Some(b"a".to_vec()));
        assert_eq!(decode_lenient("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode("YQ=="), None);
        assert_eq!(decode_lenient("Y=Q"), None);
    }
}
