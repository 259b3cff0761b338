//! The fields of a certificate that Kakunin reads after webpki (or nothing) has checked it:
//! serial, issuer, subject, validity, SubjectPublicKeyInfo and the extensions (RFC 5280
//! §4.1), found by walking its DER without building a full certificate structure.
//!
//! Why not x509-cert here: its full parse of one 815-byte VICAL signer certificate took
//! 3.6 us, as much as the rest of that chain's validation without the signature, and a full
//! parse of the Austroads list's 35 IACAs cost about twice the list's two signature
//! verifications (core/benches/vical.rs; decisions 0012 and 0025). Two readers use this walk:
//! - a VICAL entry ([`cert_fields`] for its certificate): webpki (`anchor_from_trusted_cert`)
//!   still reads each certificate before it is used as an anchor (once, on first use:
//!   `crate::trust::anchors`), and a full x509-cert parse happens once, for the anchor a
//!   chain actually ends in;
//! - path validation ([`crate::trust::validate_chain`]) for the chain it is given: webpki
//!   parses every certificate on the path strictly, and the values read here (key usage,
//!   basic constraints, EKU, the public key, the serial number's length rule) are decoded by
//!   x509-cert's and spki's own types.
//!
//! The walk reads definite-length TLVs with bounds-checked slicing only.

use crate::trust::DistinguishedNameSummary;
use time::OffsetDateTime;

/// One DER TLV: its tag byte, content, and whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Read one TLV from the front of `input` (low tag numbers, definite lengths up to 2^24).
/// The length forms are matched whole (short, then one to three length bytes), since this
/// runs for every TLV of every VICAL entry's certificate.
#[inline(always)]
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let &[tag, first, ..] = input else {
        return None;
    };
    if tag & 0x1f == 0x1f {
        return None;
    }
    let byte = |i: usize| input.get(i).map(|b| usize::from(*b));
    let (len, header) = match first {
        0..=0x7f => (usize::from(first), 2),
        0x81 => (byte(2)?, 3),
        0x82 => ((byte(2)? << 8) | byte(3)?, 4),
        0x83 => ((byte(2)? << 16) | (byte(3)? << 8) | byte(4)?, 5),
        _ => return None,
    };
    let (whole, after) = input.split_at_checked(header + len)?;
    let content = whole.get(header..)?;
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
pub(crate) struct CertFields<'a> {
    /// serialNumber's INTEGER content.
    pub(crate) serial: &'a [u8],
    /// serialNumber's whole INTEGER encoding (for x509-cert's serial number rules).
    pub(crate) serial_der: &'a [u8],
    /// The issuer Name, whole DER.
    pub(crate) issuer: &'a [u8],
    /// The subject Name, whole DER.
    pub(crate) subject: &'a [u8],
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    /// notBefore and notAfter as encoded (what a VICAL's hints are compared with first).
    pub(crate) validity_text: [CertTime<'a>; 2],
    /// The SubjectPublicKeyInfo, whole DER.
    pub(crate) spki: &'a [u8],
    /// The content of the Extensions SEQUENCE (empty without extensions).
    extensions: &'a [u8],
    /// The SubjectKeyIdentifier keyIdentifier, if the extension is present.
    pub(crate) ski: Option<&'a [u8]>,
}

impl<'a> CertFields<'a> {
    /// The extnValue of the first extension whose OID has the content octets `oid` (the DER
    /// of the extension's own value), or `None` if there is none.
    pub(crate) fn extension(&self, oid: &[u8]) -> Option<&'a [u8]> {
        extensions(self.extensions)
            .find(|(found, _)| *found == oid)
            .map(|(_, value)| value)
    }
}

/// The extensions in `content` (an Extensions SEQUENCE's content, whose shape
/// [`cert_fields`] checked) as (OID content, extnValue content).
fn extensions(content: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = content;
    core::iter::from_fn(move || {
        let (ext, after) = expect(rest, SEQUENCE)?;
        rest = after;
        let (oid, mut x) = expect(ext.content, 0x06)?;
        if let Some((_critical, after)) = expect(x, 0x01) {
            x = after;
        }
        let (value, _) = expect(x, 0x04)?;
        Some((oid.content, value.content))
    })
}

