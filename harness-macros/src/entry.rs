//! `partest::main!()`: the test binary's `fn main`, a check that the build is not under
//! libtest's harness (which would never run a partest test), and the scan of the target's
//! module tree for tests rustc drops without that harness (see the `partest-scan` crate).

use partest_scan::{self as scan, Report};
use proc_macro2::TokenStream;
use quote::quote;
use std::fmt::Write as _;
use std::path::Path;

/// Text of the test that fails when the target is built with libtest's harness.
const HARNESS_MESSAGE: &str = "this target is built with libtest's harness, which never runs \
     partest's tests: set `harness = false` for it in Cargo.toml (`[[test]] name = \"…\" \
     harness = false`, or `[lib] harness = false` for unit tests in src/)";

/// Expands `main!()` called in `file` at `line` (None where the compiler does not say).
pub(crate) fn main(input: TokenStream, file: Option<&Path>, line: usize) -> TokenStream {
    if !input.is_empty() {
        return syn::Error::new_spanned(input, "partest::main!() takes no arguments")
            .into_compile_error();
    }
    let report = file.map(|f| scan::scan(f, line)).unwrap_or_default();
    let problems = match report.findings.is_empty() {
        true => TokenStream::new(),
        false => {
            let text = describe(&report);
            quote! { ::core::compile_error!(#text); }
        }
    };
    let notes = unjudged_notes(&report);
    quote! {
        fn main() -> ::partest::__private::ExitCode {
            ::partest::main()
        }
        /// Exists only under libtest's harness (rustc drops `#[test]` items elsewhere), where it
        /// fails: a forgotten `harness = false` is loud, never "0 tests, exit 0".
        #[::core::prelude::v1::test]
        fn partest_target_needs_harness_false() {
            ::core::panic!(#HARNESS_MESSAGE);
        }
        #problems
        #notes
    }
}

/// A file's path relative to the package (what cargo prints), else as given.
fn shown(file: &Path) -> String {
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from);
    base.and_then(|b| file.strip_prefix(b).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| file.to_path_buf())
        .display()
        .to_string()
}

/// One error listing every test that would never run.
fn describe(report: &Report) -> String {
    let n = report.findings.len();
    let mut text = format!(
        "partest::main!(): {n} test{} in this target would never run (rustc drops std's \
         #[test] items in a `harness = false` target):",
        if n == 1 { "" } else { "s" }
    );
    for f in &report.findings {
        let name = f
            .name
            .as_deref()
            .map_or("a generated fn".into(), |n| format!("`{n}`"));
        let _ = write!(
            text,
            "\n  {}:{}: {name}: {}: {}",
            shown(&f.file),
            f.line,
            f.form,
            f.fix
        );
    }
    text
}

/// Warnings (through a deprecated item: stable proc macros cannot warn otherwise) for each
/// place the scan could not look into.
fn unjudged_notes(report: &Report) -> TokenStream {
    report
        .unjudged
        .iter()
        .map(|(file, line, what)| {
            let note = format!(
                "partest::main!() could not check {}:{line}: {what}; a #[test] there would not run",
                shown(file)
            );
            quote! {
                const _: () = {
                    #[deprecated(note = #note)]
                    struct Unchecked;
                    let _ = Unchecked;
                };
            }
        })
        .collect()
}
