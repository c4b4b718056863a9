//! Issue 13's transport findings against hostile input on loopback: URLs whose user-info must
//! never reach a message (also inside what the `mvn` fallback prints), size caps and `.sha1`
//! checks of lock-time downloads, the redirect policy, never echoing a response body, the
//! per-artifact deadline and the `mvn` timeout.

use std::path::Path;
use std::process::Output;

use crate::download::{sample_arts, write_lock};
use crate::server::Server;
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

/// Finding 3: the `mvn` fallback relays Maven's error, which names a mirror by its URL as written
/// in settings.xml, password included; kclrs hides the user-info, in text and in `--json`.
/// (The server's encrypted password makes kclrs skip the mirror and ask the real `mvn`, which
/// tries the loopback mirror, finds nothing and fails.)
#[test]
fn mvn_fallback_output_never_shows_a_mirror_password() {
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &sample_arts()[..1]);
    let empty = Server::start(&sb.root().join("nothing"));
    let url = empty
        .url()
        .replace("http://", &format!("http://user:{SECRET}@"));
    sb.write(
        "home/.m2/settings.xml",
        format!(
            "<settings><mirrors><mirror><id>corp</id><mirrorOf>*</mirrorOf><url>{url}</url>\
             </mirror></mirrors><servers><server><id>corp</id><username>u</username>\
             <password>{{COQLCE6DU6GtcS5P=}}</password></server></servers></settings>"
        ),
    );
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
