//! ListUsers: filters as Cognito parses them, and pages that cover everyone exactly once.

use crate::helpers::*;
use serde_json::json;
use std::collections::BTreeSet;

/// Seven users with different names, emails and states.
async fn populate(app: &TestApp, pool: &str) -> Vec<(String, String)> {
    let people = [
        ("alice", "alice@example.com", "Alice"),
        ("albert", "albert@other.org", "Albert"),
        ("bob", "bob@example.com", "Bob"),
        ("carol", "carol@example.com", "Carol"),
        ("dave", "dave@other.org", "Dave"),
        ("Alfred", "alfred@example.com", "Alfred"),
        ("erin", "erin@example.com", "Erin"),
    ];
    let mut out = Vec::new();
    for (name, email, display) in people {
        let v = app
            .ok(
                "AdminCreateUser",
                json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD,
                       "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "name", "Value": display}]}),
            )
            .await;
        out.push((name.to_string(), attr_map(&v["User"]["Attributes"])["sub"].as_str().unwrap().to_string()));
    }
    for name in ["alice", "bob", "dave"] {
        app.ok(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": name, "Password": PASSWORD, "Permanent": true}),
        )
        .await;
    }
    app.ok("AdminDisableUser", json!({"UserPoolId": pool, "Username": "dave"})).await;
    out
}

