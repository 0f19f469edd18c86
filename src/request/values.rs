//! Checked values: calendar dates, times of day and money.

use std::fmt;

/// A calendar date that exists (2026-02-30 does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

/// Month names, January first, as letters print them.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Weekday names, Monday first, as letters print them.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`, refusing dates that do not exist.
    ///
    /// Errors quote the text only once it has the shape YYYY-MM-DD (digits
    /// and dashes: a date, not a name or a reference); anything else is
    /// described.
    ///
    /// # Errors
    /// Why the text is not one (quoting it only when it has the value's shape).
    pub fn parse(s: &str) -> Result<Date, String> {
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape {
            let month_word = s
                .split(|c: char| !c.is_alphabetic())
                .filter(|w| w.len() >= 3)
                .any(|w| {
                    // `Apr`, `april`, `Sept`: a month name starts with it.
                    let w = w.to_lowercase();
                    MONTHS.iter().any(|m| m.to_lowercase().starts_with(&w))
                });
            let hint = if month_word {
                ": write the month as a number, not in words"
            } else if s.contains(['/', '.']) {
                ": year first, with `-` between the parts"
            } else {
                ""
            };
            return Err(format!(
                "is not a date in the form YYYY-MM-DD (e.g. 2026-03-16){hint}"
            ));
        }
        let year: u16 = s[..4]
            .parse()
            .map_err(|_| format!("`{s}` has a bad year"))?;
        let month: u8 = s[5..7]
            .parse()
            .map_err(|_| format!("`{s}` has a bad month"))?;
        let day: u8 = s[8..].parse().map_err(|_| format!("`{s}` has a bad day"))?;
        if !(1..=12).contains(&month) {
            return Err(format!("`{s}` is not a date: there is no month {month}"));
        }
        if !(1900..=2999).contains(&year) {
            return Err(format!("`{s}`: the year must be between 1900 and 2999"));
        }
        let dim = days_in_month(year, month);
        if day == 0 || day > dim {
            return Err(format!(
                "`{s}` is not a date: {} {year} has {dim} days",
                MONTHS[usize::from(month - 1)]
            ));
        }
        Ok(Date { year, month, day })
    }

    /// Day of the week, 0 = Monday.
    pub fn weekday(self) -> usize {
        // Sakamoto's method (0 = Sunday), shifted to 0 = Monday.
        let t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let mut y = i32::from(self.year);
        if self.month < 3 {
            y -= 1;
        }
        let d =
            (y + y / 4 - y / 100 + y / 400 + t[usize::from(self.month - 1)] + i32::from(self.day))
                % 7;
        ((d + 6) % 7) as usize
    }

    /// "16 March 2026".
    pub fn long(self) -> String {
        format!(
            "{} {} {}",
            self.day,
            MONTHS[usize::from(self.month - 1)],
            self.year
        )
    }

    /// "Monday 16 March 2026".
    pub fn with_weekday(self) -> String {
        format!("{} {}", WEEKDAYS[self.weekday()], self.long())
    }

    /// Days since 1970-01-01 (for ordering and intervals).
    pub fn days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
}

