//! A small XML writer for the Query protocol's responses: nested elements with escaped text,
//! which is all IAM and STS answers contain. (A full XML crate would add a dependency to
//! write a dozen element shapes; reading XML is never needed.)

/// Escape text for element content and attribute values. Characters XML 1.0 cannot carry at
/// all (control characters other than tab, newline and carriage return) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Builds a document element by element. Tag names are the caller's constants, never input.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Self {
        Xml::default()
    }

    /// `<tag>…</tag>` with whatever `inner` writes.
    pub fn elem(&mut self, tag: &str, inner: impl FnOnce(&mut Xml)) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        inner(self);
        self.close(tag)
    }

    /// `<tag xmlns="namespace">…</tag>`: a document's root.
    pub fn root(&mut self, tag: &str, namespace: &str, inner: impl FnOnce(&mut Xml)) -> &mut Self {
        self.out.push_str(&format!("<{tag} xmlns=\"{}\">", escape(namespace)));
        inner(self);
        self.close(tag)
    }

    /// `<tag>text</tag>`, the text escaped.
    pub fn text(&mut self, tag: &str, value: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self.out.push_str(&escape(value));
        self.close(tag)
    }

    /// Append what another writer built.
    pub fn append(&mut self, other: Xml) -> &mut Self {
        self.out.push_str(&other.out);
        self
    }

    fn close(&mut self, tag: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_unrepresentable_characters() {
        assert_eq!(escape(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
        assert_eq!(escape("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
        assert_eq!(escape("bell\u{7}nul\u{0}"), "bell\u{FFFD}nul\u{FFFD}");
        assert_eq!(escape("é€😀"), "é€😀");
        assert_eq!(escape("]]>"), "]]&gt;");
    }

    #[test]
    fn builds_nested_elements() {
        let mut x = Xml::new();
        x.root("R", "https://ns/", |x| {
            x.elem("Result", |x| {
                x.text("Name", "a<b");
                x.elem("Empty", |_| {});
            });
        });
        assert_eq!(x.finish(), r#"<R xmlns="https://ns/"><Result><Name>a&lt;b</Name><Empty></Empty></Result></R>"#);
    }
}
