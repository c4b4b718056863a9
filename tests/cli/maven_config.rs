//! `download-jars` driven by Maven's configuration: a mirror of `central` in the user's
//! settings.xml (with its server credentials and proxy), the environment variables in their
//! documented order, settings errors, and the `mvn` fallback with a real Maven that reads a
//! `file://` repository from a settings file kclrs does not take remotes from (no network).

use std::path::{Path, PathBuf};
use std::process::Output;

use kclrs::maven::Coord;

use crate::download::{art, assert_cached_exactly, json, sample_arts, serve, write_lock, Art};
use crate::server::Server;
use crate::support::*;

fn download_jars(sb: &Sandbox, lock: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = sb.cmd(["download-jars", "--lockfile"]);
    cmd.arg(lock).args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn user_settings(sb: &Sandbox, body: &str) -> PathBuf {
    sb.write(
        "home/.m2/settings.xml",
        format!("<settings>{body}</settings>"),
    )
}

#[test]
fn mirror_of_central_with_server_credentials_and_proxy_from_settings() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[..2]);
    let proxy = serve(&sb, &arts);
    // Nothing listens on the mirror's own port: only the settings proxy can answer.
    user_settings(
        &sb,
        &format!(
            "<mirrors><mirror><id>corp</id><mirrorOf>external:*,!snapshots</mirrorOf>\
             <url>http://127.0.0.1:9/repo</url></mirror></mirrors>\
             <servers><server><id>corp</id><username>alice</username>\
             <password>${{env.CORP_PW}}</password></server></servers>\
             <proxies><proxy><id>p</id><host>127.0.0.1</host><port>{}</port></proxy></proxies>",
            proxy.port
        ),
    );
    let out = download_jars(&sb, &lock, &["--no-mvn"], &[("CORP_PW", "s3cret-pw")]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts[..2]);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert!(
            s.path.starts_with("http://127.0.0.1:9/repo/org/example/"),
            "{}",
            s.path
        );
        // alice:s3cret-pw
        assert_eq!(
            s.authorization.as_deref(),
            Some("Basic YWxpY2U6czNjcmV0LXB3")
        );
    }
    assert!(!stderr(&out).contains("s3cret-pw"));
}

#[test]
fn environment_variables_in_order_and_with_or_without_trailing_slash() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let first = serve(&sb, &arts);
    let other = Server::start(&sb.root().join("remote"));
    let url = first.url();
    // KCLRS_REPOSITORY wins over the Python helper's variable.
    let out = download_jars(
        &sb,
        &lock,
        &["--no-mvn"],
        &[
            (
                "KCLRS_REPOSITORY",
                &format!(" {} ", url.trim_end_matches('/')),
            ),
            ("KCL_MVN_REPO_SEARCH_URL", &other.url()),
        ],
    );
    assert_exit(&sb, &out, 0);
    assert_eq!(other.seen().len(), 0);
    assert_eq!(first.seen().len(), arts.len());

    for url in [other.url(), other.url().trim_end_matches('/').to_string()] {
        let sb = Sandbox::new();
        let lock = write_lock(&sb, &arts[..1]);
        let out = download_jars(
            &sb,
            &lock,
            &["--no-mvn"],
            &[("KCL_MVN_REPO_SEARCH_URL", &url)],
        );
        assert_exit(&sb, &out, 0);
        assert_cached_exactly(&sb, &arts[..1]);
    }
    assert_eq!(other.seen().len(), 2);
}

#[test]
fn settings_errors_and_unusable_settings_are_explained() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:2.0", 1, 2)];
    let lock = write_lock(&sb, &arts);
    let bad = sb.write(
        "work/bad-settings.xml",
        "<settings>\n  <mirrors>\n    <mirror><id>x</mirror>\n",
    );
    let out = download_jars(&sb, &lock, &["--settings", bad.to_str().unwrap()], &[]);
    assert_exit(&sb, &out, 3);
    let mut transcripts = vec![sb.transcript(&out)];

    let out = download_jars(&sb, &lock, &["--repository", "ftp://h.test/r"], &[]);
    assert_exit(&sb, &out, 2);
    transcripts.push(sb.transcript(&out));

    user_settings(
        &sb,
        "<mirrors><mirror><id>stop</id><mirrorOf>*</mirrorOf><url>https://x.test/</url>\
         <blocked>true</blocked></mirror></mirrors>",
    );
    let out = download_jars(&sb, &lock, &[], &[]);
    assert_exit(&sb, &out, 5);
    transcripts.push(sb.transcript(&out));

    user_settings(
        &sb,
        "<mirrors><mirror><id>corp</id><mirrorOf>central</mirrorOf><url>https://x.test/</url>\
         </mirror></mirrors><servers><server><id>corp</id><username>u</username>\
         <password>{COQLCE6DU6GtcS5P=}</password></server></servers>",
    );
    let out = download_jars(&sb, &lock, &["--no-mvn"], &[]);
    assert_exit(&sb, &out, 5);
    assert!(!stderr(&out).contains("COQLCE6DU6GtcS5P"));
    transcripts.push(sb.transcript(&out));
    insta::assert_snapshot!(transcripts.join("\n"));
}

