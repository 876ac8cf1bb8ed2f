//! Optional OpenTelemetry export: when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the tracing spans (a request with its request
//! id, route and status, an API action with its pool and client) are sent as OTLP over HTTP
//! (JSON) in batches, beside the log. The exporter reads the standard `OTEL_*` variables itself
//! (headers, timeout); the service name is `portcullis` unless `OTEL_SERVICE_NAME` says otherwise.
//! Spans carry what the log lines carry, so never a secret.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

/// The exporter, while it runs: flush it with [`Telemetry::shutdown`] before the process ends.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

/// Whether the environment asks for export.
pub fn requested() -> bool {
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
}

impl Telemetry {
    /// Build the exporter (on a thread of its own: its HTTP client is a blocking one, which must
    /// not be made or dropped on an async runtime's thread) and the tracing layer that feeds it.
    pub fn start<S>() -> anyhow::Result<(Telemetry, impl tracing_subscriber::Layer<S>)>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        crate::federation::install_crypto_provider();
        let provider = std::thread::spawn(|| -> anyhow::Result<SdkTracerProvider> {
            let exporter =
                opentelemetry_otlp::SpanExporter::builder().with_http().with_protocol(Protocol::HttpJson).build()?;
            let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "portcullis".into());
            let resource = Resource::builder().with_service_name(service).build();
            Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the OpenTelemetry exporter could not be built"))??;
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("portcullis"));
        Ok((Telemetry { provider }, layer))
    }

    /// Send what is still batched and stop (off the async runtime, for the same reason).
    pub fn shutdown(self) {
        let provider = self.provider;
        let _ = std::thread::spawn(move || provider.shutdown()).join();
    }
}
