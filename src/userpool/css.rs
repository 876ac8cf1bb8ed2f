//! The CSS a pool may give its hosted pages (SetUICustomization), checked as Cognito does and
//! then some: rules only for Cognito's customisable classes, plain declarations only.
//!
//! Refused, each with a message naming the problem: any at-rule (`@import`, `@media`,
//! `@font-face`, …), `url()` and every function but colours and `calc()` (no resource can be
//! fetched, no `expression()`), `\` escapes (they could spell any of those), `<` (no
//! `</style>`), control characters, selectors other than the listed classes, nesting, and more
//! than [`MAX_CSS_CHARS`] characters. What passes is served as given, as `text/css` from our
//! origin, so the pages' strict CSP (`style-src 'self'`) stays.

/// The model's limit for `CSS` (Cognito advises staying under 3 KB).
pub const MAX_CSS_CHARS: usize = 131_072;

/// Cognito's classic hosted-UI classes, with the pseudo-classes it allows.
pub const CUSTOMIZABLE: &[&str] = &[
    "background-customizable",
    "banner-customizable",
    "errorMessage-customizable",
    "idpButton-customizable",
    "idpButton-customizable:hover",
    "inputField-customizable",
    "inputField-customizable:focus",
    "label-customizable",
    "legalText-customizable",
    "logo-customizable",
    "submitButton-customizable",
    "submitButton-customizable:hover",
    "textDescription-customizable",
];

/// Functions a value may call: colours and arithmetic, nothing that fetches or runs.
const FUNCTIONS: &[&str] = &["rgb", "rgba", "hsl", "hsla", "calc"];

/// Properties that run code or bind behaviour in some browser.
const FORBIDDEN_PROPERTIES: &[&str] = &["behavior", "-moz-binding"];

/// Check `css`; the error names the first problem.
pub fn check(css: &str) -> Result<(), String> {
    if css.chars().count() > MAX_CSS_CHARS {
        return Err(format!("CSS must be at most {MAX_CSS_CHARS} characters."));
    }
    if let Some(c) = css.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(format!("CSS contains a control character (U+{:04X}).", c as u32));
    }
    let css = strip_comments(css)?;
    for (c, why) in [
        ('@', "at-rules such as @import, @media or @font-face are not allowed"),
        ('\\', "backslash escapes are not allowed"),
        ('<', "'<' is not allowed"),
    ] {
        if css.contains(c) {
            return Err(format!("CSS: {why}."));
        }
    }
    let mut rest = css.as_str();
    while !rest.trim().is_empty() {
        let Some(open) = rest.find('{') else {
            return Err(format!("CSS: expected '{{' after '{}'.", rest.trim()));
        };
        let Some(close) = rest[open..].find('}').map(|i| open + i) else {
            return Err("CSS: a rule is not closed with '}'.".into());
        };
        let (selectors, body) = (&rest[..open], &rest[open + 1..close]);
        if selectors.contains('}') || body.contains('{') {
            return Err("CSS: nested or unbalanced braces are not allowed.".into());
        }
        check_selectors(selectors)?;
        for declaration in body.split(';').filter(|d| !d.trim().is_empty()) {
            check_declaration(declaration)?;
        }
        rest = &rest[close + 1..];
    }
    Ok(())
}

