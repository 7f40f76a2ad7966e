//! `cargo xtask gen`: write the generated files (completions/, man/) from the clap definition.
//!
//! xtask depends on nothing: it runs the `gen_docs` example of the avn package, which reaches
//! the clap definition, so that building xtask never builds avn's dependency tree a second time.

use std::path::Path;
use std::process::Command;
use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    if task != "gen" {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("usage: cargo xtask gen   (writes completions/ and man/)");
        }
        return ExitCode::from(2);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["run", "--quiet", "--package", "avn", "--example", "gen_docs", "--"])
        .arg(root)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
