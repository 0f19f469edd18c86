//! What the outbox keeps: a letter's record and its states, the moves
//! between them, postage classes, history rows, suppressions and closings.
//! Plain data; the store ([`super::store`]) keeps it, the verbs
//! ([`super::Outbox`]) change it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::calendar::{Date, Timestamp};
pub use crate::catalog::Postage;

/// Where a letter is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Waiting for its end-of-day transmission; may still be cancelled.
    Queued,
    /// Handed to the print provider in a transmission's zip.
    Transmitted,
    /// The provider has posted it.
    Despatched,
    /// The provider could not print or post it.
    Rejected,
    /// Royal Mail brought it back.
    Returned,
    /// Cancelled by a caseworker before the cut-off (final).
    Cancelled,
    /// Not sent because contact with the client is suppressed (final).
    Suppressed,
    /// Replaced by a later letter about the same matter (final).
    Superseded,
}

impl State {
    /// Every state, in life order.
    pub const ALL: [State; 8] = [
        State::Queued,
        State::Transmitted,
        State::Despatched,
        State::Rejected,
        State::Returned,
        State::Cancelled,
        State::Suppressed,
        State::Superseded,
    ];

    /// The name on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Transmitted => "transmitted",
            State::Despatched => "despatched",
            State::Rejected => "rejected",
            State::Returned => "returned",
            State::Cancelled => "cancelled",
            State::Suppressed => "suppressed",
            State::Superseded => "superseded",
        }
    }

    /// The states a letter in this state may move to.
    pub fn next(self) -> &'static [State] {
        match self {
            State::Queued => &[
                State::Transmitted,
                State::Cancelled,
                State::Suppressed,
                State::Superseded,
            ],
            State::Transmitted => &[State::Despatched, State::Rejected, State::Returned],
            // A posted letter can still come back.
            State::Despatched => &[State::Returned],
            State::Rejected | State::Returned => &[],
            State::Cancelled | State::Suppressed | State::Superseded => &[],
        }
    }

    /// Whether `self` may move to `to`.
    pub fn may_become(self, to: State) -> bool {
        self.next().contains(&to)
    }

    /// What may happen next, as words: "it may be transmitted, cancelled,
    /// suppressed or superseded", or "nothing more can happen to it".
    pub fn what_next(self) -> String {
        let next: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        match next.as_slice() {
            [] => "nothing more can happen to it".to_owned(),
            [one] => format!("it may only become {one}"),
            [init @ .., last] => format!("it may become {} or {last}", init.join(", ")),
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<State, String> {
        State::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a state; the states are: {}",
                    State::ALL.map(State::as_str).join(", ")
                )
            })
    }
}

/// Why contact with a client is suppressed. Descriptive codes of
/// letterkit's own (draft: the procedures name the situations, not codes),
/// so that no free text about a client is needed to suppress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressReason {
    /// The client has died (procedure 004: "verifies the death, suppresses
    /// contact and records the change").
    ClientDeath,
    /// A qualifying child or relevant other child has died (procedure 002).
    ChildDeath,
    /// Contact could put someone at risk.
    Safeguarding,
    /// Post to the address comes back; a new address is being traced.
    AddressUnknown,
    /// The client asked, and a caseworker agreed.
    ClientRequest,
    /// Another reason, recorded on the case.
    Other,
}

impl SuppressReason {
    /// Every code.
    pub const ALL: [SuppressReason; 6] = [
        SuppressReason::ClientDeath,
        SuppressReason::ChildDeath,
        SuppressReason::Safeguarding,
        SuppressReason::AddressUnknown,
        SuppressReason::ClientRequest,
        SuppressReason::Other,
    ];

    /// The code.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressReason::ClientDeath => "client-death",
            SuppressReason::ChildDeath => "child-death",
            SuppressReason::Safeguarding => "safeguarding",
            SuppressReason::AddressUnknown => "address-unknown",
            SuppressReason::ClientRequest => "client-request",
            SuppressReason::Other => "other",
        }
    }
}

impl fmt::Display for SuppressReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SuppressReason {
    type Err = String;
    fn from_str(s: &str) -> Result<SuppressReason, String> {
        SuppressReason::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a suppression reason code; the codes are: {}",
                    SuppressReason::ALL.map(SuppressReason::as_str).join(", ")
                )
            })
    }
}