fn strip_comments(css: &str) -> Result<String, String> {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start + 2..].find("*/") else {
            return Err("CSS: a comment is not closed with '*/'.".into());
        };
        out.push(' ');
        rest = &rest[start + 2 + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_selectors(list: &str) -> Result<(), String> {
    for selector in list.split(',') {
        let s = selector.trim();
        let allowed = s.strip_prefix('.').is_some_and(|class| CUSTOMIZABLE.contains(&class));
        if !allowed {
            let shown = if s.is_empty() { "(empty)" } else { s };
            return Err(format!(
                "CSS: the selector '{shown}' is not allowed; use only the classes .{}.",
                CUSTOMIZABLE.join(", .")
            ));
        }
    }
    Ok(())
}

fn check_declaration(declaration: &str) -> Result<(), String> {
    let Some((property, value)) = declaration.split_once(':') else {
        return Err(format!("CSS: '{}' is not a 'property: value' declaration.", declaration.trim()));
    };
    let property = property.trim().to_ascii_lowercase();
    let name_ok = !property.is_empty()
        && property.trim_start_matches('-').starts_with(|c: char| c.is_ascii_lowercase())
        && property.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if !name_ok {
        return Err(format!("CSS: '{property}' is not a property name."));
    }
    if FORBIDDEN_PROPERTIES.contains(&property.as_str()) {
        return Err(format!("CSS: the property '{property}' is not allowed."));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("CSS: '{property}' has no value."));
    }
    // Every `name(` is a function call; only the listed ones may be called.
    for (i, _) in value.match_indices('(') {
        let name: String = value[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
            .to_ascii_lowercase();
        if !name.is_empty() && !FUNCTIONS.contains(&name.as_str()) {
            return Err(format!("CSS: {name}() is not allowed in the value of '{property}'."));
        }
    }
    if let Some(c) = value.chars().find(|c| !(c.is_alphanumeric() || " \t\r\n#%.,-+()!/'\"*".contains(*c))) {
        return Err(format!("CSS: the character '{c}' is not allowed in the value of '{property}'."));
    }
    if value.matches('"').count() % 2 == 1 || value.matches('\'').count() % 2 == 1 {
        return Err(format!("CSS: the value of '{property}' has an unclosed quote."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_cognitos_classes_with_plain_declarations() {
        let css = "/* brand */ .submitButton-customizable { background-color: #ff6600; color: rgb(255, 255, 255) }\n\
                   .submitButton-customizable:hover, .inputField-customizable:focus { border: 1px solid hsl(20, 100%, 40%) !important; }\n\
                   .logo-customizable { max-width: 60%; max-height: calc(100px + 2em); }\n\
                   .background-customizable { font-family: \"Helvetica Neue\", Arial, sans-serif; }";
        assert_eq!(check(css), Ok(()));
        assert_eq!(check(""), Ok(()));
    }

    #[test]
    fn refuses_what_could_fetch_run_or_escape() {
        let bad = [
            (".logo-customizable { background: url(https://evil.example/x.png) }", "url()"),
            (".logo-customizable { background: URL(x) }", "url()"),
            ("@import 'https://evil.example/x.css';", "at-rules"),
            ("@media (max-width: 1px) { .label-customizable { color: red } }", "at-rules"),
            ("@font-face { font-family: x }", "at-rules"),
            (".label-customizable { width: expression(alert(1)) }", "expression()"),
            (".label-customizable { color: \\72 ed }", "backslash"),
            (".label-customizable { color: red } </style><script>", "'<'"),
            ("body { color: red }", "selector 'body'"),
            (".label-customizable a { color: red }", "selector '.label-customizable a'"),
            (".unknown-customizable { color: red }", "not allowed"),
            ("#x { color: red }", "not allowed"),
            (".label-customizable { behavior: x }", "'behavior'"),
            (".label-customizable { color: red", "not closed"),
            (".label-customizable { color red }", "declaration"),
            (".label-customizable { .x { color: red } }", "nested"),
            (".label-customizable { color: red } stray", "expected '{'"),
            (".label-customizable { content: \"x; }", "unclosed quote"),
            (".label-customizable { color: red; } /* open", "comment"),
            (".label-customizable { color: red\u{0} }", "control character"),
            (".label-customizable { color: é(1) }", "é"),
        ];
        for (css, why) in bad {
            let err = check(css).expect_err(css);
            assert!(err.contains(why), "{css}: {err}");
        }
        assert!(check(&format!(".label-customizable {{ color: red; }}{}", " ".repeat(MAX_CSS_CHARS))).is_err());
    }
}
