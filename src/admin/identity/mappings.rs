//! The roles and role mappings editor of an identity pool: the `authenticated` and
//! `unauthenticated` role ARNs, and per login provider a mapping of type Token or Rules with its
//! AmbiguousRoleResolution and, for Rules, rows of rules (a fixed number of rows, no script).
//! Saving is SetIdentityPoolRoles (`set_identity_pool_roles`), so a bad rule is refused with the
//! API's message and nothing changes; a saved change is audited with what changed.

use super::{
    Change, Configure, Draft, Fields, InIdentityPool, Layout, SECTION, pool_link, pool_page, refusal, see_other,
};
use crate::identity_pools::pools::IdentityPool;
use crate::identity_pools::roles::{
    AUTHENTICATED, AmbiguousRoleResolution, MAX_RULES, MappingRule, MappingType, MatchType, PoolRoles, RoleMapping,
    RulesConfiguration, UNAUTHENTICATED,
};
use actix_web::HttpResponse;

/// The rule rows a mapping shows at least, and how many empty rows follow its rules.
const MIN_ROWS: usize = 5;
const SPARE_ROWS: usize = 2;
/// Mapping fieldsets a posted form is read for (more than any pool's providers).
const MAX_MAPPINGS: usize = 200;

/// The match types a rule row offers (`MatchType::ALL`, by name).
pub const MATCH_TYPES: [&str; 4] = ["Equals", "Contains", "StartsWith", "NotEqual"];

/// The editor as the page shows it.
pub struct RolesForm {
    pub authenticated: String,
    pub unauthenticated: String,
    pub mappings: Vec<MappingForm>,
}

/// One provider's mapping: `kind` is "" (no mapping), `Token` or `Rules`.
pub struct MappingForm {
    pub index: usize,
    pub key: String,
    pub kind: String,
    pub ambiguous: String,
    pub rules: Vec<RuleRow>,
}

pub struct RuleRow {
    pub claim: String,
    pub match_type: String,
    pub value: String,
    pub role: String,
}

impl RuleRow {
    fn empty() -> Self {
        RuleRow { claim: String::new(), match_type: "Equals".into(), value: String::new(), role: String::new() }
    }
}

impl RolesForm {
    /// The editor for `roles`: a fieldset per login provider of the pool, then per mapping of a
    /// provider the pool no longer has (so it can be removed).
    pub fn of(pool: &IdentityPool, roles: &PoolRoles) -> Self {
        let mut keys = pool.mapping_keys();
        keys.extend(roles.role_mappings.keys().filter(|k| !keys.contains(k)).cloned().collect::<Vec<_>>());
        Self::with_keys(keys, roles)
    }

