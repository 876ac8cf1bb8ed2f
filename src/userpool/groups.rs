//! Groups and memberships; group names appear in `cognito:groups` in precedence order.

use super::Users;
use super::error::{Error, Result};
use crate::ids::{PoolId, UserSub, Username};
use crate::store::StoreError;
use crate::store::groups::GroupRow;
use crate::store::users::UserRow;

/// CreateGroup's settings; each may be left empty.
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<i64>,
}

/// UpdateGroup's changes: `None` leaves a setting as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub description: Option<Option<String>>,
    pub role_arn: Option<Option<String>>,
    pub precedence: Option<Option<i64>>,
}

impl Users {
    pub async fn create_group(&self, pool_id: &PoolId, name: &str, input: &NewGroup) -> Result<GroupRow> {
        self.directory.pool(pool_id).await?;
        let now = self.now();
        let g = GroupRow {
            pool_id: pool_id.clone(),
            name: name.to_string(),
            description: input.description.clone(),
            role_arn: input.role_arn.clone(),
            precedence: input.precedence,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_group(&g).await {
            Ok(()) => Ok(g),
            Err(StoreError::Conflict) => Err(Error::GroupExists("A group with the name already exists.".into())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn group(&self, pool_id: &PoolId, name: &str) -> Result<GroupRow> {
        self.directory.pool(pool_id).await?;
        self.store.get_group(pool_id, name).await?.ok_or_else(|| Error::ResourceNotFound("Group not found.".into()))
    }

    pub async fn update_group(&self, pool_id: &PoolId, name: &str, changes: &GroupChanges) -> Result<GroupRow> {
        let mut g = self.group(pool_id, name).await?;
        if let Some(d) = &changes.description {
            g.description = d.clone();
        }
        if let Some(r) = &changes.role_arn {
            g.role_arn = r.clone();
        }
        if let Some(p) = changes.precedence {
            g.precedence = p;
        }
        g.updated_at = self.now();
        self.store.update_group(&g).await?;
        Ok(g)
    }

    pub async fn delete_group(&self, pool_id: &PoolId, name: &str) -> Result<()> {
        self.group(pool_id, name).await?;
        self.store.delete_group(pool_id, name).await?;
        Ok(())
    }

    /// Resolve user and group in the pool (either missing → the matching Cognito error).
    async fn user_and_group(&self, pool_id: &PoolId, username: &Username, group: &str) -> Result<(UserRow, GroupRow)> {
        let pool = self.directory.pool(pool_id).await?;
        let user = self.user(&pool, username).await?;
        let g = self.group(pool_id, group).await?;
        Ok((user, g))
    }

    pub async fn add_user_to_group(&self, pool_id: &PoolId, username: &Username, group: &str) -> Result<()> {
        let (u, g) = self.user_and_group(pool_id, username, group).await?;
        self.store.add_group_member(pool_id, &g.name, &u.id).await?;
        Ok(())
    }

    pub async fn remove_user_from_group(&self, pool_id: &PoolId, username: &Username, group: &str) -> Result<()> {
        let (u, g) = self.user_and_group(pool_id, username, group).await?;
        self.store.remove_group_member(pool_id, &g.name, &u.id).await?;
        Ok(())
    }

    /// ListGroups: a page of at most `max` of the pool's groups by name, after the group named
    /// `after`, and the name to continue after when there are more.
    pub async fn list_groups(
        &self,
        pool_id: &PoolId,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<GroupRow>, Option<String>)> {
        self.directory.pool(pool_id).await?;
        let rows = self.store.list_groups(pool_id, max + 1, after).await?;
        Ok(crate::store::page(rows, max, |g| g.name.clone()))
    }

    /// AdminListGroupsForUser: the user's groups in precedence order.
    pub async fn groups_of_user(&self, pool_id: &PoolId, username: &Username) -> Result<Vec<GroupRow>> {
        let pool = self.directory.pool(pool_id).await?;
        let user = self.user(&pool, username).await?;
        Ok(self.store.groups_for_user(&user.id).await?)
    }

    /// AdminListGroupsForUser: a page of at most `max` of the user's groups (in token order:
    /// by precedence, then name) after the group named `after`, and the name to continue after
    /// when there are more. A user has few groups, so the page is cut from the whole list.
    pub async fn groups_of_user_page(
        &self,
        pool_id: &PoolId,
        username: &Username,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<GroupRow>, Option<String>)> {
        let all = self.groups_of_user(pool_id, username).await?;
        let start = match after {
            None => 0,
            Some(name) => match all.iter().position(|g| g.name == name) {
                Some(i) => i + 1,
                None => return Err(super::error::Error::invalid("Invalid NextToken.")),
            },
        };
        let rows: Vec<GroupRow> = all.into_iter().skip(start).take(max as usize + 1).collect();
        Ok(crate::store::page(rows, max, |g| g.name.clone()))
    }

    /// ListUsersInGroup: a page of at most `max` members of the group, after the user id
    /// `after`, and the id to continue after when there are more.
    pub async fn users_in_group(
        &self,
        pool_id: &PoolId,
        group: &str,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<UserRow>, Option<String>)> {
        let g = self.group(pool_id, group).await?;
        let rows = self.store.users_in_group(pool_id, &g.name, max + 1, after).await?;
        Ok(crate::store::page(rows, max, |u| u.id.to_string()))
    }

    /// What a user's groups put in tokens.
    pub async fn group_claims(&self, user_id: &UserSub) -> Result<GroupClaims> {
        Ok(GroupClaims::of(&self.store.groups_for_user(user_id).await?))
    }
}

/// `cognito:groups`, `cognito:roles` and `cognito:preferred_role` of a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupClaims {
    /// Group names, lowest precedence first, groups without precedence last.
    pub names: Vec<String>,
    /// The distinct role ARNs of the groups, in the same order.
    pub roles: Vec<String>,
    /// The role of the group with the lowest precedence among those with a role; none when
    /// groups tie at that precedence with different roles.
    pub preferred_role: Option<String>,
}

impl GroupClaims {
    /// From groups already ordered by precedence (as the store returns them).
    pub fn of(groups: &[GroupRow]) -> GroupClaims {
        let mut roles: Vec<String> = Vec::new();
        for r in groups.iter().filter_map(|g| g.role_arn.as_ref()) {
            if !roles.contains(r) {
                roles.push(r.clone());
            }
        }
        let with_role: Vec<&GroupRow> = groups.iter().filter(|g| g.role_arn.is_some()).collect();
        let preferred_role = with_role.first().and_then(|best| {
            let mut tied = with_role.iter().filter(|g| g.precedence == best.precedence).map(|g| &g.role_arn);
            let first = tied.next().cloned().flatten();
            if tied.all(|r| *r == first) { first } else { None }
        });
        GroupClaims { names: groups.iter().map(|g| g.name.clone()).collect(), roles, preferred_role }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(name: &str, precedence: Option<i64>, role: Option<&str>) -> GroupRow {
        GroupRow {
            pool_id: "p".into(),
            name: name.into(),
            description: None,
            role_arn: role.map(str::to_string),
            precedence,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn preferred_role_is_the_lowest_precedence_role_unless_tied() {
        let c = GroupClaims::of(&[g("a", Some(0), None), g("b", Some(1), Some("B")), g("c", None, Some("C"))]);
        assert_eq!(c.names, ["a", "b", "c"]);
        assert_eq!(c.roles, ["B", "C"]);
        assert_eq!(c.preferred_role.as_deref(), Some("B"));
        let tie = GroupClaims::of(&[g("a", Some(1), Some("A")), g("b", Some(1), Some("B"))]);
        assert_eq!(tie.preferred_role, None);
        let same = GroupClaims::of(&[g("a", Some(1), Some("A")), g("b", Some(1), Some("A"))]);
        assert_eq!((same.preferred_role.as_deref(), same.roles.len()), (Some("A"), 1));
        let unset = GroupClaims::of(&[g("a", None, Some("A")), g("b", None, Some("B"))]);
        assert_eq!(unset.preferred_role, None);
        assert_eq!(GroupClaims::of(&[]), GroupClaims::default());
    }
}
