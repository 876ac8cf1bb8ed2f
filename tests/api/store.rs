//! Storage conformance: the same suite against SQLite and PostgreSQL (`PORTCULLIS_TEST_DB`).

use crate::helpers::TestDatabase;
use portcullis::crypto::TokenHash;
use portcullis::store::grants::{AuthCodeRow, RefreshTokenRow};
use portcullis::store::groups::GroupRow;
use portcullis::store::guesses::{Guesses, LoginFailures};
use portcullis::store::pool_resources::ResourceServerRow;
use portcullis::store::pools::PoolRow;
use portcullis::store::sessions::ChallengeRow;
use portcullis::store::users::{FEW_MATCHES, NewUser, UserColumn, UserFilter, UserRow, WALK_WINDOW};
use portcullis::store::{Store, StoreError};
use serde_json::json;
use std::collections::BTreeMap;

/// A migrated store on a fresh database; the guard drops the database (and the SQLite file's
/// directory) at the end of the test.
async fn store() -> (Store, (TestDatabase, tempfile::TempDir)) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDatabase::create(dir.path()).await;
    let store = Store::connect(&db.url, 8).await.expect("connect and migrate");
    db.close_on_drop(store.clone());
    (store, (db, dir))
}

async fn pool(s: &Store, id: &str) {
    s.insert_pool(&PoolRow { id: id.into(), name: "p".into(), config: json!({"a": 1}), created_at: 1, updated_at: 1 })
        .await
        .unwrap();
}

async fn client(s: &Store) {
    let c = portcullis::store::clients::ClientRow {
        id: "c1".into(),
        pool_id: "r_1".into(),
        name: "c".into(),
        secret_enc: None,
        config: json!({}),
        created_at: 1,
        updated_at: 1,
    };
    s.insert_client(&c).await.unwrap();
}

fn user(pool: &str, id: &str, name: &str, t: i64) -> UserRow {
    UserRow {
        id: id.into(),
        pool_id: pool.into(),
        username: name.into(),
        username_key: name.to_lowercase(),
        status: "CONFIRMED".into(),
        enabled: true,
        password_hash: Some("h".into()),
        srp_verifier: None,
        password_set_at: Some(t),
        attributes: BTreeMap::from([("email".to_string(), format!("{name}@x.io"))]),
        tokens_valid_after: 0,
        created_at: t,
        updated_at: t,
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_ready() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDatabase::create(dir.path()).await;
    let a = Store::connect(&db.url, 2).await.unwrap();
    assert!(a.ready().await);
    a.close().await;
    let b = Store::connect(&db.url, 2).await.unwrap();
    db.close_on_drop(b.clone());
    assert!(b.ready().await);
}

#[tokio::test]
async fn pools_round_trip_and_cascade() {
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    let dup = s
        .insert_pool(&PoolRow { id: "r_1".into(), name: "x".into(), config: json!({}), created_at: 1, updated_at: 1 })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict)));
    let p = s.get_pool("r_1").await.unwrap().unwrap();
    assert_eq!(p.config, json!({"a": 1}));
    s.insert_user(&user("r_1", "u1", "Ann", 5), &[], &[]).await.unwrap();
    assert_eq!(s.count_users("r_1").await.unwrap(), 1);
    // Keys are owned by an issuer id, a pool's or another issuer's (no foreign key).
    for owner in ["r_1", "identity"] {
        let k = portcullis::store::keys::SigningKeyRow {
            kid: format!("k-{owner}"),
            pool_id: owner.into(),
            state: "active".into(),
            private_enc: "x".into(),
            public_jwk: "{}".into(),
            created_at: 1,
            retired_at: None,
        };
        s.insert_signing_key(&k).await.unwrap();
    }
    assert!(s.delete_pool("r_1").await.unwrap());
    assert!(s.get_user("u1").await.unwrap().is_none(), "users go with their pool");
    assert!(s.signing_keys("r_1").await.unwrap().is_empty(), "keys go with their pool");
    assert_eq!(s.signing_keys("identity").await.unwrap().len(), 1, "other issuers keep theirs");
}

