//! Pools, clients, domains and resource servers.

use super::{ApiResult, client_shapes, limit, s};
use crate::services::Services;
use serde_json::{Value, json};

pub const ACTIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "ListUserPools",
    "UpdateUserPool",
    "DeleteUserPool",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "ListUserPoolClients",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "CreateUserPoolDomain",
    "DescribeUserPoolDomain",
    "DeleteUserPoolDomain",
    "CreateResourceServer",
    "DescribeResourceServer",
    "UpdateResourceServer",
    "ListResourceServers",
    "DeleteResourceServer",
];

pub async fn run(svc: &Services, action: &str, i: &Value) -> ApiResult {
    let pool_id = s(i, "UserPoolId");
    Ok(match action {
        "CreateUserPool" => {
            let pool = svc.create_pool(i).await?;
            json!({"UserPool": svc.describe_pool(&pool).await?})
        }
        "DescribeUserPool" => {
            let pool = svc.pool(pool_id).await?;
            json!({"UserPool": svc.describe_pool(&pool).await?})
        }
        "ListUserPools" => {
            let (pools, next) = svc.list_pools(limit(i, "MaxResults", 60), i["NextToken"].as_str()).await?;
            let list: Vec<Value> = pools
                .iter()
                .map(|p| {
                    json!({"Id": p.id, "Name": p.name, "LambdaConfig": p.config["LambdaConfig"],
                           "LastModifiedDate": p.updated_at, "CreationDate": p.created_at})
                })
                .collect();
            with_token(json!({"UserPools": list}), "NextToken", next)
        }
        "UpdateUserPool" => {
            svc.update_pool(pool_id, i).await?;
            json!({})
        }
        "DeleteUserPool" => {
            svc.delete_pool(pool_id).await?;
            json!({})
        }
        "CreateUserPoolClient" => {
            let c = svc.create_client(pool_id, &client_shapes::new_client(i)).await?;
            json!({"UserPoolClient": client_shapes::user_pool_client(&c)})
        }
        "DescribeUserPoolClient" => {
            let c = svc.client(pool_id, s(i, "ClientId")).await?;
            json!({"UserPoolClient": client_shapes::user_pool_client(&c)})
        }
        "ListUserPoolClients" => {
            let (rows, next) = svc.list_clients(pool_id, limit(i, "MaxResults", 60), i["NextToken"].as_str()).await?;
            let list: Vec<Value> =
                rows.iter().map(|c| json!({"ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name})).collect();
            with_token(json!({"UserPoolClients": list}), "NextToken", next)
        }
        "UpdateUserPoolClient" => {
            let definition = client_shapes::client_definition(i);
            let c = svc.update_client(pool_id, s(i, "ClientId"), i["ClientName"].as_str(), &definition).await?;
            json!({"UserPoolClient": client_shapes::user_pool_client(&c)})
        }
        "DeleteUserPoolClient" => {
            svc.delete_client(pool_id, s(i, "ClientId")).await?;
            json!({})
        }
        "CreateUserPoolDomain" => svc.create_domain(pool_id, i).await?,
        "DescribeUserPoolDomain" => {
            json!({"DomainDescription": svc.describe_domain(s(i, "Domain")).await?})
        }
        "DeleteUserPoolDomain" => {
            svc.delete_domain(pool_id, s(i, "Domain")).await?;
            json!({})
        }
        "CreateResourceServer" => {
            json!({"ResourceServer": svc.resource_server_type(&svc.create_resource_server(pool_id, i).await?)})
        }
        "DescribeResourceServer" => {
            json!({"ResourceServer": svc.resource_server_type(&svc.resource_server(pool_id, s(i, "Identifier")).await?)})
        }
        "UpdateResourceServer" => {
            json!({"ResourceServer": svc.resource_server_type(&svc.update_resource_server(pool_id, i).await?)})
        }
        "ListResourceServers" => {
            svc.pool(pool_id).await?;
            let max = limit(i, "MaxResults", 50).min(50);
            let (rows, next) = crate::store::page(
                svc.store
                    .list_resource_servers(pool_id, max + 1, i["NextToken"].as_str())
                    .await
                    .map_err(crate::userpool::error::Error::from)?,
                max,
                |r| r.identifier.clone(),
            );
            let list: Vec<Value> = rows.iter().map(|r| svc.resource_server_type(r)).collect();
            with_token(json!({"ResourceServers": list}), "NextToken", next)
        }
        "DeleteResourceServer" => {
            svc.delete_resource_server(pool_id, s(i, "Identifier")).await?;
            json!({})
        }
        _ => return Err(super::unsupported(action)),
    })
}

pub(crate) fn with_token(mut v: Value, field: &str, token: Option<String>) -> Value {
    if let Some(t) = token {
        v[field] = json!(t);
    }
    v
}
