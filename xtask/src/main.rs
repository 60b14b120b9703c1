//! `cargo xtask`: every developer workflow of the workspace, as one small binary.
//!
//! `main` only dispatches; each task lives in its own module with a `run` function, and the flags
//! of every task are parsed in [`flags`].

mod bench;
mod ci;
mod cmd;
mod crash;
mod demo;
mod flags;
mod fuzz;
mod load;
mod redis;

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = match flags::Task::from_args(std::env::args().skip(1)) {
        Ok(task) => task,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", flags::HELP);
            return ExitCode::from(2);
        }
    };
    let outcome = match task {
        flags::Task::Help => {
            println!("{}", flags::HELP);
            Ok(())
        }
        flags::Task::Ci => ci::run(),
        flags::Task::Demo { store } => demo::run(store.as_deref()),
        flags::Task::Load { args } => load::run(&args),
        flags::Task::Fuzz { target, seconds } => fuzz::run(&target, seconds),
        flags::Task::Bench { name, mode } => bench::run(name.as_deref(), mode),
        flags::Task::Crash { rounds } => crash::run(rounds),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
