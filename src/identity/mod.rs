//! Identity pools (Cognito Federated Identities, reference §5): the logins an identity pool
//! accepts and how each is validated ([`logins`]), and the pool's own OpenID token issuer
//! `{PUBLIC_URL}/identity` with its discovery and keys ([`tokens`], [`routes`]).

pub mod logins;
pub mod routes;
pub mod tokens;
