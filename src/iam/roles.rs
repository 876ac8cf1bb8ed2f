//! Role services: CreateRole, GetRole, ListRoles, UpdateAssumeRolePolicy, DeleteRole and the
//! inline policies (PutRolePolicy, GetRolePolicy, DeleteRolePolicy), with IAM's constraints,
//! quotas and messages.

use super::Iam;
use super::error::{IamError, IamResult, check_range, check_string, constraint, is_name_char, is_policy_char};
use super::policy::{self, PolicyKind};
use crate::store::StoreError;
use crate::store::iam::{RoleDeletion, RolePolicyRow, RoleRow};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// IAM's default quota of roles per account.
pub const MAX_ROLES: i64 = 1000;
/// IAM's default quota on a trust policy's size (characters other than white space).
pub const MAX_TRUST_POLICY_SIZE: usize = 2048;
/// IAM's quota on the inline policies of one role, together.
pub const MAX_INLINE_POLICIES_SIZE: usize = 10_240;
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;
pub const DEFAULT_MAX_ITEMS: i64 = 100;

/// CreateRole's input.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    /// `/` when `None`.
    pub path: Option<String>,
    /// JSON, or URL-encoded JSON.
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    /// 3600 when `None`.
    pub max_session_duration: Option<i64>,
}

/// One page of ListRoles.
#[derive(Debug, Clone)]
pub struct RolePage {
    pub roles: Vec<RoleRow>,
    /// Where the next page starts; `Some` exactly when the list is truncated.
    pub marker: Option<String>,
}

pub fn check_role_name(name: &str) -> IamResult<()> {
    check_string("roleName", name, 1, 64, "[\\w+=,.@-]+", is_name_char)
}

pub(super) fn check_policy_name(name: &str) -> IamResult<()> {
    check_string("policyName", name, 1, 128, "[\\w+=,.@-]+", is_name_char)
}

