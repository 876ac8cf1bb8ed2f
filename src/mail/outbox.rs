//! Reading the outbox (development mode: mails written as `.eml` files to `{DATA_DIR}/outbox`)
//! for the dashboard's outbox viewer: the newest messages with their recipient and subject, and
//! one message as written.

use std::path::{Path, PathBuf};

/// A message in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// The file name (`{uuid}.eml`), which names the message.
    pub name: String,
    /// When it was written, epoch seconds.
    pub written_at: i64,
    pub to: String,
    pub subject: String,
}

/// The outbox folder.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// A file name the outbox may hold: letters, digits, `-` and `.eml`, nothing that leaves the folder.
fn valid_name(name: &str) -> bool {
    name.ends_with(".eml")
        && name.len() <= 80
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.starts_with('.')
}

/// The value of header `name` in the message's header block (unfolded).
fn header(text: &str, name: &str) -> String {
    let mut value: Option<String> = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim_start());
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value.unwrap_or_default()
}

impl Outbox {
    pub fn new(dir: PathBuf) -> Self {
        Outbox { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The newest `limit` messages, newest first.
    pub async fn list(&self, limit: usize) -> std::io::Result<Vec<OutboxMessage>> {
        let mut entries = Vec::new();
        let mut dir = match tokio::fs::read_dir(&self.dir).await {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        while let Some(entry) = dir.next_entry().await? {
            let name = entry.file_name().to_string_lossy().to_string();
            if !valid_name(&name) {
                continue;
            }
            let modified = entry.metadata().await?.modified()?;
            let secs = modified.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
            entries.push((secs, name));
        }
        entries.sort_by(|a, b| b.cmp(a));
        entries.truncate(limit);
        let mut out = Vec::with_capacity(entries.len());
        for (secs, name) in entries {
            let text = tokio::fs::read_to_string(self.dir.join(&name)).await.unwrap_or_default();
            out.push(OutboxMessage {
                to: header(&text, "To"),
                subject: header(&text, "Subject"),
                written_at: secs,
                name,
            });
        }
        Ok(out)
    }

    /// One message as written, if `name` is one.
    pub async fn read(&self, name: &str) -> std::io::Result<Option<String>> {
        if !valid_name(name) {
            return Ok(None);
        }
        match tokio::fs::read_to_string(self.dir.join(name)).await {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_leave_the_folder() {
        assert!(valid_name("0190a1b2-c3d4.eml"));
        for bad in ["../master.key", "a/b.eml", ".eml", "x.txt", "..eml", "a%2f.eml"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn headers_are_read_unfolded_from_the_header_block_only() {
        let m = "To: a@example.com\r\nSubject: Your\r\n code\r\n\r\nSubject: body";
        assert_eq!(header(m, "to"), "a@example.com");
        assert_eq!(header(m, "Subject"), "Your code");
        assert_eq!(header(m, "From"), "");
    }
}
