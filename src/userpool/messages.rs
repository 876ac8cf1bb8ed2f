//! What the pool's mails say: Cognito's message templates (`VerificationMessageTemplate`, the
//! legacy `EmailVerificationMessage`, `AdminCreateUserConfig.InviteMessageTemplate`) with their
//! `{####}` and `{username}` placeholders, rendered as a plain-text and an HTML part.
//!
//! Templates are written by the pool's administrator and may contain HTML; the values put into
//! them (codes, usernames) are escaped in the HTML part; the text part drops the template's tags.

use super::model::Pool;
use crate::mail::{DEFAULT_FROM, Mail};
use askama::Template;
use serde_json::Value;

pub const DEFAULT_VERIFICATION_MESSAGE: &str = "Your verification code is {####}.";
pub const DEFAULT_VERIFICATION_SUBJECT: &str = "Your verification code";
pub const DEFAULT_EMAIL_OTP_MESSAGE: &str = "Your sign-in code is {####}.";
pub const DEFAULT_EMAIL_OTP_SUBJECT: &str = "Your sign-in code";
pub const DEFAULT_INVITE_MESSAGE: &str = "Your username is {username} and temporary password is {####}.";
pub const DEFAULT_INVITE_SUBJECT: &str = "Your temporary password";

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlMail<'a> {
    lang: &'a str,
    subject: &'a str,
    body: &'a str,
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

fn compose(pool: &Pool, to: &str, subject: &str, template: &str, code: &str, username: &str) -> Mail {
    let email = &pool.config["EmailConfiguration"];
    let text = fill(&strip_tags(template), code, username, str::to_string);
    let body = fill(template, code, username, escape_html);
    let subject = fill(&strip_tags(subject), code, username, str::to_string);
    let html = HtmlMail { lang: "en", subject: &subject, body: &body }.render().unwrap_or_else(|_| body.clone());
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
pub fn verification(pool: &Pool, to: &str, code: &str, username: &str) -> Mail {
    let c = &pool.config;
    let message = text_of(c, &["VerificationMessageTemplate.EmailMessage", "EmailVerificationMessage"])
        .unwrap_or(DEFAULT_VERIFICATION_MESSAGE);
    let subject = text_of(c, &["VerificationMessageTemplate.EmailSubject", "EmailVerificationSubject"])
        .unwrap_or(DEFAULT_VERIFICATION_SUBJECT);
    compose(pool, to, subject, message, code, username)
}

/// The invitation AdminCreateUser sends: username and temporary password.
pub fn invitation(pool: &Pool, to: &str, username: &str, temporary_password: &str) -> Mail {
    let t = &pool.config["AdminCreateUserConfig"]["InviteMessageTemplate"];
    let message = text_of(t, &["EmailMessage"]).unwrap_or(DEFAULT_INVITE_MESSAGE);
    let subject = text_of(t, &["EmailSubject"]).unwrap_or(DEFAULT_INVITE_SUBJECT);
    compose(pool, to, subject, message, temporary_password, username)
}

/// The e-mail OTP of a sign-in (`EmailMfaConfiguration.Message` / `Subject`).
pub fn email_otp(pool: &Pool, to: &str, code: &str, username: &str) -> Mail {
    let t = &pool.config["EmailMfaConfiguration"];
    let message = text_of(t, &["Message"]).unwrap_or(DEFAULT_EMAIL_OTP_MESSAGE);
    let subject = text_of(t, &["Subject"]).unwrap_or(DEFAULT_EMAIL_OTP_SUBJECT);
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
        Pool { id: "local_abc".into(), name: "p".into(), config, created_at: 0, updated_at: 0 }
    }

    #[test]
    fn default_verification_text_is_cognitos() {
        let m = verification(&pool(json!({})), "a@example.com", "123456", "alice");
        assert_eq!(m.text, "Your verification code is 123456.");
        assert_eq!(m.subject, "Your verification code");
        assert_eq!(m.from, DEFAULT_FROM);
        assert!(m.html.contains("Your verification code is 123456."));
    }

    #[test]
    fn pool_templates_win_and_values_are_escaped_in_html() {
        let p = pool(json!({
            "VerificationMessageTemplate": {"EmailMessage": "<b>Code</b>: {####}", "EmailSubject": "Welcome"},
            "AdminCreateUserConfig": {"InviteMessageTemplate": {"EmailMessage": "Hi <i>{username}</i>, use {####}", "EmailSubject": "Invite"}},
            "EmailConfiguration": {"From": "team@example.com", "ReplyToEmailAddress": "help@example.com"}
        }));
        let v = verification(&p, "a@example.com", "654321", "x");
        assert_eq!(v.text, "Code: 654321");
        assert!(v.html.contains("<b>Code</b>: 654321"));
        assert_eq!((v.from.as_str(), v.reply_to.as_deref()), ("team@example.com", Some("help@example.com")));
        let i = invitation(&p, "a@example.com", "<script>", "Temp-Pass-1");
        assert!(i.html.contains("&lt;script&gt;") && !i.html.contains("<script>"));
        assert_eq!(i.text, "Hi <script>, use Temp-Pass-1", "the text part drops the template's tags, not the values");
    }

    #[test]
    fn masks_addresses() {
        assert_eq!(mask_email("alice@example.com"), "a***@e***");
    }
}
