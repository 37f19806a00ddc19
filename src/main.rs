mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{ArchiveCommand, Cli, Color, Command};
use pkgforge::app::Project;
use pkgforge::output::{self, Kind};
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
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            match &e {
                Error::Other(err) => eprintln!("error: {err:#}"),
                Error::Usage(m) | Error::Unreachable(m) if !m.starts_with("error:") => {
                    eprintln!("error: {m}")
                }
                other => eprintln!("{other}"),
            }
            ExitCode::from(e.exit_code() as u8)
        }
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

fn print_diff(cli: &Cli, text: &str) {
    let text = if use_color(cli.color) {
        colorize(text)
    } else {
        text.to_string()
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
}

fn run(cli: &Cli) -> Result<u8, Error> {
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "pkgforge",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())
                .map_err(anyhow::Error::from)?;
            Ok(0)
        }
        Command::Distros => {
            let model = match cli.manifest.exists() {
                true => Some(Project::load(&cli.manifest)?.model),
                false => None,
            };
            let distros = match &model {
                Some(m) => m.distros.clone(),
                None => pkgforge::distro::builtin(),
            };
            print!("{}", pkgforge::distro::table(&distros));
            // Which image each target's packages require: the default base of every rootfs.
            if let Some(m) = model.filter(|m| !m.rootfs.is_empty()) {
                print!("\n{}", pkgforge::render::kiwi::default_base_table(&m));
            }
            Ok(0)
        }
        Command::Bump(args) => {
            let req = pkgforge::bump::Request {
                upstream: args.upstream.clone(),
                version: args.version.clone(),
                commit: args.commit.clone(),
                messages: args.messages.clone(),
                date: args.date.clone(),
                force: args.force,
            };
            let bump =
                pkgforge::bump::prepare(&cli.manifest, &req, &pkgforge::bump::Env::from_process())?;
            for w in &bump.warnings {
                eprintln!("warning: {w}");
            }
            if args.dry_run {
                print_diff(cli, &output::diff(&bump.plan));
                if !cli.quiet {
                    eprintln!(
                        "dry run: {} files would change; nothing was written",
                        bump.plan.changes.len()
                    );
                }
                return Ok(0);
            }
            let dir = cli.manifest.parent().unwrap_or(std::path::Path::new(""));
            output::apply(dir, &bump.plan).map_err(Error::Other)?;
            if !cli.quiet {
                let pin = bump
                    .commit
                    .as_ref()
                    .map(|c| format!("commit {c}"))
                    .or_else(|| bump.sha256.as_ref().map(|s| format!("sha256 {s}")))
                    .unwrap_or_default();
                eprintln!(
                    "bumped {} from {} to {} ({pin})",
                    bump.upstream, bump.from, bump.to
                );
                if let Some(series) = &bump.archived {
                    eprintln!("archived series {series} in obs/_archive/{series}/");
                }
                eprintln!(
                    "{} files changed; review with `git diff`, then `osc addremove && osc commit`",
                    bump.plan.changes.len()
                );
            }
            Ok(0)
        }
        Command::Archive(ArchiveCommand::List) => {
            let project = Project::load(&cli.manifest)?;
            print!("{}", pkgforge::archive::table(&project.model));
            Ok(0)
        }
        Command::Archive(ArchiveCommand::Prune { series, upstream }) => {
            let plan = pkgforge::archive::prune(&cli.manifest, series, upstream.as_deref())?;
            let dir = cli.manifest.parent().unwrap_or(std::path::Path::new(""));
            output::apply(dir, &plan).map_err(Error::Other)?;
            if !cli.quiet {
                eprintln!(
                    "pruned series {series}: {} files changed",
                    plan.changes.len()
                );
            }
            Ok(0)
        }
        Command::Check => {
            let project = Project::load(&cli.manifest)?;
            project.render()?;
            if !cli.quiet {
                eprintln!(
                    "{} is valid: {} packages, {} targets",
                    cli.manifest.display(),
                    project.model.packages.len(),
                    project.model.project.targets.len()
                );
            }
            Ok(0)
        }
        Command::Diff(sel) => {
            let project = Project::load(&cli.manifest)?;
            let selection = project.select(&sel.distros, &sel.packages)?;
            let plan = project.plan(&selection)?;
            print_diff(cli, &output::diff(&plan));
            Ok(0)
        }
        Command::Render(args) => {
            let project = Project::load(&cli.manifest)?;
            let selection = project.select(&args.select.distros, &args.select.packages)?;
            let plan = project.plan(&selection)?;
            if args.check {
                if plan.changes.is_empty() {
                    if !cli.quiet {
                        eprintln!("all {} rendered files are up to date", plan.unchanged);
                    }
                    return Ok(0);
                }
                print_diff(cli, &output::diff(&plan));
                if !cli.quiet {
                    eprintln!(
                        "{} files are out of date; run `pkgforge render` to regenerate them",
                        plan.changes.len()
                    );
                }
                return Ok(1);
            }
            project.apply(&plan)?;
            for w in pkgforge::archive::warnings(&project.model) {
                eprintln!("{w}");
            }
            if cli.verbose {
                for c in &plan.changes {
                    let verb = match c.kind {
                        Kind::Create => "created",
                        Kind::Update => "updated",
                        Kind::Remove => "removed",
                    };
                    eprintln!("{verb} {}", c.path.display());
                }
            }
            if !cli.quiet {
                let count = |k: Kind| plan.changes.iter().filter(|c| c.kind == k).count();
                eprintln!(
                    "rendered: {} created, {} updated, {} removed, {} unchanged",
                    count(Kind::Create),
                    count(Kind::Update),
                    count(Kind::Remove),
                    plan.unchanged
                );
            }
            Ok(0)
        }
    }
}
