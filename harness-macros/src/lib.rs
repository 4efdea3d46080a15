//! Attribute macros for [partest](https://docs.rs/partest).
//!
//! Use them through the `partest` crate (`#[partest::test]`, `partest::main!()`); the
//! generated code names only `::partest::__private` and `::core`.

mod args;
mod entry;
mod expand;
mod runtime_args;
mod std_attrs;
mod test_case;
mod validate;

use proc_macro::TokenStream;

/// Registers a function as a partest test. See `partest::test` for the accepted arguments.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(attr.into(), item.into()).into()
}

/// test-case's form as partest tests: `#[partest::test_case(args ; "description")]`, one
/// attribute per case, with test-case's names. See `partest::test_case`.
#[proc_macro_attribute]
pub fn test_case(attr: TokenStream, item: TokenStream) -> TokenStream {
    test_case::test_case(attr.into(), item.into()).into()
}

/// The test binary's entry point: `fn main`, a test that fails when the target is built
/// with libtest's harness, and a build error listing every test in the target's module tree
/// that rustc would drop without that harness. See `partest::main!`.
#[proc_macro]
pub fn main(input: TokenStream) -> TokenStream {
    let call = proc_macro::Span::call_site();
    entry::main(input.into(), call.local_file().as_deref(), call.line()).into()
}
