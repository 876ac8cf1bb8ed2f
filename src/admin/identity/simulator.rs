//! The credential simulator: paste an ID token, pick the login key (one of the pool's
//! providers), and see each step GetCredentialsForIdentity would take — the login validates,
//! a role is chosen (which rule matched, or the token's preferred role), the role's trust policy
//! allows the identity — with pass or fail and the reason. `IdentityPools::simulate` answers
//! without creating an identity or vending credentials; simulating changes nothing, so any
//! signed-in operator may run it (`Change<Read>`: the form's CSRF token is still checked).

use super::{Access, Change, InIdentityPool, Layout, Read, SECTION, date, internal, message, page, pool_link};
use crate::iam::trust::{ASSUME_ROLE_WITH_WEB_IDENTITY, Decision};
use crate::identity_pools::error::Error;
use crate::identity_pools::pools::{IdentityPool, oidc_provider_name};
use crate::identity_pools::roles::{AmbiguousRoleResolution, NoRole, PoolRoles, RoleBasis, RoleChoice};
use crate::identity_pools::simulation::{SimulatedTrust, Simulation, TrustOutcome};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde_json::Value;

/// One step of the outcome: `state` is `pass`, `fail` or `skip` (an earlier step failed).
/// The login key of the guest simulation: no provider is named so (parentheses are not allowed).
const GUEST: &str = "(guest)";

pub struct Step {
    pub title: String,
    pub state: &'static str,
    pub reason: String,
    pub facts: Vec<(String, String)>,
}

impl Step {
    fn new(title: impl Into<String>, passed: bool, reason: impl Into<String>, facts: Vec<(String, String)>) -> Step {
        Step { title: title.into(), state: if passed { "pass" } else { "fail" }, reason: reason.into(), facts }
    }

    fn skipped(title: impl Into<String>) -> Step {
        Step {
            title: title.into(),
            state: "skip",
            reason: "Not reached: an earlier step failed.".into(),
            facts: Vec::new(),
        }
    }

    pub fn verdict(&self) -> &'static str {
        match self.state {
            "pass" => "Passes",
            "fail" => "Fails",
            _ => "Not reached",
        }
    }
}

/// The simulation as the page shows it.
pub struct Outcome {
    pub key: String,
    pub claims: Vec<(String, String)>,
    pub steps: Vec<Step>,
    pub granted: bool,
    pub conclusion: String,
}

#[derive(Template)]
#[template(path = "admin/identity_simulate.html")]
struct SimulatePage {
    layout: Layout,
    pool: IdentityPool,
    pool_link: String,
    keys: Vec<String>,
    key: String,
    outcome: Option<Outcome>,
    error: Option<String>,
}

/// The login keys a token can be presented under: the pool's user-pool providers, public and
/// OpenID Connect providers (SAML and developer logins are not ID tokens).
fn login_keys(pool: &IdentityPool) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let names = pool.cognito_identity_providers.iter().map(|c| c.provider_name.clone());
    let others = pool.supported_login_providers.keys().cloned();
    let oidc = pool.open_id_connect_provider_arns.iter().map(|a| oidc_provider_name(a).to_string());
    for k in names.chain(others).chain(oidc) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

fn simulate_page(
    layout: Layout,
    pool: IdentityPool,
    key: String,
    outcome: Option<Outcome>,
    error: Option<String>,
) -> HttpResponse {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let keys = login_keys(&pool);
    page(
        status,
        &SimulatePage { layout, pool_link: pool_link(&pool.identity_pool_id), pool, keys, key, outcome, error },
    )
}

/// `/admin/identity-pools/{id}/simulate`: the form.
pub async fn form(a: InIdentityPool<Access<Read>>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    simulate_page(Layout::of(&a.op, SECTION, None), pool, String::new(), None, None)
}

