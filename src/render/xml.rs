//! XML escaping for the XML templates (`*.xml.tera`).
//!
//! pkgforge writes XML through tera templates, not through an XML writer, so a packager
//! changes an XML file the way they change a spec: by overriding its template. The
//! escaping is by construction:
//!
//! - Every `{{ }}` of an XML template is escaped as an attribute value ([`attribute`]):
//!   `<`, `>`, `&`, `'`, `"`, and the carriage return, line feed and tab, which XML
//!   would otherwise normalise to spaces inside an attribute. A template that forgets
//!   to escape a value still writes well-formed XML.
//! - Element text goes through the `xml_text` filter ([`text`]), which escapes the same
//!   characters but keeps line feeds and tabs as they are; tera prints its result
//!   unchanged.
//!
//! tera's own HTML escaping is not used: it also escapes `/`, which URLs and paths are
//! full of. The two functions escape exactly as quick-xml's writer does (the test below
//! holds them to it). The hostile-input suite (`tests/hostile.rs`) renders manifests
//! full of markup and checks the XML stays inert.

use std::collections::HashMap;

/// `raw` escaped for an attribute value: `< > & ' "` and CR, LF, TAB as references.
pub(crate) fn attribute(raw: &str) -> String {
    escape(raw, true)
}

/// `raw` escaped for element text: `< > & ' "` and CR as references.
pub(crate) fn text(raw: &str) -> String {
    escape(raw, false)
}

fn escape(raw: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// The `xml_text` filter: a string escaped as element text, printed as it is.
pub(crate) struct XmlText;

impl tera::Filter for XmlText {
    fn filter(
        &self,
        value: &tera::Value,
        _args: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        match value {
            tera::Value::String(s) => Ok(tera::Value::String(text(s))),
            tera::Value::Number(n) => Ok(tera::Value::String(n.to_string())),
            other => Err(tera::Error::msg(format!(
                "the `xml_text` filter takes a string, not `{other}`"
            ))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_quick_xml_does() {
        let raw = "a<b>&'\"\r\n\t/c";
        assert_eq!(text(raw), "a&lt;b&gt;&amp;&apos;&quot;&#13;\n\t/c");
        assert_eq!(
            attribute(raw),
            "a&lt;b&gt;&amp;&apos;&quot;&#13;&#10;&#9;/c"
        );
        assert_eq!(
            attribute(raw),
            quick_xml::events::attributes::Attribute::from(("k", raw))
                .value
                .as_ref()
        );
        assert_eq!(text(raw), quick_xml::escape::escape(raw));
    }
}
