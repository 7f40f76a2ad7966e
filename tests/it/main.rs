//! Integration tests: the real `avn` binary against real HTTP servers on 127.0.0.1.

mod client;
mod config;
mod local;
mod local_support;
mod service_create;
mod service_read;
mod service_write;
mod support;