#[tokio::test]
async fn users_aliases_conflicts_and_filters() {
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    let alias = vec![("email".to_string(), "ann@x.io".to_string())];
    let search = vec![("email".to_string(), "ann@x.io".to_string())];
    s.insert_user(&user("r_1", "u1", "Ann", 5), &alias, &search).await.unwrap();
    let taken_name = s.insert_user(&user("r_1", "u2", "ann", 6), &[], &[]).await;
    assert!(matches!(taken_name, Err(StoreError::Conflict)));
    let taken_alias = s.insert_user(&user("r_1", "u3", "Bob", 7), &alias, &[]).await;
    assert!(matches!(taken_alias, Err(StoreError::Conflict)));
    assert!(s.get_user("u3").await.unwrap().is_none(), "a failed insert leaves nothing behind");
    assert_eq!(s.get_user_by_alias("r_1", "email", "ann@x.io").await.unwrap().unwrap().id, "u1");
    assert_eq!(s.get_user_by_username("r_1", "ann").await.unwrap().unwrap().id, "u1");

    for (i, n) in ["Carl", "Dora", "Dave"].iter().enumerate() {
        let sv = vec![("email".to_string(), format!("{}@x.io", n.to_lowercase()))];
        s.insert_user(&user("r_1", &format!("v{i}"), n, 10 + i as i64), &[], &sv).await.unwrap();
    }
    let prefix = UserFilter::Attribute { name: "email".into(), value: "d".into(), prefix: true };
    let found = s.list_users("r_1", &prefix, 10, None).await.unwrap();
    assert_eq!(found.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), vec!["Dora", "Dave"]);
    let exact = UserFilter::Column { column: UserColumn::Username, value: "Carl".into(), prefix: false };
    assert_eq!(s.list_users("r_1", &exact, 10, None).await.unwrap().len(), 1);
    // Pagination by (created_at, id) visits each user once.
    let mut seen = vec![];
    let mut after = None;
    loop {
        let page = s.list_users("r_1", &UserFilter::All, 2, after.clone()).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|u| (u.created_at, u.id.to_string()));
        seen.extend(page.into_iter().map(|u| u.id));
    }
    assert_eq!(seen, vec!["u1", "v0", "v1", "v2"]);

    let mut u = s.get_user("u1").await.unwrap().unwrap();
    u.enabled = false;
    u.attributes.insert("name".into(), "Ann A".into());
    assert!(s.update_user(&u, &[], &[]).await.unwrap());
    let back = s.get_user("u1").await.unwrap().unwrap();
    assert_eq!(back, u);
    assert!(s.get_user_by_alias("r_1", "email", "ann@x.io").await.unwrap().is_none(), "aliases are replaced");
}

/// A batch of users is inserted in one transaction: all of them, or none when one conflicts.
#[tokio::test]
async fn users_inserted_together_are_all_or_nothing() {
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    let new = |id: &str, name: &str, email: &str| -> NewUser {
        let search = vec![("email".to_string(), email.to_string())];
        (user("r_1", id, name, 5), vec![("email".to_string(), email.to_string())], search)
    };
    s.insert_users(&[new("u1", "Ann", "ann@x.io"), new("u2", "Bob", "bob@x.io")]).await.unwrap();
    assert_eq!(s.get_user_by_alias("r_1", "email", "bob@x.io").await.unwrap().unwrap().id, "u2");
    let email = UserFilter::Attribute { name: "email".into(), value: "ann@x.io".into(), prefix: false };
    assert_eq!(s.list_users("r_1", &email, 10, None).await.unwrap().len(), 1);
    let taken = s.insert_users(&[new("u3", "Carl", "carl@x.io"), new("u4", "ann", "dora@x.io")]).await;
    assert!(matches!(taken, Err(StoreError::Conflict)));
    assert!(s.get_user("u3").await.unwrap().is_none(), "a failed batch leaves nothing behind");
    assert_eq!(s.count_users("r_1").await.unwrap(), 2);
}

