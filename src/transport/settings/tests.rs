//! Unit tests of settings loading and remote selection, with settings.xml files written per test
//! into a temporary fake home (user file) and a fake `MAVEN_HOME` (global file).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::env::Os;
use crate::error::classify;

/// A fake machine: `home/` (user settings in `home/.m2`) and `maven/` (global settings in `conf`).
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/.m2")).unwrap();
        std::fs::create_dir_all(dir.path().join("maven/conf")).unwrap();
        Machine { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn user(&self, body: &str) -> PathBuf {
        self.write("home/.m2/settings.xml", body)
    }

    fn global(&self, body: &str) -> PathBuf {
        self.write("maven/conf/settings.xml", body)
    }

    fn write(&self, rel: &str, body: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::write(&path, format!("<settings>{body}</settings>")).unwrap();
        path
    }

    fn env(&self) -> Env {
        Env::fake(Os::Linux, Some(self.path("home")), self.path("work"))
            .with_var("MAVEN_HOME", self.path("maven"))
    }

    fn load(&self) -> Settings {
        load(&self.env(), None).unwrap()
    }

    fn remotes(&self, env: &Env) -> Vec<Remote> {
        remotes(env, &[], &load(env, None).unwrap()).unwrap()
    }
}

fn mirror(id: &str, mirror_of: &str, url: &str) -> String {
    format!("<mirror><id>{id}</id><mirrorOf>{mirror_of}</mirrorOf><url>{url}</url></mirror>")
}

fn mirrors(list: &[String]) -> String {
    format!("<mirrors>{}</mirrors>", list.concat())
}

fn ids(remotes: &[Remote]) -> Vec<(&str, &str)> {
    remotes
        .iter()
        .map(|r| (r.id.as_str(), r.url.as_str()))
        .collect()
}

#[test]
fn mirror_of_matrix() {
    // (pattern, repository id, external, http) → matches
    let cases = [
        ("*", "central", true, false, true),
        ("central", "central", true, false, true),
        ("other", "central", true, false, false),
        ("external:*", "central", true, false, true),
        ("external:*", "local", false, false, false),
        ("external:http:*", "central", true, false, false),
        ("external:http:*", "plain", true, true, true),
        ("external:http:*", "plain-local", false, true, false),
        ("repo1,central", "central", true, false, true),
        (" repo1 , central ", "central", true, false, true),
        ("*,!central", "central", true, false, false),
        ("*,!central", "other", true, false, true),
        ("!central,*", "central", true, false, false),
        ("external:*,!central", "central", true, false, false),
        ("", "central", true, false, false),
        ("centrals", "central", true, false, false),
    ];
    for (pattern, id, external, http, want) in cases {
        assert_eq!(
            mirror_of_matches(pattern, id, external, http),
            want,
            "{pattern:?} vs {id} (external {external}, http {http})"
        );
    }
}

#[test]
fn exact_id_beats_an_earlier_wildcard_and_first_pattern_wins() {
    let m = Machine::new();
    m.user(&mirrors(&[
        mirror("all", "*", "https://all.test/r"),
        mirror("ext", "external:*", "https://ext.test/r"),
        mirror("exact", "central", "https://exact.test/r/"),
    ]));
    let r = m.remotes(&m.env());
    assert_eq!(ids(&r), [("exact", "https://exact.test/r/")]);
    let m = Machine::new();
    m.user(&mirrors(&[
        mirror("not-central", "*,!central", "https://a.test/"),
        mirror("ext", "external:*", "https://ext.test/r"),
        mirror("all", "*", "https://all.test/r"),
    ]));
    assert_eq!(ids(&m.remotes(&m.env())), [("ext", "https://ext.test/r/")]);
    assert!(m.remotes(&m.env())[0].origin.contains("mirror ext in "));
}

#[test]
fn no_mirror_of_central_means_no_remote() {
    let m = Machine::new();
    m.user(&mirrors(&[mirror(
        "x",
        "snapshots,other",
        "https://x.test/",
    )]));
    assert!(m.remotes(&m.env()).is_empty());
    // No settings anywhere at all.
    let empty = Env::fake(Os::Linux, None, PathBuf::from("/w"));
    assert_eq!(load(&empty, None).unwrap(), Settings::default());
    assert!(remotes(&empty, &[], &Settings::default())
        .unwrap()
        .is_empty());
}

