//! Parsing the short command APDUs a JPKI card speaks (ISO/IEC 7816-4 §5.1, cases 1–4; the
//! card speaks only short APDUs, jpki-notes §1.3). Extended-length forms are refused.

/// A parsed short command APDU, borrowing its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Command<'a> {
    pub(crate) cla: u8,
    pub(crate) ins: u8,
    pub(crate) p1: u8,
    pub(crate) p2: u8,
    /// The command data (empty for cases 1 and 2).
    pub(crate) data: &'a [u8],
    /// Le as a length (`00` = 256), `None` when absent.
    pub(crate) le: Option<usize>,
}

/// Why a command is not a short APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrongLength;

fn le_of(b: u8) -> usize {
    if b == 0 {
        256
    } else {
        usize::from(b)
    }
}

/// Parse `apdu`: header, then nothing, Le, Lc + data, or Lc + data + Le.
pub(crate) fn parse(apdu: &[u8]) -> Result<Command<'_>, WrongLength> {
    let (header, body) = apdu.split_at_checked(4).ok_or(WrongLength)?;
    let [cla, ins, p1, p2] = <[u8; 4]>::try_from(header).map_err(|_| WrongLength)?;
    let (data, le) = match body {
        [] => (&[][..], None),
        [le] => (&[][..], Some(le_of(*le))),
        // Lc = 0 followed by more bytes is the extended form: not spoken here.
        [0, ..] => return Err(WrongLength),
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            match rest.len().checked_sub(lc) {
                Some(0) => (rest, None),
                Some(1) => {
                    let (data, le) = rest.split_at(lc);
                    (data, le.first().copied().map(le_of))
                }
                _ => return Err(WrongLength),
            }
        }
    };
    Ok(Command {
        cla,
        ins,
        p1,
        p2,
        data,
        le,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_short_cases_parse_and_everything_else_is_a_wrong_length() {
        assert_eq!(parse(&[0, 0x20, 0, 0x80]).unwrap().data, b"");
        assert_eq!(parse(&[0, 0xb0, 0, 0, 0]).unwrap().le, Some(256));
        let c = parse(&[0, 0xa4, 2, 0x0c, 2, 0, 1]).unwrap();
        assert_eq!((c.data, c.le), (&[0u8, 1][..], None));
        let c = parse(&[0x80, 0x2a, 0, 0x80, 1, 9, 0]).unwrap();
        assert_eq!((c.data, c.le), (&[9u8][..], Some(256)));
        for bad in [
            &[][..],
            &[0, 1, 2],
            &[0, 0xa4, 2, 0x0c, 2, 0],
            &[0, 0xa4, 2, 0x0c, 1, 0, 1, 2],
            &[0, 0xb0, 0, 0, 0, 0x01, 0x00],
        ] {
            assert_eq!(parse(bad), Err(WrongLength), "{bad:02x?}");
        }
    }
}
