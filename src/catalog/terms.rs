//! The terminology rule: letters say "receiving parent", "paying parent" and
//! "Child Maintenance Service", never the system's or legislation's terms.

use super::{Catalog, Problem, Selects};

/// Terms a letter must not use, with what to say instead.
const BANNED: &[(&str, &str)] = &[
    ("parent with care", "receiving parent"),
    ("person with care", "receiving parent"),
    ("non-resident parent", "paying parent"),
    ("non resident parent", "paying parent"),
    ("child support agency", "Child Maintenance Service"),
    ("child maintenance group", "Child Maintenance Service"),
    ("pwc", "receiving parent"),
    ("pewc", "receiving parent"),
    ("nrp", "paying parent"),
    ("csa", "Child Maintenance Service"),
    ("cmg", "Child Maintenance Service"),
];

/// The first banned term in `text` (whole words, any case) and its replacement.
pub(crate) fn banned_term(text: &str) -> Option<(&'static str, &'static str)> {
    let lower = text.to_lowercase();
    BANNED.iter().copied().find(|(term, _)| {
        lower.match_indices(term).any(|(i, m)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + m.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

pub(super) fn check_terminology(
    catalog: &Catalog,
    locate: &dyn Fn(&str, &str) -> (u32, u32),
) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut flag = |file: &str, what: &str, text: &str| {
        if let Some((term, instead)) = banned_term(text) {
            let (line, column) = locate(file, term);
            out.push(Problem::new(
                file,
                line,
                column,
                format!("{what} says \"{term}\": letters say \"{instead}\""),
            ));
        }
    };
    for p in catalog.paragraphs() {
        flag(&p.file, &format!("paragraph {}", p.code), &p.text);
    }
    if let Some(c) = &catalog.settings.braille_carrier {
        for text in std::iter::once(&c.heading).chain(&c.paragraphs) {
            flag("catalog.yaml", "the braille carrier page", text);
        }
    }
    for l in catalog.letters() {
        flag(&l.file, "the title", &l.title);
        flag(&l.file, "the template", &l.template);
        for f in &l.fields {
            if let Some(label) = &f.label {
                flag(&l.file, &format!("the label of field `{}`", f.name), label);
            }
            if let super::FieldType::Choice(choices) = &f.ty {
                for c in choices {
                    if let Selects::Text(t) = &c.selects {
                        flag(&l.file, &format!("choice `{}`", c.code), t);
                    }
                }
            }
        }
        for o in &l.optional_paragraphs {
            if let Selects::Text(t) = &o.selects {
                flag(&l.file, &format!("optional paragraph `{}`", o.id), t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::banned_term;

    #[test]
    fn finds_whole_words_only() {
        assert_eq!(banned_term("the NRP must pay").map(|t| t.0), Some("nrp"));
        assert_eq!(
            banned_term("Child Support Agency").map(|t| t.0),
            Some("child support agency")
        );
        assert_eq!(
            banned_term("a non-resident parent").map(|t| t.0),
            Some("non-resident parent")
        );
        assert_eq!(banned_term("the receiving parent and paying parent"), None);
        assert_eq!(banned_term("unrpaid csar"), None);
    }
}
