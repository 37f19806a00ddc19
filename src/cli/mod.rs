//! The command line: clap structs, one per command. Nothing here knows how to render.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "pkgforge",
    version,
    about = "Render OBS packaging for every distro from one manifest",
    long_about = "pkgforge turns packages.toml into SUSE-style spec files, .changes, Debian \
                  debtransform sources, OBS _service files and kiwi descriptions, ready for `osc commit`.",
    after_help = "Examples:\n  pkgforge render --distro opensuse\n  pkgforge render --check\n  pkgforge diff --package kata-runtime\n  pkgforge distros"
)]
pub(crate) struct Cli {
    /// The manifest; output paths are relative to its directory.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "packages.toml"
    )]
    pub manifest: PathBuf,

    /// When to color diffs.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also list every file written or removed.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Render the outputs, writing only files whose content changed.
    #[command(
        after_help = "Examples:\n  pkgforge render                       # everything\n  pkgforge render --distro opensuse     # only what openSUSE targets use\n  pkgforge render --package kata-agent --distro rpm\n  pkgforge render --check               # exit 1 and show the diff if anything is stale"
    )]
    Render(RenderArgs),
    /// Print the diff between the rendered outputs and the files on disk; writes nothing.
    #[command(
        after_help = "Examples:\n  pkgforge diff\n  pkgforge diff --distro debian-12 | less -R"
    )]
    Diff(SelectArgs),
    /// Move every package of an upstream to a new release: manifest, changelog, outputs.
    #[command(
        after_help = "Examples:\n  pkgforge bump --version 3.15.0                 # the first upstream of the manifest\n  pkgforge bump --upstream linux --version 6.12.14\n  pkgforge bump --version 3.15.0 --dry-run       # print the diff, write nothing\n  pkgforge bump --version 3.15.0 --message \"Fix CVE-2026-1234\"\n\nThen review with `git diff` and upload with `osc addremove && osc commit`."
    )]
    Bump(BumpArgs),
    /// Ask every upstream for new releases, report, and with --apply bump them.
    #[command(
        after_help = "Examples:\n  pkgforge watch                                 # report; exit 1 when updates are available\n  pkgforge watch --json\n  pkgforge watch --apply --commit-branch pkgforge/updates\n\nExit codes: 0 nothing to do, 1 updates available, 3 some upstreams could not be checked,\n4 a pinned tag moved or a release's signature does not verify with the upstream's keyring. GITHUB_TOKEN is used when set; PKGFORGE_GITHUB_API overrides the API base."
    )]
    Watch(WatchArgs),
    /// Check every build and runtime requirement of every rendered package against each
    /// target's real repositories plus the packages the project builds.
    #[command(
        after_help = "Examples:\n  pkgforge resolve                        # every target\n  pkgforge resolve --distro debian-12\n  pkgforge resolve --distro rpm --json\n\nRepositories come from the distro table and [distros.<id>] repositories /\nadd-repositories; metadata is cached in .pkgforge-resolve-cache/ beside the manifest.\nExit codes: 0 everything resolves, 2 a requirement cannot be met (or invalid input),\n3 some target's repositories could not be read."
    )]
    Resolve(ResolveArgs),
    /// Make the files each package's _service makes on OBS (the pinned commit's archives,
    /// the checked tarball, the vendored dependencies) into obs/<package>/.
    #[command(
        after_help = "Examples:\n  pkgforge sources                        # every package\n  pkgforge sources --package kata-agent\n  pkgforge -q sources --package kata-runtime --package kata-agent\n\nGit upstreams: <name>-<version>.obscpio and <name>.obsinfo (obs_scm), <name>-<version>.tar.gz\n(tar + recompress; .tar.xz without Debian or Ubuntu targets), vendor.tar.gz (go_modules, runs `go mod vendor`) or vendor.tar.zst\n(cargo_vendor, runs `cargo vendor`), whose dependencies' licences go into vendor-licenses.toml\nbeside the manifest (commit it: render writes debian/copyright from it). Tarball upstreams: the tarball, its sha256 checked.\nThe same pins give byte-identical files. Made files are cached by commit or sha256 in\n.pkgforge-sources-cache/ beside the manifest; obs/<package>/.gitignore keeps them out of git.\nExit codes: 0 done, 2 invalid input, 3 an upstream could not be read, 4 a pin does not hold\n(a moved tag, a missing commit, a tarball with another sha256); nothing is written then."
    )]
    Sources(SourcesArgs),
    /// Build every package for every target as OBS's worker does (obs-build in a chroot,
    /// as root) or on this machine (--host), install the result and run its smoke test.
    #[command(
        after_help = "Examples:\n  sudo pkgforge build --distro debian-12      # obs-build in a chroot from the target's repositories\n  pkgforge build --host --distro fedora-42    # rpmbuild on this machine\n  pkgforge build --host --package hello --distro deb\n\nThe files `pkgforge sources` made must be in obs/<package>/. A chroot build (Debian and\nUbuntu targets) runs obs-build's `build` with the target's repositories and the rendered\nobs/_meta/<project>.prjconf, installs the built packages in that root with `dpkg -i` and\nruns the package's `test` command there under chroot; it needs root. --host builds with\nthe host's rpmbuild (the target's spec and macros, --nodeps) or dpkg-buildpackage (the\ntarget's debian/ directory), unpacks the packages into an empty root (`rpm -i --root\nROOT --nodeps --noscripts`, or `dpkg -x`) and runs `test` with ROOT's bin directories\nfirst in PATH and its lib directories in LD_LIBRARY_PATH: it proves the packaging on this\nhost, not on the target, and says so. Logs: .pkgforge-build/<target>/<package>.log; built\npackages: .pkgforge-build/<target>/<package>/.\nExit codes: 0 every build and smoke test passed, 2 invalid input (missing sources, not\nroot for a chroot build), 3 a target's repositories could not be reached, 5 a build, an\ninstall or a smoke test failed (each failure names its log)."
    )]
    Build(BuildArgs),
    /// Audit every pin, archived series included: the tag still points to the pinned
    /// commit, the tarball still has the pinned sha256, the signature verifies. Writes nothing.
    #[command(
        after_help = "Examples:\n  pkgforge verify\n  pkgforge verify --upstream linux --json\n\nExit codes: 0 every pin holds, 3 some could not be checked, 4 a pin no longer holds\n(a tag moved, a tarball changed, a signature does not verify)."
    )]
    Verify(VerifyArgs),
    /// Read existing OBS packaging (spec, _service, .changes, debtransform files) into
    /// manifest entries; print them, or add them to the manifest with --write.
    #[command(
        after_help = "Examples:\n  pkgforge import ~/osc/home:me/tool                  # print the entries and the report\n  pkgforge import ~/osc/home:me/tool ~/osc/home:me/tool-data --upstream tool\n  pkgforge import ~/osc/home:me/tool --write          # add them to packages.toml and changelog.toml\n\nEach spec is evaluated with `rpmspec -P` for every rpm target of the manifest; what differs\nbecomes [names] entries or [packages.distro.<id>] overrides. What has no manifest key is listed\non stderr at the end, each at its file and line. Then `pkgforge diff` shows what the render changes.\nExit codes: 0 done, 2 invalid input (nothing is written)."
    )]
    Import(ImportArgs),
    /// Archived release series: list them, or prune one.
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Validate the manifest, the changelog and the templates; writes nothing.
    #[command(after_help = "Example:\n  pkgforge check && echo valid")]
    Check,
    /// The built-in templates: list their names, or print one to start an override from.
    #[command(
        subcommand,
        after_help = "Examples:\n  pkgforge templates list\n  pkgforge templates show spec.tera > templates/spec.tera"
    )]
    Templates(TemplatesCommand),
    /// List the distros pkgforge knows (built in and from the manifest), and for each
    /// rootfs of the manifest the base whose image every target's packages require.
    #[command(
        after_help = "Examples:\n  pkgforge distros\n  pkgforge --manifest path/to/packages.toml distros"
    )]
    Distros,
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  pkgforge completions bash > /etc/bash_completion.d/pkgforge"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  pkgforge man > pkgforge.1 && man ./pkgforge.1")]
    Man,
}

