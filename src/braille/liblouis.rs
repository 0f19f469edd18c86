//! The liblouis translator: runs `lou_translate` (Debian's `liblouis-bin`,
//! tables from `liblouis-data`) with `en-ueb-g2.ctb` or `en-ueb-g1.ctb` and
//! the `unicode.dis` display table, one paragraph a line.
//!
//! Running a program is I/O: this is an edge the library only uses when a
//! caller hands it in ([`crate::Engine::render_braille`]).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{BrailleError, Grade, MAX_PARAGRAPH_CHARS, Translator};

/// Runs liblouis's `lou_translate`.
#[derive(Debug, Clone)]
pub struct Liblouis {
    /// The program (default `lou_translate`, found on `PATH`).
    pub program: PathBuf,
}

impl Default for Liblouis {
    fn default() -> Self {
        Liblouis {
            program: PathBuf::from("lou_translate"),
        }
    }
}

/// The translation table of a grade.
pub(crate) fn ueb_table(grade: Grade) -> &'static str {
    match grade {
        Grade::One => "en-ueb-g1.ctb",
        Grade::Two => "en-ueb-g2.ctb",
    }
}

impl Liblouis {
    /// Runs `lou_translate` with `args` over `lines`, one result per line.
    fn run(&self, args: &[&str], lines: &[String]) -> Result<Vec<String>, BrailleError> {
        for (i, l) in lines.iter().enumerate() {
            let chars = l.chars().count();
            if chars >= MAX_PARAGRAPH_CHARS {
                return Err(BrailleError::TooLong {
                    index: i + 1,
                    chars,
                });
            }
            if l.contains(['\n', '\r']) || l.trim().is_empty() {
                return Err(BrailleError::Translator(format!(
                    "paragraph {} is empty or holds a line break; each paragraph must be one line",
                    i + 1
                )));
            }
        }
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let program = self.program.display().to_string();
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                BrailleError::Translator(format!(
                    "cannot run {program}: {e} (install liblouis-bin and liblouis-data: apt-get install liblouis-bin liblouis-data)"
                ))
            })?;
        let mut input = lines.join("\n");
        input.push('\n');
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        // Write on one thread while reading on this one: a long letter's
        // output fills the pipe before its input is all written.
        let (out, err) = std::thread::scope(|s| {
            let writer = s.spawn(move || {
                if let Some(mut w) = stdin {
                    let _ = w.write_all(input.as_bytes());
                }
            });
            let err_reader = s.spawn(move || {
                let mut e = String::new();
                if let Some(r) = stderr.as_mut() {
                    let _ = r.read_to_string(&mut e);
                }
                e
            });
            let mut out = Vec::new();
            if let Some(r) = stdout.as_mut() {
                let _ = r.read_to_end(&mut out);
            }
            let _ = writer.join();
            (out, err_reader.join().unwrap_or_default())
        });
        let status = child
            .wait()
            .map_err(|e| BrailleError::Translator(format!("{program}: {e}")))?;
        if !status.success() {
            let first = err.lines().next().unwrap_or("no message");
            return Err(BrailleError::Translator(format!(
                "{program} {} exited with {status}: {first}",
                args.join(" ")
            )));
        }
        let out = String::from_utf8(out).map_err(|_| {
            BrailleError::Output(format!("{program} wrote bytes that are not UTF-8"))
        })?;
        let got: Vec<String> = out.lines().map(str::to_owned).collect();
        if got.len() != lines.len() {
            return Err(BrailleError::Output(format!(
                "{program} gave {} lines for {} paragraphs",
                got.len(),
                lines.len()
            )));
        }
        Ok(got)
    }

    /// Back-translates braille cells (Unicode) to print, one result per
    /// line: how the tests check that each paragraph reads back.
    ///
    /// # Errors
    /// When `lou_translate` cannot run or fails.
    pub fn backward(&self, cells: &[String], grade: Grade) -> Result<Vec<String>, BrailleError> {
        let tables = format!("unicode.dis,{}", ueb_table(grade));
        self.run(&["--backward", &tables], cells)
    }
}

impl Translator for Liblouis {
    fn translate(&self, paragraphs: &[String], grade: Grade) -> Result<Vec<String>, BrailleError> {
        let tables = format!("unicode.dis,{}", ueb_table(grade));
        let mut out = self.run(&["--forward", &tables], paragraphs)?;
        for line in &mut out {
            // Blank cells written as spaces become the blank cell.
            *line = line.replace(' ', "\u{2800}");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_says_what_to_install() {
        let louis = Liblouis {
            program: PathBuf::from("/nonexistent/lou_translate"),
        };
        let e = louis
            .translate(&["text".into()], Grade::Two)
            .expect_err("no such program");
        let m = e.to_string();
        assert!(
            m.starts_with("the braille translator failed: cannot run /nonexistent/lou_translate: ")
                && m.ends_with(
                    "(install liblouis-bin and liblouis-data: apt-get install liblouis-bin liblouis-data)"
                ),
            "{m}"
        );
    }

    #[test]
    fn a_paragraph_with_a_line_break_is_refused_before_running_anything() {
        let louis = Liblouis {
            program: PathBuf::from("/nonexistent/lou_translate"),
        };
        let e = louis
            .translate(&["one\ntwo".into()], Grade::One)
            .expect_err("refused");
        assert_eq!(
            e.to_string(),
            "the braille translator failed: paragraph 1 is empty or holds a line break; each paragraph must be one line"
        );
    }
}
