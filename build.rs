//! Compiles the C write path of per-test capture and the working-directory watch (Linux
//! only; see src/runner/write_capture.c and cwd_watch.c), optimised whatever the profile.

fn main() {
    println!("cargo:rerun-if-changed=src/runner/write_capture.c");
    println!("cargo:rerun-if-changed=src/runner/cwd_watch.c");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        cc::Build::new()
            .file("src/runner/write_capture.c")
            .opt_level(2)
            .debug(false)
            .warnings(true)
            .compile("partest_write_capture");
        cc::Build::new()
            .file("src/runner/cwd_watch.c")
            .opt_level(2)
            .debug(false)
            .warnings(true)
            .compile("partest_cwd_watch");
        // dlsym, for the real pthread_create (in libc itself since glibc 2.34).
        if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu") {
            println!("cargo:rustc-link-lib=dl");
        }
    }
}
