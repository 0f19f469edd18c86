//! Strict JSON into the positioned tree.
//!
//! serde_json decides what is JSON (no trailing commas, no single quotes, no
//! comments) and gives the line and column of a mistake; a small reader then
//! builds the [`Node`] tree with the position of every value and key (serde
//! does not expose positions). The reader is only run on text serde_json has
//! accepted, so it never has to explain an error, but it still returns one
//! rather than panic if the two ever disagree.
//!
//! Positions are 1-based lines and columns counted in characters, like the
//! YAML reader's: a key or value is at its first character (the opening quote
//! of a string). serde_json's error columns are its own (bytes).

use super::tree::{Key, Node, ParseError, Pos, Value};

/// Deepest nesting accepted (serde_json refuses deeper than 128 too).
const MAX_DEPTH: usize = 128;

/// Parses strict JSON. `line_offset` is added to every line.
///
/// # Errors
/// [`ParseError`] at the position of the first syntax error.
pub fn parse(src: &str, line_offset: u32) -> Result<Node, ParseError> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(src) {
        let (column, at) = locate(src, e.line(), e.column());
        return Err(ParseError {
            pos: Pos {
                line: (e.line() as u32).saturating_add(line_offset),
                column,
            },
            message: describe(&e, src, at),
        });
    }
    let mut r = Reader {
        src: src.as_bytes(),
        at: 0,
        line: 1 + line_offset,
        line_start: 0,
        text: src,
    };
    r.skip_ws();
    let node = r.value(0)?;
    Ok(node)
}

/// serde_json's line and byte column as a column in characters (like every
/// other position in letterkit), and the byte offset it points at.
fn locate(src: &str, line: usize, column: usize) -> (u32, Option<usize>) {
    let start = if line > 1 {
        src.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)
    } else {
        Some(0)
    };
    let Some(start) = start else {
        return (column as u32, None);
    };
    if column == 0 {
        return (0, None);
    }
    let at = start + column - 1;
    match src.get(start..at) {
        Some(before) => (before.chars().count() as u32 + 1, Some(at)),
        None => (column as u32, None),
    }
}

/// serde_json's message without its " at line L column C" tail (the position
/// is given separately), with a word on the usual slips from YAML or
/// JavaScript habits, and without anything quoted from the input.
fn describe(e: &serde_json::Error, src: &str, at: Option<usize>) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    // Syntax messages are fixed phrases ("key must be a string", "expected
    // value", ...). Data messages could quote the input; IgnoredAny accepts
    // every value, so they do not arise, but be safe.
    if !(e.is_syntax() || e.is_eof()) {
        return "not valid JSON".to_owned();
    }
    let here = at.and_then(|i| src.as_bytes().get(i).copied());
    let before = at
        .and_then(|i| src.get(..i))
        .and_then(|s| s.trim_end().bytes().last());
    let hint = match (here, before) {
        (Some(b'}' | b']'), Some(b',')) => "a trailing comma: nothing may follow the last item",
        (Some(b'\''), _) => "JSON strings and keys take double quotes, not single quotes",
        (Some(b'/' | b'#'), _) => "JSON has no comments",
        _ => "",
    };
    if hint.is_empty() {
        text.to_owned()
    } else {
        format!("{text} ({hint})")
    }
}

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    at: usize,
    line: u32,
    line_start: usize,
}

