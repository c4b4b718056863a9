//! A minimal element tree for `settings.xml`, built with quick-xml.
//!
//! Settings files are small and only a handful of their elements matter to kclrs, so a tiny tree
//! (names, text, children) is simpler to query than a streaming state machine, and it lets every
//! syntax error be reported once, with the file's line and column, before anything is used.

use std::path::Path;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{Exit, UserError};

/// One XML element: its local name (namespace prefix dropped), its text and its child elements.
#[derive(Debug, Default)]
pub(super) struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children called `name`, in document order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of child `name`; `None` when it is absent or empty.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }
}

/// Parses `text` (the contents of `path`) into its root element.
pub(super) fn parse(path: &Path, text: &str) -> anyhow::Result<Element> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader
            .read_event()
            .map_err(|e| syntax_error(path, text, reader.error_position(), &e.to_string()))?;
        match event {
            Event::Start(start) => stack.push(Element {
                name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                push_child(&mut stack, element);
            }
            Event::End(_) => {
                let done = stack.pop().unwrap_or_default();
                push_child(&mut stack, done);
            }
            Event::Text(t) => {
                let decoded = t.decode().map_err(|e| {
                    syntax_error(path, text, reader.buffer_position(), &e.to_string())
                })?;
                push_text(&mut stack, &decoded);
            }
            Event::CData(c) => {
                let decoded = c.decode().map_err(|e| {
                    syntax_error(path, text, reader.buffer_position(), &e.to_string())
                })?;
                push_text(&mut stack, &decoded);
            }
            Event::GeneralRef(r) => {
                let pos = reader.buffer_position();
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| syntax_error(path, text, pos, &e.to_string()))?
                        .map(String::from)
                } else {
                    let name = r
                        .decode()
                        .map_err(|e| syntax_error(path, text, pos, &e.to_string()))?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(String::from)
                };
                let Some(resolved) = resolved else {
                    return Err(syntax_error(path, text, pos, "unknown entity reference"));
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if stack.len() > 1 {
        let open = stack.last().map(|e| e.name.clone()).unwrap_or_default();
        return Err(syntax_error(
            path,
            text,
            text.len() as u64,
            &format!("the file ends inside <{open}>"),
        ));
    }
    let document = stack.pop().unwrap_or_default();
    match document.children.into_iter().next() {
        Some(root) => Ok(root),
        None => Err(syntax_error(path, text, 0, "no root element")),
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

/// `path:line:column: what` as an input-file error (exit 3).
fn syntax_error(path: &Path, text: &str, offset: u64, what: &str) -> anyhow::Error {
    let offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    UserError::new(
        Exit::Input,
        format!(
            "{}:{line}:{column}: invalid settings XML: {what}",
            path.display()
        ),
    )
    .hint("fix the file, or point --settings at another one")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_entities_and_cdata() {
        let root = parse(
            Path::new("s.xml"),
            "<?xml version=\"1.0\"?>\n<s:settings xmlns:s=\"x\"><a> x&amp;y&#33; </a><b/><a><![CDATA[<z>]]></a></s:settings>",
        )
        .unwrap();
        assert_eq!(root.name, "settings");
        let texts: Vec<&str> = root.all("a").map(|a| a.text.as_str()).collect();
        assert_eq!(texts, [" x&y! ", "<z>"]);
        assert_eq!(root.text_of("a").as_deref(), Some("x&y!"));
        assert!(root.child("b").is_some());
        assert_eq!(root.text_of("b"), None);
    }
}
