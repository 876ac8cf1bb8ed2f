//! Tokens: per-pool RS256 signing keys with a lifecycle ([`keys`]), JWT minting and
//! verification ([`jwt`]), and the claims of Cognito's ID and access tokens ([`claims`]).

pub mod claims;
pub mod issue;
pub mod jwt;
pub mod keys;
