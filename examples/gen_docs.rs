//! Writes the generated files (completions/, man/) from the clap definition into the directory
//! given as the first argument. Run through `cargo xtask gen`, which keeps xtask itself free of
//! the avn crate and its dependencies.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::args_os().nth(1).expect("usage: gen_docs ROOT"));
    let _ = std::fs::remove_dir_all(root.join("man"));
    let files = avn::docs::completion_files().into_iter().chain(avn::docs::man_pages());
    let mut n = 0;
    for (rel, text) in files {
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().expect("files are in directories"))?;
        std::fs::write(&path, text)?;
        n += 1;
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("wrote {n} files under completions/ and man/");
    }
    Ok(())
}