#[tokio::test]
async fn groups_order_by_precedence() {
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    s.insert_user(&user("r_1", "u1", "Ann", 5), &[], &[]).await.unwrap();
    for (name, prec) in [("b", Some(2)), ("a", None), ("c", Some(1))] {
        let g = GroupRow {
            pool_id: "r_1".into(),
            name: name.into(),
            description: None,
            role_arn: None,
            precedence: prec,
            created_at: 1,
            updated_at: 1,
        };
        s.insert_group(&g).await.unwrap();
        s.add_group_member("r_1", name, "u1").await.unwrap();
        s.add_group_member("r_1", name, "u1").await.unwrap();
    }
    let names: Vec<String> = s.groups_for_user("u1").await.unwrap().into_iter().map(|g| g.name).collect();
    assert_eq!(names, vec!["c", "b", "a"]);
    assert_eq!(s.users_in_group("r_1", "b", 10, None).await.unwrap().len(), 1);
    assert!(s.delete_group("r_1", "b").await.unwrap());
    assert_eq!(s.groups_for_user("u1").await.unwrap().len(), 2);
}

#[tokio::test]
async fn codes_redeem_once_even_concurrently() {
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    client(&s).await;
    s.insert_user(&user("r_1", "u1", "Ann", 5), &[], &[]).await.unwrap();
    for round in 0..5 {
        let hash = TokenHash::of(&format!("code{round}"));
        s.insert_auth_code(&AuthCodeRow {
            code_hash: hash.clone(),
            pool_id: "r_1".into(),
            client_id: "c1".into(),
            user_id: "u1".into(),
            redirect_uri: "https://a/cb".into(),
            scopes: "openid".into(),
            nonce: None,
            code_challenge: None,
            auth_time: 1,
            created_at: 1,
            expires_at: 1000,
            used_at: None,
            origin_jti: None,
        })
        .await
        .unwrap();
        let tries = (0..8).map(|i| {
            let s = s.clone();
            let hash = hash.clone();
            tokio::spawn(async move { s.redeem_auth_code(&hash, 10, &format!("o{i}")).await.unwrap().is_some() })
        });
        let wins = futures_util::future::join_all(tries).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        assert_eq!(wins, 1, "round {round}");
        assert!(s.redeem_auth_code(&hash, 10, "late").await.unwrap().is_none());
    }
    // Expired codes never redeem.
    assert!(s.redeem_auth_code(&TokenHash::of("code0"), 2000, "x").await.unwrap().is_none());

    s.insert_refresh_token(&RefreshTokenRow {
        token_hash: TokenHash::of("rt0"),
        pool_id: "r_1".into(),
        client_id: "c1".into(),
        user_id: "u1".into(),
        origin_jti: "origin".into(),
        scopes: "".into(),
        auth_time: 1,
        created_at: 1,
        expires_at: 1000,
        revoked_at: None,
        device_key: None,
    })
    .await
    .unwrap();
    let tries = (0..8).map(|i| {
        let s = s.clone();
        tokio::spawn(async move {
            s.rotate_refresh_token(&TokenHash::of("rt0"), &TokenHash::of(&format!("rt1-{i}")), 10, 0)
                .await
                .unwrap()
                .is_some()
        })
    });
    let wins = futures_util::future::join_all(tries).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(wins, 1);
    assert!(!s.origin_revoked("origin").await.unwrap());
    let (u, revoked) = s.get_token_user("u1", "origin").await.unwrap().unwrap();
    assert_eq!((u.id.as_str(), revoked), ("u1", false));
    s.revoke_origin("origin", 11, 1000).await.unwrap();
    assert!(s.origin_revoked("origin").await.unwrap());
    assert!(s.get_refresh_token(&TokenHash::of("rt0")).await.unwrap().is_none(), "rotated away");
    assert!(!s.origin_revoked("unknown").await.unwrap());
    assert!(s.get_token_user("u1", "origin").await.unwrap().unwrap().1);
    assert!(!s.get_token_user("u1", "unknown").await.unwrap().unwrap().1);
    assert!(s.get_token_user("nobody", "origin").await.unwrap().is_none());

    // Revoked before its refresh token was stored (a replayed code racing the first redemption):
    // the origin stays revoked once the token arrives, until the recorded expiry passes.
    s.revoke_origin("early", 20, 500).await.unwrap();
    s.insert_refresh_token(&RefreshTokenRow {
        token_hash: TokenHash::of("late"),
        pool_id: "r_1".into(),
        client_id: "c1".into(),
        user_id: "u1".into(),
        origin_jti: "early".into(),
        scopes: "".into(),
        auth_time: 20,
        created_at: 21,
        expires_at: 1000,
        revoked_at: None,
        device_key: None,
    })
    .await
    .unwrap();
    assert!(s.origin_revoked("early").await.unwrap());
    assert!(s.get_token_user("u1", "early").await.unwrap().unwrap().1, "bearer checks see it too");
    s.delete_expired(501).await.unwrap();
    assert!(!s.origin_revoked("early").await.unwrap(), "the record goes once its tokens could have expired");
}

