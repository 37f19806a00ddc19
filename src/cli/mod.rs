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
pub struct Cli {
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
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
    /// Validate the manifest, the changelog and the templates; writes nothing.
    #[command(after_help = "Example:\n  pkgforge check && echo valid")]
    Check,
    /// List the distros pkgforge knows (built in and from the manifest).
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
pub struct SelectArgs {
    /// A distro id, a family (opensuse, sle, fedora, centos, debian, ubuntu), a group
    /// (suse, rhel), a format (rpm, deb) or `all`. Repeatable. Selects files; never changes them.
    #[arg(long = "distro", value_name = "D")]
    pub distros: Vec<String>,
    /// Only this package's files. Repeatable.
    #[arg(long = "package", value_name = "P")]
    pub packages: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Write nothing; print the diff of stale, missing and extra files and exit 1 if any.
    #[arg(long)]
    pub check: bool,
}
