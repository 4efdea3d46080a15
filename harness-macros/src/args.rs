//! Parsing of `#[partest::test(...)]` arguments into [`TestArgs`], each value kept with its span.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{LitInt, LitStr};

/// The keys `#[partest::test(...)]` accepts, listed in the unknown-key error.
pub(crate) const ACCEPTED: &str =
    "`serial`, `serial(key, ...)`, `heavy_resource`, `redis_isolated`, \
`group = \"name\"`, `markers(name, ...)`, `ignore`, `ignore = \"reason\"`, `should_panic`, \
`should_panic(expected = \"...\")`, `timeout = \"30s\"`, `retries = N`, \
`resource(name)`, `resource(name, count = K)`, and on an async fn \
`flavor = \"current_thread\" | \"multi_thread\"`, `worker_threads = N`, `start_paused = true`";

/// A value together with the span of the tokens that set it.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// `serial` or `serial(key, ...)`.
pub(crate) enum Serial {
    All,
    Keys(Vec<String>),
}

/// `should_panic` or `should_panic(expected = "...")`.
pub(crate) enum ShouldPanic {
    Any,
    Expected(String),
}

/// One `resource(name)` / `resource(name, count = K)` use.
pub(crate) struct Resource {
    pub(crate) name: String,
    pub(crate) count: Option<u32>,
}

/// Everything an attribute said, before cross-field validation.
#[derive(Default)]
pub(crate) struct TestArgs {
    pub(crate) serial: Option<Spanned<Serial>>,
    pub(crate) heavy_resource: Option<Span>,
    pub(crate) redis_isolated: Option<Span>,
    pub(crate) group: Option<Spanned<String>>,
    pub(crate) markers: Option<Spanned<Vec<String>>>,
    pub(crate) ignore: Option<Spanned<Option<String>>>,
    pub(crate) should_panic: Option<Spanned<ShouldPanic>>,
    pub(crate) timeout: Option<Spanned<std::time::Duration>>,
    pub(crate) retries: Option<Spanned<u32>>,
    pub(crate) resources: Vec<Spanned<Resource>>,
    /// tokio's `flavor`: true for `"multi_thread"`.
    pub(crate) multi_thread: Option<Spanned<bool>>,
    /// tokio's `worker_threads = N`.
    pub(crate) worker_threads: Option<Spanned<u16>>,
    /// tokio's `start_paused = true`.
    pub(crate) start_paused: Option<Spanned<bool>>,
}

