//! Groups through the signed JSON API: their lifecycle and memberships, and how membership
//! shapes the token claims (`cognito:groups`, `cognito:roles`, `cognito:preferred_role`).

use crate::helpers::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[tokio::test]
async fn groups_lifecycle_and_memberships() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;

    let g = app
        .ok(
            "CreateGroup",
            json!({"UserPoolId": pool, "GroupName": "admins", "Description": "Administrators", "Precedence": 1,
                   "RoleArn": "arn:aws:iam::000000000000:role/Admin"}),
        )
        .await;
    let g = &g["Group"];
    assert_eq!(g["GroupName"], "admins");
    assert_eq!(g["UserPoolId"], pool);
    assert_eq!(g["Description"], "Administrators");
    assert_eq!(g["Precedence"], 1);
    assert_eq!(g["RoleArn"], "arn:aws:iam::000000000000:role/Admin");
    assert!(g["CreationDate"].is_number() && g["LastModifiedDate"].is_number());
    assert_eq!(app.ok("GetGroup", json!({"UserPoolId": pool, "GroupName": "admins"})).await["Group"], *g);
    let (status, e) = app.api("CreateGroup", json!({"UserPoolId": pool, "GroupName": "admins"})).await;
    assert_eq!((status, err_type(&e)), (400, "GroupExistsException"), "{e}");
    let plain = app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert!(plain["Group"].get("Precedence").is_none() && plain["Group"].get("RoleArn").is_none(), "{plain}");

    for (user, group) in [("alice", "admins"), ("alice", "readers"), ("bob", "readers"), ("bob", "readers")] {
        app.ok("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": user, "GroupName": group})).await;
    }
    let (_, e) =
        app.api("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "alice", "GroupName": "nope"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException", "{e}");
    let (_, e) =
        app.api("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "ghost", "GroupName": "admins"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException", "{e}");

    let names = |v: &Value, list: &str, key: &str| -> Vec<String> {
        v[list].as_array().unwrap().iter().map(|x| x[key].as_str().unwrap().to_string()).collect()
    };
    let readers = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert_eq!(names(&readers, "Users", "Username").into_iter().collect::<BTreeSet<_>>(), usernames(&["alice", "bob"]));
    assert!(readers["Users"][0]["UserStatus"].is_string(), "members are UserType: {readers}");
    let page = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "readers", "Limit": 1})).await;
    assert_eq!(page["Users"].as_array().unwrap().len(), 1);
    let rest = app
        .ok(
            "ListUsersInGroup",
            json!({"UserPoolId": pool, "GroupName": "readers", "Limit": 1, "NextToken": page["NextToken"]}),
        )
        .await;
    assert_eq!(rest["Users"].as_array().unwrap().len(), 1);
    assert_ne!(rest["Users"][0]["Username"], page["Users"][0]["Username"]);
    let (_, e) = app.api("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "nope"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");

    let alice = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(names(&alice, "Groups", "GroupName"), ["admins", "readers"]);
    assert_eq!(alice["Groups"][0]["RoleArn"], "arn:aws:iam::000000000000:role/Admin");

    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": pool, "Username": "alice", "GroupName": "readers"})).await;
    let alice = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(names(&alice, "Groups", "GroupName"), ["admins"]);

    let list = app.ok("ListGroups", json!({"UserPoolId": pool})).await;
    assert_eq!(names(&list, "Groups", "GroupName"), ["admins", "readers"]);
    app.ok("DeleteGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    let (_, e) = app.api("GetGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let bob = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(bob["Groups"], json!([]), "deleting a group ends its memberships");
    // A group created again with the old name starts empty.
    app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    let readers = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert_eq!(readers["Users"], json!([]));
}

#[tokio::test]
async fn group_membership_shapes_the_token_claims() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let role = |n: &str| format!("arn:aws:iam::000000000000:role/{n}");
    for (name, precedence, arn) in [
        ("readers", Some(10), None),
        ("admins", Some(1), Some(role("Admin"))),
        ("beta", None, Some(role("Beta"))),
        ("editors", Some(5), Some(role("Editor"))),
    ] {
        let mut body = json!({"UserPoolId": f.pool, "GroupName": name});
        if let Some(p) = precedence {
            body["Precedence"] = json!(p);
        }
        if let Some(a) = arn {
            body["RoleArn"] = json!(a);
        }
        app.ok("CreateGroup", body).await;
        app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": name})).await;
    }
    let ordered = json!(["admins", "editors", "readers", "beta"]);

    let t = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    let id = claims(t["IdToken"].as_str().unwrap());
    let at = claims(t["AccessToken"].as_str().unwrap());
    assert_eq!(id["cognito:groups"], ordered, "groups in precedence order, unset last");
    assert_eq!(at["cognito:groups"], ordered);
    assert_eq!(id["cognito:preferred_role"], role("Admin"), "the lowest precedence's role");
    let roles: BTreeSet<String> =
        id["cognito:roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
    assert_eq!(roles, [role("Admin"), role("Beta"), role("Editor")].into_iter().collect());
    assert!(at.get("cognito:roles").is_none() && at.get("cognito:preferred_role").is_none(), "ID token only");

    let b = tokens_via_browser(&app, &f).await;
    assert_eq!(claims(b["id_token"].as_str().unwrap())["cognito:groups"], ordered);
    assert_eq!(claims(b["access_token"].as_str().unwrap())["cognito:groups"], ordered);

    // Two groups at the same precedence with different roles: no preferred role.
    app.ok("CreateGroup", json!({"UserPoolId": f.pool, "GroupName": "ops", "Precedence": 1, "RoleArn": role("Ops")}))
        .await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "ops"})).await;
    let id = claims(admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await["IdToken"].as_str().unwrap());
    assert!(id.get("cognito:preferred_role").is_none(), "tie with different roles: {id}");
    assert_eq!(id["cognito:roles"].as_array().unwrap().len(), 4);
    // The same role at the tie is still preferred.
    app.ok("UpdateGroup", json!({"UserPoolId": f.pool, "GroupName": "ops", "Precedence": 1, "RoleArn": role("Admin")}))
        .await;
    let id = claims(admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await["IdToken"].as_str().unwrap());
    assert_eq!(id["cognito:preferred_role"], role("Admin"));
    assert_eq!(id["cognito:roles"].as_array().unwrap().len(), 3, "roles are listed once: {id}");

    // Leaving and deleting groups shows in the next tokens, also on refresh.
    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "admins"})).await;
    for g in ["readers", "beta", "ops"] {
        app.ok("DeleteGroup", json!({"UserPoolId": f.pool, "GroupName": g})).await;
    }
    let r = f.refresh_request(&app, b["refresh_token"].as_str().unwrap()).send().await.unwrap();
    let refreshed: Value = r.json().await.unwrap();
    let id = claims(refreshed["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:groups"], json!(["editors"]));
    assert_eq!(id["cognito:preferred_role"], role("Editor"));
    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "editors"}))
        .await;
    let t = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    for tok in ["IdToken", "AccessToken"] {
        let c = claims(t[tok].as_str().unwrap());
        assert!(c.get("cognito:groups").is_none(), "no groups, no claim: {c}");
        assert!(c.get("cognito:roles").is_none() && c.get("cognito:preferred_role").is_none());
    }
}
