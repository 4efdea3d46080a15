//! tokio's runtime arguments on `#[partest::test(...)]`: `flavor`, `worker_threads`,
//! `start_paused` (what `#[tokio::test(...)]` takes), parsed into [`TestArgs`].

use crate::args::{set_once, string_value, Item, Spanned, TestArgs};
use syn::LitInt;

impl TestArgs {
    /// tokio's `flavor = "current_thread" | "multi_thread"`.
    pub(crate) fn flavor(&mut self, item: &Item) -> syn::Result<()> {
        let lit = string_value(item.meta, item.has_value, "flavor = \"multi_thread\"")?;
        let value = match lit.value().as_str() {
            "current_thread" => false,
            "multi_thread" => true,
            other => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown flavor `{other}`; expected \"current_thread\" or \"multi_thread\""
                    ),
                ))
            }
        };
        let span = item.span;
        set_once(
            &mut self.multi_thread,
            Spanned { value, span },
            item.meta,
            "flavor",
        )
    }

    /// tokio's `worker_threads = N` (N ≥ 1).
    pub(crate) fn worker_threads(&mut self, item: &Item) -> syn::Result<()> {
        if !item.has_value {
            return Err(item.meta.error("expected `worker_threads = N`"));
        }
        let lit: LitInt = item.meta.value()?.parse()?;
        let value: u16 = lit.base10_parse()?;
        if value == 0 {
            return Err(syn::Error::new(
                lit.span(),
                "`worker_threads` must be at least 1",
            ));
        }
        let span = item.span;
        set_once(
            &mut self.worker_threads,
            Spanned { value, span },
            item.meta,
            "worker_threads",
        )
    }

    /// tokio's `start_paused = true | false`.
    pub(crate) fn start_paused(&mut self, item: &Item) -> syn::Result<()> {
        if !item.has_value {
            return Err(item.meta.error("expected `start_paused = true`"));
        }
        let lit: syn::LitBool = item.meta.value()?.parse()?;
        let span = item.span;
        let value = lit.value;
        set_once(
            &mut self.start_paused,
            Spanned { value, span },
            item.meta,
            "start_paused",
        )
    }
}
