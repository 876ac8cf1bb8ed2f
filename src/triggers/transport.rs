//! Sending one event to a function and reading its answer, by either route:
//!
//! - **Lambda**: the AWS Lambda Invoke API at the configured endpoint,
//!   `POST {endpoint}/2015-03-31/functions/{name}/invocations[?Qualifier=…]`, SigV4-signed
//!   (service `lambda`, the ARN's region) when credentials are configured. A function error is a
//!   200 with `X-Amz-Function-Error` and `{"errorMessage","errorType"}`.
//! - **Webhook**: the URL the `[triggers]` table routes the ARN to, signed per the Standard
//!   Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 of
//!   HMAC-SHA256("{id}.{timestamp}.{body}")>`). A function error there is a 4xx answer whose
//!   JSON body has `errorMessage`.
//!
//! Either way the answer is the event with `response` filled in.

use super::TriggerError;
use super::arn::FunctionArn;
use crate::config::TriggerConfig;
use crate::crypto::sigv4::Signer;
use base64::Engine;
use serde_json::Value;

/// The largest answer read (Lambda's own limit on a synchronous response is 6 MB).
pub const MAX_ANSWER: usize = 6 * 1024 * 1024;

/// Where an ARN's events go.
pub enum Route<'a> {
    Lambda { endpoint: &'a str, function: FunctionArn },
    Webhook { url: &'a str, key: Vec<u8> },
}

/// The route for `arn`: a webhook when the table names it, the Invoke API otherwise.
pub fn route<'a>(config: &'a TriggerConfig, arn: &str) -> Result<Route<'a>, TriggerError> {
    if let Some(url) = config.webhooks.get(arn) {
        let key = config.webhook_key().ok_or_else(|| TriggerError::Unexpected("no webhook secret".into()))?;
        return Ok(Route::Webhook { url, key });
    }
    let function = FunctionArn::parse(arn).ok_or_else(|| TriggerError::Unexpected("invalid function ARN".into()))?;
    let endpoint = config
        .lambda_endpoint
        .as_deref()
        .ok_or_else(|| TriggerError::Unexpected("no Lambda endpoint is configured".into()))?;
    Ok(Route::Lambda { endpoint, function })
}

/// The Standard Webhooks signature of `body` sent as message `id` at `timestamp`.
pub fn webhook_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    let mac = crate::crypto::hmac_sha256(key, &content);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac))
}

/// Send `body` by `route` at `now` (epoch seconds); the answer's JSON.
pub async fn send(
    http: &reqwest::Client,
    config: &TriggerConfig,
    route: &Route<'_>,
    body: Vec<u8>,
    now: i64,
) -> Result<Value, TriggerError> {
    let request = match route {
        Route::Lambda { endpoint, function } => {
            let mut url = format!("{endpoint}/2015-03-31/functions/{}/invocations", function.name);
            if let Some(q) = &function.qualifier {
                url.push_str("?Qualifier=");
                url.push_str(&url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
            }
            let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
            if let (Some(id), Some(secret)) = (&config.lambda_access_key_id, &config.lambda_secret_access_key) {
                let host = url::Url::parse(&url).ok().and_then(|u| {
                    let host = u.host_str()?.to_string();
                    Some(u.port().map(|p| format!("{host}:{p}")).unwrap_or(host))
                });
                let host = host.ok_or_else(|| TriggerError::Unexpected("invalid Lambda endpoint".into()))?;
                let signer = Signer {
                    access_key_id: id,
                    secret: secret.expose(),
                    session_token: None,
                    region: &function.region,
                    service: "lambda",
                    time: now,
                };
                let mut signed_headers = headers.clone();
                signed_headers.push(("host".into(), host));
                let h = signed_headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let signed = signer.sign("POST", &url, h, &body, false).map_err(TriggerError::Unexpected)?;
                headers.extend(signed.headers);
            }
            let mut r = http.post(url);
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r
        }
        Route::Webhook { url, key } => {
            let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            let signature = webhook_signature(key, &id, now, &body);
            http.post(*url)
                .header("content-type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", now.to_string())
                .header("webhook-signature", signature)
        }
    };
    let mut answer = request.body(body).send().await.map_err(|e| match e.is_connect() {
        true => TriggerError::Unavailable(failure(&e)),
        false => TriggerError::Unexpected(failure(&e)),
    })?;
    let status = answer.status();
    let function_error = answer.headers().contains_key("x-amz-function-error");
    // Read at most MAX_ANSWER bytes: a larger answer is no event.
    let mut bytes = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|e| TriggerError::Unexpected(failure(&e)))? {
        if bytes.len() + chunk.len() > MAX_ANSWER {
            return Err(TriggerError::InvalidResponse);
        }
        bytes.extend_from_slice(&chunk);
    }
    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
    let error_message = || {
        let m = parsed.as_ref().and_then(|v| v.get("errorMessage")).and_then(Value::as_str);
        m.unwrap_or_default().to_string()
    };
    let webhook = matches!(route, Route::Webhook { .. });
    if status.is_success() && function_error {
        return Err(TriggerError::Refused(error_message()));
    }
    if webhook && status.is_client_error() && parsed.as_ref().is_some_and(|v| v.get("errorMessage").is_some()) {
        return Err(TriggerError::Refused(error_message()));
    }
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(TriggerError::Unavailable(format!("status {}", status.as_u16())));
    }
    if !status.is_success() {
        return Err(TriggerError::Unexpected(format!("status {}", status.as_u16())));
    }
    parsed.ok_or(TriggerError::InvalidResponse)
}

/// What a call that ran out of time says.
pub const TIMED_OUT: &str = "Socket timeout while invoking Lambda function";

/// Why a call failed, in words fit for an error message (never the URL).
fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        TIMED_OUT.into()
    } else if e.is_connect() {
        "Connection refused while invoking Lambda function".into()
    } else {
        "Error while invoking Lambda function".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_as_the_standard_webhooks_example() {
        let key = base64::engine::general_purpose::STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            webhook_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