pub(crate) fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    meta: &ParseNestedMeta,
    key: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{key}` set multiple times")));
    }
    *slot = Some(value);
    Ok(())
}

fn ident_list(meta: &ParseNestedMeta, what: &str) -> syn::Result<Vec<String>> {
    let mut names = Vec::new();
    meta.parse_nested_meta(|inner| {
        if !inner.input.is_empty() && !inner.input.peek(syn::Token![,]) {
            return Err(inner.error(format!("expected a bare {what} name")));
        }
        let ident = inner
            .path
            .get_ident()
            .ok_or_else(|| inner.error(format!("expected a bare {what} name")))?;
        let name = ident.to_string();
        if names.contains(&name) {
            return Err(inner.error(format!("{what} `{name}` listed twice")));
        }
        names.push(name);
        Ok(())
    })?;
    if names.is_empty() {
        return Err(meta.error(format!(
            "expected at least one {what} name in the parentheses"
        )));
    }
    Ok(names)
}

/// One attribute item being parsed: its tokens, the span of its key and its shape.
pub(crate) struct Item<'a, 'b> {
    pub(crate) meta: &'a ParseNestedMeta<'b>,
    pub(crate) span: Span,
    /// `key(...)`.
    pub(crate) has_parens: bool,
    /// `key = value`.
    pub(crate) has_value: bool,
}

impl TestArgs {
    /// Parses one `key`, `key = value` or `key(...)` item.
    pub(crate) fn parse_item(&mut self, meta: ParseNestedMeta) -> syn::Result<()> {
        let ident = meta.path.get_ident();
        let key = ident.map(|i| i.to_string()).unwrap_or_default();
        let item = Item {
            span: ident.map_or_else(Span::call_site, |i| i.span()),
            has_parens: meta.input.peek(syn::token::Paren),
            has_value: meta.input.peek(syn::Token![=]),
            meta: &meta,
        };
        match key.as_str() {
            "serial" => self.serial(&item),
            "heavy_resource" => {
                no_args(&meta, item.has_parens || item.has_value, &key)?;
                set_once(&mut self.heavy_resource, item.span, &meta, &key)
            }
            "redis_isolated" => {
                no_args(&meta, item.has_parens || item.has_value, &key)?;
                set_once(&mut self.redis_isolated, item.span, &meta, &key)
            }
            "group" => self.group(&item),
            "markers" => self.markers(&item),
            "ignore" => self.ignore(&item),
            "should_panic" => self.should_panic(&item),
            "timeout" => self.timeout(&item),
            "retries" => self.retries(&item),
            "resource" => self.resource(&item),
            "flavor" => self.flavor(&item),
            "worker_threads" => self.worker_threads(&item),
            "start_paused" => self.start_paused(&item),
            "crate" => Err(meta.error(
                "partest runs async tests on its own tokio dependency; leave out `crate = ...`",
            )),
            "should_panic_with" | "expected" => {
                Err(meta.error("use `should_panic(expected = \"...\")`"))
            }
            "serial_key" | "exclusive" => {
                Err(meta.error("use `serial` (alone) or `serial(key)` (per key)"))
            }
            "heavy" => Err(meta.error("the marker is spelled `heavy_resource`")),
            "marker" => Err(meta.error("use `markers(name, ...)`")),
            _ => Err(meta.error(format!(
                "unknown partest test argument; expected one of {ACCEPTED}"
            ))),
        }
    }

    /// `serial` or `serial(key, ...)`.
    fn serial(&mut self, item: &Item) -> syn::Result<()> {
        let value = if item.has_parens {
            Serial::Keys(ident_list(item.meta, "serial key")?)
        } else {
            Serial::All
        };
        no_value(
            item.meta,
            item.has_value,
            "serial",
            "`serial` or `serial(key)`",
        )?;
        let span = item.span;
        set_once(
            &mut self.serial,
            Spanned { value, span },
            item.meta,
            "serial",
        )
    }

    /// `group = "name"`.
    fn group(&mut self, item: &Item) -> syn::Result<()> {
        let name: LitStr = string_value(item.meta, item.has_value, "group = \"name\"")?;
        if name.value().trim().is_empty() {
            return Err(syn::Error::new(
                name.span(),
                "a group name must not be empty",
            ));
        }
        let value = name.value();
        let span = item.span;
        set_once(&mut self.group, Spanned { value, span }, item.meta, "group")
    }

    /// `markers(name, ...)`.
    fn markers(&mut self, item: &Item) -> syn::Result<()> {
        if !item.has_parens {
            return Err(item.meta.error("expected `markers(name, ...)`"));
        }
        let value = ident_list(item.meta, "marker")?;
        let span = item.span;
        set_once(
            &mut self.markers,
            Spanned { value, span },
            item.meta,
            "markers",
        )
    }

    /// `ignore` or `ignore = "reason"`.
    fn ignore(&mut self, item: &Item) -> syn::Result<()> {
        let value = if item.has_value {
            Some(string_value(item.meta, true, "ignore = \"reason\"")?.value())
        } else {
            None
        };
        no_args(item.meta, item.has_parens, "ignore")?;
        let span = item.span;
        set_once(
            &mut self.ignore,
            Spanned { value, span },
            item.meta,
            "ignore",
        )
    }

    /// `should_panic` or `should_panic(expected = "...")`.
    fn should_panic(&mut self, item: &Item) -> syn::Result<()> {
        let value = if item.has_parens {
            parse_expected(item.meta)?
        } else {
            ShouldPanic::Any
        };
        let hint = "`should_panic(expected = \"...\")`";
        no_value(item.meta, item.has_value, "should_panic", hint)?;
        let span = item.span;
        set_once(
            &mut self.should_panic,
            Spanned { value, span },
            item.meta,
            "should_panic",
        )
    }

    /// `timeout = "30s"`.
    fn timeout(&mut self, item: &Item) -> syn::Result<()> {
        let lit = string_value(item.meta, item.has_value, "timeout = \"30s\"")?;
        let value = parse_timeout(&lit.value()).map_err(|why| syn::Error::new(lit.span(), why))?;
        let span = item.span;
        set_once(
            &mut self.timeout,
            Spanned { value, span },
            item.meta,
            "timeout",
        )
    }

    /// `retries = N`.
    fn retries(&mut self, item: &Item) -> syn::Result<()> {
        if !item.has_value {
            return Err(item.meta.error("expected `retries = N`"));
        }
        let lit: LitInt = item.meta.value()?.parse()?;
        let value = lit.base10_parse::<u32>()?;
        let span = item.span;
        set_once(
            &mut self.retries,
            Spanned { value, span },
            item.meta,
            "retries",
        )
    }

    /// `resource(name)` or `resource(name, count = K)`.
    fn resource(&mut self, item: &Item) -> syn::Result<()> {
        if !item.has_parens {
            return Err(item
                .meta
                .error("expected `resource(name)` or `resource(name, count = K)`"));
        }
        let value = parse_resource(item.meta)?;
        if self.resources.iter().any(|r| r.value.name == value.name) {
            return Err(item
                .meta
                .error(format!("resource `{}` declared twice", value.name)));
        }
        self.resources.push(Spanned {
            value,
            span: item.span,
        });
        Ok(())
    }
}