#[tokio::test]
async fn challenges_are_taken_once_and_expire() {
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    s.insert_user(&user("r_1", "u1", "Ann", 5), &[], &[]).await.unwrap();
    let row = ChallengeRow {
        id_hash: TokenHash::of("h"),
        pool_id: "r_1".into(),
        client_id: "c1".into(),
        user_id: "u1".into(),
        challenge: "NEW_PASSWORD_REQUIRED".into(),
        data: json!({"k": "v"}),
        expires_at: 100,
        used_at: None,
    };
    // Challenges reference their client.
    client(&s).await;
    s.insert_challenge(&row).await.unwrap();
    assert!(s.peek_challenge(&row.id_hash, 200).await.unwrap().is_none(), "expired");
    assert_eq!(s.peek_challenge(&row.id_hash, 50).await.unwrap().unwrap().data, json!({"k": "v"}));
    assert!(s.take_challenge(&row.id_hash, 50).await.unwrap().is_some());
    assert!(s.take_challenge(&row.id_hash, 50).await.unwrap().is_none());
    assert_eq!(s.delete_expired(50).await.unwrap(), 0, "nothing has expired yet");
    assert_eq!(s.delete_expired(101).await.unwrap(), 1, "the expired challenge is removed");
}

#[tokio::test]
async fn small_aggregates() {
    let (s, _d) = store().await;
    assert_eq!(s.kv_set_if_absent("k", "one").await.unwrap(), "one");
    assert_eq!(s.kv_set_if_absent("k", "two").await.unwrap(), "one");
    pool(&s, "r_1").await;
    s.insert_user(&user("r_1", "u1", "Ann", 5), &[], &[]).await.unwrap();
    assert_eq!(s.get_failures("r_1", Guesses::Password("u1")).await.unwrap(), LoginFailures::default());
    let f = LoginFailures { failures: 3, last_failure: 9, locked_until: 0 };
    s.put_failures("r_1", Guesses::Password("u1"), f).await.unwrap();
    let f2 = LoginFailures { failures: 4, last_failure: 10, locked_until: 11 };
    s.put_failures("r_1", Guesses::Password("u1"), f2).await.unwrap();
    assert_eq!(s.get_failures("r_1", Guesses::Password("u1")).await.unwrap(), f2);
    s.clear_failures("r_1", Guesses::Password("u1")).await.unwrap();
    assert_eq!(s.get_failures("r_1", Guesses::Password("u1")).await.unwrap().failures, 0);

    let rs = ResourceServerRow {
        pool_id: "r_1".into(),
        identifier: "https://api".into(),
        name: "api".into(),
        scopes: json!([{"ScopeName": "read", "ScopeDescription": "r"}]),
    };
    s.insert_resource_server(&rs).await.unwrap();
    assert!(matches!(s.insert_resource_server(&rs).await, Err(StoreError::Conflict)));
    assert_eq!(s.get_resource_server("r_1", "https://api").await.unwrap().unwrap(), rs);
    assert_eq!(s.list_resource_servers("r_1", 10, None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn ui_customizations_upsert_keep_creation_summarise_and_cascade() {
    use portcullis::store::branding::UiCustomizationRow;
    let (s, _d) = store().await;
    pool(&s, "r_1").await;
    let row = |client: &str, css: Option<&str>, image: Option<&str>, t: i64| UiCustomizationRow {
        pool_id: "r_1".into(),
        client_id: client.into(),
        css: css.map(str::to_string),
        image: image.map(str::to_string),
        image_type: image.map(|_| "image/png".to_string()),
        version: format!("v{t}"),
        created_at: t,
        updated_at: t,
    };
    s.put_ui_customization(&row("ALL", Some(".a{}"), Some("iVBO"), 1)).await.unwrap();
    s.put_ui_customization(&row("ALL", None, Some("iVBORw"), 5)).await.unwrap();
    let got = s.get_ui_customization("r_1", "ALL").await.unwrap().unwrap();
    assert_eq!((got.created_at, got.updated_at, got.css, got.image.as_deref()), (1, 5, None, Some("iVBORw")));
    s.put_ui_customization(&row("c1", Some(".b{}"), None, 7)).await.unwrap();
    let mut sums = s.ui_customization_summaries("r_1", "c1").await.unwrap();
    sums.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    assert_eq!(sums.len(), 2);
    assert_eq!(
        (sums[0].client_id.as_str(), sums[0].has_css, sums[0].image_type.as_deref()),
        ("ALL", false, Some("image/png"))
    );
    assert_eq!((sums[1].client_id.as_str(), sums[1].has_css, sums[1].image_type.as_deref()), ("c1", true, None));
    assert_eq!(s.ui_customization_summaries("r_1", "other").await.unwrap().len(), 1);
    assert!(s.delete_ui_customization("r_1", "c1").await.unwrap());
    assert!(!s.delete_ui_customization("r_1", "c1").await.unwrap());
    s.delete_pool("r_1").await.unwrap();
    assert!(s.get_ui_customization("r_1", "ALL").await.unwrap().is_none(), "rows go with their pool");
}

/// Migration 0014 indexes the custom attributes users already had (both dialects' SQL).
#[tokio::test]
async fn the_custom_attribute_backfill_indexes_existing_users() {
    let (s, guard) = store().await;
    pool(&s, "r_1").await;
    let mut u = user("r_1", "u1", "Ann", 5);
    u.attributes.insert("custom:plan".into(), "gold".into());
    u.attributes.insert("custom:note".into(), "x".repeat(300));
    s.insert_user(&u, &[], &[]).await.unwrap();
    let gold = UserFilter::Attribute { name: "custom:plan".into(), value: "gold".into(), prefix: false };
    assert!(s.list_users("r_1", &gold, 10, None).await.unwrap().is_empty(), "not indexed before the backfill");
    let sql = match crate::helpers::backend() {
        "postgres" => include_str!("../../migrations/postgres/0014_custom_attribute_search.sql"),
        _ => include_str!("../../migrations/sqlite/0014_custom_attribute_search.sql"),
    };
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&guard.0.url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut db).await.unwrap();
    let found = s.list_users("r_1", &gold, 10, None).await.unwrap();
    assert_eq!(found.len(), 1);
    let long = UserFilter::Attribute { name: "custom:note".into(), value: "x".repeat(300), prefix: false };
    assert!(s.list_users("r_1", &long, 10, None).await.unwrap().is_empty(), "over 256 bytes: not indexed");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut db).await.unwrap();
    assert_eq!(s.list_users("r_1", &gold, 10, None).await.unwrap().len(), 1, "running it twice is harmless");
}

/// A migrated store on a database that orders text linguistically on PostgreSQL
/// ([`TestDatabase::create_linguistic`]); the same as [`store`] on SQLite.
async fn linguistic_store() -> (Store, (TestDatabase, tempfile::TempDir)) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDatabase::create_linguistic(dir.path()).await;
    let store = Store::connect(&db.url, 8).await.expect("connect and migrate");
    db.close_on_drop(store.clone());
    (store, (db, dir))
}

