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
    check_runtime(item, args, &mut errors);
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            errors.for_each(|e| first.combine(e));
            Err(first)
        }
    }
}

/// tokio's rules for the runtime arguments: async fns only, `worker_threads` with the
/// multi-thread flavor, `start_paused` with the current-thread one.
fn check_runtime(item: &ItemFn, args: &TestArgs, errors: &mut Vec<syn::Error>) {
    let spans = [
        args.multi_thread.as_ref().map(|a| a.span),
        args.worker_threads.as_ref().map(|a| a.span),
        args.start_paused.as_ref().map(|a| a.span),
    ];
    if item.sig.asyncness.is_none() {
        for span in spans.into_iter().flatten() {
            errors.push(syn::Error::new(
                span,
                "tokio's runtime arguments apply to an `async fn` test only",
            ));
        }
        return;
    }
    let multi = args.multi_thread.as_ref().is_some_and(|f| f.value);
    if let (Some(n), false) = (&args.worker_threads, multi) {
        errors.push(syn::Error::new(
            n.span,
            "`worker_threads` needs `flavor = \"multi_thread\"` (as under #[tokio::test])",
        ));
    }
    if let (Some(p), true) = (&args.start_paused, multi) {
        if p.value {
            errors.push(syn::Error::new(
                p.span,
                "`start_paused` needs the current-thread flavor (tokio cannot pause a multi-thread runtime's clock)",
            ));
        }
    }
}
