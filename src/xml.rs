//! A tiny XML element tree, built with quick-xml, for every XML file kclrs reads: POMs,
//! `maven-metadata.xml` and `settings.xml`.
//!
//! These files are small, only a handful of their elements matter, and their schemas nest the same
//! shapes at several depths (`dependencies` inside `profiles` inside `project`), so reading a
//! document into names, text and children and querying that tree is simpler than one streaming
//! state machine per file. Having one parser also means one set of rules: namespace prefixes are
//! dropped, an element's text is its character data, CDATA and resolved character and entity
//! references, trimmed; and a malformed document fails as a whole, with an [`XmlError`] carrying
//! the byte offset, before anything in it is used. Callers word that error for their own file
//! (`file:line:col` for settings.xml, `near byte N` for repository files).

use quick_xml::encoding::EncodingError;
use quick_xml::escape::EscapeError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One XML element: its local name (namespace prefix dropped), its text and its child elements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    /// The element's own character data (text, CDATA, resolved references; not its children's),
    /// with leading and trailing whitespace trimmed.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children called `name`, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of child `name`; `None` when it is absent or empty.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.clone())
            .filter(|t| !t.is_empty())
    }
}

/// Why a document could not be read, and where.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct XmlError {
    /// Byte offset at which the problem was detected (the end of the document when it is cut short).
    pub offset: u64,
    /// Byte offset at which the markup, text or reference being read then began, counting blank
    /// text just before it as part of it (`<= offset`).
    pub event_start: u64,
    pub kind: XmlErrorKind,
}

