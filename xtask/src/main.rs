//! `cargo xtask gen`: write the generated files (completions/, man/) from the clap definition.
//!
//! It depends on `avn-cli` alone (the definition, as data), so it builds clap and nothing else
//! of avn.

use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    if task != "gen" {
        eprintln!("usage: cargo xtask gen   (writes completions/ and man/)");
        return ExitCode::from(2);
    }
    let root = root();
    let _ = std::fs::remove_dir_all(root.join("man"));
    let files = avn_cli::docs::completion_files().into_iter().chain(avn_cli::docs::man_pages());
    let mut n = 0;
    for (rel, text) in files {
        let path = root.join(&rel);
        let written = std::fs::create_dir_all(path.parent().expect("files are in directories"))
            .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        n += 1;
    }
    eprintln!("wrote {n} files under completions/ and man/");
    ExitCode::SUCCESS
}
