//! The binary: parses the command line, runs the command, prints errors and exits with the
//! documented code. Nothing here panics on a closed stdout or stderr.

use std::process::ExitCode;

use clap::Parser;
use pelcro_conformance::app;
use pelcro_conformance::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // clap: 0 for --help and --version, 2 for a usage error, as documented.
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    let result = match cli.command {
        Command::Run(args) => app::run(*args).await,
        Command::Mock(args) => app::mock(args).await,
        Command::Diff(args) => app::diff(args),
        Command::History(args) => app::history(args),
        Command::Claims(args) => app::claims(args),
        Command::Check(args) => app::check(args),
        Command::Schema(args) => app::schema(args),
        Command::Completions(args) => app::completions(args),
        Command::Man(args) => app::man(args),
        Command::Openapi(args) => app::openapi(args).await,
        Command::Proxy(args) => app::proxy(args).await,
        Command::Explore(args) => app::explore(*args).await,
        Command::Profile(args) => match args.command {
            pelcro_conformance::cli::ProfileCommand::Discover(args) => app::discover(args).await,
        },
    };
    let exit = match result {
        Ok(exit) => exit,
        Err(error) => {
            // A closed stderr must not turn an error into a panic; URL credentials and control
            // characters never reach the terminal.
            let mut text = String::new();
            for message in &error.messages {
                let message = pelcro_conformance::redact::without_userinfo(message);
                let message = pelcro_conformance::report::console::escape_controls(&message);
                text.push_str(&format!("error: {message}\n"));
            }
            pelcro_conformance::report::console::eprint(&text);
            error.exit
        }
    };
    ExitCode::from(exit as u8)
}