fn no_args(meta: &ParseNestedMeta, present: bool, key: &str) -> syn::Result<()> {
    if present {
        return Err(meta.error(format!("`{key}` takes no value here")));
    }
    Ok(())
}

fn no_value(meta: &ParseNestedMeta, has_value: bool, key: &str, hint: &str) -> syn::Result<()> {
    if has_value {
        return Err(meta.error(format!("`{key}` takes no `= value`; write {hint}")));
    }
    Ok(())
}

pub(crate) fn string_value(
    meta: &ParseNestedMeta,
    has_value: bool,
    form: &str,
) -> syn::Result<LitStr> {
    if !has_value {
        return Err(meta.error(format!("expected `{form}`")));
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string literal: `{form}`"),
        )),
    }
}

fn parse_expected(meta: &ParseNestedMeta) -> syn::Result<ShouldPanic> {
    let mut expected = None;
    meta.parse_nested_meta(|inner| {
        if !inner.path.is_ident("expected") {
            return Err(inner.error("expected `expected = \"...\"`"));
        }
        if expected.is_some() {
            return Err(inner.error("`expected` set multiple times"));
        }
        expected = Some(
            string_value(
                &inner,
                inner.input.peek(syn::Token![=]),
                "expected = \"...\"",
            )?
            .value(),
        );
        Ok(())
    })?;
    expected
        .map(ShouldPanic::Expected)
        .ok_or_else(|| meta.error("expected `should_panic(expected = \"...\")`"))
}

fn parse_resource(meta: &ParseNestedMeta) -> syn::Result<Resource> {
    let mut name = None;
    let mut count = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("count") && inner.input.peek(syn::Token![=]) {
            if name.is_none() {
                return Err(inner.error("the pool name comes first: `resource(name, count = K)`"));
            }
            if count.is_some() {
                return Err(inner.error("`count` set multiple times"));
            }
            let lit: LitInt = inner.value()?.parse()?;
            let k = lit.base10_parse::<u32>()?;
            if k == 0 || k > 65_536 {
                return Err(syn::Error::new(
                    lit.span(),
                    "a pool holds 1 to 65536 slots: `count` must be in 1..=65536",
                ));
            }
            count = Some(k);
            return Ok(());
        }
        let ident = inner
            .path
            .get_ident()
            .ok_or_else(|| inner.error("expected a pool name"))?;
        if name.is_some() {
            return Err(inner
                .error("one pool per `resource(...)`; repeat `resource(...)` for another pool"));
        }
        name = Some(ident.to_string());
        Ok(())
    })?;
    let name = name.ok_or_else(|| meta.error("expected a pool name: `resource(name)`"))?;
    Ok(Resource { name, count })
}

/// Parses a `timeout = "…"` value with partest's one duration grammar (the command line's
/// too); a timeout must be greater than zero.
pub(crate) fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    match partest_duration::parse(text) {
        Ok(limit) if limit.is_zero() => Err(format!(
            "invalid timeout `{text}`: a timeout must be greater than zero"
        )),
        Ok(limit) => Ok(limit),
        Err(e) => Err(format!("invalid timeout: {e}")),
    }
}
