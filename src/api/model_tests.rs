//! Tests of the Cognito model checks.

use super::*;
use serde_json::json;

#[test]
fn knows_which_actions_are_signed() {
    let m = Model::get();
    assert_eq!(m.action("CreateUserPool"), Some(true));
    assert_eq!(m.action("InitiateAuth"), Some(false));
    assert_eq!(m.action("SignUp"), Some(false));
    assert_eq!(m.action("NoSuchThing"), None);
}

#[test]
fn reports_constraints_like_aws() {
    let m = Model::get();
    assert!(m.validate("DescribeUserPool", &json!({"UserPoolId": "local_abc123XYZ"})).is_ok());
    let Err(Invalid::Constraints(msg)) = m.validate("DescribeUserPool", &json!({"UserPoolId": "bad id"})) else {
        panic!()
    };
    assert!(msg.starts_with("1 validation error detected: Value 'bad id' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{msg}");
    let Err(Invalid::Constraints(msg)) = m.validate("DescribeUserPool", &json!({})) else { panic!() };
    assert!(msg.contains("Value null at 'userPoolId'"), "{msg}");
    let Err(Invalid::Constraints(msg)) = m.validate(
        "CreateUserPoolClient",
        &json!({"UserPoolId": "a_b", "ClientName": "c", "AccessTokenValidity": 0, "PreventUserExistenceErrors": "NO"}),
    ) else {
        panic!()
    };
    assert!(msg.starts_with("2 validation errors detected"), "{msg}");
    assert_eq!(
        m.validate("DescribeUserPool", &json!({"UserPoolId": 5})).unwrap_err(),
        Invalid::Serialization("Expected a string for 'userPoolId'".into())
    );
}

#[test]
fn knows_the_identity_service_and_its_signed_actions() {
    let m = Model::identity();
    assert_eq!(m.action("CreateIdentityPool"), Some(true));
    assert_eq!(m.action("GetId"), Some(false));
    assert_eq!(m.action("GetCredentialsForIdentity"), Some(false));
    assert_eq!(m.action("GetOpenIdToken"), Some(false));
    assert_eq!(m.action("UnlinkIdentity"), Some(false));
    assert_eq!(m.action("GetOpenIdTokenForDeveloperIdentity"), Some(true));
    assert_eq!(m.action("CreateUserPool"), None);
    assert_eq!(Model::get().action("GetId"), None);
}

#[test]
fn validates_identity_requests_maps_and_nested_shapes() {
    let m = Model::identity();
    let id = "local:8f4e2c1a-0000-4000-8000-000000000000";
    assert!(m.validate("GetId", &json!({"IdentityPoolId": id, "Logins": {"accounts.google.com": "t"}})).is_ok());
    let Err(Invalid::Constraints(msg)) = m.validate("GetId", &json!({"IdentityPoolId": "bad"})) else { panic!() };
    assert!(msg.contains("at 'identityPoolId'"), "{msg}");
    let eleven: serde_json::Map<String, Value> = (0..11).map(|i| (format!("p{i}"), json!("t"))).collect();
    let Err(Invalid::Constraints(msg)) = m.validate("GetId", &json!({"IdentityPoolId": id, "Logins": eleven})) else {
        panic!()
    };
    assert!(
        msg.contains("'logins' failed to satisfy constraint: Member must have length less than or equal to 10"),
        "{msg}"
    );
    let Err(Invalid::Constraints(msg)) = m.validate("GetId", &json!({"IdentityPoolId": id, "Logins": {"p": ""}}))
    else {
        panic!()
    };
    assert!(
        msg.contains("Map value must satisfy constraint: [Member must have length greater than or equal to 1]"),
        "{msg}"
    );
    let Err(Invalid::Constraints(msg)) = m.validate(
        "SetIdentityPoolRoles",
        &json!({"IdentityPoolId": id, "Roles": {"admin": "arn:aws:iam::000000000000:role/a"}}),
    ) else {
        panic!()
    };
    assert!(
        msg.contains(
            "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: (un)?authenticated]"
        ),
        "{msg}"
    );
    let r = m.validate("SetIdentityPoolRoles", &json!({"IdentityPoolId": id, "Roles": {}, "RoleMappings": {"graph.facebook.com": {"Type": "Maybe", "RulesConfiguration": {"Rules": [{"Claim": "a", "MatchType": "Like", "Value": "", "RoleARN": "arn"}]}}}}));
    let Err(Invalid::Constraints(msg)) = r else { panic!("{r:?}") };
    assert!(msg.starts_with("4 validation errors detected"), "{msg}");
    assert!(msg.contains("roleMappings.graph.facebook.com.rulesConfiguration.rules.1.member.matchType"), "{msg}");
    let Err(Invalid::Constraints(msg)) = m.validate("DeleteIdentities", &json!({"IdentityIdsToDelete": ["nope"]}))
    else {
        panic!()
    };
    assert!(msg.contains("Value '[nope]' at 'identityIdsToDelete'"), "{msg}");
    let Err(Invalid::Constraints(msg)) = m.validate("CreateIdentityPool", &json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "CognitoIdentityProviders": [{"ProviderName": "a b", "ClientId": "c"}]})) else { panic!() };
    assert!(msg.contains("cognitoIdentityProviders.1.member.providerName"), "{msg}");
    assert_eq!(
        m.validate("CreateIdentityPool", &json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": "yes"})),
        Err(Invalid::Serialization("Expected a boolean for 'allowUnauthenticatedIdentities'".into()))
    );
    let Err(Invalid::Constraints(msg)) = m.validate("ListIdentities", &json!({"IdentityPoolId": id, "MaxResults": 61}))
    else {
        panic!()
    };
    assert!(msg.contains("Value '61' at 'maxResults'"), "{msg}");
}

