//! The few fields of an IACA certificate a VICAL entry needs (serial, issuer, subject,
//! validity, SubjectKeyIdentifier), read straight from its DER (RFC 5280 §4.1) without
//! building a full certificate structure.
//!
//! Why not x509-cert: a full parse of the Austroads list's 35 certificates cost about twice
//! the list's two signature verifications (the benchmark in core/benches/vical.rs), and the
//! list is re-verified on every trust reload. The certificate's well-formedness is still
//! checked by webpki (`anchor_from_trusted_cert`) before an entry is accepted; a full
//! x509-cert parse happens later, once, for the anchor a chain actually ends in. This reader
//! only walks definite-length TLVs with bounds-checked slicing.

use crate::trust::DistinguishedNameSummary;
use der::Decode;
use time::OffsetDateTime;

/// One DER TLV: its tag byte, content, and whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Read one TLV from the front of `input` (low tag numbers, definite lengths up to 2^24).
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    let (content, after) = rest.split_at_checked(len)?;
    let whole = input.get(..input.len() - after.len())?;
    Some((
        Tlv {
            tag,
            content,
            whole,
        },
        after,
    ))
}

/// Read one TLV that must have tag `tag`.
fn expect(input: &[u8], tag: u8) -> Option<(Tlv<'_>, &[u8])> {
    tlv(input).filter(|(t, _)| t.tag == tag)
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID_SKI: &[u8] = &[0x55, 0x1d, 0x0e];
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_C: &[u8] = &[0x55, 0x04, 0x06];
const OID_ST: &[u8] = &[0x55, 0x04, 0x08];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

/// The fields, borrowed from the certificate's DER.
pub(super) struct CertFields<'a> {
    /// serialNumber's INTEGER content.
    pub(super) serial: &'a [u8],
    /// The issuer Name, whole DER.
    pub(super) issuer: &'a [u8],
    /// The subject Name, whole DER.
    pub(super) subject: &'a [u8],
    pub(super) not_before: OffsetDateTime,
    pub(super) not_after: OffsetDateTime,
    /// The SubjectKeyIdentifier keyIdentifier, if the extension is present.
    pub(super) ski: Option<&'a [u8]>,
}

fn time_of(t: &Tlv<'_>) -> Option<OffsetDateTime> {
    let d = match t.tag {
        0x17 => der::asn1::UtcTime::from_der(t.whole)
            .ok()?
            .to_unix_duration(),
        0x18 => der::asn1::GeneralizedTime::from_der(t.whole)
            .ok()?
            .to_unix_duration(),
        _ => return None,
    };
    OffsetDateTime::from_unix_timestamp(i64::try_from(d.as_secs()).ok()?).ok()
}

/// The fields of `der`, or `None` if it is not shaped like an X.509 certificate.
pub(super) fn cert_fields(der: &[u8]) -> Option<CertFields<'_>> {
    let (cert, rest) = expect(der, SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (tbs, _) = expect(cert.content, SEQUENCE)?;
    let (mut t, mut r) = tlv(tbs.content)?;
    if t.tag == 0xa0 {
        (t, r) = tlv(r)?;
    }
    if t.tag != 0x02 {
        return None;
    }
    let serial = t.content;
    let (_sig_alg, r) = expect(r, SEQUENCE)?;
    let (issuer, r) = expect(r, SEQUENCE)?;
    let (validity, r) = expect(r, SEQUENCE)?;
    let (nb, vr) = tlv(validity.content)?;
    let (na, _) = tlv(vr)?;
    let (subject, r) = expect(r, SEQUENCE)?;
    let (_spki, mut r) = expect(r, SEQUENCE)?;
    let mut ski = None;
    while !r.is_empty() {
        let (t, rest) = tlv(r)?;
        r = rest;
        if t.tag != 0xa3 {
            continue;
        }
        let (exts, _) = expect(t.content, SEQUENCE)?;
        let mut e = exts.content;
        while !e.is_empty() {
            let (ext, rest) = expect(e, SEQUENCE)?;
            e = rest;
            let (oid, mut x) = expect(ext.content, 0x06)?;
            if oid.content != OID_SKI {
                continue;
            }
            if let Some((b, rest)) = expect(x, 0x01) {
                let _ = b;
                x = rest;
            }
            let (value, _) = expect(x, 0x04)?;
            let (key_id, _) = expect(value.content, 0x04)?;
            ski = Some(key_id.content);
        }
    }
    Some(CertFields {
        serial,
        issuer: issuer.whole,
        subject: subject.whole,
        not_before: time_of(&nb)?,
        not_after: time_of(&na)?,
        ski,
    })
}

