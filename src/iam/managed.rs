//! Customer managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies,
//! DeletePolicy, and attaching them to roles (AttachRolePolicy, DetachRolePolicy,
//! ListAttachedRolePolicies), with IAM's constraints, quotas and messages. A policy has one
//! version, `v1`. Like inline policies, they are kept and returned; this server vends
//! credentials for no AWS service, so nothing evaluates them.

use super::Iam;
use super::error::{IamError, IamResult, check_string};
use super::policy::{self, PolicyKind};
use super::roles::{check_document, check_path, check_policy_name, encode_marker, listing};
use crate::store::StoreError;
use crate::store::iam::{PolicyDeletion, PolicyRow};

/// IAM's quota on a managed policy's size (characters other than white space).
pub const MAX_POLICY_SIZE: usize = 6144;
/// IAM's default quota of managed policies attached to one role.
pub const MAX_ATTACHED_PER_ROLE: i64 = 10;

/// CreatePolicy's input.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    pub name: String,
    /// `/` when `None`.
    pub path: Option<String>,
    /// JSON, or URL-encoded JSON.
    pub document: String,
    pub description: Option<String>,
}

/// A policy with how many roles it is attached to.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub row: PolicyRow,
    pub attachments: i64,
}

/// One page of policies.
#[derive(Debug, Clone)]
pub struct PolicyPage {
    pub policies: Vec<ManagedPolicy>,
    pub marker: Option<String>,
}

fn check_arn(arn: &str) -> IamResult<()> {
    check_string("policyArn", arn, 20, 2048, ".*", |c| !c.is_control())
}

fn not_attachable(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

impl Iam {
    /// `arn:aws:iam::{account}:policy{path}{name}`.
    fn policy_arn(&self, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:policy{path}{name}", self.account_id)
    }

    pub async fn create_policy(&self, input: NewPolicy) -> IamResult<ManagedPolicy> {
        check_policy_name(&input.name)?;
        let path = input.path.unwrap_or_else(|| "/".to_string());
        check_path(&path)?;
        check_document("policyDocument", &input.document)?;
        if let Some(d) = &input.description {
            check_string("description", d, 0, 1000, ".*", |c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))?;
        }
        let document = policy::decode_document(&input.document)?;
        policy::parse(&document, PolicyKind::Inline)?;
        if policy::counted_size(&document) > MAX_POLICY_SIZE {
            return Err(IamError::LimitExceeded(format!("Cannot exceed quota for PolicySize: {MAX_POLICY_SIZE}")));
        }
        let row = PolicyRow {
            arn: self.policy_arn(&path, &input.name),
            name: input.name.clone(),
            policy_id: format!("ANPA{}", crate::crypto::random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 17)),
            path,
            document,
            description: input.description,
            created_at: self.now(),
        };
        match self.store.insert_policy(&row).await {
            Ok(()) => Ok(ManagedPolicy { row, attachments: 0 }),
            Err(StoreError::Conflict) => Err(IamError::EntityAlreadyExists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                input.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_policy(&self, arn: &str) -> IamResult<ManagedPolicy> {
        check_arn(arn)?;
        let row = self.store.get_policy(arn).await?.ok_or_else(|| not_attachable(arn))?;
        let attachments = self.store.count_policy_attachments(arn).await?;
        Ok(ManagedPolicy { row, attachments })
    }

    /// ListPolicies: `scope` All (default), Local or AWS (this server has no AWS managed
    /// policies), attached ones only when asked, by name.
    pub async fn list_policies(
        &self,
        scope: Option<&str>,
        only_attached: bool,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<PolicyPage> {
        let (prefix, max, after) = listing(path_prefix, marker, max_items)?;
        match scope.unwrap_or("All") {
            "All" | "Local" => {}
            "AWS" => return Ok(PolicyPage { policies: Vec::new(), marker: None }),
            other => {
                return Err(super::error::constraint(
                    "scope",
                    Some(other),
                    "Member must satisfy enum value set: [All, AWS, Local]",
                ));
            }
        }
        let rows = self.store.list_policies(prefix, only_attached, after.as_deref(), max + 1).await?;
        let (rows, next) = crate::store::page(rows, max, |p| p.name.clone());
        let mut policies = Vec::with_capacity(rows.len());
        for row in rows {
            let attachments = self.store.count_policy_attachments(&row.arn).await?;
            policies.push(ManagedPolicy { row, attachments });
        }
        Ok(PolicyPage { policies, marker: next.as_deref().map(encode_marker) })
    }

    /// DeletePolicy: only a policy no role has attached.
    pub async fn delete_policy(&self, arn: &str) -> IamResult<()> {
        check_arn(arn)?;
        match self.store.delete_policy(arn).await? {
            PolicyDeletion::Deleted => Ok(()),
            PolicyDeletion::NotFound => Err(IamError::NoSuchEntity(format!("Policy {arn} was not found."))),
            PolicyDeletion::Attached => {
                Err(IamError::DeleteConflict("Cannot delete a policy attached to entities.".into()))
            }
        }
    }

    pub async fn attach_role_policy(&self, role_name: &str, arn: &str) -> IamResult<()> {
        check_arn(arn)?;
        let role = self.get_role(role_name).await?;
        self.store.get_policy(arn).await?.ok_or_else(|| not_attachable(arn))?;
        let attached = self.store.attached_role_policies(&role.name, "/", None, MAX_ATTACHED_PER_ROLE + 1).await?;
        if !attached.iter().any(|p| p.arn == arn) && attached.len() as i64 >= MAX_ATTACHED_PER_ROLE {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED_PER_ROLE}"
            )));
        }
        Ok(self.store.attach_role_policy(&role.name, arn).await?)
    }

    pub async fn detach_role_policy(&self, role_name: &str, arn: &str) -> IamResult<()> {
        check_arn(arn)?;
        let role = self.get_role(role_name).await?;
        if self.store.detach_role_policy(&role.name, arn).await? {
            Ok(())
        } else {
            Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")))
        }
    }

    /// ListAttachedRolePolicies: the role's policies by name.
    pub async fn attached_role_policies(
        &self,
        role_name: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<(Vec<PolicyRow>, Option<String>)> {
        let role = self.get_role(role_name).await?;
        let (prefix, max, after) = listing(path_prefix, marker, max_items)?;
        let rows = self.store.attached_role_policies(&role.name, prefix, after.as_deref(), max + 1).await?;
        let (rows, next) = crate::store::page(rows, max, |p| p.name.clone());
        Ok((rows, next.as_deref().map(encode_marker)))
    }
}
