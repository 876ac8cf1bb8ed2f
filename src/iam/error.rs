//! The IAM service error: one variant per IAM error code the role services raise. The Query
//! surface maps it to `<ErrorResponse>` with IAM's HTTP status (see [`IamError::code`] and
//! [`IamError::status`]).

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// An input outside the model's constraints (`1 validation error detected: …`).
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    /// Anything unexpected; the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl IamError {
    /// IAM's error code (`<Code>`).
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::Validation(_) => "ValidationError",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::Internal(_) => "ServiceFailure",
        }
    }

    /// The HTTP status IAM answers the error with (from the IAM service model).
    pub fn status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_) | IamError::DeleteConflict(_) | IamError::LimitExceeded(_) => 409,
            IamError::MalformedPolicyDocument(_) | IamError::Validation(_) => 400,
            IamError::Internal(_) => 500,
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        IamError::Internal(e.into())
    }
}

impl From<StoreError> for IamError {
    fn from(e: StoreError) -> Self {
        IamError::Internal(e.into())
    }
}

pub type IamResult<T> = Result<T, IamError>;

/// IAM's wording for one failed model constraint: `member` is the camelCase member name
/// (`roleName`), `value` what was given (`None` when missing).
pub fn constraint(member: &str, value: Option<&str>, rule: &str) -> IamError {
    let value = match value {
        Some(v) => format!("'{v}'"),
        None => "null".to_string(),
    };
    IamError::Validation(format!(
        "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {rule}"
    ))
}

/// Check a string member against the model: length in characters, and every character allowed.
pub fn check_string(
    member: &str,
    value: &str,
    min: usize,
    max: usize,
    pattern: &str,
    allowed: impl Fn(char) -> bool,
) -> IamResult<()> {
    let len = value.chars().count();
    if len < min {
        return Err(constraint(
            member,
            Some(value),
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if len > max {
        return Err(constraint(member, Some(value), &format!("Member must have length less than or equal to {max}")));
    }
    if !value.chars().all(allowed) {
        return Err(constraint(
            member,
            Some(value),
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        ));
    }
    Ok(())
}

/// Check an integer member against the model's range.
pub fn check_range(member: &str, value: i64, min: i64, max: i64) -> IamResult<()> {
    let shown = value.to_string();
    if value < min {
        return Err(constraint(
            member,
            Some(&shown),
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if value > max {
        return Err(constraint(member, Some(&shown), &format!("Member must have value less than or equal to {max}")));
    }
    Ok(())
}

/// IAM's `[\w+=,.@-]` (names of roles, policies and sessions; `\w` is ASCII there).
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `[\u0009\u000A\u000D\u0020-\u00FF]`: what a policy document may contain.
pub fn is_policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_messages_read_like_iam() {
        let e = check_string("roleName", "a b", 1, 64, "[\\w+=,.@-]+", is_name_char).unwrap_err();
        assert_eq!(
            e.to_string(),
            "1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        );
        assert_eq!(e.code(), "ValidationError");
        assert_eq!(e.status(), 400);
        let e = check_range("maxSessionDuration", 60, 3600, 43200).unwrap_err();
        assert!(e.to_string().ends_with("Member must have value greater than or equal to 3600"), "{e}");
        assert!(check_string("roleName", &"r".repeat(65), 1, 64, "p", is_name_char).is_err());
        assert!(check_string("roleName", "Role_1+=,.@-", 1, 64, "p", is_name_char).is_ok());
        assert!(!is_name_char('é') && !is_name_char('/'));
        assert!(is_policy_char('é') && !is_policy_char('€') && !is_policy_char('\u{1}'));
        assert_eq!(
            constraint("roleName", None, "Member must not be null").to_string(),
            "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"
        );
    }
}
