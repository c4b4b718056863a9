//! Effective POMs: what Maven 3.8's model builder makes of a POM before the resolver reads its
//! dependencies.
//!
//! For one `group:artifact:version` this follows the parent chain (from the repository; a
//! `relativePath` means nothing there), activates profiles per POM (by JDK, OS, property, and
//! `activeByDefault` only when nothing else in that POM is active), injects them, merges the
//! lineage (child entries first, then the parent's by management key), interpolates `${…}`
//! (`project.*`/`pom.*`, model properties, Maven's system properties, unprefixed model fields —
//! unknown expressions stay as written, like Maven), imports `import`-scope BOMs recursively (the
//! first declaration of a key wins) and applies the resulting dependency management to the POM's
//! own dependencies. A POM's management reaches only its own dependencies: that is how Maven 3.8
//! treats every POM but the project's, and the project kclrs resolves for is empty.
//!
//! Building needs POMs that may not be fetched yet. Instead of fetching one at a time, [`Models::build`]
//! reports every POM it is missing, so the caller fetches them in one batch and retries.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

use super::pom::{Activation, Dependency, ModelBase, Pom, Relocation};
use super::Coord;
use crate::env::Os;

/// The machine Maven is assumed to run on when activating profiles and answering `${os.name}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// Maven's `java.version` (prefix and range matching of `<jdk>`).
    pub java_version: String,
    pub os: Os,
    /// Maven's `os.arch` (`amd64`, `aarch64`, `x86_64` on macOS).
    pub arch: String,
    /// Maven's `os.version` (kernel version); rarely used by profiles.
    pub os_version: String,
}

impl Platform {
    /// The platform the project's reference lock is made for: Maven on Java 17, Linux, amd64.
    pub fn reference() -> Platform {
        Platform {
            java_version: "17.0.15".into(),
            os: Os::Linux,
            arch: "amd64".into(),
            os_version: String::new(),
        }
    }

    /// Maven's lower-cased `os.name`.
    fn os_name(&self) -> &'static str {
        match self.os {
            Os::Linux => "linux",
            Os::MacOs => "mac os x",
            Os::Windows => "windows 10",
            Os::OtherUnix => "freebsd",
        }
    }

    /// plexus-utils `Os.isFamily` for this platform.
    fn is_family(&self, family: &str) -> bool {
        match family {
            "windows" | "dos" | "win9x" | "winnt" => self.os == Os::Windows && family != "win9x",
            "mac" => self.os == Os::MacOs,
            "unix" => self.os != Os::Windows,
            _ => false,
        }
    }

    /// The system properties Maven would expose that matter for POMs (no user-specific ones, so
    /// a lock does not depend on who made it).
    fn system_property(&self, name: &str) -> Option<String> {
        let spec = || {
            let major = self
                .java_version
                .split(['.', '-', '+'])
                .next()
                .unwrap_or("");
            if major == "1" {
                self.java_version
                    .split('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(".")
            } else {
                major.to_string()
            }
        };
        Some(match name {
            "java.version" => self.java_version.clone(),
            "java.specification.version" => spec(),
            "os.name" => self.os_name().to_string(),
            "os.arch" => self.arch.clone(),
            "os.version" => self.os_version.clone(),
            "file.separator" => if self.os.is_windows() { "\\" } else { "/" }.to_string(),
            "path.separator" => self.os.classpath_separator().to_string(),
            _ => return None,
        })
    }

    fn jdk_matches(&self, spec: &str) -> bool {
        if let Some(neg) = spec.strip_prefix('!') {
            return !self.java_version.starts_with(neg);
        }
        if spec.starts_with(['[', '(']) {
            return jdk_in_range(&self.java_version, spec);
        }
        self.java_version.starts_with(spec)
    }

    fn os_matches(&self, os: &super::pom::OsActivation) -> bool {
        let test = |want: &Option<String>, check: &dyn Fn(&str) -> bool| match want {
            None => true,
            Some(w) => match w.strip_prefix('!') {
                Some(neg) => !check(&neg.to_ascii_lowercase()),
                None => check(&w.to_ascii_lowercase()),
            },
        };
        test(&os.name, &|n| n == self.os_name())
            && test(&os.family, &|f| self.is_family(f))
            && test(&os.arch, &|a| a == self.arch.to_ascii_lowercase())
            && test(&os.version, &|v| v == self.os_version.to_ascii_lowercase())
    }

    fn property_matches(&self, name: &str, value: Option<&str>) -> bool {
        let (name, negate_name) = match name.strip_prefix('!') {
            Some(n) => (n, true),
            None => (name, false),
        };
        let actual = self.system_property(name).filter(|v| !v.is_empty());
        match value {
            None => actual.is_some() != negate_name,
            Some(v) => {
                let (v, negate) = match v.strip_prefix('!') {
                    Some(v) => (v, true),
                    None => (v, false),
                };
                (actual.as_deref() == Some(v)) != negate
            }
        }
    }

    fn activates(&self, a: &Activation) -> bool {
        // Every condition present must hold (Maven ≥ 3.2.2); none present means not active.
        let mut any = false;
        let mut all = true;
        if let Some(jdk) = &a.jdk {
            any = true;
            all &= self.jdk_matches(jdk);
        }
        if let Some(os) = &a.os {
            any = true;
            all &= self.os_matches(os);
        }
        if let Some((name, value)) = &a.property {
            any = true;
            all &= self.property_matches(name, value.as_deref());
        }
        if a.file {
            // No basedir for a repository POM: Maven cannot satisfy a file condition either.
            any = true;
            all = false;
        }
        any && all
    }
}