#[test]
fn server_credentials_follow_the_mirror_id() {
    let m = Machine::new();
    m.user(&format!(
        "{}<servers><server><id>other</id><username>o</username><password>op</password></server>\
         <server><id>corp</id><username>alice</username><password>s3cret</password></server></servers>",
        mirrors(&[mirror("corp", "*", "https://corp.test/maven")])
    ));
    let r = m.remotes(&m.env());
    assert_eq!(
        r[0].credentials,
        Some(Credentials {
            username: "alice".into(),
            password: "s3cret".into()
        })
    );
    assert!(!format!("{r:?}").contains("s3cret"));
    assert!(!format!("{:?}", m.load()).contains("s3cret"));
}

#[test]
fn encrypted_password_is_never_sent_and_leaves_the_work_to_mvn() {
    for password in ["{COQLCE6DU6GtcS5P=}", "text {abc=} text"] {
        let m = Machine::new();
        m.user(&format!(
            "{}<servers><server><id>corp</id><username>alice</username><password>{password}</password></server></servers>",
            mirrors(&[mirror("corp", "*", "https://corp.test/maven")])
        ));
        assert!(m.remotes(&m.env()).is_empty(), "{password}");
    }
    assert!(is_encrypted("{x}"));
    assert!(!is_encrypted("plain"));
    assert!(!is_encrypted("\\{escaped\\}"));
    assert!(!is_encrypted("only{open"));
}

/// The proxy of the settings' mirror of central when that mirror has `url`.
fn proxy_for_mirror(proxies: &str, url: &str) -> Option<Proxy> {
    let m = Machine::new();
    m.user(&format!(
        "{}<proxies>{proxies}</proxies>",
        mirrors(&[mirror("corp", "central", url)])
    ));
    let r = m.remotes(&m.env());
    assert_eq!(r.len(), 1, "{url}");
    r[0].proxy.clone()
}

#[test]
fn proxies_by_protocol_with_non_proxy_hosts() {
    let proxies = "<proxy><id>off</id><active>false</active><protocol>https</protocol>\
                     <host>off.test</host><port>1</port></proxy>\
                   <proxy><id>p</id><protocol>http</protocol><host>proxy.test</host><port>3128</port>\
                     <username>pu</username><password>pp</password>\
                     <nonProxyHosts>*.internal|localhost, other.test</nonProxyHosts></proxy>";
    // An https repository uses the `http` proxy when no `https` one is active.
    let proxy = proxy_for_mirror(proxies, "https://corp.test/maven").unwrap();
    assert_eq!(proxy.url, "http://proxy.test:3128");
    assert_eq!(
        proxy.credentials,
        Some(Credentials {
            username: "pu".into(),
            password: "pp".into()
        })
    );
    assert_eq!(
        proxy.non_proxy_hosts,
        ["*.internal", "localhost", "other.test"]
    );
    assert!(!format!("{proxy:?}").contains("pp\""));
    assert_eq!(proxy_for_mirror(proxies, "https://repo.internal/m2"), None);
    assert_eq!(proxy_for_mirror(proxies, "http://LOCALHOST:8081/m2"), None);
    assert_eq!(proxy_for_mirror(proxies, "file:///srv/m2"), None);
    assert!(proxy_for_mirror(proxies, "http://plain.test/").is_some());

    // Named repositories never take a settings proxy (the environment's proxies apply to them).
    let m = Machine::new();
    m.user(&format!("<proxies>{proxies}</proxies>"));
    let env = m
        .env()
        .with_var("KCLRS_REPOSITORY", "https://repo.example.org/");
    assert_eq!(m.remotes(&env)[0].proxy, None);
}

#[test]
fn https_proxy_is_preferred_for_https_and_encrypted_proxy_password_is_refused() {
    let proxies = "<proxy><id>h</id><protocol>http</protocol><host>h.test</host></proxy>\
                   <proxy><id>s</id><protocol>HTTPS</protocol><host>s.test</host><port>8443</port></proxy>";
    let proxy = proxy_for_mirror(proxies, "https://corp.test/maven").unwrap();
    assert_eq!(proxy.url, "http://s.test:8443");
    assert_eq!(proxy.credentials, None);
    let proxy = proxy_for_mirror(proxies, "http://corp.test/maven").unwrap();
    assert_eq!(proxy.url, "http://h.test:8080");

    let m = Machine::new();
    m.user(&format!(
        "{}<proxies><proxy><id>p</id><host>p.test</host><username>u</username><password>{{enc}}</password></proxy></proxies>",
        mirrors(&[mirror("corp", "central", "https://corp.test/maven")])
    ));
    assert!(m.remotes(&m.env()).is_empty());
}

