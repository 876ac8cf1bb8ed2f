//! Federation: signing in through upstream identity providers (Google, Facebook, any OpenID
//! Connect provider), as Cognito's `/oauth2/idpresponse` does.

pub mod providers;