/// Maven's `JdkVersionProfileActivator` range test: the first three numeric parts compared.
fn jdk_in_range(version: &str, spec: &str) -> bool {
    let spec = spec.trim();
    let lower_closed = spec.starts_with('[');
    let upper_closed = spec.ends_with(']');
    let inner = spec
        .trim_start_matches(['[', '('])
        .trim_end_matches([']', ')']);
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo.trim(), hi.trim()),
        None => (inner.trim(), inner.trim()),
    };
    let parts = |s: &str, split_all: bool| -> [u64; 3] {
        let cleaned: String = s
            .chars()
            .filter(|c| c.is_ascii_digit() || ".-_".contains(*c))
            .collect();
        let mut out = [0u64; 3];
        let pieces: Vec<&str> = if split_all {
            cleaned.split(['.', '-', '_']).collect()
        } else {
            cleaned.split('.').collect()
        };
        for (i, p) in pieces.iter().take(3).enumerate() {
            out[i] = p.parse().unwrap_or(0);
        }
        out
    };
    let v = parts(version, true);
    let relation = |bound: &str, closed: bool, is_left: bool| -> i32 {
        if bound.is_empty() {
            return if is_left { 1 } else { -1 };
        }
        let b = parts(bound, false);
        match v.cmp(&b) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Equal if !closed => {
                if is_left {
                    -1
                } else {
                    1
                }
            }
            std::cmp::Ordering::Equal => 0,
        }
    };
    let left = relation(lo, lower_closed, true);
    if left == 0 {
        return true;
    }
    if left < 0 {
        return false;
    }
    relation(hi, upper_closed, false) <= 0
}

/// A dependency after interpolation and management.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedDep {
    pub group: String,
    pub artifact: String,
    /// A version or a range; `None` when neither the POM nor its management gives one.
    pub version: Option<String>,
    pub kind: String,
    pub classifier: String,
    /// Empty means compile.
    pub scope: String,
    pub optional: bool,
    pub exclusions: Vec<(String, String)>,
}

impl ResolvedDep {
    /// Extension and classifier of the file, from the type (Maven 3.8's artifact handlers).
    pub fn extension_and_classifier(&self) -> (String, String) {
        let (ext, implied) = type_to_extension(&self.kind);
        let classifier = if self.classifier.is_empty() {
            implied.to_string()
        } else {
            self.classifier.clone()
        };
        (ext.to_string(), classifier)
    }

    /// The file this dependency names (an unset version stays empty until mediation sets it).
    pub fn coord(&self) -> Coord {
        let (extension, classifier) = self.extension_and_classifier();
        Coord {
            group: self.group.clone(),
            artifact: self.artifact.clone(),
            extension,
            classifier,
            version: self.version.clone().unwrap_or_default(),
        }
    }