/// U+0000 (which PostgreSQL cannot store) and other C0 controls are refused wherever they
/// are: in a member with a pattern (its own words), in one without, in a map value or key,
/// in a list item.
#[test]
fn refuses_control_characters_anywhere() {
    let m = Model::get();
    let err = |action: &str, input: Value| match m.validate(action, &input) {
        Err(Invalid::Constraints(msg)) => msg,
        other => panic!("{other:?}"),
    };
    let msg = err("AdminGetUser", json!({"UserPoolId": "local_abc", "Username": "a\u{0}b"}));
    assert_eq!(
        msg,
        "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
    );
    let msg = err(
        "InitiateAuth",
        json!({"ClientId": "abc", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "\u{0}", "PASSWORD": "p"}}),
    );
    assert!(msg.starts_with("1 validation error detected: Value at 'authParameters.USERNAME' failed"), "{msg}");
    assert!(msg.ends_with(crate::web::NO_CONTROLS_PATTERN), "{msg}");
    let msg = err(
        "AdminCreateUser",
        json!({"UserPoolId": "local_abc", "Username": "u", "UserAttributes": [{"Name": "name", "Value": "x\u{1}"}]}),
    );
    assert!(msg.contains("'userAttributes.1.member.value'"), "{msg}");
    let msg = err(
        "InitiateAuth",
        json!({"ClientId": "abc", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USER\u{0}": "x"}}),
    );
    assert!(msg.contains("'authParameters'") && !msg.contains('\u{0}'), "{msg}");
    let msg = err("AdminGetUser", json!({"UserPoolId": "local_abc", "Username": "u", "Unmodelled\u{0}": 1}));
    assert!(msg.contains("'<key>'"), "{msg}");
    // Tab, line feed and carriage return are text.
    assert!(
        m.validate(
            "AdminCreateUser",
            &json!({"UserPoolId": "local_abc", "Username": "u", "UserAttributes": [{"Name": "address", "Value": "a\tb\r\nc"}]})
        )
        .is_ok()
    );
}

#[test]
fn validates_nested_structures_and_list_elements() {
    let m = Model::get();
    let r =
        m.validate("CreateUserPool", &json!({"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 3}}}));
    assert!(
        matches!(r, Err(Invalid::Constraints(ref s)) if s.contains("policies.passwordPolicy.minimumLength")),
        "{r:?}"
    );
    let r = m.validate("CreateUserPool", &json!({"PoolName": "p", "Schema": [{"Name": ""}]}));
    assert!(matches!(r, Err(Invalid::Constraints(ref s)) if s.contains("schema.1.member.name")), "{r:?}");
    let r = m.validate("CreateUserPool", &json!({"PoolName": "p", "AliasAttributes": ["email", "nope"]}));
    assert!(matches!(r, Err(Invalid::Constraints(_))), "{r:?}");
}

#[test]
fn values_are_quoted_unless_the_member_is_sensitive() {
    let m = Model::get();
    let Err(Invalid::Constraints(msg)) =
        m.validate("CreateGroup", &json!({"UserPoolId": "local_abc", "GroupName": ""}))
    else {
        panic!()
    };
    assert!(
        msg.contains(
            "Value '' at 'groupName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ),
        "{msg}"
    );
    let secret = "not\u{1}shown";
    let Err(Invalid::Constraints(msg)) =
        m.validate("AdminSetUserPassword", &json!({"UserPoolId": "local_abc", "Username": secret, "Password": secret}))
    else {
        panic!()
    };
    assert!(!msg.contains("not"), "no username or password in the message: {msg}");
    assert!(msg.contains("Value at 'password'") && msg.contains("Value at 'username'"), "{msg}");
}