/// A certificate `Time` as encoded, once [`time_of`] has accepted it: its tag (UTCTime or
/// GeneralizedTime) and content.
#[derive(Clone, Copy)]
pub(crate) struct CertTime<'a> {
    tag: u8,
    content: &'a [u8],
}

impl CertTime<'_> {
    /// Whether `text` is this time in the RFC 3339 form `YYYY-MM-DDTHH:MM:SSZ`, digit for
    /// digit (a UTCTime's two-digit year with the century RFC 5280 gives it). Then `text` is
    /// a valid date-time for the same instant, with no need to read it as a date; any other
    /// text may still be the same instant written otherwise, which only a full read tells.
    pub(crate) fn written_as(&self, text: &[u8]) -> bool {
        let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2, b'Z'] =
            text
        else {
            return false;
        };
        let (year, rest) = match (self.tag, self.content) {
            (0x17, [a, b, rest @ ..]) => {
                let century = if *a >= b'5' { *b"19" } else { *b"20" };
                ([century[0], century[1], *a, *b], rest)
            }
            (0x18, [a, b, c, d, rest @ ..]) => ([*a, *b, *c, *d], rest),
            _ => return false,
        };
        [y1, y2, y3, y4] == year
            && rest.get(..10) == Some(&[m1, m2, d1, d2, h1, h2, n1, n2, s1, s2][..])
    }
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
pub(crate) fn cert_fields(der: &[u8]) -> Option<CertFields<'_>> {
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
    let (serial, serial_der) = (t.content, t.whole);
    let (_sig_alg, r) = expect(r, SEQUENCE)?;
    let (issuer, r) = expect(r, SEQUENCE)?;
    let (validity, r) = expect(r, SEQUENCE)?;
    let (nb, vr) = tlv(validity.content)?;
    let (na, _) = tlv(vr)?;
    let (subject, r) = expect(r, SEQUENCE)?;
    let (spki, mut r) = expect(r, SEQUENCE)?;
    let mut extensions: &[u8] = &[];
    while !r.is_empty() {
        let (t, rest) = tlv(r)?;
        r = rest;
        if t.tag == 0xa3 {
            extensions = expect(t.content, SEQUENCE)?.0.content;
        }
    }
    // Every extension must have the shape `SEQUENCE { OID, [BOOLEAN], OCTET STRING }`, and
    // a SubjectKeyIdentifier's value must be an OCTET STRING.
    let mut ski = None;
    let mut e = extensions;
    while !e.is_empty() {
        let (ext, rest) = expect(e, SEQUENCE)?;
        e = rest;
        let (oid, mut x) = expect(ext.content, 0x06)?;
        if let Some((_critical, after)) = expect(x, 0x01) {
            x = after;
        }
        let (value, _) = expect(x, 0x04)?;
        if oid.content == OID_SKI {
            let (key_id, _) = expect(value.content, 0x04)?;
            ski = Some(key_id.content);
        }
    }
    Some(CertFields {
        serial,
        serial_der,
        issuer: issuer.whole,
        subject: subject.whole,
        not_before: time_of(&nb)?,
        not_after: time_of(&na)?,
        validity_text: [nb, na].map(|t| CertTime {
            tag: t.tag,
            content: t.content,
        }),
        spki: spki.whole,
        extensions,
        ski,
    })
}

/// Whether `name_der` is a Name shaped as RFC 5280 §4.1.2.4 says: a SEQUENCE of non-empty
/// SETs of `SEQUENCE { OID, value }`, each TLV definite and nothing left over.
pub(crate) fn name_well_formed(name_der: &[u8]) -> bool {
    let Some((name, rest)) = expect(name_der, SEQUENCE) else {
        return false;
    };
    if !rest.is_empty() {
        return false;
    }
    let mut sets = name.content;
    while !sets.is_empty() {
        let Some((set, rest)) = expect(sets, SET) else {
            return false;
        };
        sets = rest;
        if set.content.is_empty() {
            return false;
        }
        let mut atvs = set.content;
        while !atvs.is_empty() {
            let Some((atv, rest)) = expect(atvs, SEQUENCE) else {
                return false;
            };
            atvs = rest;
            let Some((_, value)) = expect(atv.content, 0x06) else {
                return false;
            };
            if !matches!(tlv(value), Some((_, after)) if after.is_empty()) {
                return false;
            }
        }
    }
    true
}

