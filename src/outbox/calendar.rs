//! When the end-of-day transmission runs: the cut-off (local Europe/London
//! time, 17:30 by default) and the working days (Monday to Friday, less the
//! bank holidays of a region).
//!
//! Pure: no clock, no files. The bank holidays ship in the binary
//! (`data/bank-holidays.yaml`, with its sources), parsed and checked once.
//!
//! # The rule
//!
//! A letter created at instant `t` belongs to the transmission of the day
//! `t` falls on in Europe/London, if that day is a working day and `t` is
//! strictly before that day's cut-off; otherwise to the next working day's.
//! A letter created at exactly the cut-off (17:30:00.000) belongs to the
//! next transmission. Its "cancellable until" is its transmission's cut-off.
//! The cut-off is a local time, so in summer (BST) 17:30 is 16:30 UTC.
//!
//! Beyond [`Calendar::covered_until`] the data has no bank holidays, so only
//! weekends are skipped there; a unit test fails when fewer than 12 months
//! of dates remain.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::tz::TimeZone;
pub use jiff::{Timestamp, civil::Date, civil::Time};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// The shipped bank-holiday data.
const DATA: &str = include_str!("../../data/bank-holidays.yaml");
/// How the shipped data is named in errors.
const DATA_ORIGIN: &str = "data/bank-holidays.yaml";

/// The default cut-off: 17:30 local time.
pub const DEFAULT_CUTOFF: Time = jiff::civil::time(17, 30, 0, 0);

/// Which bank holidays apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Region {
    /// England and Wales (the default).
    #[default]
    EnglandAndWales,
    /// Scotland.
    Scotland,
    /// Northern Ireland.
    NorthernIreland,
}

impl Region {
    /// Every region, in the order of the data file.
    pub const ALL: [Region; 3] = [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ];

    /// The name used on the command line and in the data file.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "england-and-wales",
            Region::Scotland => "scotland",
            Region::NorthernIreland => "northern-ireland",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The name people use, e.g. "England and Wales".
    pub fn title(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "England and Wales",
            Region::Scotland => "Scotland",
            Region::NorthernIreland => "Northern Ireland",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Region {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Region, CalendarError> {
        Region::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| CalendarError::UnknownRegion {
                given: s.to_owned(),
            })
    }
}

/// One problem in a bank-holiday file, with its 1-based line and column
/// (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// What can go wrong with the calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// A transmission was asked for on a day without one.
    #[error(
        "{day} is not a working day ({why}); transmissions run Monday to Friday, except bank holidays"
    )]
    NotAWorkingDay {
        /// The day asked for.
        day: Date,
        /// Why not: "a Saturday", "a bank holiday in Scotland (St Andrew's Day)", ...
        why: String,
    },
    /// A region name that is not one of the three.
    #[error("unknown region `{given}`; expected england-and-wales, scotland or northern-ireland")]
    UnknownRegion {
        /// What was given.
        given: String,
    },
    /// A bank-holiday file is not valid.
    #[error("{}", .problems.iter().map(|p| format!("{origin}:{}:{}: {}", p.line, p.column, p.message)).collect::<Vec<_>>().join("\n"))]
    Data {
        /// Which file.
        origin: String,
        /// Every problem found.
        problems: Vec<DataProblem>,
    },
    /// The date is outside what the calendar can compute (near year 9999).
    #[error("{day}: outside the range of the calendar")]
    OutOfRange {
        /// The day.
        day: Date,
    },
}

/// Where a date in the data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The GOV.UK list as published.
    GovUk,
    /// The statutory rules, for years not yet announced.
    Rules,
}

/// One bank holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    /// The day (a weekday).
    pub date: Date,
    /// Its name, e.g. "Boxing Day (substitute day)".
    pub name: String,
    /// Where the date comes from.
    pub source: Source,
}

/// The bank holidays of one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionHolidays {
    /// The last date the list is complete for.
    pub covered_until: Date,
    /// The bank holidays, sorted.
    pub dates: Vec<BankHoliday>,
}

/// The bank holidays of all three regions, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHolidays {
    regions: [RegionHolidays; 3],
}