/// One letter in the outbox (without its PDF and request, which the store
/// gives separately because they are large and purged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterRecord {
    /// The request's id, else one made from the request's content.
    pub id: String,
    /// Letter code.
    pub code: String,
    /// The client's reference (`None` once purged).
    pub reference: Option<String>,
    /// SHA-256 over the catalog's files when it was made.
    pub catalog_digest: String,
    /// letterkit's version when it was made.
    pub version: String,
    /// SHA-256 of the canonical request.
    pub request_sha256: String,
    /// Pages.
    pub pages: u32,
    /// Sheets of paper (double-sided).
    pub sheets: u32,
    /// Postage class.
    pub postage: Postage,
    /// SHA-256 of the PDF.
    pub pdf_sha256: String,
    /// Size of the PDF in bytes.
    pub pdf_bytes: u64,
    /// When it was queued.
    pub created_at: Timestamp,
    /// The working day of the transmission it belongs to.
    pub transmission: Date,
    /// That transmission's cut-off: the last moment it may be cancelled.
    pub cancellable_until: Timestamp,
    /// Its state.
    pub state: State,
    /// When it entered that state.
    pub state_at: Timestamp,
    /// The batch that queued it, if any.
    pub batch: Option<String>,
    /// The letter this one reissues.
    pub reissue_of: Option<String>,
    /// The zip it was transmitted in, and its place there (1-based).
    pub zip: Option<(String, u32)>,
    /// When its PDF and request were purged.
    pub purged_at: Option<Timestamp>,
    /// A braille letter's braille files, kept beside its carrier page PDF
    /// (`None` for a print letter).
    pub braille: Option<BrailleInfo>,
}

/// What the outbox records of a braille letter's BRF and PEF (the bytes are
/// kept beside the carrier page PDF, and purged with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrailleInfo {
    /// Its format as recorded (`braille:GRADE:PROFILE`).
    pub format: String,
    /// Braille pages (the BRF's form feeds).
    pub pages: u32,
    /// SHA-256 of the BRF, hex.
    pub brf_sha256: String,
    /// Size of the BRF in bytes.
    pub brf_bytes: u64,
    /// SHA-256 of the PEF, hex.
    pub pef_sha256: String,
    /// Size of the PEF in bytes.
    pub pef_bytes: u64,
}

/// A braille letter's two files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrailleFiles {
    /// Braille ASCII.
    pub brf: Vec<u8>,
    /// PEF 1.0.
    pub pef: Vec<u8>,
}

/// A row of a letter's history: never changed once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// The letter.
    pub letter: String,
    /// When.
    pub at: Timestamp,
    /// Who: an officer id, or `letterkit` for the tool's own moves.
    pub by: String,
    /// The state before (`None` when the letter was queued).
    pub from: Option<State>,
    /// The state after.
    pub to: State,
    /// Why, in the officer's words or the tool's.
    pub reason: String,
}

/// A client's suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The client's reference, as given.
    pub reference: String,
    /// Why.
    pub reason: SuppressReason,
    /// Since when.
    pub since: Timestamp,
    /// The last day it applies, if it ends by itself.
    pub until: Option<Date>,
    /// Who suppressed.
    pub by: String,
    /// Whether it still applies (an `unsuppress` ends it).
    pub active: bool,
}

impl Suppression {
    /// Whether the suppression blocks a letter made at `day`.
    pub fn blocks(&self, day: Date) -> bool {
        self.active && self.until.is_none_or(|u| day <= u)
    }
}

/// A row of a suppression's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionEvent {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: String,
    /// `suppress` or `unsuppress`.
    pub action: String,
    /// The reason code, or the officer's words for an unsuppress.
    pub reason: String,
    /// The end date given, if any.
    pub until: Option<Date>,
}

/// A transmission once closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closing {
    /// Its working day.
    pub day: Date,
    /// When it was first closed.
    pub closed_at: Timestamp,
    /// Who closed it.
    pub by: String,
    /// Letters it transmitted.
    pub letters: u64,
}

/// The key a client's reference is matched by: its letters and digits,
/// upper-cased (so `1234 5678 9012` and `123456789012` are one client).
pub fn reference_key(reference: &str) -> String {
    reference
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Sheets of paper for `pages` printed on both sides.
pub fn sheets(pages: u32) -> u32 {
    pages.div_ceil(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_names_what_may_follow() {
        assert_eq!(
            State::Queued.what_next(),
            "it may become transmitted, cancelled, suppressed or superseded"
        );
        assert_eq!(State::Despatched.what_next(), "it may only become returned");
        assert_eq!(
            State::Cancelled.what_next(),
            "nothing more can happen to it"
        );
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>(), Ok(s));
            assert!(!s.may_become(State::Queued), "nothing goes back to queued");
        }
        assert!(State::Transmitted.may_become(State::Returned));
        assert!(!State::Transmitted.may_become(State::Cancelled));
    }

    #[test]
    fn references_match_whatever_their_spacing() {
        assert_eq!(reference_key("1234 5678 9012"), "123456789012");
        assert_eq!(reference_key("ab-12"), "AB12");
        assert_eq!(sheets(1), 1);
        assert_eq!(sheets(2), 1);
        assert_eq!(sheets(3), 2);
    }
}
