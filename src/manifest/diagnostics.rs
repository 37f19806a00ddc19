//! Diagnostics located in the manifest: a TOML value's span, narrowed to the part of a
//! string that is wrong, becomes a file:line:column message.

use crate::error::Diagnostic;
use crate::manifest::load::Cx;
use crate::manifest::toml_file::{Seg, TomlFile};
use crate::version;

/// A diagnostic pointing at `sub`, a byte range of the string `value` at `path`, when the
/// file spells the string without escapes (also as a multi-line string); else at the
/// whole value.
fn diag_within(
    src: &TomlFile,
    path: Vec<Seg>,
    value: &str,
    sub: Option<std::ops::Range<usize>>,
    message: impl Into<String>,
) -> Diagnostic {
    let span = src.span(&path).map(|whole| {
        let Some(sub) = sub.filter(|s| s.end <= value.len() && s.start <= s.end) else {
            return whole;
        };
        let raw = src.text.get(whole.clone()).unwrap_or("");
        for delim in ["\"\"\"", "'''", "\"", "'"] {
            let Some(inner) = raw.strip_prefix(delim).and_then(|r| r.strip_suffix(delim)) else {
                continue;
            };
            // a multi-line string drops the line break right after its opening quotes
            let skip = match delim.len() {
                3 if inner.starts_with("\r\n") => 2,
                3 if inner.starts_with('\n') => 1,
                _ => 0,
            };
            let body = inner.get(skip..).unwrap_or("");
            let base = whole.start + delim.len() + skip;
            if delim.starts_with('\'') || !body.contains('\\') {
                if body == value {
                    return base + sub.start..base + sub.start + (sub.end - sub.start).max(1);
                }
            } else if let Some(offsets) = basic_string_offsets(body, value) {
                let start = base + offsets[sub.start];
                let end = base + offsets[sub.end.max(sub.start + 1).min(value.len())];
                return start..end.max(start + 1);
            }
            break;
        }
        whole
    });
    Diagnostic::new(&src.path, message).at(&src.text, span)
}

/// For a TOML basic string's `body` (between the quotes) that decodes to `value`: the
/// offset in `body` where each byte of `value` starts, plus one past the end.
fn basic_string_offsets(body: &str, value: &str) -> Option<Vec<usize>> {
    let mut decoded = String::new();
    let mut offsets = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            offsets.extend(std::iter::repeat_n(i, c.len_utf8()));
            decoded.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        let ch = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'u' | 'U' | 'x' => {
                let n = match e {
                    'u' => 4,
                    'U' => 8,
                    _ => 2,
                };
                let hex: String = (0..n)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            c if c.is_whitespace() => {
                // a line-ending backslash: the break and the blanks after it vanish
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        offsets.extend(std::iter::repeat_n(i, ch.len_utf8()));
        decoded.push(ch);
    }
    offsets.push(body.len());
    (decoded == value).then_some(offsets)
}

/// A version refused by [`version::check`]: underlined where it goes wrong, with the rule.
fn version_diag(src: &TomlFile, path: Vec<Seg>, raw: &str, message: String) -> Diagnostic {
    diag_within(src, path, raw, version::problem_at(raw), message).note(
        "versions end up in specs, shell and file names: a digit first, then letters, digits and `.+~_-`, one separator at a time (strip a tag's `v` with tag-prefix)",
    )
}

/// The reason and, when regex shows one, the byte range in the pattern of a regex error.
pub(in crate::manifest) fn regex_error(
    e: &regex::Error,
) -> (String, Option<std::ops::Range<usize>>) {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let what = lines
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| {
            lines
                .last()
                .map(|l| l.trim().to_string())
                .unwrap_or_default()
        });
    // regex prints the pattern indented by four and carets under the bad part
    let at = lines.get(2).and_then(|carets| {
        let start = carets.find('^')?;
        let width = carets[start..].chars().take_while(|c| *c == '^').count();
        let start = start.checked_sub(4)?;
        (lines.len() == 4).then_some(start..start + width)
    });
    (what, at)
}

