//! Export of a pool's users (beyond Cognito), for `portcullis users export` and the dashboard:
//! a stream of text chunks, one page of [`PAGE`] users each, read by keyset pagination on
//! (created, sub), so a pool of a million users is exported in constant memory.
//!
//! - **CSV**: GetCSVHeader's columns (so the file re-imports through an import job), then
//!   [`rows::EXPORT_ONLY`] (`sub`, `cognito:user_status`, `cognito:enabled`, `created_date`,
//!   `last_modified_date`, dates as epoch seconds), which an import ignores, then
//!   `password_hash` when hashes are asked for. `cognito:mfa_enabled` is left empty: Cognito's
//!   flag is SMS MFA, which this server does not keep.
//! - **JSON lines**: one object per user, shaped as Cognito's `UserType` (`Username`,
//!   `Attributes` with `sub` first, `UserCreateDate`, `UserLastModifiedDate`, `Enabled`,
//!   `UserStatus`), plus `PasswordHash` when asked for.
//!
//! Hashes are the stored PHC strings (`$argon2id$…`), never a password; a user without one has
//! an empty value (CSV) or no member (JSON).

use super::{Transfer, rows};
use crate::ids::PoolId;
use crate::store::users::{UserFilter, UserRow};
use crate::userpool::error::{Error, Result};
use crate::userpool::model::Pool;
use futures_util::Stream;
use serde_json::json;

/// Users read per query.
pub const PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(ExportFormat::Csv),
            "jsonl" => Some(ExportFormat::JsonLines),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::JsonLines => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }
}

/// What an export writes.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub include_hashes: bool,
}

struct Cursor {
    pool: Pool,
    header: Vec<String>,
    after: Option<(i64, String)>,
    first: bool,
    done: bool,
}

impl Transfer {
    /// The pool's users as a stream of text chunks (the CSV header is the first). The pool is
    /// checked before the stream starts, so an unknown pool is an error, not an empty file.
    pub async fn export(
        &self,
        pool_id: &PoolId,
        opts: ExportOptions,
    ) -> Result<impl Stream<Item = Result<String>> + use<>> {
        let pool = self.directory.pool(pool_id).await?;
        let header = rows::header(&pool);
        let store = self.store.clone();
        let start = Cursor { pool, header, after: None, first: true, done: false };
        Ok(futures_util::stream::unfold(start, move |mut c| {
            let store = store.clone();
            async move {
                if c.done {
                    return None;
                }
                let mut out = String::new();
                if c.first && opts.format == ExportFormat::Csv {
                    out.push_str(&csv_line(&header_line(&c.header, opts.include_hashes)));
                }
                c.first = false;
                let page = match store.list_users(&c.pool.id, &UserFilter::All, PAGE, c.after.clone()).await {
                    Ok(p) => p,
                    Err(e) => {
                        c.done = true;
                        return Some((Err(Error::from(e)), c));
                    }
                };
                if (page.len() as i64) < PAGE {
                    c.done = true;
                }
                c.after = page.last().map(|u| (u.created_at, u.id.to_string()));
                for u in &page {
                    match opts.format {
                        ExportFormat::Csv => out.push_str(&csv_line(&csv_values(&c.header, u, opts.include_hashes))),
                        ExportFormat::JsonLines => {
                            out.push_str(&json_line(u, opts.include_hashes));
                            out.push('\n');
                        }
                    }
                }
                Some((Ok(out), c))
            }
        }))
    }
}

fn header_line(header: &[String], hashes: bool) -> Vec<String> {
    let extra = rows::EXPORT_ONLY.iter().map(|s| s.to_string());
    let hash = hashes.then(|| rows::PASSWORD_HASH_COLUMN.to_string());
    header.iter().cloned().chain(extra).chain(hash).collect()
}

fn csv_values(header: &[String], u: &UserRow, hashes: bool) -> Vec<String> {
    let mut v = rows::values(header, &u.attributes, u.username.as_str());
    v.push(u.id.to_string());
    v.push(u.status.clone());
    v.push(u.enabled.to_string());
    v.push(u.created_at.to_string());
    v.push(u.updated_at.to_string());
    if hashes {
        v.push(u.password_hash.clone().unwrap_or_default());
    }
    v
}

/// One CSV record (quoted where needed) with its line end.
fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to memory fails only on a field the writer cannot quote, which CSV has none of.
    if w.write_record(fields).is_err() {
        return String::new();
    }
    w.into_inner().ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
}

fn json_line(u: &UserRow, hashes: bool) -> String {
    let attrs: Vec<_> = crate::userpool::attributes::to_list(u, None)
        .into_iter()
        .map(|(n, v)| json!({"Name": n, "Value": v}))
        .collect();
    let mut o = json!({
        "Username": u.username.as_str(),
        "Attributes": attrs,
        "UserCreateDate": u.created_at,
        "UserLastModifiedDate": u.updated_at,
        "Enabled": u.enabled,
        "UserStatus": u.status,
    });
    if hashes && let Some(h) = &u.password_hash {
        o["PasswordHash"] = json!(h);
    }
    o.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_quote_what_needs_quoting() {
        let line = csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into(), String::new()]);
        assert_eq!(line, "a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }
}
