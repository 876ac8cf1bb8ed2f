//! IAM policy documents: decoding (IAM accepts documents URL-encoded), parsing into a typed
//! [`Policy`], and the grammar checks IAM makes before it stores one — a trust policy
//! (CreateRole's AssumeRolePolicyDocument) names principals and no resources; an inline policy
//! (PutRolePolicy) names resources and no principals. Evaluation lives in [`super::trust`].

use super::error::{IamError, IamResult};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// Which grammar a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A role's trust policy: who may assume it.
    Trust,
    /// An inline (identity) policy: what the role may do.
    Inline,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` (or `NotPrincipal` when [`Statement::not_principal`]); `None` in inline policies.
    pub principal: Option<Principals>,
    pub not_principal: bool,
    /// `Action` (or `NotAction` when [`Statement::not_action`]) patterns.
    pub actions: Vec<String>,
    pub not_action: bool,
    /// Every clause must hold for the statement to apply.
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Principals {
    /// `"Principal": "*"`.
    Everyone,
    /// `{"Federated": [...], "AWS": [...], "Service": [...], "CanonicalUser": [...]}`.
    Typed(BTreeMap<String, Vec<String>>),
}

/// Set qualifier of a condition operator for multi-valued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Null,
    /// A valid IAM operator this server cannot evaluate (Numeric*, Date*, Bool, IpAddress, Arn*,
    /// BinaryEquals): the keys it tests never exist in a web-identity request.
    Other(String),
}

/// One `"Operator": {"key": values}` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub qualifier: Qualifier,
    pub operator: Operator,
    /// `…IfExists`: the clause holds when the key is absent.
    pub if_exists: bool,
    pub key: String,
    pub values: Vec<String>,
}

const VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];
const PRINCIPAL_TYPES: &[&str] = &["AWS", "Federated", "Service", "CanonicalUser"];
const OTHER_OPERATORS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
];

const SYNTAX: &str = "Syntax errors in policy.";
const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

fn malformed(m: impl Into<String>) -> IamError {
    IamError::MalformedPolicyDocument(m.into())
}

/// The JSON text of a policy parameter. IAM takes documents either as JSON or URL-encoded
/// JSON (what its own responses return); the latter is decoded once.
pub fn decode_document(raw: &str) -> IamResult<String> {
    if serde_json::from_str::<Value>(raw).is_ok() {
        return Ok(raw.to_string());
    }
    if raw.contains('%')
        && let Ok(decoded) = percent_encoding::percent_decode_str(raw).decode_utf8()
        && serde_json::from_str::<Value>(&decoded).is_ok()
    {
        return Ok(decoded.into_owned());
    }
    Err(malformed("This policy contains invalid Json"))
}

/// A document's size as IAM counts it for its quotas: characters other than white space.
pub fn counted_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// URL-encode a stored document the way IAM returns documents (RFC 3986 unreserved kept).
pub fn url_encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

/// Parse and check a policy document (JSON text, already decoded).
pub fn parse(text: &str, kind: PolicyKind) -> IamResult<Policy> {
    let doc: Value = serde_json::from_str(text).map_err(|_| malformed("This policy contains invalid Json"))?;
    let Value::Object(doc) = doc else {
        return Err(malformed(SYNTAX));
    };
    for key in doc.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(malformed(SYNTAX));
        }
    }
    if let Some(v) = doc.get("Version")
        && !v.as_str().is_some_and(|v| VERSIONS.contains(&v))
    {
        return Err(malformed("The policy failed legacy parsing"));
    }
    if doc.get("Id").is_some_and(|v| !v.is_string()) {
        return Err(malformed(SYNTAX));
    }
    let raw_statements = match doc.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return Err(malformed(SYNTAX)),
    };
    let mut sids = HashSet::new();
    let mut statements = Vec::with_capacity(raw_statements.len());
    for s in raw_statements {
        let Value::Object(s) = s else {
            return Err(malformed(SYNTAX));
        };
        let st = statement(s, kind)?;
        if let Some(sid) = &st.sid
            && !sids.insert(sid.clone())
        {
            return Err(malformed("Statement IDs (SID) in a single policy must be unique."));
        }
        statements.push(st);
    }
    Ok(Policy { statements })
}

fn statement(s: &Map<String, Value>, kind: PolicyKind) -> IamResult<Statement> {
    for key in s.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(malformed(SYNTAX));
        }
    }
    let sid = match s.get("Sid") {
        None => None,
        Some(Value::String(sid)) if sid.chars().all(|c| c.is_ascii_alphanumeric()) => Some(sid.clone()),
        Some(Value::String(_)) => {
            return Err(malformed(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
            ));
        }
        Some(_) => return Err(malformed(SYNTAX)),
    };
    let effect = match s.get("Effect") {
        None => return Err(malformed("Missing required field Effect")),
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => return Err(malformed(format!("Invalid effect: {}", display(other)))),
    };

    let (actions, not_action) = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => (strings(a)?, false),
        (None, Some(a)) => (strings(a)?, true),
        _ => return Err(malformed("Policy statement must contain actions.")),
    };
    for a in &actions {
        if a != "*" && !a.split_once(':').is_some_and(|(vendor, rest)| is_vendor(vendor) && !rest.is_empty()) {
            return Err(malformed(VENDOR));
        }
    }

    let has_resource = s.contains_key("Resource") || s.contains_key("NotResource");
    let (principal, not_principal) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (None, None) => (None, false),
        (Some(p), None) => (Some(principals(p)?), false),
        (None, Some(p)) => (Some(principals(p)?), true),
        (Some(_), Some(_)) => return Err(malformed(SYNTAX)),
    };
    match kind {
        PolicyKind::Trust => {
            if has_resource {
                let field = if s.contains_key("Resource") { "Resource" } else { "NotResource" };
                return Err(malformed(format!("Has prohibited field {field}")));
            }
            if principal.is_none() {
                return Err(malformed("Missing required field Principal"));
            }
            if not_principal && effect == Effect::Allow {
                return Err(malformed("NotPrincipal may only be used with the Deny effect."));
            }
            if !not_action && actions.iter().any(|a| !a.to_ascii_lowercase().starts_with("sts:") && a != "*") {
                return Err(malformed("AssumeRole policy may only specify STS AssumeRole actions."));
            }
        }
        PolicyKind::Inline => {
            if principal.is_some() {
                return Err(malformed("Policy document should not specify a principal."));
            }
            if !has_resource {
                return Err(malformed("Policy statement must contain resources."));
            }
            for field in ["Resource", "NotResource"] {
                if let Some(r) = s.get(field) {
                    strings(r)?;
                }
            }
        }
    }

    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(c)) => conditions(c)?,
        Some(_) => return Err(malformed(SYNTAX)),
    };
    Ok(Statement { sid, effect, principal, not_principal, actions, not_action, conditions })
}

fn is_vendor(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn display(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

/// A string or a non-empty list of non-empty strings.
fn strings(v: &Value) -> IamResult<Vec<String>> {
    let list = match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| malformed(SYNTAX)))
            .collect::<IamResult<Vec<_>>>()?,
        _ => return Err(malformed(SYNTAX)),
    };
    if list.iter().any(|s| s.is_empty()) {
        return Err(malformed(SYNTAX));
    }
    Ok(list)
}

fn principals(v: &Value) -> IamResult<Principals> {
    let invalid = || malformed(format!("Invalid principal in policy: {v}"));
    match v {
        Value::String(s) if s == "*" => Ok(Principals::Everyone),
        Value::Object(m) if !m.is_empty() => {
            let mut out = BTreeMap::new();
            for (k, values) in m {
                if !PRINCIPAL_TYPES.contains(&k.as_str()) {
                    return Err(invalid());
                }
                out.insert(k.clone(), strings(values).map_err(|_| invalid())?);
            }
            Ok(Principals::Typed(out))
        }
        _ => Err(invalid()),
    }
}

fn conditions(c: &Map<String, Value>) -> IamResult<Vec<Condition>> {
    let mut out = Vec::new();
    for (op, block) in c {
        let (qualifier, operator, if_exists) = operator(op)?;
        let Value::Object(block) = block else {
            return Err(malformed(SYNTAX));
        };
        for (key, values) in block {
            if !key.split_once(':').is_some_and(|(vendor, rest)| !vendor.is_empty() && !rest.is_empty()) {
                return Err(malformed(VENDOR));
            }
            let values = match values {
                Value::Array(items) => {
                    items.iter().map(condition_value).collect::<Option<Vec<_>>>().ok_or_else(|| malformed(SYNTAX))?
                }
                single => vec![condition_value(single).ok_or_else(|| malformed(SYNTAX))?],
            };
            if operator == Operator::Null && (qualifier != Qualifier::None || if_exists) {
                return Err(malformed(format!("Invalid Condition type : {op}")));
            }
            out.push(Condition { qualifier, operator: operator.clone(), if_exists, key: key.clone(), values });
        }
    }
    Ok(out)
}

/// Condition values are strings; IAM also takes numbers and booleans and compares their text.
fn condition_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `ForAnyValue:StringLikeIfExists` → (ForAnyValue, StringLike, true). Operator names are
/// matched without regard to case.
fn operator(name: &str) -> IamResult<(Qualifier, Operator, bool)> {
    let invalid = || malformed(format!("Invalid Condition type : {name}"));
    let lower = name.to_ascii_lowercase();
    let (qualifier, rest) = if let Some(r) = lower.strip_prefix("foranyvalue:") {
        (Qualifier::ForAnyValue, r)
    } else if let Some(r) = lower.strip_prefix("forallvalues:") {
        (Qualifier::ForAllValues, r)
    } else {
        (Qualifier::None, lower.as_str())
    };
    let (base, if_exists) = match rest.strip_suffix("ifexists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let op = match base {
        "stringequals" => Operator::StringEquals,
        "stringnotequals" => Operator::StringNotEquals,
        "stringequalsignorecase" => Operator::StringEqualsIgnoreCase,
        "stringnotequalsignorecase" => Operator::StringNotEqualsIgnoreCase,
        "stringlike" => Operator::StringLike,
        "stringnotlike" => Operator::StringNotLike,
        "null" => Operator::Null,
        other => match OTHER_OPERATORS.iter().find(|o| o.eq_ignore_ascii_case(other)) {
            Some(o) => Operator::Other((*o).to_string()),
            None => return Err(invalid()),
        },
    };
    Ok((qualifier, op, if_exists))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trust(v: Value) -> IamResult<Policy> {
        parse(&v.to_string(), PolicyKind::Trust)
    }

    fn inline(v: Value) -> IamResult<Policy> {
        parse(&v.to_string(), PolicyKind::Inline)
    }

    fn message(r: IamResult<Policy>) -> String {
        match r {
            Err(IamError::MalformedPolicyDocument(m)) => m,
            other => panic!("expected MalformedPolicyDocument, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_cognito_trust_policy() {
        let p = trust(json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:abc"},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": ["authenticated", "x*"]}
                }
            }]
        }))
        .unwrap();
        let s = &p.statements[0];
        assert_eq!(s.effect, Effect::Allow);
        assert_eq!(
            s.principal,
            Some(Principals::Typed(BTreeMap::from([(
                "Federated".to_string(),
                vec!["cognito-identity.amazonaws.com".to_string()]
            )])))
        );
        assert_eq!(s.actions, vec!["sts:AssumeRoleWithWebIdentity"]);
        assert_eq!(s.conditions.len(), 2);
        let amr = s.conditions.iter().find(|c| c.key.ends_with(":amr")).unwrap();
        assert_eq!(
            (amr.qualifier, &amr.operator, amr.if_exists),
            (Qualifier::ForAnyValue, &Operator::StringLike, false)
        );
        assert_eq!(amr.values, vec!["authenticated", "x*"]);
    }

    #[test]
    fn statement_may_be_a_single_object_and_values_numbers() {
        let p = trust(json!({"Statement": {"Effect": "Deny", "Principal": "*", "NotAction": "sts:TagSession",
            "Condition": {"StringNotEqualsIfExists": {"a:b": [1, true]}, "NumericLessThan": {"a:n": 3}}}}))
        .unwrap();
        let s = &p.statements[0];
        assert_eq!((s.principal.clone(), s.not_action), (Some(Principals::Everyone), true));
        assert_eq!(s.conditions[1].values, vec!["1", "true"]);
        assert!(s.conditions[1].if_exists);
        assert_eq!(s.conditions[0].operator, Operator::Other("NumericLessThan".into()));
    }

    #[test]
    fn rejects_what_iam_rejects() {
        assert_eq!(message(parse("{not json", PolicyKind::Trust)), "This policy contains invalid Json");
        assert_eq!(message(trust(json!([1]))), SYNTAX);
        assert_eq!(message(trust(json!({"Statement": []}))), SYNTAX);
        assert_eq!(message(trust(json!({"Version": "2012-10-17"}))), SYNTAX);
        assert_eq!(
            message(trust(json!({"Version": "2020-01-01", "Statement": []}))),
            "The policy failed legacy parsing"
        );
        assert_eq!(message(trust(json!({"Statement": [], "Extra": 1}))), SYNTAX);
        let ok = json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"});
        let with = |k: &str, v: Value| {
            let mut s = ok.clone();
            if v.is_null() {
                s.as_object_mut().unwrap().remove(k);
            } else {
                s[k] = v;
            }
            json!({"Statement": [s]})
        };
        assert!(trust(with("Sid", json!("A1"))).is_ok());
        assert!(message(trust(with("Sid", json!("a-1")))).starts_with("Statement IDs (SID) must be alpha-numeric"));
        assert_eq!(message(trust(with("Effect", Value::Null))), "Missing required field Effect");
        assert_eq!(message(trust(with("Effect", json!("allow")))), "Invalid effect: allow");
        assert_eq!(message(trust(with("Action", Value::Null))), "Policy statement must contain actions.");
        assert_eq!(message(trust(with("Action", json!("AssumeRole")))), VENDOR);
        assert_eq!(message(trust(with("Action", json!([])))), SYNTAX);
        assert_eq!(
            message(trust(with("Action", json!("s3:GetObject")))),
            "AssumeRole policy may only specify STS AssumeRole actions."
        );
        assert_eq!(message(trust(with("Principal", Value::Null))), "Missing required field Principal");
        assert!(message(trust(with("Principal", json!({"Google": "x"})))).starts_with("Invalid principal in policy"));
        assert!(message(trust(with("Principal", json!("someone")))).starts_with("Invalid principal in policy"));
        assert!(message(trust(with("Principal", json!({"Federated": []})))).starts_with("Invalid principal in policy"));
        assert_eq!(message(trust(with("Resource", json!("*")))), "Has prohibited field Resource");
        assert_eq!(message(trust(with("Condition", json!({"StringEquals": {"nokey": "x"}})))), VENDOR);
        assert_eq!(
            message(trust(with("Condition", json!({"StringSortOf": {"a:b": "x"}})))),
            "Invalid Condition type : StringSortOf"
        );
        assert_eq!(message(trust(with("Condition", json!({"StringEquals": {"a:b": {"x": 1}}})))), SYNTAX);
        assert_eq!(message(trust(with("Condition", json!({"StringEquals": "a:b"})))), SYNTAX);
        assert_eq!(message(trust(with("Unknown", json!(1)))), SYNTAX);
        let np = json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "sts:*"}]});
        assert_eq!(message(trust(np)), "NotPrincipal may only be used with the Deny effect.");
        let dup = json!({"Statement": [
            {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "sts:*"},
            {"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "sts:*"}]});
        assert_eq!(message(trust(dup)), "Statement IDs (SID) in a single policy must be unique.");
    }

    #[test]
    fn inline_policies_name_resources_not_principals() {
        assert!(inline(json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})).is_ok());
        assert!(
            inline(json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": ["a", "b"]}]}))
                .is_ok()
        );
        assert_eq!(
            message(inline(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}))),
            "Policy statement must contain resources."
        );
        assert_eq!(
            message(inline(
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}]})
            )),
            "Policy document should not specify a principal."
        );
    }

    #[test]
    fn documents_are_url_decoded_once_and_encoded_like_iam() {
        let doc = r#"{"Statement": {"Effect": "Allow"}}"#;
        assert_eq!(decode_document(doc).unwrap(), doc);
        let encoded = url_encode(doc);
        assert!(encoded.starts_with("%7B%22Statement%22%3A%20%7B"), "{encoded}");
        assert_eq!(decode_document(&encoded).unwrap(), doc);
        // Decoded once only: a doubly encoded document is not JSON after one pass.
        assert!(decode_document(&url_encode(&encoded)).is_err());
        assert!(decode_document("nothing%20here").is_err());
        assert_eq!(url_encode("a-b.c_d~e f/é"), "a-b.c_d~e%20f%2F%C3%A9");
        assert_eq!(counted_size("{ \"a\" :\n 1 }"), 7);
    }
}
