//! Checks on untrusted text that every layer shares.

/// Whether `s` holds a character no stored text may hold: U+0000 (PostgreSQL's TEXT cannot
/// store it) or another C0 control other than tab, line feed and carriage return. Every surface
/// refuses such input at its boundary, with its own 4xx; services refuse it in ids they look up.
pub fn has_forbidden_control(s: &str) -> bool {
    s.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn controls_but_tab_and_newlines_are_forbidden() {
        assert!(super::has_forbidden_control("a\0b"));
        assert!(super::has_forbidden_control("\u{1b}[31m"));
        assert!(!super::has_forbidden_control("tab\there\r\n"));
    }
}