mod raw {
    use super::{Deserialize, Source, Spanned};

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    pub struct File {
        pub regions: Regions,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    pub struct Regions {
        pub england_and_wales: Region,
        pub scotland: Region,
        pub northern_ireland: Region,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    pub struct Region {
        pub covered_until: Spanned<String>,
        pub dates: Vec<Holiday>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    pub struct Holiday {
        pub date: Spanned<String>,
        pub name: Spanned<String>,
        pub source: Source,
    }
}

/// The earliest date the data may hold.
const EARLIEST: Date = jiff::civil::date(2000, 1, 1);

fn problem<T>(s: &Spanned<T>, message: String) -> DataProblem {
    DataProblem {
        line: s.referenced.line() as u32,
        column: s.referenced.column() as u32,
        message,
    }
}

fn parse_date(s: &Spanned<String>, problems: &mut Vec<DataProblem>) -> Option<Date> {
    match s.value.parse::<Date>() {
        Ok(d) if d.to_string() == s.value => Some(d),
        _ => {
            problems.push(problem(
                s,
                format!("`{}` is not a date (YYYY-MM-DD)", s.value),
            ));
            None
        }
    }
}

fn check_region(
    region: Region,
    raw: &raw::Region,
    problems: &mut Vec<DataProblem>,
) -> RegionHolidays {
    let covered_until = parse_date(&raw.covered_until, problems).unwrap_or(EARLIEST);
    let mut dates: Vec<BankHoliday> = Vec::with_capacity(raw.dates.len());
    for h in &raw.dates {
        let Some(date) = parse_date(&h.date, problems) else {
            continue;
        };
        let at = |m: String| problem(&h.date, format!("{}: {date}: {m}", region.as_str()));
        if date < EARLIEST || date > covered_until {
            problems.push(at(format!(
                "out of range: dates must lie between {EARLIEST} and covered-until {covered_until}"
            )));
        }
        if date.weekday().to_monday_one_offset() > 5 {
            problems.push(at(format!(
                "a {:?}; a bank holiday is a weekday (give the substitute day)",
                date.weekday()
            )));
        }
        if let Some(prev) = dates.last()
            && prev.date >= date
        {
            problems.push(at(format!(
                "not after the date before it ({}); dates must be sorted, each once",
                prev.date
            )));
        }
        if h.name.value.trim().is_empty() {
            problems.push(problem(&h.name, "the name is empty".into()));
        }
        dates.push(BankHoliday {
            date,
            name: h.name.value.clone(),
            source: h.source,
        });
    }
    RegionHolidays {
        covered_until,
        dates,
    }
}

impl BankHolidays {
    /// Parses and checks a bank-holiday file (the layout of
    /// `data/bank-holidays.yaml`); `origin` names it in errors. Refuses
    /// unknown keys, bad dates, unsorted or repeated dates, weekend dates and
    /// dates after `covered-until`, each with its line.
    ///
    /// # Errors
    /// [`CalendarError::Data`] with every problem in the file.
    pub fn parse(text: &str, origin: &str) -> Result<BankHolidays, CalendarError> {
        let file: raw::File = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("").trim();
            CalendarError::Data {
                origin: origin.to_owned(),
                problems: vec![DataProblem {
                    line,
                    column,
                    message: first.strip_prefix("error: ").unwrap_or(first).to_owned(),
                }],
            }
        })?;
        let mut problems = Vec::new();
        let r = &file.regions;
        let regions = [
            check_region(Region::EnglandAndWales, &r.england_and_wales, &mut problems),
            check_region(Region::Scotland, &r.scotland, &mut problems),
            check_region(Region::NorthernIreland, &r.northern_ireland, &mut problems),
        ];
        if problems.is_empty() {
            Ok(BankHolidays { regions })
        } else {
            Err(CalendarError::Data {
                origin: origin.to_owned(),
                problems,
            })
        }
    }

    /// The data shipped in the binary, parsed once.
    ///
    /// # Errors
    /// The problems of the shipped bank-holiday file (only when it was built broken).
    pub fn builtin() -> Result<&'static BankHolidays, &'static CalendarError> {
        static BUILTIN: LazyLock<Result<BankHolidays, CalendarError>> =
            LazyLock::new(|| BankHolidays::parse(DATA, DATA_ORIGIN));
        BUILTIN.as_ref()
    }

    /// The bank holidays of `region`.
    pub fn region(&self, region: Region) -> &RegionHolidays {
        &self.regions[region.index()]
    }
}

/// Used only if the shipped data were broken (a unit test makes sure it is
/// not): no bank holidays, covered until before any date the outbox sees, so
/// [`Calendar::covered_until`] shows it.
static EMPTY: BankHolidays = BankHolidays {
    regions: [
        RegionHolidays {
            covered_until: EARLIEST,
            dates: Vec::new(),
        },
        RegionHolidays {
            covered_until: EARLIEST,
            dates: Vec::new(),
        },
        RegionHolidays {
            covered_until: EARLIEST,
            dates: Vec::new(),
        },
    ],
};

/// Europe/London from jiff's bundled time-zone database (so any machine
/// agrees); if that failed, the UK rule since 1996 as a POSIX TZ string.
pub fn london() -> &'static TimeZone {
    static LONDON: LazyLock<TimeZone> = LazyLock::new(|| {
        jiff::tz::db()
            .get("Europe/London")
            .or_else(|_| TimeZone::posix("GMT0BST,M3.5.0/1,M10.5.0"))
            .unwrap_or(TimeZone::UTC)
    });
    &LONDON
}

