//! What the pool's mails say: Cognito's message templates (`VerificationMessageTemplate`, the
//! legacy `EmailVerificationMessage`, `AdminCreateUserConfig.InviteMessageTemplate`) with their
//! `{####}` and `{username}` placeholders, rendered as a plain-text and an HTML part.
//!
//! Templates are written by the pool's administrator and may contain HTML; the values put into
//! them (codes, usernames) are escaped in the HTML part; the text part drops the template's tags.
//!
//! A pool without a template gets the catalogue's default ([`crate::i18n`], `mail.*`) in the
//! language of the page that caused the mail (English from the JSON API): in English exactly
//! Cognito's defaults, "Your verification code is {####}." among them. Templates are the
//! administrator's words and are used as written, whatever the language.
//!
//! A pool's CustomMessage function may answer a subject and a message ([`Custom`]); they take the
//! place of the templates and are filled and escaped the same way.

use super::model::Pool;
use crate::i18n::{Lang, t};
use crate::mail::{DEFAULT_FROM, Mail, html_part};
use serde_json::Value;

/// What a CustomMessage function answered for an e-mail: each part replaces the pool's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Custom {
    pub subject: Option<String>,
    pub message: Option<String>,
}

/// A pool template, or the catalogue's default in `lang` (with the language it is in).
fn or_default<'a>(template: Option<&'a str>, lang: Lang, key: &'static str) -> (&'a str, Option<Lang>) {
    match template {
        Some(s) => (s, None),
        None => (t(lang, key), Some(lang)),
    }
}

/// The function's text when it gave one, else the pool template or the default.
fn pick<'a>(
    custom: &'a Option<String>,
    template: Option<&'a str>,
    lang: Lang,
    key: &'static str,
) -> (&'a str, Option<Lang>) {
    or_default(custom.as_deref().or(template), lang, key)
}

fn text_of<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| {
        let mut cur = v;
        for part in k.split('.') {
            cur = &cur[part];
        }
        cur.as_str().filter(|s| !s.trim().is_empty())
    })
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

fn fill(template: &str, code: &str, username: &str, esc: fn(&str) -> String) -> String {
    template.replace("{####}", &esc(code)).replace("{username}", &esc(username))
}

fn compose(
    pool: &Pool,
    to: &str,
    subject: &str,
    (template, lang): (&str, Option<Lang>),
    code: &str,
    username: &str,
) -> Mail {
    let email = &pool.config["EmailConfiguration"];
    let text = fill(&strip_tags(template), code, username, str::to_string);
    let body = fill(template, code, username, escape_html);
    let subject = fill(&strip_tags(subject), code, username, str::to_string);
    let html = html_part(lang.map(Lang::code), &subject, &body);
    Mail {
        from: email["From"].as_str().filter(|s| !s.is_empty()).unwrap_or(DEFAULT_FROM).to_string(),
        reply_to: email["ReplyToEmailAddress"].as_str().filter(|s| !s.is_empty()).map(str::to_string),
        to: to.to_string(),
        subject,
        text,
        html,
    }
}

/// The verification mail (sign-up confirmation, forgot password, attribute verification).
pub fn verification(pool: &Pool, to: &str, code: &str, username: &str, lang: Lang, custom: &Custom) -> Mail {
    let c = &pool.config;
    let message = text_of(c, &["VerificationMessageTemplate.EmailMessage", "EmailVerificationMessage"]);
    let subject = text_of(c, &["VerificationMessageTemplate.EmailSubject", "EmailVerificationSubject"]);
    let subject = pick(&custom.subject, subject, lang, "mail.verification.subject").0;
    compose(pool, to, subject, pick(&custom.message, message, lang, "mail.verification.body"), code, username)
}

/// The invitation AdminCreateUser sends: username and temporary password.
pub fn invitation(
    pool: &Pool,
    to: &str,
    username: &str,
    temporary_password: &str,
    lang: Lang,
    custom: &Custom,
) -> Mail {
    let tpl = &pool.config["AdminCreateUserConfig"]["InviteMessageTemplate"];
    let message = pick(&custom.message, text_of(tpl, &["EmailMessage"]), lang, "mail.invitation.body");
    let subject = pick(&custom.subject, text_of(tpl, &["EmailSubject"]), lang, "mail.invitation.subject").0;
    compose(pool, to, subject, message, temporary_password, username)
}