#[test]
fn host_patterns() {
    assert!(host_matches("*.internal", "repo.internal"));
    assert!(!host_matches("*.internal", "internal"));
    assert!(host_matches("LOCALHOST", "localhost"));
    assert!(host_matches("10.*", "10.1.2.3"));
    assert!(host_matches("a*b*c", "axxbyyc"));
    assert!(!host_matches("a*b*c", "axxbyy"));
    assert!(!host_matches("repo", "repo.internal"));
    assert!(host_matches("*", "anything"));
}

#[test]
fn blocked_mirror_of_central_is_an_error_and_debian_http_blocker_spares_central() {
    let debian = mirrors(&[String::from(
        "<mirror><id>maven-default-http-blocker</id><mirrorOf>external:http:*</mirrorOf>\
         <url>http://0.0.0.0/</url><blocked>true</blocked></mirror>",
    )]);
    let m = Machine::new();
    m.global(&debian);
    // central is https: the blocker does not match it, so there simply is no mirror.
    assert!(m.remotes(&m.env()).is_empty());

    let m = Machine::new();
    m.user(&mirrors(&[String::from(
        "<mirror><id>nothing</id><mirrorOf>*</mirrorOf><url>https://x.test/</url><blocked>TRUE</blocked></mirror>"
    )]));
    let err = remotes(&m.env(), &[], &m.load()).unwrap_err();
    let (exit, hint) = classify(&err);
    assert_eq!(exit, Exit::Fetch);
    assert!(hint.unwrap().contains("--repository"));
    assert!(err.to_string().contains("mirror nothing in "), "{err}");
    // Explicit repositories are not mirrored, so a blocked mirror does not touch them.
    let flags = vec!["https://chosen.test/".to_string()];
    assert_eq!(remotes(&m.env(), &flags, &m.load()).unwrap().len(), 1);
}

#[test]
fn user_settings_override_global_ones() {
    let m = Machine::new();
    m.global(&format!(
        "<localRepository>/global/repo</localRepository><offline>true</offline>{}\
         <servers><server><id>corp</id><username>g</username><password>gp</password></server></servers>",
        mirrors(&[
            mirror("corp", "central", "https://global.test/"),
            mirror("g-only", "snapshots", "https://g.test/")
        ])
    ));
    m.user(&format!(
        "<localRepository>/user/repo</localRepository><offline>false</offline>{}\
         <servers><server><id>corp</id><username>u</username><password>up</password></server></servers>",
        mirrors(&[mirror("corp", "central", "https://user.test/")])
    ));
    let s = m.load();
    assert_eq!(s.local_repository, Some(PathBuf::from("/user/repo")));
    assert!(!s.offline);
    let mirror_ids: Vec<&str> = s.mirrors.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(mirror_ids, ["corp", "g-only"]);
    assert_eq!(
        s.files,
        [
            m.path("home/.m2/settings.xml"),
            m.path("maven/conf/settings.xml")
        ]
    );
    let r = m.remotes(&m.env());
    assert_eq!(ids(&r), [("corp", "https://user.test/")]);
    assert_eq!(r[0].credentials.as_ref().unwrap().username, "u");

    // Values the user file leaves out come from the global file.
    m.user("");
    let s = m.load();
    assert_eq!(s.local_repository, Some(PathBuf::from("/global/repo")));
    assert!(s.offline);
    assert_eq!(
        ids(&m.remotes(&m.env())),
        [("corp", "https://global.test/")]
    );

    // --settings replaces the user file.
    let other = m.write(
        "other.xml",
        &mirrors(&[mirror("o", "central", "file:///srv/o")]),
    );
    let s = load(&m.env(), Some(&other)).unwrap();
    assert_eq!(s.files[0], other);
    assert_eq!(
        ids(&remotes(&m.env(), &[], &s).unwrap()),
        [("o", "file:///srv/o/")]
    );
    let err = load(&m.env(), Some(Path::new("missing.xml"))).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Input);
    assert!(err.to_string().contains("missing.xml"), "{err}");
}

