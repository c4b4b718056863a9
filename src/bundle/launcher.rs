//! The launchers `bin/kcl-daemon` (POSIX sh) and `bin/kcl-daemon.cmd` (Windows), written at bundle
//! time. Both find the bundle from their own location, so the folder can be moved, and start the
//! daemon with the bundle's runtime, its jars in lock order and (when the bundle still sits where
//! the archive was made for) its CDS archive. The sh script sorts its arguments: `-J<opt>`,
//! `-D…` and `-X…` go to the JVM, everything else (`-p`, `-l`, …) to the daemon; it adds the
//! properties file's folder to the classpath, as `kclrs run` does, and `exec`s the JVM so signals
//! reach its shutdown hook.

use super::cds::ARCHIVE;

/// `'text'` for sh, with embedded single quotes spelled `'\''`.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The POSIX launcher. `jars` are the `lib/` file names in classpath order; `valid_at` is the
/// absolute bundle folder the archive was dumped for (`None`: no archive).
pub fn posix(jars: &[String], main_class: &str, valid_at: Option<&str>) -> String {
    let mut cp = String::new();
    for (i, jar) in jars.iter().enumerate() {
        let sep = if i == 0 { "" } else { ":" };
        // Jar names are the lock's plain Maven names: no quoting needed inside double quotes.
        cp.push_str(&format!("cp=\"${{cp}}{sep}$here/lib/{jar}\"\n"));
    }
    let archive = match valid_at {
        Some(at) => format!(
            "# The CDS archive maps only with the jars at the paths it was made with (Java 17).\n\
             built={}\n\
             if [ \"$here\" != \"$built\" ]; then\n  \
               echo \"kcl-daemon: $here is not $built, where its CDS archive was made: starting without it (run \\`kclrs bundle\\` here again to make one)\" >&2\n\
             elif [ -f \"$here/{ARCHIVE}\" ]; then\n  \
               set -- -XX:SharedArchiveFile=\"$here/{ARCHIVE}\" -Xshare:auto \"$@\"\n\
             fi\n",
            sh_quote(at)
        ),
        None => String::new(),
    };
    format!(
        r#"#!/bin/sh
# Written by `kclrs bundle`: starts the KCL MultiLangDaemon with this bundle's runtime, jars and
# class-data-sharing archive; no Java or kclrs needs to be installed.
# Usage: kcl-daemon -p app.properties [-l logback.xml] [-J<jvm option>] [-D<k>=<v>] [-X<opt>]
set -e
# Only shell built-ins from here on: the environment may hold no PATH at all.
case $0 in */*) bin=${{0%/*}} ;; *) bin=. ;; esac
here=$(cd "$bin/.." && pwd -P)
cp=
{cp}
# The properties file's folder goes last on the classpath (the daemon looks it up there first).
props= prev=
for a do
  case $prev in -p|--properties-file) props=$a ;; esac
  prev=$a
done
if [ -n "$props" ] && [ -f "$props" ]; then
  case $props in */*) pdir=${{props%/*}} ;; *) pdir=. ;; esac
  cp="$cp:$(cd "${{pdir:-/}}" && pwd -P)"
fi
# JVM options (after the original arguments), then the daemon's own arguments, then drop the
# originals: java [jvm options] -cp CP MAIN [daemon arguments].
n=$#
for a do
  case $a in -J*) set -- "$@" "${{a#-J}}" ;; -D*|-X*) set -- "$@" "$a" ;; esac
done
set -- "$@" -cp "$cp" {main_class}
i=0
for a do
  i=$((i + 1))
  [ "$i" -le "$n" ] || break
  case $a in -J*|-D*|-X*) ;; *) set -- "$@" "$a" ;; esac
done
shift "$n"
{archive}exec "$here/runtime/bin/java" "$@"
"#
    )
}

/// The Windows launcher: the jars by wildcard (their names carry the lock order, and Windows
/// lists a folder sorted by name), JVM options through `JDK_JAVA_OPTIONS`, arguments passed on.
pub fn windows(main_class: &str, valid_at: Option<&str>) -> String {
    let archive = match valid_at {
        Some(at) => format!(
            "set \"KCL_CDS=\"\r\n\
             if /i \"%HERE%\"==\"{}\" if exist \"%HERE%\\{}\" set \"KCL_CDS=-XX:SharedArchiveFile=%HERE%\\{} -Xshare:auto\"\r\n",
            at.replace('/', "\\"),
            ARCHIVE.replace('/', "\\"),
            ARCHIVE.replace('/', "\\")
        ),
        None => "set \"KCL_CDS=\"\r\n".to_string(),
    };
    format!(
        "@echo off\r\n\
         rem Written by `kclrs bundle`: starts the KCL MultiLangDaemon with this bundle's runtime and jars.\r\n\
         rem Usage: kcl-daemon.cmd -p app.properties [-l logback.xml]; JVM options in JDK_JAVA_OPTIONS.\r\n\
         setlocal\r\n\
         for %%I in (\"%~dp0..\") do set \"HERE=%%~fI\"\r\n\
         {archive}\
         \"%HERE%\\runtime\\bin\\java.exe\" %KCL_CDS% -cp \"%HERE%\\lib\\*\" {main_class} %*\r\n\
         exit /b %ERRORLEVEL%\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_script_lists_jars_in_order_and_quotes_the_build_path() {
        let s = posix(
            &["001-a-1.jar".into(), "002-b-2.jar".into()],
            "M",
            Some("/opt/it's"),
        );
        let a = s.find("lib/001-a-1.jar").unwrap();
        let b = s.find("lib/002-b-2.jar").unwrap();
        assert!(a < b);
        assert!(s.contains(r"built='/opt/it'\''s'"), "{s}");
        assert!(s.contains("exec \"$here/runtime/bin/java\" \"$@\""));
    }

    #[cfg(unix)]
    #[test]
    fn posix_script_parses_with_sh() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("kcl-daemon");
        std::fs::write(&path, posix(&["001-a-1.jar".into()], "M", Some("/opt/kcl"))).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn windows_script_uses_crlf_and_the_wildcard() {
        let s = windows("M", None);
        assert!(s.contains("-cp \"%HERE%\\lib\\*\" M %*\r\n"), "{s}");
        assert!(!s.replace("\r\n", "").contains('\n'));
    }
}