pub(super) fn check_document(member: &str, doc: &str) -> IamResult<()> {
    check_string(member, doc, 1, 131_072, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", is_policy_char)
}

/// `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, 1-512.
pub(super) fn check_path(path: &str) -> IamResult<()> {
    check_string("path", path, 1, 512, "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", |c| matches!(c, '!'..='~'))?;
    if path != "/" && !(path.len() >= 3 && path.starts_with('/') && path.ends_with('/')) {
        return Err(constraint(
            "path",
            Some(path),
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

/// A trust policy parameter (CreateRole, UpdateAssumeRolePolicy) as the JSON text to store:
/// within the model's characters and length, decoded, a valid trust policy, within the quota.
fn trust_document(raw: &str) -> IamResult<String> {
    check_document("assumeRolePolicyDocument", raw)?;
    let document = policy::decode_document(raw)?;
    policy::parse(&document, PolicyKind::Trust)?;
    if policy::counted_size(&document) > MAX_TRUST_POLICY_SIZE {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_SIZE}"
        )));
    }
    Ok(document)
}

pub(super) fn not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

impl Iam {
    /// `arn:aws:iam::{account}:role{path}{name}`.
    pub fn role_arn(&self, role: &RoleRow) -> String {
        super::role_arn(&self.account_id, &role.path, &role.name)
    }

    pub async fn create_role(&self, input: NewRole) -> IamResult<RoleRow> {
        check_role_name(&input.name)?;
        let path = input.path.unwrap_or_else(|| "/".to_string());
        check_path(&path)?;
        check_document("assumeRolePolicyDocument", &input.assume_role_policy_document)?;
        if let Some(d) = &input.description {
            check_string(
                "description",
                d,
                0,
                1000,
                "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
                |c| matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{A1}'..='\u{FF}'),
            )?;
        }
        let max_session_duration = input.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION_DURATION);
        check_range("maxSessionDuration", max_session_duration, 3600, 43200)?;
        let document = trust_document(&input.assume_role_policy_document)?;
        let exists = || IamError::EntityAlreadyExists(format!("Role with name {} already exists.", input.name));
        if self.store.get_role(&input.name).await?.is_some() {
            return Err(exists());
        }
        if self.store.count_roles().await? >= MAX_ROLES {
            return Err(IamError::LimitExceeded(format!("Cannot exceed quota for RolesPerAccount: {MAX_ROLES}.")));
        }
        let row = RoleRow {
            name: input.name.clone(),
            role_id: format!("AROA{}", crate::crypto::random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 17)),
            path,
            assume_role_policy: document,
            description: input.description,
            max_session_duration,
            created_at: self.now(),
        };
        match self.store.insert_role(&row).await {
            Ok(()) => Ok(row),
            Err(StoreError::Conflict) => Err(exists()),
            Err(e) => Err(e.into()),
        }
    }

    /// UpdateAssumeRolePolicy: replace the trust policy of the role `name`, checked as
    /// CreateRole checks it; the role as it is now. Credentials vended before keep working
    /// until they expire, as in IAM.
    pub async fn update_assume_role_policy(&self, name: &str, document: &str) -> IamResult<RoleRow> {
        check_role_name(name)?;
        check_document("policyDocument", document)?;
        let role = self.get_role(name).await?;
        let document = trust_document(document)?;
        if !self.store.set_role_trust_policy(&role.name, &document).await? {
            return Err(not_found(name));
        }
        Ok(RoleRow { assume_role_policy: document, ..role })
    }

    /// The role named `name` (in any case).
    pub async fn get_role(&self, name: &str) -> IamResult<RoleRow> {
        check_role_name(name)?;
        self.store.get_role(name).await?.ok_or_else(|| not_found(name))
    }

    /// Roles whose path starts with `path_prefix` (default `/`), by name, `max_items` (1-1000,
    /// default 100) at a time from `marker`.
    pub async fn list_roles(
        &self,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<RolePage> {
        let (prefix, max, after) = listing(path_prefix, marker, max_items)?;
        let rows = self.store.list_roles(prefix, after.as_deref(), max + 1).await?;
        let (roles, next) = crate::store::page(rows, max, |r| r.name.clone());
        Ok(RolePage { roles, marker: next.as_deref().map(encode_marker) })
    }

    /// Delete a role without inline policies (`DeleteConflict` otherwise, as IAM); the
    /// credentials vended for it stop working at once.
    pub async fn delete_role(&self, name: &str) -> IamResult<()> {
        check_role_name(name)?;
        match self.store.delete_role(name, self.now()).await? {
            RoleDeletion::Deleted => Ok(()),
            RoleDeletion::NotFound => Err(not_found(name)),
            RoleDeletion::HasPolicies => {
                Err(IamError::DeleteConflict("Cannot delete entity, must delete policies first.".into()))
            }
            RoleDeletion::HasAttachedPolicies => {
                Err(IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()))
            }
        }
    }

    /// Create or replace the inline policy `policy_name` of a role.
    pub async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> IamResult<()> {
        check_role_name(role_name)?;
        check_policy_name(policy_name)?;
        check_document("policyDocument", document)?;
        let document = policy::decode_document(document)?;
        policy::parse(&document, PolicyKind::Inline)?;
        let role = self.get_role(role_name).await?;
        let others: usize = self
            .store
            .role_policies(&role.name)
            .await?
            .iter()
            .filter(|p| p.policy_name != policy_name)
            .map(|p| policy::counted_size(&p.document))
            .sum();
        if others + policy::counted_size(&document) > MAX_INLINE_POLICIES_SIZE {
            return Err(IamError::LimitExceeded(format!(
                "Maximum policy size of {MAX_INLINE_POLICIES_SIZE} bytes exceeded for role {}",
                role.name
            )));
        }
        let row = RolePolicyRow { role_name: role.name.clone(), policy_name: policy_name.to_string(), document };
        if self.store.put_role_policy(&row).await? { Ok(()) } else { Err(not_found(role_name)) }
    }

    pub async fn get_role_policy(&self, role_name: &str, policy_name: &str) -> IamResult<RolePolicyRow> {
        check_role_name(role_name)?;
        check_policy_name(policy_name)?;
        let role = self.get_role(role_name).await?;
        self.store.get_role_policy(&role.name, policy_name).await?.ok_or_else(|| policy_not_found(policy_name))
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> IamResult<()> {
        check_role_name(role_name)?;
        check_policy_name(policy_name)?;
        let role = self.get_role(role_name).await?;
        if self.store.delete_role_policy(&role.name, policy_name).await? {
            Ok(())
        } else {
            Err(policy_not_found(policy_name))
        }
    }
}

fn policy_not_found(policy_name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role policy with name {policy_name} cannot be found."))
}

/// A listing's checked `PathPrefix` (default `/`), `MaxItems` (1-1000, default 100) and the
/// name the `Marker` continues after.
pub(super) fn listing<'a>(
    path_prefix: Option<&'a str>,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> IamResult<(&'a str, i64, Option<String>)> {
    let prefix = path_prefix.unwrap_or("/");
    check_string("pathPrefix", prefix, 1, 512, "\\u002F[\\u0021-\\u007F]*", |c| matches!(c, '!'..='\u{7F}'))?;
    if !prefix.starts_with('/') {
        return Err(constraint(
            "pathPrefix",
            Some(prefix),
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        ));
    }
    let max = max_items.unwrap_or(DEFAULT_MAX_ITEMS);
    check_range("maxItems", max, 1, 1000)?;
    let after = match marker {
        None => None,
        Some(m) => Some(decode_marker(m).ok_or_else(|| IamError::Validation("Invalid Marker.".into()))?),
    };
    Ok((prefix, max, after))
}

/// The `Marker` of a page that ends at `name`.
pub(super) fn encode_marker(name: &str) -> String {
    URL_SAFE_NO_PAD.encode(name)
}

fn decode_marker(m: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(m).ok()?).ok()
}