/// Every page of `filter`, `limit` users at a time: the usernames in order.
async fn all_pages(s: &Store, filter: &UserFilter, limit: i64) -> Vec<String> {
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = s.list_users("r_1", filter, limit, after.clone()).await.unwrap();
        after = page.last().map(|u| (u.created_at, u.id.to_string()));
        seen.extend(page.iter().map(|u| u.username.to_string()));
        if (page.len() as i64) < limit {
            return seen;
        }
    }
}

/// Prefix filters read a range of an index up to the prefix with its last character incremented:
/// each value equal to a prefix is in, each one just past the range is out, multi-byte and
/// maximal last characters included, and case counts even where the database's own collation
/// would sort 'Alfred' between 'al' and 'am'. The value is the user's id, username and `name`.
#[tokio::test]
async fn prefix_filters_find_exactly_the_values_that_start_with_the_prefix() {
    let (s, _d) = linguistic_store().await;
    pool(&s, "r_1").await;
    let values = [
        "al",
        "alice",
        "Alfred",
        "am",
        "ak\u{10ffff}",
        "a-b",
        "ab", // case, the next letter
        "e",
        "\u{e9}",
        "\u{e9}a",
        "\u{ea}",
        "\u{e9}\u{10ffff}", // é (two bytes) and ê just past it
        "z",
        "zz",
        "z\u{10ffff}",
        "{",
        "Z", // z and { ('z' + 1)
        "a\u{10ffff}",
        "a\u{10ffff}x",
        "a\u{10fffe}",
        "b", // the last character at char::MAX
        "\u{10ffff}",
        "\u{10ffff}a",
        "\u{10fffe}", // only char::MAX: no upper bound
        "x\u{d7ff}",
        "x\u{d7ff}y",
        "x\u{e000}",
        "x\u{d7fe}", // the surrogate gap after U+D7FF
        "\u{7ff}",
        "\u{7ff}\u{7ff}",
        "\u{800}",
        "\u{ffff}",
        "\u{ffff}!",
        "\u{10000}", // 2/3/4-byte edges
    ];
    for (i, v) in values.iter().enumerate() {
        let mut u = user("r_1", v, v, 100 + i as i64);
        u.username_key = v.to_string();
        u.attributes = BTreeMap::from([("name".to_string(), v.to_string())]);
        s.insert_user(&u, &[], &[("name".to_string(), v.to_string())]).await.unwrap();
    }
    let prefixes =
        ["al", "A", "a", "ab", "\u{e9}", "e", "z", "a\u{10ffff}", "\u{10ffff}", "x\u{d7ff}", "\u{7ff}", "\u{ffff}", ""];
    for prefix in prefixes {
        let want: Vec<&str> = values.iter().copied().filter(|v| v.starts_with(prefix)).collect();
        let filters = [
            UserFilter::Attribute { name: "name".into(), value: prefix.into(), prefix: true },
            UserFilter::Column { column: UserColumn::Username, value: prefix.into(), prefix: true },
            UserFilter::Column { column: UserColumn::Sub, value: prefix.into(), prefix: true },
        ];
        for filter in &filters {
            assert_eq!(all_pages(&s, filter, 100).await, want, "{filter:?}");
            assert_eq!(all_pages(&s, filter, 2).await, want, "{filter:?}, two at a time");
        }
        let exact = UserFilter::Attribute { name: "name".into(), value: prefix.into(), prefix: false };
        let want: Vec<&str> = values.iter().copied().filter(|v| *v == prefix).collect();
        assert_eq!(all_pages(&s, &exact, 100).await, want, "{exact:?}");
    }
}