    fn with_keys(keys: Vec<String>, roles: &PoolRoles) -> Self {
        let mappings = keys
            .into_iter()
            .enumerate()
            .map(|(index, key)| {
                let m = roles.role_mappings.get(&key);
                let mut rules: Vec<RuleRow> = m
                    .and_then(|m| m.rules_configuration.as_ref())
                    .map(|rc| {
                        rc.rules
                            .iter()
                            .map(|r| RuleRow {
                                claim: r.claim.clone(),
                                match_type: r.match_type.as_str().into(),
                                value: r.value.clone(),
                                role: r.role_arn.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let rows = (rules.len() + SPARE_ROWS).clamp(MIN_ROWS, MAX_RULES.max(rules.len()));
                while rules.len() < rows {
                    rules.push(RuleRow::empty());
                }
                MappingForm {
                    index,
                    key,
                    kind: m.map(|m| m.mapping_type.as_str().to_string()).unwrap_or_default(),
                    ambiguous: m
                        .and_then(|m| m.ambiguous_role_resolution)
                        .unwrap_or(AmbiguousRoleResolution::AuthenticatedRole)
                        .as_str()
                        .into(),
                    rules,
                }
            })
            .collect();
        RolesForm {
            authenticated: roles.role(AUTHENTICATED).unwrap_or_default().to_string(),
            unauthenticated: roles.role(UNAUTHENTICATED).unwrap_or_default().to_string(),
            mappings,
        }
    }
}

/// The posted editor as SetIdentityPoolRoles' command, and the providers it names (in order).
/// A rule row counts when any of its claim, value or role is filled in; rows belong to a mapping
/// of type Rules only.
fn posted(f: &Fields) -> (PoolRoles, Vec<String>) {
    let mut roles = PoolRoles::default();
    for (kind, field) in [(AUTHENTICATED, "authenticated"), (UNAUTHENTICATED, "unauthenticated")] {
        if let Some(arn) = f.text(field) {
            roles.roles.insert(kind.to_string(), arn);
        }
    }
    let mut keys = Vec::new();
    for i in 0..MAX_MAPPINGS {
        let Some(key) = f.text(&format!("m{i}_key")) else { break };
        keys.push(key.clone());
        let Some(mapping_type) = MappingType::parse(f.get(&format!("m{i}_type"))) else { continue };
        let rules_configuration = (mapping_type == MappingType::Rules).then(|| RulesConfiguration {
            rules: (0..MAX_RULES)
                .filter_map(|j| {
                    let field = |name: &str| f.get(&format!("m{i}_r{j}_{name}")).trim().to_string();
                    let (claim, value, role_arn) = (field("claim"), field("value"), field("role"));
                    if claim.is_empty() && value.is_empty() && role_arn.is_empty() {
                        return None;
                    }
                    let match_type = MatchType::parse(&field("match")).unwrap_or(MatchType::Equals);
                    Some(MappingRule { claim, match_type, value, role_arn })
                })
                .collect(),
        });
        let mapping = RoleMapping {
            mapping_type,
            ambiguous_role_resolution: AmbiguousRoleResolution::parse(f.get(&format!("m{i}_ambiguous"))),
            rules_configuration,
        };
        roles.role_mappings.insert(key, mapping);
    }
    (roles, keys)
}

/// `POST /admin/identity-pools/{id}/roles`: SetIdentityPoolRoles; a refusal shows the form as
/// posted with the service's message.
pub async fn save(c: InIdentityPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let (roles, keys) = posted(&c.form);
    let ids = &c.svc.identity_pools;
    let before = match ids.identity_pool_roles(&pool.identity_pool_id).await {
        Ok(r) => r.document(),
        Err(e) => return super::internal(e),
    };
    let error = match ids.set_identity_pool_roles(&pool.identity_pool_id, &roles).await {
        Ok(()) => {
            let details = crate::events::changes(&before, &roles.document());
            c.audit(None, "SetIdentityPoolRoles", format!("identitypool:{}", pool.identity_pool_id), details).await;
            return see_other(&format!("{}?notice=roles#roles", pool_link(&pool.identity_pool_id)));
        }
        Err(e) => match refusal(e) {
            Ok(m) => m,
            Err(resp) => return resp,
        },
    };
    let draft = Draft { roles: Some(RolesForm::with_keys(keys, &roles)), roles_error: Some(error), ..Draft::default() };
    pool_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, None, draft).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_match_types_offered_are_the_services() {
        assert_eq!(MATCH_TYPES.to_vec(), MatchType::ALL.map(MatchType::as_str).to_vec());
    }

    #[test]
    fn the_posted_editor_reads_roles_mappings_and_filled_rule_rows() {
        let body = "authenticated=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fa&unauthenticated=\
            &m0_key=k0&m0_type=Rules&m0_ambiguous=Deny\
            &m0_r0_claim=groups&m0_r0_match=Contains&m0_r0_value=adm&m0_r0_role=r1\
            &m0_r1_claim=&m0_r1_match=Equals&m0_r1_value=&m0_r1_role=\
            &m0_r2_claim=&m0_r2_match=Equals&m0_r2_value=x&m0_r2_role=\
            &m1_key=k1&m1_type=Token&m1_ambiguous=AuthenticatedRole&m1_r0_claim=ignored\
            &m2_key=k2&m2_type=&m2_ambiguous=Deny";
        let (roles, keys) = posted(&Fields::parse(body.as_bytes()).unwrap());
        assert_eq!(keys, vec!["k0", "k1", "k2"]);
        assert_eq!(roles.role(AUTHENTICATED), Some("arn:aws:iam::000000000000:role/a"));
        assert_eq!(roles.role(UNAUTHENTICATED), None);
        let rules = &roles.role_mappings["k0"].rules_configuration.as_ref().unwrap().rules;
        assert_eq!(rules.len(), 2, "the empty row is left out, the half-filled one kept");
        assert_eq!((rules[0].match_type, rules[0].role_arn.as_str()), (MatchType::Contains, "r1"));
        assert_eq!(rules[1].value, "x");
        assert_eq!(roles.role_mappings["k0"].ambiguous_role_resolution, Some(AmbiguousRoleResolution::Deny));
        assert!(roles.role_mappings["k1"].rules_configuration.is_none(), "Token mappings have no rules");
        assert!(!roles.role_mappings.contains_key("k2"), "no type, no mapping");
        let form = RolesForm::with_keys(keys, &roles);
        assert_eq!(form.mappings[0].rules.len(), MIN_ROWS);
        assert_eq!(form.mappings[2].kind, "");
    }
}
