//! The deployment CA and the certificates it issues.
//!
//! A CA directory holds `ca.pem` (the CA certificate, given to every
//! service as its trust root) and `ca.key` (the CA key, mode 0600, only
//! needed to issue). Issued certificates carry the holder's [`Identity`] as
//! URI SANs. Server certificates also carry DNS names and IP addresses and
//! may be used as client certificates (every service is also a client of
//! the others), so one certificate per service instance is enough.
//!
//! These functions back `omega certs init|issue` and the development CA
//! that `omega up` creates in its data directory ([`dev_ca`]).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use omega_stack::TenantGrant;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;

use crate::identity::{Identity, IdentityError};
use crate::tls::TlsFiles;

/// How long a CA certificate is valid.
pub const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// The default validity of issued certificates.
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);
/// Development certificates are reissued when they expire within this window.
pub const DEV_RENEW_BEFORE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why a certificate operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `Ca::create` found an existing CA.
    #[error("{0} already exists; use the existing CA or choose another directory")]
    Exists(PathBuf),
    /// A PEM file does not hold what it should.
    #[error("{path}: {what}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The identity is not valid.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A DNS name that cannot go into a certificate.
    #[error("`{0}` is not a valid DNS name or IP address")]
    BadName(String),
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CertError + '_ {
    move |source| CertError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// A service's certificate: server and client authentication.
    Server,
    /// A client-only certificate (operators, agents, external clients).
    Client,
}

/// What to put into a certificate.
#[derive(Debug, Clone)]
pub struct CertSpec {
    /// Server or client.
    pub kind: CertKind,
    /// The holder.
    pub identity: Identity,
    /// DNS names and IP addresses (server certificates).
    pub names: Vec<String>,
    /// Start of validity; default: five minutes ago (clock skew).
    pub not_before: Option<SystemTime>,
    /// End of validity; default: [`DEFAULT_VALIDITY`] from now.
    pub not_after: Option<SystemTime>,
}

impl CertSpec {
    /// A server certificate for `role`/`instance` valid for `names`, for all tenants.
    pub fn server(role: &str, instance: &str, names: &[&str]) -> Result<Self, CertError> {
        Ok(Self {
            kind: CertKind::Server,
            identity: Identity::new(role, instance, TenantGrant::All)?,
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            not_before: None,
            not_after: None,
        })
    }

    /// A client certificate for `identity`.
    pub fn client(identity: Identity) -> Self {
        Self {
            kind: CertKind::Client,
            identity,
            names: Vec::new(),
            not_before: None,
            not_after: None,
        }
    }
}

/// A certificate and its private key, PEM encoded. `Debug` hides the key.
#[derive(Clone)]
pub struct IssuedCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// The private key (PKCS#8), PEM.
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl IssuedCert {
    /// Writes `{stem}.pem` and `{stem}.key` (mode 0600) into `dir`, each
    /// replaced atomically so a reloading server never reads half a file.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf), CertError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let cert = dir.join(format!("{stem}.pem"));
        let key = dir.join(format!("{stem}.key"));
        write_atomic(&key, self.key_pem.as_bytes(), true)?;
        write_atomic(&cert, self.cert_pem.as_bytes(), false)?;
        Ok((cert, key))
    }
}

/// Writes `path` through a temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, data: &[u8], private: bool) -> Result<(), CertError> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&tmp).map_err(io(&tmp))?;
    f.write_all(data).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// A certificate authority whose key is loaded.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f; // positive
    SerialNumber::from_slice(&bytes)
}

impl Ca {
    /// The CA certificate file in `dir`.
    pub fn cert_path(dir: &Path) -> PathBuf {
        dir.join("ca.pem")
    }

    /// The CA key file in `dir`.
    pub fn key_path(dir: &Path) -> PathBuf {
        dir.join("ca.key")
    }