    /// The text `group:artifact:type[:classifier]:version` for messages.
    pub fn describe(&self) -> String {
        let mut s = format!("{}:{}", self.group, self.artifact);
        if self.kind != "jar" || !self.classifier.is_empty() {
            s.push(':');
            s.push_str(&self.kind);
        }
        if !self.classifier.is_empty() {
            s.push(':');
            s.push_str(&self.classifier);
        }
        s.push(':');
        s.push_str(self.version.as_deref().unwrap_or("<no version>"));
        s
    }
}

/// Maven 3.8's artifact handlers: `type` → (file extension, implied classifier). Unknown types use
/// the type as extension. `bundle` (maven-bundle-plugin) is a jar.
pub fn type_to_extension(kind: &str) -> (&str, &'static str) {
    match kind {
        "test-jar" => ("jar", "tests"),
        "ejb-client" => ("jar", "client"),
        "java-source" => ("jar", "sources"),
        "javadoc" => ("jar", "javadoc"),
        "maven-plugin" | "ejb" | "bundle" | "jar" => ("jar", ""),
        other => (other, ""),
    }
}

/// Types whose file goes on a classpath (Maven's `addedToClasspath`).
pub fn type_on_classpath(kind: &str) -> bool {
    matches!(type_to_extension(kind).0, "jar")
}

/// The effective model of one POM, reduced to what resolution reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub dependencies: Vec<ResolvedDep>,
    pub relocation: Option<Relocation>,
    /// The dependency management table after BOM imports (what a POM importing this one gets).
    pub managed: Vec<Dependency>,
}

/// Why a model could not be built yet or at all.
#[derive(Debug)]
pub enum BuildError {
    /// These POMs must be fetched first.
    Missing(Vec<Coord>),
    /// The POM chain is broken; the message names the POMs involved.
    Invalid(String),
    /// A POM the chain needs does not exist in the repository.
    NotFound(String),
}

/// Raw POMs fetched so far and effective models built from them.
#[derive(Debug)]
pub struct Models {
    /// `None`: the repository does not have this POM. `Err`: it did not parse.
    raw: HashMap<Coord, Option<Result<Arc<Pom>, String>>>,
    built: HashMap<Coord, Arc<Model>>,
    platform: Platform,
}

/// The key of POMs: `group:artifact:pom::version`.
pub fn pom_coord(group: &str, artifact: &str, version: &str) -> Coord {
    Coord {
        group: group.into(),
        artifact: artifact.into(),
        extension: "pom".into(),
        classifier: String::new(),
        version: version.into(),
    }
}

fn gav(c: &Coord) -> String {
    format!("{}:{}:{}", c.group, c.artifact, c.version)
}

impl Models {
    pub fn new(platform: Platform) -> Models {
        Models {
            raw: HashMap::new(),
            built: HashMap::new(),
            platform,
        }
    }

    /// Records a fetched POM (or its absence when `bytes` is `None`).
    pub fn add_pom(&mut self, coord: Coord, bytes: Option<&[u8]>, location: &str) {
        let entry = bytes.map(|b| {
            Pom::parse(b)
                .map(Arc::new)
                .map_err(|e| format!("invalid POM {location}: {e:#}"))
        });
        self.raw.insert(coord, entry);
    }

    pub fn pom_count(&self) -> usize {
        self.raw.len()
    }

    /// The effective model of `coord` (a `pom_coord`), or what is missing to build it.
    pub fn build(&mut self, coord: &Coord) -> Result<Arc<Model>, BuildError> {
        self.build_inner(coord, &mut Vec::new())
    }

    fn raw_pom(
        &self,
        coord: &Coord,
        missing: &mut Vec<Coord>,
    ) -> Result<Option<Arc<Pom>>, BuildError> {
        match self.raw.get(coord) {
            None => {
                if !missing.contains(coord) {
                    missing.push(coord.clone());
                }
                Ok(None)
            }
            Some(None) => Err(BuildError::NotFound(format!(
                "POM {} not found",
                gav(coord)
            ))),
            Some(Some(Err(e))) => Err(BuildError::Invalid(e.clone())),
            Some(Some(Ok(p))) => Ok(Some(p.clone())),
        }
    }

