//! The dashboard's identity-pool and IAM pages through HTTP: identity pools and their role
//! mappings made in the dashboard and read back through the `cognito-identity` API (a bad rule
//! refused with the service's message), IAM roles and trust policies seen by the IAM Query API,
//! the identity browser (logins, merges, unlinking developer users, deletion), the credential
//! simulator (each step's verdict, nothing created), and operators and viewers refused every
//! change here.

use crate::admin::{ADMIN, ADMIN_PASSWORD, Operator, sign_in_dashboard, spawn_dashboard};
use crate::aws_query::*;
use crate::helpers::*;
use crate::identity_pool_helpers::*;
use portcullis::config::AdminMfa;
use portcullis::ids::Username;
use portcullis::operators::Role;
use serde_json::{Value, json};

const READER_ROLE: &str = "arn:aws:iam::000000000000:role/reader";
const ADMIN_ROLE: &str = "arn:aws:iam::000000000000:role/admin";

/// One path segment as the dashboard's links encode it.
fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn pool_path(id: &str) -> String {
    format!("/admin/identity-pools/{}", seg(id))
}

/// The console's trust policy for the identities of identity pool `pool` with `amr`.
fn identity_trust(pool: &str, amr: &str) -> String {
    trust(
        "cognito-identity.amazonaws.com",
        json!({"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
               "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}),
    )
}

async fn page(op: &Operator, app: &TestApp, path: &str) -> String {
    let r = op.get(app, path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    unescape(&r.text().await.unwrap())
}

/// POST a form and expect `status`; the page (unescaped) or the redirect's location.
async fn post(op: &Operator, app: &TestApp, path: &str, fields: &[(&str, &str)], status: u16) -> String {
    let r = op.post(app, path, fields).await;
    let got = r.status().as_u16();
    let location = location(&r);
    let body = unescape(&r.text().await.unwrap_or_default());
    assert_eq!(got, status, "POST {path}: {body}");
    if status == 303 { location } else { body }
}

fn rules_mapping(key: &str) -> Value {
    json!({key: {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
        {"Claim": "email", "MatchType": "StartsWith", "Value": "bob", "RoleARN": READER_ROLE},
        {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "adm", "RoleARN": ADMIN_ROLE},
    ]}}})
}

#[tokio::test]
async fn identity_pools_and_role_mappings_made_in_the_dashboard_are_seen_through_the_api() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let flow = setup_flow(&app, false, json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let provider = aws_provider(&flow.pool);
    let choice = format!("{provider} {}", flow.client_id);
    let list = page(&admin, &app, "/admin/identity-pools").await;
    assert!(list.contains(&format!("value=\"{choice}\"")), "the pool's clients are offered: {list}");

    // A refused pool shows the service's message and creates nothing.
    let bad = post(&admin, &app, "/admin/identity-pools", &[("name", "no/slashes"), ("provider", &choice)], 400).await;
    assert!(bad.contains("IdentityPoolName must be 1 to 128"), "{bad}");
    assert!(bad.contains("value=\"no/slashes\""), "the form keeps what was typed");
    let pools = app.identity_ok("ListIdentityPools", json!({"MaxResults": 60})).await;
    assert!(pools["IdentityPools"].as_array().unwrap().is_empty());

    let created = post(
        &admin,
        &app,
        "/admin/identity-pools",
        &[("name", "web identities"), ("allow_unauthenticated", "on"), ("provider", &choice)],
        303,
    )
    .await;
    let encoded = created.trim_start_matches("/admin/identity-pools/").split('?').next().unwrap();
    let id = percent_encoding::percent_decode_str(encoded).decode_utf8().unwrap().to_string();
    let d = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!(
        (d["IdentityPoolName"].as_str(), d["AllowUnauthenticatedIdentities"].as_bool()),
        (Some("web identities"), Some(true))
    );
    assert_eq!(d["AllowClassicFlow"], false);
    assert_eq!(
        d["CognitoIdentityProviders"],
        json!([{"ProviderName": provider, "ClientId": flow.client_id, "ServerSideTokenCheck": false}])
    );

    // Role mappings: a Rules mapping of the user pool's client.
    let key = format!("{provider}:{}", flow.client_id);
    let path = pool_path(&id);
    let html = page(&admin, &app, &path).await;
    assert!(html.contains(&format!("name=\"m0_key\" value=\"{key}\"")), "{html}");
    assert!(html.contains("<label class=\"sr\" for=\"m0_r4_role\">"), "five labelled rule rows");
    let roles_form = |first_role: &'static str| {
        vec![
            ("authenticated", AUTH_ROLE),
            ("unauthenticated", GUEST_ROLE),
            ("m0_key", key.as_str()),
            ("m0_type", "Rules"),
            ("m0_ambiguous", "Deny"),
            ("m0_r0_claim", "email"),
            ("m0_r0_match", "StartsWith"),
            ("m0_r0_value", "bob"),
            ("m0_r0_role", first_role),
            ("m0_r1_claim", "cognito:groups"),
            ("m0_r1_match", "Contains"),
            ("m0_r1_value", "adm"),
            ("m0_r1_role", ADMIN_ROLE),
            ("m0_r2_claim", ""),
            ("m0_r2_match", "Equals"),
            ("m0_r2_value", ""),
            ("m0_r2_role", ""),
        ]
    };
    let roles_path = format!("{path}/roles");
    let saved = post(&admin, &app, &roles_path, &roles_form(READER_ROLE), 303).await;
    assert!(saved.ends_with("?notice=roles#roles"), "{saved}");
    let roles = app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": id})).await;
    assert_eq!(roles["Roles"], json!({"authenticated": AUTH_ROLE, "unauthenticated": GUEST_ROLE}));
    assert_eq!(roles["RoleMappings"], rules_mapping(&key));

    // Both changes are in the audit trail, the roles with what changed.
    let audit = page(&admin, &app, "/admin/events?category=audit").await;
    for action in ["CreateIdentityPool", "SetIdentityPoolRoles"] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
    assert!(audit.contains(&format!("dashboard:root → identitypool:{id}")), "{audit}");
    let export = admin.get(&app, "/admin/events/export/json?category=audit&type=SetIdentityPoolRoles").await;
    let details = export.text().await.unwrap();
    assert!(details.contains("cognito:groups") && details.contains(ADMIN_ROLE), "{details}");

    // A bad rule is refused with the service's message, shown with the form as posted; nothing changes.
    let refused = post(&admin, &app, &roles_path, &roles_form("not-an-arn"), 400).await;
    assert!(refused.contains(&format!("Invalid role ARN in a rule of {key}: not-an-arn")), "{refused}");
    assert!(refused.contains("value=\"not-an-arn\""), "the posted rule is shown again");
    let mut no_claim = roles_form(READER_ROLE);
    no_claim[5] = ("m0_r0_claim", "");
    let refused = post(&admin, &app, &roles_path, &no_claim, 400).await;
    assert!(refused.contains(&format!("Rule 1 of {key}: a claim name is 1 to 64")), "{refused}");
    assert_eq!(app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": id})).await, roles);
    let page_now = page(&admin, &app, &path).await;
    assert!(page_now.contains("value=\"adm\"") && page_now.contains(&format!("value=\"{READER_ROLE}\"")));

    // Settings: what the form shows changes, the tags stay.
    let arn = format!("arn:aws:cognito-identity:local:000000000000:identitypool/{id}");
    app.identity_ok("TagResource", json!({"ResourceArn": arn, "Tags": {"team": "web"}})).await;
    let settings = format!("{path}/settings");
    let saved = post(
        &admin,
        &app,
        &settings,
        &[
            ("name", "renamed"),
            ("classic_flow", "on"),
            ("provider", &choice),
            ("server_check", &choice),
            ("supported", "accounts.google.com = g-client.apps.googleusercontent.com\r\n"),
            ("developer", "login.example"),
        ],
        303,
    )
    .await;
    assert!(saved.ends_with("?notice=saved"), "{saved}");
    let d = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!(
        (d["IdentityPoolName"].as_str(), d["AllowUnauthenticatedIdentities"].as_bool()),
        (Some("renamed"), Some(false))
    );
    assert_eq!(d["AllowClassicFlow"], true);
    assert_eq!(d["CognitoIdentityProviders"][0]["ServerSideTokenCheck"], true);
    assert_eq!(d["SupportedLoginProviders"], json!({"accounts.google.com": "g-client.apps.googleusercontent.com"}));
    assert_eq!(d["DeveloperProviderName"], "login.example");
    assert_eq!(d["IdentityPoolTags"], json!({"team": "web"}), "tags the form does not show are kept");
    let bad = post(&admin, &app, &settings, &[("name", "renamed"), ("supported", "twitter.com")], 400).await;
    assert!(bad.contains("reads provider = client id"), "{bad}");
    let bad =
        post(&admin, &app, &settings, &[("name", "renamed"), ("supported", "https://login.example.com = x")], 400)
            .await;
    assert!(
        bad.contains("Invalid SupportedLoginProviders key https://login.example.com"),
        "the service's message: {bad}"
    );
    assert_eq!(app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": id})).await, d, "nothing changed");

    // Deletion needs the confirmation box.
    let unconfirmed = post(&admin, &app, &format!("{path}/delete"), &[], 400).await;
    assert!(unconfirmed.contains("Tick the confirmation box to delete the identity pool."), "{unconfirmed}");
    let gone = post(&admin, &app, &format!("{path}/delete"), &[("confirm", "on")], 303).await;
    assert_eq!(gone, "/admin/identity-pools?notice=deleted");
    let (status, body) = app.identity_api("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));
    assert_eq!(admin.get(&app, &path).await.status(), 404);
}

#[tokio::test]
async fn iam_roles_and_trust_policies_edited_in_the_dashboard_are_seen_by_the_iam_api() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let pool = "local:11111111-2222-3333-4444-555555555555";
    let form = page(&admin, &app, &format!("/admin/iam/roles?for_pool={}&kind=authenticated", urlencode(pool))).await;
    assert!(form.contains(&format!("\"cognito-identity.amazonaws.com:aud\": \"{pool}\"")), "prefilled: {form}");
    let doc = identity_trust(pool, "authenticated");
    let created = post(
        &admin,
        &app,
        "/admin/iam/roles",
        &[("name", "web+users"), ("path", "/apps/"), ("description", "Signed-in users"), ("trust", &doc)],
        303,
    )
    .await;
    assert_eq!(created, "/admin/iam/roles/web%2Busers?notice=role_created");
    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "web+users")]).await;
    assert_eq!(tag(&got, "Arn").unwrap(), "arn:aws:iam::000000000000:role/apps/web+users");
    assert_eq!(tag(&got, "Description").unwrap(), "Signed-in users");
    let decode = |s: String| percent_encoding::percent_decode_str(&s).decode_utf8().unwrap().into_owned();
    assert_eq!(decode(tag(&got, "AssumeRolePolicyDocument").unwrap()), doc);
    let role_page = page(&admin, &app, &created).await;
    assert!(role_page.contains("The role was created.") && role_page.contains(&doc), "{role_page}");

    // An invalid trust policy is refused with IAM's code and message, and changes nothing.
    let trust_path = "/admin/iam/roles/web%2Busers/trust";
    let refused = post(&admin, &app, trust_path, &[("trust", "{nope")], 400).await;
    assert!(refused.contains("MalformedPolicyDocument: This policy contains invalid Json"), "{refused}");
    assert!(refused.contains(">{nope</textarea>"), "the editor keeps the text");
    let with_resource = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Resource":"*"}]}"#;
    let refused = post(&admin, &app, trust_path, &[("trust", with_resource)], 400).await;
    assert!(refused.contains("MalformedPolicyDocument: Has prohibited field Resource"), "{refused}");
    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "web+users")]).await;
    assert_eq!(decode(tag(&got, "AssumeRolePolicyDocument").unwrap()), doc);

    // A valid one is UpdateAssumeRolePolicy.
    let guests = identity_trust(pool, "unauthenticated");
    assert_eq!(
        post(&admin, &app, trust_path, &[("trust", &guests)], 303).await,
        "/admin/iam/roles/web%2Busers?notice=trust"
    );
    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "web+users")]).await;
    assert_eq!(decode(tag(&got, "AssumeRolePolicyDocument").unwrap()), guests);

    let audit = page(&admin, &app, "/admin/events?category=audit&type=UpdateAssumeRolePolicy").await;
    assert!(audit.contains("dashboard:root → role:web+users"), "{audit}");

    // Creation is refused as CreateRole refuses it.
    let bad =
        post(&admin, &app, "/admin/iam/roles", &[("name", "bad name"), ("path", "/"), ("trust", &doc)], 400).await;
    assert!(bad.contains("ValidationError: 1 validation error detected: Value 'bad name' at 'roleName'"), "{bad}");
    let bad = post(&admin, &app, "/admin/iam/roles", &[("name", "other"), ("trust", "[]")], 400).await;
    assert!(bad.contains("MalformedPolicyDocument: Syntax errors in policy."), "{bad}");
    let list = iam_ok(&app, &[("Action", "ListRoles")]).await;
    assert_eq!(tags(&list, "RoleName"), vec!["web+users"]);
    assert!(page(&admin, &app, "/admin/iam/roles").await.contains(">web+users</a>"));

    // Deletion: the confirmation box, then DeleteRole.
    post(&admin, &app, "/admin/iam/roles/web%2Busers/delete", &[], 400).await;
    let deleted = post(&admin, &app, "/admin/iam/roles/web%2Busers/delete", &[("confirm", "on")], 303).await;
    assert_eq!(deleted, "/admin/iam/roles?notice=role_deleted");
    error(&iam(&app, &[("Action", "GetRole"), ("RoleName", "web+users")]).await, 404, "NoSuchEntity", IAM_NS);
    assert_eq!(admin.get(&app, "/admin/iam/roles/web%2Busers").await.status(), 404);
}

