//! The few fields of an IACA certificate a VICAL entry needs (serial, issuer, subject,
//! validity, SubjectKeyIdentifier), read straight from its DER (RFC 5280 §4.1) without
//! building a full certificate structure.
//!
//! Why not x509-cert: a full parse of the Austroads list's 35 certificates cost about twice
//! the list's two signature verifications (the benchmark in core/benches/vical.rs), and the
//! list is re-verified on every trust reload. webpki (`anchor_from_trusted_cert`) still
//! reads each certificate before it is used as an anchor (once, on first use:
//! `crate::trust::anchors`); a full x509-cert parse happens once, for the anchor a chain
//! actually ends in. This reader
//! only walks definite-length TLVs with bounds-checked slicing.

use crate::trust::DistinguishedNameSummary;
use time::OffsetDateTime;

/// One DER TLV: its tag byte, content, and whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Read one TLV from the front of `input` (low tag numbers, definite lengths up to 2^24).
#[inline(always)]
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
#[inline]
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

/// Two ASCII digits as a number.
fn two_digits(pair: [u8; 2]) -> Option<u8> {
    let [a, b] = pair;
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
}

/// A certificate `Time` (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` (years 50–99 are 19xx,
/// 00–49 20xx) or GeneralizedTime `YYYYMMDDHHMMSSZ`, seconds present, `Z` only, a real
/// calendar date from 1970 on. These are the rules of the `der` crate's `UtcTime` and
/// `GeneralizedTime` decoders (which x509-cert uses), read here without their intermediate
/// types: this runs twice per VICAL entry on every trust reload.
fn time_of(t: &Tlv<'_>) -> Option<OffsetDateTime> {
    let (year, rest) = match (t.tag, t.content) {
        (0x17, [y1, y2, rest @ ..]) if rest.len() == 11 => {
            let yy = u16::from(two_digits([*y1, *y2])?);
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, rest)
        }
        (0x18, [y1, y2, y3, y4, rest @ ..]) if rest.len() == 11 => {
            let hi = u16::from(two_digits([*y1, *y2])?);
            let lo = u16::from(two_digits([*y3, *y4])?);
            (hi * 100 + lo, rest)
        }
        _ => return None,
    };
    let [m1, m2, d1, d2, h1, h2, n1, n2, s1, s2, b'Z'] = rest else {
        return None;
    };
    if year < 1970 {
        return None;
    }
    let month = time::Month::try_from(two_digits([*m1, *m2])?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::from(year), month, two_digits([*d1, *d2])?).ok()?;
    let time = time::Time::from_hms(
        two_digits([*h1, *h2])?,
        two_digits([*n1, *n2])?,
        two_digits([*s1, *s2])?,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
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

/// The first string value of attribute `oid` in a DER Name (UTF8String, PrintableString,
/// TeletexString, IA5String or VisibleString holding UTF-8), borrowed from the Name.
pub(super) fn name_attribute<'a>(name_der: &'a [u8], oid: &[u8]) -> Option<&'a str> {
    let (name, _) = expect(name_der, SEQUENCE)?;
    let mut sets = name.content;
    while let Some((set, rest)) = expect(sets, SET) {
        sets = rest;
        let mut atvs = set.content;
        while let Some((atv, rest)) = expect(atvs, SEQUENCE) {
            atvs = rest;
            let Some((found, v)) = expect(atv.content, 0x06) else {
                continue;
            };
            if found.content != oid {
                continue;
            }
            let Some((value, _)) = tlv(v) else { continue };
            if !matches!(value.tag, 0x0c | 0x13 | 0x14 | 0x16 | 0x1a) {
                continue;
            }
            if let Ok(text) = std::str::from_utf8(value.content) {
                return Some(text);
            }
        }
    }
    None
}

/// The countryName of a DER Name, borrowed (what `issuingCountry` is compared with).
pub(super) fn name_country(name_der: &[u8]) -> Option<&str> {
    name_attribute(name_der, OID_C)
}

/// CN, C, ST and O of a DER Name (the first string value of each), as
/// [`DistinguishedNameSummary::of`] reads them.
pub(super) fn name_summary(name_der: &[u8]) -> DistinguishedNameSummary {
    let get = |oid| name_attribute(name_der, oid).map(str::to_string);
    DistinguishedNameSummary {
        common_name: get(OID_CN),
        country: get(OID_C),
        state: get(OID_ST),
        organization: get(OID_O),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;

    fn der_time(tag: u8, text: &str) -> Option<OffsetDateTime> {
        let mut enc = vec![tag, u8::try_from(text.len()).unwrap()];
        enc.extend_from_slice(text.as_bytes());
        let d = match tag {
            0x17 => der::asn1::UtcTime::from_der(&enc).ok()?.to_unix_duration(),
            _ => der::asn1::GeneralizedTime::from_der(&enc)
                .ok()?
                .to_unix_duration(),
        };
        OffsetDateTime::from_unix_timestamp(i64::try_from(d.as_secs()).ok()?).ok()
    }

    /// The inline `Time` reader accepts and refuses exactly what the `der` crate does.
    #[test]
    fn times_agree_with_der() {
        for (tag, text) in [
            (0x17, "240919000000Z"),
            (0x17, "491231235959Z"),
            (0x17, "500101000000Z"),
            (0x17, "700101000000Z"),
            (0x17, "690101000000Z"),
            (0x17, "240229120000Z"),
            (0x17, "230229120000Z"),
            (0x17, "241301000000Z"),
            (0x17, "240100000000Z"),
            (0x17, "240431000000Z"),
            (0x17, "240101240000Z"),
            (0x17, "240101006000Z"),
            (0x17, "240101000060Z"),
            (0x17, "2401010000Z"),
            (0x17, "240101000000+0000"),
            (0x17, "24010100000aZ"),
            (0x17, "2401010000000"),
            (0x17, "240101000000Z0"),
            (0x18, "20500101000000Z"),
            (0x18, "99991231235959Z"),
            (0x18, "19691231235959Z"),
            (0x18, "21000229000000Z"),
            (0x18, "20000229000000Z"),
            (0x18, "20240101000000.5Z"),
            (0x18, "2024010100000Z"),
            (0x18, "2024-1010000000Z"),
        ] {
            let tlv = Tlv {
                tag,
                content: text.as_bytes(),
                whole: &[],
            };
            assert_eq!(time_of(&tlv), der_time(tag, text), "{tag:#x} {text}");
        }
        assert!(der_time(0x17, "240919000000Z").is_some());
        let other = Tlv {
            tag: 0x04,
            content: b"240919000000Z",
            whole: &[],
        };
        assert_eq!(time_of(&other), None);
    }

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
