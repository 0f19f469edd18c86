//! Provider files: which letters were despatched, rejected or returned.
//!
//! CSV with a header naming an `id` and a `date` column (others, such as a
//! `reason`, are kept in the history), or JSON Lines of objects with `id`
//! and `date` (and optionally `reason`). Every bad line is reported with its
//! number; the good ones are still read.

use serde::Deserialize;

use super::calendar::Date;

/// One line of a provider file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// 1-based line number.
    pub line: u32,
    /// The letter's id.
    pub id: String,
    /// When it happened.
    pub date: Date,
    /// The provider's reason, if any (e.g. why it was rejected).
    pub reason: Option<String>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    id: String,
    date: String,
    #[serde(default)]
    reason: Option<String>,
}

fn date(s: &str, line: u32) -> Result<Date, LineProblem> {
    s.trim().parse::<Date>().map_err(|_| LineProblem {
        line,
        message: format!(
            "line {line}: date `{}` is not a date in the form YYYY-MM-DD",
            s.trim()
        ),
    })
}

/// Longest line read (a provider line is an id and a date).
const MAX_LINE: usize = 4096;

/// Reads a provider file; `json` picks JSON Lines, else CSV.
pub fn parse(text: &str, json: bool) -> (Vec<ImportRow>, Vec<LineProblem>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut columns: Option<(usize, usize, Option<usize>)> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = n as u32 + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        if raw.len() > MAX_LINE {
            problems.push(LineProblem {
                line,
                message: format!("line {line}: longer than {MAX_LINE} characters"),
            });
            continue;
        }
        if json {
            match serde_json::from_str::<JsonRow>(raw) {
                Ok(r) => match date(&r.date, line) {
                    Ok(d) => rows.push(ImportRow {
                        line,
                        id: r.id,
                        date: d,
                        reason: r.reason,
                    }),
                    Err(p) => problems.push(p),
                },
                Err(e) => problems.push(LineProblem {
                    line,
                    message: format!(
                        "line {line}: not an object with `id` and `date` (and optionally `reason`): {e}"
                    ),
                }),
            }
            continue;
        }
        let cells = crate::batch::input::split_csv(raw, ',');
        let Some((id_at, date_at, reason_at)) = columns else {
            let find = |n: &str| cells.iter().position(|c| c.trim().eq_ignore_ascii_case(n));
            match (find("id"), find("date")) {
                (Some(i), Some(d)) => columns = Some((i, d, find("reason"))),
                _ => {
                    problems.push(LineProblem {
                        line,
                        message: format!(
                            "line {line}: the header must name an `id` and a `date` column"
                        ),
                    });
                    return (rows, problems);
                }
            }
            continue;
        };
        let (Some(id), Some(d)) = (cells.get(id_at), cells.get(date_at)) else {
            problems.push(LineProblem {
                line,
                message: format!(
                    "line {line}: has {} cells, fewer than the header",
                    cells.len()
                ),
            });
            continue;
        };
        match date(d, line) {
            Ok(d) => rows.push(ImportRow {
                line,
                id: id.trim().to_owned(),
                date: d,
                reason: reason_at
                    .and_then(|k| cells.get(k))
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty()),
            }),
            Err(p) => problems.push(p),
        }
    }
    (rows, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_lines_give_rows_and_numbered_problems() {
        let (rows, problems) = parse(
            "\u{feff}date,id\r\n2026-03-03,a\r\nnot-a-date,b\r\n2026-03-04\r\n",
            false,
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, "a");
        assert_eq!(
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>(),
            vec![
                "line 3: date `not-a-date` is not a date in the form YYYY-MM-DD",
                "line 4: has 1 cells, fewer than the header"
            ]
        );
        let (rows, problems) = parse(
            "{\"id\":\"a\",\"date\":\"2026-03-03\",\"reason\":\"damaged\"}\n{\"id\":1}\n",
            true,
        );
        assert_eq!(rows[0].reason.as_deref(), Some("damaged"));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.starts_with("line 2: not an object"),
            "{}",
            problems[0].message
        );
    }
}
