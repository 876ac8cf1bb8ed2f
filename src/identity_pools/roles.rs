//! An identity pool's roles (SetIdentityPoolRoles): the `authenticated` and `unauthenticated`
//! roles, and per-provider role mappings of type `Token` (the roles the user pool put in the ID
//! token) or `Rules` (claim rules tried in order). Checking a configuration, and choosing the role
//! for one request, are pure functions of the configuration and the logins' claims.

use super::error::{Error, Result};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const AUTHENTICATED: &str = "authenticated";
pub const UNAUTHENTICATED: &str = "unauthenticated";
/// Rules per role mapping (Cognito's documented quota; the model allows 400).
pub const MAX_RULES: usize = 25;
/// Characters of a rule's claim name and value (the model's `ClaimName`, `ClaimValue`).
pub const MAX_CLAIM_NAME: usize = 64;
pub const MAX_CLAIM_VALUE: usize = 128;

/// An identity pool's roles (SetIdentityPoolRoles, GetIdentityPoolRoles).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolRoles {
    /// `authenticated` / `unauthenticated` -> role ARN.
    pub roles: BTreeMap<String, String>,
    /// Login provider (a RoleMappings key) -> how its users get a role.
    pub role_mappings: BTreeMap<String, RoleMapping>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleMapping {
    pub mapping_type: MappingType,
    /// What happens when the mapping gives no role; required.
    pub ambiguous_role_resolution: Option<AmbiguousRoleResolution>,
    /// The rules of a `Rules` mapping.
    pub rules_configuration: Option<RulesConfiguration>,
}

/// `Type` of a role mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingType {
    /// The roles the user pool put in the ID token.
    Token,
    /// Claim rules tried in order.
    Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmbiguousRoleResolution {
    AuthenticatedRole,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RulesConfiguration {
    pub rules: Vec<MappingRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MappingRule {
    pub claim: String,
    pub match_type: MatchType,
    pub value: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    NotEqual,
}

impl MappingType {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingType::Token => "Token",
            MappingType::Rules => "Rules",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [MappingType::Token, MappingType::Rules].into_iter().find(|t| t.as_str() == s)
    }
}

impl AmbiguousRoleResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            AmbiguousRoleResolution::AuthenticatedRole => "AuthenticatedRole",
            AmbiguousRoleResolution::Deny => "Deny",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AmbiguousRoleResolution::AuthenticatedRole, AmbiguousRoleResolution::Deny]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

