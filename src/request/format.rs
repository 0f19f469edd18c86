//! The format a letter is produced in (issue 11): standard print, large
//! print at a chosen size, or braille in a chosen grade and page profile.
//!
//! A request gives it with the top-level keys `format`, `size` (large print),
//! `grade` and `profile` (braille); CSV files have columns of the same names.

use std::fmt;

/// Smallest large-print size, points (DWP's usual large print).
pub const MIN_LARGE_PRINT: u8 = 16;
/// Largest large-print size, points.
pub const MAX_LARGE_PRINT: u8 = 28;

/// The formats a request may ask for, as written in `format:`.
pub const FORMAT_NAMES: &[&str] = &["standard", "large-print", "braille"];

/// How a letter is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LetterFormat {
    /// Standard print (the default).
    #[default]
    Standard,
    /// Large print: laid out again at `size` points (16 to 28).
    LargePrint {
        /// Body text size, points.
        size: u8,
    },
    /// Braille (Unified English Braille), with a print carrier page.
    Braille {
        /// Grade 1 (uncontracted) or 2 (contracted, the default).
        grade: Grade,
        /// The page geometry.
        profile: BrailleProfile,
    },
}

impl LetterFormat {
    /// The name written in `format:`.
    pub fn name(self) -> &'static str {
        match self {
            LetterFormat::Standard => "standard",
            LetterFormat::LargePrint { .. } => "large-print",
            LetterFormat::Braille { .. } => "braille",
        }
    }

    /// Whether this is braille.
    pub fn is_braille(self) -> bool {
        matches!(self, LetterFormat::Braille { .. })
    }
}

impl fmt::Display for LetterFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LetterFormat::Standard => f.write_str("standard"),
            LetterFormat::LargePrint { size } => write!(f, "large-print {size} pt"),
            LetterFormat::Braille { grade, profile } => {
                write!(f, "braille grade {} {}", grade.number(), profile.name())
            }
        }
    }
}

/// Braille grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grade {
    /// Uncontracted.
    One,
    /// Contracted (the default).
    #[default]
    Two,
}

impl Grade {
    /// 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            Grade::One => 1,
            Grade::Two => 2,
        }
    }
}

/// Braille page geometry: cells per line and lines per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BrailleProfile {
    /// A4 paper: 30 cells × 28 lines (the default).
    #[default]
    A4,
    /// Braille book paper: 40 cells × 28 lines.
    Book,
}

/// The braille profiles a request may name, as written in `profile:`.
pub const PROFILE_NAMES: &[&str] = &["a4", "book"];

impl BrailleProfile {
    /// The name written in `profile:`.
    pub fn name(self) -> &'static str {
        match self {
            BrailleProfile::A4 => "a4",
            BrailleProfile::Book => "book",
        }
    }

    /// Parses `a4` or `book`.
    pub fn parse(s: &str) -> Option<BrailleProfile> {
        match s {
            "a4" => Some(BrailleProfile::A4),
            "book" => Some(BrailleProfile::Book),
            _ => None,
        }
    }

    /// Cells per line.
    pub fn cells(self) -> usize {
        match self {
            BrailleProfile::A4 => 30,
            BrailleProfile::Book => 40,
        }
    }

    /// Lines per page.
    pub fn lines(self) -> usize {
        28
    }
}

/// The formats in words, for `letterkit show` and `letterkit new`.
pub fn described() -> Vec<(&'static str, &'static str)> {
    vec![
        ("standard", "standard print (the default)"),
        (
            "large-print",
            "large print, laid out again; `size:` 16 to 28 points (default 16)",
        ),
        (
            "braille",
            "Unified English Braille as BRF and PEF with a print carrier page; `grade:` 2 (default) or 1, `profile:` a4 (30 cells x 28 lines, default) or book (40 x 28); English only",
        ),
    ]
}
