//! Where the vault's keys come from: the `keys` setting (environment) if given, else the keys
//! file, created with one fresh key when it does not exist yet.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::Vault;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSettings {
    /// The keys file: one base64 key a line, the first sealing. Created at first start.
    pub keys_file: PathBuf,
    /// The keys themselves (base64, separated by commas, the first sealing), instead of the
    /// file: for platforms that hand secrets over in the environment.
    #[serde(
        default,
        serialize_with = "crate::config::serialize_secret_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub keys: Option<SecretString>,
}

impl Default for VaultSettings {
    fn default() -> Self {
        Self {
            keys_file: PathBuf::from("vigie.keys"),
            keys: None,
        }
    }
}

impl VaultSettings {
    /// True when the keys come from the environment (the file is not used).
    pub fn from_environment(&self) -> bool {
        self.keys
            .as_ref()
            .is_some_and(|k| !k.expose_secret().trim().is_empty())
    }
}

/// The vault of these settings, creating the keys file with a fresh key when there is neither
/// a file nor keys in the environment.
pub fn load(settings: &VaultSettings) -> anyhow::Result<Vault> {
    if let Some(keys) = settings
        .keys
        .as_ref()
        .filter(|_| settings.from_environment())
    {
        return Vault::from_keys(&parse(keys.expose_secret().split(','))?);
    }
    let path = &settings.keys_file;
    let created = !path.exists() && create(path, &[Vault::generate_key()])?;
    let mut vault = Vault::from_keys(&read_file(path)?)?;
    vault.created_keys_file = created;
    Ok(vault)
}

/// The keys of a keys file, in order.
pub fn read_file(path: &Path) -> anyhow::Result<Vec<[u8; 32]>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the vault keys file {}: {e}", path.display()))?;
    let keys = parse(text.lines().filter(|l| !l.trim_start().starts_with('#')))?;
    anyhow::ensure!(
        !keys.is_empty(),
        "the vault keys file {} holds no key",
        path.display()
    );
    Ok(keys)
}

fn parse<'a>(items: impl Iterator<Item = &'a str>) -> anyhow::Result<Vec<[u8; 32]>> {
    items
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            STANDARD
                .decode(s)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| anyhow::anyhow!("a vault key is 32 bytes in base64"))
        })
        .collect()
}

fn contents(keys: &[[u8; 32]]) -> String {
    let mut text = String::from(
        "# Vigie's vault keys: the first seals, all open. Keep this file apart from the \
         database's backups:\n# with both, the secrets stored in the database can be read.\n",
    );
    for k in keys {
        text.push_str(&STANDARD.encode(k));
        text.push('\n');
    }
    text
}

/// Creates a keys file that does not exist yet (readable by its owner only); false when another
/// process created it first (theirs is kept).
fn create(path: &Path, keys: &[[u8; 32]]) -> anyhow::Result<bool> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(contents(keys).as_bytes())?;
            f.sync_all()?;
            tracing::info!(path = %path.display(), "vault keys file created");
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(anyhow::anyhow!(
            "creating the vault keys file {}: {e}",
            path.display()
        )),
    }
}

/// Replaces the keys file in one step (a new file renamed over the old one, both synced): a
/// crash leaves either the old keys or the new ones, never half a file.
pub fn replace(path: &Path, keys: &[[u8; 32]]) -> anyhow::Result<()> {
    let tmp = path.with_extension("keys.new");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(contents(keys).as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let settings = VaultSettings {
            keys_file: dir.path().join("vigie.keys"),
            keys: None,
        };
        let first = load(&settings).expect("created");
        let again = load(&settings).expect("read");
        assert_eq!(first.sealing_key_id(), again.sealing_key_id());
        assert!(first.created_keys_file() && !again.created_keys_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&settings.keys_file)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn keys_from_the_environment_win_and_bad_keys_are_refused() {
        let k = Vault::generate_key();
        let settings = VaultSettings {
            keys_file: PathBuf::from("/nonexistent/never-created.keys"),
            keys: Some(SecretString::from(STANDARD.encode(k))),
        };
        let v = load(&settings).expect("from the environment");
        assert_eq!(v.sealing_key_id(), super::super::key_id(&k));
        let bad = VaultSettings {
            keys: Some(SecretString::from("c2hvcnQ=")),
            ..settings
        };
        assert!(load(&bad).is_err());
    }
}