#[test]
fn global_file_is_found_through_the_mvn_on_path() {
    let m = Machine::new();
    let global = m.global(&mirrors(&[mirror("g", "*", "https://g.test/")]));
    std::fs::create_dir_all(m.path("maven/bin")).unwrap();
    std::fs::create_dir_all(m.path("usr/bin")).unwrap();
    std::fs::write(m.path("maven/bin/mvn"), "#!/bin/sh\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            m.path("maven/bin/mvn"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink(m.path("maven/bin/mvn"), m.path("usr/bin/mvn")).unwrap();
        let env = Env::fake(Os::Linux, Some(m.path("home")), m.path("work"))
            .with_var("PATH", m.path("usr/bin"));
        assert_eq!(global_settings_file(&env), Some(global.clone()));
        assert_eq!(ids(&m.remotes(&env)), [("g", "https://g.test/")]);
    }
    // M2_HOME is honoured too; MAVEN_HOME comes first.
    let env = Env::fake(Os::Linux, None, m.path("work")).with_var("M2_HOME", m.path("maven"));
    assert_eq!(global_settings_file(&env), Some(global));
    let env = env.with_var("MAVEN_HOME", m.path("nowhere"));
    assert!(
        global_settings_file(&env).is_some(),
        "falls through to M2_HOME"
    );
    let env = Env::fake(Os::Linux, None, m.path("work"));
    assert_eq!(global_settings_file(&env), None);
}

#[test]
fn env_and_user_home_interpolation() {
    let m = Machine::new();
    m.user(&format!(
        "<localRepository>${{user.home}}/m2repo</localRepository>{}\
         <servers><server><id>corp</id><username>${{env.REPO_USER}}</username>\
         <password>${{env.REPO_PASS}}</password></server></servers>",
        mirrors(&[mirror("corp", "*", "${env.REPO_URL}/maven")])
    ));
    let env = m
        .env()
        .with_var("REPO_URL", "https://corp.test")
        .with_var("REPO_USER", "bob")
        .with_var("REPO_PASS", "pw");
    let s = load(&env, None).unwrap();
    assert_eq!(s.local_repository, Some(m.path("home/m2repo")));
    let r = remotes(&env, &[], &s).unwrap();
    assert_eq!(ids(&r), [("corp", "https://corp.test/maven/")]);
    assert_eq!(r[0].credentials.as_ref().unwrap().password, "pw");
    // Unset variables stay as written, as Maven leaves them; the URL is then refused.
    assert_eq!(
        interpolate(&m.env(), "a${env.NOPE}b${x"),
        "a${env.NOPE}b${x"
    );
    assert_eq!(interpolate(&env, "${java.home}"), "${java.home}");
    let err = remotes(&m.env(), &[], &m.load()).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Input);
}

#[test]
fn remote_order_flags_then_kclrs_repository_then_python_variable_then_settings() {
    let m = Machine::new();
    m.user(&mirrors(&[mirror("corp", "*", "https://mirror.test/")]));
    let settings = m.load();
    let env = m
        .env()
        .with_var("KCLRS_REPOSITORY", " https://a.test/r , ,http://b.test/r/ ")
        .with_var("KCL_MVN_REPO_SEARCH_URL", "https://py.test/maven2/");
    let flags = vec!["https://f1.test".to_string(), "file:///srv/f2".to_string()];
    let r = remotes(&env, &flags, &settings).unwrap();
    assert_eq!(
        ids(&r),
        [("cli-1", "https://f1.test/"), ("cli-2", "file:///srv/f2/")]
    );
    assert!(r.iter().all(|r| r.origin == "--repository"));
    let r = remotes(&env, &[], &settings).unwrap();
    assert_eq!(
        ids(&r),
        [
            ("env-1", "https://a.test/r/"),
            ("env-2", "http://b.test/r/")
        ]
    );
    assert_eq!(r[0].origin, "KCLRS_REPOSITORY");
    let env = m
        .env()
        .with_var("KCL_MVN_REPO_SEARCH_URL", "https://py.test/maven2");
    let r = remotes(&env, &[], &settings).unwrap();
    assert_eq!(ids(&r), [("kcl-mvn-repo", "https://py.test/maven2/")]);
    assert_eq!(r[0].origin, "KCL_MVN_REPO_SEARCH_URL");
    // Empty values count as unset.
    let env = m.env().with_var("KCLRS_REPOSITORY", "");
    assert_eq!(ids(&m.remotes(&env)), [("corp", "https://mirror.test/")]);
}

