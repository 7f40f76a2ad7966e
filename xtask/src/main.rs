//! `cargo xtask gen`: write the generated files (completions/, man/) from the clap definition.

use std::path::Path;
use std::path::PathBuf;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn main() {
    let task = std::env::args().nth(1).unwrap_or_default();
    if task != "gen" {
        eprintln!("usage: cargo xtask gen   (writes completions/ and man/)");
        std::process::exit(2);
    }
    let root = root();
    let _ = std::fs::remove_dir_all(root.join("man"));
    let files = avn::docs::completion_files().into_iter().chain(avn::docs::man_pages());
    let mut n = 0;
    for (rel, text) in files {
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().expect("files are in directories")).expect("create directory");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        n += 1;
    }
    eprintln!("wrote {n} files under completions/ and man/");
}
