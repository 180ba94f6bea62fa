//! [`AzureBlobStore`]: Azure Blob Storage over its REST API with Shared Key
//! authorization (Put Blob, Get Blob, List Blobs, Create Container).
//!
//! Speaks plain HTTP, which is what the Azurite emulator serves; production
//! storage accounts need HTTPS, which this client does not do yet (put a TLS
//! connector in front or use a private endpoint with a TLS-terminating proxy).
//!
//! Write-once: `put` sends `If-None-Match: *`, so the service refuses to
//! replace an existing blob (409 `BlobAlreadyExists`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;

use super::{BlobError, BlobStore, BoxFuture, validate_name};

/// The Azurite development account name.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// The Azurite development account key (public, documented by Microsoft).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// The REST API version sent in `x-ms-version`.
pub const API_VERSION: &str = "2021-08-06";

/// A container in an Azure storage account (or Azurite).
pub struct AzureBlobStore {
    /// `http://host:port/account` (path-style, as Azurite serves it) without a trailing `/`.
    endpoint: String,
    /// The path part of `endpoint` (`/devstoreaccount1`, or empty for host-style).
    base_path: String,
    account: String,
    key: Vec<u8>,
    container: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for AzureBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureBlobStore")
            .field("endpoint", &self.endpoint)
            .field("container", &self.container)
            .finish_non_exhaustive()
    }
}

fn transport(operation: &str) -> impl FnOnce(String) -> BlobError + '_ {
    move |message| BlobError::Transport {
        operation: operation.to_owned(),
        message,
    }
}