    fn build_inner(
        &mut self,
        coord: &Coord,
        importers: &mut Vec<Coord>,
    ) -> Result<Arc<Model>, BuildError> {
        if let Some(m) = self.built.get(coord) {
            return Ok(m.clone());
        }
        let within = |msg: String, importers: &[Coord]| -> String {
            let mut msg = msg;
            for imp in importers.iter().rev() {
                msg.push_str(&format!("\n    imported as a BOM by {}", gav(imp)));
            }
            msg
        };
        if importers.contains(coord) {
            return Err(BuildError::Invalid(within(
                format!("BOM import cycle: {} imports itself", gav(coord)),
                importers,
            )));
        }
        // 1. The lineage, child first.
        let mut missing = Vec::new();
        let mut lineage: Vec<(Coord, Arc<Pom>)> = Vec::new();
        let mut current = coord.clone();
        loop {
            if lineage.iter().any(|(c, _)| c == &current) {
                let chain: Vec<String> = lineage.iter().map(|(c, _)| gav(c)).collect();
                return Err(BuildError::Invalid(within(
                    format!(
                        "parent cycle: {} -> {}",
                        chain.join(" -> parent "),
                        gav(&current)
                    ),
                    importers,
                )));
            }
            let pom = match self.raw_pom(&current, &mut missing) {
                Ok(Some(p)) => p,
                Ok(None) => return Err(BuildError::Missing(missing)),
                Err(e) => {
                    let chain: Vec<String> = lineage.iter().map(|(c, _)| gav(c)).collect();
                    let add_chain = |m: String| {
                        let m = if chain.is_empty() {
                            m
                        } else {
                            format!(
                                "{m}\n    parent of {}",
                                chain
                                    .iter()
                                    .rev()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join("\n    parent of ")
                            )
                        };
                        within(m, importers)
                    };
                    return Err(match e {
                        BuildError::NotFound(m) => BuildError::NotFound(add_chain(m)),
                        BuildError::Invalid(m) => BuildError::Invalid(add_chain(m)),
                        other => other,
                    });
                }
            };
            let parent = pom.parent.clone();
            lineage.push((current.clone(), pom));
            match parent {
                Some(p) => current = pom_coord(&p.group, &p.artifact, &p.version),
                None => break,
            }
        }
        // 2. Profiles per POM, then inheritance from the top parent down.
        let platform = self.platform.clone();
        let mut props: BTreeMap<String, String> = BTreeMap::new();
        let mut deps: Vec<Dependency> = Vec::new();
        let mut managed: Vec<Dependency> = Vec::new();
        for (_, pom) in lineage.iter().rev() {
            let base = with_profiles(pom, &platform);
            for (k, v) in base.properties {
                props.insert(k, v);
            }
            deps = merge_child_first(base.dependencies, deps);
            managed = merge_child_first(base.managed, managed);
        }
        let (_, own) = &lineage[0];
        let parent_ref = own.parent.clone();
        let group = own
            .group
            .clone()
            .or_else(|| parent_ref.as_ref().map(|p| p.group.clone()))
            .unwrap_or_default();
        let version = own
            .version
            .clone()
            .or_else(|| parent_ref.as_ref().map(|p| p.version.clone()))
            .unwrap_or_default();
        let artifact = own.artifact.clone().unwrap_or_default();
        let packaging = own.packaging.clone().unwrap_or_else(|| "jar".into());
        let mut fields: HashMap<&str, String> = HashMap::new();
        fields.insert("groupId", group);
        fields.insert("artifactId", artifact);
        fields.insert("version", version);
        fields.insert("packaging", packaging);
        if let Some(p) = &parent_ref {
            fields.insert("parent.groupId", p.group.clone());
            fields.insert("parent.artifactId", p.artifact.clone());
            fields.insert("parent.version", p.version.clone());
        }
        let interp = Interpolator::new(&fields, &props, &platform);
        // 3. Interpolation.
        let interpolated = (|| -> Expanded<_> {
            let deps: Vec<Dependency> = deps
                .iter()
                .map(|d| interp.dependency(d))
                .collect::<Expanded<_>>()?;
            let managed: Vec<Dependency> = managed
                .iter()
                .map(|d| interp.dependency(d))
                .collect::<Expanded<_>>()?;
            let relocation = match &own.relocation {
                Some(r) => Some(Relocation {
                    group: interp.opt(&r.group)?,
                    artifact: interp.opt(&r.artifact)?,
                    version: interp.opt(&r.version)?,
                }),
                None => None,
            };
            Ok((deps, managed, relocation))
        })();
        let (deps, managed, relocation) = interpolated.map_err(|e| {
            BuildError::Invalid(within(format!("POM {}: {e}", gav(coord)), importers))
        })?;
        // 4. BOM imports, in declaration order; the first management of a key wins.
        let mut table: Vec<Dependency> = Vec::new();
        let mut keys: HashSet<String> = HashSet::new();
        let mut imports = Vec::new();
        for m in managed {
            if m.scope.as_deref() == Some("import") && m.kind.as_deref() == Some("pom") {
                imports.push(m);
            } else if keys.insert(m.management_key()) {
                table.push(m);
            }
        }
        importers.push(coord.clone());
        let mut bom_missing = Vec::new();
        let mut bom_tables = Vec::new();
        for bom in &imports {
            let Some(v) = bom.version.as_deref().filter(|v| !v.contains("${")) else {
                importers.pop();
                return Err(BuildError::Invalid(within(
                    format!(
                        "{}: the BOM import {}:{} has no usable version ({})",
                        gav(coord),
                        bom.group,
                        bom.artifact,
                        bom.version.as_deref().unwrap_or("none")
                    ),
                    importers,
                )));
            };
            match self.build_inner(&pom_coord(&bom.group, &bom.artifact, v), importers) {
                Ok(model) => bom_tables.push(model),
                Err(BuildError::Missing(m)) => bom_missing.extend(m),
                Err(e) => {
                    importers.pop();
                    return Err(e);
                }
            }
        }
        importers.pop();
        if !bom_missing.is_empty() {
            return Err(BuildError::Missing(bom_missing));
        }
        for bom in &bom_tables {
            for m in &bom.managed {
                if keys.insert(m.management_key()) {
                    table.push(m.clone());
                }
            }
        }
        let by_key: HashMap<String, &Dependency> =
            table.iter().map(|m| (m.management_key(), m)).collect();
        // 5. Management applied to the POM's own dependencies.
        let dependencies = deps
            .iter()
            .map(|d| {
                let m = by_key.get(&d.management_key());
                let version = d
                    .version
                    .clone()
                    .or_else(|| m.and_then(|m| m.version.clone()));
                let scope = d.scope.clone().or_else(|| m.and_then(|m| m.scope.clone()));
                let exclusions = if d.exclusions.is_empty() {
                    m.map(|m| m.exclusions.clone()).unwrap_or_default()
                } else {
                    d.exclusions.clone()
                };
                ResolvedDep {
                    group: d.group.clone(),
                    artifact: d.artifact.clone(),
                    version,
                    kind: d.kind.clone().unwrap_or_else(|| "jar".into()),
                    classifier: d.classifier.clone().unwrap_or_default(),
                    scope: scope.unwrap_or_default(),
                    optional: d.optional.as_deref() == Some("true"),
                    exclusions,
                }
            })
            .collect();
        let model = Arc::new(Model {
            dependencies,
            relocation,
            managed: table,
        });
        self.built.insert(coord.clone(), model.clone());
        Ok(model)
    }
}