impl MatchType {
    pub const ALL: [MatchType; 4] =
        [MatchType::Equals, MatchType::Contains, MatchType::StartsWith, MatchType::NotEqual];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Equals => "Equals",
            MatchType::Contains => "Contains",
            MatchType::StartsWith => "StartsWith",
            MatchType::NotEqual => "NotEqual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A rule's claim name: 1-64 letters, marks, symbols, numbers or punctuation (the model's
/// `ClaimName`).
fn is_claim_name(claim: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    (1..=MAX_CLAIM_NAME).contains(&claim.chars().count())
        && RE.get_or_init(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$").expect("regex")).is_match(claim)
}

/// An IAM role ARN: `arn:aws:iam::{12 digits}:role/{path/}{name}`.
pub fn is_role_arn(arn: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^arn:aws:iam::\d{12}:role/(?:[\x21-\x7E]*/)?[\w+=,.@-]{1,64}$").expect("regex"))
        .is_match(arn)
}

impl PoolRoles {
    /// Check a SetIdentityPoolRoles configuration: role keys and ARNs, and each mapping's
    /// provider (one of `providers`, the keys the pool's configuration allows), resolution and rules.
    pub fn check(&self, providers: &[String]) -> Result<()> {
        for (kind, arn) in &self.roles {
            if kind != AUTHENTICATED && kind != UNAUTHENTICATED {
                return Err(Error::invalid(format!(
                    "Roles keys must be {AUTHENTICATED} or {UNAUTHENTICATED}; got {kind}."
                )));
            }
            if !is_role_arn(arn) {
                return Err(Error::invalid(format!("Invalid {kind} role ARN: {arn}")));
            }
        }
        for (provider, m) in &self.role_mappings {
            if !providers.iter().any(|p| p == provider) {
                return Err(Error::invalid(format!(
                    "Role mapping provider {provider} is not a login provider of this identity pool; \
                     use a SupportedLoginProviders key, an OpenID Connect provider name, a SAML provider ARN, \
                     or ProviderName:ClientId of a Cognito user pool provider."
                )));
            }
            if m.ambiguous_role_resolution.is_none() {
                return Err(Error::invalid(format!(
                    "AmbiguousRoleResolution must be specified for the {provider} role mapping."
                )));
            }
            match (m.mapping_type, &m.rules_configuration) {
                (MappingType::Rules, None) => {
                    return Err(Error::invalid(format!(
                        "RulesConfiguration is required for the Rules type role mapping of {provider}."
                    )));
                }
                (MappingType::Token, Some(_)) => {
                    return Err(Error::invalid(format!(
                        "RulesConfiguration is only allowed for the Rules type; the {provider} role mapping is of type Token."
                    )));
                }
                (MappingType::Rules, Some(rc)) => {
                    if rc.rules.is_empty() || rc.rules.len() > MAX_RULES {
                        return Err(Error::invalid(format!(
                            "The {provider} role mapping must have between 1 and {MAX_RULES} rules."
                        )));
                    }
                    if let Some((i, r)) = rc.rules.iter().enumerate().find(|(_, r)| !is_claim_name(&r.claim)) {
                        return Err(Error::invalid(format!(
                            "Rule {} of {provider}: a claim name is 1 to {MAX_CLAIM_NAME} letters, digits, symbols or punctuation; got '{}'.",
                            i + 1,
                            r.claim
                        )));
                    }
                    if let Some((i, r)) = rc
                        .rules
                        .iter()
                        .enumerate()
                        .find(|(_, r)| r.value.is_empty() || r.value.chars().count() > MAX_CLAIM_VALUE)
                    {
                        return Err(Error::invalid(format!(
                            "Rule {} of {provider}: a value is 1 to {MAX_CLAIM_VALUE} characters; got '{}'.",
                            i + 1,
                            r.value
                        )));
                    }
                    if let Some(r) = rc.rules.iter().find(|r| !is_role_arn(&r.role_arn)) {
                        return Err(Error::invalid(format!(
                            "Invalid role ARN in a rule of {provider}: {}",
                            r.role_arn
                        )));
                    }
                }
                (MappingType::Token, None) => {}
            }
        }
        Ok(())
    }

    pub fn role(&self, kind: &str) -> Option<&str> {
        self.roles.get(kind).map(String::as_str)
    }
}

/// One validated login of the request, as role mapping sees it.
#[derive(Debug, Clone)]
pub struct MappedLogin<'a> {
    /// The RoleMappings key of its provider (`{provider}:{clientId}` for user pools).
    pub mapping_key: String,
    pub claims: &'a Map<String, Value>,
}

/// Why no role: the mapping said Deny, or the pool lacks the role it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRole {
    /// `AmbiguousRoleResolution: Deny` (or a CustomRoleArn the mapping does not allow).
    Denied(String),
    /// The pool has no role of the kind required.
    Unconfigured,
}

/// The role for a guest, and why ([`guest_role`] without a CustomRoleArn).
pub fn choose_guest_role(roles: &PoolRoles) -> RoleChoice {
    RoleChoice { mapping_key: None, basis: RoleBasis::Guest, role: guest_role(roles, None) }
}

/// The role for a guest: the `unauthenticated` role. A CustomRoleArn must name that role.
pub fn guest_role(roles: &PoolRoles, custom: Option<&str>) -> Result<String, NoRole> {
    let role = roles.role(UNAUTHENTICATED).ok_or(NoRole::Unconfigured)?;
    match custom {
        Some(c) if c != role => Err(NoRole::Denied(custom_not_allowed(c))),
        _ => Ok(role.to_string()),
    }
}

fn custom_not_allowed(arn: &str) -> String {
    format!("The role {arn} is not allowed for this identity; CustomRoleArn must be one of the roles in the token.")
}

/// What decided the role of an authenticated request ([`choose_authenticated_role`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleBasis {
    /// No login's provider has a role mapping: the pool's `authenticated` role.
    NoMapping,
    /// A `Token` mapping took the CustomRoleArn, one of `cognito:roles`.
    TokenCustomRole,
    /// A `Token` mapping took `cognito:preferred_role`.
    TokenPreferredRole,
    /// A `Token` mapping took the only role of `cognito:roles`.
    TokenOnlyRole,
    /// A `Rules` mapping: rule `number` (from 1) was the first that matched.
    Rule { number: usize },
    /// The mapping gave no role, and AmbiguousRoleResolution decided.
    Ambiguous(Option<AmbiguousRoleResolution>),
    /// A guest (no login): the pool's `unauthenticated` role.
    Guest,
}

