//! OpenPGP verification of upstream releases: a committed keyring, a detached signature,
//! and the bytes it signs.
//!
//! Verification runs in-process with rPGP (the `pgp` crate), a pure-Rust implementation:
//! no gpg binary, no C crypto library. The keyring is trusted as committed: pkgforge never
//! fetches keys, so a key enters the keyring only by a reviewed commit.

use std::io::{self, Read};

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::packet::{Signature, SignatureType};
use pgp::types::KeyDetails;

/// The public keys of an upstream's release managers, as committed beside the manifest.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
}

/// Why bytes are not a keyring: what rPGP or pkgforge found wrong with them.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct KeyringError(String);

impl From<pgp::errors::Error> for KeyringError {
    fn from(e: pgp::errors::Error) -> Self {
        KeyringError(e.to_string())
    }
}

impl Keyring {
    /// Parse armored (or binary) OpenPGP public keys; at least one is required.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Keyring, KeyringError> {
        let parsed: Vec<SignedPublicKey> = if looks_armored(bytes) {
            // `gpg --export --armor KEY >> keyring` appends a whole armored block per key
            let mut keys = Vec::new();
            for block in armored_blocks(bytes) {
                let (more, _) =
                    SignedPublicKey::from_armor_many(block).map_err(KeyringError::from)?;
                for k in more {
                    keys.push(k.map_err(KeyringError::from)?);
                }
            }
            keys
        } else {
            let unreadable = |_| {
                KeyringError(
                    "it is neither armored (-----BEGIN PGP PUBLIC KEY BLOCK-----) nor binary OpenPGP data"
                        .to_string(),
                )
            };
            SignedPublicKey::from_bytes_many(bytes)
                .map_err(unreadable)?
                .collect::<Result<_, _>>()
                .map_err(unreadable)?
        };
        if parsed.is_empty() {
            return Err(KeyringError("it holds no OpenPGP public key".to_string()));
        }
        Ok(Keyring { keys: parsed })
    }
}

/// Why a signature does not vouch for a release. `key` is the signing key's fingerprint,
/// or its key id when the signature names no fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The file is not an OpenPGP signature.
    Unreadable(String),
    /// The signed data could not be read (a broken compressed tarball).
    Data(String),
    /// Made by a key the keyring does not hold.
    UnknownKey { key: String },
    /// Made by a keyring key, but over other data: the release is not what was signed.
    Bad { key: String },
    /// The signing key has expired.
    Expired { key: String, on: String },
    /// The signing key was revoked by its owner.
    Revoked { key: String },
}

/// A signature that verifies: the fingerprint of the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub key: String,
}

/// Verify a detached `signature` (armored or binary) over `data` against `keyring`, with
/// key expiry judged at `now` (seconds since the epoch). The data is read once, streaming.
pub(crate) fn verify(
    keyring: &Keyring,
    signature: &[u8],
    data: impl Read,
    now: i64,
) -> Result<Verified, Refusal> {
    let sig = parse_signature(signature)?;
    let (primary, signer) = find_signer(keyring, &sig)?;
    let key = match signer {
        Signer::Primary => fingerprint(&primary.primary_key),
        Signer::Subkey(i) => fingerprint(&primary.public_subkeys[i].key),
    };
    check_validity(primary, signer, now, &key)?;
    let mut reader = Recording {
        inner: data,
        error: None,
    };
    let result = match signer {
        Signer::Primary => sig.verify(&primary.primary_key, &mut reader),
        Signer::Subkey(i) => sig.verify(&primary.public_subkeys[i].key, &mut reader),
    };
    if let Some(e) = reader.error {
        return Err(Refusal::Data(e));
    }
    match result {
        Ok(()) => Ok(Verified { key }),
        Err(_) => Err(Refusal::Bad { key }),
    }
}

/// Each armored block of a file, from its BEGIN line.
fn armored_blocks(bytes: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP";
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(BEGIN) && (i == 0 || bytes[i - 1] == b'\n'))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &s)| &bytes[s..starts.get(n + 1).copied().unwrap_or(bytes.len())])
        .collect()
}

fn looks_armored(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    bytes[start..].starts_with(b"-----BEGIN PGP")
}

fn parse_signature(bytes: &[u8]) -> Result<Signature, Refusal> {
    let parsed = if looks_armored(bytes) {
        DetachedSignature::from_armor_single(bytes).map(|(s, _)| s)
    } else {
        DetachedSignature::from_bytes(bytes)
    };
    let sig = parsed
        .map_err(|e| Refusal::Unreadable(e.to_string()))?
        .signature;
    match sig.typ() {
        Some(SignatureType::Binary | SignatureType::Text) => Ok(sig),
        other => Err(Refusal::Unreadable(format!(
            "it is a {other:?} signature, not a signature over a file"
        ))),
    }
}

#[derive(Debug, Clone, Copy)]
enum Signer {
    Primary,
    Subkey(usize),
}