/// CN, C, ST and O of a DER Name (the first string value of each), as
/// [`DistinguishedNameSummary::of`] reads them.
pub(super) fn name_summary(name_der: &[u8]) -> DistinguishedNameSummary {
    let mut s = DistinguishedNameSummary::default();
    let Some((name, _)) = expect(name_der, SEQUENCE) else {
        return s;
    };
    let mut sets = name.content;
    while let Some((set, rest)) = expect(sets, SET) {
        sets = rest;
        let mut atvs = set.content;
        while let Some((atv, rest)) = expect(atvs, SEQUENCE) {
            atvs = rest;
            let Some((oid, v)) = expect(atv.content, 0x06) else {
                continue;
            };
            let Some((value, _)) = tlv(v) else { continue };
            // UTF8String, PrintableString, TeletexString, IA5String, VisibleString.
            if !matches!(value.tag, 0x0c | 0x13 | 0x14 | 0x16 | 0x1a) {
                continue;
            }
            let Ok(text) = std::str::from_utf8(value.content) else {
                continue;
            };
            let slot = match oid.content {
                OID_CN => &mut s.common_name,
                OID_C => &mut s.country,
                OID_ST => &mut s.state,
                OID_O => &mut s.organization,
                _ => continue,
            };
            slot.get_or_insert_with(|| text.to_string());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUSTROADS: &[u8] =
        include_bytes!("../../../../spec-vectors/data/vical/austroads-20240919.vical");

    /// Every certificate of the Austroads list (and its signer) reads the same as with
    /// x509-cert.
    #[test]
    fn agrees_with_x509_cert() {
        use der::Encode;
        let top = crate::cbor::decode(AUSTROADS).unwrap();
        let payload = crate::cbor::decode(top.as_array().unwrap()[2].as_bytes().unwrap()).unwrap();
        let mut certs: Vec<Vec<u8>> = payload
            .get_text_key("certificateInfos")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e.get_text_key("certificate")
                    .unwrap()
                    .as_bytes()
                    .unwrap()
                    .to_vec()
            })
            .collect();
        certs.push(
            top.as_array().unwrap()[1]
                .get_int_key(33)
                .unwrap()
                .as_bytes()
                .unwrap()
                .to_vec(),
        );
        assert_eq!(certs.len(), 36);
        for der in &certs {
            let f = cert_fields(der).unwrap();
            let c = x509_cert::Certificate::from_der(der).unwrap();
            let tbs = &c.tbs_certificate;
            assert_eq!(f.serial, tbs.serial_number.as_bytes());
            assert_eq!(f.issuer, tbs.issuer.to_der().unwrap());
            assert_eq!(f.subject, tbs.subject.to_der().unwrap());
            let (nb, na) = crate::trust::validity(&c);
            assert_eq!((f.not_before, f.not_after), (nb, na));
            assert_eq!(
                name_summary(f.subject),
                DistinguishedNameSummary::of(&tbs.subject)
            );
            assert_eq!(
                name_summary(f.issuer),
                DistinguishedNameSummary::of(&tbs.issuer)
            );
            let ski = tbs.extensions.as_ref().and_then(|e| {
                e.iter()
                    .find(|x| x.extn_id.as_bytes() == OID_SKI)
                    .map(|x| der::asn1::OctetString::from_der(x.extn_value.as_bytes()).unwrap())
            });
            assert_eq!(f.ski, ski.as_ref().map(|o| o.as_bytes()));
        }
        for junk in [
            &b""[..],
            &[0x30, 0x80],
            &[0x30, 0x03, 0x30, 0x01, 0x00],
            &[0x30, 0x84, 1, 1, 1, 1],
        ] {
            assert!(cert_fields(junk).is_none());
        }
        assert_eq!(
            name_summary(b"\x30\x05junk"),
            DistinguishedNameSummary::default()
        );
    }
}
