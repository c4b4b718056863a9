//! Parsing edge cases of the .properties format, and each error and warning of [`check`].

use super::*;
use crate::env::Os;
use crate::error::classify;

const GOOD: &str = "executableName = sh\napplicationName = app\nstreamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\nshutdownGraceMillis = 20000\n";

fn parse(text: &[u8]) -> KclProperties {
    KclProperties::parse(PathBuf::from("/p/app.properties"), text).unwrap()
}

/// An environment where `sh` is on PATH (the real /bin), cwd a fresh temp dir.
fn env_in(dir: &Path) -> Env {
    Env::fake(Os::Linux, None, dir.to_path_buf()).with_var("PATH", "/usr/bin:/bin")
}

fn err_of(result: anyhow::Result<impl std::fmt::Debug>) -> (Exit, String) {
    let err = result.unwrap_err();
    (classify(&err).0, crate::error::render(&err))
}

#[test]
fn format_edge_cases() {
    let p = parse(
        b"# comment\n! also a comment\n  a = 1\nb:2\nc 3\nd=\\\n   continued \\\n  twice\ne = tab\\tnewline\\n\\u00e9\nf\\ g = key with space\nh = trailing  \n\ni\n  # indented comment\nj=x=y:z\n",
    );
    let want: Vec<(&str, &str)> = vec![
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
        ("d", "continued twice"),
        ("e", "tab\tnewline\n\u{e9}"),
        ("f g", "key with space"),
        ("h", "trailing  "),
        ("i", ""),
        ("j", "x=y:z"),
    ];
    let got: Vec<(&str, &str)> = p
        .entries
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(p.lines, [3, 4, 5, 6, 9, 10, 11, 13, 15]);
    assert!(p.load_warnings.is_empty(), "{:?}", p.load_warnings);
}

#[test]
fn crlf_and_last_duplicate_wins_with_a_warning() {
    let p = parse(b"streamName = a\r\nx = 1\r\nstreamName = b\r\n");
    assert_eq!(p.get("streamName"), Some("b"));
    assert_eq!(
        p.load_warnings,
        ["/p/app.properties: streamName is set on lines 1, 3; the MultiLangDaemon uses the last one"]
    );
}

/// Issue 21 (held): a UTF-8 byte-order mark is three ISO-8859-1 characters of the first key to
/// the daemon (`Properties.load` of a byte stream), so kclrs reads the same key, and a CRLF file
/// keeps no `\r` in any key or value.
#[test]
fn bom_and_crlf_are_read_as_the_daemon_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let text = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
    let p = parse(text.as_bytes());
    assert_eq!(p.entries[0].0, "\u{ef}\u{bb}\u{bf}executableName");
    assert_eq!(p.get("executableName"), None);
    assert_eq!(p.get("applicationName"), Some("app"));
    assert!(
        p.entries
            .iter()
            .all(|(k, v)| !k.contains('\r') && !v.contains('\r')),
        "{:?}",
        p.entries
    );
    let (code, msg) = err_of(check(&p, &env, false));
    assert_eq!(code, Exit::Input);
    assert!(
        msg.contains("missing required key: executableName"),
        "{msg}"
    );
}

#[test]
fn bytes_are_iso_8859_1_like_the_daemon_reads_them() {
    // A Latin-1 file: byte 0xE9 is é, and 0x80 stays U+0080 (windows-1252 would say €).
    let p = parse(b"applicationName = caf\xe9\x80\n");
    assert_eq!(p.get("applicationName"), Some("caf\u{e9}\u{80}"));
    assert!(p.load_warnings.is_empty());
    // The same text saved as UTF-8 is two bytes per é: the daemon sees Ã©, so kclrs warns.
    let p = parse("x = 1\napplicationName = café\n".as_bytes());
    assert_eq!(p.get("applicationName"), Some("caf\u{c3}\u{a9}"));
    assert_eq!(
        p.load_warnings,
        ["/p/app.properties:2: UTF-8 text, but the MultiLangDaemon reads .properties files as ISO-8859-1 and will see \"Ã©\" instead of \"é\"; write \\u00e9 instead"]
    );
}

#[test]
fn malformed_escape_is_an_input_error_with_line() {
    let err = KclProperties::parse(PathBuf::from("/p/x.properties"), b"a = 1\nb = \\u12G4\n");
    let (exit, text) = err_of(err);
    assert_eq!(exit, Exit::Input);
    assert!(
        text.starts_with("error: /p/x.properties:2: Malformed \\uxxxx encoding"),
        "{text}"
    );
}

