//! Cognito's view of the log, AdminListUserAuthEvents: one user's auth events of Cognito's
//! types (SignIn, SignUp, ForgotPassword, PasswordChange, ResendCode), newest first, with the
//! sign-in steps and the address each came from. Cognito keeps these only for pools with
//! threat protection (`UserPoolAddOns.AdvancedSecurityMode` AUDIT or ENFORCED) and answers
//! UserPoolAddOnNotEnabledException otherwise; so does this server (it records the events in
//! every pool, for the dashboard, and only the API is gated). AdminUpdateAuthEventFeedback marks
//! one of those events Valid or Invalid, under the same gate.

use super::{
    AuthEventType, ChallengeResult, EventCursor, EventFilter, Events, Feedback, FeedbackValue, Outcome, challenges_of,
    feedback_of,
};
use crate::events::Category;
use crate::ids::Username;
use crate::userpool::Users;
use crate::userpool::error::{Error, Message, Result};
use crate::userpool::model::Pool;

/// One event as AdminListUserAuthEvents shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAuthEvent {
    pub id: String,
    pub event_type: AuthEventType,
    /// Epoch milliseconds.
    pub at: i64,
    pub outcome: Outcome,
    pub challenges: Vec<ChallengeResult>,
    pub ip: Option<String>,
    pub feedback: Option<Feedback>,
}

/// Whether the pool's add-on keeps auth events for Cognito's API (AUDIT or ENFORCED).
pub fn auth_events_enabled(pool: &Pool) -> bool {
    matches!(pool.config["UserPoolAddOns"]["AdvancedSecurityMode"].as_str(), Some("AUDIT" | "ENFORCED"))
}

fn add_on_refused() -> Error {
    Error::UserPoolAddOnNotEnabled(Message::Text(
        "Advanced security features are not enabled for this user pool.".into(),
    ))
}

impl Events {
    /// AdminUpdateAuthEventFeedback: the add-on must be on, the user exist, and the event be one
    /// of the user's auth events (ResourceNotFoundException otherwise); the feedback is the
    /// administrator's.
    pub async fn admin_event_feedback(
        &self,
        users: &Users,
        pool: &Pool,
        username: &Username,
        event_id: &str,
        value: FeedbackValue,
    ) -> Result<()> {
        if !auth_events_enabled(pool) {
            return Err(add_on_refused());
        }
        let user = users.user(pool, username).await?;
        let event = self.event(event_id).await?;
        let theirs = event.filter(|e| {
            e.pool_id.as_ref() == Some(&pool.id)
                && e.user_sub.as_ref() == Some(&user.id)
                && e.category == Category::Auth.as_str()
                && AuthEventType::parse(&e.event_type).is_some()
        });
        if theirs.is_none() || !self.set_feedback(&pool.id, event_id, value, "Admin").await? {
            return Err(Error::ResourceNotFound(Message::Text("Event not found.".into())));
        }
        Ok(())
    }

    /// AdminListUserAuthEvents: the add-on must be on (UserPoolAddOnNotEnabledException), the
    /// user must exist (UserNotFoundException, looked up through `users` as every Admin* action
    /// does); then up to `limit` events, newest first, after the page `next` names.
    pub async fn user_auth_events(
        &self,
        users: &Users,
        pool: &Pool,
        username: &Username,
        limit: i64,
        next: Option<&str>,
    ) -> Result<(Vec<UserAuthEvent>, Option<String>)> {
        if !auth_events_enabled(pool) {
            return Err(add_on_refused());
        }
        let user = users.user(pool, username).await?;
        let after = match next {
            Some(token) => Some(EventCursor::parse(token).ok_or_else(|| Error::invalid("Invalid pagination token."))?),
            None => None,
        };
        let filter = EventFilter {
            pool_id: Some(pool.id.clone()),
            user_sub: Some(user.id.clone()),
            category: Some(Category::Auth),
            event_types: AuthEventType::COGNITO.iter().map(|t| t.as_str().to_string()).collect(),
            ..EventFilter::default()
        };
        let page = self.list(&filter, limit, after.as_ref()).await?;
        let events = page
            .events
            .iter()
            .filter_map(|row| {
                Some(UserAuthEvent {
                    id: row.id.clone(),
                    event_type: AuthEventType::parse(&row.event_type)?,
                    at: row.at,
                    outcome: Outcome::parse(&row.outcome)?,
                    challenges: challenges_of(row),
                    ip: row.ip.clone(),
                    feedback: feedback_of(row),
                })
            })
            .collect();
        Ok((events, page.next.map(|c| c.encode())))
    }
}
