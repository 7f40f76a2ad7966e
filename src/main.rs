use std::process::ExitCode;

fn main() -> ExitCode {
    avn::main()
}