async fn list_names(app: &TestApp, pool: &str, filter: &str) -> BTreeSet<String> {
    let v = app.ok("ListUsers", json!({"UserPoolId": pool, "Filter": filter})).await;
    assert!(v.get("PaginationToken").is_none(), "{v}");
    v["Users"].as_array().unwrap().iter().map(|u| u["Username"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn list_users_filters_like_cognito() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let subs = populate(&app, &pool).await;
    let everyone: Vec<&str> = subs.iter().map(|(n, _)| n.as_str()).collect();

    let (_, carol_sub) = subs.iter().find(|(n, _)| n == "carol").unwrap();
    let (carol_is, carol_starts) = (format!("sub = \"{carol_sub}\""), format!("sub ^= \"{}\"", &carol_sub[..8]));
    // (filter, who it finds, why): the filter names the row.
    let rows: Vec<(&str, Vec<&str>, &str)> = vec![
        ("", everyone.clone(), "no filter"),
        ("username = \"alice\"", vec!["alice"], ""),
        ("username ^= \"al\"", vec!["alice", "albert"], "case-sensitive"),
        ("username=\"Alfred\"", vec!["Alfred"], "spaces are optional"),
        ("username = \"nobody\"", vec![], ""),
        ("email = \"bob@example.com\"", vec!["bob"], ""),
        ("email ^= \"al\"", vec!["alice", "albert", "Alfred"], ""),
        ("email = \"bob\"", vec![], "= is exact, not prefix"),
        ("name ^= \"Al\"", vec!["alice", "albert", "Alfred"], ""),
        (&carol_is, vec!["carol"], ""),
        (&carol_starts, vec!["carol"], ""),
        ("status = \"Disabled\"", vec!["dave"], ""),
        ("status = \"Enabled\"", vec!["alice", "albert", "bob", "carol", "Alfred", "erin"], ""),
        ("cognito:user_status = \"CONFIRMED\"", vec!["alice", "bob", "dave"], ""),
        (
            "cognito:user_status = \"force_change_password\"",
            vec!["albert", "carol", "Alfred", "erin"],
            "user status matches case-insensitively",
        ),
    ];
    let rows = rows.into_iter().map(|(filter, want, why)| (format!("{filter:?} {why}"), (filter, want)));
    for_each_row(rows, async |(filter, want)| {
        assert_eq!(list_names(&app, &pool, filter).await, usernames(&want));
    })
    .await;

    // AttributesToGet narrows each user's attributes; the rest of UserType stays.
    let v = app
        .ok("ListUsers", json!({"UserPoolId": pool, "Filter": "username = \"bob\"", "AttributesToGet": ["email"]}))
        .await;
    let bob = &v["Users"][0];
    assert_eq!(bob["Attributes"], json!([{"Name": "email", "Value": "bob@example.com"}]));
    assert_eq!(bob["UserStatus"], "CONFIRMED");
    assert_eq!(bob["Enabled"], true);
    assert!(bob["UserCreateDate"].is_number());
    let v = app.ok("ListUsers", json!({"UserPoolId": pool, "Filter": "username = \"bob\""})).await;
    let all = attr_map(&v["Users"][0]["Attributes"]);
    assert!(all.contains_key("sub") && all.contains_key("email") && all.contains_key("name"), "{v}");

    let bad = [
        "email = bob@example.com",
        "email \"bob\"",
        "email ~= \"bob\"",
        "custom:tier = \"x\"",
        "favourite = \"x\"",
        "status = \"Maybe\"",
        "email = \"a\" and name = \"b\"",
        "= \"x\"",
    ];
    for_each_row(bad.map(|f| (format!("{f:?}"), f)), async |bad| {
        let (status, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Filter": bad})).await;
        assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn list_users_pages_cover_everyone_exactly_once() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let subs = populate(&app, &pool).await;
    // More users in the same second as others: order must not depend on time alone.
    app.clock.advance_secs(5);
    for name in ["frank", "grace", "heidi"] {
        app.ok(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD}),
        )
        .await;
    }
    let expected: BTreeSet<String> =
        subs.iter().map(|(n, _)| n.clone()).chain(["frank", "grace", "heidi"].map(String::from)).collect();
    assert_eq!(expected.len(), 10);

    for (limit, filter) in [(3, ""), (1, ""), (4, ""), (10, ""), (2, "email ^= \"al\""), (2, "status = \"Enabled\"")] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut body = json!({"UserPoolId": pool, "Limit": limit, "Filter": filter});
            if let Some(t) = &token {
                body["PaginationToken"] = json!(t);
            }
            let v = app.ok("ListUsers", body).await;
            let users = v["Users"].as_array().unwrap();
            assert!(users.len() <= limit, "a page holds at most Limit users");
            seen.extend(users.iter().map(|u| u["Username"].as_str().unwrap().to_string()));
            pages += 1;
            assert!(pages < 20, "pagination does not terminate");
            match v["PaginationToken"].as_str() {
                Some(t) => {
                    assert_eq!(users.len(), limit, "only the last page is short");
                    token = Some(t.to_string());
                }
                None => break,
            }
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "limit {limit} filter {filter:?}: duplicates in {seen:?}");
        let want = if filter.is_empty() { expected.clone() } else { list_names(&app, &pool, filter).await };
        assert_eq!(unique, want, "limit {limit} filter {filter:?}");
    }

    for bogus in ["bogus", "dGFtcGVyZWQ", "MTIzOmFiYzpkZWFkYmVlZg"] {
        let (status, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Limit": 2, "PaginationToken": bogus})).await;
        assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{bogus}: {e}");
    }
    // A token is bound to this server's key and cannot be edited to skip ahead.
    let v = app.ok("ListUsers", json!({"UserPoolId": pool, "Limit": 2})).await;
    let mut t = v["PaginationToken"].as_str().unwrap().to_string();
    let last = t.pop().unwrap();
    t.push(if last == 'A' { 'B' } else { 'A' });
    let (_, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Limit": 2, "PaginationToken": t})).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
}

/// `^=` matches the characters as stored, multi-byte ones included: a value equal to the prefix
/// is found, one whose next character is one code point past the prefix's last is not, and case
/// and accents count (the storage reads a range of an index, `tests/api/store.rs` covers its edges).
#[tokio::test]
async fn prefix_filters_compare_characters_as_stored() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let people = [
        ("elan", "Elan"),
        ("\u{e9}lan", "\u{c9}lan"),
        ("\u{e9}", "\u{e9}"),
        ("\u{ea}te", "\u{ea}te"),
        ("zo\u{eb}", "zo\u{eb}"),
        ("zo\u{ec}", "Zo\u{eb}"),
        ("{zed}", "{zed}"),
    ];
    for (name, display) in people {
        app.ok(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD,
                   "UserAttributes": [{"Name": "name", "Value": display}]}),
        )
        .await;
    }
    let rows: Vec<(&str, Vec<&str>)> = vec![
        ("username ^= \"\u{e9}\"", vec!["\u{e9}lan", "\u{e9}"]),
        ("username = \"\u{e9}\"", vec!["\u{e9}"]),
        ("username ^= \"e\"", vec!["elan"]),
        ("username ^= \"zo\u{eb}\"", vec!["zo\u{eb}"]),
        ("username ^= \"z\"", vec!["zo\u{eb}", "zo\u{ec}"]),
        ("name ^= \"\u{c9}\"", vec!["\u{e9}lan"]),
        ("name ^= \"\u{e9}\"", vec!["\u{e9}"]),
        ("name ^= \"Zo\u{eb}\"", vec!["zo\u{ec}"]),
        ("name ^= \"zo\u{eb}\"", vec!["zo\u{eb}"]),
        ("name ^= \"E\"", vec!["elan"]),
        ("name ^= \"{\"", vec!["{zed}"]),
    ];
    for_each_row(rows.into_iter().map(|(f, want)| (format!("{f:?}"), (f, want))), async |(filter, want)| {
        assert_eq!(list_names(&app, &pool, filter).await, usernames(&want));
    })
    .await;
}
