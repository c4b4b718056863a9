//! The one integration-test binary: runs the real `kclrs` executable in a temporary sandbox per
//! test (its own HOME, cache and working directory) and checks exit code, stdout and stderr.
//! Each area of the CLI has its own module; `support` holds the shared sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

mod basics;
mod default_path;
mod download;
mod e2e;
mod first_run;
mod h2server;
mod hostile;
mod hostile_models;
mod java;
mod launch;
mod local_users;
mod lock;
mod logs_cds;
mod maven_config;
mod properties;
mod sample;
mod security;
mod server;
mod untrusted_text;
