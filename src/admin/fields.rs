//! A posted dashboard form as its fields, in order. A form may repeat a name (a selection of
//! users, a list of URLs), which `serde` forms cannot hold; handlers read each field by name and
//! turn the form into the service's typed command themselves.

/// The fields of a urlencoded form body.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The body's fields, or `None` when a name or value holds a control character other than
    /// a line break (a textarea's lines).
    pub fn parse(body: &[u8]) -> Option<Fields> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        Fields::from_pairs(pairs)
    }

    /// Fields read another way (a multipart form's text fields), with the same refusal of
    /// control characters as [`Fields::parse`].
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Option<Fields> {
        let bad = |s: &str| s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
        if pairs.iter().any(|(k, v)| bad(k) || bad(v)) {
            return None;
        }
        Some(Fields(pairs))
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// Whether the form has a field `name` (even an empty one).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value of `name` trimmed, `None` when empty or missing.
    pub fn text(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// Every value of `name` (a repeated field), trimmed, empty ones left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
    }

    /// The lines of a textarea `name`, trimmed, empty ones left out.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
    }

    /// Whether checkbox `name` is checked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repeated_fields_lines_and_checkboxes() {
        let f = Fields::parse(b"a=1&u=x&u=+y+&u=&t=l1%0D%0A%0D%0Al2&c=on").unwrap();
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("missing"), "");
        assert_eq!(f.all("u"), vec!["x", "y"]);
        assert_eq!(f.lines("t"), vec!["l1", "l2"]);
        assert!(f.checked("c"));
        assert!(!f.checked("a2"));
        assert_eq!(f.text("u").as_deref(), Some("x"));
    }

    #[test]
    fn refuses_control_characters_but_keeps_line_breaks() {
        assert!(Fields::parse(b"a=%00").is_none());
        assert!(Fields::parse(b"a%07=1").is_none());
        assert!(Fields::parse(b"a=x%0Ay").is_some());
    }
}
