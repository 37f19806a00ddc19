//! DEP-5 `debian/copyright`: the manifest's SPDX license expression in Debian's
//! short names, with one stand-alone `License:` paragraph per license.

/// One stand-alone `License:` paragraph: the short name and its text, already
/// formatted as continuation lines (` text`, ` .` for blank lines).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct License {
    pub name: String,
    pub text: String,
}

/// A GNU license: SPDX stem, Debian short name, full name, file in common-licenses.
const GNU: &[(&str, &str, &str)] = &[
    ("GPL-1.0", "GPL-1", "GNU General Public License"),
    ("GPL-2.0", "GPL-2", "GNU General Public License"),
    ("GPL-3.0", "GPL-3", "GNU General Public License"),
    ("LGPL-2.0", "LGPL-2", "GNU Library General Public License"),
    ("LGPL-2.1", "LGPL-2.1", "GNU Lesser General Public License"),
    ("LGPL-3.0", "LGPL-3", "GNU Lesser General Public License"),
];

/// Licenses whose full text Debian ships in /usr/share/common-licenses (besides the GNU ones).
const COMMON: &[(&str, &str)] = &[
    ("Apache-2.0", "Apache License, Version 2.0"),
    ("MPL-1.1", "Mozilla Public License, Version 1.1"),
    ("MPL-2.0", "Mozilla Public License, Version 2.0"),
    ("CC0-1.0", "Creative Commons CC0 1.0 Universal"),
    ("GFDL-1.2", "GNU Free Documentation License, Version 1.2"),
    ("GFDL-1.3", "GNU Free Documentation License, Version 1.3"),
];

const APACHE: &str = "\
Licensed under the Apache License, Version 2.0 (the \"License\");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

https://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an \"AS IS\" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.";

