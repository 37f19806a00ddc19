//! The tags of a remote git repository, without cloning it.
//!
//! file:// and git:// go through git2. https:// and http:// speak git's smart HTTP
//! protocol (the ref advertisement of `info/refs`) over the rustls HTTP client, so no
//! OpenSSL is needed.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context as _};

use super::Error;

/// tag name (without `refs/tags/`) -> the commit it points to (annotated tags peeled).
pub(crate) type Tags = BTreeMap<String, String>;

/// The tags `url` advertises.
pub(crate) fn remote_tags(url: &str) -> Result<Tags, Error> {
    let refs = if url.starts_with("https://") || url.starts_with("http://") {
        smart_http_refs(url)
    } else {
        git2_refs(url)
    };
    refs.map(|r| tags_of(&r)).map_err(failed)
}

/// An error and its causes, in one message.
fn failed(e: anyhow::Error) -> Error {
    Error::Failed(format!("{e:#}"))
}

/// Fold an advertisement into tags, preferring the peeled `^{}` commit of annotated tags.
pub(crate) fn tags_of(refs: &[(String, String)]) -> Tags {
    let mut tags = Tags::new();
    let mut peeled = BTreeMap::new();
    for (name, oid) in refs {
        let Some(tag) = name.strip_prefix("refs/tags/") else {
            continue;
        };
        match tag.strip_suffix("^{}") {
            Some(t) => {
                peeled.insert(t.to_string(), oid.clone());
            }
            None => {
                tags.insert(tag.to_string(), oid.clone());
            }
        }
    }
    for (t, oid) in peeled {
        tags.insert(t, oid);
    }
    tags
}

fn git2_refs(url: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut remote = git2::Remote::create_detached(url)
        .with_context(|| format!("cannot use git remote {url}"))?;
    remote
        .connect(git2::Direction::Fetch)
        .with_context(|| format!("cannot reach git remote {url}"))?;
    let list = remote
        .list()
        .with_context(|| format!("cannot list the refs of {url}"))?
        .iter()
        .map(|h| (h.name().to_string(), h.oid().to_string()))
        .collect();
    let _ = remote.disconnect();
    Ok(list)
}

/// An annotated tag object as fetched: its raw text and the commit it points to.
#[derive(Debug, Clone)]
pub(crate) struct TagObject {
    pub raw: Vec<u8>,
    pub commit: String,
}

/// Fetch `refs/tags/<tag>` of `url` into a throwaway bare repository and read the tag
/// object; `None` when the tag is lightweight (it points to a commit, with no object of
/// its own to sign). git2 speaks file:// and git://; https:// and http:// go through
/// git's smart HTTP protocol over the rustls client, as the tag listing does.
pub(crate) fn fetch_tag(url: &str, tag: &str) -> Result<Option<TagObject>, Error> {
    fetch_tag_into_temporary(url, tag).map_err(failed)
}

fn fetch_tag_into_temporary(url: &str, tag: &str) -> anyhow::Result<Option<TagObject>> {
    let tmp = tempfile::Builder::new()
        .prefix("pkgforge-tag")
        .tempdir()
        .context("cannot create a temporary repository")?;
    let repo =
        git2::Repository::init_bare(tmp.path()).context("cannot create a temporary repository")?;
    if url.starts_with("https://") || url.starts_with("http://") {
        return smart_http_tag(&repo, url, tag);
    }
    let mut remote = repo
        .remote_anonymous(url)
        .with_context(|| format!("cannot use git remote {url}"))?;
    let refspec = format!("+refs/tags/{tag}:refs/tags/{tag}");
    let fetch = |remote: &mut git2::Remote, depth: Option<i32>| {
        let mut opts = git2::FetchOptions::new();
        opts.download_tags(git2::AutotagOption::None);
        if let Some(d) = depth {
            opts.depth(d);
        }
        remote.fetch(&[refspec.as_str()], Some(&mut opts), None)
    };
    // Only the tag object and its commit are read, so a server is asked for no history;
    // libgit2's local transport cannot fetch shallow, and a server may refuse to.
    let shallow = !url.starts_with("file://") && fetch(&mut remote, Some(1)).is_ok();
    if !shallow {
        fetch(&mut remote, None).with_context(|| format!("cannot fetch tag {tag} from {url}"))?;
    }
    let reference = repo
        .find_reference(&format!("refs/tags/{tag}"))
        .with_context(|| format!("{url} has no tag {tag}"))?;
    let oid = reference
        .target()
        .with_context(|| format!("tag {tag} of {url} is a symbolic reference"))?;
    let object = repo.find_object(oid, None)?;
    if object.kind() != Some(git2::ObjectType::Tag) {
        return Ok(None);
    }
    let raw = repo.odb()?.read(oid)?.data().to_vec();
    let commit = object
        .peel_to_commit()
        .with_context(|| format!("tag {tag} of {url} does not point to a commit"))?
        .id()
        .to_string();
    Ok(Some(TagObject { raw, commit }))
}

