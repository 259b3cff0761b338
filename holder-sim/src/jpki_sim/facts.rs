//! A simulated person's four basic facts (基本4情報: name, date of birth, sex, address) and how
//! the signature certificate encodes them as subjectAltName otherNames (jpki-notes §2.2).

use time::{Date, Month};

/// Sex as chosen for a simulated person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimSex {
    /// Written as `1` (notes §2.2).
    Male,
    /// Written as `2`.
    Female,
    /// Written as `9` (ISO/IEC 5218 "not applicable", the code the card's 券面事項入力補助AP
    /// uses, notes §1.2); only `1` and `2` have been seen in real certificates.
    NotKnown,
}

impl SimSex {
    /// The otherName value (`1.2.392.200149.8.5.5.3`).
    pub fn code(self) -> &'static str {
        match self {
            SimSex::Male => "1",
            SimSex::Female => "2",
            SimSex::NotKnown => "9",
        }
    }

    /// From the command line's words: `male`, `female`, `not-known`.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "male" => Some(SimSex::Male),
            "female" => Some(SimSex::Female),
            "not-known" => Some(SimSex::NotKnown),
            _ => None,
        }
    }
}

/// One simulated person: the four facts on the signature certificate, and the romaji
/// prefecture and municipality that name the certificate's subject and CRL partition
/// (notes §2.2: `L=<prefecture>, L=<city>`; no personal data in the DN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    /// 氏名 as registered (kanji/kana; a full-width space between family and given name).
    pub name: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: SimSex,
    /// 住所.
    pub address: String,
    /// The prefecture in romaji, for the subject DN and the CRL distribution point.
    pub prefecture: String,
    /// The municipality in romaji.
    pub city: String,
}

impl PersonFacts {
    /// The invented default person `taro`: nobody real.
    pub fn default_taro() -> Self {
        PersonFacts {
            name: "確認\u{3000}太郎".to_owned(),
            birth_date: Date::from_calendar_date(1990, Month::January, 2).unwrap_or(Date::MIN),
            sex: SimSex::Male,
            address: "東京都千代田区千代田１－１".to_owned(),
            prefecture: "Tokyo".to_owned(),
            city: "Chiyoda-ku".to_owned(),
        }
    }
}

/// The era digit of a Gregorian date (notes §2.2: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和; 1 and 4
/// are confirmed by samples, the rest follow the 住基 convention, unverified). Dates before
/// Meiji get `1`.
fn era_digit(d: Date) -> char {
    let on_or_after = |y: i32, m: Month, day: u8| {
        Date::from_calendar_date(y, m, day).is_ok_and(|start| d >= start)
    };
    if on_or_after(2019, Month::May, 1) {
        '5'
    } else if on_or_after(1989, Month::January, 8) {
        '4'
    } else if on_or_after(1926, Month::December, 25) {
        '3'
    } else if on_or_after(1912, Month::July, 30) {
        '2'
    } else {
        '1'
    }
}

/// The date-of-birth otherName value: era digit then the Gregorian `YYYYMMDD` (notes §2.2).
pub fn encode_birth_date(d: Date) -> String {
    format!(
        "{}{:04}{:02}{:02}",
        era_digit(d),
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// The substitute-character flag string for `text`: one `0` per character (none replaced).
pub fn no_substitutes(text: &str) -> String {
    "0".repeat(text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn birth_dates_carry_the_era_digit_and_the_gregorian_date() {
        // The samples of notes §2.2.
        assert_eq!(encode_birth_date(date!(1899 - 12 - 01)), "118991201");
        assert_eq!(encode_birth_date(date!(1990 - 01 - 02)), "419900102");
        assert_eq!(encode_birth_date(date!(2008 - 10 - 31)), "420081031");
        assert_eq!(encode_birth_date(date!(1989 - 01 - 07)), "319890107");
        assert_eq!(encode_birth_date(date!(2019 - 05 - 01)), "520190501");
        assert_eq!(encode_birth_date(date!(1920 - 05 - 01)), "219200501");
        assert_eq!(no_substitutes("確認\u{3000}太郎"), "00000");
        assert_eq!(SimSex::from_word("not-known").map(SimSex::code), Some("9"));
        assert_eq!(SimSex::from_word("x"), None);
    }
}
