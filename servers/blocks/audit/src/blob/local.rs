//! [`LocalBlobStore`]: blobs as files under a directory, write-once.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::{BlobError, BlobStore, BoxFuture, validate_name};

/// Blobs as files under a root directory. `put` writes a temporary file,
/// fsyncs it, then links it into place with a create-only operation, so a blob
/// appears whole or not at all and an existing blob is never replaced. Sealed
/// files are made read-only.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BlobError {
    let context = context.into();
    move |source| BlobError::Io { context, source }
}

impl LocalBlobStore {
    /// A store rooted at `root` (created on first `put`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Synchronous `put`.
    pub fn put_sync(&self, name: &str, bytes: &[u8]) -> Result<(), BlobError> {
        validate_name(name)?;
        let path = self.root.join(name);
        let dir = path.parent().expect("a blob path has a parent");
        std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
        if path.exists() {
            return Err(BlobError::AlreadyExists {
                name: name.to_owned(),
            });
        }
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("blob"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            let mut perms = f.metadata()?.permissions();
            perms.set_readonly(true);
            f.set_permissions(perms)
        };
        write().map_err(io(format!("write {}", tmp.display())))?;
        // hard_link fails if the target exists: create-only, atomic.
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BlobError::AlreadyExists {
                    name: name.to_owned(),
                });
            }
            Err(e) => return Err(io(format!("link {}", path.display()))(e)),
        }
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(format!("sync {}", dir.display())))
    }

    /// Synchronous `get`.
    pub fn get_sync(&self, name: &str) -> Result<Bytes, BlobError> {
        validate_name(name)?;
        match std::fs::read(self.root.join(name)) {
            Ok(b) => Ok(Bytes::from(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound {
                name: name.to_owned(),
            }),
            Err(e) => Err(io(format!("read blob {name}"))(e)),
        }
    }

    /// Synchronous `list`.
    pub fn list_sync(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut out = Vec::new();
        if self.root.exists() {
            walk(&self.root, "", &mut out)?;
        }
        out.retain(|n| n.starts_with(prefix));
        out.sort();
        Ok(out)
    }
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), BlobError> {
    let entries = std::fs::read_dir(dir).map_err(io(format!("list {}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(io(format!("list {}", dir.display())))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') {
            continue; // temporary files
        }
        let full = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ty = entry.file_type().map_err(io(format!("stat {full}")))?;
        if ty.is_dir() {
            walk(&entry.path(), &full, out)?;
        } else if ty.is_file() {
            out.push(full);
        }
    }
    Ok(())
}

impl BlobStore for LocalBlobStore {
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<(), BlobError>> {
        Box::pin(async move { self.put_sync(name, &bytes) })
    }

    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Bytes, BlobError>> {
        Box::pin(async move { self.get_sync(name) })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, BlobError>> {
        Box::pin(async move { self.list_sync(prefix) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_once_get_and_list() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path());
        store.put_sync("segments/b", b"2").unwrap();
        store.put_sync("segments/a", b"1").unwrap();
        store.put_sync("other", b"x").unwrap();
        assert!(matches!(
            store.put_sync("segments/a", b"changed"),
            Err(BlobError::AlreadyExists { .. })
        ));
        assert_eq!(&store.get_sync("segments/a").unwrap()[..], b"1");
        assert!(matches!(
            store.get_sync("nope"),
            Err(BlobError::NotFound { .. })
        ));
        assert_eq!(
            store.list_sync("segments/").unwrap(),
            ["segments/a", "segments/b"]
        );
        assert_eq!(store.list_sync("").unwrap().len(), 3);
        assert!(matches!(
            store.put_sync("../escape", b"x"),
            Err(BlobError::InvalidName { .. })
        ));
    }
}
