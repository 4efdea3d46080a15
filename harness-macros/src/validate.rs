//! Checks on the test function's signature and on combinations of arguments.
//! Every error points at the offending tokens.

use crate::args::TestArgs;
use syn::spanned::Spanned as _;
use syn::{ItemFn, ReturnType};

/// Collects every problem with `item` and `args` into one error (or none).
pub(crate) fn check(item: &ItemFn, args: &TestArgs) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    let sig = &item.sig;
    if let Some(token) = &sig.unsafety {
        errors.push(syn::Error::new(
            token.span(),
            "a test function cannot be `unsafe`",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a test function cannot declare an ABI",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            "a test function cannot be generic: partest calls it with no type arguments",
        ));
    }
    if !sig.inputs.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            "a test function takes no arguments; use partest's fixtures (e.g. `partest::worker_id()`) inside the body",
        ));
    }
    if let (Some(should_panic), ReturnType::Type(_, ty)) = (&args.should_panic, &sig.output) {
        let mut err = syn::Error::new_spanned(ty, "a `should_panic` test must return `()`");
        err.combine(syn::Error::new(
            should_panic.span,
            "`should_panic` is set here",
        ));
        errors.push(err);
    }
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            errors.for_each(|e| first.combine(e));
            Err(first)
        }
    }
}
