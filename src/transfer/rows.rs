//! The import file's columns and rows: GetCSVHeader's list, the header check, and one CSV
//! record turned into a user in `RESET_REQUIRED` (as Cognito: the first sign-in answers
//! PasswordResetRequiredException and ForgotPassword sets the password).
//!
//! Columns: the standard attributes but `sub`, the pool's `custom:` attributes,
//! `cognito:mfa_enabled` and `cognito:username` (required, non-empty). The columns an export adds
//! ([`EXPORT_ONLY`]: `sub`, status, enabled, dates) are accepted and ignored, so an export
//! re-imports. Any other column fails the job with its name.
//!
//! **Password hashes (beyond Cognito):** an optional [`PASSWORD_HASH_COLUMN`] holds a hash from
//! the system the users come from (bcrypt, argon2, scrypt, PBKDF2, Firebase scrypt: what
//! [`ImportedHash::parse`] accepts). A row with one becomes a `CONFIRMED` user who signs in with
//! their old password (the first sign-in moves them to argon2id); a row without one is
//! `RESET_REQUIRED`, as Cognito imports every user. A hash that does not parse fails its row.

use crate::store::users::{NewUser, UserRow};
use crate::userpool::attributes::{self, Writer};
use crate::userpool::imported_hash::ImportedHash;
use crate::userpool::model::{Pool, STANDARD_ATTRIBUTES};
use crate::userpool::recovery::RESET_REQUIRED;
use crate::userpool::users::CONFIRMED;
use std::collections::BTreeMap;

pub const USERNAME_COLUMN: &str = "cognito:username";
pub const MFA_COLUMN: &str = "cognito:mfa_enabled";
/// Imported password hashes (PHC strings and the other formats of the module doc).
pub const PASSWORD_HASH_COLUMN: &str = "password_hash";
/// Columns an export writes after the import columns; an import ignores them.
pub const EXPORT_ONLY: &[&str] =
    &["sub", "cognito:user_status", "cognito:enabled", "created_date", "last_modified_date"];
/// The longest row Cognito accepts (16,000 characters).
pub const MAX_ROW_CHARS: usize = 16_000;

/// GetCSVHeader's columns for the pool, in Cognito's order: standard attributes (without
/// `sub`), custom attributes, `cognito:mfa_enabled`, `cognito:username`.
pub fn header(pool: &Pool) -> Vec<String> {
    let standard = STANDARD_ATTRIBUTES.iter().map(|(n, _)| *n).filter(|n| *n != "sub").map(str::to_string);
    let custom = pool
        .schema()
        .iter()
        .filter_map(|s| s["Name"].as_str())
        .filter(|n| n.starts_with("custom:"))
        .map(str::to_string);
    standard.chain(custom).chain([MFA_COLUMN.to_string(), USERNAME_COLUMN.to_string()]).collect()
}

/// What a file's header says: the index of each column the import reads, by name.
#[derive(Debug, Clone)]
pub struct Columns {
    names: Vec<String>,
}

/// Check a file's header against the pool's columns: every column known, `cognito:username`
/// present, none twice. The error is the job's completion message.
pub fn columns(pool: &Pool, header: &csv::StringRecord) -> Result<Columns, String> {
    let known = self::header(pool);
    let mut names: Vec<String> = Vec::new();
    for name in header.iter().map(str::trim) {
        if !known.iter().any(|k| k == name) && !EXPORT_ONLY.contains(&name) && name != PASSWORD_HASH_COLUMN {
            return Err(format!("Unknown column in the CSV header: {}", truncate(name)));
        }
        if names.iter().any(|n| n == name) {
            return Err(format!("The column {name} appears twice in the CSV header."));
        }
        names.push(name.to_string());
    }
    if !names.iter().any(|n| n == USERNAME_COLUMN) {
        return Err(format!("The CSV header has no {USERNAME_COLUMN} column."));
    }
    Ok(Columns { names })
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Why a row did not become a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowError {
    /// The row is malformed or breaks the pool's schema: counted as failed.
    Invalid(String),
}

/// One record as a user to insert (with its aliases and search values), `RESET_REQUIRED`, created
/// at `now` with a fresh `sub`.
pub fn parse_row(pool: &Pool, cols: &Columns, record: &csv::StringRecord, now: i64) -> Result<NewUser, RowError> {
    let bad = |m: String| RowError::Invalid(m);
    if record.len() != cols.names.len() {
        return Err(bad(format!("The row has {} fields; the header has {}.", record.len(), cols.names.len())));
    }
    if record.as_slice().chars().count() > MAX_ROW_CHARS {
        return Err(bad(format!("The row is longer than {MAX_ROW_CHARS} characters.")));
    }
    let mut username = String::new();
    let mut hash = None;
    let mut list = Vec::new();
    for (name, value) in cols.names.iter().zip(record.iter()) {
        match name.as_str() {
            USERNAME_COLUMN => username = value.to_string(),
            PASSWORD_HASH_COLUMN if !value.is_empty() => {
                let parsed = ImportedHash::parse(value).map_err(|e| bad(format!("{PASSWORD_HASH_COLUMN}: {e}")))?;
                hash = Some(parsed.as_str().to_string());
            }
            PASSWORD_HASH_COLUMN => {}
            MFA_COLUMN => {
                if !(value.is_empty() || value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")) {
                    return Err(bad(format!("{MFA_COLUMN} must be true or false.")));
                }
                // Cognito's column turns on SMS MFA, which needs a phone number. This server
                // sends no SMS, so the flag is checked and not kept.
                let on = value.eq_ignore_ascii_case("true");
                let phone = cols.names.iter().position(|n| n == "phone_number").and_then(|i| record.get(i));
                if on && phone.is_none_or(str::is_empty) {
                    return Err(bad(format!("{MFA_COLUMN} is true but the user has no phone_number.")));
                }
            }
            n if EXPORT_ONLY.contains(&n) => {}
            _ if value.is_empty() => {}
            _ => list.push((name.clone(), value.to_string())),
        }
    }
    if username.is_empty() || username.chars().count() > 128 || username.chars().any(char::is_whitespace) {
        return Err(bad(format!("{USERNAME_COLUMN} must be 1 to 128 characters without spaces.")));
    }
    let attrs = attributes::parse_list(pool, &list, Writer::Admin, true).map_err(|e| bad(e.to_string()))?;
    crate::userpool::users::check_required(pool, &attrs).map_err(|e| bad(e.to_string()))?;
    let sub = uuid::Uuid::new_v4().to_string();
    let row = UserRow {
        id: sub.into(),
        pool_id: pool.id.clone(),
        username_key: pool.lookup_key(&username),
        username: username.into(),
        status: if hash.is_some() { CONFIRMED } else { RESET_REQUIRED }.into(),
        enabled: true,
        password_set_at: hash.is_some().then_some(now),
        password_hash: hash,
        srp_verifier: None,
        attributes: attrs.clone(),
        tokens_valid_after: 0,
        created_at: now,
        updated_at: now,
    };
    Ok((row, attributes::aliases(pool, &attrs), attributes::search_values(&attrs)))
}

/// A user's values for the import columns, in the header's order (an export's row).
pub fn values(header: &[String], attrs: &BTreeMap<String, String>, username: &str) -> Vec<String> {
    header
        .iter()
        .map(|c| match c.as_str() {
            USERNAME_COLUMN => username.to_string(),
            // Cognito's flag is SMS MFA, which this server does not keep (see parse_row).
            MFA_COLUMN => String::new(),
            n => attrs.get(n).cloned().unwrap_or_default(),
        })
        .collect()
}