/// The keyring key whose fingerprint or key id the signature names.
fn find_signer<'a>(
    keyring: &'a Keyring,
    sig: &Signature,
) -> Result<(&'a SignedPublicKey, Signer), Refusal> {
    let fps = sig.issuer_fingerprint();
    let ids = sig.issuer_key_id();
    let matches = |k: &dyn KeyDetailsLike| {
        fps.iter().any(|f| f.as_bytes() == k.fp().as_slice())
            || ids.iter().any(|id| id.as_ref() == k.id().as_slice())
    };
    for k in &keyring.keys {
        if matches(&k.primary_key) {
            return Ok((k, Signer::Primary));
        }
        for (i, sub) in k.public_subkeys.iter().enumerate() {
            if matches(&sub.key) {
                return Ok((k, Signer::Subkey(i)));
            }
        }
    }
    let key = match (fps.first(), ids.first()) {
        (Some(f), _) => hex_upper(f.as_bytes()),
        (None, Some(id)) => hex_upper(id.as_ref()),
        (None, None) => "(the signature names no key)".to_string(),
    };
    Err(Refusal::UnknownKey { key })
}

/// Fingerprint and key id bytes of any key packet, for matching issuers.
trait KeyDetailsLike {
    fn fp(&self) -> Vec<u8>;
    fn id(&self) -> Vec<u8>;
}

impl<T: KeyDetails> KeyDetailsLike for T {
    fn fp(&self) -> Vec<u8> {
        self.fingerprint().as_bytes().to_vec()
    }
    fn id(&self) -> Vec<u8> {
        self.legacy_key_id().as_ref().to_vec()
    }
}

/// Refuse a key that is revoked or expired at `now`, the primary's state covering its
/// subkeys. Only revocations that verify count, so a stray packet cannot disable a key.
fn check_validity(
    primary: &SignedPublicKey,
    signer: Signer,
    now: i64,
    key: &str,
) -> Result<(), Refusal> {
    let pk = &primary.primary_key;
    let revoked = primary
        .details
        .revocation_signatures
        .iter()
        .any(|s| s.verify_key(pk).is_ok());
    if revoked {
        return Err(Refusal::Revoked {
            key: fingerprint(pk),
        });
    }
    // The newest self-signature carries the current expiry.
    let self_sigs = primary
        .details
        .users
        .iter()
        .flat_map(|u| u.signatures.iter())
        .chain(primary.details.direct_signatures.iter());
    if let Some(at) = expiry(pk.created_at().as_secs(), self_sigs) {
        if at <= now {
            return Err(Refusal::Expired {
                key: fingerprint(pk),
                on: date(at),
            });
        }
    }
    if let Signer::Subkey(i) = signer {
        let sub = &primary.public_subkeys[i];
        let (revocations, bindings): (Vec<&Signature>, Vec<&Signature>) = sub
            .signatures
            .iter()
            .partition(|s| s.typ() == Some(SignatureType::SubkeyRevocation));
        if revocations
            .iter()
            .any(|s| s.verify_subkey_binding(pk, &sub.key).is_ok())
        {
            return Err(Refusal::Revoked {
                key: key.to_string(),
            });
        }
        if let Some(at) = expiry(sub.key.created_at().as_secs(), bindings.into_iter()) {
            if at <= now {
                return Err(Refusal::Expired {
                    key: key.to_string(),
                    on: date(at),
                });
            }
        }
    }
    Ok(())
}

/// When a key created at `created` expires, by its newest signature that says anything
/// about it; `None` for never.
fn expiry<'a>(created: u32, sigs: impl Iterator<Item = &'a Signature>) -> Option<i64> {
    let newest = sigs
        .filter(|s| s.created().is_some())
        .max_by_key(|s| s.created().map(|t| t.as_secs()))?;
    let secs = newest.key_expiration_time()?.as_secs();
    (secs != 0).then(|| i64::from(created) + i64::from(secs))
}

fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

fn fingerprint(k: &impl KeyDetails) -> String {
    hex_upper(k.fingerprint().as_bytes())
}

fn hex_upper(bytes: &[u8]) -> String {
    crate::digest::hex(bytes).to_ascii_uppercase()
}

/// A reader that keeps its first I/O error: rPGP would report it as a bad signature,
/// but a broken download is another matter.
struct Recording<R> {
    inner: R,
    error: Option<String>,
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e.to_string());
                }
                Err(e)
            }
        }
    }
}

/// The signed text of an annotated tag object and its signature: git puts the armored
/// signature at the end of the message, and signs everything before it.
pub(crate) fn split_tag(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    const MARK: &[u8] = b"-----BEGIN PGP SIGNATURE-----";
    let at = raw.windows(MARK.len()).rposition(|w| w == MARK)?;
    if at > 0 && raw[at - 1] != b'\n' {
        return None;
    }
    Some((&raw[..at], &raw[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_keys_is_not_a_keyring() {
        assert!(Keyring::parse(b"").is_err());
        assert!(Keyring::parse(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n").is_err());
    }

    #[test]
    fn tag_signatures_split_at_the_last_armor_line() {
        let raw = b"object a\ntype commit\ntag v1\n\nmessage\n-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n";
        let (signed, sig) = split_tag(raw).unwrap();
        assert!(signed.ends_with(b"message\n"));
        assert!(sig.starts_with(b"-----BEGIN PGP SIGNATURE-----"));
        assert!(split_tag(b"object a\n\nunsigned\n").is_none());
    }
}
