//! The four kinds of pack and their stage machines, as the SSST procedure
//! (001_a8ae07a86098a507.txt) and issue 4 list them: which step may follow
//! which, the data each step takes, and the documents it adds. Side steps
//! (court fees, corrections, cancelling, rearranged meetings, attendance) may
//! be taken at the stages they list without moving the pack's stage.

use std::fmt;

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

    /// The steps of this kind, in their usual order.
    pub fn steps(self) -> &'static [StepSpec] {
        match self {
            PackKind::Commitment => COMMITMENT,
            PackKind::LiabilityOrder => LIABILITY_ORDER,
            PackKind::CountyCourt => COUNTY_COURT,
            PackKind::FaceToFace => FACE_TO_FACE,
        }
    }

    /// The step called `name`.
    pub fn step(self, name: &str) -> Option<&'static StepSpec> {
        self.steps().iter().find(|s| s.name == name)
    }

    /// The steps that may follow `last` (the first step when `last` is None).
    pub fn next_after(self, last: Option<&str>) -> Vec<&'static StepSpec> {
        self.steps()
            .iter()
            .filter(|s| match last {
                None => s.after.is_empty(),
                Some(l) => s.after.contains(&l),
            })
            .collect()
    }
}

impl fmt::Display for PackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a step ends the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closes {
    /// The pack stays open.
    No,
    /// The pack is closed: the action is complete.
    Completed,
    /// The pack is closed: the action was stopped (cancelled, rejected).
    Cancelled,
}

/// Whether a step takes attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// No attachments.
    None,
    /// Any number, including none.
    Optional,
    /// At least one.
    Required,
}

/// A document a step renders.
#[derive(Debug, Clone, Copy)]
pub struct DocSpec {
    /// Catalog code of the definition.
    pub code: &'static str,
    /// What this copy is (shown in the manifest and the bundle index).
    pub label: &'static str,
    /// Fields set by the step itself, not by the officer's data.
    pub fixed: &'static [(&'static str, &'static str)],
    /// For letters: the data keys of the recipient's name, address lines
    /// and postcode.
    pub recipient: Option<[&'static str; 3]>,
    /// Whether this copy replaces the current one with the same code (which
    /// is then kept as superseded).
    pub replaces: bool,
}

/// One step of a pack's stage machine.
#[derive(Debug, Clone, Copy)]
pub struct StepSpec {
    /// Name as typed on the command line.
    pub name: &'static str,
    /// What the step records, for `--help`, `show` and the docs.
    pub summary: &'static str,
    /// The steps it may follow (empty: the step that creates the pack).
    pub after: &'static [&'static str],
    /// Keys its data may give.
    pub gives: &'static [&'static str],
    /// Keys its data must give.
    pub needs: &'static [&'static str],
    /// Keys that must be known (from this step or an earlier one) after it.
    pub ensures: &'static [&'static str],
    /// Keys forgotten before this step (values that belong to one check only).
    pub resets: &'static [&'static str],
    /// Documents it adds, in order.
    pub documents: &'static [DocSpec],
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
    pub rerenders: &'static [&'static str],
    /// A correction: the step names one `document` of the pack and takes any
    /// key that document shows, then renders it again as a new version.
    pub corrects: bool,
}

const PAYING_PARENT: Option<[&str; 3]> = Some([
    "paying-parent-name",
    "paying-parent-address",
    "paying-parent-postcode",
]);
const COURT: Option<[&str; 3]> = Some(["court", "court-address", "court-postcode"]);
const CLIENT: Option<[&str; 3]> = Some(["client-name", "client-address", "client-postcode"]);

const fn doc(code: &'static str, label: &'static str) -> DocSpec {
    DocSpec {
        code,
        label,
        fixed: &[],
        recipient: None,
        replaces: false,
    }
}

const SECOND_PV_GIVES: &[&str] = &[
    "pv-checked-by",
    "pv-result",
    "pv-details",
    "payments-since",
    "contact-since",
];
const SECOND_PV_NEEDS: &[&str] = &[
    "pv-checked-by",
    "pv-result",
    "payments-since",
    "contact-since",
];

