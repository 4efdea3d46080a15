use super::*;

fn m(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn eval(expr: &str, names: &[&str]) -> bool {
    MarkerExpr::parse(expr).unwrap().matches(&m(names))
}

#[test]
fn pytest_precedence_and_grouping() {
    assert!(eval("integration and not slow", &["integration"]));
    assert!(!eval("integration and not slow", &["integration", "slow"]));
    assert!(eval("a or b and c", &["a"]), "and binds tighter than or");
    assert!(!eval("(a or b) and c", &["a"]));
    assert!(eval("not serial", &[]));
    assert!(eval("not not x", &["x"]) && !eval("not not x", &[]));
    assert!(eval("((x))", &["x"]));
}

#[test]
fn errors_name_the_column_and_what_was_expected() {
    let e = MarkerExpr::parse("integration and")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid -m expression `integration and`: expected a marker name, `not` or `(` at column 16, found the end of the expression"
    );
    let e = MarkerExpr::parse("(a or b").unwrap_err().to_string();
    assert!(e.contains("expected `)`, `and` or `or` at column 8"), "{e}");
    let e = MarkerExpr::parse("a b").unwrap_err().to_string();
    assert!(e.contains("at column 3, found `b`"), "{e}");
    let e = MarkerExpr::parse("a & b").unwrap_err().to_string();
    assert!(e.contains("at column 3, found `&`"), "{e}");
    assert!(
        MarkerExpr::parse("").is_err()
            && MarkerExpr::parse("()").is_err()
            && MarkerExpr::parse("not").is_err()
    );
}

/// Random inputs from a small alphabet never panic, and a parsed expression's
/// `not not` double is equivalent to it over every marker subset.
#[test]
fn fuzz_never_panics_and_double_negation_is_identity() {
    let alphabet = ["a", "b", "and", "or", "not", "(", ")", " ", "&", "é", "_x1"];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = next() % 9;
        let text: Vec<&str> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let text = text.join(if next() % 2 == 0 { " " } else { "" });
        if let Ok(expr) = MarkerExpr::parse(&text) {
            parsed += 1;
            let doubled = MarkerExpr::parse(&format!("not not ({text})")).unwrap();
            for set in [&[][..], &["a"], &["b"], &["a", "b"], &["_x1"]] {
                assert_eq!(expr.matches(&m(set)), doubled.matches(&m(set)), "{text}");
            }
        }
    }
    assert!(
        parsed > 100,
        "the fuzzer produced too few valid expressions: {parsed}"
    );
}

#[test]
fn an_expression_names_its_markers_and_typos_find_their_marker() {
    let expr = MarkerExpr::parse("slow and not (db or serial)").unwrap();
    assert_eq!(expr.names(), ["slow", "db", "serial"]);
    let known = ["slow", "integration", "unit"];
    assert_eq!(closest("slw", known), Some("slow"));
    assert_eq!(closest("integraton", known), Some("integration"));
    assert_eq!(closest("gpu", known), None);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

#[test]
fn an_expression_prints_back_to_the_same_meaning() {
    for text in [
        "a",
        "not a",
        "a and not (b or c)",
        "(a or b) and c",
        "a or b and c",
    ] {
        let expr = MarkerExpr::parse(text).unwrap();
        assert_eq!(
            MarkerExpr::parse(&expr.to_string()).unwrap(),
            expr,
            "{text}"
        );
    }
}

#[test]
fn nesting_and_length_are_bounded_with_the_column_past_the_bound() {
    let nested = format!("{}slow{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = MarkerExpr::parse(&nested).unwrap_err().to_string();
    assert!(e.contains("nested at most 64 deep at column 65"), "{e}");
    let nots = format!("{}slow", "not ".repeat(15_000));
    let e = MarkerExpr::parse(&nots).unwrap_err().to_string();
    assert!(e.contains("nested at most 64 deep at column 257"), "{e}");
    let chain = vec!["slow"; 300].join(" and ");
    let e = MarkerExpr::parse(&chain).unwrap_err().to_string();
    assert!(e.contains("at most 256 `and`/`or`"), "{e}");
    let deepest = format!("{}slow{}", "(".repeat(64), ")".repeat(64));
    assert!(MarkerExpr::parse(&deepest).is_ok());
    assert!(MarkerExpr::parse(&vec!["slow"; 257].join(" or ")).is_ok());
}