/// One end-of-day transmission: its working day and its cut-off instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmission {
    /// The working day.
    pub day: Date,
    /// The cut-off on that day (Europe/London), as an instant.
    pub cutoff: Timestamp,
}

/// When the end-of-day transmission runs, and on which days.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    region: Region,
    cutoff: Time,
    holidays: &'static BankHolidays,
}

impl Default for Calendar {
    /// England and Wales, cut-off 17:30.
    fn default() -> Calendar {
        Calendar::new(Region::EnglandAndWales, DEFAULT_CUTOFF)
    }
}

impl Calendar {
    /// A calendar with the shipped bank holidays of `region` and a cut-off
    /// at local time `cutoff` (Europe/London).
    pub fn new(region: Region, cutoff: Time) -> Calendar {
        Calendar::with_holidays(region, cutoff, BankHolidays::builtin().unwrap_or(&EMPTY))
    }

    /// A calendar with other bank-holiday data (tests, or a newer file).
    pub fn with_holidays(
        region: Region,
        cutoff: Time,
        holidays: &'static BankHolidays,
    ) -> Calendar {
        Calendar {
            region,
            cutoff,
            holidays,
        }
    }

    /// The region.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The cut-off, local time.
    pub fn cutoff(&self) -> Time {
        self.cutoff
    }

