//! The arguments of `avn local`.

use clap::Subcommand;

pub mod down;
pub mod gc;
pub mod serve;
pub mod status;
pub mod up;

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    Up(up::UpArgs),
    Down(down::DownArgs),
    Status(status::StatusArgs),
    Gc(gc::GcArgs),
    Serve(serve::ServeArgs),
}
