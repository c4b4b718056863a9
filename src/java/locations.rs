//! Where Java installations usually live on each platform, as pure functions of the
//! environment so that the macOS and Windows lists are unit-tested on any machine.
//!
//! A [`Root`] is a folder whose sub-folders may be Java homes (`/usr/lib/jvm/*`,
//! `~/.sdkman/candidates/java/*`, `C:\Program Files\Eclipse Adoptium\*`…). Inside each
//! sub-folder the home may sit at a platform-specific depth: macOS bundles keep it in
//! `Contents/Home`, Homebrew's openjdk formulae in `libexec/openjdk.jdk/Contents/Home`;
//! [`HOME_LAYOUTS`] lists them. Two macOS and Windows sources are answers of programs rather than
//! folders (`/usr/libexec/java_home -V`, `reg query`): their output parsers live here too.

use std::path::{Path, PathBuf};

use crate::env::{Env, Os};

/// A folder scanned for Java homes, and the name `kclrs java` shows as the candidate's source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    pub label: String,
    pub dir: PathBuf,
    /// Only sub-folders whose name starts with this are looked at (Homebrew's `opt/` holds
    /// every formula; only `openjdk*` ones are Java).
    pub prefix: Option<&'static str>,
}

/// Relative paths, tried in order, from a sub-folder of a [`Root`] to a Java home.
pub const HOME_LAYOUTS: &[&str] = &[
    "",
    "Contents/Home",
    "libexec/openjdk.jdk/Contents/Home",
    "libexec",
];

fn root(label: &str, dir: PathBuf) -> Root {
    Root {
        label: label.to_string(),
        dir,
        prefix: None,
    }
}

/// A folder named by an environment variable, else a default under the home directory.
fn env_or_home(env: &Env, var: &str, home: Option<&Path>, default: &str) -> Option<PathBuf> {
    match env.var_os(var) {
        Some(dir) => Some(env.absolute(Path::new(dir))),
        None => home.map(|h| h.join(default)),
    }
}

/// Version managers and IDE download folders, all under the user's home (or their own variable).
fn user_roots(env: &Env, out: &mut Vec<Root>) {
    let home = env.home.as_deref();
    let mut add = |label: &str, dir: Option<PathBuf>, sub: &str| {
        if let Some(dir) = dir {
            // Component by component, so a Windows home gets `\` separators on any host.
            out.push(root(label, sub.split('/').fold(dir, |d, c| d.join(c))));
        }
    };
    add(
        "SDKMAN",
        env_or_home(env, "SDKMAN_DIR", home, ".sdkman"),
        "candidates/java",
    );
    add(
        "asdf",
        env_or_home(env, "ASDF_DATA_DIR", home, ".asdf"),
        "installs/java",
    );
    add(
        "jabba",
        env_or_home(env, "JABBA_HOME", home, ".jabba"),
        "jdk",
    );
    add("~/.jdks", home.map(Path::to_path_buf), ".jdks");
    add("Gradle", home.map(Path::to_path_buf), ".gradle/jdks");
    if !env.os.is_windows() {
        add(
            "mise",
            env_or_home(env, "MISE_DATA_DIR", home, ".local/share/mise"),
            "installs/java",
        );
    }
}

/// The folders scanned for Java homes on `env.os`, in priority order.
pub fn well_known_roots(env: &Env) -> Vec<Root> {
    let mut out = Vec::new();
    match env.os {
        Os::Linux | Os::OtherUnix => {
            for dir in ["/usr/lib/jvm", "/usr/lib64/jvm", "/usr/java", "/opt/java"] {
                out.push(root(dir, PathBuf::from(dir)));
            }
            user_roots(env, &mut out);
            out.push(Root {
                label: "Homebrew".to_string(),
                dir: PathBuf::from("/home/linuxbrew/.linuxbrew/opt"),
                prefix: Some("openjdk"),
            });
        }
        Os::MacOs => {
            let system = "/Library/Java/JavaVirtualMachines";
            out.push(root(system, PathBuf::from(system)));
            if let Some(home) = &env.home {
                out.push(root(
                    "~/Library/Java/JavaVirtualMachines",
                    home.join("Library/Java/JavaVirtualMachines"),
                ));
            }
            user_roots(env, &mut out);
            for opt in ["/opt/homebrew/opt", "/usr/local/opt"] {
                out.push(Root {
                    label: "Homebrew".to_string(),
                    dir: PathBuf::from(opt),
                    prefix: Some("openjdk"),
                });
            }
        }
        Os::Windows => {
            let program_files: Vec<PathBuf> = ["ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"]
                .iter()
                .filter_map(|var| env.var_os(var).map(PathBuf::from))
                .chain(std::iter::once(PathBuf::from(r"C:\Program Files")))
                .fold(Vec::new(), |mut seen, dir| {
                    if !seen
                        .iter()
                        .any(|d: &PathBuf| d.as_os_str().eq_ignore_ascii_case(dir.as_os_str()))
                    {
                        seen.push(dir);
                    }
                    seen
                });
            let vendors = [
                "Java",
                "Eclipse Adoptium",
                "AdoptOpenJDK",
                "Amazon Corretto",
                "Microsoft",
                "Zulu",
                "BellSoft",
                "Semeru",
            ];
            for base in &program_files {
                for vendor in vendors {
                    out.push(Root {
                        label: format!(r"Program Files\{vendor}"),
                        dir: base.join(vendor),
                        // Microsoft's folder holds other products next to jdk-*.
                        prefix: (vendor == "Microsoft").then_some("jdk"),
                    });
                }
            }
            user_roots(env, &mut out);
            if let Some(home) = &env.home {
                out.push(root("Scoop", home.join(r"scoop\apps")));
            }
        }
    }
    out
}

