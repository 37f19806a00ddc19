//! A realistic pkgforge manifest of N packages, its changelog and its patches.
//!
//! ```text
//! gen --out DIR [--packages N] [--upstreams U] [--rootfs R] [--seed S]
//!     [--watch-git URL --watch-commit SHA | --watch-github-only]
//! ```
//!
//! Defaults: 1,000 packages over N/4 upstreams (git and tarball, 1 to 8 packages each),
//! every built-in target, four archs, subpackages, patches, per-distro overrides, [names]
//! entries, three rootfs, and two or three changelog entries per upstream. The output
//! is a function of the arguments: the same seed gives the same bytes.
//!
//! With `--watch-git`, every upstream is a git upstream at that URL, pinned to
//! `--watch-commit` as version 1.0.2 (tag `v1.0.2`), with `github = "bench/<name>"`:
//! the watch benchmark's manifest. With `--watch-github-only`, every upstream is a
//! release tarball with `github = "bench/<name>"` and no git repository: the same watch
//! without git tag listings (and without moved-tag checks).

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

const TARGETS: &[&str] = &[
    "opensuse-tumbleweed",
    "opensuse-leap-15.6",
    "sle-15-sp6",
    "fedora-41",
    "fedora-42",
    "centos-stream-9",
    "centos-stream-10",
    "debian-12",
    "debian-13",
    "ubuntu-22.04",
    "ubuntu-24.04",
];

const WORDS: &[&str] = &[
    "agent", "runtime", "shim", "monitor", "proxy", "kernel", "image", "netd", "store", "sched",
    "probe", "relay", "vault", "gate", "mesh", "trace", "flux", "core", "edge", "pilot", "beam",
    "forge", "spool", "crane", "hatch", "loom", "quill", "rivet", "sluice", "tether",
];

/// Logical build requirements: some mapped by [names], some by pkgforge's built-in
/// knowledge (-devel names, ninja), some passed through.
const BUILD_REQUIRES: &[&str] = &[
    "make",
    "gcc",
    "gcc-c++",
    "pkg-config",
    "openssl-devel",
    "zlib-devel",
    "libseccomp-devel",
    "glib2-devel",
    "ninja",
    "cmake",
    "meson >= 1.0",
    "python3",
    "flex",
    "bison",
    "libcap-ng-devel",
    "systemd-devel",
    "libxml2-devel",
    "libfoo-devel",
    "protobuf-compiler",
    "python-tooling",
];

const RUNTIME_REQUIRES: &[&str] = &["systemd", "iptables", "libfoo1", "ca-certificates", "kmod"];

const GROUPS: &[&str] = &[
    "System/Management",
    "System/Daemons",
    "Development/Tools/Other",
    "System/Kernel",
    "Productivity/Networking/Other",
];
const SECTIONS: &[&str] = &["admin", "utils", "net", "devel", "kernel", "misc"];
const LICENSES: &[&str] = &["Apache-2.0", "MIT", "GPL-2.0-only", "BSD-3-Clause", "GPL-2.0-or-later"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }
}

