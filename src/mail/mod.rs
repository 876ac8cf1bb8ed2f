//! Outgoing mail. One [`Mailer`] per process: SMTP through lettre when `PORTCULLIS_SMTP_URL` is
//! set (`smtp://host:port` plain or `?tls=required` for STARTTLS, `smtps://` for implicit TLS,
//! credentials in the URL), otherwise `.eml` files in `{DATA_DIR}/outbox`. Every message has a
//! plain-text and an HTML part. What a message says is decided by the services
//! ([`crate::userpool::messages`]); this module only delivers.

pub mod outbox;

use crate::config::Config;
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Cognito's default sender when a pool configures none.
pub const DEFAULT_FROM: &str = "no-reply@verificationemail.com";
/// Longest an SMTP exchange may take before delivery counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub reply_to: Option<String>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlMail<'a> {
    lang: Option<&'a str>,
    subject: &'a str,
    body: &'a str,
}

/// The HTML part around `body` (HTML already escaped where it holds values). `lang` is known
/// when the body is the catalogue's; an administrator's template may be in any language.
pub fn html_part(lang: Option<&str>, subject: &str, body: &str) -> String {
    HtmlMail { lang, subject, body }.render().unwrap_or_else(|_| body.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("writing to the outbox failed: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
}

/// Cheap to clone (the transports share their connection pools), so a delivery can outlive the
/// request that asked for it.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// The transport the configuration asks for. A malformed SMTP URL is a start-up error.
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| anyhow::anyhow!("PORTCULLIS_SMTP_URL is not a usable SMTP URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                let dir = config.data_dir.join("outbox");
                crate::crypto::create_private_dir(&dir)?;
                Ok(Mailer::Outbox(AsyncFileTransport::new(dir)))
            }
        }
    }

    /// Connect to the SMTP server of `url` and greet it (EHLO, STARTTLS or TLS as the URL asks,
    /// then NOOP); the reason when that fails. Sends nothing.
    pub async fn check_smtp(url: &str) -> Result<(), String> {
        let transport: AsyncSmtpTransport<Tokio1Executor> = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not a usable SMTP URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        match transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the server did not answer NOOP".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = build(mail)?;
        match self {
            Mailer::Smtp(t) => {
                t.send(message).await?;
            }
            Mailer::Outbox(t) => {
                t.send(message).await?;
            }
        }
        Ok(())
    }
}

fn mailbox(addr: &str) -> Result<Mailbox, MailError> {
    addr.parse().map_err(|_| MailError::Address(addr.to_string()))
}

fn build(mail: &Mail) -> Result<Message, MailError> {
    let mut b = Message::builder().from(mailbox(&mail.from)?).to(mailbox(&mail.to)?).subject(&mail.subject);
    if let Some(r) = &mail.reply_to {
        b = b.reply_to(mailbox(r)?);
    }
    Ok(b.multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_both_parts_and_reject_bad_addresses() {
        let mail = Mail {
            from: DEFAULT_FROM.into(),
            reply_to: None,
            to: "alice@example.com".into(),
            subject: "Your verification code".into(),
            text: "Your verification code is 123456.".into(),
            html: "<p>Your verification code is 123456.</p>".into(),
        };
        let raw = String::from_utf8(build(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        let bad = Mail { to: "not an address".into(), ..mail };
        assert!(matches!(build(&bad), Err(MailError::Address(_))));
    }
}