    /// The bank holiday of the region on `day`, if any.
    pub fn bank_holiday(&self, day: Date) -> Option<&'static BankHoliday> {
        let dates = &self.holidays.region(self.region).dates;
        dates
            .binary_search_by(|h| h.date.cmp(&day))
            .ok()
            .map(|i| &dates[i])
    }

    /// Monday to Friday, and not a bank holiday of the region.
    pub fn is_working_day(&self, day: Date) -> bool {
        day.weekday().to_monday_one_offset() <= 5 && self.bank_holiday(day).is_none()
    }

    /// The transmission a letter created at `created` belongs to: today's if
    /// `created` is on a working day strictly before that day's cut-off
    /// (Europe/London), else the next working day's. Past the year 9998
    /// (where jiff's range ends) it returns `created`'s own day with
    /// `created` as the cut-off: too late to cancel, never earlier than
    /// asked; [`Calendar::try_transmission_for`] reports it instead.
    pub fn transmission_for(&self, created: Timestamp) -> Transmission {
        self.try_transmission_for(created)
            .unwrap_or_else(|_| Transmission {
                day: london().to_datetime(created).date(),
                cutoff: created,
            })
    }

    /// As [`Calendar::transmission_for`], with an error at the end of the
    /// calendar's range.
    ///
    /// # Errors
    /// [`CalendarError`] when the date is outside what the calendar can compute.
    pub fn try_transmission_for(&self, created: Timestamp) -> Result<Transmission, CalendarError> {
        let mut day = london().to_datetime(created).date();
        if self.is_working_day(day) {
            let today = self.transmission_on(day)?;
            if created < today.cutoff {
                return Ok(today);
            }
        }
        loop {
            day = day
                .tomorrow()
                .map_err(|_| CalendarError::OutOfRange { day })?;
            if self.is_working_day(day) {
                return self.transmission_on(day);
            }
        }
    }

    /// The transmission of working day `day` (Err if it is not a working day).
    ///
    /// # Errors
    /// [`CalendarError`] when `day` is not a working day in the region, or outside the
    /// calendar.
    pub fn transmission_on(&self, day: Date) -> Result<Transmission, CalendarError> {
        let weekday = day.weekday().to_monday_one_offset();
        if weekday > 5 {
            return Err(CalendarError::NotAWorkingDay {
                day,
                why: format!("a {:?}", day.weekday()),
            });
        }
        if let Some(h) = self.bank_holiday(day) {
            return Err(CalendarError::NotAWorkingDay {
                day,
                why: format!("a bank holiday in {} ({})", self.region.title(), h.name),
            });
        }
        // UK clock changes fall on Sundays, so a weekday's cut-off is never
        // in a gap or a fold; `compatible` settles it anyway.
        let cutoff = london()
            .to_ambiguous_timestamp(day.to_datetime(self.cutoff))
            .compatible()
            .map_err(|_| CalendarError::OutOfRange { day })?;
        Ok(Transmission { day, cutoff })
    }

    /// The last date the shipped bank-holiday data covers for this region.
    pub fn covered_until(&self) -> Date {
        self.holidays.region(self.region).covered_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    /// (region, created, transmission day, cut-off instant)
    #[test]
    fn transmission_table() {
        use Region::*;
        let cases = [
            // A weekday before the cut-off (GMT: 17:30 local is 17:30 UTC).
            (
                EnglandAndWales,
                "2026-03-04T12:00:00Z",
                "2026-03-04",
                "2026-03-04T17:30:00Z",
            ),
            // After 17:30: next working day.
            (
                EnglandAndWales,
                "2026-03-04T17:31:00Z",
                "2026-03-05",
                "2026-03-05T17:30:00Z",
            ),
            // The last second before it, and exactly 17:30:00 (next transmission).
            (
                EnglandAndWales,
                "2026-03-04T17:29:59Z",
                "2026-03-04",
                "2026-03-04T17:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-03-04T17:30:00Z",
                "2026-03-05",
                "2026-03-05T17:30:00Z",
            ),
            // Summer (BST): 17:29:59 local is 16:29:59 UTC.
            (
                EnglandAndWales,
                "2026-06-10T16:29:59Z",
                "2026-06-10",
                "2026-06-10T16:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-06-10T16:30:00Z",
                "2026-06-11",
                "2026-06-11T16:30:00Z",
            ),
            // A Saturday, a Sunday: Monday.
            (
                EnglandAndWales,
                "2026-03-07T10:00:00Z",
                "2026-03-09",
                "2026-03-09T17:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-03-08T23:59:00Z",
                "2026-03-09",
                "2026-03-09T17:30:00Z",
            ),
            // March clock change (Sunday 2026-03-29): Friday 16:45 UTC is 16:45 GMT,
            // before the cut-off; after it, Monday's cut-off is 17:30 BST = 16:30 UTC.
            (
                EnglandAndWales,
                "2026-03-27T16:45:00Z",
                "2026-03-27",
                "2026-03-27T17:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-03-27T17:45:00Z",
                "2026-03-30",
                "2026-03-30T16:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-03-29T01:30:00Z",
                "2026-03-30",
                "2026-03-30T16:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-03-30T16:45:00Z",
                "2026-03-31",
                "2026-03-31T16:30:00Z",
            ),
            // October clock change (Sunday 2026-10-25): Friday 16:45 UTC is 17:45
            // BST, after the cut-off; Monday's cut-off is 17:30 GMT = 17:30 UTC.
            (
                EnglandAndWales,
                "2026-10-23T16:45:00Z",
                "2026-10-26",
                "2026-10-26T17:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-10-23T16:29:59Z",
                "2026-10-23",
                "2026-10-23T16:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-10-25T01:30:00Z",
                "2026-10-26",
                "2026-10-26T17:30:00Z",
            ),
            // Good Friday 2026-04-03, then Easter Monday: Tuesday (not in Scotland).
            (
                EnglandAndWales,
                "2026-04-03T09:00:00Z",
                "2026-04-07",
                "2026-04-07T16:30:00Z",
            ),
            (
                Scotland,
                "2026-04-03T09:00:00Z",
                "2026-04-06",
                "2026-04-06T16:30:00Z",
            ),
            // Christmas 2026: Fri 25, Boxing Day substitute Mon 28.
            (
                EnglandAndWales,
                "2026-12-24T18:00:00Z",
                "2026-12-29",
                "2026-12-29T17:30:00Z",
            ),
            // 2027: both substitutes (Mon 27, Tue 28).
            (
                EnglandAndWales,
                "2027-12-24T17:30:00Z",
                "2027-12-29",
                "2027-12-29T17:30:00Z",
            ),
            // 2032: both substitutes too.
            (
                EnglandAndWales,
                "2032-12-24T17:45:00Z",
                "2032-12-29",
                "2032-12-29T17:30:00Z",
            ),
            // 23:59 on the last working day of 2026: New Year's Day is Friday;
            // Scotland also has 2 January's substitute on Monday 4th.
            (
                EnglandAndWales,
                "2026-12-31T23:59:00Z",
                "2027-01-04",
                "2027-01-04T17:30:00Z",
            ),
            (
                Scotland,
                "2026-12-31T23:59:00Z",
                "2027-01-05",
                "2027-01-05T17:30:00Z",
            ),
            (
                NorthernIreland,
                "2026-12-31T23:59:00Z",
                "2027-01-04",
                "2027-01-04T17:30:00Z",
            ),
            // St Patrick's Day, the Boyne substitute, St Andrew's, Scottish summer.
            (
                NorthernIreland,
                "2026-03-16T18:00:00Z",
                "2026-03-18",
                "2026-03-18T17:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-03-16T18:00:00Z",
                "2026-03-17",
                "2026-03-17T17:30:00Z",
            ),
            (
                NorthernIreland,
                "2026-07-10T17:00:00Z",
                "2026-07-14",
                "2026-07-14T16:30:00Z",
            ),
            (
                Scotland,
                "2026-11-27T18:00:00Z",
                "2026-12-01",
                "2026-12-01T17:30:00Z",
            ),
            (
                Scotland,
                "2026-07-31T17:00:00Z",
                "2026-08-04",
                "2026-08-04T16:30:00Z",
            ),
            (
                EnglandAndWales,
                "2026-07-31T17:00:00Z",
                "2026-08-03",
                "2026-08-03T16:30:00Z",
            ),
        ];
        let mut failures = Vec::new();
        for (region, created, day, cutoff) in cases {
            let got = Calendar::new(region, DEFAULT_CUTOFF).transmission_for(ts(created));
            let want = Transmission {
                day: day.parse().expect("test date"),
                cutoff: ts(cutoff),
            };
            if got != want {
                failures.push(format!("{region} {created}: got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_cutoff_is_configurable() {
        let cal = Calendar::new(Region::EnglandAndWales, time(16, 0, 0, 0));
        assert_eq!(cal.cutoff(), time(16, 0, 0, 0));
        let t = cal.transmission_for(ts("2026-06-10T15:00:00Z"));
        assert_eq!(t.day, date(2026, 6, 11));
        assert_eq!(t.cutoff, ts("2026-06-11T15:00:00Z"));
        let d = Calendar::default();
        assert_eq!(
            (d.region(), d.cutoff()),
            (Region::EnglandAndWales, time(17, 30, 0, 0))
        );
    }

    #[test]
    fn transmission_on_refuses_a_day_without_one() {
        let cal = Calendar::default();
        assert_eq!(
            cal.transmission_on(date(2026, 3, 7)).map_err(|e| e.to_string()),
            Err("2026-03-07 is not a working day (a Saturday); transmissions run Monday to Friday, except bank holidays".into())
        );
        assert_eq!(
            cal.transmission_on(date(2026, 4, 3)).map_err(|e| e.to_string()),
            Err("2026-04-03 is not a working day (a bank holiday in England and Wales (Good Friday)); transmissions run Monday to Friday, except bank holidays".into())
        );
        assert_eq!(
            cal.transmission_on(date(2026, 10, 23)),
            Ok(Transmission {
                day: date(2026, 10, 23),
                cutoff: ts("2026-10-23T16:30:00Z")
            })
        );
    }

    #[test]
    fn regions_parse_by_name() {
        for r in Region::ALL {
            assert_eq!(r.as_str().parse::<Region>(), Ok(r));
        }
        assert_eq!(
            "wales".parse::<Region>().map_err(|e| e.to_string()),
            Err(
                "unknown region `wales`; expected england-and-wales, scotland or northern-ireland"
                    .into()
            )
        );
    }

    #[test]
    fn the_shipped_data_is_valid_and_reaches_2030() {
        let data = BankHolidays::builtin()
            .map_err(|e| e.to_string())
            .expect("shipped data");
        for (region, per_year) in [
            (Region::EnglandAndWales, 8),
            (Region::Scotland, 9),
            (Region::NorthernIreland, 10),
        ] {
            let r = data.region(region);
            assert!(r.covered_until >= date(2030, 12, 31), "{region}");
            for year in 2025..=r.covered_until.year() {
                let n = r.dates.iter().filter(|h| h.date.year() == year).count();
                assert_eq!(n, per_year, "{region} {year}");
            }
        }
    }

    #[test]
    fn easter_is_right() {
        let cal = Calendar::default();
        for easter in [
            date(2026, 4, 5),
            date(2027, 3, 28),
            date(2028, 4, 16),
            date(2029, 4, 1),
            date(2030, 4, 21),
        ] {
            let good_friday = easter.checked_sub(jiff::Span::new().days(2)).expect("date");
            let easter_monday = easter.tomorrow().expect("date");
            assert_eq!(
                cal.bank_holiday(good_friday).map(|h| h.name.as_str()),
                Some("Good Friday")
            );
            assert_eq!(
                cal.bank_holiday(easter_monday).map(|h| h.name.as_str()),
                Some("Easter Monday")
            );
        }
    }

    /// Reads the system clock: a test, not the library.
    #[test]
    fn at_least_12_months_of_bank_holidays_remain() {
        let today = london().to_datetime(Timestamp::now()).date();
        let needed = today
            .checked_add(jiff::Span::new().months(12))
            .expect("date");
        for region in Region::ALL {
            let until = Calendar::new(region, DEFAULT_CUTOFF).covered_until();
            assert!(
                until >= needed,
                "{region}: bank holidays end {until}, less than 12 months from {today}: add the next years to data/bank-holidays.yaml"
            );
        }
    }

    fn file(dates_ew: &str) -> String {
        let region = "    covered-until: 2027-12-31\n    dates:\n      - { date: 2027-01-01, name: \"New Year's Day\", source: rules }\n";
        format!(
            "regions:\n  england-and-wales:\n    covered-until: 2027-12-31\n    dates:\n{dates_ew}  scotland:\n{region}  northern-ireland:\n{region}"
        )
    }

    #[test]
    fn malformed_files_are_refused_with_their_line() {
        let ok = "      - { date: 2027-01-01, name: \"New Year's Day\", source: rules }\n";
        assert!(BankHolidays::parse(&file(ok), "t.yaml").is_ok());
        let cases = [
            // Unknown key (deny_unknown_fields).
            (
                "      - { date: 2027-01-01, name: x, source: rules, kind: y }\n",
                "t.yaml:5:",
            ),
            // Not a date.
            (
                "      - { date: 2027-02-30, name: x, source: rules }\n",
                "t.yaml:5:",
            ),
            // A Saturday.
            (
                "      - { date: 2027-01-02, name: x, source: rules }\n",
                "t.yaml:5:",
            ),
            // After covered-until.
            (
                "      - { date: 2028-01-03, name: x, source: rules }\n",
                "t.yaml:5:",
            ),
            // Not sorted: the second date is refused on its own line.
            (
                "      - { date: 2027-01-04, name: x, source: rules }\n      - { date: 2027-01-01, name: y, source: rules }\n",
                "t.yaml:6:",
            ),
        ];
        for (dates, at) in cases {
            let err = BankHolidays::parse(&file(dates), "t.yaml").map_err(|e| e.to_string());
            match err {
                Err(e) => assert!(e.starts_with(at), "{dates}: {e}"),
                Ok(_) => panic!("accepted: {dates}"),
            }
        }
        let e = BankHolidays::parse(
            &file("      - { date: 2027-01-02, name: x, source: rules }\n"),
            "t.yaml",
        )
        .map_err(|e| e.to_string());
        assert_eq!(
            e,
            Err("t.yaml:5:17: england-and-wales: 2027-01-02: a Saturday; a bank holiday is a weekday (give the substitute day)".into())
        );
    }

    #[test]
    fn london_comes_from_the_bundled_database() {
        assert!(jiff::tz::db().get("Europe/London").is_ok());
    }
}