/// The role of an authenticated request, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChoice {
    /// The RoleMappings key of the login whose mapping decided, if one did.
    pub mapping_key: Option<String>,
    pub basis: RoleBasis,
    pub role: Result<String, NoRole>,
}

/// The role for an authenticated request ([`choose_authenticated_role`] without the reasons).
pub fn authenticated_role(roles: &PoolRoles, logins: &[MappedLogin], custom: Option<&str>) -> Result<String, NoRole> {
    choose_authenticated_role(roles, logins, custom).role
}

/// The role for an authenticated request, and what chose it. The first login (in the order
/// given) whose provider has a role mapping decides: `Token` takes the CustomRoleArn when it is
/// one of `cognito:roles`, else `cognito:preferred_role`, else the only one of `cognito:roles`;
/// `Rules` takes the role of the first rule that matches. When that gives nothing,
/// AmbiguousRoleResolution decides: the `authenticated` role, or Deny. Logins without a mapping
/// get the `authenticated` role, and a CustomRoleArn must then be that role.
pub fn choose_authenticated_role(roles: &PoolRoles, logins: &[MappedLogin], custom: Option<&str>) -> RoleChoice {
    let authenticated = || roles.role(AUTHENTICATED).map(str::to_string).ok_or(NoRole::Unconfigured);
    let custom_must_be = |role: Result<String, NoRole>| match (role, custom) {
        (Ok(r), Some(c)) if c != r => Err(NoRole::Denied(custom_not_allowed(c))),
        (other, _) => other,
    };
    let mapped = logins.iter().find_map(|l| roles.role_mappings.get(&l.mapping_key).map(|m| (l, m)));
    let Some((login, mapping)) = mapped else {
        return RoleChoice { mapping_key: None, basis: RoleBasis::NoMapping, role: custom_must_be(authenticated()) };
    };
    let decided = |basis: RoleBasis, role: Result<String, NoRole>| RoleChoice {
        mapping_key: Some(login.mapping_key.clone()),
        basis,
        role,
    };
    let chosen = match mapping.mapping_type {
        MappingType::Token => {
            let token_roles = claim_strings(login.claims.get("cognito:roles"));
            if let Some(c) = custom {
                if !token_roles.iter().any(|r| r == c) {
                    return decided(RoleBasis::TokenCustomRole, Err(NoRole::Denied(custom_not_allowed(c))));
                }
                return decided(RoleBasis::TokenCustomRole, Ok(c.to_string()));
            }
            match login.claims.get("cognito:preferred_role").and_then(Value::as_str) {
                Some(p) => Some((RoleBasis::TokenPreferredRole, p.to_string())),
                None if token_roles.len() == 1 => token_roles.into_iter().next().map(|r| (RoleBasis::TokenOnlyRole, r)),
                None => None,
            }
        }
        MappingType::Rules => {
            let rules = mapping.rules_configuration.as_ref().map(|r| r.rules.as_slice()).unwrap_or_default();
            rules
                .iter()
                .position(|r| rule_matches(r, login.claims))
                .map(|i| (RoleBasis::Rule { number: i + 1 }, rules[i].role_arn.clone()))
        }
    };
    if let Some((basis, role)) = chosen {
        return decided(basis, custom_must_be(Ok(role)));
    }
    let resolution = mapping.ambiguous_role_resolution;
    let role = match resolution {
        Some(AmbiguousRoleResolution::AuthenticatedRole) => custom_must_be(authenticated()),
        _ => Err(NoRole::Denied(format!(
            "The ambiguous role mapping rules for: {} denied this request.",
            login.mapping_key
        ))),
    };
    decided(RoleBasis::Ambiguous(resolution), role)
}

/// A claim's values as strings: an array's elements, a string (a `cognito:roles` string may be
/// comma-separated), a number or boolean as written.
fn claim_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
        Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a rule matches the claims. A missing claim matches nothing (NotEqual included). A