struct Args {
    out: PathBuf,
    packages: usize,
    upstreams: Option<usize>,
    rootfs: usize,
    seed: u64,
    watch_git: Option<String>,
    watch_commit: Option<String>,
    watch_github_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        out: PathBuf::from("bench/work/manifest"),
        packages: 1000,
        upstreams: None,
        rootfs: 3,
        seed: 42,
        watch_git: None,
        watch_commit: None,
        watch_github_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| die(&format!("{k} needs a value")));
        match k.as_str() {
            "--out" => a.out = PathBuf::from(v()),
            "--packages" => a.packages = v().parse().unwrap_or_else(|_| die("--packages N")),
            "--upstreams" => a.upstreams = Some(v().parse().unwrap_or_else(|_| die("--upstreams N"))),
            "--rootfs" => a.rootfs = v().parse().unwrap_or_else(|_| die("--rootfs N")),
            "--seed" => a.seed = v().parse().unwrap_or_else(|_| die("--seed N")),
            "--watch-git" => a.watch_git = Some(v()),
            "--watch-commit" => a.watch_commit = Some(v()),
            "--watch-github-only" => a.watch_github_only = true,
            _ => die(&format!("unknown argument {k}")),
        }
    }
    if a.watch_git.is_some() != a.watch_commit.is_some() {
        die("--watch-git and --watch-commit go together");
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("gen: {msg}");
    std::process::exit(2)
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

struct Upstream {
    name: String,
    version: (u32, u32, u32),
    packages: Vec<usize>,
}

fn main() {
    let a = args();
    let mut rng = Rng(a.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let n_up = a.upstreams.unwrap_or((a.packages / 4).max(1)).clamp(1, a.packages.max(1));
    fs::create_dir_all(&a.out).unwrap_or_else(|e| die(&format!("{}: {e}", a.out.display())));

    // Upstreams, then packages dealt to them: every upstream gets one, the rest at random.
    let mut ups: Vec<Upstream> = (0..n_up)
        .map(|i| Upstream {
            name: format!("{}-{i}", rng.pick(WORDS)),
            version: (1 + rng.below(5) as u32, rng.below(20) as u32, 2 + rng.below(8) as u32),
            packages: Vec::new(),
        })
        .collect();
    if a.watch_git.is_some() || a.watch_github_only {
        for u in &mut ups {
            u.version = (1, 0, 2);
        }
    }
    for p in 0..a.packages {
        let u = if p < n_up { p } else { rng.below(n_up) };
        ups[u].packages.push(p);
    }
    let mut pkg_up = vec![0usize; a.packages];
    for (i, u) in ups.iter().enumerate() {
        for &p in &u.packages {
            pkg_up[p] = i;
        }
    }
    let pkg_name = |p: usize| format!("{}-{}", ups[pkg_up[p]].name, ["", "bin", "lib", "tools", "data", "ctl", "d", "fs"][p % 8]).trim_end_matches('-').to_string() + &format!("-p{p}");

    let mut m = String::new();
    let targets: Vec<String> = TARGETS.iter().map(|s| s.to_string()).collect();
    let _ = writeln!(
        m,
        "# Generated by pkgforge-bench gen: {} packages, {} upstreams, {} rootfs, seed {}.\n",
        a.packages, n_up, a.rootfs, a.seed
    );
    let _ = writeln!(
        m,
        "[project]\nname = \"benchproject\"\nmaintainer = \"Bench Packagers <bench@example.org>\"\nhomepage = \"https://example.org/bench\"\nlicense = \"Apache-2.0\"\nobs-project = \"home:bench\"\ntargets = {}\narchs = [\"x86_64\", \"aarch64\", \"ppc64le\", \"s390x\"]\n",
        toml_list(&targets)
    );

    for u in &ups {
        let (ma, mi, pa) = u.version;
        let _ = writeln!(m, "[upstreams.{}]", u.name);
        if a.watch_github_only {
            let _ = writeln!(
                m,
                "tarball = \"https://example.org/releases/{0}/{0}-{{version}}.tar.xz\"\nsha256 = \"{1}\"\ngithub = \"bench/{0}\"\ntag-prefix = \"v\"\nversion = \"{ma}.{mi}.{pa}\"\ntrack = \"^{ma}\"\n",
                u.name,
                rng.hex(64)
            );
        } else if let (Some(url), Some(commit)) = (&a.watch_git, &a.watch_commit) {
            let _ = writeln!(
                m,
                "git = \"{url}\"\ngithub = \"bench/{}\"\ntag-prefix = \"v\"\nversion = \"{ma}.{mi}.{pa}\"\ncommit = \"{commit}\"\ntrack = \"^{ma}\"\n",
                u.name
            );
        } else if rng.chance(25) {
            let _ = writeln!(
                m,
                "tarball = \"https://example.org/releases/{0}/{0}-{{version}}.tar.xz\"\nsha256 = \"{1}\"\ngit = \"https://example.org/git/{0}.git\"\ntag-prefix = \"v\"\nversion = \"{ma}.{mi}.{pa}\"\ntrack = \"~{ma}.{mi}\"\n",
                u.name,
                rng.hex(64)
            );
        } else {
            let github = if rng.chance(60) {
                format!("github = \"example/{}\"\n", u.name)
            } else {
                String::new()
            };
            let _ = writeln!(
                m,
                "git = \"https://example.org/git/{0}.git\"\n{github}tag-prefix = \"v\"\nversion = \"{ma}.{mi}.{pa}\"\ncommit = \"{1}\"\ntrack = \"^{ma}\"\n",
                u.name,
                rng.hex(40)
            );
        }
    }

    m.push_str("[toolchains]\ngo = \"1.22\"\nrust = \"1.80\"\n\n");
    m.push_str(
        "[names.libfoo-devel]\nrpm = \"libfoo-devel\"\nsle = \"libfoo1-devel\"\ndebian = \"libfoo-dev\"\n\n\
         [names.python-tooling]\nsuse = \"python3-tooling\"\nrhel = [\"python3-tooling\", \"python3-tooling-extra\"]\ncentos-stream-10 = []\ndebian = \"python3-tooling\"\n\n\
         [names.libfoo1]\ndeb = \"libfoo1t64\"\n\"ubuntu-22.04\" = \"libfoo1\"\n\n",
    );

    let rootfs_names: Vec<String> = (0..a.rootfs).map(|i| format!("guest-image-{i}")).collect();
    let mut patches: Vec<(String, String)> = Vec::new();
    for p in 0..a.packages {
        let name = pkg_name(p);
        let u = &ups[pkg_up[p]];
        let word = rng.pick(WORDS);
        let _ = writeln!(m, "[[packages]]\nname = \"{name}\"\nupstream = \"{}\"", u.name);
        let _ = writeln!(m, "summary = \"The {word} component of {} ({p})\"", u.name);
        let _ = writeln!(
            m,
            "description = \"\"\"\nThe {word} of {0} keeps {1} state for every node of the cluster\nand reports it to the control plane. It is packaged from one manifest\nfor every distribution the project targets.\n\nThis package contains the {word} binaries and their 100% default\nconfiguration.\"\"\"",
            u.name,
            rng.pick(WORDS)
        );
        if rng.chance(20) {
            let _ = writeln!(m, "license = \"{}\"", rng.pick(LICENSES));
        }
        let _ = writeln!(m, "group = \"{}\"\nsection = \"{}\"", rng.pick(GROUPS), rng.pick(SECTIONS));
        let noarch = rng.chance(10);
        if noarch {
            m.push_str("archs = [\"noarch\"]\n");
        } else if rng.chance(15) {
            m.push_str("archs = [\"x86_64\", \"aarch64\"]\n");
        }
        let toolchain = if noarch { 0 } else { rng.below(3) };
        match toolchain {
            1 => {
                m.push_str("toolchain = \"go\"\n");
                if rng.chance(70) {
                    m.push_str("vendor = \"go\"\n");
                }
            }
            2 => {
                m.push_str("toolchain = \"rust\"\n");
                if rng.chance(70) {
                    m.push_str("vendor = \"cargo\"\n");
                }
            }
            _ => {}
        }
        let mut br: Vec<String> = vec!["make".into()];
        for _ in 0..rng.below(6) {
            let b = rng.pick(BUILD_REQUIRES).to_string();
            if !br.contains(&b) {
                br.push(b);
            }
        }
        let _ = writeln!(m, "build-requires = {}", toml_list(&br));
        let mut rq: Vec<String> = Vec::new();
        // A sibling of the same upstream: rendered with the exact version.
        if let Some(&sib) = u.packages.iter().find(|&&q| q < p) {
            if rng.chance(50) {
                rq.push(pkg_name(sib));
            }
        }
        if !rootfs_names.is_empty() && rng.chance(5) {
            rq.push(rootfs_names[rng.below(rootfs_names.len())].clone());
        }
        for _ in 0..rng.below(3) {
            let r = rng.pick(RUNTIME_REQUIRES).to_string();
            if !rq.contains(&r) {
                rq.push(r);
            }
        }
        if !rq.is_empty() {
            let _ = writeln!(m, "requires = {}", toml_list(&rq));
        }
        let sub = ["", "src/", "cmd/", "tools/"][rng.below(4)];
        if rng.chance(20) {
            let _ = writeln!(
                m,
                "build = \"\"\"\n# the {word} needs its generated sources first\nmake -C {sub}{word} generate\nmake -C {sub}{word} PREFIX=/usr\"\"\""
            );
        } else {
            let _ = writeln!(m, "build = \"make -C {sub}{word} PREFIX=/usr\"");
        }
        let _ = writeln!(
            m,
            "install = \"make -C {sub}{word} install PREFIX=/usr DESTDIR=$DESTDIR\""
        );
        let mut files = vec![format!("/usr/bin/{name}")];
        for _ in 0..rng.below(4) {
            let f = match rng.below(4) {
                0 => format!("/usr/lib/systemd/system/{name}.service"),
                1 => format!("/usr/share/{name}"),
                2 => format!("/usr/libexec/{name}/{}", rng.pick(WORDS)),
                _ => format!("/usr/share/man/man1/{name}.1.gz"),
            };
            if !files.contains(&f) {
                files.push(f);
            }
        }
        let _ = writeln!(m, "files = {}", toml_list(&files));
        if rng.chance(30) {
            let _ = writeln!(m, "config-files = [\"/etc/{name}/{name}.conf\"]");
        }
        if rng.chance(25) {
            let mut list = Vec::new();
            for k in 1..=1 + rng.below(3) {
                let path = format!("patches/{name}/{k:04}-fix-{}.patch", rng.pick(WORDS));
                let body = format!(
                    "From: Bench Packagers <bench@example.org>\nSubject: [PATCH] Fix the {word} build on {}\n\n---\n {sub}{word}/Makefile | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\ndiff --git a/{sub}{word}/Makefile b/{sub}{word}/Makefile\n--- a/{sub}{word}/Makefile\n+++ b/{sub}{word}/Makefile\n@@ -1,3 +1,3 @@\n PREFIX ?= /usr/local\n-CFLAGS = -O2\n+CFLAGS += -O2 -fno-strict-aliasing\n all: build\n",
                    rng.pick(TARGETS)
                );
                list.push(path.clone());
                patches.push((path, body));
            }
            let _ = writeln!(m, "patches = {}", toml_list(&list));
        }
        m.push('\n');
        if rng.chance(10) {
            let _ = writeln!(
                m,
                "[packages.distro.debian]\nbuild-requires = {}\n",
                toml_list(&[br.clone(), vec!["libsystemd-dev".into()]].concat())
            );
        }
        if rng.chance(8) {
            let _ = writeln!(m, "[packages.distro.rhel]\nbuild = \"make -C {sub}{word} CC=gcc PREFIX=/usr\"\n");
        }
        if rng.chance(30) {
            let (suffix, what) = [("devel", "headers"), ("tools", "tools"), ("doc", "documentation")][rng.below(3)];
            let _ = writeln!(
                m,
                "[[packages.subpackages]]\nsuffix = \"{suffix}\"\nsummary = \"The {what} of {name}\"\nfiles = [\"/usr/share/{name}-{suffix}\"]\n"
            );
        }
    }

    for (i, r) in rootfs_names.iter().enumerate() {
        let up = &ups[i % ups.len()].name;
        let (bases, rhel) = match i % 3 {
            0 => ("[\"opensuse-tumbleweed\", \"fedora-41\", \"debian-12\"]", true),
            1 => ("[\"sle-15-sp6\", \"centos-stream-9\", \"ubuntu-24.04\"]", true),
            _ => ("[\"opensuse-leap-15.6\", \"debian-13\"]", false),
        };
        let _ = writeln!(
            m,
            "[[rootfs]]\nname = \"{r}\"\nsummary = \"Guest root filesystem {i}\"\nupstream = \"{up}\"\nbases = {bases}\npackages = [\"systemd\", \"iptables\", \"chrony\", \"kmod\"]\nimage-type = \"tbz\"\n\n[rootfs.distro.suse]\ndelete = [\"zypper\", \"libzypp\"]\n"
        );
        if rhel {
            m.push_str("[rootfs.distro.rhel]\ndelete = [\"dnf5\"]\n\n");
        }
        m.push_str("[rootfs.distro.debian]\ndelete = [\"apt\"]\n\n");
    }

    // The changelog: two or three entries per upstream, newest first across the file.
    let mut entries: Vec<(u64, String)> = Vec::new();
    let base: u64 = 1_767_225_600; // 2026-01-01
    for u in &ups {
        let (ma, mi, pa) = u.version;
        let mut when = base + (rng.below(300 * 86_400) as u64);
        let n = 2 + rng.below(2);
        for k in 0..n {
            let v = if k == 0 {
                format!("{ma}.{mi}.{pa}")
            } else {
                format!("{ma}.{mi}.{}", pa - k as u32)
            };
            let changes = if k == 0 {
                format!("[\"Update to version {v}\", \"Refresh the {} patch\"]", rng.pick(WORDS))
            } else {
                format!("[\"Update to version {v}\"]")
            };
            entries.push((
                when,
                format!(
                    "[[entry]]\nupstream = \"{}\"\nversion = \"{v}\"\ndate = \"{}\"\nauthor = \"Bench Packagers <bench@example.org>\"\nchanges = {changes}\n",
                    u.name,
                    rfc3339(when)
                ),
            ));
            when -= 86_400 * (1 + rng.below(60) as u64);
        }
    }
    // Newest first; the upstream's own entries are already in that order.
    entries.sort_by(|x, y| y.0.cmp(&x.0));
    let mut c = String::from("# Generated by pkgforge-bench gen.\n\n");
    for (_, e) in &entries {
        c.push_str(e);
        c.push('\n');
    }

    let write = |rel: &str, text: &str| {
        let path = a.out.join(rel);
        if let Some(d) = path.parent() {
            fs::create_dir_all(d).unwrap_or_else(|e| die(&format!("{}: {e}", d.display())));
        }
        fs::write(&path, text).unwrap_or_else(|e| die(&format!("{}: {e}", path.display())));
    };
    write("packages.toml", &m);
    write("changelog.toml", &c);
    for (p, body) in &patches {
        write(p, body);
    }
    eprintln!(
        "gen: {} packages, {} upstreams, {} rootfs, {} patches, {} changelog entries in {}",
        a.packages,
        n_up,
        rootfs_names.len(),
        patches.len(),
        entries.len(),
        a.out.display()
    );
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // civil_from_days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}