impl AzureBlobStore {
    /// A store for `container` at `endpoint` (e.g. `http://127.0.0.1:10000/devstoreaccount1`),
    /// signing with `account` and its base64 `key`.
    pub fn new(
        endpoint: &str,
        account: &str,
        key_base64: &str,
        container: &str,
    ) -> Result<Self, BlobError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let uri: http::Uri = endpoint.parse().map_err(|e| BlobError::Transport {
            operation: "configure".into(),
            message: format!("endpoint `{endpoint}` is not a URL: {e}"),
        })?;
        if uri.scheme_str() != Some("http") {
            return Err(BlobError::Transport {
                operation: "configure".into(),
                message: format!(
                    "endpoint `{endpoint}` must be http:// (HTTPS is not supported by this client yet)"
                ),
            });
        }
        let key = B64.decode(key_base64).map_err(|e| BlobError::Transport {
            operation: "configure".into(),
            message: format!("the account key is not base64: {e}"),
        })?;
        let container_ok = (3..=63).contains(&container.len())
            && container
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !container_ok {
            return Err(BlobError::InvalidName {
                name: container.to_owned(),
            });
        }
        Ok(Self {
            base_path: uri.path().trim_end_matches('/').to_owned(),
            endpoint,
            account: account.to_owned(),
            key,
            container: container.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// A store for `container` on Azurite at `endpoint` with the well-known dev account.
    pub fn azurite(endpoint: &str, container: &str) -> Result<Self, BlobError> {
        Self::new(endpoint, AZURITE_ACCOUNT, AZURITE_KEY, container)
    }

    /// Creates the container; succeeds if it already exists.
    pub async fn create_container(&self) -> Result<(), BlobError> {
        let (status, body) = self
            .send(
                Method::PUT,
                &format!("/{}", self.container),
                &[("restype", "container")],
                &[],
                Bytes::new(),
            )
            .await?;
        match status {
            StatusCode::CREATED | StatusCode::CONFLICT => Ok(()),
            s => Err(http_error("create container", s, &body)),
        }
    }

    /// Signs and sends one request; returns status and body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), BlobError> {
        let op = format!("{method} {path}");
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut ms_headers: Vec<(String, String)> = vec![
            ("x-ms-date".into(), date),
            ("x-ms-version".into(), API_VERSION.into()),
        ];
        let mut std_headers: Vec<(&str, &str)> = Vec::new();
        for (k, v) in headers {
            if k.starts_with("x-ms-") {
                ms_headers.push(((*k).to_owned(), (*v).to_owned()));
            } else {
                std_headers.push((k, v));
            }
        }
        ms_headers.sort();
        let std = |name: &str| {
            std_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map_or("", |(_, v)| *v)
        };
        let length = if body.is_empty() {
            String::new()
        } else {
            body.len().to_string()
        };
        let full_path = format!("{}{}", self.base_path, path);
        let mut to_sign = format!(
            "{method}\n\n\n{length}\n\n{}\n\n\n\n{}\n\n\n",
            std("content-type"),
            std("if-none-match"),
        );
        for (k, v) in &ms_headers {
            to_sign.push_str(&format!("{k}:{v}\n"));
        }
        to_sign.push_str(&format!("/{}{}", self.account, full_path));
        let mut sorted_query: Vec<&(&str, &str)> = query.iter().collect();
        sorted_query.sort();
        for (k, v) in &sorted_query {
            to_sign.push_str(&format!("\n{}:{}", k.to_ascii_lowercase(), v));
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(to_sign.as_bytes());
        let signature = B64.encode(mac.finalize().into_bytes());

        let query_string: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let mut uri = format!("{}{}", self.endpoint, path);
        if !query_string.is_empty() {
            uri.push('?');
            uri.push_str(&query_string.join("&"));
        }
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in &ms_headers {
            req = req.header(k.as_str(), v.as_str());
        }
        for (k, v) in &std_headers {
            req = req.header(*k, *v);
        }
        req = req.header("content-length", body.len()).header(
            "authorization",
            format!("SharedKey {}:{signature}", self.account),
        );
        let req = req
            .body(Full::new(body))
            .map_err(|e| transport(&op)(e.to_string()))?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| transport(&op)(format!("{e:?}")))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(&op)(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    }

    fn blob_path(&self, name: &str) -> String {
        format!("/{}/{}", self.container, name)
    }
}

fn http_error(operation: &str, status: StatusCode, body: &[u8]) -> BlobError {
    let text = String::from_utf8_lossy(body);
    let message = xml_values(&text, "Code")
        .into_iter()
        .next()
        .unwrap_or_else(|| text.chars().take(200).collect());
    BlobError::Http {
        operation: operation.to_owned(),
        status: status.as_u16(),
        message,
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of every `<tag>…</tag>` element, entity-decoded.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(
            rest[..j]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &rest[j + close.len()..];
    }
    out
}

impl BlobStore for AzureBlobStore {
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<(), BlobError>> {
        Box::pin(async move {
            validate_name(name)?;
            let headers = [
                ("x-ms-blob-type", "BlockBlob"),
                ("content-type", "application/x-ndjson"),
                ("if-none-match", "*"),
            ];
            let (status, body) = self
                .send(Method::PUT, &self.blob_path(name), &[], &headers, bytes)
                .await?;
            match status {
                StatusCode::CREATED => Ok(()),
                StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED => {
                    Err(BlobError::AlreadyExists {
                        name: name.to_owned(),
                    })
                }
                s => Err(http_error("put blob", s, &body)),
            }
        })
    }

    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Bytes, BlobError>> {
        Box::pin(async move {
            validate_name(name)?;
            let (status, body) = self
                .send(Method::GET, &self.blob_path(name), &[], &[], Bytes::new())
                .await?;
            match status {
                StatusCode::OK => Ok(body),
                StatusCode::NOT_FOUND => Err(BlobError::NotFound {
                    name: name.to_owned(),
                }),
                s => Err(http_error("get blob", s, &body)),
            }
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, BlobError>> {
        Box::pin(async move {
            let mut names = Vec::new();
            let mut marker = String::new();
            loop {
                let mut query = vec![("comp", "list"), ("restype", "container")];
                if !prefix.is_empty() {
                    query.push(("prefix", prefix));
                }
                if !marker.is_empty() {
                    query.push(("marker", marker.as_str()));
                }
                let path = format!("/{}", self.container);
                let (status, body) = self
                    .send(Method::GET, &path, &query, &[], Bytes::new())
                    .await?;
                if status != StatusCode::OK {
                    return Err(http_error("list blobs", status, &body));
                }
                let xml = String::from_utf8_lossy(&body);
                names.extend(xml_values(&xml, "Name"));
                marker = xml_values(&xml, "NextMarker")
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                if marker.is_empty() {
                    break;
                }
            }
            names.sort();
            Ok(names)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_and_encoding_helpers() {
        let xml = "<EnumerationResults><Blobs><Blob><Name>segments/a&amp;b</Name></Blob>\
                   <Blob><Name>segments/c</Name></Blob></Blobs><NextMarker /></EnumerationResults>";
        assert_eq!(xml_values(xml, "Name"), ["segments/a&b", "segments/c"]);
        assert!(xml_values(xml, "NextMarker").is_empty());
        assert_eq!(percent_encode("segments/x y"), "segments%2Fx%20y");
    }

    #[test]
    fn refuses_bad_configuration() {
        assert!(AzureBlobStore::azurite("https://x.blob.core.windows.net", "audit").is_err());
        assert!(
            AzureBlobStore::azurite("http://127.0.0.1:1/devstoreaccount1", "Bad_Name").is_err()
        );
        assert!(AzureBlobStore::new("http://127.0.0.1:1/a", "a", "not base64!", "audit").is_err());
    }
}
