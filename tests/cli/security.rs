//! Issue 13's transport findings against hostile input on loopback: URLs whose user-info must
//! never reach a message (also inside what the `mvn` fallback prints), size caps and `.sha1`
//! checks of lock-time downloads, the redirect policy, never echoing a response body, the
//! per-artifact deadline and the `mvn` timeout.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::download::{sample_arts, serve, write_lock};
use crate::lock::MiniRepo;
use crate::server::{Fault, Server};
use crate::support::*;

/// The password every hostile URL here carries; no output may contain it.
const SECRET: &str = "S3CRET";

#[track_caller]
fn assert_secret_hidden(sb: &Sandbox, out: &Output) {
    let text = sb.transcript(out);
    assert!(!text.contains(SECRET), "the password leaked:\n{text}");
}

fn download_jars(sb: &Sandbox, lock: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = sb.cmd(["download-jars", "--lockfile"]);
    cmd.arg(lock).args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Finding 7: repository URLs that do not parse (or parse into something else than meant) are
/// refused without echoing their password, whether they come from the flag, the environment or
/// a settings mirror.
#[test]
fn unusable_repository_urls_never_echo_their_password() {
    let spellings = [
        "http://user:S3CRET#pw@127.0.0.1:9/repo",
        "http://user:S3/CRET@127.0.0.1:9/repo",
        "http://user:S3?CRET@127.0.0.1:9/repo",
        "http//user:S3CRET@127.0.0.1:9/repo",
        "http://user:12/S3CRET@127.0.0.1:9/repo",
        "https://user:p@S3CRET@127.0.0.1:9/repo#x",
    ];
    for raw in spellings {
        let sb = Sandbox::new();
        let lock = write_lock(&sb, &sample_arts()[..1]);
        let out = download_jars(&sb, &lock, &["--no-mvn", "--repository", raw], &[]);
        assert_exit(&sb, &out, 2);
        assert_secret_hidden(&sb, &out);
        assert!(stderr(&out).contains("--repository"), "{}", stderr(&out));

        let out = download_jars(&sb, &lock, &["--no-mvn"], &[("KCLRS_REPOSITORY", raw)]);
        assert_exit(&sb, &out, 2);
        assert_secret_hidden(&sb, &out);
        assert!(
            stderr(&out).contains("KCLRS_REPOSITORY"),
            "{}",
            stderr(&out)
        );

        sb.write(
            "home/.m2/settings.xml",
            format!(
                "<settings><mirrors><mirror><id>corp</id><mirrorOf>*</mirrorOf>\
                 <url>{}</url></mirror></mirrors></settings>",
                raw.replace('&', "&amp;")
            ),
        );
        let out = download_jars(&sb, &lock, &["--no-mvn"], &[]);
        assert_exit(&sb, &out, 3);
        assert_secret_hidden(&sb, &out);
        assert!(stderr(&out).contains("mirror corp"), "{}", stderr(&out));
    }
}

/// A lock of one sample jar and a settings.xml whose only mirror is an empty loopback server
/// with `userinfo` in its URL and an encrypted `<server>` password, which makes kclrs skip the
/// mirror and ask the real `mvn` (which tries the mirror, finds nothing and fails).
pub(crate) fn mirror_only_mvn_can_use(
    sb: &Sandbox,
    userinfo: &str,
) -> (std::path::PathBuf, Server) {
    let lock = write_lock(sb, &sample_arts()[..1]);
    let empty = Server::start(&sb.root().join("nothing"));
    let url = empty
        .url()
        .replace("http://", &format!("http://{userinfo}@"));
    sb.write(
        "home/.m2/settings.xml",
        format!(
            "<settings><mirrors><mirror><id>corp</id><mirrorOf>*</mirrorOf><url>{url}</url>\
             </mirror></mirrors><servers><server><id>corp</id><username>u</username>\
             <password>{{COQLCE6DU6GtcS5P=}}</password></server></servers></settings>"
        ),
    );
    (lock, empty)
}

/// Finding 3: the `mvn` fallback relays Maven's error, which names a mirror by its URL as written
/// in settings.xml, password included; kclrs hides the user-info, in text and in `--json`.
/// (The server's encrypted password makes kclrs skip the mirror and ask the real `mvn`, which
/// tries the loopback mirror, finds nothing and fails.)
#[test]
fn mvn_fallback_output_never_shows_a_mirror_password() {
    let sb = Sandbox::new();
    let (lock, empty) = mirror_only_mvn_can_use(&sb, &format!("user:{SECRET}"));
    for json in [false, true] {
        let args: &[&str] = if json { &["--json"] } else { &[] };
        let out = download_jars(&sb, &lock, args, &[]);
        assert_exit(&sb, &out, 5);
        assert_secret_hidden(&sb, &out);
        let text = sb.transcript(&out);
        assert!(
            text.contains(&format!("***@127.0.0.1:{}", empty.port)),
            "Maven's message about the mirror is relayed:\n{text}"
        );
    }
    assert!(
        empty.count("maven-dependency-plugin") > 0,
        "mvn asked the mirror"
    );
}

/// `kclrs lock --root org.ex:app:1` against only `url`, with the cache `work/<cache>`.
fn lock(sb: &Sandbox, url: &str, cache: &str, extra: &[&str]) -> Output {
    crate::lock::lock_app_from(sb, url, cache, "out.lock", extra)
}

/// `org.ex:app:1` depending on `org.ex:lib:1`, with `.sha1` files, served over HTTP.
fn app_and_lib(sb: &Sandbox) -> (MiniRepo, Server) {
    let repo = MiniRepo::new(sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:lib:1", 52, &[]);
    let server = Server::start(&repo.root);
    (repo, server)
}

/// Total bytes of the files under `dir`.
fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                bytes_under(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// Finding 6: an endless POM is cut off at the POM size cap (8 MiB), named by URL, exit 5, and
/// leaves nothing behind, so the next run against a good repository succeeds.
#[test]
fn endless_pom_is_cut_off_and_leaves_nothing_behind() {
    let sb = Sandbox::new();
    let (_repo, server) = app_and_lib(&sb);
    server.fault_ending("lib-1.pom", Fault::Endless, 1);
    let out = lock(&sb, &server.url(), "c", &[]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}/org/ex/lib/1/lib-1.pom", server.url()))
            && err.contains("8388608 byte limit"),
        "{err}"
    );
    let cached_pom = sb.work().join("c/maven/org/ex/lib/1/lib-1.pom");
    assert!(!cached_pom.exists(), "the cut-off POM is not cached");
    let left = bytes_under(&sb.work().join("c"));
    assert!(left < 1 << 20, "{left} bytes left in the cache");
    assert!(!sb.work().join("out.lock").exists());

    let out = lock(&sb, &server.url(), "c", &["-q"]);
    assert_exit(&sb, &out, 0);
    assert!(cached_pom.exists());
}

/// Finding 6: a POM is checked against the `.sha1` beside it; a mismatch names the checksum URL,
/// exits 5 and caches nothing; with the right `.sha1` the same repository works.
#[test]
fn pom_whose_sha1_does_not_match_is_refused_and_not_cached() {
    let sb = Sandbox::new();
    let (repo, server) = app_and_lib(&sb);
    let sum = repo.root.join("org/ex/lib/1/lib-1.pom.sha1");
    let good = std::fs::read_to_string(&sum).unwrap();
    let other = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(b"another POM"));
    std::fs::write(&sum, &other).unwrap();
    let out = lock(&sb, &server.url(), "c", &[]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("checksum mismatch")
            && err.contains(&format!(
                "{}/org/ex/lib/1/lib-1.pom.sha1 says sha1 {other}",
                server.url()
            )),
        "{err}"
    );
    assert!(!sb.work().join("c/maven/org/ex/lib/1/lib-1.pom").exists());
    assert!(!sb.work().join("out.lock").exists());

    std::fs::write(&sum, good).unwrap();
    let out = lock(&sb, &server.url(), "c", &["-q"]);
    assert_exit(&sb, &out, 0);
    assert!(sb.work().join("c/maven/org/ex/lib/1/lib-1.pom").exists());
}

/// Finding 11: a redirect to another host (another port) is followed without the repository's
/// credentials; one to a `file:` URL is refused.
#[test]
fn redirects_to_another_host_drop_credentials_and_file_urls_are_refused() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[1..2]);
    let target = serve(&sb, &arts);
    let front = Server::start(&sb.root().join("nothing"));
    let path = arts[1].coord.repo_path();
    front.fault(
        "tiny",
        Fault::Redirect(format!("{}/{path}", target.url())),
        1,
    );
    let url = front
        .url()
        .replace("http://", &format!("http://alice:{SECRET}@"));
    let out = download_jars(&sb, &lock, &["--no-mvn", "--repository", &url], &[]);
    assert_exit(&sb, &out, 0);
    assert_secret_hidden(&sb, &out);
    assert!(
        front.seen()[0].authorization.is_some(),
        "sent to its own host"
    );
    let at_target = target.seen();
    assert_eq!(at_target.len(), 1);
    assert_eq!(
        at_target[0].authorization, None,
        "never sent to another host"
    );

    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts[1..2]);
    let local = sb.root().join("remote");
    let _ = serve(&sb, &arts);
    front.fault(
        "tiny",
        Fault::Redirect(format!("file://{}/{path}", local.display())),
        1,
    );
    let out = download_jars(&sb, &lock, &["--no-mvn", "--repository", &front.url()], &[]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(err.contains("a redirect kclrs does not follow"), "{err}");
    assert!(
        !sb.cache().join("maven").join(&path).exists(),
        "nothing was taken from the file: URL"
    );
}