    /// A new CA (ECDSA P-256) in memory, named `name`.
    pub fn generate(name: &str) -> Result<Self, CertError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "OMEGA");
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(random_serial());
        let now = SystemTime::now();
        params.not_before = (now - Duration::from_secs(300)).into();
        params.not_after = (now + CA_VALIDITY).into();
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Creates a CA in `dir` (`ca.pem`, `ca.key`); fails if one exists.
    pub fn create(dir: &Path) -> Result<Self, CertError> {
        let (cert, key) = (Self::cert_path(dir), Self::key_path(dir));
        for p in [&cert, &key] {
            if p.exists() {
                return Err(CertError::Exists(p.clone()));
            }
        }
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        // A unique name per CA, so a certificate from another deployment is
        // reported as an unknown issuer rather than a bad signature.
        let id = uuid::Uuid::new_v4().simple().to_string();
        let ca = Self::generate(&format!("OMEGA deployment CA {}", &id[..12]))?;
        write_atomic(&key, ca.issuer.key().serialize_pem().as_bytes(), true)?;
        write_atomic(&cert, ca.cert_pem.as_bytes(), false)?;
        tracing::info!(dir = %dir.display(), "created a certificate authority");
        Ok(ca)
    }

    /// Loads the CA in `dir`.
    pub fn load(dir: &Path) -> Result<Self, CertError> {
        let (cert_path, key_path) = (Self::cert_path(dir), Self::key_path(dir));
        let cert_pem = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
        let key_pem = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| CertError::Invalid {
            path: key_path.clone(),
            what: format!("not a private key: {e}"),
        })?;
        let cert_der = crate::tls::parse_certs(cert_pem.as_bytes(), &cert_path)
            .map_err(|e| CertError::Invalid {
                path: cert_path.clone(),
                what: e.to_string(),
            })?
            .into_iter()
            .next()
            .ok_or_else(|| CertError::Invalid {
                path: cert_path.clone(),
                what: "no certificate in the file".into(),
            })?;
        let issuer = Issuer::from_ca_cert_der(&cert_der, key).map_err(|e| CertError::Invalid {
            path: cert_path.clone(),
            what: format!("not a CA certificate: {e}"),
        })?;
        Ok(Self {
            issuer,
            cert_pem,
            cert_der,
        })
    }

    /// Loads the CA in `dir`, creating it first if there is none.
    pub fn load_or_create(dir: &Path) -> Result<Self, CertError> {
        if Self::cert_path(dir).exists() {
            Self::load(dir)
        } else {
            Self::create(dir)
        }
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// Issues a certificate as `spec` says.
    pub fn issue(&self, spec: &CertSpec) -> Result<IssuedCert, CertError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "OMEGA");
        dn.push(
            DnType::CommonName,
            format!("{}.{}", spec.identity.instance, spec.identity.role),
        );
        params.distinguished_name = dn;
        params.serial_number = Some(random_serial());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = match spec.kind {
            CertKind::Server => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            CertKind::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
        };
        let mut sans = Vec::new();
        for name in &spec.names {
            sans.push(match name.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(
                    name.as_str()
                        .try_into()
                        .map_err(|_| CertError::BadName(name.clone()))?,
                ),
            });
        }
        for uri in spec.identity.uri_sans() {
            sans.push(SanType::URI(uri.as_str().try_into()?));
        }
        params.subject_alt_names = sans;
        let now = SystemTime::now();
        params.not_before = spec
            .not_before
            .unwrap_or(now - Duration::from_secs(300))
            .into();
        params.not_after = spec.not_after.unwrap_or(now + DEFAULT_VALIDITY).into();
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Issues a server certificate for `role`/`instance`, valid for `names`
    /// (DNS names or IP addresses), for every tenant.
    pub fn issue_server(
        &self,
        role: &str,
        instance: &str,
        names: &[&str],
    ) -> Result<IssuedCert, CertError> {
        self.issue(&CertSpec::server(role, instance, names)?)
    }

    /// Issues a client certificate for `identity`.
    pub fn issue_client(&self, identity: &Identity) -> Result<IssuedCert, CertError> {
        self.issue(&CertSpec::client(identity.clone()))
    }
}

/// `omega certs init DIR`: creates the CA in `dir`; returns the CA certificate path.
pub fn init(dir: &Path) -> Result<PathBuf, CertError> {
    Ca::create(dir)?;
    Ok(Ca::cert_path(dir))
}

/// `omega certs issue`: issues `spec` with the CA in `ca_dir` and writes
/// `{role}-{instance}.pem`/`.key` into `out_dir`.
pub fn issue(ca_dir: &Path, spec: &CertSpec, out_dir: &Path) -> Result<TlsFiles, CertError> {
    let ca = Ca::load(ca_dir)?;
    let issued = ca.issue(spec)?;
    let stem = format!("{}-{}", spec.identity.role, spec.identity.instance);
    let (cert, key) = issued.write(out_dir, &stem)?;
    Ok(TlsFiles {
        cert,
        key,
        ca: Ca::cert_path(ca_dir),
    })
}