impl Reader<'_> {
    fn pos(&self) -> Pos {
        let column = self
            .text
            .get(self.line_start..self.at)
            .map_or(0, |s| s.chars().count());
        Pos {
            line: self.line,
            column: column as u32 + 1,
        }
    }

    fn fail(&self, message: &str) -> ParseError {
        ParseError {
            pos: self.pos(),
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.fail("not valid JSON"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.fail("nested too deeply"));
        }
        self.skip_ws();
        let pos = self.pos();
        let value = match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let kpos = self.pos();
                        let name = self.string()?;
                        self.expect(b':')?;
                        let v = self.value(depth + 1)?;
                        entries.push((Key { name, pos: kpos }, v));
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.fail("not valid JSON")),
                        }
                    }
                }
                Value::Map(entries)
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.fail("not valid JSON")),
                        }
                    }
                }
                Value::Seq(items)
            }
            Some(b'"') => Value::Scalar {
                text: self.string()?,
                string: true,
            },
            Some(_) => {
                // A number, true, false or null: kept as written.
                let start = self.at;
                while let Some(b) = self.peek() {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                        self.at += 1;
                    } else {
                        break;
                    }
                }
                let word = self.text.get(start..self.at).unwrap_or("");
                match word {
                    "" => return Err(self.fail("not valid JSON")),
                    "null" => Value::Null,
                    w => Value::Scalar {
                        text: w.to_owned(),
                        string: false,
                    },
                }
            }
            None => return Err(self.fail("unexpected end of input")),
        };
        Ok(Node { value, pos })
    }

    /// A string at the cursor (which is on its opening quote).
    fn string(&mut self) -> Result<String, ParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.fail("key must be a string"));
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' {
                    break;
                }
                self.at += 1;
            }
            out.push_str(self.text.get(start..self.at).unwrap_or(""));
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let esc = self.peek().ok_or_else(|| self.fail("not valid JSON"))?;
                    self.at += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair: `\uD83D\uDE00`.
                                if self.src.get(self.at..self.at + 2) != Some(b"\\u") {
                                    return Err(self.fail("lone leading surrogate"));
                                }
                                self.at += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.fail("invalid surrogate pair"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(c).ok_or_else(|| self.fail("invalid escape"))?);
                        }
                        _ => return Err(self.fail("invalid escape")),
                    }
                }
                _ => return Err(self.fail("EOF while parsing a string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.fail("invalid escape"))?;
        let n = u32::from_str_radix(digits, 16).map_err(|_| self.fail("invalid escape"))?;
        self.at += 4;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(n: &Node) -> &str {
        match &n.value {
            Value::Scalar { text, .. } => text,
            _ => "",
        }
    }

    #[test]
    fn positions_of_keys_and_values() {
        let n = parse(
            "{\n  \"a\": [1, \"x\\u00e9\\ud83d\\ude00\"],\n  \"é\": null }",
            4,
        )
        .expect("parses");
        assert_eq!(n.pos, Pos { line: 5, column: 1 });
        let Value::Map(m) = &n.value else {
            panic!("map")
        };
        assert_eq!(m[0].0.pos, Pos { line: 6, column: 3 });
        let Value::Seq(items) = &m[0].1.value else {
            panic!("seq")
        };
        assert_eq!(items[0].pos, Pos { line: 6, column: 9 });
        assert_eq!(scalar(&items[0]), "1");
        assert_eq!(
            items[1].pos,
            Pos {
                line: 6,
                column: 12
            }
        );
        assert_eq!(scalar(&items[1]), "xé😀");
        assert_eq!(m[1].0.name, "é");
        assert_eq!(m[1].1.value, Value::Null);
        assert_eq!(m[1].1.pos, Pos { line: 7, column: 8 });
    }

    #[test]
    fn numbers_are_kept_as_written() {
        let n = parse("[1.50, -0, 1e3, true]", 0).expect("parses");
        let Value::Seq(items) = &n.value else {
            panic!("seq")
        };
        let texts: Vec<&str> = items.iter().map(scalar).collect();
        assert_eq!(texts, ["1.50", "-0", "1e3", "true"]);
    }

    #[test]
    fn strict_json_with_serde_json_positions() {
        for (src, line, column, message) in [
            (
                "{\"a\": 1,}",
                1,
                9,
                "key must be a string (a trailing comma: nothing may follow the last item)",
            ),
            (
                "[1,\n  ]",
                2,
                3,
                "expected value (a trailing comma: nothing may follow the last item)",
            ),
            (
                "{'a': 1}",
                1,
                2,
                "key must be a string (JSON strings and keys take double quotes, not single quotes)",
            ),
            (
                "{\"a\": 1 // note\n}",
                1,
                9,
                "expected `,` or `}` (JSON has no comments)",
            ),
            ("{\"a\": 1}\n{\"b\": 2}", 2, 1, "trailing characters"),
            ("{\"a\": [1,\n", 2, 0, "EOF while parsing a value"),
            // Columns count characters, not bytes.
            ("{\"é\": x}", 1, 7, "expected value"),
            // serde_json skips escapes it need not decode; the tree reader
            // still refuses a lone surrogate.
            ("{\"a\": \"\\ud800\"}", 1, 14, "lone leading surrogate"),
        ] {
            let e = parse(src, 10).expect_err(src);
            assert_eq!(
                (e.pos.line, e.pos.column, e.message.as_str()),
                (line + 10, column, message),
                "{src}"
            );
        }
    }
}
