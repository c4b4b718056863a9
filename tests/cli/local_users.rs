//! Issue 21's local-user findings 1, 2, 4, 5 and 10: what another user of the same machine can
//! plant (a `.mvn/` above the mvn fallback's work folder, files beside a properties file, a
//! cache they own or can write, a `./mvn` in the current folder) never runs or is trusted, and a
//! hostile lock leaves no lock files. "Another user" is `nobody`; the tests need root to hand
//! files to it and fail (never skip) without.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::download::{art, cached, sample_arts, serve, sha256, write_lock, Art};
use crate::hostile_models::stamp_for;
use crate::server::Server;
use crate::support::*;

/// Fails the test unless it runs as root, which it needs to give files to another user.
#[track_caller]
fn require_root() {
    let out = Command::new("id").arg("-u").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0",
        "this test plays another local user with `nobody` and must run as root"
    );
}

/// `chown -R nobody path`.
fn give_to_nobody(path: &Path) {
    let ok = Command::new("chown")
        .args(["-R", "nobody"])
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success(), "chown nobody {}", path.display());
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A folder anyone may write, like `/tmp` (mode 1777).
fn shared_tmp(sb: &Sandbox, name: &str) -> PathBuf {
    let dir = sb.root().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o1777);
    dir
}

/// `settings.xml` whose active profile makes `server` Maven's `central`, so a real `mvn` never
/// leaves loopback; kclrs reads no profile, so it has no remote and asks `mvn`.
fn central_is(sb: &Sandbox, server: &Server) {
    let repo = format!(
        "<id>central</id><url>{}</url><snapshots><enabled>false</enabled></snapshots>",
        server.url()
    );
    sb.write(
        "home/.m2/settings.xml",
        format!(
            "<settings><profiles><profile><id>loopback</id>\
             <repositories><repository>{repo}</repository></repositories>\
             <pluginRepositories><pluginRepository>{repo}</pluginRepository></pluginRepositories>\
             </profile></profiles><activeProfiles><activeProfile>loopback</activeProfile>\
             </activeProfiles></settings>"
        ),
    );
}

/// Maven 4 from the test repository (`tests/prepare.sh` fetches it with mvn), unpacked into the
/// sandbox; returns its `bin/`.
fn maven4(sb: &Sandbox) -> PathBuf {
    let tar = test_m2()
        .join("org/apache/maven/apache-maven/4.0.0-rc-5/apache-maven-4.0.0-rc-5-bin.tar.gz");
    assert!(
        tar.is_file(),
        "{} is missing: run `bash tests/prepare.sh`",
        tar.display()
    );
    let ok = Command::new("tar")
        .arg("xzf")
        .arg(&tar)
        .arg("-C")
        .arg(sb.root())
        .status()
        .unwrap();
    assert!(ok.success());
    sb.root().join("apache-maven-4.0.0-rc-5/bin")
}

/// Finding 1: a `.mvn/jvm.config` that another user put in the shared temp folder never reaches
/// the JVM of the `mvn` fallback, under Maven 3 (installed) and Maven 4. Before the fix, the
/// planted `-Xlog:gc:file=…` wrote its canary (a `-javaagent:` would have run code).
#[test]
fn mvn_fallback_never_applies_a_dot_mvn_planted_above_its_work_folder() {
    require_root();
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &sample_arts()[..1]);
    let tmp = shared_tmp(&sb, "shared-tmp");
    let planted = tmp.join(".mvn");
    std::fs::create_dir_all(&planted).unwrap();
    let canary = tmp.join("canary");
    std::fs::write(
        planted.join("jvm.config"),
        format!("-Xlog:gc:file={}-%p.log\n", canary.display()),
    )
    .unwrap();
    std::fs::write(planted.join("maven.config"), "-Dplanted.by=nobody\n").unwrap();
    give_to_nobody(&planted);
    let empty = Server::start(&sb.root().join("nothing"));
    central_is(&sb, &empty);
    let path = std::env::var("PATH").unwrap();
    let maven4_path = format!("{}:{path}", maven4(&sb).display());
    let mut applied = Vec::new();
    for (maven, path) in [
        ("Maven 3", path.as_str()),
        ("Maven 4", maven4_path.as_str()),
    ] {
        let before = empty.count("maven-dependency-plugin");
        let out = sb
            .cmd(["download-jars", "--lockfile"])
            .arg(&lock)
            .env("TMPDIR", &tmp)
            .env("PATH", path)
            .output()
            .unwrap();
        assert_exit(&sb, &out, 5);
        assert!(
            empty.count("maven-dependency-plugin") > before,
            "{maven} did not run: {}",
            sb.transcript(&out)
        );
        let canaries: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("canary"))
            .collect();
        if !canaries.is_empty() {
            applied.push(format!(
                "{maven} applied the planted .mvn/jvm.config: {canaries:?}"
            ));
            for c in canaries {
                std::fs::remove_file(tmp.join(c)).unwrap();
            }
        }
        // The work folder is gone afterwards, as before.
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().starts_with("kclrs-mvn-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
    assert!(applied.is_empty(), "{applied:#?}");
}

