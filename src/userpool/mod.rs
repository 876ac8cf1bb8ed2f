//! User pools: the rules. Pools and their settings, app clients, users and attributes, groups,
//! domains and resource servers, passwords, and the sign-in engine that both the hosted pages
//! and the JSON API drive.

pub mod attributes;
pub mod auth;
pub mod clients;
pub mod error;
pub mod groups;
pub mod model;
pub mod password;
pub mod pools;
pub mod resources;
pub mod sessions;
pub mod users;
