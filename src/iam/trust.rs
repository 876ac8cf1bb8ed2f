//! Trust-policy evaluation for `sts:AssumeRoleWithWebIdentity`, as IAM evaluates a role's
//! trust policy: a statement applies when its principal, action and every condition match;
//! an applicable `Deny` wins over everything; without an applicable `Allow` nothing is allowed.
//!
//! Anything this server cannot decide (an operator it does not evaluate, a policy variable, a
//! wildcard principal of another type) fails closed: it never makes an `Allow` apply, and it
//! never keeps a `Deny` from applying.

use super::WebIdentity;
use super::policy::{Condition, Effect, Operator, Policy, Principals, Qualifier, Statement};
use std::collections::BTreeMap;

pub const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// What is being asked, by whom, with which condition keys.
#[derive(Debug, Clone)]
pub struct Request {
    pub action: String,
    /// The `Federated` principal.
    pub federated: String,
    /// Condition keys (lower case: IAM compares key names without case) → values. Absent keys
    /// are not in the map; a multi-valued key (`…:amr`) has several values.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// `sts:AssumeRoleWithWebIdentity` for a web identity, with the keys IAM sets for it:
    /// `{provider}:aud`, `{provider}:sub` and, when the token has one, `{provider}:amr`.
    pub fn web_identity(who: &WebIdentity) -> Request {
        let mut context = BTreeMap::new();
        let key = |name: &str| format!("{}:{name}", who.provider).to_ascii_lowercase();
        context.insert(key("aud"), vec![who.audience.clone()]);
        context.insert(key("sub"), vec![who.subject.clone()]);
        if !who.amr.is_empty() {
            context.insert(key("amr"), who.amr.clone());
        }
        Request { action: ASSUME_ROLE_WITH_WEB_IDENTITY.to_string(), federated: who.provider.clone(), context }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// An applicable `Deny` statement.
    ExplicitDeny,
    /// No applicable `Allow` statement.
    ImplicitDeny,
}

/// Does `policy` let `who` assume the role through web identity federation?
pub fn trusts(policy: &Policy, who: &WebIdentity) -> bool {
    evaluate(policy, &Request::web_identity(who)) == Decision::Allow
}

pub fn evaluate(policy: &Policy, req: &Request) -> Decision {
    let mut allowed = false;
    for s in &policy.statements {
        match (s.effect, applies(s, req)) {
            (Effect::Deny, Tri::Yes | Tri::Unknown) => return Decision::ExplicitDeny,
            (Effect::Allow, Tri::Yes) => allowed = true,
            _ => {}
        }
    }
    if allowed { Decision::Allow } else { Decision::ImplicitDeny }
}

/// A match that may be undecidable here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }

    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::Yes,
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

fn applies(s: &Statement, req: &Request) -> Tri {
    let principal = match &s.principal {
        Some(p) if s.not_principal => principal_matches(p, &req.federated).not(),
        Some(p) => principal_matches(p, &req.federated),
        // Trust policies always name principals (checked when stored).
        None => Tri::No,
    };
    let action_named = s.actions.iter().any(|a| glob(a, &req.action, true));
    let action = Tri::from(action_named != s.not_action);
    s.conditions.iter().fold(principal.and(action), |acc, c| acc.and(condition(c, &req.context)))
}

/// `"*"` names everyone; `{"Federated": …}` names providers exactly. A wildcard under another
/// principal type (`{"AWS": "*"}`) is not decided here.
fn principal_matches(p: &Principals, federated: &str) -> Tri {
    match p {
        Principals::Everyone => Tri::Yes,
        Principals::Typed(types) => {
            if types.get("Federated").is_some_and(|names| names.iter().any(|n| n == federated)) {
                Tri::Yes
            } else if types.values().flatten().any(|n| n == "*") {
                Tri::Unknown
            } else {
                Tri::No
            }
        }
    }
}

fn condition(c: &Condition, context: &BTreeMap<String, Vec<String>>) -> Tri {
    let values = context.get(&c.key.to_ascii_lowercase()).filter(|v| !v.is_empty());
    let (negated, matcher): (bool, fn(&str, &str) -> bool) = match &c.operator {
        Operator::StringEquals => (false, |v, p| v == p),
        Operator::StringNotEquals => (true, |v, p| v == p),
        Operator::StringEqualsIgnoreCase => (false, |v, p| v.to_lowercase() == p.to_lowercase()),
        Operator::StringNotEqualsIgnoreCase => (true, |v, p| v.to_lowercase() == p.to_lowercase()),
        Operator::StringLike => (false, |v, p| glob(p, v, false)),
        Operator::StringNotLike => (true, |v, p| glob(p, v, false)),
        Operator::Null => return null_check(c, values.is_some()),
        Operator::Other(_) => return Tri::Unknown,
    };
    // Policy variables (`${…}`) are not substituted here.
    if c.values.iter().any(|p| p.contains("${")) {
        return Tri::Unknown;
    }
    let Some(values) = values else {
        // IAM: a missing key fails a positive operator, satisfies a negated one and every
        // `…IfExists`; `ForAllValues` holds over the empty set, `ForAnyValue` does not.
        return Tri::from(match c.qualifier {
            Qualifier::ForAllValues => true,
            Qualifier::ForAnyValue => c.if_exists,
            Qualifier::None => c.if_exists || negated,
        });
    };
    let matches_policy = |v: &String| c.values.iter().any(|p| matcher(v, p));
    // One context value satisfies the operator: equal/like one of the policy values, or for
    // a negated operator, none of them.
    let satisfies = |v: &String| matches_policy(v) != negated;
    Tri::from(match c.qualifier {
        Qualifier::ForAllValues => values.iter().all(satisfies),
        Qualifier::ForAnyValue => values.iter().any(satisfies),
        // Without a qualifier, a positive operator needs one value to match, a negated one
        // needs no value to match.
        Qualifier::None if negated => values.iter().all(satisfies),
        Qualifier::None => values.iter().any(satisfies),
    })
}

/// `"Null": {"key": "true"}` holds when the key is absent, `"false"` when present.
fn null_check(c: &Condition, present: bool) -> Tri {
    let mut result = Tri::No;
    for v in &c.values {
        match v.to_ascii_lowercase().as_str() {
            "true" if !present => result = Tri::Yes,
            "false" if present => result = Tri::Yes,
            "true" | "false" => {}
            _ => return Tri::Unknown,
        }
    }
    result
}

/// IAM wildcards: `*` any run of characters (also none), `?` exactly one.
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold =
        |s: &str| -> Vec<char> { if ignore_case { s.to_lowercase().chars().collect() } else { s.chars().collect() } };
    let (p, t) = (fold(pattern), fold(text));
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it has swallowed.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{PolicyKind, parse};
    use serde_json::{Value, json};