/// The simulator's outcome for `token` under `key`.
async fn simulate(op: &Operator, app: &TestApp, pool: &str, key: &str, token: &str) -> String {
    post(op, app, &format!("{}/simulate", pool_path(pool)), &[("login", key), ("token", token)], 200).await
}

/// The verdicts of the three steps, in order.
fn verdicts(html: &str) -> Vec<&str> {
    html.split("<span class=\"verdict\">").skip(1).map(|s| &s[..s.find('<').unwrap()]).collect()
}

#[tokio::test]
async fn the_simulator_explains_each_step_and_creates_nothing() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let flow = setup_flow(&app, false, json!({})).await;
    app.ok("CreateGroup", json!({"UserPoolId": flow.pool, "GroupName": "admins"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": flow.pool, "Username": "alice", "GroupName": "admins"})).await;
    let key = aws_provider(&flow.pool);
    let pool = create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": key, "ClientId": flow.client_id}]}),
    )
    .await;
    let mapping_key = format!("{key}:{}", flow.client_id);
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": pool, "Roles": {"authenticated": AUTH_ROLE}, "RoleMappings": rules_mapping(&mapping_key)}),
    )
    .await;
    let doc = identity_trust(&pool, "authenticated");
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "admin"), ("AssumeRolePolicyDocument", &doc)]).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let form = page(&admin, &app, &format!("{}/simulate", pool_path(&pool))).await;
    assert!(form.contains(&format!("<option value=\"{key}\"")) && form.contains("<label for=\"sim-token\">"), "{form}");

    let token = admin_tokens(&app, &flow.pool, &flow.client_id, "alice", PASSWORD).await["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    let html = simulate(&admin, &app, &pool, &key, &token).await;
    assert_eq!(verdicts(&html), vec!["Passes", "Passes", "Passes"], "{html}");
    assert!(html.contains("Signature, issuer, audience (an app client of this provider) and expiry check out."));
    assert!(html.contains("Rule 2 matches: cognito:groups Contains adm."), "{html}");
    assert!(html.contains(&format!("<dt>Role</dt><dd class=\"mono\">{ADMIN_ROLE}</dd>")), "{html}");
    assert!(html.contains("The trust policy of admin allows this identity."), "{html}");
    assert!(html.contains(&format!("GetCredentialsForIdentity would vend credentials for the role {ADMIN_ROLE}.")));
    assert!(html.contains("none yet: GetId would create one"));
    assert!(html.contains("(a sample id: the identity does not exist yet)"), "{html}");
    assert!(!html.contains(&token), "the token is not shown again");

    // The trust policy refuses another pool's identities: step 3 fails, and says why.
    let other = identity_trust("local:99999999-2222-3333-4444-555555555555", "authenticated");
    iam_ok(&app, &[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "admin"), ("PolicyDocument", &other)]).await;
    let html = simulate(&admin, &app, &pool, &key, &token).await;
    assert_eq!(verdicts(&html), vec!["Passes", "Passes", "Fails"], "{html}");
    assert!(html.contains("No Allow statement of the trust policy of admin applies"), "{html}");
    assert!(html.contains("GetCredentialsForIdentity would be refused at step 3."));

    // A role the rules choose that does not exist; a mapping that denies.
    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": flow.pool, "Username": "alice", "GroupName": "admins"}))
        .await;
    let plain = admin_tokens(&app, &flow.pool, &flow.client_id, "alice", PASSWORD).await["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    let html = simulate(&admin, &app, &pool, &key, &plain).await;
    assert_eq!(verdicts(&html), vec!["Passes", "Fails", "Not reached"], "{html}");
    assert!(html.contains("No rule matches; AmbiguousRoleResolution Deny."), "{html}");

    // Foreign tokens: another client of the user pool, another user pool.
    let (stranger, _) = app.create_client(&flow.pool, false, json!({})).await;
    let foreign =
        admin_tokens(&app, &flow.pool, &stranger, "alice", PASSWORD).await["IdToken"].as_str().unwrap().to_string();
    let html = simulate(&admin, &app, &pool, &key, &foreign).await;
    assert_eq!(verdicts(&html), vec!["Fails", "Not reached", "Not reached"], "{html}");
    assert!(html.contains("Invalid login token. Incorrect token audience."), "{html}");
    let elsewhere = setup_flow(&app, false, json!({})).await;
    let alien = admin_tokens(&app, &elsewhere.pool, &elsewhere.client_id, "alice", PASSWORD).await["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    let html = simulate(&admin, &app, &pool, &key, &alien).await;
    assert!(html.contains("Invalid login token. Issuer doesn't match providerName"), "{html}");
    assert!(html.contains("GetCredentialsForIdentity would be refused at step 1."));

    // Nothing was created; an identity made by GetId is then named.
    let listed = app.identity_ok("ListIdentities", json!({"IdentityPoolId": pool, "MaxResults": 10})).await;
    assert_eq!(listed["Identities"], json!([]), "the simulator creates no identity");
    let fresh = admin_tokens(&app, &flow.pool, &flow.client_id, "alice", PASSWORD).await["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    let identity = get_id_ok(&app, &pool, json!({key.clone(): fresh})).await;
    let html = simulate(&admin, &app, &pool, &key, &fresh).await;
    assert!(html.contains(&format!("<dt>Identity</dt><dd class=\"mono\">{identity}</dd>")), "{html}");

    // An expired token names the failing step; the claims say when it expired.
    app.clock.advance_secs(3601);
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let html = simulate(&admin, &app, &pool, &key, &token).await;
    assert_eq!(verdicts(&html), vec!["Fails", "Not reached", "Not reached"], "{html}");
    assert!(html.contains("Invalid login token. Token expired:"), "{html}");
    assert!(html.contains("min ago)"), "{html}");

    // Refused forms.
    post(
        &admin,
        &app,
        &format!("{}/simulate", pool_path(&pool)),
        &[("login", "graph.facebook.com"), ("token", "x")],
        400,
    )
    .await;
    post(&admin, &app, &format!("{}/simulate", pool_path(&pool)), &[("login", &key), ("token", " ")], 400).await;
}

#[tokio::test]
async fn the_simulator_answers_for_a_guest_too() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = create_identity_pool(&app, json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let form = page(&admin, &app, &format!("{}/simulate", pool_path(&pool))).await;
    assert!(form.contains("Simulate a guest (no login)"), "offered even without login providers: {form}");

    // A guest: refused while the pool takes none; then the unauthenticated role and its trust.
    let html = simulate(&admin, &app, &pool, "(guest)", "").await;
    assert_eq!(verdicts(&html), vec!["Fails", "Not reached", "Not reached"], "{html}");
    assert!(html.contains("Unauthenticated access is not supported for this identity pool."), "{html}");
    let mut d = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": pool})).await;
    d["AllowUnauthenticatedIdentities"] = json!(true);
    app.identity_ok("UpdateIdentityPool", d).await;
    let html = simulate(&admin, &app, &pool, "(guest)", "").await;
    assert_eq!(verdicts(&html), vec!["Passes", "Fails", "Not reached"], "{html}");
    assert!(html.contains("The identity pool has no unauthenticated role"), "{html}");
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": pool, "Roles": {"authenticated": AUTH_ROLE, "unauthenticated": GUEST_ROLE}}),
    )
    .await;
    let doc = identity_trust(&pool, "unauthenticated");
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "guest"), ("AssumeRolePolicyDocument", &doc)]).await;
    let html = simulate(&admin, &app, &pool, "(guest)", "").await;
    assert_eq!(verdicts(&html), vec!["Passes", "Passes", "Passes"], "{html}");
    assert!(html.contains("A guest: the pool's unauthenticated role."), "{html}");
    assert!(html.contains(&format!("GetCredentialsForIdentity would vend credentials for the role {GUEST_ROLE}.")));
    assert!(html.contains("<dd class=\"mono\">unauthenticated</dd>"), "the amr: {html}");
    // A trust policy for authenticated identities only refuses the guest.
    let auth_only = identity_trust(&pool, "authenticated");
    iam_ok(&app, &[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "guest"), ("PolicyDocument", &auth_only)]).await;
    let html = simulate(&admin, &app, &pool, "(guest)", "").await;
    assert_eq!(verdicts(&html), vec!["Passes", "Passes", "Fails"], "{html}");
    let listed = app.identity_ok("ListIdentities", json!({"IdentityPoolId": pool, "MaxResults": 10})).await;
    assert_eq!(listed["Identities"], json!([]), "the simulator creates no identity");
}

