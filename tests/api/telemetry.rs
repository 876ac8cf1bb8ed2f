//! OpenTelemetry export, seen by a collector: the `portcullis` binary started with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP receiver this test runs sends the request
//! spans (JSON), under the service name `portcullis`, with the request's route and status and
//! the same request id the answer carried; nothing is sent without the variable.

use crate::helpers::*;
use crate::tls::serve_with;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A span as received: its name, attributes (key → value as text) and resource service name.
#[derive(Debug)]
struct Span {
    name: String,
    attrs: Vec<(String, String)>,
    service: String,
}

/// An OTLP/HTTP receiver: every body posted to /v1/traces, parsed.
struct Collector {
    port: u16,
    received: Arc<Mutex<Vec<Value>>>,
    server: actix_web::dev::ServerHandle,
}

impl Collector {
    async fn start() -> Collector {
        portcullis::federation::install_crypto_provider();
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = received.clone();
        let server = HttpServer::new(move || {
            let sink = sink.clone();
            App::new().route(
                "/v1/traces",
                web::post().to(move |body: web::Bytes| {
                    let sink = sink.clone();
                    async move {
                        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        sink.lock().unwrap().push(v);
                        HttpResponse::Ok().content_type("application/json").body("{}")
                    }
                }),
            )
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind the collector");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Collector { port, received, server: handle }
    }

    /// Every span received so far.
    fn spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        for body in self.received.lock().unwrap().iter() {
            for rs in body["resourceSpans"].as_array().into_iter().flatten() {
                let service = rs["resource"]["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["key"] == "service.name")
                    .and_then(|a| a["value"]["stringValue"].as_str())
                    .unwrap_or_default()
                    .to_string();
                for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                    for span in ss["spans"].as_array().into_iter().flatten() {
                        let attrs = span["attributes"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|a| {
                                let v = &a["value"];
                                let text = v["stringValue"]
                                    .as_str()
                                    .map(str::to_string)
                                    .or_else(|| v["intValue"].as_str().map(str::to_string))
                                    .or_else(|| v["intValue"].as_i64().map(|n| n.to_string()))
                                    .unwrap_or_default();
                                (a["key"].as_str().unwrap_or_default().to_string(), text)
                            })
                            .collect();
                        let name = span["name"].as_str().unwrap_or_default().to_string();
                        out.push(Span { name, attrs, service: service.clone() });
                    }
                }
            }
        }
        out
    }
}

#[tokio::test]
async fn request_spans_reach_an_otlp_collector_with_the_request_id() {
    let collector = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let endpoint = format!("http://127.0.0.1:{}", collector.port);
    let (server, port) = serve_with(
        dir.path(),
        &database.url,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "200")],
    );
    let http = reqwest::Client::new();
    let r = http.get(format!("http://127.0.0.1:{port}/health/ready")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-amzn-requestid"].to_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(20);
    let span = loop {
        let found = collector
            .spans()
            .into_iter()
            .find(|s| s.name == "request" && s.attrs.iter().any(|(k, v)| k == "request_id" && v == &id));
        if let Some(s) = found {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no span for request {id} reached the collector; got {:?}\n{}",
            collector.spans(),
            server.output.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(span.service, "portcullis", "the service name");
    assert!(span.attrs.iter().any(|(k, v)| k == "method" && v == "GET"), "{:?}", span.attrs);
    drop(server);
    collector.server.stop(false).await;
}

#[tokio::test]
async fn nothing_is_exported_without_the_variable() {
    let collector = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    // The collector listens, but nothing names it: OTEL_* variables are removed by serve_with.
    let (server, port) = serve_with(dir.path(), &database.url, &[("OTEL_BSP_SCHEDULE_DELAY", "100")]);
    let r = reqwest::get(format!("http://127.0.0.1:{port}/health/ready")).await.unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(collector.received.lock().unwrap().is_empty());
    drop(server);
    collector.server.stop(false).await;
}