impl Time {
    /// Parses 24-hour `HH:MM` (or `H:MM`).
    ///
    /// Errors quote the text only when it is at most 5 digits, `:` and `.`
    /// (a time, not a name or a reference); anything else is described.
    ///
    /// # Errors
    /// Why the text is not one (quoting it only when it has the value's shape).
    pub fn parse(s: &str) -> Result<Time, String> {
        let time_like = s.len() <= 5
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == ':' || c == '.');
        let bad = || {
            if time_like {
                format!("`{s}` is not a time in the form HH:MM (24-hour, e.g. 14:30)")
            } else {
                "is not a time in the form HH:MM (24-hour, e.g. 14:30)".to_owned()
            }
        };
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        if !h.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let hour: u8 = h.parse().map_err(|_| bad())?;
        let minute: u8 = m.parse().map_err(|_| bad())?;
        if hour > 23 || minute > 59 {
            return Err(format!(
                "`{s}` is not a time of day: hours go to 23 and minutes to 59"
            ));
        }
        Ok(Time { hour, minute })
    }

    /// GOV.UK style: "10:30am", "1pm", "midday", "midnight".
    pub fn display(self) -> String {
        match (self.hour, self.minute) {
            (12, 0) => return "midday".into(),
            (0, 0) => return "midnight".into(),
            _ => {}
        }
        let suffix = if self.hour < 12 { "am" } else { "pm" };
        let h = match self.hour % 12 {
            0 => 12,
            h => h,
        };
        if self.minute == 0 {
            format!("{h}{suffix}")
        } else {
            format!("{h}:{:02}{suffix}", self.minute)
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// An amount of money in pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Money {
    /// Parses `125`, `125.5`, `125.50`, `1,250.00` or `£125.50`. Errors
    /// describe the text without quoting it.
    ///
    /// # Errors
    /// Why the text is not one (quoting it only when it has the value's shape).
    pub fn parse(s: &str) -> Result<Money, String> {
        let bad = || "is not an amount of money in pounds (e.g. 125.50)".to_owned();
        let t = s.trim().trim_start_matches('£').replace(',', "");
        let (pounds, pence) = match t.split_once('.') {
            Some((p, d)) if d.len() == 1 => (p.to_owned(), format!("{d}0")),
            Some((p, d)) if d.len() == 2 => (p.to_owned(), d.to_owned()),
            Some(_) => return Err(bad()),
            None => (t.clone(), "00".to_owned()),
        };
        if pounds.is_empty()
            || !pounds
                .chars()
                .chain(pence.chars())
                .all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        if pounds.len() > 10 {
            return Err("is too large an amount of money".to_owned());
        }
        let p: i64 = pounds.parse().map_err(|_| bad())?;
        let d: i64 = pence.parse().map_err(|_| bad())?;
        Ok(Money(p * 100 + d))
    }

    /// "£1,250.00".
    pub fn display(self) -> String {
        let pounds = self.0 / 100;
        let pence = self.0 % 100;
        let digits = pounds.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("£{grouped}.{pence:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2026-03-16").map(Date::with_weekday),
            Ok("Monday 16 March 2026".into())
        );
        assert_eq!(
            Date::parse("2028-02-29").map(Date::long),
            Ok("29 February 2028".into())
        );
        assert_eq!(
            Date::parse("2026-02-30"),
            Err("`2026-02-30` is not a date: February 2026 has 28 days".into())
        );
        assert!(Date::parse("2026-13-01").is_err());
        assert_eq!(
            Date::parse("16/03/2026"),
            Err("is not a date in the form YYYY-MM-DD (e.g. 2026-03-16): year first, with `-` between the parts".into())
        );
        assert_eq!(
            Date::parse("7 April 2026"),
            Err("is not a date in the form YYYY-MM-DD (e.g. 2026-03-16): write the month as a number, not in words".into())
        );
        // Never quoted unless it has the shape of a date.
        assert_eq!(
            Date::parse("9876 5432 101"),
            Err("is not a date in the form YYYY-MM-DD (e.g. 2026-03-16)".into())
        );
        assert_eq!(Date::parse("1970-01-02").map(Date::days), Ok(1));
    }

    #[test]
    fn times() {
        assert_eq!(
            Time::parse("10:30").map(Time::display),
            Ok("10:30am".into())
        );
        assert_eq!(Time::parse("13:00").map(Time::display), Ok("1pm".into()));
        assert_eq!(
            Time::parse("00:05").map(Time::display),
            Ok("12:05am".into())
        );
        assert_eq!(Time::parse("12:00").map(Time::display), Ok("midday".into()));
        assert_eq!(
            Time::parse("00:00").map(Time::display),
            Ok("midnight".into())
        );
        assert_eq!(
            Time::parse("12:30").map(Time::display),
            Ok("12:30pm".into())
        );
        assert!(Time::parse("24:00").is_err());
        assert!(Time::parse("10.30").is_err());
        assert!(Time::parse("10:3").is_err());
        assert_eq!(
            Time::parse("10.30"),
            Err("`10.30` is not a time in the form HH:MM (24-hour, e.g. 14:30)".into())
        );
        assert_eq!(
            Time::parse("Ms Priya Patel"),
            Err("is not a time in the form HH:MM (24-hour, e.g. 14:30)".into())
        );
    }

    #[test]
    fn money() {
        assert_eq!(
            Money::parse("1250").map(Money::display),
            Ok("£1,250.00".into())
        );
        assert_eq!(
            Money::parse("£85.5").map(Money::display),
            Ok("£85.50".into())
        );
        assert_eq!(
            Money::parse("1,234,567.89").map(Money::display),
            Ok("£1,234,567.89".into())
        );
        assert!(Money::parse("12.345").is_err());
        assert!(Money::parse("-5").is_err());
        assert!(Money::parse("ten").is_err());
    }
}
