//! The four kinds of pack and the shape of their stage machines: which step
//! may follow which, the data each step takes, and the documents it adds.
//!
//! The machines themselves are data: `packs/<kind>.yaml` in the catalog (the
//! SSST procedure, 001_a8ae07a86098a507.txt, as issue 4 lists it), read and
//! checked by [`super::procedure`] into a [`Procedures`]. Side steps (court
//! fees, corrections, cancelling, rearranged meetings, attendance) may be
//! taken at the stages they list without moving the pack's stage.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// A kind of pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackKind {
    /// Commitment (magistrates' court).
    Commitment,
    /// Liability order (magistrates' court).
    LiabilityOrder,
    /// County court.
    CountyCourt,
    /// Face-to-face work routing (visiting service).
    FaceToFace,
}

impl PackKind {
    /// Every kind, in the order the procedure gives them.
    pub const ALL: [PackKind; 4] = [
        PackKind::Commitment,
        PackKind::LiabilityOrder,
        PackKind::CountyCourt,
        PackKind::FaceToFace,
    ];

    /// The kebab-case name (`liability-order`).
    pub fn name(self) -> &'static str {
        match self {
            PackKind::Commitment => "commitment",
            PackKind::LiabilityOrder => "liability-order",
            PackKind::CountyCourt => "county-court",
            PackKind::FaceToFace => "face-to-face",
        }
    }

    /// Parses a kebab-case name.
    pub fn parse(s: &str) -> Option<PackKind> {
        PackKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// A human title.
    pub fn title(self) -> &'static str {
        match self {
            PackKind::Commitment => "Commitment",
            PackKind::LiabilityOrder => "Liability order",
            PackKind::CountyCourt => "County court",
            PackKind::FaceToFace => "Face-to-face routing",
        }
    }
}

impl fmt::Display for PackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a step ends the pack (`closes:` in a procedure file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Closes {
    /// The pack stays open.
    #[default]
    No,
    /// The pack is closed: the action is complete.
    Completed,
    /// The pack is closed: the action was stopped (cancelled, rejected).
    Cancelled,
}

impl Closes {
    /// The name as written in a procedure file.
    pub fn name(self) -> &'static str {
        match self {
            Closes::No => "no",
            Closes::Completed => "completed",
            Closes::Cancelled => "cancelled",
        }
    }
}

/// Whether a step takes attachments (`attach:` in a procedure file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attach {
    /// No attachments.
    #[default]
    None,
    /// Any number, including none.
    Optional,
    /// At least one.
    Required,
}

impl Attach {
    /// The name as written in a procedure file.
    pub fn name(self) -> &'static str {
        match self {
            Attach::None => "none",
            Attach::Optional => "optional",
            Attach::Required => "required",
        }
    }
}

/// A document a step renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSpec {
    /// Catalog code of the definition.
    pub code: String,
    /// What this copy is (shown in the manifest and the bundle index).
    pub label: String,
    /// Fields set by the step itself, not by the officer's data.
    pub fixed: Vec<(String, String)>,
    /// For letters: the data keys of the recipient's name, address lines
    /// and postcode.
    pub recipient: Option<[String; 3]>,
    /// Whether this copy replaces the current one with the same code (which
    /// is then kept as superseded).
    pub replaces: bool,
}

/// One step of a pack's stage machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSpec {
    /// Name as typed on the command line.
    pub name: String,
    /// What the step records, for `--help`, `show` and the docs.
    pub summary: String,
    /// The steps it may follow (empty: the step that creates the pack).
    pub after: Vec<String>,
    /// Keys its data may give.
    pub gives: Vec<String>,
    /// Keys its data must give.
    pub needs: Vec<String>,
    /// Keys that must be known (from this step or an earlier one) after it.
    pub ensures: Vec<String>,
    /// Keys forgotten before this step (values that belong to one check only).
    pub resets: Vec<String>,
    /// Documents it adds, in order.
    pub documents: Vec<DocSpec>,
    /// Whether it takes attachments.
    pub attach: Attach,
    /// Whether it closes the pack.
    pub closes: Closes,
    /// A side step: taken beside the procedure's path at any of the stages
    /// in `after`, it does not move the pack's stage, and (unless it closes
    /// the pack) it may be taken again (fees, corrections, rearranged
    /// meetings, attendance, cancelling).
    pub side: bool,
    /// Documents (codes) of earlier stages that this step renders again, as
    /// new versions, when it changes a key they show (the old versions are
    /// kept, superseded).
    pub rerenders: Vec<String>,
    /// A correction: the step names one `document` of the pack and takes any
    /// key that document shows, then renders it again as a new version.
    pub corrects: bool,
}

impl StepSpec {
    /// The keys its data may give, as `&str`.
    pub fn gives(&self) -> Vec<&str> {
        self.gives.iter().map(String::as_str).collect()
    }