/// One pkt-line.
fn pkt(line: &str) -> String {
    format!("{:04x}{line}", line.len() + 4)
}

/// The tag object `tag` of a smart HTTP git server: one upload-pack request for that
/// object alone (no history, and no trees or blobs where the server can filter them),
/// its pack indexed into `repo`.
fn smart_http_tag(
    repo: &git2::Repository,
    url: &str,
    tag: &str,
) -> anyhow::Result<Option<TagObject>> {
    let client = super::http::client(Duration::from_secs(600))?;
    let body = advertisement(&client, url)?;
    let refs = parse_advertisement(&body)
        .with_context(|| format!("{url} did not answer like a git server"))?;
    let name = format!("refs/tags/{tag}");
    let Some((_, oid)) = refs.iter().find(|(n, _)| *n == name) else {
        bail!("{url} has no tag {tag}");
    };
    // A lightweight tag names a commit: nothing was signed. An annotated one is
    // advertised with its peeled commit as `<tag>^{}`.
    let peeled = format!("{name}^{{}}");
    if !refs.iter().any(|(n, _)| *n == peeled) {
        return Ok(None);
    }
    let pack = upload_pack(&client, url, &body, oid, true)
        .with_context(|| format!("{url} sent no pack for tag {tag}"))?;
    index_pack(repo, url, &pack)?;
    let odb = repo.odb()?;
    let object = odb
        .read(git2::Oid::from_str(oid)?)
        .with_context(|| format!("the pack {url} sent lacks tag {tag}"))?;
    if object.kind() != git2::ObjectType::Tag {
        return Ok(None);
    }
    let raw = object.data().to_vec();
    let commit = String::from_utf8_lossy(&raw)
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("object "))
        .map(str::to_string)
        .with_context(|| format!("tag {tag} of {url} names no object"))?;
    Ok(Some(TagObject { raw, commit }))
}

/// The pack an upload-pack request for `oid` alone gets: no history where the server can
/// cut it (`deepen 1`), and with `objects_only` no trees or blobs where it can filter
/// them (a tag object is all that is read).
fn upload_pack(
    client: &reqwest::blocking::Client,
    url: &str,
    advertisement: &[u8],
    oid: &str,
    objects_only: bool,
) -> anyhow::Result<Vec<u8>> {
    let caps = capabilities(advertisement);
    let has = |c: &str| caps.iter().any(|x| x == c);
    // A capability is used only when the first `want` line asks for it.
    let mut want = format!("want {oid} side-band-64k no-progress");
    let mut options = String::new();
    let filter = objects_only.then_some(("filter", Some("filter tree:0\n")));
    for (cap, line) in [("ofs-delta", None), ("shallow", Some("deepen 1\n"))]
        .into_iter()
        .chain(filter)
    {
        if has(cap) {
            want.push_str(&format!(" {cap}"));
            if let Some(l) = line {
                options.push_str(&pkt(l));
            }
        }
    }
    let mut request = pkt(&format!("{want}\n"));
    request.push_str(&options);
    request.push_str("0000");
    request.push_str(&pkt("done\n"));
    let post = format!("{}/git-upload-pack", url.trim_end_matches('/'));
    let resp = client
        .post(&post)
        .header("Content-Type", "application/x-git-upload-pack-request")
        .header("Accept", "application/x-git-upload-pack-result")
        .body(request)
        .send()
        .with_context(|| format!("cannot reach git remote {url}"))?;
    super::http::check_status(&post, resp.status())?;
    let body = resp
        .bytes()
        .with_context(|| format!("cannot read from {url}"))?;
    demux_pack(&body)
}

/// Index a pack a server sent into `repo`'s object database.
fn index_pack(repo: &git2::Repository, url: &str, pack: &[u8]) -> anyhow::Result<()> {
    let odb = repo.odb()?;
    let mut writer = odb.packwriter()?;
    std::io::Write::write_all(&mut writer, pack)
        .with_context(|| format!("cannot index the pack {url} sent"))?;
    writer
        .commit()
        .with_context(|| format!("cannot index the pack {url} sent"))?;
    Ok(())
}

/// Make sure the bare repository `repo` holds `commit` of `url` with its whole tree:
/// `Ok(false)` when it already did (nothing fetched), `Ok(true)` after a fetch that
/// brought it, an error when `url` cannot be read or does not have it. file:// and
/// git:// fetch every branch and tag through git2 (`progress` gets the objects received
/// and the total); https:// and http:// ask git's smart HTTP protocol for that commit
/// alone, without history.
pub(crate) fn fetch_commit(
    repo: &git2::Repository,
    url: &str,
    commit: &str,
    progress: &dyn Fn(usize, usize),
) -> Result<bool, Error> {
    let oid = git2::Oid::from_str(commit).map_err(|e| failed(e.into()))?;
    if repo.find_commit(oid).is_ok() {
        return Ok(false);
    }
    let fetched = if url.starts_with("https://") || url.starts_with("http://") {
        smart_http_commit(repo, url, commit)
    } else {
        git2_fetch_all(repo, url, progress)
    };
    fetched.map_err(failed)?;
    Ok(true)
}