/// The development PKI `omega up` uses: one CA, one certificate per role.
#[derive(Debug, Clone)]
pub struct DevPki {
    /// The directory (`{data_dir}/pki`).
    pub dir: PathBuf,
    /// Per role: its server (and client) certificate, key and the CA.
    pub roles: BTreeMap<String, TlsFiles>,
    /// A client certificate for the `operator` role (CLI and tests).
    pub operator: TlsFiles,
}

/// The DNS names and addresses of development certificates.
const DEV_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// Creates (on first start) or reuses the development CA in
/// `{data_dir}/pki` and a certificate for each of `roles` (instance `0`,
/// all tenants, valid for localhost). Missing certificates, and ones that
/// expire within [`DEV_RENEW_BEFORE`], are (re)issued.
pub fn dev_ca(data_dir: &Path, roles: &[&str]) -> Result<DevPki, CertError> {
    let dir = data_dir.join("pki");
    let ca = Ca::load_or_create(&dir)?;
    let ca_path = Ca::cert_path(&dir);
    let mut out = BTreeMap::new();
    let ensure = |spec: CertSpec, stem: &str| -> Result<TlsFiles, CertError> {
        let files = TlsFiles {
            cert: dir.join(format!("{stem}.pem")),
            key: dir.join(format!("{stem}.key")),
            ca: ca_path.clone(),
        };
        if !fresh(&files.cert, &ca) {
            ca.issue(&spec)?.write(&dir, stem)?;
            tracing::info!(cert = %files.cert.display(), "issued a development certificate");
        }
        Ok(files)
    };
    for role in roles {
        let files = ensure(CertSpec::server(role, "0", DEV_NAMES)?, role)?;
        out.insert((*role).to_owned(), files);
    }
    let operator = Identity::new(crate::identity::OPERATOR_ROLE, "dev", TenantGrant::All)?;
    let operator = ensure(CertSpec::client(operator), "operator")?;
    Ok(DevPki {
        dir,
        roles: out,
        operator,
    })
}

/// Whether the certificate at `path` exists, parses, and is valid for at
/// least [`DEV_RENEW_BEFORE`] (and was issued by `ca`'s subject).
fn fresh(path: &Path, ca: &Ca) -> bool {
    let Ok(pem) = std::fs::read(path) else {
        return false;
    };
    let Ok(certs) = crate::tls::parse_certs(&pem, path) else {
        return false;
    };
    let Some(der) = certs.first() else {
        return false;
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return false;
    };
    let Ok((_, ca_cert)) = x509_parser::parse_x509_certificate(ca.cert_der()) else {
        return false;
    };
    let renew_at = SystemTime::now() + DEV_RENEW_BEFORE;
    let secs = renew_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(i64::MAX);
    cert.validity().not_after.timestamp() > secs
        && cert.issuer() == ca_cert.subject()
        && cert.verify_signature(Some(ca_cert.public_key())).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_load_issue() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::create(dir.path()).unwrap();
        assert!(matches!(Ca::create(dir.path()), Err(CertError::Exists(_))));
        let loaded = Ca::load(dir.path()).unwrap();
        assert_eq!(loaded.cert_pem(), ca.cert_pem());
        let issued = loaded
            .issue_server("context", "0", &["localhost", "127.0.0.1"])
            .unwrap();
        let id = Identity::from_cert(&issued.cert_der).unwrap();
        assert_eq!(id.role, "context");
        assert_eq!(id.tenants, TenantGrant::All);
        assert!(!format!("{issued:?}").contains("PRIVATE KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(Ca::key_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "CA key must not be group/world readable");
        }
    }

    #[test]
    fn dev_ca_is_stable_and_renews() {
        let dir = tempfile::tempdir().unwrap();
        let first = dev_ca(dir.path(), &["context", "audit"]).unwrap();
        let pem = std::fs::read(&first.roles["context"].cert).unwrap();
        let again = dev_ca(dir.path(), &["context", "audit"]).unwrap();
        assert_eq!(
            std::fs::read(&again.roles["context"].cert).unwrap(),
            pem,
            "reused"
        );
        // An expiring certificate is reissued.
        let ca = Ca::load(&first.dir).unwrap();
        let mut spec = CertSpec::server("context", "0", DEV_NAMES).unwrap();
        spec.not_after = Some(SystemTime::now() + Duration::from_secs(3600));
        ca.issue(&spec)
            .unwrap()
            .write(&first.dir, "context")
            .unwrap();
        let renewed = dev_ca(dir.path(), &["context"]).unwrap();
        let new_pem = std::fs::read(&renewed.roles["context"].cert).unwrap();
        assert_ne!(new_pem, pem);
        assert!(fresh(&renewed.roles["context"].cert, &ca));
    }
}
