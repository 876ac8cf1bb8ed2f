//! The event log through Cognito's API: AdminListUserAuthEvents, in Cognito's `AuthEventType`
//! shape, and AdminUpdateAuthEventFeedback. The rules (the add-on gate, the user, which events) are the event service's
//! ([`crate::events::user_events`]); this file only words them.

use super::pool_actions::with_token;
use super::{ApiResult, limit, pool_id_in, username_in};
use crate::events::{ChallengeKind, FeedbackValue, UserAuthEvent};
use crate::services::Services;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a crate::userpool::directory::Directory,
    pub users: &'a crate::userpool::Users,
    pub events: &'a crate::events::Events,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { directory: &svc.directory, users: &svc.users, events: &svc.events }
    }
}

pub const ACTIONS: &[&str] = &["AdminListUserAuthEvents", "AdminUpdateAuthEventFeedback"];

/// Epoch milliseconds as the API's dates: epoch seconds, with the milliseconds as a fraction.
fn date(millis: i64) -> Value {
    json!(millis as f64 / 1000.0)
}

/// Cognito's `AuthEventType`. This server does no risk scoring: every event is `NoRisk`/`Low`
/// with no compromised credentials detected.
fn auth_event_type(e: &UserAuthEvent) -> Value {
    let challenges: Vec<Value> = e
        .challenges
        .iter()
        .map(|c| {
            let name = match c.challenge {
                ChallengeKind::Password => "Password",
                ChallengeKind::Mfa => "Mfa",
            };
            json!({"ChallengeName": name, "ChallengeResponse": if c.success { "Success" } else { "Failure" }})
        })
        .collect();
    let mut v = json!({
        "EventId": e.id,
        "EventType": e.event_type.as_str(),
        "CreationDate": date(e.at),
        "EventResponse": e.outcome.as_str(),
        "EventRisk": {"RiskDecision": "NoRisk", "RiskLevel": "Low", "CompromisedCredentialsDetected": false},
        "ChallengeResponses": challenges,
        "EventContextData": {},
    });
    if let Some(ip) = &e.ip {
        v["EventContextData"]["IpAddress"] = json!(ip);
    }
    if let Some(f) = &e.feedback {
        let value = match f.value {
            FeedbackValue::Valid => "Valid",
            FeedbackValue::Invalid => "Invalid",
        };
        v["EventFeedback"] = json!({"FeedbackValue": value, "Provider": f.provider, "FeedbackDate": date(f.at)});
    }
    v
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    match action {
        "AdminListUserAuthEvents" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            // MaxResults 0 or absent: 60, as Cognito.
            let max = limit(i, "MaxResults", 60);
            let (events, next) =
                svc.events.user_auth_events(svc.users, &pool, &username_in(i), max, i["NextToken"].as_str()).await?;
            let list: Vec<Value> = events.iter().map(auth_event_type).collect();
            Ok(with_token(json!({"AuthEvents": list}), "NextToken", next))
        }
        "AdminUpdateAuthEventFeedback" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            let value = match i["FeedbackValue"].as_str() {
                Some("Valid") => FeedbackValue::Valid,
                _ => FeedbackValue::Invalid,
            };
            let id = i["EventId"].as_str().unwrap_or_default();
            svc.events.admin_event_feedback(svc.users, &pool, &username_in(i), id, value).await?;
            Ok(json!({}))
        }
        _ => Err(super::unsupported(action)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{AuthEventType, ChallengeResult, Feedback, Outcome};

    #[test]
    fn an_event_reads_as_cognitos_auth_event_type() {
        let e = UserAuthEvent {
            id: "0190-e".into(),
            event_type: AuthEventType::SignIn,
            at: 1_700_000_000_250,
            outcome: Outcome::Fail,
            challenges: vec![ChallengeResult::password(true), ChallengeResult::mfa(false)],
            ip: Some("10.1.2.3".into()),
            feedback: Some(Feedback { value: FeedbackValue::Invalid, provider: "Admin".into(), at: 1_700_000_001_000 }),
        };
        assert_eq!(
            auth_event_type(&e),
            json!({
                "EventId": "0190-e",
                "EventType": "SignIn",
                "CreationDate": 1_700_000_000.25,
                "EventResponse": "Fail",
                "EventRisk": {"RiskDecision": "NoRisk", "RiskLevel": "Low", "CompromisedCredentialsDetected": false},
                "ChallengeResponses": [
                    {"ChallengeName": "Password", "ChallengeResponse": "Success"},
                    {"ChallengeName": "Mfa", "ChallengeResponse": "Failure"},
                ],
                "EventContextData": {"IpAddress": "10.1.2.3"},
                "EventFeedback": {"FeedbackValue": "Invalid", "Provider": "Admin", "FeedbackDate": 1_700_000_001.0},
            })
        );
        let bare = UserAuthEvent { ip: None, feedback: None, challenges: vec![], ..e };
        let v = auth_event_type(&bare);
        assert_eq!((&v["EventContextData"], &v["ChallengeResponses"]), (&json!({}), &json!([])));
        assert!(v.get("EventFeedback").is_none());
    }
}