const fn step(
    name: &'static str,
    summary: &'static str,
    after: &'static [&'static str],
) -> StepSpec {
    StepSpec {
        name,
        summary,
        after,
        gives: &[],
        needs: &[],
        ensures: &[],
        resets: &[],
        documents: &[],
        attach: Attach::None,
        closes: Closes::No,
        side: false,
        rerenders: &[],
        corrects: false,
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

/// The court fee (procedure, "Making payment for enforcement actions"): after
/// the enforcement case manager's email, pay the court and record it.
const fn court_fee(during: &'static [&'static str]) -> StepSpec {
    StepSpec {
        gives: &["fee-court", "fee-amount", "fee-paid-on"],
        needs: &["fee-amount", "fee-paid-on"],
        side: true,
        ..step(
            "court-fee",
            "A court fee was paid (court, amount, date paid; the court defaults to the pack's court): recorded, and shown by `pack show`; may be taken more than once",
            during,
        )
    }
}

/// A correction of one document's data, at any open stage.
const fn correct(during: &'static [&'static str]) -> StepSpec {
    StepSpec {
        gives: &["document", "correction-reason"],
        needs: &["document", "correction-reason"],
        side: true,
        corrects: true,
        ..step(
            "correct",
            "Corrects a document's data (`document`: its file name or code; `correction-reason`; the corrected keys): renders it again as a new version, the old one kept superseded",
            during,
        )
    }
}

/// The CPO stops the action (procedure, Liability Order step 11; the other
/// court kinds alike).
const fn cancel(during: &'static [&'static str]) -> StepSpec {
    StepSpec {
        gives: &["cancel-reason"],
        closes: Closes::Cancelled,
        side: true,
        ..step(
            "cancel",
            "The CPO decides not to proceed (e.g. paid in full): the pack is closed as cancelled",
            during,
        )
    }
}

const fn outcome(after: &'static [&'static str]) -> StepSpec {
    StepSpec {
        gives: &["outcome"],
        needs: &["outcome"],
        attach: Attach::Optional,
        closes: Closes::Completed,
        ..step(
            "outcome",
            "The CPO's outcome is recorded (the scanned outcome may be attached); the pack is closed",
            after,
        )
    }
}

const fn second_pv_record(fixed: &'static [(&'static str, &'static str)]) -> DocSpec {
    DocSpec {
        fixed,
        ..doc("pv-check-record", "PV check record (second check)")
    }
}

