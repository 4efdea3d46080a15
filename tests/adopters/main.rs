//! Drives real adopter crates (tests/fixtures) as a user would: builds their test
//! binaries once, runs them as subprocesses, and compares partest with real libtest.

mod common;

#[cfg(target_os = "linux")]
mod async_pool;
mod capture;
mod fixtures;
mod flags;
#[cfg(target_os = "linux")]
mod hardening;
#[cfg(target_os = "linux")]
mod isolation;
#[cfg(target_os = "linux")]
mod leases;
mod migration;
mod parity;
#[cfg(unix)]
mod real_crates;
mod reliability;
mod runners;
mod scheduling;
mod selection;
#[cfg(target_os = "linux")]
mod services;
#[cfg(unix)]
mod session;
#[cfg(unix)]
mod shards;
mod threads;
mod timeline;
#[cfg(unix)]
mod workspace;