/// The e-mail OTP of a sign-in (`EmailMfaConfiguration.Message` / `Subject`).
pub fn email_otp(pool: &Pool, to: &str, code: &str, username: &str, lang: Lang, custom: &Custom) -> Mail {
    let tpl = &pool.config["EmailMfaConfiguration"];
    let message = pick(&custom.message, text_of(tpl, &["Message"]), lang, "mail.sign_in_code.body");
    let subject = pick(&custom.subject, text_of(tpl, &["Subject"]), lang, "mail.sign_in_code.subject").0;
    compose(pool, to, subject, message, code, username)
}

/// `a***@e***`: enough for the user to recognise the address, not enough to read it.
pub fn mask_email(address: &str) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(local), first(domain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pool(config: Value) -> Pool {
        Pool::new("local_abc".into(), "p".into(), config, 0, 0)
    }

    #[test]
    fn default_verification_text_is_cognitos() {
        let m = verification(&pool(json!({})), "a@example.com", "123456", "alice", Lang::En, &Custom::default());
        assert_eq!(m.text, "Your verification code is 123456.");
        assert_eq!(m.subject, "Your verification code");
        assert_eq!(m.from, DEFAULT_FROM);
        assert!(m.html.contains("Your verification code is 123456."));
        assert!(m.html.contains("<html lang=\"en\">"));
        let otp = email_otp(
            &pool(json!({"EmailMfaConfiguration": {}})),
            "a@example.com",
            "654321",
            "alice",
            Lang::En,
            &Custom::default(),
        );
        assert_eq!((otp.subject.as_str(), otp.text.as_str()), ("Your sign-in code", "Your sign-in code is 654321."));
        let invite = invitation(&pool(json!({})), "a@example.com", "alice", "Temp-1", Lang::En, &Custom::default());
        assert_eq!(invite.text, "Your username is alice and temporary password is Temp-1.");
    }

    #[test]
    fn defaults_speak_the_page_language_and_templates_stay_as_written() {
        let m = verification(&pool(json!({})), "a@example.com", "123456", "alice", Lang::Fr, &Custom::default());
        assert_eq!(m.text, "Votre code de vérification est 123456.");
        assert_eq!(m.subject, "Votre code de vérification");
        assert!(m.html.contains("<html lang=\"fr\">"));
        let d = email_otp(&pool(json!({})), "a@example.com", "654321", "alice", Lang::De, &Custom::default());
        assert_eq!(d.text, "Ihr Anmeldecode lautet 654321.");
        let p = pool(json!({"VerificationMessageTemplate": {"EmailMessage": "Code: {####}"}}));
        let m = verification(&p, "a@example.com", "123456", "alice", Lang::De, &Custom::default());
        assert_eq!(m.text, "Code: 123456", "the administrator's template is used as written");
        assert_eq!(m.subject, "Ihr Bestätigungscode", "a missing subject template still gets the default");
        assert!(m.html.contains("<html>"), "no language claimed for an administrator's text");
    }

    #[test]
    fn pool_templates_win_and_values_are_escaped_in_html() {
        let p = pool(json!({
            "VerificationMessageTemplate": {"EmailMessage": "<b>Code</b>: {####}", "EmailSubject": "Welcome"},
            "AdminCreateUserConfig": {"InviteMessageTemplate": {"EmailMessage": "Hi <i>{username}</i>, use {####}", "EmailSubject": "Invite"}},
            "EmailConfiguration": {"From": "team@example.com", "ReplyToEmailAddress": "help@example.com"}
        }));
        let v = verification(&p, "a@example.com", "654321", "x", Lang::Fr, &Custom::default());
        assert_eq!(v.text, "Code: 654321");
        assert!(v.html.contains("<b>Code</b>: 654321"));
        assert_eq!((v.from.as_str(), v.reply_to.as_deref()), ("team@example.com", Some("help@example.com")));
        let i = invitation(&p, "a@example.com", "<script>", "Temp-Pass-1", Lang::En, &Custom::default());
        assert!(i.html.contains("&lt;script&gt;") && !i.html.contains("<script>"));
        assert_eq!(i.text, "Hi <script>, use Temp-Pass-1", "the text part drops the template's tags, not the values");
    }

    #[test]
    fn masks_addresses() {
        assert_eq!(mask_email("alice@example.com"), "a***@e***");
    }
}