#[tokio::test]
async fn the_identity_browser_shows_logins_merges_developer_users_and_deletes() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let s = setup(&app, json!({"DeveloperProviderName": "login.example"})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    let alice = get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await;
    let dev = async |user: &str| {
        let v = app
            .identity_ok(
                "GetOpenIdTokenForDeveloperIdentity",
                json!({"IdentityPoolId": s.pool, "Logins": {"login.example": user}}),
            )
            .await;
        v["IdentityId"].as_str().unwrap().to_string()
    };
    let (dev1, dev2) = (dev("dev-1").await, dev("dev-2").await);
    let path = pool_path(&s.pool);
    let html = page(&admin, &app, &path).await;
    for id in [&alice, &dev1, &dev2] {
        assert!(html.contains(&format!(">{id}</a>")), "{id} listed: {html}");
    }
    assert!(html.contains(&format!("<span class=\"mono\">{}</span>", s.provider)), "with its logins");
    let identity = |id: &str| format!("{path}/identities/{}", seg(id));
    let alice_page = page(&admin, &app, &identity(&alice)).await;
    assert!(alice_page.contains(&format!("<td class=\"mono\">{}</td>", s.provider)), "{alice_page}");
    assert!(alice_page.contains(&format!("Unlink {}", s.provider)), "{alice_page}");
    let dev_page = page(&admin, &app, &identity(&dev1)).await;
    assert!(dev_page.contains("Unlink dev-1") && dev_page.contains("developer users below"), "{dev_page}");
    // The developer provider is not unlinked as a whole here, and a provider the identity lacks is
    // refused.
    let unlink_login = |id: &str| format!("{}/unlink-login", identity(id));
    let refused = post(&admin, &app, &unlink_login(&dev1), &[("provider", "login.example")], 400).await;
    assert!(refused.contains("Unlink a developer user by its identifier."), "{refused}");
    let refused = post(&admin, &app, &unlink_login(&alice), &[("provider", "accounts.google.com")], 400).await;
    assert!(refused.contains("The identity has no login of accounts.google.com."), "{refused}");

    // Merge: dev-2's identity into dev-1's.
    let merged =
        post(&admin, &app, &format!("{path}/merge"), &[("source", "dev-2"), ("destination", "dev-1")], 303).await;
    assert_eq!(merged, format!("{}?notice=merged", identity(&dev1)));
    let lookup = app
        .identity_ok("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": dev1, "MaxResults": 10}))
        .await;
    assert_eq!(lookup["DeveloperUserIdentifierList"], json!(["dev-1", "dev-2"]));
    let old = page(&admin, &app, &identity(&dev2)).await;
    assert!(
        old.contains(&format!("merged: merged into <a class=\"mono\" href=\"{}\">{dev1}</a>", identity(&dev1))),
        "{old}"
    );
    let refused =
        post(&admin, &app, &format!("{path}/merge"), &[("source", "nobody"), ("destination", "dev-1")], 400).await;
    assert!(refused.contains("Developer user nobody not found."), "{refused}");

    // Unlink a developer user.
    let unlinked = post(&admin, &app, &format!("{}/unlink", identity(&dev1)), &[("user", "dev-2")], 303).await;
    assert_eq!(unlinked, format!("{}?notice=unlinked", identity(&dev1)));
    let (status, body) = app
        .identity_api("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "DeveloperUserIdentifier": "dev-2"}))
        .await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));

    // Unlink alice's user-pool login without her token: the identity is left disabled, and her
    // token now makes a new identity.
    let unlinked = post(&admin, &app, &unlink_login(&alice), &[("provider", &s.provider)], 303).await;
    assert_eq!(unlinked, format!("{}?notice=unlinked", identity(&alice)));
    let described = app.identity_ok("DescribeIdentity", json!({"IdentityId": alice})).await;
    assert_eq!(described["Logins"], json!([]), "{described}");
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    assert_ne!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await, alice);
    let audit = page(&admin, &app, "/admin/events?type=UnlinkIdentity").await;
    assert!(audit.contains(&format!("identity:{alice}")), "{audit}");

    // Delete an identity: the confirmation box, then DeleteIdentities.
    post(&admin, &app, &format!("{}/delete", identity(&alice)), &[], 400).await;
    let deleted = post(&admin, &app, &format!("{}/delete", identity(&alice)), &[("confirm", "on")], 303).await;
    assert_eq!(deleted, format!("{path}?notice=identity_deleted"));
    let (status, body) = app.identity_api("DescribeIdentity", json!({"IdentityId": alice})).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));

    // An identity of another pool is not found under this one.
    let other = create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let guest = get_id_ok(&app, &other, json!({})).await;
    assert_eq!(admin.get(&app, &identity(&guest)).await.status(), 404);
    assert_eq!(admin.get(&app, &format!("{}/identities/{}", pool_path(&other), seg(&guest))).await.status(), 200);
}