/// The POM's own model base with its active profiles injected (profile entries win by key).
fn with_profiles(pom: &Pom, platform: &Platform) -> ModelBase {
    let mut active: Vec<&super::pom::Profile> = pom
        .profiles
        .iter()
        .filter(|p| p.activation.as_ref().is_some_and(|a| platform.activates(a)))
        .collect();
    if active.is_empty() {
        active = pom
            .profiles
            .iter()
            .filter(|p| p.activation.as_ref().is_some_and(|a| a.active_by_default))
            .collect();
    }
    let mut base = pom.base.clone();
    // Maven's normaliser: a dependency declared twice in one POM keeps the first position and
    // the last declaration (Maven 2 compatibility).
    base.dependencies = merge_dominant(Vec::new(), &base.dependencies);
    for p in active {
        for (k, v) in &p.base.properties {
            match base.properties.iter_mut().find(|(bk, _)| bk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => base.properties.push((k.clone(), v.clone())),
            }
        }
        base.dependencies = merge_dominant(base.dependencies, &p.base.dependencies);
        base.managed = merge_dominant(base.managed, &p.base.managed);
    }
    base
}

/// `target` then the entries of `source` whose key is new; an existing key is replaced in place.
fn merge_dominant(mut target: Vec<Dependency>, source: &[Dependency]) -> Vec<Dependency> {
    for s in source {
        let key = s.management_key();
        match target.iter_mut().find(|t| t.management_key() == key) {
            Some(t) => *t = s.clone(),
            None => target.push(s.clone()),
        }
    }
    target
}