/// The line, counted from 1, where the value at `path` starts.
pub(in crate::manifest) fn line_at(src: &TomlFile, path: &[Seg]) -> Option<usize> {
    src.span(path)
        .map(|s| src.text[..s.start].matches('\n').count() + 1)
}

impl Cx<'_> {
    pub(in crate::manifest) fn err(&mut self, path: Vec<Seg>, message: impl Into<String>) {
        let d = self.src.error(path, message);
        self.errs.push(d);
    }

    pub(in crate::manifest) fn err_note(
        &mut self,
        path: Vec<Seg>,
        message: impl Into<String>,
        note: impl Into<String>,
    ) {
        let d = self.src.error(path, message).note(note);
        self.errs.push(d);
    }

    /// A diagnostic pointing at `sub`, a byte range of the string `value` at `path`.
    pub(in crate::manifest) fn err_within(
        &mut self,
        path: Vec<Seg>,
        value: &str,
        sub: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
        note: Option<String>,
    ) {
        let d = diag_within(self.src, path, value, sub, message);
        self.errs.push(match note {
            Some(n) => d.note(n),
            None => d,
        });
    }

    /// A version refused by [`version::check`], underlined where it goes wrong.
    pub(in crate::manifest) fn version_err(
        &mut self,
        path: Vec<Seg>,
        raw: &str,
        message: version::VersionError,
    ) {
        let d = version_diag(self.src, path, raw, message.to_string());
        self.errs.push(d);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::path;

    fn source(text: &str) -> TomlFile {
        let (src, _): (TomlFile, toml::Value) =
            TomlFile::parse(Path::new("m.toml"), text.to_string())
                .unwrap_or_else(|e| panic!("{e}"));
        src
    }

    #[test]
    fn basic_string_offsets_map_decoded_bytes_to_the_spelling() {
        assert_eq!(
            basic_string_offsets(r"a\tb", "a\tb"),
            Some(vec![0, 1, 3, 4])
        );
        assert_eq!(
            basic_string_offsets(r"\u00e9x", "éx"),
            Some(vec![0, 0, 6, 7])
        );
        assert_eq!(basic_string_offsets(r"a\tb", "atb"), None);
    }

    #[test]
    fn diag_within_points_at_the_bad_part_of_a_string() {
        let src = source("[x]\nurl = \"https://a b\"\n");
        let d = diag_within(&src, path!["x", "url"], "https://a b", Some(9..10), "bad");
        let at = d.location.unwrap_or_else(|| panic!("no location"));
        assert_eq!((at.line, at.column, at.width), (2, 17, 1));
        // escapes in the file shift the place, not the value
        let src = source("[x]\nv = \"\\t%{x}\"\n");
        let d = diag_within(&src, path!["x", "v"], "\t%{x}", Some(1..3), "bad");
        let at = d.location.unwrap_or_else(|| panic!("no location"));
        assert_eq!((at.line, at.column, at.width), (2, 8, 2));
        // no sub-range: the whole value
        let d = diag_within(&src, path!["x", "v"], "\t%{x}", None, "bad");
        let at = d.location.unwrap_or_else(|| panic!("no location"));
        assert_eq!((at.line, at.column), (2, 5));
    }

    #[test]
    fn regex_error_gives_the_reason_and_where() {
        #[allow(clippy::invalid_regex, reason = "the error is what is tested")]
        let e = match regex::Regex::new("a(b") {
            Err(e) => e,
            Ok(_) => panic!("an unclosed group compiles"),
        };
        let (what, at) = regex_error(&e);
        assert_eq!(what, "unclosed group");
        assert_eq!(at, Some(1..2));
    }

    #[test]
    fn line_at_counts_from_one() {
        let src = source("[x]\na = 1\nb = 2\n");
        let b = path!["x", "b"];
        assert_eq!(line_at(&src, &b), Some(3));
    }
}