/// `POST /admin/identity-pools/{id}/simulate`: run it (the token is neither kept nor shown again).
pub async fn run(c: InIdentityPool<Change<Read>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let layout = Layout::of(&c.op, SECTION, None);
    let key = c.form.get("login").trim().to_string();
    let token = c.form.get("token").trim();
    let ids = &c.svc.identity_pools;
    let simulation = if key == GUEST {
        ids.simulate_guest(&pool.identity_pool_id).await
    } else if !login_keys(&pool).contains(&key) {
        return simulate_page(layout, pool, key, None, Some("Pick one of the identity pool's login providers.".into()));
    } else if token.is_empty() {
        return simulate_page(layout, pool, key, None, Some("Paste the ID token to check.".into()));
    } else {
        ids.simulate(&pool.identity_pool_id, &key, token).await
    };
    let simulation = match simulation {
        Ok(s) => s,
        Err(Error::ResourceNotFound(_)) => {
            return message(StatusCode::NOT_FOUND, "No such identity pool", "There is no identity pool with this id.");
        }
        Err(e) => return internal(e),
    };
    let roles = match ids.identity_pool_roles(&pool.identity_pool_id).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let outcome = outcome(&key, &simulation, &roles, c.svc.clock.now());
    simulate_page(layout, pool, key, Some(outcome), None)
}

fn fact(name: impl Into<String>, value: impl Into<String>) -> (String, String) {
    (name.into(), value.into())
}

