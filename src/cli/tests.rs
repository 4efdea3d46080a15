use super::*;

fn parse(args: &[&str]) -> Result<Arguments, CliError> {
    Arguments::from_args(args.iter().copied())
}

fn invalid(args: &[&str]) -> String {
    match parse(args) {
        Err(CliError::Invalid(msg)) => msg,
        other => panic!("expected an error for {args:?}, got {other:?}"),
    }
}

#[test]
fn filters_skips_and_flags() {
    let a = parse(&[
        "foo", "--exact", "--skip", "a", "--skip=b", "bar", "--", "--list",
    ])
    .unwrap();
    assert_eq!(a.filters, ["foo", "bar", "--list"]);
    assert!(a.exact && !a.list);
    assert_eq!(a.skip, ["a", "b"]);
}

#[test]
fn values_inline_and_separate() {
    let a = parse(&[
        "--test-threads=3",
        "--format",
        "json",
        "-Zunstable-options",
        "--color",
        "never",
    ])
    .unwrap();
    assert_eq!(a.test_threads.map(|n| n.get()), Some(3));
    assert_eq!(a.format, Format::Json);
    assert!(a.unstable_options);
    assert_eq!(a.color, ColorConfig::Never);
    assert!(parse(&["-Z", "unstable-options"]).unwrap().unstable_options);
}

#[test]
fn quiet_is_terse_unless_format_given() {
    assert_eq!(parse(&["-q"]).unwrap().format, Format::Terse);
    assert_eq!(
        parse(&["-q", "--format", "pretty"]).unwrap().format,
        Format::Pretty
    );
}

#[test]
fn ignored_modes() {
    assert_eq!(parse(&["--ignored"]).unwrap().run_ignored, RunIgnored::Only);
    assert_eq!(
        parse(&["--include-ignored"]).unwrap().run_ignored,
        RunIgnored::Yes
    );
    assert_eq!(
        invalid(&["--ignored", "--include-ignored"]),
        "the options --include-ignored and --ignored are mutually exclusive"
    );
}

#[test]
fn libtest_error_texts() {
    assert_eq!(invalid(&["--foo"]), "Unrecognized option: 'foo'");
    assert_eq!(invalid(&["-y"]), "Unrecognized option: 'y'");
    assert_eq!(
        invalid(&["--exact", "--exact"]),
        "Option 'exact' given more than once"
    );
    assert_eq!(
        invalid(&["--exact=1"]),
        "Option 'exact' does not take an argument"
    );
    assert_eq!(
        invalid(&["--test-threads"]),
        "Argument to option 'test-threads' missing"
    );
    assert_eq!(
        invalid(&["--test-threads", "abc"]),
        "argument for --test-threads must be a number > 0 (error: invalid digit found in string)"
    );
    assert_eq!(
        invalid(&["--test-threads", "0"]),
        "argument for --test-threads must not be 0"
    );
    assert_eq!(
        invalid(&["--format", "xml"]),
        "argument for --format must be pretty, terse, json or junit (was xml)"
    );
    assert_eq!(
        invalid(&["--color", "sometimes"]),
        "argument for --color must be auto, always, or never (was sometimes)"
    );
    assert_eq!(invalid(&["-Z", "foo"]), "Unrecognized option to `Z`");
    assert_eq!(
        invalid(&["--shuffle-seed", "x"]),
        "argument for --shuffle-seed must be a number (error: invalid digit found in string)"
    );
}

#[test]
fn help_is_not_an_error_text() {
    assert_eq!(parse(&["--list", "-h"]).unwrap_err(), CliError::Help);
    assert!(help("prog").contains("--test-threads N"));
}

#[test]
fn every_option_is_in_the_help() {
    let text = help("prog");
    for option in OPTIONS
        .iter()
        .filter(|o| !(o.long.is_empty() && o.short.is_empty()))
    {
        let shown = if option.long.is_empty() {
            format!("-{}", option.short)
        } else {
            format!("--{}", option.long)
        };
        assert!(text.contains(&shown), "--help does not mention {shown}");
    }
}

#[test]
fn pools_and_redis_ranges_are_bounded() {
    let e = invalid(&["--resource-pool", "db=99999999999"]);
    assert!(
        e.contains("pool `db` has 99999999999 slots; a pool holds at most 65536"),
        "{e}"
    );
    assert!(parse(&["--resource-pool", "db=65536"]).is_ok());
    let e = invalid(&["--redis-dbs", "0-4294967295"]);
    assert!(
        e.contains("past the highest index partest leases (65535)"),
        "{e}"
    );
}