/// Finding 11: a checksum file's body is never echoed: a `.sha1` redirected to an "internal"
/// server answers with a secret, and the error says only what the body is not.
#[test]
fn checksum_bodies_are_never_echoed() {
    let sb = Sandbox::new();
    let (_repo, server) = app_and_lib(&sb);
    let internal_dir = sb.root().join("internal");
    std::fs::create_dir_all(&internal_dir).unwrap();
    std::fs::write(
        internal_dir.join("token"),
        format!("{SECRET}-internal-token\n"),
    )
    .unwrap();
    let internal = Server::start(&internal_dir);
    let token = format!("{}/token", internal.url());
    // First the POM's .sha1 (checked while resolving), then, with the POM good, the jar's.
    server.fault("lib-1.pom.sha1", Fault::Redirect(token.clone()), 1);
    let out = lock(&sb, &server.url(), "c", &[]);
    assert_exit(&sb, &out, 5);
    assert_secret_hidden(&sb, &out);
    assert!(
        stderr(&out).contains("is not a sha1 checksum (22 bytes)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(internal.count("token"), 1);

    server.fault("lib-1.jar.sha1", Fault::Redirect(token), 1);
    let out = lock(&sb, &server.url(), "c", &[]);
    assert_exit(&sb, &out, 5);
    assert_secret_hidden(&sb, &out);
    let err = stderr(&out);
    assert!(
        err.contains("checksum mismatch for org.ex:lib:1")
            && err.contains("is not a sha1 checksum (22 bytes)"),
        "{err}"
    );
    assert_eq!(internal.count("token"), 2);
    assert!(!sb.work().join("out.lock").exists());
}

/// Finding 13: a server that keeps sending a little (never silent for a whole read timeout)
/// is cut off by the per-file deadline, here `KCLRS_ARTIFACT_TIMEOUT=2`.
#[test]
fn trickling_download_is_cut_off_by_the_deadline() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[2..3]);
    let server = serve(&sb, &arts);
    // 1.5 MB in 16 KiB pieces, half a second apart: about 45 s without a deadline.
    server.fault(
        "big",
        Fault::Trickle(Duration::from_millis(500)),
        usize::MAX,
    );
    let start = Instant::now();
    let out = download_jars(
        &sb,
        &lock,
        &["--no-mvn", "--repository", &server.url()],
        &[("KCLRS_ARTIFACT_TIMEOUT", "2")],
    );
    let took = start.elapsed();
    assert_exit(&sb, &out, 5);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let err = stderr(&out);
    assert!(
        err.contains("org.example.deep.group:big:3.1")
            && err
                .contains("not complete after 2 s, the deadline per file (KCLRS_ARTIFACT_TIMEOUT)"),
        "{err}"
    );
    assert_eq!(server.count("big"), 1, "a deadline is not retried");
    assert!(!sb
        .cache()
        .join("maven")
        .join(arts[2].coord.repo_path())
        .exists());
}

/// Finding 13: an `mvn` that hangs is killed with its whole process group after
/// `KCLRS_MVN_TIMEOUT` seconds; exit 5, naming the variable.
#[cfg(unix)]
#[test]
fn hanging_mvn_is_killed_with_its_children_after_the_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &sample_arts()[..1]);
    let pid_file = sb.root().join("child.pid");
    // A launcher script whose child (like Maven's JVM) would outlive it if only it were killed.
    let script = sb.write(
        "bin/mvn",
        format!(
            "#!/bin/sh\nsleep 300 &\necho $! > '{}'\nwait\n",
            pid_file.display()
        ),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        script.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let start = Instant::now();
    let out = download_jars(
        &sb,
        &lock,
        &[],
        &[("PATH", path.as_str()), ("KCLRS_MVN_TIMEOUT", "2")],
    );
    let took = start.elapsed();
    assert_exit(&sb, &out, 5);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let err = stderr(&out);
    assert!(
        err.contains("did not finish within 2 s (KCLRS_MVN_TIMEOUT)"),
        "{err}"
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let proc_dir = Path::new("/proc").join(pid.trim());
    let gone = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        !proc_dir.exists()
    });
    assert!(gone, "the script's child {} still runs", pid.trim());
}