/// The first string value of attribute `oid` in a DER Name (UTF8String, PrintableString,
/// TeletexString, IA5String or VisibleString holding UTF-8), borrowed from the Name.
pub(crate) fn name_attribute<'a>(name_der: &'a [u8], oid: &[u8]) -> Option<&'a str> {
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
pub(crate) fn name_country(name_der: &[u8]) -> Option<&str> {
    name_attribute(name_der, OID_C)
}

/// CN, C, ST and O of a DER Name (the first string value of each), as
/// [`DistinguishedNameSummary::of`] reads them.
pub(crate) fn name_summary(name_der: &[u8]) -> DistinguishedNameSummary {
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

    /// A text that `written_as` takes is the same instant when read in full as RFC 3339,
    /// for UTCTimes of both centuries and GeneralizedTimes, with every byte of the matching
    /// text replaced by every byte value.
    #[test]
    fn written_as_is_the_same_instant() {
        let read = |b: &[u8]| {
            let s = std::str::from_utf8(b).ok()?;
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        };
        let mut taken = 0;
        for (tag, content, text) in [
            (0x17, "240919231959Z", "2024-09-19T23:19:59Z"),
            (0x17, "991231000000Z", "1999-12-31T00:00:00Z"),
            (0x17, "500101000000Z", "1950-01-01T00:00:00Z"),
            (0x18, "20510228120000Z", "2051-02-28T12:00:00Z"),
        ] {
            let tlv = Tlv {
                tag,
                content: content.as_bytes(),
                whole: &[],
            };
            let Some(own) = time_of(&tlv) else {
                // 1950 is before the Unix epoch, refused by `time_of`: never compared.
                assert_eq!(content, "500101000000Z");
                continue;
            };
            let t = CertTime {
                tag,
                content: content.as_bytes(),
            };
            assert!(t.written_as(text.as_bytes()), "{text}");
            assert_eq!(read(text.as_bytes()), Some(own));
            for at in 0..text.len() {
                for v in 0..=255u8 {
                    let mut b = text.as_bytes().to_vec();
                    b[at] = v;
                    if t.written_as(&b) {
                        taken += 1;
                        assert_eq!(read(&b), Some(own), "{b:?}");
                    }
                }
            }
            for other in [
                "2024-09-19T23:19:59+00:00",
                "2024-09-19T23:19:59.0Z",
                "2024-09-19t23:19:59z",
                "1924-09-19T23:19:59Z",
            ] {
                assert!(!t.written_as(other.as_bytes()), "{other}");
            }
        }
        // Only the unchanged texts (one per byte position).
        assert_eq!(taken, 3 * 20);
    }

    const AUSTROADS: &[u8] =
        include_bytes!("../../../spec-vectors/data/vical/austroads-20240919.vical");
    const AAMVA: &[u8] = include_bytes!("../../../spec-vectors/data/vical/aamva-20240924.vical");

    /// The entries' certificates and the `x5chain` of a VICAL.
    fn vical_certs(vical: &[u8]) -> Vec<Vec<u8>> {
        let top = crate::cbor::decode(vical).unwrap();
        let parts = top.as_array().unwrap();
        let payload = crate::cbor::decode(parts[2].as_bytes().unwrap()).unwrap();
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
        let x5 = parts[1].get_int_key(33).unwrap();
        match (x5.as_bytes(), x5.as_array()) {
            (Some(one), _) => certs.push(one.to_vec()),
            (_, Some(many)) => certs.extend(many.iter().map(|c| c.as_bytes().unwrap().to_vec())),
            _ => panic!("x5chain"),
        }
        certs
    }

    /// Every certificate of the spec vectors: both real VICALs' entries and signers, their
    /// roots, and the four of ISO 18013-5 Annex D.
    fn every_certificate() -> Vec<Vec<u8>> {
        let mut certs = vical_certs(AUSTROADS);
        assert_eq!(certs.len(), 36);
        certs.extend(vical_certs(AAMVA));
        for text in [
            include_str!("../../../spec-vectors/data/vical/austroads-root.pem"),
            include_str!("../../../spec-vectors/data/vical/aamva-dts-root.pem"),
            include_str!("../../../spec-vectors/data/annex-d/ds_cert.der.hex"),
            include_str!("../../../spec-vectors/data/annex-d/iaca_cert.der.hex"),
            include_str!("../../../spec-vectors/data/annex-d/reader_cert.der.hex"),
            include_str!("../../../spec-vectors/data/annex-d/reader_root_cert.der.hex"),
        ] {
            certs.push(crate::trust::parse_certificate_input(text.as_bytes()).unwrap());
        }
        certs
    }

    /// Every certificate of the spec vectors reads the same as with x509-cert: the fields a
    /// VICAL entry shows, and everything path validation and the Annex B checks take from
    /// a chain certificate.
    #[test]
    fn agrees_with_x509_cert() {
        use crate::trust::profile::{self, ProfileFields};
        use crate::trust::CertProfile;
        use der::Encode;
        let certs = every_certificate();
        assert_eq!(certs.len(), 48);
        let oids = [
            "2.5.29.14",
            "2.5.29.15",
            "2.5.29.17",
            "2.5.29.19",
            "2.5.29.35",
            "2.5.29.37",
        ]
        .map(der::asn1::ObjectIdentifier::new_unwrap);
        for der in &certs {
            let f = cert_fields(der).unwrap();
            let c = x509_cert::Certificate::from_der(der).unwrap();
            let tbs = &c.tbs_certificate;
            assert_eq!(f.serial, tbs.serial_number.as_bytes());
            assert_eq!(f.issuer, tbs.issuer.to_der().unwrap());
            assert_eq!(f.subject, tbs.subject.to_der().unwrap());
            assert_eq!(f.spki, tbs.subject_public_key_info.to_der().unwrap());
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
            assert!(name_well_formed(f.issuer) && name_well_formed(f.subject));
            let ski = tbs.extensions.as_ref().and_then(|e| {
                e.iter()
                    .find(|x| x.extn_id.as_bytes() == OID_SKI)
                    .map(|x| der::asn1::OctetString::from_der(x.extn_value.as_bytes()).unwrap())
            });
            assert_eq!(f.ski, ski.as_ref().map(|o| o.as_bytes()));
            for oid in &oids {
                assert_eq!(f.extension_value(oid), c.extension_value(oid), "{oid}");
            }
            assert_eq!(f.countries(), c.countries());
            assert_eq!(profile::is_ca(&f), profile::is_ca(&c));
            assert_eq!(profile::key_usage(&f, 0), profile::key_usage(&c, 0));
            for p in [
                CertProfile::DocumentSigner,
                CertProfile::ReaderAuth,
                CertProfile::JwsSigner,
                CertProfile::VicalSigner,
            ] {
                assert_eq!(profile::check_leaf(p, &f), profile::check_leaf(p, &c));
            }
            assert_eq!(
                crate::trust::spki_public_key(f.spki, 3),
                crate::trust::certificate_public_key(&c, 3)
            );
            assert!(crate::trust::chain_cert::<x509_cert::certificate::Rfc5280>(der, 0).is_ok());
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
        // C=US, then the same with a value too many, an empty SET, bytes after the Name
        // and a value that is not an OID's partner TLV.
        let c_us: &[u8] = &[
            0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 6, 3, 0x55, 4, 6, 0x13, 2, b'U', b'S',
        ];
        assert!(name_well_formed(c_us));
        assert_eq!(name_country(c_us), Some("US"));
        assert!(name_well_formed(&[0x30, 0x00]));
        for bad in [
            &[
                0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 6, 3, 0x55, 4, 6, 0x13, 2, b'U', b'S', 5, 0,
            ][..],
            &[0x30, 0x02, 0x31, 0x00],
            &[
                0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 6, 3, 0x55, 4, 6, 0x13, 2, b'U', b'S', 0,
            ],
            &[
                0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 4, 3, 0x55, 4, 6, 0x13, 2, b'U', b'S',
            ],
            &[
                0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 6, 3, 0x55, 4, 6, 0x13, 3, b'U', b'S',
            ],
        ] {
            assert!(!name_well_formed(bad), "{bad:02x?}");
        }
    }
}
