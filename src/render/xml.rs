//! XML output through quick-xml: every text and attribute is escaped by the writer.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

pub type XmlWriter = Writer<Vec<u8>>;

/// Build a document with two-space indentation, optionally with an XML declaration.
pub fn document(declaration: bool, body: impl FnOnce(&mut XmlWriter) -> io::Result<()>) -> Vec<u8> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let result = (|| {
        if declaration {
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        }
        body(&mut w)
    })();
    #[allow(clippy::expect_used, reason = "writing into a Vec cannot fail")]
    result.expect("writing XML into memory");
    let mut out = w.into_inner();
    out.push(b'\n');
    out
}

/// `<name>text</name>`.
pub fn text_element(w: &mut XmlWriter, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// A comment on its own line; `--` cannot appear inside an XML comment, so it is refused upstream.
pub fn comment(w: &mut XmlWriter, text: &str) -> io::Result<()> {
    debug_assert!(!text.contains("--"));
    w.write_event(Event::Comment(BytesText::from_escaped(text)))
}
