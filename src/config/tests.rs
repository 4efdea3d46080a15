use super::*;

fn load_text(file: &str, text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    load_from(dir.path())
}

#[test]
fn reads_either_place() {
    let c = load_text(
        "partest.toml",
        "markers = [\"slow\"]\nheavy_limit = 2\n[max_concurrency]\nintegration = 4\n",
    )
    .unwrap();
    assert_eq!(c.markers, ["slow"]);
    assert_eq!(c.heavy_limit.map(|n| n.get()), Some(2));
    assert_eq!(c.max_concurrency[0].0, "integration");
    let c = load_text(
        "Cargo.toml",
        "[package]\nname = \"x\"\n[package.metadata.partest]\ndist = \"loadscope\"\n",
    )
    .unwrap();
    assert_eq!(c.dist, Some(Dist::LoadScope));
    assert!(load_text("Cargo.toml", "[package]\nname = \"x\"\n")
        .unwrap()
        .source
        .is_none());
}

#[test]
fn errors_name_the_key_and_the_file() {
    let e = load_text("partest.toml", "heavy_limt = 2\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("`heavy_limit` ") || e.contains("`heavy_limt` in "),
        "{e}"
    );
    assert!(
        e.contains("partest.toml is not a partest setting (known: dist, isolate, heavy_limit")
            && e.contains("quarantine"),
        "{e}"
    );
    let e = load_text("partest.toml", "heavy_limit = \"two\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`heavy_limit` in") && e.contains("must be a whole number > 0"),
        "{e}"
    );
    let e = load_text(
        "Cargo.toml",
        "[package.metadata.partest]\npools = { pg = 0 }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`package.metadata.partest.pools.pg` in"), "{e}");
    let e = load_text("partest.toml", "markers = [")
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not valid TOML"), "{e}");
}

#[test]
fn a_pool_past_the_bound_is_an_error_naming_the_key() {
    let e = load_text("partest.toml", "[pools]\ndb = 99999999999\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`pools.db`") && e.contains("at most 65536 slots"),
        "{e}"
    );
    assert!(load_text("partest.toml", "[pools]\ndb = 65536\n").is_ok());
}

#[test]
fn report_files_are_relative_to_the_config_and_fill_what_was_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let text = "trace = \"target/t.json\"\nhtml = \"/elsewhere/r.html\"\n";
    std::fs::write(dir.path().join("partest.toml"), text).unwrap();
    let c = load_from(dir.path()).unwrap();
    assert_eq!(c.trace, Some(dir.path().join("target/t.json")));
    assert_eq!(c.html, Some(PathBuf::from("/elsewhere/r.html")));
    let mut reports = ReportArgs {
        html: Some(PathBuf::from("given.html")),
        ..ReportArgs::default()
    };
    c.fill_reports(&mut reports);
    assert_eq!(reports.trace, c.trace);
    assert_eq!(reports.html, Some(PathBuf::from("given.html")));
    for bad in ["trace = 3\n", "html = \"\"\n"] {
        let e = load_text("partest.toml", bad).unwrap_err().to_string();
        assert!(e.contains("must be a file path"), "{bad}: {e}");
    }
}
