//! A real SMTP sink on loopback for the tests: it speaks enough ESMTP for lettre (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT), keeps every message, and lets a test wait for the next one
//! to an address. Messages are parsed with `mail-parser`.

use crate::helpers::TestApp;
use portcullis::config::Secret;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    pub fn subject(&self) -> String {
        let m = mail_parser::MessageParser::default().parse(&self.raw).expect("parsable message");
        m.subject().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        let m = mail_parser::MessageParser::default().parse(&self.raw).expect("parsable message");
        m.body_text(0).expect("a text/plain part").to_string()
    }

    pub fn html(&self) -> String {
        let m = mail_parser::MessageParser::default().parse(&self.raw).expect("parsable message");
        m.body_html(0).expect("a text/html part").to_string()
    }

    /// The six-digit code in the plain-text part.
    pub fn code(&self) -> String {
        let text = self.text();
        let found = text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no code in mail: {text}"));
        found.to_string()
    }
}

/// The app under test with its mail going to a new sink.
pub async fn spawn_with_mail() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(move |c| c.smtp_url = Some(Secret::new(url))).await;
    (app, sink)
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp sink");
        let port = listener.local_addr().expect("addr").port();
        let sink = SmtpSink { port, messages: Arc::default(), arrived: Arc::new(Notify::new()) };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let upper = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                b"250 OK\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&line);
                to.clear();
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&line));
                b"250 OK\r\n"
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            } else if upper == "DATA" {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut raw = Vec::new();
                loop {
                    let mut l = String::new();
                    if lines.read_line(&mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    let l = l.strip_prefix('.').map(str::to_string).unwrap_or(l);
                    raw.extend_from_slice(l.as_bytes());
                }
                self.messages.lock().expect("lock").push(Received {
                    mail_from: from.clone(),
                    rcpt_to: to.clone(),
                    raw,
                });
                self.arrived.notify_waiters();
                b"250 OK queued\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                b"502 Command not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    pub fn all(&self) -> Vec<Received> {
        self.messages.lock().expect("lock").clone()
    }

    pub fn count_to(&self, address: &str) -> usize {
        self.all().iter().filter(|m| m.rcpt_to.iter().any(|t| t == address)).count()
    }

    /// The `n`th message (0-based) to `address`, waiting up to ten seconds for it.
    pub async fn nth_to(&self, address: &str, n: usize) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let found: Vec<Received> =
                self.all().into_iter().filter(|m| m.rcpt_to.iter().any(|t| t == address)).collect();
            if let Some(m) = found.get(n) {
                return m.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no message #{n} to {address} arrived");
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }
}

fn address(line: &str) -> String {
    let start = line.find('<').map(|i| i + 1).unwrap_or(0);
    let end = line[start..].find('>').map(|i| i + start).unwrap_or(line.len());
    line[start..end].trim().to_string()
}