    const IDP: &str = "cognito-identity.amazonaws.com";
    const POOL: &str = "eu-west-3:11111111-2222-3333-4444-555555555555";

    fn who(amr: &[&str]) -> WebIdentity {
        WebIdentity {
            provider: IDP.into(),
            subject: "eu-west-3:identity-1".into(),
            audience: POOL.into(),
            amr: amr.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn authenticated() -> WebIdentity {
        who(&[
            "authenticated",
            "cognito-idp.eu-west-3.amazonaws.com/eu-west-3_abc",
            "cognito-idp.eu-west-3.amazonaws.com/eu-west-3_abc:CognitoSignIn:42",
        ])
    }

    fn policy(statements: Value) -> Policy {
        parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string(), PolicyKind::Trust).unwrap()
    }

    fn allow(condition: Value) -> Value {
        json!({"Effect": "Allow", "Principal": {"Federated": IDP}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})
    }

    fn decide(p: &Policy, w: &WebIdentity) -> Decision {
        evaluate(p, &Request::web_identity(w))
    }

    /// The trust policy the Cognito console writes for an identity pool's authenticated role.
    fn console_policy() -> Policy {
        policy(json!([allow(json!({
            "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
        }))]))
    }

    #[test]
    fn the_console_policy_trusts_authenticated_identities_of_its_pool_only() {
        let p = console_policy();
        assert!(trusts(&p, &authenticated()));
        assert!(!trusts(&p, &who(&["unauthenticated"])), "guest");
        assert!(!trusts(&p, &who(&[])), "no amr at all");
        let mut other_pool = authenticated();
        other_pool.audience = "eu-west-3:99999999-2222-3333-4444-555555555555".into();
        assert!(!trusts(&p, &other_pool), "another pool");
        let mut other_idp = authenticated();
        other_idp.provider = "accounts.google.com".into();
        assert!(!trusts(&p, &other_idp), "another provider, even with the same aud");
    }

    #[test]
    fn principal_must_name_the_provider() {
        let no_condition = |principal: Value| {
            policy(json!([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity"}]))
        };
        assert!(trusts(&no_condition(json!({"Federated": IDP})), &authenticated()));
        assert!(trusts(&no_condition(json!({"Federated": ["accounts.google.com", IDP]})), &authenticated()));
        assert!(trusts(&no_condition(json!("*")), &authenticated()));
        assert!(!trusts(&no_condition(json!({"Federated": "accounts.google.com"})), &authenticated()));
        assert!(!trusts(&no_condition(json!({"Federated": "COGNITO-IDENTITY.amazonaws.com"})), &authenticated()));
        assert!(!trusts(&no_condition(json!({"Federated": "cognito-identity.*"})), &authenticated()), "no wildcards");
        assert!(
            !trusts(&no_condition(json!({"AWS": "*"})), &authenticated()),
            "AWS principals are not federated users"
        );
        assert!(!trusts(&no_condition(json!({"Service": "lambda.amazonaws.com"})), &authenticated()));
    }

    #[test]
    fn action_must_cover_assume_role_with_web_identity() {
        let with_action = |action: Value, not: bool| {
            let key = if not { "NotAction" } else { "Action" };
            policy(json!([{"Effect": "Allow", "Principal": {"Federated": IDP}, key: action}]))
        };
        for yes in [
            json!("sts:AssumeRoleWithWebIdentity"),
            json!("STS:assumerolewithwebidentity"),
            json!("sts:*"),
            json!("*"),
            json!("sts:AssumeRoleWith*"),
            json!(["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]),
            json!("sts:AssumeRoleWithWebIdentit?"),
        ] {
            assert!(trusts(&with_action(yes.clone(), false), &authenticated()), "{yes}");
        }
        for no in [json!("sts:AssumeRole"), json!("sts:AssumeRoleWithSAML"), json!("sts:AssumeRoleWithWebIdentity?")] {
            assert!(!trusts(&with_action(no.clone(), false), &authenticated()), "{no}");
        }
        assert!(trusts(&with_action(json!("sts:AssumeRole"), true), &authenticated()), "NotAction other");
        assert!(!trusts(&with_action(json!("sts:AssumeRoleWith*"), true), &authenticated()), "NotAction this");
    }

    #[test]
    fn explicit_deny_wins_and_no_allow_means_no() {
        let deny_guests = json!({"Effect": "Deny", "Principal": {"Federated": IDP},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"ForAnyValue:StringEquals": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}});
        let allow_all = allow(json!({"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL}}));
        let p = policy(json!([allow_all.clone(), deny_guests.clone()]));
        assert_eq!(decide(&p, &authenticated()), Decision::Allow);
        assert_eq!(decide(&p, &who(&["unauthenticated"])), Decision::ExplicitDeny);
        // Order does not matter.
        let p = policy(json!([deny_guests, allow_all]));
        assert_eq!(decide(&p, &who(&["unauthenticated"])), Decision::ExplicitDeny);
        // A deny for everyone beats an allow for this provider.
        let p = policy(json!([allow(json!({})), {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}]));
        assert_eq!(decide(&p, &authenticated()), Decision::ExplicitDeny);
        // Only denies: nothing allowed.
        let p = policy(json!([{"Effect": "Deny", "Principal": {"Federated": "accounts.google.com"}, "Action": "*"}]));
        assert_eq!(decide(&p, &authenticated()), Decision::ImplicitDeny);
        // NotPrincipal: deny everyone except this provider.
        let p = policy(json!([allow(json!({})),
            {"Effect": "Deny", "NotPrincipal": {"Federated": IDP}, "Action": "sts:*"}]));
        assert_eq!(decide(&p, &authenticated()), Decision::Allow);
        let mut google = authenticated();
        google.provider = "accounts.google.com".into();
        let p = policy(json!([{"Effect": "Allow", "Principal": "*", "Action": "sts:*"},
            {"Effect": "Deny", "NotPrincipal": {"Federated": IDP}, "Action": "sts:*"}]));
        assert_eq!(decide(&p, &google), Decision::ExplicitDeny);
    }

    #[test]
    fn string_equals_and_not_equals_on_single_values() {
        let p = |c: Value| policy(json!([allow(c)]));
        let aud = "cognito-identity.amazonaws.com:aud";
        assert!(trusts(&p(json!({"StringEquals": {aud: [POOL, "other"]}})), &authenticated()), "one of the values");
        assert!(!trusts(&p(json!({"StringEquals": {aud: POOL.to_uppercase()}})), &authenticated()), "case matters");
        assert!(trusts(&p(json!({"StringEqualsIgnoreCase": {aud: POOL.to_uppercase()}})), &authenticated()));
        assert!(!trusts(&p(json!({"StringNotEqualsIgnoreCase": {aud: POOL.to_uppercase()}})), &authenticated()));
        assert!(trusts(&p(json!({"StringNotEquals": {aud: "other"}})), &authenticated()));
        assert!(!trusts(&p(json!({"StringNotEquals": {aud: ["other", POOL]}})), &authenticated()));
        // Key names are compared without case, values with.
        assert!(trusts(&p(json!({"StringEquals": {"Cognito-Identity.amazonaws.com:AUD": POOL}})), &authenticated()));
        // Keys of the same operator and different operators must all hold.
        let sub = "cognito-identity.amazonaws.com:sub";
        assert!(trusts(&p(json!({"StringEquals": {aud: POOL, sub: "eu-west-3:identity-1"}})), &authenticated()));
        assert!(!trusts(&p(json!({"StringEquals": {aud: POOL, sub: "eu-west-3:identity-2"}})), &authenticated()));
        assert!(!trusts(
            &p(json!({"StringEquals": {aud: POOL}, "StringNotEquals": {sub: "eu-west-3:identity-1"}})),
            &authenticated()
        ));
        // Numbers and booleans compare as text.
        assert!(!trusts(&p(json!({"StringEquals": {aud: 1}})), &authenticated()));
    }

    #[test]
    fn string_like_wildcards() {
        let p = |v: &str| policy(json!([allow(json!({"StringLike": {"cognito-identity.amazonaws.com:sub": v}}))]));
        for yes in ["eu-west-3:*", "*", "eu-west-3:identity-?", "*identity*", "eu-west-3:identity-1", "eu*-3:*-1*"] {
            assert!(trusts(&p(yes), &authenticated()), "{yes}");
        }
        for no in ["eu-west-1:*", "eu-west-3:identity-??", "EU-WEST-3:*", "?", "eu-west-3:identity-"] {
            assert!(!trusts(&p(no), &authenticated()), "{no}");
        }
        let not_like =
            policy(json!([allow(json!({"StringNotLike": {"cognito-identity.amazonaws.com:sub": "eu-west-3:*"}}))]));
        assert!(!trusts(&not_like, &authenticated()));
    }

    #[test]
    fn multi_valued_amr_with_set_qualifiers() {
        let amr = "cognito-identity.amazonaws.com:amr";
        let p = |op: &str, v: Value| policy(json!([allow(json!({op: {amr: v}}))]));
        let provider = "cognito-idp.eu-west-3.amazonaws.com/eu-west-3_abc";
        // ForAnyValue: one amr value is enough.
        assert!(trusts(&p("ForAnyValue:StringLike", json!("authenticated")), &authenticated()));
        assert!(trusts(&p("ForAnyValue:StringEquals", json!(provider)), &authenticated()));
        assert!(trusts(&p("ForAnyValue:StringLike", json!("cognito-idp.*:CognitoSignIn:*")), &authenticated()));
        assert!(!trusts(&p("ForAnyValue:StringLike", json!("graph.facebook.com")), &authenticated()));
        assert!(
            !trusts(&p("ForAnyValue:StringLike", json!("authenticated")), &who(&[])),
            "absent amr fails ForAnyValue"
        );
        // ForAnyValue with a negated operator: some value is not in the list.
        assert!(trusts(&p("ForAnyValue:StringNotEquals", json!("authenticated")), &authenticated()));
        assert!(!trusts(&p("ForAnyValue:StringNotEquals", json!("authenticated")), &who(&["authenticated"])));
        // ForAllValues: every value must be in the list; an absent key holds (as in IAM).
        assert!(!trusts(&p("ForAllValues:StringEquals", json!("authenticated")), &authenticated()));
        assert!(trusts(&p("ForAllValues:StringLike", json!(["authenticated", "cognito-idp.*"])), &authenticated()));
        assert!(trusts(&p("ForAllValues:StringEquals", json!("authenticated")), &who(&["authenticated"])));
        assert!(trusts(&p("ForAllValues:StringEquals", json!("authenticated")), &who(&[])));
        // ForAllValues with a negated operator: no value is in the list.
        assert!(trusts(&p("ForAllValues:StringNotEquals", json!("unauthenticated")), &authenticated()));
        assert!(!trusts(&p("ForAllValues:StringNotEquals", json!("unauthenticated")), &who(&["unauthenticated"])));
        // No qualifier on a multi-valued key: positive needs one match, negated needs none.
        assert!(trusts(&p("StringEquals", json!("authenticated")), &authenticated()));
        assert!(!trusts(&p("StringNotEquals", json!("authenticated")), &authenticated()));
        assert!(trusts(&p("StringNotEquals", json!("unauthenticated")), &authenticated()));
    }

    #[test]
    fn missing_keys_if_exists_and_null() {
        let p = |c: Value| policy(json!([allow(c)]));
        let amr = "cognito-identity.amazonaws.com:amr";
        let none = who(&[]);
        assert!(!trusts(&p(json!({"StringEquals": {amr: "authenticated"}})), &none), "missing key, positive");
        assert!(trusts(&p(json!({"StringNotEquals": {amr: "authenticated"}})), &none), "missing key, negated");
        assert!(trusts(&p(json!({"StringEqualsIfExists": {amr: "authenticated"}})), &none));
        assert!(trusts(&p(json!({"ForAnyValue:StringLikeIfExists": {amr: "x"}})), &none));
        assert!(!trusts(&p(json!({"StringEqualsIfExists": {amr: "x"}})), &authenticated()), "present: compared");
        assert!(
            !trusts(&p(json!({"StringEquals": {"accounts.google.com:aud": POOL}})), &authenticated()),
            "other provider's key"
        );
        assert!(trusts(&p(json!({"Null": {amr: "true"}})), &none));
        assert!(!trusts(&p(json!({"Null": {amr: "true"}})), &authenticated()));
        assert!(trusts(&p(json!({"Null": {amr: "false"}})), &authenticated()));
        assert!(!trusts(&p(json!({"Null": {amr: "maybe"}})), &authenticated()));
    }

    #[test]
    fn what_cannot_be_decided_fails_closed() {
        let aud = "cognito-identity.amazonaws.com:aud";
        // Operators not evaluated here never make an Allow apply…
        let p = policy(json!([allow(
            json!({"StringEquals": {aud: POOL}, "NumericLessThan": {"aws:MultiFactorAuthAge": 300}})
        )]));
        assert_eq!(decide(&p, &authenticated()), Decision::ImplicitDeny);
        let p = policy(json!([allow(json!({"StringEquals": {aud: "${aws:userid}"}}))]));
        assert_eq!(decide(&p, &authenticated()), Decision::ImplicitDeny, "policy variables");
        // …and never keep a Deny from applying.
        let deny = |c: Value| json!({"Effect": "Deny", "Principal": {"Federated": IDP}, "Action": "*", "Condition": c});
        let p = policy(json!([allow(json!({})), deny(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))]));
        assert_eq!(decide(&p, &authenticated()), Decision::ExplicitDeny);
        let p = policy(json!([allow(json!({})), {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*"}]));
        assert_eq!(decide(&p, &authenticated()), Decision::ExplicitDeny, "wildcard principal of another type");
        // A Deny whose decidable condition is false does not apply, even beside an undecidable one.
        let p = policy(json!([
            allow(json!({})),
            deny(json!({"StringEquals": {aud: "other"}, "Bool": {"aws:SecureTransport": "false"}}))
        ]));
        assert_eq!(decide(&p, &authenticated()), Decision::Allow);
    }

    #[test]
    fn user_pool_issuers_as_providers() {
        let issuer = "127.0.0.1:9240/eu-west-3_AbCdEf123";
        let w =
            WebIdentity { provider: issuer.into(), subject: "uuid-1".into(), audience: "client1".into(), amr: vec![] };
        let p = policy(
            json!([{"Effect": "Allow", "Principal": {"Federated": issuer}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {format!("{issuer}:aud"): "client1"}}}]),
        );
        assert!(trusts(&p, &w));
        let other_client = WebIdentity { audience: "client2".into(), ..w.clone() };
        assert!(!trusts(&p, &other_client));
        let other_pool = WebIdentity { provider: "127.0.0.1:9240/eu-west-3_Other".into(), ..w };
        assert!(!trusts(&p, &other_pool));
    }

    #[test]
    fn glob_matches_like_iam() {
        assert!(glob("*", "", false));
        assert!(glob("a*b*c", "aXXbYYc", false));
        assert!(glob("a*b", "ab", false));
        assert!(!glob("a*b", "abc", false));
        assert!(glob("a?c", "abc", false));
        assert!(!glob("a?c", "ac", false));
        assert!(glob("*a*a*", "aaa", false));
        assert!(!glob("*a*a*a*a", "aaa", false));
        assert!(glob("ABC", "abc", true));
        assert!(!glob("ABC", "abc", false));
        assert!(glob("é*", "éte", false));
        assert!(!glob("", "x", false));
    }
}