/// A claim's value as text; times (`exp`, `iat`, `auth_time`) with their date and how far from now.
fn claim_text(name: &str, v: &Value, now: i64) -> String {
    match (name, v) {
        ("exp" | "iat" | "auth_time" | "nbf", Value::Number(n)) if n.is_i64() => {
            let t = n.as_i64().unwrap_or_default();
            let (d, m) = ((t - now).abs() / 60, if t > now { "from now" } else { "ago" });
            format!("{t} ({}, {d} min {m})", date(t))
        }
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn outcome(key: &str, s: &Simulation, roles: &PoolRoles, now: i64) -> Outcome {
    let claims = s.stated_claims.iter().flatten().map(|(k, v)| (k.clone(), claim_text(k, v, now))).collect();
    let mut steps = Vec::new();
    let login_title = if key == GUEST {
        "The identity pool takes guests (AllowUnauthenticatedIdentities)".to_string()
    } else {
        format!("The token validates as a login of {key}")
    };
    match &s.login {
        Ok(None) => steps.push(Step::new(
            login_title,
            true,
            "GetId without logins gives a guest identity.",
            vec![fact("Identity", "a new guest identity")],
        )),
        Ok(Some(l)) => steps.push(Step::new(
            login_title,
            true,
            "Signature, issuer, audience (an app client of this provider) and expiry check out.",
            vec![
                fact("Provider", &l.provider),
                fact("Subject", &l.subject),
                fact("Role mapping key", &l.mapping_key),
                fact(
                    "Identity",
                    l.identity_id.clone().unwrap_or_else(|| "none yet: GetId would create one".to_string()),
                ),
            ],
        )),
        Err(m) => steps.push(Step::new(login_title, false, m, Vec::new())),
    }
    let role_title = "A role is chosen";
    match &s.role {
        None => steps.push(Step::skipped(role_title)),
        Some(choice) => steps.push(role_step(role_title, choice, roles)),
    }
    let trust_title = format!("The role's trust policy allows {ASSUME_ROLE_WITH_WEB_IDENTITY}");
    match &s.trust {
        None => steps.push(Step::skipped(trust_title)),
        Some(t) => {
            let new_identity = s.login.as_ref().is_ok_and(|l| l.as_ref().is_none_or(|l| l.identity_id.is_none()));
            steps.push(trust_step(trust_title, t, new_identity));
        }
    }
    let failed = steps.iter().position(|st| st.state == "fail");
    let (granted, conclusion) = match (failed, &s.trust) {
        (None, Some(t)) => {
            (true, format!("GetCredentialsForIdentity would vend credentials for the role {}.", t.role_arn))
        }
        (Some(i), _) => (false, format!("GetCredentialsForIdentity would be refused at step {}.", i + 1)),
        (None, None) => (false, "GetCredentialsForIdentity would be refused.".to_string()),
    };
    Outcome { key: key.to_string(), claims, steps, granted, conclusion }
}

fn role_step(title: &str, choice: &RoleChoice, roles: &PoolRoles) -> Step {
    let mapping = choice.mapping_key.as_ref().and_then(|k| roles.role_mappings.get(k).map(|m| (k, m)));
    let mut facts = Vec::new();
    if let Some((k, m)) = mapping {
        facts.push(fact("Role mapping", format!("{k} (type {})", m.mapping_type.as_str())));
    }
    let reason = match &choice.basis {
        RoleBasis::NoMapping => "No role mapping for this login: the pool's authenticated role.".to_string(),
        RoleBasis::Guest => "A guest: the pool's unauthenticated role.".into(),
        RoleBasis::TokenCustomRole => "Token mapping: the requested role, one of the token's cognito:roles.".into(),
        RoleBasis::TokenPreferredRole => "Token mapping: the token's cognito:preferred_role.".into(),
        RoleBasis::TokenOnlyRole => "Token mapping: the only role in the token's cognito:roles.".into(),
        RoleBasis::Rule { number } => {
            let rule =
                mapping.and_then(|(_, m)| m.rules_configuration.as_ref()).and_then(|rc| rc.rules.get(number - 1));
            match rule {
                Some(r) => format!("Rule {number} matches: {} {} {}.", r.claim, r.match_type.as_str(), r.value),
                None => format!("Rule {number} matches."),
            }
        }
        RoleBasis::Ambiguous(resolution) => {
            let why = match mapping.map(|(_, m)| m.mapping_type.as_str()) {
                Some("Rules") => "No rule matches",
                _ => "The token names no single role (cognito:preferred_role, or one cognito:roles)",
            };
            match resolution {
                Some(AmbiguousRoleResolution::AuthenticatedRole) => {
                    format!("{why}; AmbiguousRoleResolution AuthenticatedRole: the pool's authenticated role.")
                }
                _ => format!("{why}; AmbiguousRoleResolution Deny."),
            }
        }
    };
    match &choice.role {
        Ok(role) => {
            facts.push(fact("Role", role));
            Step::new(title, true, reason, facts)
        }
        Err(NoRole::Denied(m)) => Step::new(title, false, format!("{reason} {m}"), facts),
        Err(NoRole::Unconfigured) => {
            let kind = if choice.basis == RoleBasis::Guest { "unauthenticated" } else { "authenticated" };
            Step::new(
                title,
                false,
                format!(
                    "{reason} The identity pool has no {kind} role, so GetCredentialsForIdentity answers \
                     InvalidIdentityPoolConfigurationException."
                ),
                facts,
            )
        }
    }
}

/// The trust step; `new_identity`: the `sub` is a sample id of the identity GetId would create.
fn trust_step(title: String, t: &SimulatedTrust, new_identity: bool) -> Step {
    let w = &t.web_identity;
    let p = &w.provider;
    let sub = if new_identity {
        format!("{} (a sample id: the identity does not exist yet)", w.subject)
    } else {
        w.subject.clone()
    };
    let facts = vec![
        fact("Role", &t.role_arn),
        fact("Principal (Federated)", p),
        fact(format!("{p}:aud"), &w.audience),
        fact(format!("{p}:sub"), sub),
        fact(format!("{p}:amr"), w.amr.join(", ")),
    ];
    let (passed, reason) = match &t.outcome {
        TrustOutcome::Decided { role_name, decision: Decision::Allow } => {
            (true, format!("The trust policy of {role_name} allows this identity."))
        }
        TrustOutcome::Decided { role_name, decision: Decision::ExplicitDeny } => {
            (false, format!("A Deny statement of the trust policy of {role_name} applies to this identity."))
        }
        TrustOutcome::Decided { role_name, decision: Decision::ImplicitDeny } => (
            false,
            format!(
                "No Allow statement of the trust policy of {role_name} applies: it must name the Federated principal \
                 {p}, the action {ASSUME_ROLE_WITH_WEB_IDENTITY}, and only conditions this identity meets \
                 (such as {p}:aud {} and {p}:amr authenticated).",
                w.audience
            ),
        ),
        TrustOutcome::NoSuchRole => (false, format!("There is no IAM role {} in this account.", t.role_arn)),
        TrustOutcome::Invalid(m) => (false, format!("The role ARN {} is refused: {m}", t.role_arn)),
    };
    Step::new(title, passed, reason, facts)
}