/// Finding 5: an empty or relative `PATH` entry never makes kclrs run a `mvn` from the current
/// folder (or below it), as Java discovery never runs a `./java`.
#[test]
fn empty_or_relative_path_entries_never_run_mvn_from_the_current_folder() {
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &sample_arts()[..1]);
    let canary = sb.root().join("ran");
    for rel in ["work/mvn", "work/bin/mvn"] {
        let script = sb.write(
            rel,
            format!(
                "#!/bin/sh\necho \"$0\" >> '{}'\nexit 42\n",
                canary.display()
            ),
        );
        chmod(&script, 0o755);
    }
    for path in [
        ":/nonexistent",
        "/nonexistent:",
        "/nonexistent::/nonexistent2",
        ".:/nonexistent",
        "bin:/nonexistent",
        "./bin",
    ] {
        let out = sb
            .cmd(["download-jars", "--lockfile"])
            .arg(&lock)
            .env("PATH", path)
            .output()
            .unwrap();
        assert_exit(&sb, &out, 5);
        assert!(
            !canary.exists(),
            "PATH={path:?} ran {}",
            std::fs::read_to_string(&canary).unwrap_or_default()
        );
        assert!(
            stderr(&out).contains("mvn is not on PATH"),
            "PATH={path:?}: {}",
            stderr(&out)
        );
    }
}

/// `kclrs download-jars`, `verify`, `print-classpath` with `lock`.
fn cache_commands(sb: &Sandbox, lock: &Path) -> Vec<Output> {
    let run = |args: &[&str]| {
        let mut cmd = sb.cmd(args);
        cmd.arg("--lockfile").arg(lock);
        cmd.output().unwrap()
    };
    vec![
        run(&["download-jars", "--offline"]),
        run(&["verify"]),
        run(&["print-classpath"]),
    ]
}

/// Finding 4 (a): a cache root, or a folder or file under it, that another user owns or that
/// group/others may write is refused (exit 2, naming the path and the fix), by every command
/// that reads it. Before the fix, `nobody`'s planted jar with a stamp built from its mtime was
/// "already cached" and `run` would have started it.
#[test]
fn a_cache_another_user_owns_or_can_write_is_refused_naming_path_and_fix() {
    require_root();
    let arts = vec![art("org.example:app:1.0", 4096, 7)];
    let planted = |sb: &Sandbox| {
        let jar = cached(sb, &arts[0]);
        std::fs::create_dir_all(jar.parent().unwrap()).unwrap();
        std::fs::write(&jar, vec![b'X'; 4096]).unwrap();
        let stamp = stamp_for(&jar, &sha256(&arts[0].bytes));
        std::fs::write(jar.with_file_name("app-1.0.jar.kclrs-verified"), stamp).unwrap();
        jar
    };
    // Who may change what: the whole cache nobody's; one subfolder nobody's; the root, a
    // subfolder or the jar writable by others; a symlinked folder leading to nobody's folder.
    type Setup = fn(&Sandbox, &Path) -> PathBuf;
    let cases: [(&str, Setup); 6] = [
        ("root owned by nobody", |sb, _| {
            give_to_nobody(&sb.cache());
            sb.cache()
        }),
        ("subfolder owned by nobody", |sb, _| {
            let dir = sb.cache().join("maven/org");
            give_to_nobody(&dir);
            dir
        }),
        ("root writable by all", |sb, _| {
            chmod(&sb.cache(), 0o777);
            sb.cache()
        }),
        ("subfolder writable by group", |sb, _| {
            let dir = sb.cache().join("maven/org/example");
            chmod(&dir, 0o775);
            dir
        }),
        ("jar writable by all", |_, jar| {
            chmod(jar, 0o666);
            jar.to_path_buf()
        }),
        ("symlink to nobody's folder", |sb, _| {
            let real = sb.root().join("elsewhere");
            std::fs::rename(sb.cache().join("maven/org"), &real).unwrap();
            std::os::unix::fs::symlink(&real, sb.cache().join("maven/org")).unwrap();
            give_to_nobody(&real);
            sb.cache().join("maven/org")
        }),
    ];
    for (what, setup) in cases {
        let sb = Sandbox::new();
        let lock = write_lock(&sb, &arts);
        let jar = planted(&sb);
        let named = setup(&sb, &jar);
        for out in cache_commands(&sb, &lock) {
            assert_exit(&sb, &out, 2);
            let err = stderr(&out);
            assert!(
                err.contains(&format!(
                    "refusing to use the kclrs cache {}: {} ",
                    sb.cache().display(),
                    named.display()
                )),
                "{what}: {err}"
            );
            assert!(err.contains("chmod -R go-w"), "{what}: {err}");
            assert!(!err.contains("already cached"), "{what}: {err}");
        }
    }
}

