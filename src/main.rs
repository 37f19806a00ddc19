mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{ArchiveCommand, Cli, Color, Command, TemplatesCommand};
use pkgforge::commands::{self, Global, Outcome, Stdout};
use pkgforge::Error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let say = |message: &str| eprintln!("{message}");
    let g = Global {
        manifest: &cli.manifest,
        quiet: cli.quiet,
        verbose: cli.verbose,
        say: &say,
    };
    match run(&cli, &g) {
        Ok(outcome) => {
            print_outcome(&cli, &outcome);
            ExitCode::from(outcome.code)
        }
        Err(e) => {
            eprintln!("{}", e.rendered());
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Hand the parsed arguments to the command's `run()`.
fn run(cli: &Cli, g: &Global) -> Result<Outcome, Error> {
    match &cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "pkgforge", &mut out);
            Ok(Outcome::text(0, String::from_utf8_lossy(&out).into_owned()))
        }
        Command::Man => {
            let mut out = Vec::new();
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut out).map_err(anyhow::Error::from)?;
            Ok(Outcome::text(0, String::from_utf8_lossy(&out).into_owned()))
        }
        Command::Templates(TemplatesCommand::List) => Ok(commands::templates::list()),
        Command::Templates(TemplatesCommand::Show { name }) => commands::templates::show(name),
        Command::Distros => commands::distros::run(g),
        Command::Bump(args) => {
            let args = commands::bump::Args {
                request: pkgforge::bump::Request {
                    upstream: args.upstream.clone(),
                    version: args.version.clone(),
                    commit: args.commit.clone(),
                    messages: args.messages.clone(),
                    date: args.date.clone(),
                    force: args.force,
                },
                dry_run: args.dry_run,
            };
            commands::bump::run(g, &args, &pkgforge::bump::Env::from_process())
        }
        Command::Watch(args) => {
            let args = commands::watch::Args {
                upstreams: args.upstreams.clone(),
                json: args.json,
                apply: args.apply,
                commit_branch: args.commit_branch.clone(),
                jobs: args.jobs,
                timeout: args.timeout,
                progress: std::io::stderr().is_terminal(),
            };
            commands::watch::run(g, &args, &pkgforge::bump::Env::from_process())
        }
        Command::Resolve(args) => {
            let args = commands::resolve::Args {
                distros: args.distros.clone(),
                arch: args.arch.clone(),
                json: args.json,
                timeout: args.timeout,
            };
            commands::resolve::run(g, &args)
        }
        Command::Sources(args) => {
            let args = commands::sources::Args {
                packages: args.packages.clone(),
                progress: std::io::stderr().is_terminal(),
            };
            commands::sources::run(g, &args)
        }
        Command::Build(args) => {
            let args = commands::build::Args {
                distros: args.distros.clone(),
                packages: args.packages.clone(),
                host: args.host,
                progress: std::io::stderr().is_terminal(),
            };
            commands::build::run(g, &args)
        }
        Command::Verify(args) => {
            let now = jiff::Timestamp::now().as_second();
            commands::verify::run(g, &args.upstreams, args.json, now)
        }
        Command::Import(args) => {
            let args = commands::import::Args {
                request: pkgforge::import::Request {
                    dirs: args.dirs.clone(),
                    upstream: args.upstream.clone(),
                },
                write: args.write,
            };
            commands::import::run(g, &args)
        }
        Command::Archive(ArchiveCommand::List) => commands::archive::list(g),
        Command::Archive(ArchiveCommand::Prune { series, upstream }) => {
            commands::archive::prune(g, series, upstream.as_deref())
        }
        Command::Check => commands::check::run(g),
        Command::Diff(sel) => commands::diff::run(g, &sel.distros, &sel.packages),
        Command::Render(args) => {
            let args = commands::render::Args {
                distros: args.select.distros.clone(),
                packages: args.select.packages.clone(),
                check: args.check,
            };
            commands::render::run(g, &args)
        }
    }
}

/// Stdout, then the messages that follow it on stderr.
fn print_outcome(cli: &Cli, outcome: &Outcome) {
    let mut stdout = std::io::stdout().lock();
    let _ = match &outcome.stdout {
        Stdout::Nothing => Ok(()),
        Stdout::Text(text) => stdout.write_all(text.as_bytes()),
        Stdout::Diff(diff) if use_color(cli.color) => stdout.write_all(colorize(diff).as_bytes()),
        Stdout::Diff(diff) => stdout.write_all(diff.as_bytes()),
    };
    let _ = stdout.flush();
    for line in &outcome.closing {
        eprintln!("{line}");
    }
}

fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
    }
}

fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let code =
            if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                ""
            };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let body = line.trim_end_matches('\n');
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m"));
            if line.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}
