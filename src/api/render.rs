//! Cognito's JSON shapes for the user-pool outcomes the services return typed: users, their
//! attributes, groups and code deliveries.

use crate::store::devices::DeviceRow;
use crate::store::groups::GroupRow;
use crate::store::users::UserRow;
use crate::userpool::attributes;
use crate::userpool::codes::{CodeDelivery, DeliveryMedium};
use serde_json::{Value, json};

/// `[{Name, Value}]` (AttributeType list), in the given order.
pub(crate) fn attributes(list: &[(String, String)]) -> Value {
    list.iter().map(|(name, value)| json!({"Name": name, "Value": value})).collect()
}

/// `UserType` (AdminCreateUser, ListUsers, ListUsersInGroup); with `only`, just those attributes.
pub(crate) fn user_type(u: &UserRow, only: Option<&[String]>) -> Value {
    json!({
        "Username": u.username,
        "Attributes": attributes(&attributes::to_list(u, only)),
        "UserCreateDate": u.created_at,
        "UserLastModifiedDate": u.updated_at,
        "Enabled": u.enabled,
        "UserStatus": u.status,
    })
}

/// `DeviceType`, with the attributes Cognito gives a device.
pub(crate) fn device_type(d: &DeviceRow) -> Value {
    let status = if d.remembered { "remembered" } else { "not_remembered" };
    let mut attrs = vec![("device_status".to_string(), "valid".to_string())];
    attrs.extend(d.name.iter().map(|n| ("device_name".to_string(), n.clone())));
    attrs.extend(d.last_ip.iter().map(|ip| ("last_ip_used".to_string(), ip.clone())));
    attrs.push(("dev:device_remembered_status".to_string(), status.to_string()));
    let mut v = json!({
        "DeviceKey": d.device_key,
        "DeviceAttributes": attributes(&attrs),
        "DeviceCreateDate": d.created_at,
        "DeviceLastModifiedDate": d.updated_at,
    });
    if let Some(at) = d.last_authenticated_at {
        v["DeviceLastAuthenticatedDate"] = json!(at);
    }
    v
}

/// `GroupType`; the settings a group does not have are left out.
pub(crate) fn group_type(g: &GroupRow) -> Value {
    let mut v = json!({
        "GroupName": g.name,
        "UserPoolId": g.pool_id,
        "LastModifiedDate": g.updated_at,
        "CreationDate": g.created_at,
    });
    if let Some(d) = &g.description {
        v["Description"] = json!(d);
    }
    if let Some(r) = &g.role_arn {
        v["RoleArn"] = json!(r);
    }
    if let Some(p) = g.precedence {
        v["Precedence"] = json!(p);
    }
    v
}

/// `CodeDeliveryDetailsType`.
pub(crate) fn code_delivery(d: &CodeDelivery) -> Value {
    let medium = match d.medium {
        DeliveryMedium::Email => "EMAIL",
    };
    json!({"Destination": d.destination, "DeliveryMedium": medium, "AttributeName": d.attribute})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(description: Option<&str>, role_arn: Option<&str>, precedence: Option<i64>) -> GroupRow {
        GroupRow {
            pool_id: "p".into(),
            name: "admins".into(),
            description: description.map(str::to_string),
            role_arn: role_arn.map(str::to_string),
            precedence,
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn a_group_shows_only_the_settings_it_has() {
        let bare = group_type(&group(None, None, None));
        assert_eq!(bare, json!({"GroupName": "admins", "UserPoolId": "p", "LastModifiedDate": 2, "CreationDate": 1}));
        let full = group_type(&group(Some("d"), Some("arn:r"), Some(0)));
        assert_eq!(
            (&full["Description"], &full["RoleArn"], &full["Precedence"]),
            (&json!("d"), &json!("arn:r"), &json!(0))
        );
    }

    #[test]
    fn a_user_lists_sub_first_and_only_the_asked_attributes() {
        let u = UserRow {
            id: "s-1".into(),
            pool_id: "p".into(),
            username: "Ann".into(),
            username_key: "ann".into(),
            status: "CONFIRMED".into(),
            enabled: false,
            password_hash: None,
            srp_verifier: None,
            password_set_at: None,
            attributes: [("name".to_string(), "A".to_string()), ("email".into(), "a@x.io".into())].into(),
            tokens_valid_after: 0,
            created_at: 3,
            updated_at: 4,
        };
        assert_eq!(
            user_type(&u, None),
            json!({
                "Username": "Ann",
                "Attributes": [
                    {"Name": "sub", "Value": "s-1"},
                    {"Name": "email", "Value": "a@x.io"},
                    {"Name": "name", "Value": "A"},
                ],
                "UserCreateDate": 3,
                "UserLastModifiedDate": 4,
                "Enabled": false,
                "UserStatus": "CONFIRMED",
            })
        );
        let only = ["name".to_string()];
        assert_eq!(user_type(&u, Some(&only))["Attributes"], json!([{"Name": "name", "Value": "A"}]));
    }

    #[test]
    fn a_mailed_code_is_shown_masked_with_its_medium_and_attribute() {
        assert_eq!(
            code_delivery(&CodeDelivery::email("alice@example.com")),
            json!({"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
        );
    }
}