/// A filter that matches more users than [`FEW_MATCHES`] walks the pool in creation order and
/// checks each user; when [`WALK_WINDOW`] users hold too few matches for a page, the page is
/// read from the index after all. Every way pages the same as the others. The users are written
/// with SQL (the same on both databases), 13,000 of them in creation order: `a…` (the window
/// and more), `m…` (more than FEW_MATCHES), then `m…` and `z…` taking turns; two a second.
#[tokio::test]
async fn filters_matching_many_users_page_the_same_however_they_are_answered() {
    let (s, guard) = store().await;
    pool(&s, "r_1").await;
    let (a, m, turns) = (WALK_WINDOW + 1_000, FEW_MATCHES + 500, 1_000);
    let name = |i: i64| {
        let kind = if i < a {
            "a"
        } else if i < a + m || (i - a - m) % 2 == 0 {
            "m"
        } else {
            "z"
        };
        format!("{kind}{}", 100_000 + i)
    };
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO users (id, pool_id, username, username_key, status, enabled, password_hash, password_set_at, \
         attributes, tokens_valid_after, created_at, updated_at) \
         SELECT k || CAST(100000 + i AS TEXT), 'r_1', k || CAST(100000 + i AS TEXT), k || CAST(100000 + i AS TEXT), \
         'CONFIRMED', 1, NULL, NULL, '{{}}', 0, 1000 + i / 2, 1000 + i / 2 \
         FROM (SELECT i, CASE WHEN i < {a} THEN 'a' WHEN i < {am} OR (i - {am}) % 2 = 0 THEN 'm' ELSE 'z' END AS k FROM n) t; \
         INSERT INTO user_search (pool_id, name, value, user_id) SELECT pool_id, 'email', id || '@x.io', id FROM users",
        last = a + m + turns - 1,
        am = a + m,
    );
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&guard.0.url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut db).await.unwrap();
    let names = |f: &dyn Fn(&str) -> bool| -> Vec<String> { (0..a + m + turns).map(name).filter(|n| f(n)).collect() };
    let email = |value: &str, prefix: bool| UserFilter::Attribute { name: "email".into(), value: value.into(), prefix };
    let username = |value: &str| UserFilter::Column { column: UserColumn::Username, value: value.into(), prefix: true };
    let sub = |value: &str| UserFilter::Column { column: UserColumn::Sub, value: value.into(), prefix: true };
    // More than FEW_MATCHES, none in the first WALK_WINDOW users: the first page reads the index.
    let many = names(&|n| n.starts_with('m'));
    assert!(many.len() as i64 > FEW_MATCHES);
    for filter in [email("m", true), username("m"), sub("m")] {
        assert_eq!(all_pages(&s, &filter, 700).await, many, "{filter:?}");
    }
    // Everyone: a walk fills each page.
    assert_eq!(all_pages(&s, &email("", true), 2_000).await, names(&|_| true));
    assert_eq!(all_pages(&s, &sub(""), 2_000).await, names(&|_| true));
    // Few: read from the index.
    let few = names(&|n| n.starts_with("m1120"));
    assert!(!few.is_empty() && few.len() as i64 <= FEW_MATCHES);
    for filter in [email("m1120", true), username("m1120"), sub("m1120")] {
        assert_eq!(all_pages(&s, &filter, 7).await, few, "{filter:?}");
    }
    assert_eq!(all_pages(&s, &email("m111042@x.io", false), 7).await, ["m111042"]);
    assert!(all_pages(&s, &email("nobody", true), 7).await.is_empty());

    // Statuses and the enabled flag (their indexes, 0026): everyone, a few, none.
    let status =
        |value: &str, prefix: bool| UserFilter::Column { column: UserColumn::Status, value: value.into(), prefix };
    let enabled = |on: bool| UserFilter::Column {
        column: UserColumn::Enabled,
        value: if on { "1" } else { "0" }.into(),
        prefix: false,
    };
    assert!(all_pages(&s, &status("UNCONFIRMED", false), 7).await.is_empty());
    assert!(all_pages(&s, &enabled(false), 7).await.is_empty());
    sqlx::raw_sql("UPDATE users SET status = 'UNCONFIRMED', enabled = 0 WHERE username LIKE 'm1120%'")
        .execute(&mut db)
        .await
        .unwrap();
    for filter in [status("UNCONFIRMED", false), status("UNCONF", true), enabled(false)] {
        assert_eq!(all_pages(&s, &filter, 7).await, few, "{filter:?}");
    }
    let rest = names(&|n| !n.starts_with("m1120"));
    for filter in [status("CONFIRMED", false), enabled(true)] {
        assert_eq!(all_pages(&s, &filter, 2_000).await, rest, "{filter:?}");
    }
}