#[test]
fn urls_are_normalised_and_bad_ones_name_their_source() {
    let cases = [
        ("https://h.test/a", "https://h.test/a/"),
        ("https://h.test/a/", "https://h.test/a/"),
        ("HTTPS://H.test", "https://h.test/"),
        ("http://127.0.0.1:8080/m2", "http://127.0.0.1:8080/m2/"),
        ("file:///srv/m2", "file:///srv/m2/"),
        ("file:/srv/m2/", "file:///srv/m2/"),
        ("  https://h.test/x  ", "https://h.test/x/"),
    ];
    for (raw, want) in cases {
        assert_eq!(repository_url(raw).unwrap().0.as_str(), want, "{raw}");
    }
    let (url, creds) = repository_url("https://al%40ice:p%3Aw@h.test/r").unwrap();
    assert_eq!(url.as_str(), "https://h.test/r/");
    assert_eq!(
        creds,
        Some(Credentials {
            username: "al@ice".into(),
            password: "p:w".into()
        })
    );
    let env = Env::fake(Os::Linux, None, PathBuf::from("/w"));
    let s = Settings::default();
    for (bad, why) in [
        ("ftp://h.test/r", "ftp"),
        ("h.test/maven", "relative URL"),
        ("https://h.test/r?x=1", "query"),
        ("C:\\repo", "scheme c:"),
    ] {
        let err = remotes(&env, &[bad.to_string()], &s).unwrap_err();
        assert_eq!(classify(&err).0, Exit::Usage, "{bad}");
        let text = err.to_string();
        assert!(text.starts_with("--repository: "), "{text}");
        assert!(text.contains(why), "{text}");
    }
    let env = env.with_var("KCL_MVN_REPO_SEARCH_URL", "ftp://u:secret@h.test/");
    let err = remotes(&env, &[], &s).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("KCL_MVN_REPO_SEARCH_URL: "), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

#[test]
fn credentials_in_explicit_urls_move_out_of_the_url() {
    let env = Env::fake(Os::Linux, None, PathBuf::from("/w"));
    let flags = vec!["https://u:pw@h.test/r".to_string()];
    let r = remotes(&env, &flags, &Settings::default()).unwrap();
    assert_eq!(r[0].url, "https://h.test/r/");
    assert_eq!(r[0].credentials.as_ref().unwrap().password, "pw");
    assert!(!format!("{r:?}").contains("pw"));
}

#[test]
fn malformed_xml_names_file_line_and_column() {
    let m = Machine::new();
    let file = m.path("home/.m2/settings.xml");
    std::fs::write(
        &file,
        "<settings>\n  <mirrors>\n    <mirror><id>x</mirror>\n  </mirrors>\n</settings>\n",
    )
    .unwrap();
    let err = load(&m.env(), None).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Input);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:3:", file.display())),
        "{text}"
    );
    std::fs::write(&file, "<settings>\n<mirrors>\n").unwrap();
    let text = load(&m.env(), None).unwrap_err().to_string();
    assert!(text.contains("settings.xml:3:1: "), "{text}");
    assert!(text.contains("ends inside <mirrors>"), "{text}");
    // A broken global file is reported the same way.
    std::fs::write(&file, "<settings/>").unwrap();
    m.write("maven/conf/settings.xml", "<a>&bogus;</a>");
    let text = load(&m.env(), None).unwrap_err().to_string();
    assert!(text.contains("maven/conf/settings.xml:1:"), "{text}");
    let bad_port = m.user("<proxies><proxy><host>h</host><port>http</port></proxy></proxies>");
    let text = load(&m.env(), None).unwrap_err().to_string();
    assert!(text.contains(&*bad_port.to_string_lossy()), "{text}");
}

#[test]
fn local_repository_order() {
    let env = Env::fake(
        Os::Linux,
        Some(PathBuf::from("/home/u")),
        PathBuf::from("/w"),
    );
    let mut s = Settings::default();
    assert_eq!(
        local_repository(&env, &s, None),
        Some(PathBuf::from("/home/u/.m2/repository"))
    );
    s.local_repository = Some(PathBuf::from("/from/settings"));
    assert_eq!(
        local_repository(&env, &s, None),
        Some(PathBuf::from("/from/settings"))
    );
    assert_eq!(
        local_repository(&env, &s, Some(Path::new("rel"))),
        Some(PathBuf::from("/w/rel"))
    );
    let homeless = Env::fake(Os::Linux, None, PathBuf::from("/w"));
    assert_eq!(
        local_repository(&homeless, &Settings::default(), None),
        None
    );
}