/// Java homes in the output of macOS's `/usr/libexec/java_home -V`, whose lines look like
/// `    17.0.2 (arm64) "Oracle Corporation" - "Java SE 17.0.2" /Library/…/Contents/Home`.
/// The path is everything after the last `" ` (paths may contain spaces); a bare absolute
/// path line (the default home, printed on stdout) is taken too.
pub fn parse_java_home_listing(text: &str) -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = Vec::new();
    for line in text.lines().map(str::trim) {
        let path = match line.rfind("\" /") {
            Some(i) => &line[i + 2..],
            None if line.starts_with('/') => line,
            None => continue,
        };
        let path = PathBuf::from(path.trim());
        if !homes.contains(&path) {
            homes.push(path);
        }
    }
    homes
}

/// Java homes in the output of `reg query <key> /s /v JavaHome` (Oracle's `JavaSoft` keys) or
/// `/v Path` (Adoptium's keys): lines `    JavaHome    REG_SZ    C:\Program Files\Java\jdk-17`.
pub fn parse_reg_query(text: &str) -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = Vec::new();
    for line in text.lines() {
        let mut parts = line.trim().splitn(2, "REG_SZ");
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let name = name.trim();
        if !(name.eq_ignore_ascii_case("JavaHome") || name.eq_ignore_ascii_case("Path")) {
            continue;
        }
        let value = PathBuf::from(value.trim());
        if !value.as_os_str().is_empty() && !homes.contains(&value) {
            homes.push(value);
        }
    }
    homes
}

