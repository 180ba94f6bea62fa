//! AzureBlobStore against a real Azurite (installed with npm on demand).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use omega_audit::{AuditConfig, AuditLog, AzureBlobStore, BlobError, BlobStore, verify};

use crate::event;

/// A running Azurite blob service, killed on drop.
struct Azurite {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn azurite_bin() -> PathBuf {
    let prefix = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target/azurite");
    let bin = prefix.join("node_modules/.bin/azurite-blob");
    if let Ok(bin) = bin.canonicalize() {
        return bin;
    }
    let npm = Command::new("npm").arg("--version").output();
    assert!(
        npm.is_ok_and(|o| o.status.success()),
        "Azurite is not installed and npm is missing: install Node.js 18+ and npm \
         (e.g. `apt-get install nodejs npm`), or run `npm install --prefix {} azurite`",
        prefix.display()
    );
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg("azurite")
        .status()
        .expect("run npm");
    assert!(
        status.success(),
        "`npm install --prefix {} azurite` failed",
        prefix.display()
    );
    bin.canonicalize().expect("npm installed azurite-blob")
}

fn start() -> Azurite {
    let bin = azurite_bin();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(&bin)
        .args([
            "--silent",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
        ])
        .arg(port.to_string())
        .arg("--location")
        .arg(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
    let mut azurite = Azurite {
        child,
        port,
        _data: data,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = azurite.child.try_wait() {
            panic!("Azurite exited with {status} before listening (see its stderr above)");
        }
        assert!(
            Instant::now() < deadline,
            "Azurite did not listen on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    azurite
}

#[tokio::test]
async fn azure_blob_store_against_azurite() {
    let azurite = start();
    let endpoint = format!("http://127.0.0.1:{}/devstoreaccount1", azurite.port);
    let store = AzureBlobStore::azurite(&endpoint, "audit").unwrap();
    store.create_container().await.unwrap();
    store.create_container().await.unwrap(); // idempotent

    store
        .put("segments/b", Bytes::from_static(b"two"))
        .await
        .unwrap();
    store
        .put("segments/a", Bytes::from_static(b"one"))
        .await
        .unwrap();
    store
        .put("other/x", Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .put("segments/a", Bytes::from_static(b"changed"))
            .await,
        Err(BlobError::AlreadyExists { .. })
    ));
    assert_eq!(&store.get("segments/a").await.unwrap()[..], b"one");
    assert!(matches!(
        store.get("segments/zz").await,
        Err(BlobError::NotFound { .. })
    ));
    assert_eq!(
        store.list("segments/").await.unwrap(),
        ["segments/a", "segments/b"]
    );

    // A wrong key is refused by the service.
    let bad = AzureBlobStore::new(&endpoint, "devstoreaccount1", "AAAA", "audit").unwrap();
    assert!(matches!(
        bad.get("segments/a").await,
        Err(BlobError::Http { status: 403, .. })
    ));

    // The audit log end to end on Azurite, including list pagination-free verify.
    let store = Arc::new(AzureBlobStore::azurite(&endpoint, "audit-log").unwrap());
    store.create_container().await.unwrap();
    let wal = tempfile::tempdir().unwrap();
    let mut cfg = AuditConfig::new(wal.path());
    cfg.segment_max_records = 4;
    let log = AuditLog::open(store.clone(), cfg.clone()).await.unwrap();
    for i in 1..=10 {
        log.append(event(i)).unwrap();
    }
    assert_eq!(log.seal().await.unwrap(), 3);
    let report = verify(store.as_ref()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.segments, report.records), (3, 10));
    drop(log);
    let log = AuditLog::open(store.clone(), cfg).await.unwrap();
    assert_eq!(log.append(event(11)).unwrap(), 11);
}
