//! AWS Signature Version 4 verification for the management API. The request is rebuilt from
//! exactly the headers the client signed and re-signed with the stored secret through the
//! `aws-sigv4` crate; signatures are compared in constant time. The signing key is derived from
//! the region and service named in the request's credential scope, so clients configured for any
//! region work. Requests more than 15 minutes off the server clock are refused.

use crate::crypto::constant_time_eq;
use crate::crypto::sigv4::Signer;
use std::time::{SystemTime, UNIX_EPOCH};

pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// AWS's answer to a signature that does not cover the `Host` header.
pub const HOST_NOT_SIGNED: &str = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, PartialEq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

#[derive(Debug, PartialEq)]
pub enum SigError {
    /// No Authorization header.
    Missing,
    /// Present but not a parsable SigV4 header.
    Malformed(String),
    /// Outside the allowed clock skew.
    Expired(String),
    /// The signature does not match.
    Mismatch,
}

pub fn parse_authorization(h: &str) -> Result<Authorization, SigError> {
    let bad = |m: &str| SigError::Malformed(m.to_string());
    let rest = h.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| bad("Unsupported authorization type"))?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            cred = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            sig = Some(v);
        }
    }
    let (cred, signed, sig) = match (cred, signed, sig) {
        (Some(c), Some(s), Some(g)) => (c, s, g),
        _ => {
            return Err(bad("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."));
        }
    };
    let c: Vec<&str> = cred.split('/').collect();
    if c.len() != 5 || c[4] != "aws4_request" || c[0].is_empty() {
        return Err(bad("Credential should be scoped to a valid region."));
    }
    let signed_headers: Vec<String> = signed.split(';').map(|s| s.to_ascii_lowercase()).collect();
    // The signature must bind the request to this server, as AWS insists; it is also what the
    // signer needs to rebuild the canonical request (it has no authority to fall back on).
    if !signed_headers.iter().any(|h| h == "host" || h == ":authority") {
        return Err(bad(HOST_NOT_SIGNED));
    }
    Ok(Authorization {
        access_key_id: c[0].to_string(),
        date: c[1].to_string(),
        region: c[2].to_string(),
        service: c[3].to_string(),
        signed_headers,
        signature: sig.to_ascii_lowercase(),
    })
}

/// Parse `X-Amz-Date` (`20260102T030405Z`) to epoch seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    // Bytes, not string slices: a header may hold multibyte characters (no char boundary at 8).
    let b = s.as_bytes();
    let digits = b.iter().enumerate().all(|(i, c)| i == 8 || i == 15 || c.is_ascii_digit());
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se)
}

pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query exactly as received.
    pub uri: &'a str,
    /// Every header of the request (lower-case names).
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// Verify the signature of `req` made with `secret`. `now` is the server clock (epoch seconds).
pub fn verify(
    req: &Request,
    auth: &Authorization,
    secret: &str,
    session_token: Option<&str>,
    now: i64,
) -> Result<(), SigError> {
    let amz_date = req
        .headers
        .iter()
        .find(|(k, _)| k == "x-amz-date")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| SigError::Malformed("Missing X-Amz-Date header".into()))?;
    let t = parse_amz_date(amz_date).ok_or_else(|| SigError::Malformed("Invalid X-Amz-Date".into()))?;
    if (now - t).abs() > MAX_SKEW_SECS {
        return Err(SigError::Expired(format!(
            "Signature expired: {amz_date} is now earlier than the allowed window of {} minutes around the server time.",
            MAX_SKEW_SECS / 60
        )));
    }
    if !auth.date.is_empty() && !amz_date.starts_with(&auth.date) {
        return Err(SigError::Mismatch);
    }
    let signed: Vec<(&str, &str)> = auth
        .signed_headers
        .iter()
        .filter(|h| h.as_str() != "x-amz-date")
        .filter_map(|h| req.headers.iter().find(|(k, _)| k == h).map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    let wanted = auth.signed_headers.iter().filter(|h| h.as_str() != "x-amz-date").count();
    if signed.len() != wanted {
        return Err(SigError::Mismatch);
    }
    // Without a signed Host the signer would look for the URI's authority, which a server-side
    // request line does not have (aws-sigv4 panics then).
    if !signed.iter().any(|(k, _)| *k == "host") {
        return Err(SigError::Malformed(HOST_NOT_SIGNED.into()));
    }
    let signer = Signer {
        access_key_id: &auth.access_key_id,
        secret,
        session_token,
        region: &auth.region,
        service: &auth.service,
        time: t,
    };
    let out = signer.sign(req.method, req.uri, signed.into_iter(), req.body, true).map_err(SigError::Malformed)?;
    if constant_time_eq(out.signature.as_bytes(), auth.signature.as_bytes()) { Ok(()) } else { Err(SigError::Mismatch) }
}

