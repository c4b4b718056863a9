//! The property keys kclrs accepts, checked against the real MultiLangDaemon 3.1.3 jar: `javap`
//! (from the machine's JDK) lists the setters commons-beanutils can call, and the keys
//! `MultiLangDaemonConfig` reads itself. If KCL gains or loses a key, this test says which.
//! (Checks of whole files through `print-command`/`run` live with those commands' tests.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use kclrs::properties::keys::{self, Kind};

const VERSION: &str = "3.1.3";

fn multilang_jar() -> PathBuf {
    let jar = crate::support::test_m2().join(format!(
        "software/amazon/kinesis/amazon-kinesis-client-multilang/{VERSION}/amazon-kinesis-client-multilang-{VERSION}.jar"
    ));
    assert!(
        jar.is_file(),
        "{} is missing: run `bash tests/prepare.sh`",
        jar.display()
    );
    jar
}

/// A JDK tool (javap, javac, java) of the machine's JDK 17, else from PATH.
pub fn jdk_tool(name: &str) -> PathBuf {
    let jdk = PathBuf::from("/usr/lib/jvm/java-17-openjdk-amd64/bin").join(name);
    if jdk.is_file() {
        jdk
    } else {
        PathBuf::from(name)
    }
}

fn javap(args: &[&str]) -> String {
    let program = jdk_tool("javap");
    let out = Command::new(&program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "javap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `java.beans.Introspector.decapitalize`: `MaxRecords` → `maxRecords`, but `URL` stays `URL`.
fn decapitalize(name: &str) -> String {
    let mut chars = name.chars();
    let (Some(a), Some(b)) = (chars.next(), chars.next()) else {
        return name.to_lowercase();
    };
    if a.is_uppercase() && b.is_uppercase() {
        return name.to_string();
    }
    let mut out = a.to_lowercase().to_string();
    out.push_str(&name[a.len_utf8()..]);
    out
}

/// Public methods of a class, as (name, parameter list, return type).
fn methods(class: &str) -> Vec<(String, String, String)> {
    let jar = multilang_jar();
    let text = javap(&["-cp", &jar.to_string_lossy(), class]);
    text.lines()
        .filter_map(|line| {
            let line = line.trim().strip_suffix(';')?;
            let (head, params) = line.split_once('(')?;
            let params = params.strip_suffix(')')?;
            let mut words: Vec<&str> = head.split_whitespace().collect();
            let name = words.pop()?;
            let ret = words.pop()?;
            Some((name.to_string(), params.to_string(), ret.to_string()))
        })
        .collect()
}

/// Bean properties with a one-argument setter, and the setter's parameter type.
fn setters(class: &str) -> BTreeMap<String, String> {
    methods(class)
        .into_iter()
        .filter(|(name, params, ret)| {
            ret == "void" && name.starts_with("set") && !params.is_empty() && !params.contains(',')
        })
        .map(|(name, params, _)| (decapitalize(&name["set".len()..]), params))
        .collect()
}

/// Bean properties with a one-argument setter.
fn writable(class: &str) -> BTreeSet<String> {
    setters(class).into_keys().collect()
}

const CONFIG: &str = "software.amazon.kinesis.multilang.config.";

#[test]
fn key_list_matches_the_multilang_jar() {
    let want = writable(&format!("{CONFIG}MultiLangDaemonConfiguration"));
    assert!(want.len() > 50, "javap output not understood: {want:?}");
    let have: BTreeSet<String> = keys::top_level().map(str::to_string).collect();
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "keys missing from properties/keys.rs: {missing:?}; keys the jar does not have: {extra:?}"
    );

    // Nested beans: read-only getters returning a bean of the config package, and their setters.
    let mut nested = BTreeSet::new();
    for (name, params, ret) in methods(&format!("{CONFIG}MultiLangDaemonConfiguration")) {
        let Some(bean) = ret.strip_prefix(CONFIG) else {
            continue;
        };
        if !params.is_empty() || !name.starts_with("get") {
            continue;
        }
        let property = decapitalize(&name["get".len()..]);
        if want.contains(&property) {
            continue;
        }
        let allowed = if bean == "BuilderDynaBean" {
            None
        } else {
            Some(writable(&format!("{CONFIG}{bean}")))
        };
        nested.insert((property, allowed));
    }
    let have: BTreeSet<(String, Option<BTreeSet<String>>)> = keys::NESTED
        .iter()
        .map(|(prefix, allowed)| {
            (
                prefix.to_string(),
                allowed.map(|keys| keys.iter().map(|(k, _)| k.to_string()).collect()),
            )
        })
        .collect();
    assert_eq!(have, nested);
}

#[test]
fn daemon_keys_match_the_multilang_jar() {
    let jar = multilang_jar();
    let text = javap(&[
        "-constants",
        "-p",
        "-cp",
        &jar.to_string_lossy(),
        "software.amazon.kinesis.multilang.MultiLangDaemonConfig",
    ]);
    let found: BTreeSet<String> = text
        .lines()
        .filter(|l| l.contains(" PROP_"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    let have: BTreeSet<String> = keys::DAEMON_KEYS
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(found, have);
    // The credentials prefix the configurator folds to lower case is the one kclrs folds.
    let text = javap(&[
        "-constants",
        "-c",
        "-p",
        "-cp",
        &jar.to_string_lossy(),
        "software.amazon.kinesis.multilang.config.KinesisClientLibConfigurator",
    ]);
    assert!(text.contains("String awscredentialsprovider"), "{text}");
    assert!(text.contains("String (?i)awscredentialsprovider"), "{text}");
    assert!(keys::is_known("AWSCREDENTIALSPROVIDER"));
}

/// The constants of an enum class on the KCL classpath (javap on the jar that holds it).
fn enum_constants(class: &str, jar: &str) -> BTreeSet<String> {
    let dir = crate::support::test_m2();
    let jar = walk(&dir)
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == jar))
        .unwrap_or_else(|| panic!("{jar} not found under {}", dir.display()));
    javap(&["-cp", &jar.to_string_lossy(), class])
        .lines()
        .filter(|l| l.contains("public static final") && l.contains(&format!("{class} ")))
        .filter_map(|l| {
            l.trim()
                .trim_end_matches(';')
                .rsplit(' ')
                .next()
                .map(str::to_string)
        })
        .filter(|c| c != "UNKNOWN_TO_SDK_VERSION")
        .collect()
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn value_kinds_match_the_setter_types() {
    let mut all = setters(&format!("{CONFIG}MultiLangDaemonConfiguration"));
    for (name, ty) in setters(&format!("{CONFIG}FanoutConfigBean")) {
        all.insert(format!("fanoutConfig.{name}"), ty);
    }
    let kcl = format!("amazon-kinesis-client-{VERSION}.jar");
    let mut checked = 0;
    for (key, ty) in &all {
        let kind = keys::kind(key);
        let enum_of = |class: &str, jar: &str| {
            let Kind::Enum(values) = kind else {
                panic!("{key} ({ty}) should be an enum, kclrs says {kind:?}");
            };
            let have: BTreeSet<String> = values.iter().map(|v| v.to_string()).collect();
            assert_eq!(have, enum_constants(class, jar), "{key}");
        };
        match ty.as_str() {
            "int" | "java.lang.Integer" => assert_eq!(kind, Kind::Int, "{key}"),
            "long" | "java.lang.Long" => assert_eq!(kind, Kind::Long, "{key}"),
            "double" => assert_eq!(kind, Kind::Double, "{key}"),
            "boolean" | "java.lang.Boolean" => assert_eq!(kind, Kind::Bool, "{key}"),
            "java.time.Duration" => assert_eq!(kind, Kind::Duration, "{key}"),
            "software.amazon.kinesis.common.InitialPositionInStreamExtended" => {
                assert_eq!(kind, Kind::EpochSeconds, "{key}");
            }
            "software.amazon.kinesis.leases.ShardPrioritization" => {
                assert_eq!(kind, Kind::Unsettable, "{key}");
            }
            "software.amazon.kinesis.common.InitialPositionInStream"
            | "software.amazon.kinesis.metrics.MetricsLevel"
            | "software.amazon.kinesis.coordinator.CoordinatorConfig$ClientVersionConfig" => {
                enum_of(ty, &kcl);
            }
            "software.amazon.kinesis.multilang.config.RetrievalMode" => {
                enum_of(
                    ty,
                    &format!("amazon-kinesis-client-multilang-{VERSION}.jar"),
                );
            }
            "software.amazon.awssdk.services.dynamodb.model.BillingMode" => {
                enum_of(ty, "dynamodb-2.33.0.jar");
            }
            _ => assert_eq!(kind, Kind::Text, "{key} ({ty})"),
        }
        checked += 1;
    }
    assert!(checked > 70, "only {checked} setters seen");
    assert_eq!(keys::kind("maxActiveThreads"), Kind::StrictInt);
}