const fn second_pv(documents: &'static [DocSpec], after: &'static [&'static str]) -> StepSpec {
    StepSpec {
        gives: SECOND_PV_GIVES,
        needs: SECOND_PV_NEEDS,
        resets: &["pv-details"],
        documents,
        ..step(
            "second-pv-check",
            "Second PV check 48 hours before the hearing, with payments and contact since referral: adds the second PV check record",
            after,
        )
    }
}

const COMMITMENT: &[StepSpec] = &[
    StepSpec {
        gives: &[
            "reference",
            "region",
            "sr-number",
            "paying-parent-name",
            "paying-parent-address",
            "paying-parent-postcode",
            "court",
            "amount-owed",
            "pv-checked-by",
            "pv-result",
            "pv-details",
            "referral-notes",
        ],
        needs: &[
            "reference",
            "region",
            "paying-parent-name",
            "court",
            "amount-owed",
            "pv-checked-by",
            "pv-result",
        ],
        documents: &[
            doc("CMEL7211", "Court summons form (partially completed)"),
            DocSpec {
                fixed: &[("pv-check", "first"), ("action", "commitment")],
                ..doc("pv-check-record", "PV check record (first check)")
            },
            DocSpec {
                fixed: &[("action", "commitment")],
                ..doc("ssst-referral-form", "SSST referral form")
            },
        ],
        ..step(
            "create",
            "Referral: adds the partially completed court summons form CMEL7211, the first PV check record and the SSST referral form",
            &[],
        )
    },
    StepSpec {
        gives: &[
            "cpo-name",
            "hearing-date",
            "hearing-time",
            "court-address",
            "court-postcode",
        ],
        needs: &[
            "cpo-name",
            "hearing-date",
            "court-address",
            "court-postcode",
        ],
        documents: &[
            DocSpec {
                replaces: true,
                ..doc("CMEL7211", "Court summons form (completed)")
            },
            DocSpec {
                recipient: COURT,
                ..doc("commitment-court-cover-letter", "Cover letter to the court")
            },
        ],
        ..step(
            "hearing",
            "CPO and hearing date given: adds the completed CMEL7211 (the partial one is kept, marked superseded) and the court cover letter",
            &["create"],
        )
    },
    StepSpec {
        gives: &[
            "paying-parent-address",
            "paying-parent-postcode",
            "hearing-time",
        ],
        ensures: &["paying-parent-address", "paying-parent-postcode"],
        documents: &[DocSpec {
            recipient: PAYING_PARENT,
            ..doc(
                "commitment-paying-parent-cover-letter",
                "Cover letter to the paying parent",
            )
        }],
        ..step(
            "paying-parent-letter",
            "The CPO asks for the paying parent cover letter: adds it",
            &["hearing"],
        )
    },
    StepSpec {
        gives: &["issue-date"],
        needs: &["issue-date"],
        ..step(
            "issued",
            "The CPO confirms the letter and summons were issued: records the date of issue",
            &["paying-parent-letter"],
        )
    },
    second_pv(
        &[second_pv_record(&[
            ("pv-check", "second"),
            ("action", "commitment"),
        ])],
        &["issued"],
    ),
    outcome(&["second-pv-check"]),
    court_fee(COMMITMENT_OPEN),
    correct(COMMITMENT_OPEN),
    cancel(COMMITMENT_OPEN),
];

const COMMITMENT_OPEN: &[&str] = &[
    "create",
    "hearing",
    "paying-parent-letter",
    "issued",
    "second-pv-check",
];

const LIABILITY_ORDER: &[StepSpec] = &[
    StepSpec {
        gives: &[
            "reference",
            "region",
            "sr-number",
            "paying-parent-name",
            "paying-parent-address",
            "paying-parent-postcode",
            "court",
            "amount-owed",
            "arrears-period",
            "cpo-name",
            "hearing-date",
            "hearing-time",
            "pv-checked-by",
            "pv-result",
            "pv-details",
            "referral-notes",
        ],
        needs: &[
            "reference",
            "region",
            "paying-parent-name",
            "court",
            "amount-owed",
            "cpo-name",
            "hearing-date",
            "pv-checked-by",
            "pv-result",
        ],
        documents: &[
            doc("CMEL7298", "Enforcement form"),
            doc("CMEL7000", "Liability order application form"),
            DocSpec {
                fixed: &[("action", "liability-order")],
                ..doc("ssst-referral-form", "SSST referral form")
            },
            DocSpec {
                fixed: &[("pv-check", "first"), ("action", "liability-order")],
                ..doc(
                    "pv-check-record",
                    "PV check record (full check at referral)",
                )
            },
        ],
        ..step(
            "create",
            "Referral: adds the enforcement form CMEL7298 with the hearing date, the LO application form CMEL7000, the SSST referral form and the PV check record",
            &[],
        )
    },
    StepSpec {
        gives: &[
            "hearing-date",
            "hearing-time",
            "costs",
            "court-address",
            "paying-parent-address",
            "paying-parent-postcode",
        ],
        needs: &["hearing-date"],
        ensures: &["paying-parent-address", "paying-parent-postcode"],
        documents: &[DocSpec {
            recipient: PAYING_PARENT,
            ..doc("CMEL9180", "Cover letter to the paying parent")
        }],
        rerenders: &["CMEL7298", "CMEL7000"],
        ..step(
            "cover-letter",
            "The CPT's email gives the hearing date and costs: adds the CMEL9180 cover letter as PDF; a changed hearing date or time renders CMEL7298 and CMEL7000 again (the old ones kept, superseded)",
            &["create"],
        )
    },
    StepSpec {
        gives: &["issue-date"],
        needs: &["issue-date"],
        ..step(
            "issued",
            "The CPT has sent the letter and summons: records the date of issue",
            &["cover-letter"],
        )
    },
    second_pv(
        &[second_pv_record(&[
            ("pv-check", "second"),
            ("action", "liability-order"),
        ])],
        &["issued"],
    ),
    outcome(&["second-pv-check"]),
    court_fee(LIABILITY_ORDER_OPEN),
    correct(LIABILITY_ORDER_OPEN),
    cancel(LIABILITY_ORDER_OPEN),
];

const LIABILITY_ORDER_OPEN: &[&str] = &["create", "cover-letter", "issued", "second-pv-check"];

const COUNTY_COURT: &[StepSpec] = &[
    StepSpec {
        gives: &[
            "reference",
            "region",
            "sr-number",
            "paying-parent-name",
            "court",
            "amount-owed",
            "cpo-name",
            "hearing-date",
            "pv-checked-by",
            "pv-result",
            "pv-details",
            "referral-notes",
        ],
        needs: &[
            "reference",
            "region",
            "paying-parent-name",
            "court",
            "pv-checked-by",
            "pv-result",
        ],
        documents: &[
            DocSpec {
                fixed: &[("action", "county-court")],
                ..doc("ssst-referral-form", "SSST CPO referral form")
            },
            DocSpec {
                fixed: &[("pv-check", "first"), ("action", "county-court")],
                ..doc("pv-check-record", "PV check record")
            },
        ],
        attach: Attach::Required,
        ..step(
            "create",
            "Referral: the supporting documents you attach (screenshots, scanned PDFs), the SSST CPO referral form and the PV check record",
            &[],
        )
    },
    StepSpec {
        gives: &["cpo-name", "hearing-date"],
        needs: &["hearing-date"],
        ensures: &["cpo-name"],
        ..step(
            "hearing",
            "Records the CPO's name and the hearing date",
            &["create"],
        )
    },
    second_pv(
        &[second_pv_record(&[
            ("pv-check", "second"),
            ("action", "county-court"),
        ])],
        &["hearing"],
    ),
    outcome(&["hearing", "second-pv-check"]),
    court_fee(COUNTY_COURT_OPEN),
    correct(COUNTY_COURT_OPEN),
    cancel(COUNTY_COURT_OPEN),
];

const COUNTY_COURT_OPEN: &[&str] = &["create", "hearing", "second-pv-check"];

const FACE_TO_FACE: &[StepSpec] = &[
    StepSpec {
        gives: &[
            "reference",
            "region",
            "sr-number",
            "client-name",
            "client-role",
            "client-address",
            "client-postcode",
            "reason",
            "reason-text",
            "pv-checked-by",
            "pv-result",
            "pv-details",
            "visit-notes",
        ],
        needs: &[
            "reference",
            "region",
            "client-name",
            "client-role",
            "client-address",
            "client-postcode",
            "reason",
            "pv-checked-by",
            "pv-result",
        ],
        documents: &[doc("CMSF5579", "Visiting service referral form")],
        ..step(
            "create",
            "Referral to VSAT after a full PV check: adds the visiting service referral form CMSF5579",
            &[],
        )
    },
    StepSpec {
        gives: &["rejection-reason"],
        closes: Closes::Cancelled,
        ..step(
            "reject",
            "VSAT rejects the referral: the pack is closed as cancelled",
            &["create"],
        )
    },
    StepSpec {
        gives: &[
            "meeting-date",
            "meeting-time",
            "meeting-location",
            "reason",
            "reason-text",
        ],
        needs: &["meeting-date", "meeting-time", "meeting-location"],
        documents: &[DocSpec {
            recipient: CLIENT,
            ..doc("CMSL5501", "Appointment confirmation letter")
        }],
        ..step(
            "appointment",
            "The consultant gives the date, time and place: adds the CMSL5501 confirmation letter",
            &["create"],
        )
    },
    StepSpec {
        gives: &["visit-outcome", "outcome"],
        needs: &["visit-outcome"],
        attach: Attach::Optional,
        closes: Closes::Completed,
        ..step(
            "outcome",
            "The consultant returns CMSF5579 after the visit (attach the scan if you have it): the pack is closed",
            &["appointment"],
        )
    },
    StepSpec {
        gives: &[
            "changed-by",
            "meeting-date",
            "meeting-time",
            "meeting-location",
        ],
        needs: &["changed-by", "meeting-date", "meeting-time"],
        ensures: &["meeting-location"],
        documents: &[DocSpec {
            recipient: CLIENT,
            ..doc("CMSL5502", "Meeting details changed letter")
        }],
        side: true,
        ..step(
            "rearrange",
            "The meeting is moved (`changed-by`: client or cms): adds the CMSL5502 letter with the new date, time and place; may be taken more than once",
            &["appointment"],
        )
    },
    StepSpec {
        gives: &["attendance"],
        needs: &["attendance"],
        side: true,
        ..step(
            "attendance",
            "Records whether the client attended the meeting; a client who fails to attend more than twice closes the pack as `Failed To Attend` (procedure step 5)",
            &["appointment"],
        )
    },
    StepSpec {
        gives: &["cancel-reason"],
        documents: &[DocSpec {
            recipient: CLIENT,
            ..doc("CMSL5503", "Meeting cancelled letter")
        }],
        closes: Closes::Cancelled,
        side: true,
        ..step(
            "cancel",
            "The meeting is cancelled: adds the CMSL5503 letter; the pack is closed as cancelled",
            &["appointment"],
        )
    },
    correct(&["create", "appointment"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::data::key_spec;

    #[test]
    fn machines_are_consistent() {
        for kind in PackKind::ALL {
            assert_eq!(kind.next_after(None).len(), 1, "{kind}: one first step");
            for s in kind.steps() {
                for k in s.gives.iter().chain(s.resets) {
                    assert!(key_spec(k).is_some(), "{kind}/{}: unknown key {k}", s.name);
                }
                for k in s.needs {
                    assert!(
                        s.gives.contains(k),
                        "{kind}/{}: needs {k} it does not take",
                        s.name
                    );
                }
                for a in s.after {
                    assert!(kind.step(a).is_some(), "{kind}/{}: after {a}", s.name);
                }
                if s.side {
                    for other in kind.steps() {
                        assert!(
                            !other.after.contains(&s.name),
                            "{kind}/{}: a side step moves no stage, so nothing follows it",
                            s.name
                        );
                    }
                    continue;
                }
                let followers = kind.next_after(Some(s.name));
                assert_eq!(
                    followers.iter().all(|f| f.side),
                    s.closes != Closes::No,
                    "{kind}/{}: only closing steps end the machine",
                    s.name
                );
            }
        }
    }
}
