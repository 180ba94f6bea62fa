//! The files of a fresh start are private: what `Backends::open` and the
//! ingest and dashboard roles create in the data directory (the embedded
//! store, the queue, the pseudonym and dashboard keys, the dashboard token),
//! opened the same way here in a temporary directory.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use omega_config::TeamsConfig;
use omega_pipeline::{PipelineConfig, load_or_create_key, load_or_create_secret, open_queue};
use omega_store::{EmbeddedStore, files};

/// The permission bits of `path`, in octal (`"600"`).
fn mode(path: &Path) -> String {
    let meta = std::fs::symlink_metadata(path).unwrap();
    format!("{:o}", meta.permissions().mode() & 0o7777)
}

/// Opens what a process opens in `data` at start and writes what the roles write.
async fn start(data: &Path) -> (Vec<u8>, Vec<u8>) {
    // `Backends::open`: the data directory, then the embedded store.
    files::ensure_private_dir(data).unwrap();
    let store = EmbeddedStore::open(data).unwrap();
    // The ingest role: the queue (in `data/queue`) and the pseudonym key.
    let queue = open_queue(&PipelineConfig::default(), &TeamsConfig::default(), data)
        .await
        .unwrap();
    let secret = load_or_create_secret(data).unwrap();
    // The dashboard role: its signing key and the sign-in token.
    let key = load_or_create_key(&data.join("dashboard.key")).unwrap();
    files::write_private_atomic(&data.join("dashboard-token"), b"token").unwrap();
    drop((store, queue));
    (secret, key)
}

/// Every path under `dir` (not `dir` itself), with its mode.
fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push((path.strip_prefix(dir).unwrap().to_owned(), mode(&path)));
        if path.is_dir() {
            out.extend(
                tree(&path)
                    .into_iter()
                    .map(|(p, m)| (path.strip_prefix(dir).unwrap().join(p), m)),
            );
        }
    }
    out.sort();
    out
}

fn expected() -> Vec<(PathBuf, String)> {
    [
        ("dashboard-token", "600"),
        ("dashboard.key", "600"),
        ("omega.redb", "600"),
        ("pseudonym.key", "600"),
        ("queue", "700"),
        ("queue/queue.redb", "600"),
    ]
    .map(|(path, mode)| (path.into(), mode.into()))
    .into()
}

#[tokio::test]
async fn a_fresh_start_leaves_a_0700_directory_of_0600_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (secret, key) = start(&data).await;
    assert_eq!(mode(&data), "700");
    assert_eq!(tree(&data), expected());
    for k in [&secret, &key] {
        assert_eq!(k.len(), 64);
        assert!(k.iter().all(u8::is_ascii_hexdigit));
    }
    assert_ne!(secret, key);
    // A second start keeps the keys.
    assert_eq!(start(&data).await, (secret, key));
    assert_eq!(tree(&data), expected());
}

#[tokio::test]
async fn an_older_0755_data_directory_is_tightened_and_its_keys_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (secret, key) = start(&data).await;
    // As an older OMEGA left everything: 0755 directories, 0644 files.
    for (path, _) in tree(&data) {
        let wide = if data.join(&path).is_dir() {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(data.join(&path), std::fs::Permissions::from_mode(wide)).unwrap();
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(mode(&data.join("pseudonym.key")), "644");

    assert_eq!(start(&data).await, (secret, key));
    assert_eq!(mode(&data), "700");
    assert_eq!(tree(&data), expected());
}

#[test]
fn a_key_that_cannot_be_read_is_an_error_not_a_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    // A directory where the key should be: opening works, reading fails.
    let path = tmp.path().join("dashboard.key");
    std::fs::create_dir(&path).unwrap();
    let err = load_or_create_key(&path).unwrap_err();
    assert!(err.to_string().contains("dashboard.key"), "{err}");
    assert!(path.is_dir());

    let path = tmp.path().join("empty.key");
    std::fs::write(&path, b"\n").unwrap();
    let err = load_or_create_key(&path).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"\n");
}

#[test]
fn a_key_in_a_new_directory_gets_a_private_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("keys/sub/k.key");
    let key = load_or_create_key(&path).unwrap();
    assert_eq!(mode(&tmp.path().join("keys")), "700");
    assert_eq!(mode(&tmp.path().join("keys/sub")), "700");
    assert_eq!(mode(&path), "600");
    assert_eq!(std::fs::read(&path).unwrap(), key);
}