/// The test artifacts' local repository, which must also hold the dependency plugin Maven runs;
/// tests fail (not skip) when it is missing.
fn m2_with_plugin() -> PathBuf {
    let m2 = test_m2();
    assert!(
        m2.join("org/apache/maven/plugins/maven-dependency-plugin/3.8.1")
            .is_dir(),
        "{} lacks the test artifacts: run `bash tests/prepare.sh` (or set KCLRS_TEST_M2)",
        m2.display()
    );
    m2
}

/// The `n` smallest jars of Maven's own resolution of the KCL, read from the test repository.
fn smallest_real_jars(m2: &Path, n: usize) -> Vec<Art> {
    let reference = m2.parent().unwrap().join("reference/kcl-multilang.txt");
    let text = std::fs::read_to_string(&reference)
        .unwrap_or_else(|e| panic!("{}: {e}; run `bash tests/prepare.sh`", reference.display()));
    let mut arts: Vec<Art> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|c| {
            let p: Vec<&str> = c.split(':').collect();
            (p.len() == 5 && p[2] == "jar").then(|| format!("{}:{}:{}", p[0], p[1], p[3]))
        })
        .map(|c| {
            let coord: Coord = c.parse().unwrap();
            let bytes = std::fs::read(m2.join(coord.repo_path())).unwrap();
            Art { coord, bytes }
        })
        .collect();
    arts.sort_by_key(|a| a.bytes.len());
    arts.truncate(n);
    assert_eq!(arts.len(), n, "{} lists too few jars", reference.display());
    arts
}

/// A settings file only Maven uses: `central` (and its plugin repository) is the test repository
/// as a `file://` URL, declared in an active profile, which kclrs does not read for remotes.
fn maven_only_settings(sb: &Sandbox, m2: &Path) -> PathBuf {
    let url = format!("file://{}", m2.display());
    let repo =
        format!("<id>central</id><url>{url}</url><snapshots><enabled>false</enabled></snapshots>");
    sb.write(
        "work/maven-settings.xml",
        format!(
            "<settings><profiles><profile><id>test-m2</id>\
             <repositories><repository>{repo}</repository></repositories>\
             <pluginRepositories><pluginRepository>{repo}</pluginRepository></pluginRepositories>\
             </profile></profiles><activeProfiles><activeProfile>test-m2</activeProfile>\
             </activeProfiles></settings>"
        ),
    )
}

#[cfg(unix)]
#[test]
fn mvn_fallback_fetches_missing_jars_when_no_remote_is_configured() {
    let m2 = m2_with_plugin();
    let arts = smallest_real_jars(&m2, 2);
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts);
    let settings = maven_only_settings(&sb, &m2);
    let local = sb.root().join("local-repo");
    let args = [
        "--settings",
        settings.to_str().unwrap(),
        "--maven-repo-local",
        local.to_str().unwrap(),
        "--json",
    ];

    // With --no-mvn nothing can provide the jars.
    let out = download_jars(&sb, &lock, &[&args[..], &["--no-mvn"]].concat(), &[]);
    assert_exit(&sb, &out, 5);
    assert!(!local.exists());

    let out = download_jars(&sb, &lock, &args, &[]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    let report = json(&out);
    for entry in report["artifacts"].as_array().unwrap() {
        assert_eq!(entry["source"], "mvn", "{entry}");
    }
    for a in &arts {
        let fetched = std::fs::read(local.join(a.coord.repo_path())).unwrap();
        assert!(fetched == a.bytes, "{}", a.coord);
    }
}

#[test]
fn offline_in_settings_xml_keeps_kclrs_off_the_network() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[..1]);
    let server = serve(&sb, &arts[..1]);
    sb.write(
        "home/.m2/settings.xml",
        "<settings><offline>true</offline></settings>\n",
    );
    let url = server.url();
    let out = download_jars(&sb, &lock, &[], &[("KCLRS_REPOSITORY", url.as_str())]);
    assert_exit(&sb, &out, 5);
    assert_eq!(server.seen().len(), 0, "{}", sb.transcript(&out));
    // The same configuration without <offline> downloads from the server.
    sb.write("home/.m2/settings.xml", "<settings/>\n");
    let out = download_jars(&sb, &lock, &[], &[("KCLRS_REPOSITORY", url.as_str())]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts[..1]);
}