#[test]
fn load_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let (exit, text) = err_of(load(&env, Path::new("nope.properties")));
    assert_eq!(exit, Exit::Input);
    assert!(
        text.starts_with(&format!(
            "error: properties file {} does not exist",
            dir.path().join("nope.properties").display()
        )),
        "{text}"
    );
    let (exit, text) = err_of(load(&env, dir.path()));
    assert_eq!(exit, Exit::Input);
    assert!(text.contains("is a directory"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked.properties");
        std::fs::write(&locked, GOOD).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads anything; the check only means something for other users.
        if std::fs::read(&locked).is_err() {
            let (exit, text) = err_of(load(&env, &locked));
            assert_eq!(exit, Exit::Input);
            assert!(text.contains("cannot be read"), "{text}");
        }
    }
    std::fs::write(dir.path().join("ok.properties"), GOOD).unwrap();
    let p = load(&env, Path::new("ok.properties")).unwrap();
    assert_eq!(p.path, dir.path().join("ok.properties"));
    assert_eq!(p.get("streamName"), Some("s"));
}

#[test]
fn good_file_has_no_warnings() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        check(&parse(GOOD.as_bytes()), &env_in(dir.path()), true).unwrap(),
        Vec::<String>::new()
    );
    // streamArn replaces streamName; the credentials key matches in any case.
    let p = parse(b"executableName = sh\napplicationName = app\nstreamArn = arn:aws:kinesis:us-east-1:123456789012:stream/s\nAWSCREDENTIALSPROVIDER = DefaultCredentialsProvider\nshutdownGraceMillis = 20000\n");
    assert!(check(&p, &env_in(dir.path()), true).unwrap().is_empty());
}

#[test]
fn misspelt_required_key_is_pointed_at_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let p = parse(b"executableName = sh\n# app\napplicationNmae = x\nstreamName = s\nAwsCredentialProvider = X\nmaxrecords = 5\n");
    let (exit, text) = err_of(check(&p, &env, false));
    assert_eq!(exit, Exit::Input);
    assert_eq!(
        text,
        "error: /p/app.properties: missing required keys: applicationName, AwsCredentialsProvider\n  \
         /p/app.properties:3: applicationNmae is not a key the MultiLangDaemon knows; did you mean applicationName?\n  \
         /p/app.properties:5: AwsCredentialProvider is not a key the MultiLangDaemon knows; did you mean AwsCredentialsProvider?\n\
         hint: fix the spelling on the line named above (keys are case-sensitive) and add any other missing key; \
         `--sample` runs the sample that sets every one of them\n"
    );
    // An unknown key that is close to a key already set is no near miss of a missing one.
    let p = parse(b"executableName = sh\napplicationName = a\napplicationNam = b\n");
    let (_, text) = err_of(check(&p, &env, false));
    assert!(!text.contains("did you mean"), "{text}");
}

#[test]
fn missing_required_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let (exit, text) = err_of(check(&parse(b"# nothing\n"), &env, false));
    assert_eq!(exit, Exit::Input);
    assert!(
        text.starts_with("error: /p/app.properties: missing required keys: executableName, applicationName, streamName (or streamArn), AwsCredentialsProvider\n"),
        "{text}"
    );
    // Blank values count as missing; only the main credentials key satisfies the requirement.
    let p = parse(b"executableName = sh\napplicationName =  \nstreamName = s\nAwsCredentialsProviderDynamoDB = X\n");
    let (_, text) = err_of(check(&p, &env, false));
    assert!(
        text.starts_with("error: /p/app.properties: missing required keys: applicationName, AwsCredentialsProvider\n"),
        "{text}"
    );
    // Keys are case-sensitive: `streamname` does not count.
    let p = parse(
        b"executableName = sh\napplicationName = a\nstreamname = s\nAwsCredentialsProvider = X\n",
    );
    let (_, text) = err_of(check(&p, &env, false));
    assert!(
        text.starts_with(
            "error: /p/app.properties: missing required key: streamName (or streamArn)\n"
        ),
        "{text}"
    );
}

#[test]
fn bad_stream_arn_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for arn in [
        "arn:aws:kinesis:us-east-1:1234:stream/s",
        "arn:aws:sqs:us-east-1:123456789012:stream/s",
        "arn:aws:kinesis::123456789012:stream/s",
        "arn:aws:kinesis:us-east-1:123456789012:stream/",
        "kinesis",
    ] {
        let p = parse(format!("executableName = sh\napplicationName = a\nstreamArn = {arn}\nAwsCredentialsProvider = X\n").as_bytes());
        let (exit, text) = err_of(check(&p, &env_in(dir.path()), false));
        assert_eq!(exit, Exit::Input, "{arn}");
        assert!(text.contains("is not a Kinesis stream ARN"), "{text}");
    }
    assert!(is_stream_arn(
        "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a:b"
    ));
}