/// The registry keys queried on Windows, with the value naming the home under each.
pub const REGISTRY_KEYS: &[(&str, &str)] = &[
    (r"HKLM\SOFTWARE\JavaSoft\JDK", "JavaHome"),
    (r"HKLM\SOFTWARE\JavaSoft\Java Development Kit", "JavaHome"),
    (
        r"HKLM\SOFTWARE\JavaSoft\Java Runtime Environment",
        "JavaHome",
    ),
    (r"HKLM\SOFTWARE\JavaSoft\JRE", "JavaHome"),
    (r"HKLM\SOFTWARE\Eclipse Adoptium\JDK", "Path"),
    (r"HKLM\SOFTWARE\Eclipse Foundation\JDK", "Path"),
    (r"HKLM\SOFTWARE\Amazon Corretto\JDK", "Path"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(roots: &[Root]) -> Vec<(String, String)> {
        roots
            .iter()
            .map(|r| (r.label.clone(), r.dir.display().to_string()))
            .collect()
    }

    #[test]
    fn linux_roots_cover_system_folders_and_version_managers() {
        let env = Env::fake(Os::Linux, Some("/home/u".into()), "/w".into())
            .with_var("SDKMAN_DIR", "/opt/sdkman");
        let roots = well_known_roots(&env);
        let got = dirs(&roots);
        let want = [
            ("/usr/lib/jvm", "/usr/lib/jvm"),
            ("/usr/java", "/usr/java"),
            ("/opt/java", "/opt/java"),
            ("SDKMAN", "/opt/sdkman/candidates/java"),
            ("asdf", "/home/u/.asdf/installs/java"),
            ("jabba", "/home/u/.jabba/jdk"),
            ("~/.jdks", "/home/u/.jdks"),
        ];
        for (label, dir) in want {
            assert!(
                got.contains(&(label.to_string(), dir.to_string())),
                "{label} {dir} missing from {got:?}"
            );
        }
        assert_eq!(roots[0].dir, PathBuf::from("/usr/lib/jvm"));
        let no_home = Env::fake(Os::Linux, None, "/w".into());
        assert!(dirs(&well_known_roots(&no_home))
            .iter()
            .all(|(_, d)| !d.contains(".jdks")));
    }

    #[test]
    fn macos_roots_include_bundles_homebrew_and_user_folders() {
        let env = Env::fake(Os::MacOs, Some("/Users/u".into()), "/w".into());
        let roots = well_known_roots(&env);
        let got = dirs(&roots);
        for (label, dir) in [
            (
                "/Library/Java/JavaVirtualMachines",
                "/Library/Java/JavaVirtualMachines",
            ),
            (
                "~/Library/Java/JavaVirtualMachines",
                "/Users/u/Library/Java/JavaVirtualMachines",
            ),
            ("SDKMAN", "/Users/u/.sdkman/candidates/java"),
            ("Homebrew", "/opt/homebrew/opt"),
            ("Homebrew", "/usr/local/opt"),
        ] {
            assert!(got.contains(&(label.to_string(), dir.to_string())), "{dir}");
        }
        assert!(roots
            .iter()
            .filter(|r| r.label == "Homebrew")
            .all(|r| r.prefix == Some("openjdk")));
        assert!(got.iter().all(|(_, d)| !d.starts_with("/usr/lib/jvm")));
        assert!(HOME_LAYOUTS.contains(&"Contents/Home"));
        assert!(HOME_LAYOUTS.contains(&"libexec/openjdk.jdk/Contents/Home"));
    }

    #[test]
    fn windows_roots_follow_program_files_variables() {
        let env = Env::fake(Os::Windows, Some(r"C:\Users\u".into()), r"C:\w".into())
            .with_var("ProgramFiles", r"D:\Apps")
            .with_var("ProgramFiles(x86)", r"D:\Apps (x86)");
        let roots = well_known_roots(&env);
        let got = dirs(&roots);
        // PathBuf::join on a non-Windows host uses '/', so compare the components.
        let has = |label: &str, base: &str, vendor: &str| {
            let dir = Path::new(base).join(vendor).display().to_string();
            got.contains(&(label.to_string(), dir))
        };
        assert!(has(r"Program Files\Java", r"D:\Apps", "Java"));
        assert!(has(
            r"Program Files\Eclipse Adoptium",
            r"D:\Apps",
            "Eclipse Adoptium"
        ));
        assert!(has(r"Program Files\Java", r"D:\Apps (x86)", "Java"));
        assert!(has(r"Program Files\Java", r"C:\Program Files", "Java"));
        let sdkman = Path::new(r"C:\Users\u")
            .join(".sdkman")
            .join("candidates")
            .join("java");
        assert!(got.contains(&("SDKMAN".to_string(), sdkman.display().to_string())));
        assert!(got.iter().all(|(_, d)| !d.starts_with("/usr")));
        let ms = roots
            .iter()
            .find(|r| r.label == r"Program Files\Microsoft")
            .unwrap();
        assert_eq!(ms.prefix, Some("jdk"));
    }

    #[test]
    fn java_home_listing_is_parsed() {
        let text = "Matching Java Virtual Machines (3):\n    21.0.1 (arm64) \"Eclipse Adoptium\" - \"OpenJDK 21.0.1\" /Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home\n    17.0.2 (x86_64) \"Oracle Corporation\" - \"Java SE 17.0.2\" /Users/u/Library/Java/JavaVirtualMachines/my jdk 17/Contents/Home\n    1.8.0_292 (x86_64) \"AdoptOpenJDK\" - \"AdoptOpenJDK 8\" /Library/Java/JavaVirtualMachines/adoptopenjdk-8.jdk/Contents/Home\n/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home\n";
        assert_eq!(
            parse_java_home_listing(text),
            vec![
                PathBuf::from("/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home"),
                PathBuf::from("/Users/u/Library/Java/JavaVirtualMachines/my jdk 17/Contents/Home"),
                PathBuf::from("/Library/Java/JavaVirtualMachines/adoptopenjdk-8.jdk/Contents/Home"),
            ]
        );
        assert!(parse_java_home_listing(
            "Unable to find any JVMs matching version \"(null)\".\nNo Java runtime present, try --request to install.\n"
        )
        .is_empty());
    }

    #[test]
    fn reg_query_output_is_parsed() {
        let text = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\JavaSoft\\JDK\\17.0.2\r\n    JavaHome    REG_SZ    C:\\Program Files\\Java\\jdk-17.0.2\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Eclipse Adoptium\\JDK\\21.0.1.12\\hotspot\\MSI\r\n    Path    REG_SZ    C:\\Program Files\\Eclipse Adoptium\\jdk-21.0.1.12-hotspot\\\r\n    Main    REG_DWORD    0x1\r\n\r\nEnd of search: 2 match(es) found.\r\n";
        assert_eq!(
            parse_reg_query(text),
            vec![
                PathBuf::from(r"C:\Program Files\Java\jdk-17.0.2"),
                PathBuf::from(r"C:\Program Files\Eclipse Adoptium\jdk-21.0.1.12-hotspot\"),
            ]
        );
        assert!(parse_reg_query(
            "ERROR: The system was unable to find the specified registry key or value.\r\n"
        )
        .is_empty());
    }
}
