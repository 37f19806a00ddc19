//! The conditional-request cache: ETags and bodies of earlier answers, kept in a file
//! beside the manifest between runs so an unchanged upstream costs a 304.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) const FILE: &str = ".pkgforge-watch-cache.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CachedResponse {
    pub etag: String,
    pub body: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ResponseCache {
    #[serde(default)]
    pub entries: BTreeMap<String, CachedResponse>,
}

impl ResponseCache {
    /// Read the cache; a missing one is empty, a corrupt one is discarded with a warning.
    pub(crate) fn load(dir: &Path) -> (ResponseCache, Option<String>) {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(c) => (c, None),
                Err(e) => (
                    ResponseCache::default(),
                    Some(format!(
                        "discarding the corrupt watch cache `{}`: {e}",
                        path.display()
                    )),
                ),
            },
            Err(_) => (ResponseCache::default(), None),
        }
    }

    /// Write the cache atomically.
    pub(crate) fn save(&self, dir: &Path) -> crate::fsio::Result<()> {
        let path = path(dir);
        let text = serde_json::to_string_pretty(self).map_err(|e| {
            crate::fsio::Error::new(format!("cannot write `{}`", path.display()), e.into())
        })?;
        crate::fsio::write_atomic(&path, text.as_bytes(), false)
    }
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}