#[derive(Args, Debug)]
pub(crate) struct SelectArgs {
    /// A distro id, a family (opensuse, sle, fedora, centos, debian, ubuntu), a group
    /// (suse, rhel), a format (rpm, deb) or `all`. Repeatable. Selects files; never changes them.
    #[arg(long = "distro", value_name = "D")]
    pub distros: Vec<String>,
    /// Only this package's files. Repeatable.
    #[arg(long = "package", value_name = "P")]
    pub packages: Vec<String>,
}

#[derive(Args, Debug)]
pub(crate) struct SourcesArgs {
    /// Only this package's sources. Repeatable.
    #[arg(long = "package", value_name = "P")]
    pub packages: Vec<String>,
}

#[derive(Args, Debug)]
pub(crate) struct BuildArgs {
    /// A distro id, family, group, format or `all` (the default). Repeatable.
    #[arg(long = "distro", value_name = "D")]
    pub distros: Vec<String>,
    /// Only this package. Repeatable.
    #[arg(long = "package", value_name = "P")]
    pub packages: Vec<String>,
    /// Build on this machine with rpmbuild or dpkg-buildpackage instead of in a chroot
    /// of the target; the smoke test runs from an unpacked root on the host.
    #[arg(long)]
    pub host: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ResolveArgs {
    /// A distro id, family, group, format or `all` (the default). Repeatable.
    #[arg(long = "distro", value_name = "D")]
    pub distros: Vec<String>,
    /// The architecture to check, by its rpm name (default: x86_64 when the project
    /// builds it, else the project's first).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Print the reports as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds before a request gives up.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub(crate) struct RenderArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Write nothing; print the diff of stale, missing and extra files and exit 1 if any.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args, Debug)]
pub(crate) struct BumpArgs {
    /// The new upstream version, e.g. 3.15.0.
    #[arg(long, value_name = "V")]
    pub version: String,
    /// The upstream to bump (default: the first one of the manifest).
    #[arg(long, value_name = "U")]
    pub upstream: Option<String>,
    /// Pin this commit instead of looking up the release tag.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// A changelog line (repeatable); default "Update to version V" plus GitHub release notes.
    #[arg(long = "message", value_name = "TEXT")]
    pub messages: Vec<String>,
    /// The changelog date (RFC 3339); default SOURCE_DATE_EPOCH, else now.
    #[arg(long, value_name = "RFC3339")]
    pub date: Option<String>,
    /// Accept a version that is not newer or is outside `track`.
    #[arg(long)]
    pub force: bool,
    /// Print the diff of every file it would change, manifest included; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// OBS package directories (osc checkouts or plain directories with a spec).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// The upstream the imported packages build from (default: one per package, named
    /// after it).
    #[arg(long, value_name = "NAME")]
    pub upstream: Option<String>,
    /// Add the entries to packages.toml and changelog.toml, keeping everything else.
    #[arg(long)]
    pub write: bool,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ArchiveCommand {
    /// Every archived series with its pin, and whether it is beyond keep-archived.
    #[command(after_help = "Example:\n  pkgforge archive list")]
    List,
    /// Remove one archived series: its [[archive]] entry and its outputs, nothing else.
    #[command(
        after_help = "Examples:\n  pkgforge archive prune --series 3.0\n  pkgforge archive prune --series 6.6 --upstream linux"
    )]
    Prune {
        /// The series (major.minor).
        #[arg(long, value_name = "S")]
        series: String,
        /// The upstream, when several have that series.
        #[arg(long, value_name = "U")]
        upstream: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum TemplatesCommand {
    /// The name of every built-in template, one a line.
    #[command(after_help = "Example:\n  pkgforge templates list")]
    List,
    /// Print a built-in template, with the stamp line that records which text it is.
    #[command(
        after_help = "Examples:\n  pkgforge templates show spec.tera > templates/spec.tera        # start an override\n  pkgforge templates show debian/control.tera | diff - templates/debian/control.tera"
    )]
    Show {
        /// The template, as `templates list` prints it (spec.tera, debian/control.tera).
        #[arg(value_name = "NAME")]
        name: String,
    },
}

#[derive(Args, Debug)]
pub(crate) struct WatchArgs {
    /// Only these upstreams. Repeatable.
    #[arg(long = "upstream", value_name = "U")]
    pub upstreams: Vec<String>,
    /// One JSON object per upstream on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Bump every upstream that has an allowed newer release.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: commit the result to this branch (created from HEAD), leaving the
    /// checked-out branch and its files as they were.
    #[arg(long, value_name = "NAME", requires = "apply")]
    pub commit_branch: Option<String>,
    /// Upstreams checked at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub jobs: usize,
    /// Seconds before a request is abandoned.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Only these upstreams. Repeatable.
    #[arg(long = "upstream", value_name = "U")]
    pub upstreams: Vec<String>,
    /// One JSON object per pin on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Conflicting flags, missing value names and duplicate short options fail here
    /// rather than when someone runs the command.
    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