#[tokio::test]
async fn operators_and_viewers_are_refused_every_change_here() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = create_identity_pool(
        &app,
        json!({"AllowUnauthenticatedIdentities": true, "DeveloperProviderName": "login.example"}),
    )
    .await;
    let guest = get_id_ok(&app, &pool, json!({})).await;
    let doc = identity_trust(&pool, "authenticated");
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "kept"), ("AssumeRolePolicyDocument", &doc)]).await;
    let before = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": pool})).await;
    let path = pool_path(&pool);
    let identity = format!("{path}/identities/{}", seg(&guest));
    let changes: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/identity-pools".into(), vec![("name", "sneaky")]),
        (format!("{path}/settings"), vec![("name", "renamed")]),
        (format!("{path}/roles"), vec![("authenticated", AUTH_ROLE)]),
        (format!("{path}/delete"), vec![("confirm", "on")]),
        (format!("{path}/merge"), vec![("source", "a"), ("destination", "b")]),
        (format!("{identity}/delete"), vec![("confirm", "on")]),
        (format!("{identity}/unlink"), vec![("user", "a")]),
        (format!("{identity}/unlink-login"), vec![("provider", "a")]),
        ("/admin/iam/roles".into(), vec![("name", "sneaky"), ("trust", doc.as_str())]),
        ("/admin/iam/roles/kept/trust".into(), vec![("trust", doc.as_str())]),
        ("/admin/iam/roles/kept/delete".into(), vec![("confirm", "on")]),
    ];
    for (name, role) in [("olivia", Role::Operator), ("victor", Role::Viewer)] {
        let temporary = app.services.operators.create_operator(&Username::from(name), role).await.unwrap();
        let op = sign_in_dashboard(&app, name, &temporary, Some("New-Passw0rd!x"), None).await;
        for (p, fields) in &changes {
            assert_eq!(op.post(&app, p, fields).await.status(), 403, "POST {p} by {name}");
        }
        // They read every page, without the forms that change things, and may simulate.
        let html = page(&op, &app, &path).await;
        assert!(!html.contains("Save roles and role mappings") && !html.contains("Delete identity pool"), "{html}");
        page(&op, &app, &identity).await;
        page(&op, &app, "/admin/iam/roles/kept").await;
        assert!(!page(&op, &app, "/admin/identity-pools").await.contains("Create an identity pool"));
        let r = op.post(&app, &format!("{path}/simulate"), &[("login", "login.example"), ("token", "x")]).await;
        assert_eq!(r.status(), 400, "simulating is reading: the form is checked, not the role");
        let forged =
            op.browser.post(format!("{}{path}/simulate", app.base)).form(&[("login", "x")]).send().await.unwrap();
        assert_eq!(forged.status(), 403, "still a form of this session");
    }
    assert_eq!(app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": pool})).await, before);
    assert_eq!(app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": pool})).await["Roles"], json!({}));
    app.identity_ok("DescribeIdentity", json!({"IdentityId": guest})).await;
    let roles = iam_ok(&app, &[("Action", "ListRoles")]).await;
    assert_eq!(tags(&roles, "RoleName"), vec!["kept"]);
    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "kept")]).await;
    assert!(tag(&got, "AssumeRolePolicyDocument").is_some());
    let pools = app.identity_ok("ListIdentityPools", json!({"MaxResults": 60})).await;
    assert_eq!(pools["IdentityPools"].as_array().unwrap().len(), 1);
}
