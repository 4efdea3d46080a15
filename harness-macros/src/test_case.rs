//! `#[partest::test_case(args ; "description")]`: test-case's form, with test-case's names
//! (3.x: `fn_name::test_case_N_description`), each case a partest test. The first
//! attribute takes every `test_case` attribute below it on the same function; each case is
//! a function in a module named like the tested function that calls it with the case's
//! arguments. A `#[partest::test(...)]` on the function gives every case its markers.
//! `=>` expectations are left out: assert in the body.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ItemFn, LitStr, Token};

/// One case: its arguments and its description.
struct Case {
    args: Punctuated<Expr, Token![,]>,
    description: Option<LitStr>,
    span: Span,
}

impl Parse for Case {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let mut args = Punctuated::new();
        while !input.is_empty() && !input.peek(Token![;]) && !input.peek(Token![=>]) {
            args.push_value(input.parse::<Expr>()?);
            if input.peek(Token![,]) {
                args.push_punct(input.parse()?);
            } else {
                break;
            }
        }
        if input.peek(Token![=>]) {
            return Err(input.error(
                "partest::test_case does not take test-case's `=>` expectations; assert in the \
                 test body instead",
            ));
        }
        let description = match input.parse::<Option<Token![;]>>()? {
            Some(_) => Some(input.parse::<LitStr>()?),
            None => None,
        };
        if !input.is_empty() {
            return Err(input.error("expected `,`, `;` or the end of the case"));
        }
        Ok(Case {
            args,
            description,
            span,
        })
    }
}

/// test-case's escaping: lower case, runs of other characters one `_`, a leading digit
/// prefixed with `_`.
fn escape(text: &str) -> String {
    if text.is_empty() {
        return "_empty".into();
    }
    let mut last_under = false;
    let mut out: String = text
        .to_ascii_lowercase()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() => {
                last_under = false;
                Some(c.to_ascii_lowercase())
            }
            _ if !last_under => {
                last_under = true;
                Some('_')
            }
            _ => None,
        })
        .collect();
    if !out.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()) {
        out = format!("_{out}");
    }
    out
}

impl Case {
    /// test-case's name for case `number` (1-based).
    fn name(&self, number: usize) -> String {
        let text = match &self.description {
            Some(d) => d.value(),
            None => {
                let mut acc = String::new();
                for arg in &self.args {
                    acc.push_str(&quote!(#arg).to_string());
                    acc.push('_');
                }
                acc.push_str("expects");
                acc
            }
        };
        let escaped = escape(&text);
        let sep = if escaped.starts_with('_') { "" } else { "_" };
        format!("test_case_{number}{sep}{escaped}")
    }
}

fn is_case_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        segments.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["test_case"] | ["partest", "test_case"]
    )
}

fn is_partest_test(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["partest", "test"]
}

/// Entry point of `#[partest::test_case(...)]`.
pub(crate) fn test_case(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr, item.clone()) {
        Ok(out) => out,
        Err(e) => {
            let mut out = item;
            out.extend(e.into_compile_error());
            out
        }
    }
}

fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut item: ItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "`#[partest::test_case]` applies only to functions",
        )
    })?;
    let mut cases = vec![syn::parse2::<Case>(attr)?];
    let mut kept = Vec::new();
    for a in std::mem::take(&mut item.attrs) {
        if is_case_attr(&a) {
            cases.push(a.parse_args::<Case>()?);
        } else {
            kept.push(a);
        }
    }
    // Attributes go to every case (as test-case does); the function keeps only `allow`s.
    let has_partest = kept.iter().any(is_partest_test);
    let case_attrs: Vec<Attribute> = kept.clone();
    item.attrs = kept
        .into_iter()
        .filter(|a| a.path().is_ident("allow"))
        .collect();
    let test_attr = match has_partest {
        true => TokenStream::new(),
        false => quote! { #[::partest::test] },
    };
    let fn_name = &item.sig.ident;
    let asyncness = &item.sig.asyncness;
    let output = &item.sig.output;
    let awaiting = asyncness.as_ref().map(|_| quote! { .await });
    let rendered = cases.iter().enumerate().map(|(i, case)| {
        let name = syn::Ident::new(&case.name(i + 1), case.span);
        let args = &case.args;
        quote! {
            #test_attr
            #(#case_attrs)*
            #asyncness fn #name() #output {
                super::#fn_name(#args) #awaiting
            }
        }
    });
    Ok(quote! {
        #[allow(unused_attributes)]
        #item

        #[cfg(test)]
        mod #fn_name {
            #[allow(unused_imports)]
            use super::*;

            #(#rendered)*
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str) -> Case {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn names_follow_test_case() {
        assert_eq!(case("1 ; \"one\"").name(1), "test_case_1_one");
        assert_eq!(case("2, 3").name(2), "test_case_2_2_3_expects");
        assert_eq!(
            case("\"Hello World\"").name(3),
            "test_case_3_hello_world_expects"
        );
        assert_eq!(case("x ; \"\"").name(1), "test_case_1_empty");
    }

    #[test]
    fn expectations_are_refused() {
        let err = syn::parse_str::<Case>("1 => 2").err().unwrap();
        assert!(err.to_string().contains("`=>`"), "{err}");
    }
}