/// multi-valued claim (`cognito:groups`) matches Equals/Contains/StartsWith when one of its
/// values does, and NotEqual when none equals the value.
pub fn rule_matches(rule: &MappingRule, claims: &Map<String, Value>) -> bool {
    let values: Vec<String> = match claims.get(&rule.claim) {
        None | Some(Value::Null) => return false,
        Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
        Some(v) => match scalar(v) {
            Some(s) => vec![s],
            None => return false,
        },
    };
    let v = rule.value.as_str();
    match rule.match_type {
        MatchType::Equals => values.iter().any(|x| x == v),
        MatchType::Contains => values.iter().any(|x| x.contains(v)),
        MatchType::StartsWith => values.iter().any(|x| x.starts_with(v)),
        MatchType::NotEqual => !values.is_empty() && values.iter().all(|x| x != v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AUTH: &str = "arn:aws:iam::000000000000:role/auth";
    const GUEST: &str = "arn:aws:iam::000000000000:role/guest";
    const ADMIN: &str = "arn:aws:iam::000000000000:role/admin";
    const READER: &str = "arn:aws:iam::000000000000:role/path/reader";
    const KEY: &str = "cognito-idp.local.amazonaws.com/local_abc:client1";

    /// The roles of a SetIdentityPoolRoles document (the stored document has the same shape), checked.
    fn from_input(v: &Value, providers: &[String]) -> Result<PoolRoles> {
        let roles = PoolRoles::from_document(v)?;
        roles.check(providers)?;
        Ok(roles)
    }

    fn roles(mapping: Value) -> PoolRoles {
        from_input(
            &json!({"Roles": {"authenticated": AUTH, "unauthenticated": GUEST}, "RoleMappings": {KEY: mapping}}),
            &[KEY.to_string()],
        )
        .unwrap()
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn login(c: &Map<String, Value>) -> Vec<MappedLogin<'_>> {
        vec![MappedLogin { mapping_key: KEY.into(), claims: c }]
    }

    #[test]
    fn checks_role_arns_keys_and_mappings() {
        assert!(is_role_arn(AUTH) && is_role_arn(READER));
        assert!(!is_role_arn("arn:aws:iam::123:role/x") && !is_role_arn("arn:aws:s3:::bucket"));
        let p = [KEY.to_string()];
        let bad = |v: Value| from_input(&v, &p).unwrap_err().to_string();
        assert!(bad(json!({"Roles": {"authenticated": "nope"}})).contains("Invalid authenticated role ARN"));
        assert!(bad(json!({"Roles": {"admin": AUTH}})).contains("Roles keys"));
        assert!(bad(json!({"Roles": {}, "RoleMappings": {"graph.facebook.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}})).contains("not a login provider"));
        assert!(
            bad(json!({"Roles": {}, "RoleMappings": {KEY: {"Type": "Token"}}})).contains("AmbiguousRoleResolution")
        );
        assert!(
            bad(json!({"Roles": {}, "RoleMappings": {KEY: {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}}}))
                .contains("RulesConfiguration is required")
        );
        let many: Vec<Value> =
            (0..26).map(|_| json!({"Claim": "a", "MatchType": "Equals", "Value": "b", "RoleARN": AUTH})).collect();
        assert!(bad(json!({"Roles": {}, "RoleMappings": {KEY: {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": many}}}})).contains("between 1 and 25"));
    }

    #[test]
    fn rules_are_tried_in_order_and_not_equal_needs_the_claim() {
        let r = roles(json!({"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
            {"Claim": "department", "MatchType": "NotEqual", "Value": "sales", "RoleARN": READER},
            {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "adm", "RoleARN": ADMIN},
            {"Claim": "email", "MatchType": "StartsWith", "Value": "bob", "RoleARN": AUTH},
        ]}}));
        let c = claims(json!({"department": "ops", "cognito:groups": ["admins"]}));
        assert_eq!(authenticated_role(&r, &login(&c), None), Ok(READER.into()));
        let c = claims(json!({"department": "sales", "cognito:groups": ["admins"]}));
        assert_eq!(authenticated_role(&r, &login(&c), None), Ok(ADMIN.into()));
        // No department claim: NotEqual does not match.
        let c = claims(json!({"email": "bob@example.com"}));
        assert_eq!(authenticated_role(&r, &login(&c), None), Ok(AUTH.into()));
        let c = claims(json!({"email": "alice@example.com"}));
        assert!(
            matches!(authenticated_role(&r, &login(&c), None), Err(NoRole::Denied(m)) if m.contains("denied this request"))
        );
    }

    #[test]
    fn token_mapping_prefers_the_preferred_role_then_a_single_role_then_resolves_ambiguity() {
        let deny = roles(json!({"Type": "Token", "AmbiguousRoleResolution": "Deny"}));
        let fallback = roles(json!({"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}));
        let both = claims(json!({"cognito:roles": [ADMIN, READER]}));
        assert!(matches!(authenticated_role(&deny, &login(&both), None), Err(NoRole::Denied(_))));
        assert_eq!(authenticated_role(&fallback, &login(&both), None), Ok(AUTH.into()));
        let preferred = claims(json!({"cognito:roles": [ADMIN, READER], "cognito:preferred_role": READER}));
        assert_eq!(authenticated_role(&deny, &login(&preferred), None), Ok(READER.into()));
        let one = claims(json!({"cognito:roles": [ADMIN]}));
        assert_eq!(authenticated_role(&deny, &login(&one), None), Ok(ADMIN.into()));
        // CustomRoleArn: one of the token's roles, or denied.
        assert_eq!(authenticated_role(&deny, &login(&both), Some(ADMIN)), Ok(ADMIN.into()));
        assert!(matches!(authenticated_role(&fallback, &login(&both), Some(AUTH)), Err(NoRole::Denied(_))));
    }

    #[test]
    fn without_a_mapping_the_authenticated_role_and_guests_the_unauthenticated_role() {
        let r = from_input(&json!({"Roles": {"authenticated": AUTH}}), &[]).unwrap();
        let c = claims(json!({}));
        assert_eq!(authenticated_role(&r, &login(&c), None), Ok(AUTH.into()));
        assert!(matches!(authenticated_role(&r, &login(&c), Some(ADMIN)), Err(NoRole::Denied(_))));
        assert_eq!(guest_role(&r, None), Err(NoRole::Unconfigured));
        let empty = PoolRoles::default();
        assert_eq!(authenticated_role(&empty, &login(&c), None), Err(NoRole::Unconfigured));
    }

    #[test]
    fn the_choice_says_what_decided() {
        let r = roles(
            json!({"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole", "RulesConfiguration": {"Rules": [
                {"Claim": "email", "MatchType": "StartsWith", "Value": "bob", "RoleARN": READER},
                {"Claim": "cognito:groups", "MatchType": "Equals", "Value": "admins", "RoleARN": ADMIN},
            ]}}),
        );
        let c = claims(json!({"email": "ann@example.com", "cognito:groups": ["admins"]}));
        let choice = choose_authenticated_role(&r, &login(&c), None);
        assert_eq!(choice.basis, RoleBasis::Rule { number: 2 });
        assert_eq!((choice.mapping_key.as_deref(), choice.role), (Some(KEY), Ok(ADMIN.into())));
        let none = claims(json!({"email": "ann@example.com"}));
        let choice = choose_authenticated_role(&r, &login(&none), None);
        assert_eq!(choice.basis, RoleBasis::Ambiguous(Some(AmbiguousRoleResolution::AuthenticatedRole)));
        assert_eq!(choice.role, Ok(AUTH.into()));
        let token = roles(json!({"Type": "Token", "AmbiguousRoleResolution": "Deny"}));
        let one = claims(json!({"cognito:roles": [ADMIN]}));
        assert_eq!(choose_authenticated_role(&token, &login(&one), None).basis, RoleBasis::TokenOnlyRole);
        let unmapped = PoolRoles { role_mappings: BTreeMap::new(), ..token };
        let choice = choose_authenticated_role(&unmapped, &login(&one), None);
        assert_eq!((choice.basis, choice.mapping_key, choice.role), (RoleBasis::NoMapping, None, Ok(AUTH.into())));
    }

    #[test]
    fn rules_need_a_claim_name_and_a_value() {
        let rule = |claim: &str, value: &str| {
            json!({"Roles": {}, "RoleMappings": {KEY: {"Type": "Rules", "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {"Rules": [{"Claim": claim, "MatchType": "Equals", "Value": value, "RoleARN": AUTH}]}}}})
        };
        let p = [KEY.to_string()];
        assert!(from_input(&rule("cognito:groups", "a"), &p).is_ok());
        let e = from_input(&rule("", "a"), &p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("Rule 1 of {KEY}: a claim name")), "{e}");
        assert!(from_input(&rule("two words", "a"), &p).is_err());
        assert!(from_input(&rule(&"c".repeat(65), "a"), &p).is_err());
        assert!(from_input(&rule("c", ""), &p).unwrap_err().to_string().contains("a value is 1 to 128"));
        assert!(from_input(&rule("c", &"v".repeat(129)), &p).is_err());
    }
}