/// Inheritance: the child's entries first, then the parent's whose key the child does not have.
fn merge_child_first(child: Vec<Dependency>, parent: Vec<Dependency>) -> Vec<Dependency> {
    let keys: HashSet<String> = child.iter().map(Dependency::management_key).collect();
    let mut out = child;
    out.extend(
        parent
            .into_iter()
            .filter(|p| !keys.contains(&p.management_key())),
    );
    out
}

/// The longest text one `${…}` expansion may produce (a property's value after interpolation, or
/// one interpolated POM field). Real values are a few dozen bytes; without a cap, `p0=${p1}${p1}`
/// forty levels deep asks for a terabyte.
const MAX_EXPANDED: usize = 64 * 1024;

/// The most interpolated text one effective model may produce in total, so that many references to
/// a value just under [`MAX_EXPANDED`] cannot add up either (a 400-entry BOM needs about 30 KiB).
const MAX_MODEL_EXPANDED: usize = 1024 * 1024;

/// How deeply properties may refer to properties; Maven has no limit, but real chains are a few
/// levels, and the expansion recurses.
const MAX_NESTING: usize = 64;

/// Why a POM's `${…}` expressions cannot be expanded; Maven fails on a cycle too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum InterpolationError {
    #[error("the property {0} expands to more than {kib} KiB", kib = MAX_EXPANDED / 1024)]
    TooLong(String),
    #[error("the properties refer to each other in a cycle: ${{{}}}", .0.join("} -> ${"))]
    Cycle(Vec<String>),
    #[error("the property {0} is nested more than {MAX_NESTING} levels deep")]
    TooDeep(String),
    #[error("its interpolated values add up to more than {kib} KiB (last: ${{{0}}})", kib = MAX_MODEL_EXPANDED / 1024)]
    Budget(String),
}

/// `${…}` expansion with Maven's lookup order. Each expression is expanded once per model and
/// remembered, so a value used many times costs its size once.
struct Interpolator<'a> {
    fields: &'a HashMap<&'a str, String>,
    props: &'a BTreeMap<String, String>,
    platform: &'a Platform,
    memo: RefCell<HashMap<String, Option<String>>>,
    /// Bytes of interpolated text produced so far, against [`MAX_MODEL_EXPANDED`].
    spent: Cell<usize>,
}

type Expanded<T> = Result<T, InterpolationError>;

