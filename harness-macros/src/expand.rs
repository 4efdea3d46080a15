//! Turns a parsed and validated test into the user's function plus one
//! `#[used]` static `TestDef` in partest's linker section. On error: the original item plus the error.

use crate::args::{Serial, ShouldPanic, TestArgs};
use crate::{std_attrs, validate};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::spanned::Spanned as _;
use syn::{ItemFn, ReturnType};

/// Entry point of `#[partest::test]`.
pub(crate) fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "`#[partest::test]` applies only to functions (`fn name() { ... }`)",
            );
            return with_error(item, err);
        }
    };
    let mut args = TestArgs::default();
    let parser = syn::meta::parser(|meta| args.parse_item(meta));
    if let Err(err) = parser.parse2(attr) {
        return with_error(item, err);
    }
    if let Err(err) = std_attrs::take(&mut item_fn, &mut args) {
        // Without the malformed std attribute: rustc would report it a second time.
        return with_error(quote! { #item_fn }, err);
    }
    if let Err(err) = validate::check(&item_fn, &args) {
        return with_error(item, err);
    }
    emit(&item_fn, &args)
}

/// The item unchanged (so the user's code keeps resolving) followed by the error.
fn with_error(item: TokenStream, err: syn::Error) -> TokenStream {
    let mut out = item;
    out.extend(err.into_compile_error());
    out
}

fn emit(item: &ItemFn, args: &TestArgs) -> TokenStream {
    let ident = &item.sig.ident;
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let span = ident.span();
    let (run, async_wrapper) = test_fn(item, name);
    let fields = optional_fields(args);
    let ide_test_attr = if expanding_for_rust_analyzer() {
        quote! { #[test] }
    } else {
        TokenStream::new()
    };
    // Spanned at the function name, so the location is the one libtest reports.
    let line = quote_spanned! {span=> ::core::line!()};
    let column = quote_spanned! {span=> ::core::column!()};
    let static_name = quote::format_ident!("__PARTEST_TEST_{}", name);
    let guard = libtest_harness_guard(ident, name, !ide_test_attr.is_empty());
    let requirements = feature_requirements(args);
    quote! {
        #ide_test_attr
        #item
        #async_wrapper
        #guard
        #requirements
        #[used]
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #[cfg_attr(target_vendor = "apple", unsafe(link_section = "__DATA,__partest_tests,regular,no_dead_strip"))]
        #[cfg_attr(windows, unsafe(link_section = ".partest$b"))]
        #[cfg_attr(not(any(target_vendor = "apple", windows)), unsafe(link_section = "partest_tests"))]
        static #static_name: ::partest::__private::TestDef = ::partest::__private::TestDef {
            name: #name,
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: #line,
            column: #column,
            run: #run,
            #fields
            ..::partest::__private::TestDef::DEFAULT
        };
    }
}

/// The `TestFn` that runs the test, and for an async test the wrapper it calls.
fn test_fn(item: &ItemFn, name: &str) -> (TokenStream, TokenStream) {
    let ident = &item.sig.ident;
    let span = ident.span();
    let output_span = match &item.sig.output {
        ReturnType::Default => span,
        ReturnType::Type(_, ty) => ty.span(),
    };
    match (&item.sig.asyncness, &item.sig.output) {
        (Some(_), _) => {
            let wrapper = quote::format_ident!("__partest_async_{}", name);
            let boxed = quote_spanned! {output_span=> ::partest::__private::boxed_test(#ident())};
            let wrapper_fn = quote! {
                #[doc(hidden)]
                #[allow(non_snake_case)]
                fn #wrapper() -> ::partest::__private::TestFuture { #boxed }
            };
            (
                quote! { ::partest::__private::TestFn::Async(#wrapper) },
                wrapper_fn,
            )
        }
        (None, ReturnType::Default) => (
            quote! { ::partest::__private::TestFn::Plain(#ident) },
            TokenStream::new(),
        ),
        (None, ReturnType::Type(..)) => {
            let call = quote_spanned! {output_span=> ::partest::__private::IntoTestResult::into_test_result(#ident())};
            (
                quote! { ::partest::__private::TestFn::Fallible(|| #call) },
                TokenStream::new(),
            )
        }
    }
}

/// A std test named like the partest test that exists only when the target is built with
/// libtest's harness (rustc drops `#[test]` items elsewhere) and fails there naming the
/// fix: partest tests in a target that kept the default harness (a lib's unit tests, a
/// forgotten `harness = false`) never pass as "0 tests". Not for rust-analyzer, whose run
/// button goes on the test itself.
fn libtest_harness_guard(ident: &syn::Ident, name: &str, for_ide: bool) -> TokenStream {
    if for_ide {
        return TokenStream::new();
    }
    let module = quote::format_ident!("__partest_needs_harness_false_{}", name);
    let message = format!(
        "`{name}` is a #[partest::test], but this target is built with libtest's harness, \
         which never runs it: set `harness = false` for the target in Cargo.toml (`[lib] \
         harness = false` for unit tests in src/) and add `partest::main!();`"
    );
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[::core::prelude::v1::test]
            fn #ident() {
                ::core::panic!(#message);
            }
        }
    }
}

/// rust-analyzer shows its "Run Test" button only on fns carrying std's `#[test]`. It
/// expands proc macros in its own server process, so the attribute is added there and
/// nowhere else: rustc never sees it (a `cfg(rust_analyzer)` would trip `unexpected_cfgs`).
fn expanding_for_rust_analyzer() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.file_name()
                .map(|name| name.to_string_lossy().contains("rust-analyzer"))
        })
        .unwrap_or(false)
}

fn strs(values: &[String]) -> TokenStream {
    quote! { &[#(#values),*] }
}

/// Fields that differ from `TestDef::DEFAULT`; absent ones cost nothing to compile.
fn optional_fields(args: &TestArgs) -> TokenStream {
    let p = quote! { ::partest::__private };
    let mut out = TokenStream::new();
    if let Some(ignore) = &args.ignore {
        out.extend(match &ignore.value {
            None => quote! { ignore: #p::Ignore::Yes, },
            Some(reason) => quote! { ignore: #p::Ignore::WithReason(#reason), },
        });
    }
    if let Some(sp) = &args.should_panic {
        out.extend(match &sp.value {
            ShouldPanic::Any => quote! { should_panic: #p::ShouldPanic::Yes, },
            ShouldPanic::Expected(msg) => {
                quote! { should_panic: #p::ShouldPanic::WithMessage(#msg), }
            }
        });
    }
    out.extend(constraint_fields(args));
    out.extend(run_fields(args));
    out
}

/// The scheduling constraints' fields: serial, heavy, Redis, group, markers, pools.
fn constraint_fields(args: &TestArgs) -> TokenStream {
    let p = quote! { ::partest::__private };
    let mut out = TokenStream::new();
    if let Some(serial) = &args.serial {
        out.extend(match &serial.value {
            Serial::All => quote! { concurrency: #p::Concurrency::Serial, },
            Serial::Keys(keys) => {
                let keys = strs(keys);
                quote! { concurrency: #p::Concurrency::SerialKeys(#keys), }
            }
        });
    }
    if args.heavy_resource.is_some() {
        out.extend(quote! { heavy_resource: true, });
    }
    if args.redis_isolated.is_some() {
        out.extend(quote! { redis_isolated: true, });
    }
    if let Some(group) = &args.group {
        let g = &group.value;
        out.extend(quote! { group: ::core::option::Option::Some(#g), });
    }
    if let Some(markers) = &args.markers {
        let list = strs(&markers.value);
        out.extend(quote! { markers: #list, });
    }
    if !args.resources.is_empty() {
        let uses = args.resources.iter().map(|r| {
            let name = &r.value.name;
            let count = match r.value.count {
                Some(k) => quote! { ::core::option::Option::Some(#k) },
                None => quote! { ::core::option::Option::None },
            };
            quote! { #p::ResourceUse { pool: #name, count: #count } }
        });
        out.extend(quote! { resources: &[#(#uses),*], });
    }
    out
}

/// How the test runs: its time limit, retries and async runtime.
fn run_fields(args: &TestArgs) -> TokenStream {
    let p = quote! { ::partest::__private };
    let mut out = TokenStream::new();
    if let Some(t) = &args.timeout {
        let (secs, nanos) = (t.value.as_secs(), t.value.subsec_nanos());
        out.extend(quote! { timeout: ::core::option::Option::Some(::core::time::Duration::new(#secs, #nanos)), });
    }
    if let Some(r) = &args.retries {
        let n = r.value;
        out.extend(quote! { retries: #n, });
    }
    let multi_thread = args.multi_thread.as_ref().is_some_and(|f| f.value);
    let start_paused = args.start_paused.as_ref().is_some_and(|f| f.value);
    let worker_threads = args.worker_threads.as_ref().map_or(0, |n| n.value);
    if multi_thread || start_paused || worker_threads > 0 {
        out.extend(quote! {
            runtime: #p::AsyncRuntime {
                multi_thread: #multi_thread,
                worker_threads: #worker_threads,
                start_paused: #start_paused,
            },
        });
    }
    out
}

/// Items that stop the build, at the argument, when it needs a partest feature that is off.
fn feature_requirements(args: &TestArgs) -> TokenStream {
    let p = quote! { ::partest::__private };
    let mut out = TokenStream::new();
    for arg in [&args.multi_thread, &args.start_paused]
        .into_iter()
        .flatten()
        .map(|a| a.span)
        .chain(args.worker_threads.as_ref().map(|a| a.span))
    {
        out.extend(quote_spanned! {arg=> #p::require_tokio!{} });
    }
    if let Some(paused) = args.start_paused.as_ref().filter(|p| p.value) {
        let span = paused.span;
        out.extend(quote_spanned! {span=> #p::require_tokio_test_util!{} });
    }
    out
}