/// What is wrong with a document. `Display` is a short description without the position.
#[derive(Debug, thiserror::Error)]
pub enum XmlErrorKind {
    /// quick-xml rejected the markup (a syntax error, or an ill-formed document such as a
    /// mismatched end tag).
    #[error("{0}")]
    Malformed(quick_xml::Error),
    /// Character data that is not valid UTF-8.
    #[error("{0}")]
    Encoding(EncodingError),
    /// `&name;` is neither a valid character reference nor one of XML's predefined entities.
    #[error("{}", reference_message(.error))]
    Reference { name: String, error: EscapeError },
    /// `&#…;` names a character XML 1.0 forbids (a control character other than tab, line feed
    /// and carriage return, a surrogate, U+FFFE or U+FFFF). Such a reference would otherwise put
    /// an ESC or a NUL into a URL, an id or a message.
    #[error("the character reference &{0}; names a character XML 1.0 does not allow")]
    ForbiddenChar(String),
    /// An end tag with no open element (quick-xml normally reports this itself).
    #[error("unexpected end tag")]
    UnmatchedEnd,
    /// The document ends while element `0` is still open.
    #[error("the file ends inside <{0}>")]
    Unclosed(String),
    /// The document has no element at all.
    #[error("no root element")]
    NoRoot,
    /// Elements nest deeper than [`MAX_DEPTH`]: no POM, metadata or settings file needs that, and
    /// an unbounded tree would let a hostile file exhaust the stack of every later walk over it.
    #[error("elements nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// The deepest element nesting accepted. Real POMs and settings files stay under 10 levels.
pub const MAX_DEPTH: usize = 256;

fn reference_message(error: &EscapeError) -> String {
    match error {
        EscapeError::InvalidCharRef(_) => error.to_string(),
        _ => "unknown entity reference".to_string(),
    }
}

/// Parses a UTF-8 XML document into its root element (the first, if there are several).
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(bytes);
    // The bottom of the stack is the document itself; the root element becomes its child.
    let mut stack: Vec<Element> = vec![Element::default()];
    // Where the event being read began; blank text before it counts as part of it.
    let mut start = 0;
    loop {
        let fail = |offset: u64, kind: XmlErrorKind| XmlError {
            offset,
            event_start: start,
            kind,
        };
        let event = reader
            .read_event()
            .map_err(|e| fail(reader.error_position(), XmlErrorKind::Malformed(e)))?;
        let blank = matches!(&event, Event::Text(t)
            if t.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')));
        match event {
            Event::Start(tag) => {
                // The bottom of the stack is the document, so its length is the new depth.
                if stack.len() > MAX_DEPTH {
                    return Err(fail(reader.buffer_position(), XmlErrorKind::TooDeep));
                }
                stack.push(element(&tag));
            }
            Event::Empty(tag) => push_child(&mut stack, element(&tag)),
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(fail(reader.buffer_position(), XmlErrorKind::UnmatchedEnd));
                }
                let mut done = stack.pop().unwrap_or_default();
                done.text = done.text.trim().to_string();
                push_child(&mut stack, done);
            }
            Event::Text(text) => {
                let decoded = text
                    .decode()
                    .map_err(|e| fail(reader.buffer_position(), XmlErrorKind::Encoding(e)))?;
                push_text(&mut stack, &decoded);
            }
            Event::CData(data) => {
                // CDATA is opaque to kclrs: bytes that are not UTF-8 are replaced, not fatal.
                let decoded = data
                    .decode()
                    .unwrap_or_else(|_| String::from_utf8_lossy(&data).into_owned().into());
                push_text(&mut stack, &decoded);
            }
            Event::GeneralRef(reference) => {
                let name = String::from_utf8_lossy(&reference).into_owned();
                // Resolved exactly as `unescape` resolves it inside text: `&#…;`, `&#x…;` and the
                // five predefined entities; a DTD's own entities are not supported.
                match quick_xml::escape::unescape(&format!("&{name};")) {
                    Ok(resolved) if !resolved.chars().all(is_xml_char) => {
                        let kind = XmlErrorKind::ForbiddenChar(name);
                        return Err(fail(reader.buffer_position(), kind));
                    }
                    Ok(resolved) => push_text(&mut stack, &resolved),
                    Err(error) => {
                        let kind = XmlErrorKind::Reference { name, error };
                        return Err(fail(reader.buffer_position(), kind));
                    }
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        if !blank {
            start = reader.buffer_position();
        }
    }
    if stack.len() > 1 {
        let open = stack.last().map(|e| e.name.clone()).unwrap_or_default();
        let end = bytes.len() as u64;
        return Err(XmlError {
            offset: end,
            event_start: end,
            kind: XmlErrorKind::Unclosed(open),
        });
    }
    let document = stack.pop().unwrap_or_default();
    document.children.into_iter().next().ok_or(XmlError {
        offset: 0,
        event_start: 0,
        kind: XmlErrorKind::NoRoot,
    })
}

/// XML 1.0's `Char` production: tab, line feed, carriage return and U+0020 and above, but the
/// surrogates (which a Rust `char` cannot hold anyway), U+FFFE and U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// A new element named after `tag`, without its namespace prefix.
fn element(tag: &BytesStart) -> Element {
    Element {
        name: String::from_utf8_lossy(tag.local_name().as_ref()).into_owned(),
        ..Element::default()
    }
}

fn push_child(stack: &mut [Element], element: Element) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_entities_and_cdata() {
        let root = parse(
            b"<?xml version=\"1.0\"?>\n<s:settings xmlns:s=\"x\"><a> x&amp;y&#33; </a><b/><a><![CDATA[ <z>]]></a>\n<c>\n  <d>1</d>\n</c></s:settings>",
        )
        .unwrap();
        assert_eq!(root.name, "settings");
        let texts: Vec<&str> = root.children_named("a").map(|a| a.text.as_str()).collect();
        assert_eq!(texts, ["x&y!", "<z>"]);
        assert_eq!(root.text_of("a").as_deref(), Some("x&y!"));
        assert!(root.child("b").is_some());
        assert_eq!(root.text_of("b"), None);
        let c = root.child("c").unwrap();
        assert_eq!(
            (c.text.as_str(), c.text_of("d").as_deref()),
            ("", Some("1"))
        );
    }

    #[test]
    fn errors_carry_where_they_were_found() {
        let e = parse(b"<a>\n<b>x</a>").unwrap_err();
        assert!(matches!(e.kind, XmlErrorKind::Malformed(_)), "{e:?}");
        assert_eq!((e.event_start, e.offset), (8, 8));
        let e = parse(b"<a>x&bogus;</a>").unwrap_err();
        assert_eq!(e.to_string(), "unknown entity reference");
        assert_eq!((e.event_start, e.offset), (4, 11));
        let e = parse(b"<a>&#0;</a>").unwrap_err();
        assert!(
            e.to_string().starts_with("invalid character reference"),
            "{e}"
        );
        let e = parse(b"<a>\xff</a>").unwrap_err();
        assert!(matches!(e.kind, XmlErrorKind::Encoding(_)), "{e:?}");
        let e = parse(b"<a><b>").unwrap_err();
        assert_eq!(e.to_string(), "the file ends inside <b>");
        assert_eq!(e.offset, 6);
        let e = parse(b"<?xml version=\"1.0\"?>").unwrap_err();
        assert_eq!(e.to_string(), "no root element");
    }

    /// Issue 21, finding 7: a reference to a character XML 1.0 forbids is an error, not an ESC
    /// or a BEL in an element's text; the allowed ones still resolve.
    #[test]
    fn references_to_forbidden_characters_are_refused() {
        for bad in [
            "&#27;",
            "&#x1b;",
            "&#x1B;",
            "&#7;",
            "&#x8;",
            "&#xFFFE;",
            "&#xffff;",
            "&#127;x&#1;",
        ] {
            let doc = format!("<a><b>x{bad}</b></a>");
            let e = parse(doc.as_bytes()).expect_err(bad);
            assert!(
                matches!(e.kind, XmlErrorKind::ForbiddenChar(_)),
                "{bad}: {e:?}"
            );
            assert!(e.to_string().contains("XML 1.0 does not allow"), "{e}");
        }
        let e = parse(b"<a>\n<b>x&#x1b;]0;t</b></a>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the character reference &#x1b; names a character XML 1.0 does not allow"
        );
        let root = parse("<a>&#9;&#10;&#13;&#x7f;&#xe9;&#x1F600;</a>".as_bytes()).unwrap();
        assert_eq!(root.text, "\u{7f}\u{e9}\u{1f600}");
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| "<a>".repeat(depth) + &"</a>".repeat(depth);
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_ok());
        let e = parse(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert!(matches!(e.kind, XmlErrorKind::TooDeep), "{e:?}");
        // The audit's 300,000 levels fail the same way, without overflowing the stack.
        let e = parse(nested(300_000).as_bytes()).unwrap_err();
        assert!(matches!(e.kind, XmlErrorKind::TooDeep), "{e:?}");
    }
}