impl<'a> Interpolator<'a> {
    fn new(
        fields: &'a HashMap<&'a str, String>,
        props: &'a BTreeMap<String, String>,
        platform: &'a Platform,
    ) -> Interpolator<'a> {
        Interpolator {
            fields,
            props,
            platform,
            memo: RefCell::new(HashMap::new()),
            spent: Cell::new(0),
        }
    }

    fn lookup(&self, expr: &str) -> Option<String> {
        for prefix in ["project.", "pom."] {
            if let Some(field) = expr.strip_prefix(prefix) {
                if let Some(v) = self.fields.get(field) {
                    return Some(v.clone());
                }
            }
        }
        if let Some(v) = self.props.get(expr) {
            return Some(v.clone());
        }
        if let Some(v) = self.platform.system_property(expr) {
            return Some(v);
        }
        self.fields.get(expr).cloned()
    }

    /// The expanded value of `expr` (`None`: unknown, stays as written). `stack` holds the
    /// expressions being expanded around this one.
    fn resolve(&self, expr: &str, stack: &mut Vec<String>) -> Expanded<Option<String>> {
        if let Some(v) = self.memo.borrow().get(expr) {
            return Ok(v.clone());
        }
        if let Some(at) = stack.iter().position(|e| e == expr) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(expr.to_string());
            return Err(InterpolationError::Cycle(cycle));
        }
        if stack.len() >= MAX_NESTING {
            return Err(InterpolationError::TooDeep(expr.to_string()));
        }
        let value = match self.lookup(expr) {
            Some(raw) => {
                stack.push(expr.to_string());
                let expanded = self.expand(&raw, stack);
                stack.pop();
                Some(expanded?)
            }
            None => None,
        };
        self.memo
            .borrow_mut()
            .insert(expr.to_string(), value.clone());
        Ok(value)
    }

    fn expand(&self, s: &str, stack: &mut Vec<String>) -> Expanded<String> {
        if !s.contains("${") {
            return Ok(s.to_string());
        }
        // The literal text plus every substituted value bounds the result, so it is checked as
        // it grows rather than after it was built.
        let mut size = s.len();
        try_substitute(s, |expr| {
            let value = self.resolve(expr, stack)?;
            size += value.as_ref().map_or(0, String::len);
            if size > MAX_EXPANDED {
                let name = stack.last().map_or(expr, String::as_str);
                return Err(InterpolationError::TooLong(name.to_string()));
            }
            Ok(value)
        })
    }

    fn string(&self, s: &str) -> Expanded<String> {
        let out = self.expand(s, &mut Vec::new())?;
        if s.contains("${") {
            let spent = self.spent.get() + out.len();
            self.spent.set(spent);
            if spent > MAX_MODEL_EXPANDED {
                let first = s
                    .split_once("${")
                    .and_then(|(_, rest)| rest.split_once('}'))
                    .map_or(s, |(expr, _)| expr);
                return Err(InterpolationError::Budget(first.to_string()));
            }
        }
        Ok(out)
    }

    fn opt(&self, s: &Option<String>) -> Expanded<Option<String>> {
        s.as_ref().map(|s| self.string(s)).transpose()
    }

    fn dependency(&self, d: &Dependency) -> Expanded<Dependency> {
        Ok(Dependency {
            group: self.string(&d.group)?,
            artifact: self.string(&d.artifact)?,
            version: self.opt(&d.version)?,
            kind: self.opt(&d.kind)?,
            classifier: self.opt(&d.classifier)?,
            scope: self.opt(&d.scope)?,
            optional: self.opt(&d.optional)?,
            exclusions: d
                .exclusions
                .iter()
                .map(|(g, a)| Ok((self.string(g)?, self.string(a)?)))
                .collect::<Expanded<_>>()?,
        })
    }
}

/// Replaces each `${expr}` in `text` with `lookup(expr)`, leaving unknown expressions and an
/// unclosed `${` as written, as Maven does. POM interpolation and settings.xml share it.
pub(crate) fn substitute(text: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    match try_substitute(text, |expr| Ok::<_, Infallible>(lookup(expr))) {
        Ok(out) => out,
        Err(never) => match never {},
    }
}

