//! User pools: the rules. Pools and their settings, app clients, users and attributes, groups,
//! domains and resource servers, upstream identity providers and the identities linked to users,
//! hosted-UI branding, passwords, sign-up and recovery with mailed codes, and the sign-in engine
//! that both the hosted pages and the JSON API drive.

pub mod attributes;
pub mod auth;
pub mod branding;
pub mod client_definition;
pub mod clients;
pub mod codes;
pub mod css;
pub mod error;
pub mod groups;
pub mod identity_providers;
pub mod linked_identities;
pub mod lockout;
pub mod messages;
pub mod mfa;
pub mod model;
pub mod password;
pub mod pools;
pub mod recovery;
pub mod resources;
pub mod sessions;
pub mod signup;
pub mod step;
pub mod throttle;
pub mod users;
