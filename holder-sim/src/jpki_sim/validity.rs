//! Validity periods of JPKI-SIM certificates (jpki-notes §2.4): a person's certificates run
//! from the issuance instant to the **5th birthday after issuance, 23:59:59 JST (14:59:59Z)**.
//!
//! "After issuance" is counted on the Japanese calendar date of issuance: a certificate issued
//! on the holder's birthday ends on the fifth *later* birthday. A 29 February birthday falls on
//! 28 February in common years (our choice; the J-LIS rule for it was not readable, notes §7).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Japan Standard Time, UTC+9.
const JST: UtcOffset = time::macros::offset!(+9);

fn birthday_in(year: i32, birth: Date) -> Option<Date> {
    Date::from_calendar_date(year, birth.month(), birth.day())
        .ok()
        .or_else(|| {
            // 29 February in a common year.
            Date::from_calendar_date(year, Month::February, 28).ok()
        })
}

/// notAfter for a person born on `birth` whose certificate is issued at `issued`: the 5th
/// birthday after the JST date of issuance, at 23:59:59 JST. `None` only for dates outside
/// the calendar `time` supports.
pub fn jpki_not_after(issued: OffsetDateTime, birth: Date) -> Option<OffsetDateTime> {
    let today = issued.to_offset(JST).date();
    let this_year = birthday_in(today.year(), birth)?;
    let first = if this_year > today {
        this_year
    } else {
        birthday_in(today.year().checked_add(1)?, birth)?
    };
    let fifth = birthday_in(first.year().checked_add(4)?, birth)?;
    let end = Time::from_hms(23, 59, 59).ok()?;
    Some(
        PrimitiveDateTime::new(fifth, end)
            .assume_offset(JST)
            .to_offset(UtcOffset::UTC),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn ends_on_the_fifth_birthday_after_issuance_at_midnight_jst() {
        let birth = date!(1990 - 01 - 02);
        // Issued before this year's birthday: the first is this year's.
        assert_eq!(
            jpki_not_after(datetime!(2026-01-01 03:00 UTC), birth),
            Some(datetime!(2030-01-02 14:59:59 UTC))
        );
        // Issued after it: the first is next year's.
        assert_eq!(
            jpki_not_after(datetime!(2026-12-01 03:00 UTC), birth),
            Some(datetime!(2031-01-02 14:59:59 UTC))
        );
        // Issued on the birthday (JST): that one does not count.
        assert_eq!(
            jpki_not_after(datetime!(2026-01-02 00:00 UTC), birth),
            Some(datetime!(2031-01-02 14:59:59 UTC))
        );
        // 2026-01-01 20:00Z is already 2 January in Japan.
        assert_eq!(
            jpki_not_after(datetime!(2026-01-01 20:00 UTC), birth),
            Some(datetime!(2031-01-02 14:59:59 UTC))
        );
        // A leap-day birthday in a common year.
        assert_eq!(
            jpki_not_after(datetime!(2026-12-01 00:00 UTC), date!(2000 - 02 - 29)),
            Some(datetime!(2031-02-28 14:59:59 UTC))
        );
    }
}