/// [`substitute`] with a lookup that can fail; the first failure stops the substitution.
fn try_substitute<E>(
    text: &str,
    mut lookup: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            rest = &rest[start..];
            break;
        };
        let expr = &after[..end];
        match lookup(expr)? {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdk_activation_follows_maven_prefix_and_range_rules() {
        let p = Platform::reference();
        assert!(p.jdk_matches("17"));
        assert!(p.jdk_matches("1")); // a plain prefix, as Maven compares it
        assert!(!p.jdk_matches("1.8"));
        assert!(p.jdk_matches("!1.8"));
        assert!(p.jdk_matches("[1.8,)"));
        assert!(p.jdk_matches("[11,18)"));
        assert!(!p.jdk_matches("(,17)"));
        assert!(p.jdk_matches("(,17.0.15]"));
        assert!(!p.jdk_matches("[21,)"));
        let eight = Platform {
            java_version: "1.8.0_292".into(),
            ..Platform::reference()
        };
        assert!(eight.jdk_matches("1.8"));
        assert!(eight.jdk_matches("[1.7,9)"));
        assert!(!eight.jdk_matches("[9,)"));
        assert_eq!(
            eight
                .system_property("java.specification.version")
                .as_deref(),
            Some("1.8")
        );
    }

    #[test]
    fn interpolation_order_and_unknown_expressions() {
        let mut fields = HashMap::new();
        fields.insert("version", "2.0".to_string());
        fields.insert("parent.version", "1.0".to_string());
        let mut props = BTreeMap::new();
        props.insert("a".to_string(), "${b}-x".to_string());
        props.insert("b".to_string(), "${project.version}".to_string());
        props.insert("loop".to_string(), "${loop}".to_string());
        props.insert("version".to_string(), "from-properties".to_string());
        let platform = Platform::reference();
        let i = Interpolator::new(&fields, &props, &platform);
        let s = |text: &str| i.string(text).unwrap();
        assert_eq!(s("${a}"), "2.0-x");
        assert_eq!(s("${project.parent.version}"), "1.0");
        assert_eq!(s("${pom.version}"), "2.0");
        // Model properties come before the unprefixed model fields.
        assert_eq!(s("${version}"), "from-properties");
        assert_eq!(s("${os.name}/${os.arch}"), "linux/amd64");
        assert_eq!(s("${env.HOME} ${unclosed"), "${env.HOME} ${unclosed");
        assert_eq!(
            i.string("x-${loop}"),
            Err(InterpolationError::Cycle(vec![
                "loop".into(),
                "loop".into()
            ]))
        );
    }

    #[test]
    fn property_cycles_and_exponential_growth_are_errors() {
        let fields = HashMap::new();
        let platform = Platform::reference();
        let mut props = BTreeMap::new();
        props.insert("a".to_string(), "${b}".to_string());
        props.insert("b".to_string(), "1-${a}".to_string());
        let i = Interpolator::new(&fields, &props, &platform);
        let e = i.string("${a}").unwrap_err();
        assert_eq!(
            e,
            InterpolationError::Cycle(vec!["a".into(), "b".into(), "a".into()])
        );
        assert_eq!(
            e.to_string(),
            "the properties refer to each other in a cycle: ${a} -> ${b} -> ${a}"
        );
        // Billion laughs: each level doubles; the cap stops it at the first level past 64 KiB,
        // and memoisation means each level is expanded once, not 2^depth times.
        let mut props = BTreeMap::new();
        for n in 0..40 {
            props.insert(format!("p{n}"), format!("${{p{}}}${{p{}}}", n + 1, n + 1));
        }
        props.insert("p40".to_string(), "lol".to_string());
        let i = Interpolator::new(&fields, &props, &platform);
        // 3 * 2^15 = 96 KiB is the first level over the cap: p25 (2^15 copies of p40).
        assert_eq!(
            i.string("${p0}"),
            Err(InterpolationError::TooLong("p25".into()))
        );
        assert_eq!(i.string("${p26}").unwrap().len(), 3 << 14);
        // Many references to one large value hit the per-model budget.
        let mut props = BTreeMap::new();
        props.insert("big".to_string(), "x".repeat(60 * 1024));
        let i = Interpolator::new(&fields, &props, &platform);
        let results: Vec<_> = (0..20).map(|_| i.string("${big}")).collect();
        assert!(results[..17].iter().all(Result::is_ok));
        assert_eq!(results[17], Err(InterpolationError::Budget("big".into())));
        // A chain deeper than the nesting limit is refused rather than recursed into.
        let mut props = BTreeMap::new();
        for n in 0..100 {
            props.insert(format!("q{n}"), format!("${{q{}}}", n + 1));
        }
        let i = Interpolator::new(&fields, &props, &platform);
        assert_eq!(
            i.string("${q0}"),
            Err(InterpolationError::TooDeep("q64".into()))
        );
    }

    #[test]
    fn artifact_handlers() {
        assert_eq!(type_to_extension("test-jar"), ("jar", "tests"));
        assert_eq!(type_to_extension("bundle"), ("jar", ""));
        assert_eq!(type_to_extension("maven-plugin"), ("jar", ""));
        assert_eq!(type_to_extension("pom"), ("pom", ""));
        assert_eq!(type_to_extension("zip"), ("zip", ""));
        assert!(type_on_classpath("ejb"));
        assert!(!type_on_classpath("pom"));
    }
}