/// Current time for callers without a clock (tests).
pub fn system_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_authorization_header() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
        assert!(parse_authorization("Basic xyz").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=h, Signature=s").is_err());
    }

    /// A signature that does not cover `host` is refused as AWS refuses it, before any key
    /// lookup; it used to reach the signer, which panicked for want of an authority.
    #[test]
    fn refuses_signatures_without_host() {
        let header = |signed: &str| {
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders={signed}, Signature=abc"
            )
        };
        for signed in ["x-amz-date", "content-type;x-amz-date", "", "hostx;x-amz-date"] {
            assert_eq!(
                parse_authorization(&header(signed)),
                Err(SigError::Malformed(HOST_NOT_SIGNED.into())),
                "SignedHeaders={signed}"
            );
        }
        assert!(parse_authorization(&header("Host;X-Amz-Date")).is_ok());
        // `verify` itself never hands the signer a request without a signed host either.
        let auth = Authorization {
            access_key_id: "AKIDEXAMPLE".into(),
            date: "20150830".into(),
            region: "us-east-1".into(),
            service: "service".into(),
            signed_headers: vec!["x-amz-date".into()],
            signature: "abc".into(),
        };
        let req = Request {
            method: "GET",
            uri: "/",
            headers: vec![("x-amz-date".into(), "20150830T123600Z".into())],
            body: b"",
        };
        assert_eq!(verify(&req, &auth, "s", None, 1440938160), Err(SigError::Malformed(HOST_NOT_SIGNED.into())));
    }

    #[test]
    fn parses_amz_dates() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1440938160));
        assert_eq!(parse_amz_date("2015-08-30"), None);
        // Sixteen bytes whose ninth is inside a multibyte character: no panic, no date.
        assert_eq!(parse_amz_date("2015083é123600Z"), None);
        assert_eq!(parse_amz_date("20150830Té23600"), None);
        assert_eq!(parse_amz_date("éééééééTZ"), None);
        assert_eq!(parse_amz_date("20150830T1236+0Z"), None);
    }

    /// AWS's published SigV4 test vector "get-vanilla".
    #[test]
    fn verifies_the_aws_get_vanilla_vector() {
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        let req = Request {
            method: "GET",
            uri: "/",
            headers: vec![
                ("host".into(), "example.amazonaws.com".into()),
                ("x-amz-date".into(), "20150830T123600Z".into()),
            ],
            body: b"",
        };
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let t = 1440938160;
        assert_eq!(verify(&req, &auth, secret, None, t), Ok(()));
        assert_eq!(verify(&req, &auth, "wrong", None, t), Err(SigError::Mismatch));
        assert!(matches!(verify(&req, &auth, secret, None, t + 16 * 60), Err(SigError::Expired(_))));
        let tampered = Request {
            headers: vec![("host".into(), "evil.example".into()), ("x-amz-date".into(), "20150830T123600Z".into())],
            ..req
        };
        assert_eq!(verify(&tampered, &auth, secret, None, t), Err(SigError::Mismatch));
    }
}
