//! The one rule for text kclrs shows a person: characters that could act on the terminal or hide
//! what a line says are written as escapes (`\u{1b}`), never sent raw.
//!
//! Messages quote text from files and servers that anyone may have written: keys and values of a
//! properties file, settings.xml, POM coordinates and properties, Maven's output. An ESC there
//! starts an escape sequence (an OSC sequence retitles the window, others move the cursor or
//! rewrite what was printed before), BEL and NUL upset terminals and logs, and bidi overrides
//! (U+202E) or invisible characters (U+200B) make a line read differently from what it holds.
//! Every `error:`, `warning:`, `hint:` and status line goes through [`escape`] at the point where
//! it is printed (`error::render_styled`, `ui::warn`, `ui::note`, the progress lines), so no
//! caller has to remember it. Line feeds and tabs stay: messages span lines by design.

use std::borrow::Cow;

/// True for a character that [`escape`] writes as `\u{…}`: control characters (C0 but line feed
/// and tab, DEL, C1), bidi embeddings, overrides, isolates and marks, and invisible format
/// characters (zero-width space and joiners, word joiner, byte-order mark, line and paragraph
/// separators).
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `text` with every [`is_unsafe`] character written as `\u{hex}`; borrowed when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_invisible_characters_are_escaped() {
        assert_eq!(
            escape("a\u{1b}]0;owned\u{7}b\u{0}c\r"),
            "a\\u{1b}]0;owned\\u{7}b\\u{0}c\\u{d}"
        );
        assert_eq!(escape("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(escape("sl\u{200b}f4j\u{feff}"), "sl\\u{200b}f4j\\u{feff}");
        assert_eq!(escape("c1\u{9b}31m del\u{7f}"), "c1\\u{9b}31m del\\u{7f}");
        // Line feeds, tabs and ordinary non-ASCII text stay as they are.
        let plain = "line 1\n\tline 2: é ü ✓";
        assert!(matches!(escape(plain), Cow::Borrowed(_)));
        assert_eq!(escape(plain), plain);
    }
}