    /// How much key `k` is needed: `required`, `required-unless-given-earlier`
    /// or `optional`.
    pub fn need(&self, k: &str) -> &'static str {
        if self.needs.iter().any(|n| n == k) {
            "required"
        } else if self.ensures.iter().any(|n| n == k) {
            "required-unless-given-earlier"
        } else {
            "optional"
        }
    }
}

/// The stage machine of one kind of pack, as its `packs/<kind>.yaml` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    /// The kind of pack.
    pub kind: PackKind,
    /// The procedure file it is built from.
    pub source: Option<String>,
    /// The steps, in their usual order.
    pub steps: Vec<StepSpec>,
    /// The catalog file it came from (`packs/commitment.yaml`).
    pub file: String,
}

impl Procedure {
    /// The steps, in their usual order.
    pub fn steps(&self) -> &[StepSpec] {
        &self.steps
    }

    /// The step called `name`.
    pub fn step(&self, name: &str) -> Option<&StepSpec> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// The steps that may follow `last` (the first step when `last` is None).
    pub fn next_after(&self, last: Option<&str>) -> Vec<&StepSpec> {
        self.steps
            .iter()
            .filter(|s| match last {
                None => s.after.is_empty(),
                Some(l) => s.after.iter().any(|a| a == l),
            })
            .collect()
    }
}

/// The stage machines of all four kinds: the catalog's `packs/*.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedures {
    /// One per kind, in the order of [`PackKind::ALL`].
    kinds: Vec<Procedure>,
}

impl Procedures {
    /// Procedures from one [`Procedure`] per kind (any order); None unless
    /// every kind is there exactly once.
    pub fn new(mut kinds: Vec<Procedure>) -> Option<Procedures> {
        kinds.sort_by_key(|p| PackKind::ALL.iter().position(|k| *k == p.kind));
        let complete = kinds.len() == PackKind::ALL.len()
            && kinds.iter().zip(PackKind::ALL).all(|(p, k)| p.kind == k);
        complete.then_some(Procedures { kinds })
    }

    /// The procedure of `kind`.
    pub fn get(&self, kind: PackKind) -> &Procedure {
        let i = PackKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        &self.kinds[i]
    }

    /// Every procedure, in the order of [`PackKind::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = &Procedure> {
        self.kinds.iter()
    }

    /// The procedures shipped in the built-in catalog (`packs/*.yaml`),
    /// read once. A catalog folder without a `packs/` folder uses these.
    pub fn builtin() -> Arc<Procedures> {
        static BUILTIN: OnceLock<Arc<Procedures>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let files = crate::catalog::embedded_files();
                let parsed = super::procedure::load(&files, None);
                // The shipped files are checked by every build's tests
                // (`Catalog::builtin`); a broken one is a build defect.
                #[allow(clippy::expect_used)]
                let procedures = parsed.expect("the shipped packs/*.yaml are valid");
                Arc::new(procedures)
            })
            .clone()
    }
}

/// Keys that belong to the step that gave them (one PV check, one meeting):
/// a document rendered again keeps the values of its own step, never a
/// later step's.
pub const OWN_KEYS: &[&str] = &[
    "pv-checked-by",
    "pv-result",
    "pv-details",
    "payments-since",
    "contact-since",
    "meeting-date",
    "meeting-time",
    "meeting-location",
    "changed-by",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped machines keep the shape the procedure gives them: one
    /// first step per kind, and the side steps of each kind.
    #[test]
    fn the_shipped_machines_have_their_steps() {
        let p = Procedures::builtin();
        let names = |k: PackKind| -> Vec<String> {
            p.get(k).steps().iter().map(|s| s.name.clone()).collect()
        };
        assert_eq!(
            names(PackKind::Commitment),
            [
                "create",
                "hearing",
                "paying-parent-letter",
                "issued",
                "second-pv-check",
                "outcome",
                "court-fee",
                "correct",
                "cancel"
            ]
        );
        assert_eq!(
            names(PackKind::FaceToFace),
            [
                "create",
                "reject",
                "appointment",
                "outcome",
                "rearrange",
                "attendance",
                "cancel",
                "correct"
            ]
        );
        for kind in PackKind::ALL {
            let first = p.get(kind).next_after(None);
            assert_eq!(first.len(), 1, "{kind}: one first step");
            assert_eq!(first[0].name, "create");
        }
        let lo = p.get(PackKind::LiabilityOrder);
        let cover = lo.step("cover-letter").expect("a step");
        assert_eq!(cover.rerenders, ["CMEL7298", "CMEL7000"]);
        assert_eq!(
            cover.documents[0].recipient,
            Some([
                "paying-parent-name".to_owned(),
                "paying-parent-address".to_owned(),
                "paying-parent-postcode".to_owned()
            ])
        );
    }
}
