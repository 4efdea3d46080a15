//! std's own `#[ignore]` / `#[should_panic]` written after `#[partest::test]` (by hand, or
//! by a `macro_rules!` generator written for `#[test]`): taken off the function and
//! merged into the test's arguments, so they mean what they mean under libtest. Giving a
//! setting both ways is an error at the std attribute.

use crate::args::{ShouldPanic, Spanned, TestArgs};
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, ItemFn, Lit, Meta};

/// Moves `#[ignore]` and `#[should_panic]` attributes from `item` into `args` (on error,
/// `item` has none of them left either).
pub(crate) fn take(item: &mut ItemFn, args: &mut TestArgs) -> syn::Result<()> {
    let mut kept = Vec::with_capacity(item.attrs.len());
    let mut result = Ok(());
    for attr in std::mem::take(&mut item.attrs) {
        let is_std = attr.path().is_ident("ignore") || attr.path().is_ident("should_panic");
        if !is_std {
            kept.push(attr);
        } else if result.is_ok() {
            result = merge(&attr, args);
        }
    }
    item.attrs = kept;
    result
}

/// Merges one std attribute into `args`.
fn merge(attr: &Attribute, args: &mut TestArgs) -> syn::Result<()> {
    let span = attr.span();
    if attr.path().is_ident("ignore") {
        let value = ignore_reason(attr)?;
        if args.ignore.is_some() {
            return Err(both_ways(attr, "ignore"));
        }
        args.ignore = Some(Spanned { value, span });
    } else {
        let value = should_panic(attr)?;
        if args.should_panic.is_some() {
            return Err(both_ways(attr, "should_panic"));
        }
        args.should_panic = Some(Spanned { value, span });
    }
    Ok(())
}

fn both_ways(attr: &Attribute, key: &str) -> syn::Error {
    syn::Error::new_spanned(
        attr,
        format!(
            "`{key}` is given twice: in `#[partest::test({key} ...)]` and as `#[{key}]`; keep one"
        ),
    )
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// `#[ignore]` or `#[ignore = "reason"]`.
fn ignore_reason(attr: &Attribute) -> syn::Result<Option<String>> {
    match &attr.meta {
        Meta::Path(_) => Ok(None),
        Meta::NameValue(nv) => string(&nv.value)
            .map(Some)
            .ok_or_else(|| syn::Error::new_spanned(&nv.value, "expected `#[ignore = \"reason\"]`")),
        Meta::List(list) => Err(syn::Error::new_spanned(
            list,
            "expected `#[ignore]` or `#[ignore = \"reason\"]`",
        )),
    }
}

/// `#[should_panic]`, `#[should_panic = "msg"]` or `#[should_panic(expected = "msg")]`.
fn should_panic(attr: &Attribute) -> syn::Result<ShouldPanic> {
    const FORMS: &str =
        "expected `#[should_panic]`, `#[should_panic = \"...\"]` or `#[should_panic(expected = \"...\")]`";
    match &attr.meta {
        Meta::Path(_) => Ok(ShouldPanic::Any),
        Meta::NameValue(nv) => string(&nv.value)
            .map(ShouldPanic::Expected)
            .ok_or_else(|| syn::Error::new_spanned(&nv.value, FORMS)),
        Meta::List(list) => {
            let mut expected = None;
            list.parse_nested_meta(|meta| {
                if meta.path.is_ident("expected") && expected.is_none() {
                    let lit: syn::LitStr = meta.value()?.parse()?;
                    expected = Some(lit.value());
                    Ok(())
                } else {
                    Err(meta.error(FORMS))
                }
            })?;
            expected
                .map(ShouldPanic::Expected)
                .ok_or_else(|| syn::Error::new_spanned(list, FORMS))
        }
    }
}
