//! The OAuth 2.0 rules, once each, for every surface that needs them: the authorization
//! request (validated and completed, [`request`]), scope narrowing ([`scopes`]), and the token
//! endpoint's grants with client authentication, code redemption (PKCE, redirect URI, atomic
//! consumption, replay revocation) and client credentials ([`grants`]). No HTTP here: the
//! `oauth` endpoints and the hosted pages parse requests and render what these return.

pub mod grants;
pub mod request;
pub mod scopes;