fn git2_fetch_all(
    repo: &git2::Repository,
    url: &str,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<()> {
    let mut remote = repo
        .remote_anonymous(url)
        .with_context(|| format!("cannot use git remote {url}"))?;
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.transfer_progress(|p| {
        progress(p.received_objects(), p.total_objects());
        true
    });
    let mut opts = git2::FetchOptions::new();
    opts.remote_callbacks(callbacks);
    opts.download_tags(git2::AutotagOption::None);
    remote
        .fetch(
            &[
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
            Some(&mut opts),
            None,
        )
        .with_context(|| format!("cannot fetch from {url}"))?;
    Ok(())
}

fn smart_http_commit(repo: &git2::Repository, url: &str, commit: &str) -> anyhow::Result<()> {
    let client = super::http::client(Duration::from_secs(3600))?;
    let body = advertisement(&client, url)?;
    let pack = upload_pack(&client, url, &body, commit, false)
        .with_context(|| format!("{url} sent no pack for commit {commit}"))?;
    index_pack(repo, url, &pack)
}

/// The capabilities after the first ref of an advertisement.
fn capabilities(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.split('\0')
        .nth(1)
        .map(|rest| {
            rest.split('\n')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The payloads of the pkt-lines in `body`, flush packets (`0000`) left out.
fn pkt_lines(body: &[u8]) -> anyhow::Result<Vec<&[u8]>> {
    let mut lines = Vec::new();
    let mut i = 0;
    while i + 4 <= body.len() {
        let len_hex = std::str::from_utf8(&body[i..i + 4]).context("bad pkt-line length")?;
        let len = usize::from_str_radix(len_hex, 16).context("bad pkt-line length")?;
        if len == 0 {
            i += 4;
            continue;
        }
        if len < 4 || i + len > body.len() {
            bail!("truncated pkt-line");
        }
        lines.push(&body[i + 4..i + len]);
        i += len;
    }
    Ok(lines)
}

/// The pack of an upload-pack answer: past the shallow and NAK lines, the payload of
/// side-band channel 1 (2 is progress, 3 an error).
fn demux_pack(body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut pack = Vec::new();
    for line in pkt_lines(body)? {
        if [&b"shallow "[..], b"unshallow ", b"NAK", b"ACK"]
            .iter()
            .any(|p| line.starts_with(p))
        {
            continue;
        }
        match line.first() {
            Some(1) => pack.extend_from_slice(&line[1..]),
            Some(2) => {}
            Some(3) => bail!(
                "the server says: {}",
                String::from_utf8_lossy(&line[1..]).trim()
            ),
            _ => bail!("an answer line that is not on a side band"),
        }
    }
    if !pack.starts_with(b"PACK") {
        bail!("the answer holds no pack");
    }
    Ok(pack)
}

fn smart_http_refs(url: &str) -> anyhow::Result<Vec<(String, String)>> {
    let client = super::http::client(Duration::from_secs(60))?;
    let body = advertisement(&client, url)?;
    parse_advertisement(&body).with_context(|| format!("{url} did not answer like a git server"))
}

/// A smart HTTP git server's ref advertisement for upload-pack, as sent.
fn advertisement(client: &reqwest::blocking::Client, url: &str) -> anyhow::Result<Vec<u8>> {
    let info = format!(
        "{}/info/refs?service=git-upload-pack",
        url.trim_end_matches('/')
    );
    let resp = client
        .get(&info)
        .send()
        .with_context(|| format!("cannot reach git remote {url}"))?;
    super::http::check_status(&info, resp.status())?;
    let body = resp
        .bytes()
        .with_context(|| format!("cannot read the refs of {url}"))?;
    Ok(body.to_vec())
}

/// Parse pkt-lines of a smart HTTP ref advertisement.
fn parse_advertisement(body: &[u8]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for line in pkt_lines(body)? {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches('\n');
        if line.starts_with('#') {
            continue;
        }
        let line = line.split('\0').next().unwrap_or("");
        if let Some((oid, name)) = line.split_once(' ') {
            if oid.len() == 40 && oid.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push((name.to_string(), oid.to_string()));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(s: &str) -> String {
        format!("{:04x}{s}", s.len() + 4)
    }

    #[test]
    fn advertisement_with_peeled_tags() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let body = format!(
            "{}0000{}{}{}{}0000",
            pkt("# service=git-upload-pack\n"),
            pkt(&format!("{a} HEAD\0multi_ack side-band\n")),
            pkt(&format!("{a} refs/heads/main\n")),
            pkt(&format!("{b} refs/tags/v1.0\n")),
            pkt(&format!("{c} refs/tags/v1.0^{{}}\n")),
        );
        let refs = parse_advertisement(body.as_bytes()).unwrap();
        let tags = tags_of(&refs);
        assert_eq!(tags.get("v1.0"), Some(&c));
        assert_eq!(tags.len(), 1);
    }
}