const EXPAT: &str = "\
Permission is hereby granted, free of charge, to any person obtaining a
copy of this software and associated documentation files (the \"Software\"),
to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included
in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS
OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL
THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.";

const BSD_2: &str = "\
Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions
are met:
1. Redistributions of source code must retain the above copyright
   notice, this list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright
   notice, this list of conditions and the following disclaimer in the
   documentation and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
\"AS IS\" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.";

const BSD_3_CLAUSE: &str = "\
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.";

const ISC: &str = "\
Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.";

/// A license identifier in Debian's spelling, and the paragraph that explains it.
fn license(spdx: &str) -> License {
    for (stem, short, full) in GNU {
        let (or_later, only) = (format!("{stem}-or-later"), format!("{stem}-only"));
        let later = spdx == or_later || spdx == format!("{stem}+");
        if later || spdx == only || spdx == *stem {
            let version = &short[short.find('-').map_or(0, |i| i + 1)..];
            let terms = if later {
                format!("either version {version} of the License, or\n(at your option) any later version.")
            } else {
                format!("version {version} of the License.")
            };
            let text = format!(
                "This program is free software; you can redistribute it and/or modify\n\
                 it under the terms of the {full} as published by\n\
                 the Free Software Foundation; {terms}\n\
                 \n\
                 This program is distributed in the hope that it will be useful,\n\
                 but WITHOUT ANY WARRANTY; without even the implied warranty of\n\
                 MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE. See the\n\
                 {full} for more details.\n\
                 \n\
                 On Debian systems, the complete text of the {full}\n\
                 version {version} can be found in \"/usr/share/common-licenses/{short}\"."
            );
            let name = if later {
                format!("{short}+")
            } else {
                short.to_string()
            };
            return paragraph(&name, &text);
        }
    }
    let stem = spdx.trim_end_matches("-only");
    if let Some((short, full)) = COMMON.iter().find(|(s, _)| *s == stem) {
        let intro = if *short == "Apache-2.0" {
            format!("{APACHE}\n\n")
        } else {
            String::new()
        };
        let text = format!(
            "{intro}On Debian systems, the complete text of the {full}\n\
             can be found in \"/usr/share/common-licenses/{short}\"."
        );
        return paragraph(short, &text);
    }
    match spdx {
        "MIT" | "Expat" => paragraph("Expat", EXPAT),
        "BSD-2-Clause" => paragraph(spdx, BSD_2),
        "BSD-3-Clause" => {
            let text = BSD_2.replacen(
                "   documentation and/or other materials provided with the distribution.\n",
                &format!(
                    "   documentation and/or other materials provided with the distribution.\n{BSD_3_CLAUSE}\n"
                ),
                1,
            );
            paragraph(spdx, &text)
        }
        "ISC" => paragraph(spdx, ISC),
        other => paragraph(
            other,
            &format!(
                "The full text of the {other} license is distributed with the upstream\n\
                 source, and at https://spdx.org/licenses/{other}.html."
            ),
        ),
    }
}

fn paragraph(name: &str, text: &str) -> License {
    License {
        name: name.to_string(),
        text: continuation(text),
    }
}

/// Text as the continuation lines of a control-file field: one leading space, ` .` for blank lines.
pub(crate) fn continuation(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                " .".to_string()
            } else {
                format!(" {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An SPDX expression (`Apache-2.0 AND (MIT OR BSD-3-Clause)`, `GPL-2.0-only WITH
/// Linux-syscall-note`) as DEP-5 writes it, and the paragraphs for every license it names.
pub(crate) fn dep5(spdx: &str) -> (String, Vec<License>) {
    let spaced = spdx.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut licenses: Vec<License> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        match w {
            "AND" | "and" => out.push("and".to_string()),
            "OR" | "or" => out.push("or".to_string()),
            "(" | ")" => out.push(w.to_string()),
            id => {
                let mut l = license(id);
                let exception = words
                    .get(i + 1)
                    .filter(|w| w.eq_ignore_ascii_case("with"))
                    .and(words.get(i + 2));
                if let Some(x) = exception {
                    // DEP-5 names a license with its exception as a license of its own
                    l.name = format!("{} with {x} exception", l.name);
                    l.text.push_str(&format!(
                        "\n .\n{}",
                        continuation(&format!(
                            "The {x} exception applies:\nhttps://spdx.org/licenses/{x}.html"
                        ))
                    ));
                    i += 2;
                }
                out.push(l.name.clone());
                if !licenses.iter().any(|x| x.name == l.name) {
                    licenses.push(l);
                }
            }
        }
        i += 1;
    }
    let expr = out.join(" ").replace("( ", "(").replace(" )", ")");
    (expr, licenses)
}

/// One `Files:` paragraph of vendored dependencies: the directories that share a licence
/// and copyright lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Files {
    /// `vendor/github.com/x/y/*` patterns, sorted.
    pub files: Vec<String>,
    pub copyright: Vec<String>,
    /// The DEP-5 licence expression.
    pub license: String,
}

/// The copyright of a dependency whose licence files name nobody.
const NO_NOTICE: &str = "The authors of each module or crate named in Files";

/// The `Files:` paragraphs of `deps`, one per licence and copyright; the `License:`
/// paragraphs they need are added to `licenses` unless one of the name is there.
/// A licence of the record's own (`LicenseRef-vendored-<n>`, a text no common licence
/// was recognised in) is given with the dependency's text.
pub(crate) fn vendored(
    deps: &[crate::manifest::Vendored],
    licenses: &mut Vec<License>,
) -> Vec<Files> {
    let mut groups: Vec<Files> = Vec::new();
    let mut sorted: Vec<&crate::manifest::Vendored> = deps.iter().collect();
    sorted.sort_by(|a, b| a.dir.cmp(&b.dir));
    for d in sorted {
        let (expr, needed) = if d.license.starts_with("LicenseRef-") {
            let text = match d.texts.is_empty() {
                true => format!("{} has no licence file.", d.dir),
                false => d.texts.join("\n\n"),
            };
            (
                d.license.clone(),
                vec![paragraph(&d.license, &trimmed(&text))],
            )
        } else {
            dep5(&d.license)
        };
        for l in needed {
            if !licenses.iter().any(|x| x.name == l.name) {
                licenses.push(l);
            }
        }
        let copyright = match d.copyright.is_empty() {
            true => vec![NO_NOTICE.to_string()],
            false => d.copyright.clone(),
        };
        let pattern = format!("{}/*", d.dir);
        // The last paragraph that matches a file is its licence: a directory joins an
        // earlier paragraph only when none after it names a directory that holds it.
        let inside = |g: &Files| {
            g.files.iter().any(|f| {
                let parent = f.trim_end_matches('*');
                pattern.starts_with(parent) && pattern != *f
            })
        };
        let last_holder = groups.iter().rposition(inside);
        match groups
            .iter_mut()
            .enumerate()
            .find(|(i, g)| {
                g.license == expr && g.copyright == copyright && last_holder.is_none_or(|h| h <= *i)
            })
            .map(|(_, g)| g)
        {
            Some(g) => g.files.push(pattern),
            None => groups.push(Files {
                files: vec![pattern],
                copyright,
                license: expr,
            }),
        }
    }
    groups
}

/// A text with its lines' trailing whitespace and its blank lines at either end removed.
fn trimmed(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(dir: &str, license: &str, copyright: &[&str]) -> crate::manifest::Vendored {
        crate::manifest::Vendored {
            dir: dir.to_string(),
            name: dir.to_string(),
            version: "1".to_string(),
            license: license.to_string(),
            copyright: copyright.iter().map(|s| s.to_string()).collect(),
            texts: vec!["Some licence  \n\nwith terms\n".to_string()],
        }
    }

    #[test]
    fn vendored_directories_group_by_licence_and_copyright() {
        let (_, mut licenses) = dep5("MIT");
        let files = vendored(
            &[
                dep("vendor/c", "MIT", &["2020 C"]),
                dep("vendor/a", "MIT", &["2020 C"]),
                dep("vendor/b", "Apache-2.0 OR MIT", &[]),
                dep("vendor/d", "LicenseRef-vendored-1", &[]),
            ],
            &mut licenses,
        );
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].files, vec!["vendor/a/*", "vendor/c/*"]);
        assert_eq!(files[0].license, "Expat");
        assert_eq!(files[1].license, "Apache-2.0 or Expat");
        assert_eq!(files[1].copyright, vec![NO_NOTICE.to_string()]);
        let names: Vec<&str> = licenses.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, vec!["Expat", "Apache-2.0", "LicenseRef-vendored-1"]);
        assert_eq!(licenses[2].text, " Some licence\n .\n with terms");
    }

    #[test]
    fn a_nested_module_comes_after_the_module_that_holds_it() {
        let mut licenses = Vec::new();
        let files = vendored(
            &[
                dep("vendor/a", "MIT", &[]),
                dep("vendor/x", "ISC", &[]),
                dep("vendor/x/v2", "MIT", &[]),
                dep("vendor/z", "MIT", &[]),
            ],
            &mut licenses,
        );
        let got: Vec<Vec<String>> = files.into_iter().map(|f| f.files).collect();
        assert_eq!(
            got,
            vec![
                vec!["vendor/a/*".to_string(), "vendor/z/*".to_string()],
                vec!["vendor/x/*".to_string()],
                vec!["vendor/x/v2/*".to_string()],
            ]
        );
    }

    #[test]
    fn spdx_becomes_dep5() {
        let (e, l) = dep5("Apache-2.0");
        assert_eq!(e, "Apache-2.0");
        assert!(l[0]
            .text
            .ends_with("\"/usr/share/common-licenses/Apache-2.0\"."));
        assert_eq!(dep5("GPL-2.0-only").0, "GPL-2");
        assert_eq!(dep5("GPL-2.0-or-later").0, "GPL-2+");
        assert_eq!(dep5("LGPL-2.1-or-later").0, "LGPL-2.1+");
        let (e, l) = dep5("MIT OR (Apache-2.0 AND BSD-3-Clause)");
        assert_eq!(e, "Expat or (Apache-2.0 and BSD-3-Clause)");
        assert_eq!(l.len(), 3);
        let (e, l) = dep5("GPL-2.0-only WITH Linux-syscall-note");
        assert_eq!(e, "GPL-2 with Linux-syscall-note exception");
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].name, e);
        assert!(l[0].text.contains("common-licenses/GPL-2"));
        assert!(l[0]
            .text
            .ends_with("\n https://spdx.org/licenses/Linux-syscall-note.html"));
        assert!(dep5("BSD-3-Clause").1[0].text.contains(" 3. Neither"));
        assert!(!dep5("Apache-2.0").1[0].text.contains("\n \n"));
    }
}
