//! The HTTP client of the OTLP exporter.
//!
//! The SDK's batch processor exports from its own thread, where no tokio
//! runtime runs, but hyper needs one. This client spawns each request onto
//! the runtime it was created in and waits for it from wherever the
//! exporter runs. Plain HTTP only; no TLS stack is linked for export.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry_http::{HttpClient, HttpError, hyper::HyperClient};

/// An OTLP HTTP client bound to a tokio runtime.
#[derive(Debug, Clone)]
pub struct RuntimeHttpClient {
    handle: tokio::runtime::Handle,
    inner: HyperClient,
}

impl RuntimeHttpClient {
    /// A client sending on `handle`'s runtime with a per-request `timeout`.
    pub fn new(handle: tokio::runtime::Handle, timeout: Duration) -> Self {
        Self {
            handle,
            inner: HyperClient::with_default_connector(timeout, None),
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for RuntimeHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let inner = self.inner.clone();
        self.handle
            .spawn(async move { inner.send_bytes(request).await })
            .await
            .map_err(|e| -> HttpError { Box::new(e) })?
    }
}