#[test]
fn unknown_keys_warn_with_suggestions_and_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let text = format!("{GOOD}streamname = s\nmaxrecords = 10\nfanoutConfig.consumerArn = x\nkinesisClient.endpointOverride = http://127.0.0.1:4567\nsomethingElse = 1\nstreamname = t\n");
    let p = parse(text.as_bytes());
    let warnings = check(&p, &env, false).unwrap();
    assert_eq!(
        warnings,
        [
            "/p/app.properties: streamname is set on lines 6, 11; the MultiLangDaemon uses the last one",
            "/p/app.properties:6: unknown key streamname: the MultiLangDaemon ignores it; did you mean streamName? (keys are case-sensitive)",
            "/p/app.properties:7: unknown key maxrecords: the MultiLangDaemon ignores it; did you mean maxRecords? (keys are case-sensitive)",
            "/p/app.properties:10: unknown key somethingElse: the MultiLangDaemon ignores it",
        ]
    );
    let (exit, text) = err_of(check(&p, &env, true));
    assert_eq!(exit, Exit::Input);
    assert!(
        text.starts_with("error: /p/app.properties: 4 warnings and --strict is set:\n  - /p/app.properties: streamname is set"),
        "{text}"
    );
}

#[test]
fn executable_name_problems_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let p = parse(
        GOOD.replace("= sh", "= no-such-program-kclrs --flag")
            .as_bytes(),
    );
    let warnings = check(&p, &env, false).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "/p/app.properties:1: executableName: program no-such-program-kclrs is not on PATH"
        ),
        "{warnings:?}"
    );
    assert_eq!(classify(&check(&p, &env, true).unwrap_err()).0, Exit::Input);
}

#[test]
fn misread_values_warn_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{GOOD}failoverTimeMillis = 10s\nmetricsLevel = SUMMARY \nmaxRecords = 5\nmaxRecords = 500\n");
    let warnings = check(&parse(text.as_bytes()), &env_in(dir.path()), false).unwrap();
    assert_eq!(
        warnings,
        [
            "/p/app.properties: maxRecords is set on lines 8, 9; the MultiLangDaemon uses the last one",
            "/p/app.properties:6: failoverTimeMillis = 10s is not a whole number: the MultiLangDaemon silently uses 0",
            "/p/app.properties:7: metricsLevel = \"SUMMARY \" has spaces around the value, which the MultiLangDaemon keeps: it will refuse to start",
        ]
    );
}

/// Issue 21, finding 6: a file of many stray keys gives one screen of warnings (the first
/// [`LISTED`] and a count), and a huge value or key is quoted as a bounded prefix.
#[test]
fn hostile_sizes_give_bounded_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(dir.path());
    let mut text = format!("{GOOD}{} = 1\n", "k".repeat(500_000));
    for i in 0..50_000 {
        text.push_str(&format!("stray.key{i} = v\n"));
    }
    for _ in 0..30 {
        text.push_str("dup.key = x\n");
    }
    for i in 0..30 {
        text.push_str(&format!("dup{i} = a\ndup{i} = b\n"));
    }
    text.push_str(&format!(
        "failoverTimeMillis = {}\n",
        "9x".repeat(1_000_000)
    ));
    let warnings = check(&parse(text.as_bytes()), &env, false).unwrap();
    let longest = warnings.iter().map(String::len).max().unwrap();
    assert!(longest < 400, "a warning of {longest} bytes");
    assert!(
        warnings.len() <= 2 * (LISTED + 1) + 1,
        "{} warnings",
        warnings.len()
    );
    assert!(
        warnings
            .contains(&"/p/app.properties: 11 more keys set more than once not listed".to_string()),
        "{warnings:#?}"
    );
    assert!(
        warnings.contains(&"/p/app.properties: 50012 more unknown keys not listed".to_string()),
        "{warnings:#?}"
    );
    let dup = warnings
        .iter()
        .find(|w| w.contains("dup.key is set"))
        .unwrap();
    assert!(
        dup.ends_with(", … (30 times in all); the MultiLangDaemon uses the last one"),
        "{dup}"
    );
    let value = warnings
        .iter()
        .find(|w| w.contains("failoverTimeMillis"))
        .unwrap();
    assert!(
        value.contains(&format!(
            "= {}…[1999920 more characters] is not a whole number",
            "9x".repeat(40)
        )),
        "{value}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("…[499920 more characters]")),
        "{warnings:#?}"
    );
    // --strict lists the same bounded warnings.
    let (_, strict) = err_of(check(&parse(text.as_bytes()), &env, true));
    assert!(strict.len() < 20_000, "{} bytes", strict.len());
}

#[test]
fn short_text_is_quoted_whole_and_long_text_by_characters() {
    assert_eq!(bounded("abc"), "abc");
    let long = "é".repeat(100);
    assert_eq!(
        bounded(&long),
        format!("{}…[20 more characters]", "é".repeat(80))
    );
}