/// Finding 4: the folders kclrs creates pass its own check even under a umask of 002, and a
/// warm cache of one's own is accepted.
#[test]
fn a_cache_kclrs_made_under_umask_002_is_accepted() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let download = |extra: &[&str]| {
        let mut cmd = sb.cmd_under(
            &["sh", "-c", "umask 002; exec \"$0\" \"$@\""],
            ["download-jars"],
        );
        cmd.arg("--lockfile").arg(&lock).args(extra);
        cmd.output().unwrap()
    };
    let out = download(&["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    let out = download(&["--offline"]);
    assert_exit(&sb, &out, 0);
    assert!(stderr(&out).contains("already cached"), "{}", stderr(&out));
}

/// Finding 10: a lock of 20,000 artifacts that cannot be had leaves no lock file behind (one is
/// made only for work to do), and lock files left by killed runs are pruned by the next run
/// with work to do.
#[test]
fn lock_files_only_for_work_to_do_and_stale_ones_are_pruned() {
    let sb = Sandbox::new();
    let many: Vec<Art> = (0..20_000)
        .map(|i| Art {
            coord: format!("org.hostile:a{i}:1").parse().unwrap(),
            bytes: vec![b'x'; 3],
        })
        .collect();
    let lock = write_lock(&sb, &many);
    let out = sb
        .cmd(["download-jars", "--offline", "--lockfile"])
        .arg(&lock)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    let locks = sb.cache().join("locks");
    let count = |dir: &Path| std::fs::read_dir(dir).map_or(0, |d| d.count());
    assert_eq!(count(&locks), 0, "lock files left in {}", locks.display());

    // A killed run's lock files (nobody holds them) go with the next run that has work.
    std::fs::create_dir_all(&locks).unwrap();
    for i in 0..100 {
        std::fs::write(
            locks.join(format!("stale{i}.jar-0123456789abcdef.lock")),
            "",
        )
        .unwrap();
    }
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let out = sb
        .cmd(["download-jars", "--repository", &server.url(), "--lockfile"])
        .arg(&lock)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    assert_eq!(count(&locks), 0, "lock files left in {}", locks.display());
}

/// A properties file with every key the daemon requires.
const PROPERTIES: &str = "executableName = sh -c true\napplicationName = app\n\
    streamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n";

/// `print-classpath -p props --format lines` against a lock of one cached jar.
fn classpath_with(sb: &Sandbox, props: &Path) -> (Output, Vec<String>) {
    let arts = vec![art("org.example:app:1.0", 10, 1)];
    let lock = write_lock(sb, &arts);
    let out = sb
        .cmd(["print-classpath", "--format", "lines", "--lockfile"])
        .arg(&lock)
        .arg("-p")
        .arg(props)
        .output()
        .unwrap();
    assert_exit(sb, &out, 0);
    let lines = stdout(&out).lines().map(str::to_string).collect();
    (out, lines)
}

/// Finding 2: the folder of a properties file that another user can write (mode 1777, like
/// `/tmp`) is never put on the daemon's classpath, where their `Evil.class` and
/// `META-INF/services` file would be loaded; a private copy of the file alone takes its place,
/// with a warning. A folder of one's own stays on the classpath as before.
#[test]
fn a_shared_properties_folder_is_replaced_by_a_private_copy_on_the_classpath() {
    require_root();
    let sb = Sandbox::new();
    let shared = shared_tmp(&sb, "shared-tmp");
    let props = shared.join("app.properties");
    std::fs::write(&props, PROPERTIES).unwrap();
    let services = shared.join("META-INF/services");
    std::fs::create_dir_all(&services).unwrap();
    std::fs::write(
        services.join("org.slf4j.spi.SLF4JServiceProvider"),
        "Evil\n",
    )
    .unwrap();
    std::fs::write(shared.join("Evil.class"), b"\xca\xfe\xba\xbe").unwrap();
    give_to_nobody(&shared.join("META-INF"));
    give_to_nobody(&shared.join("Evil.class"));

    let (out, entries) = classpath_with(&sb, &props);
    assert!(
        !entries.iter().any(|e| Path::new(e) == shared),
        "the shared folder is on the classpath: {entries:?}"
    );
    let last = PathBuf::from(entries.last().unwrap());
    assert!(last.starts_with(sb.cache().join("properties")), "{last:?}");
    let inside: Vec<_> = std::fs::read_dir(&last)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(inside, ["app.properties"]);
    assert_eq!(
        std::fs::read_to_string(last.join("app.properties")).unwrap(),
        PROPERTIES
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{} is writable by group or others",
            shared.display()
        )) && err.contains(&format!("pass `-c {}`", shared.display())),
        "{err}"
    );

    // A folder of one's own (mode 755) is on the classpath itself, with no warning.
    let own = sb.root().join("own");
    std::fs::create_dir_all(&own).unwrap();
    chmod(&own, 0o755);
    std::fs::write(own.join("app.properties"), PROPERTIES).unwrap();
    let (out, entries) = classpath_with(&sb, &own.join("app.properties"));
    assert_eq!(entries.last().map(PathBuf::from), Some(own));
    assert!(!stderr(&out).contains("private copy"), "{}", stderr(&out));
}
