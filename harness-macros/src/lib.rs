//! Attribute macros for [partest](https://docs.rs/partest).
//!
//! Use them through the `partest` crate (`#[partest::test]`, `partest::main!()`); the
//! generated code names only `::partest::__private` and `::core`.

mod args;
mod expand;
mod std_attrs;
mod validate;

use proc_macro::TokenStream;

/// Registers a function as a partest test. See `partest::test` for the accepted arguments.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(attr.into(), item.into()).into()
}
