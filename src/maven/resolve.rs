//! Dependency resolution with Maven 3.8's rules, for an empty project that depends on the roots.
//!
//! The graph is walked breadth-first, one depth at a time, so every POM a level needs is fetched in
//! one batch (the depth of the graph is the number of round trips, plus parent/BOM chains). The
//! rules are those of Maven's default session: transitive `test`/`provided` dependencies and
//! transitive `optional` ones are not followed; exclusions (with `*`) accumulate down a path;
//! scopes derive along the path (`compile` under `runtime` becomes `runtime`); a POM's
//! relocation replaces the artifact; a version range takes the highest version the repository
//! metadata lists inside it; conflicts between `group:artifact:extension:classifier` are won by
//! the nearest declaration and, at equal depth, by the first one in declaration order (breadth-
//! first order at equal depth is exactly Maven's depth-first "first seen" order). Since the
//! project is empty, no dependency management applies beyond each POM's own dependencies.
//! The result lists winners in Maven's classpath order: pre-order over the tree of winners.
//!
//! Under nearest-wins a winner is final the moment its level is mediated: every nearer
//! declaration has been read by then, and a later (deeper) declaration of the same key can only
//! lose. So after each level the resolver tells an optional observer ([`Resolver::on_final`])
//! which artifacts just won, and `kclrs lock` starts their jars while deeper levels are read.
//! Only a pass that learns a new range constraint can change a winner, and then the next pass
//! reports its winners again; the observer's work for the first pass is then merely unused.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use super::metadata::Metadata;
use super::model::{pom_coord, BuildError, Model, Models, Platform, ResolvedDep};
use super::source::{RepoFile, RepoSource};
use super::version::VersionRange;
use super::Coord;
use crate::error::{Exit, UserError};

/// What to resolve.
#[derive(Clone, Debug)]
pub struct Request {
    /// Direct dependencies of the (empty) project; the extension is used as the `type`.
    pub roots: Vec<Coord>,
    /// `(group, artifact)` exclusions put on every root, `*` allowed.
    pub excludes: Vec<(String, String)>,
}

/// One artifact of the resolved closure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedArtifact {
    pub coord: Coord,
    /// The dependency `type` (`jar`, `test-jar`, `pom`, …).
    pub kind: String,
    /// `compile` or `runtime`.
    pub scope: String,
    /// 1 for roots.
    pub depth: usize,
}

/// The closure and what it took to compute it.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Winners in classpath order (pre-order over the tree of winners, roots first).
    pub artifacts: Vec<ResolvedArtifact>,
    /// Depth of the dependency tree (levels walked).
    pub levels: usize,
    /// Batches handed to the source: the round trips on the critical path.
    pub fetch_rounds: usize,
    /// POMs read.
    pub poms: usize,
}

/// Mediation key: group, artifact, extension, classifier ([`Coord::versionless_key`]).
type Key = (String, String, String, String);

/// Ranges each key's winner must satisfy, learned from earlier passes.
type Constraints = HashMap<Key, Vec<VersionRange>>;

#[derive(Clone, Debug)]
struct Candidate {
    dep: ResolvedDep,
    /// Exclusions of all ancestors (they decide whether this candidate's children are followed).
    excluded: Rc<Vec<(String, String)>>,
    parent: Option<usize>,
}

#[derive(Debug)]
struct Node {
    coord: Coord,
    kind: String,
    scope: String,
    depth: usize,
    parent: Option<usize>,
    children: Vec<usize>,
}

impl Node {
    fn artifact(&self) -> ResolvedArtifact {
        ResolvedArtifact {
            coord: self.coord.clone(),
            kind: self.kind.clone(),
            scope: self.scope.clone(),
            depth: self.depth,
        }
    }
}

fn matches(pattern: &str, value: &str) -> bool {
    pattern == "*" || pattern == value
}

fn is_excluded(excluded: &[(String, String)], group: &str, artifact: &str) -> bool {
    excluded
        .iter()
        .any(|(g, a)| matches(g, group) && matches(a, artifact))
}

/// Maven's `JavaScopeDeriver` for the scopes that reach a runtime classpath.
fn derive_scope(parent: &str, child: &str) -> String {
    let child = if child.is_empty() { "compile" } else { child };
    match (parent, child) {
        ("runtime", "compile") => "runtime".into(),
        (_, c) => c.into(),
    }
}

/// Rank for Maven's `JavaScopeSelector`: the widest scope of a conflict group wins.
fn scope_rank(scope: &str) -> u8 {
    match scope {
        "compile" => 3,
        "runtime" => 2,
        _ => 0,
    }
}

/// What [`Resolver::on_final`] is given: told the winners of each level.
type FinalObserver<'a> = Box<dyn FnMut(&[ResolvedArtifact]) + 'a>;

/// The resolver: a source plus what it has read so far (POMs, metadata).
pub struct Resolver<'a> {
    source: &'a dyn RepoSource,
    models: Models,
    metadata: HashMap<(String, String), Metadata>,
    rounds: usize,
    /// Told, level by level, which artifacts on a classpath scope just won mediation.
    on_final: Option<FinalObserver<'a>>,
}

impl std::fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("poms", &self.models.pom_count())
            .field("rounds", &self.rounds)
            .finish()
    }
}

impl<'a> Resolver<'a> {
    pub fn new(source: &'a dyn RepoSource, platform: Platform) -> Resolver<'a> {
        Resolver {
            source,
            models: Models::new(platform),
            metadata: HashMap::new(),
            rounds: 0,
            on_final: None,
        }
    }

    /// Calls `observer` after each level with the winners of that level whose scope puts them on
    /// a classpath (`compile`/`runtime`): their coordinates no longer change in this pass.
    pub fn on_final(&mut self, observer: impl FnMut(&[ResolvedArtifact]) + 'a) {
        self.on_final = Some(Box::new(observer));
    }

    /// The merged version list of `group:artifact` (empty when the repository has none).
    pub fn metadata(&mut self, group: &str, artifact: &str) -> anyhow::Result<&Metadata> {
        self.load_metadata(&[(group.to_string(), artifact.to_string())])?;
        Ok(&self.metadata[&(group.to_string(), artifact.to_string())])
    }

    fn load_metadata(&mut self, wanted: &[(String, String)]) -> anyhow::Result<()> {
        let files: Vec<RepoFile> = wanted
            .iter()
            .filter(|k| !self.metadata.contains_key(*k))
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|(g, a)| RepoFile::Metadata {
                group: g.clone(),
                artifact: a.clone(),
            })
            .collect();
        if files.is_empty() {
            return Ok(());
        }
        self.rounds += 1;
        for f in &files {
            if let RepoFile::Metadata { group, artifact } = f {
                self.metadata
                    .insert((group.clone(), artifact.clone()), Metadata::default());
            }
        }
        for got in self.source.fetch_many(&files)? {
            if let RepoFile::Metadata { group, artifact } = &got.file {
                let entry = self
                    .metadata
                    .entry((group.clone(), artifact.clone()))
                    .or_default();
                entry
                    .merge_xml(&got.bytes)
                    .map_err(|e| UserError::new(Exit::Input, format!("{}: {e:#}", got.location)))?;
            }
        }
        Ok(())
    }

    /// Effective models for all `poms`, fetching what is missing in as few batches as the
    /// parent/BOM chains allow. Errors carry the POM chain; `context` names who asked.
    fn build_all(
        &mut self,
        poms: &[Coord],
        context: &dyn Fn(usize) -> String,
    ) -> anyhow::Result<Vec<Arc<Model>>> {
        loop {
            let mut missing: Vec<Coord> = Vec::new();
            let mut out = Vec::with_capacity(poms.len());
            for (i, pom) in poms.iter().enumerate() {
                match self.models.build(pom) {
                    Ok(m) => out.push(m),
                    Err(BuildError::Missing(m)) => {
                        for c in m {
                            if let Err(e) = c.check() {
                                return Err(UserError::new(
                                    Exit::Input,
                                    format!(
                                        "a parent or BOM import in the POM chain of {} is not a valid coordinate: {e}\n    {}",
                                        pom_gav(pom),
                                        context(i)
                                    ),
                                )
                                .hint(BAD_COORD_HINT)
                                .into());
                            }
                            if !missing.contains(&c) {
                                missing.push(c);
                            }
                        }
                    }
                    Err(BuildError::Invalid(msg)) => {
                        return Err(UserError::new(
                            Exit::Input,
                            format!("{msg}\n    {}", context(i)),
                        )
                        .hint("the POM chain above is broken; exclude the artifact with --exclude G:A if it is not needed")
                        .into())
                    }
                    Err(BuildError::NotFound(msg)) => {
                        return Err(UserError::new(
                            Exit::Fetch,
                            format!("{msg}\n    {}", context(i)),
                        )
                        .hint("check the repository, or run `mvn dependency:get` for it")
                        .into())
                    }
                }
            }
            if missing.is_empty() {
                return Ok(out);
            }
            self.rounds += 1;
            let files: Vec<RepoFile> = missing.iter().cloned().map(RepoFile::Pom).collect();
            let fetched = self.source.fetch_many(&files)?;
            let mut found: HashMap<Coord, (Vec<u8>, String)> = HashMap::new();
            for f in fetched {
                if let RepoFile::Pom(c) = f.file {
                    found.insert(c, (f.bytes, f.location));
                }
            }
            for c in missing {
                match found.remove(&c) {
                    Some((bytes, location)) => self.models.add_pom(c, Some(&bytes), &location),
                    None => self.models.add_pom(c, None, ""),
                }
            }
        }
    }

    /// Resolves the closure of `request.roots`.
    pub fn resolve(&mut self, request: &Request) -> anyhow::Result<Resolution> {
        // Maven's version selection treats ranges as hard constraints: when a farther range
        // excludes the nearest version, it backtracks to the nearest version the range accepts.
        // kclrs walks again with the ranges it learned until nothing new turns up.
        let mut constraints: Constraints = HashMap::new();
        for _ in 0..8 {
            let (resolution, learned) = self.pass(request, &constraints)?;
            let mut new = false;
            for (key, range) in learned {
                let list = constraints.entry(key).or_default();
                if !list.contains(&range) {
                    list.push(range);
                    new = true;
                }
            }
            if !new {
                return Ok(resolution);
            }
        }
        Err(UserError::new(
            Exit::Input,
            "version ranges in the closure do not settle on one version per artifact".to_string(),
        )
        .into())
    }

    fn pass(
        &mut self,
        request: &Request,
        constraints: &Constraints,
    ) -> anyhow::Result<(Resolution, Vec<(Key, VersionRange)>)> {
        let root_exclusions = Rc::new(Vec::new());
        let mut level: Vec<Candidate> = request
            .roots
            .iter()
            .map(|r| Candidate {
                dep: ResolvedDep {
                    group: r.group.clone(),
                    artifact: r.artifact.clone(),
                    version: Some(r.version.clone()),
                    kind: r.extension.clone(),
                    classifier: r.classifier.clone(),
                    scope: "compile".into(),
                    optional: false,
                    exclusions: request.excludes.clone(),
                },
                excluded: root_exclusions.clone(),
                parent: None,
            })
            .collect();
        let mut nodes: Vec<Node> = Vec::new();
        let mut winners: HashMap<Key, usize> = HashMap::new();
        let mut depth = 0;
        let mut learned = Vec::new();
        while !level.is_empty() {
            depth += 1;
            // Losers by their declared key are decided before anything is fetched for them.
            let key_of = |d: &ResolvedDep| d.coord().versionless_key();
            let mut live: Vec<Candidate> = Vec::new();
            for c in level {
                let key = key_of(&c.dep);
                match winners.get(&key) {
                    Some(&w) => {
                        upgrade_scope(&mut nodes[w], &c.dep.scope);
                        if let Some(range) = range_excluding(&nodes[w], &c.dep) {
                            learned.push((key, range));
                        }
                    }
                    None => {
                        // A fixed version outside a known range is not a candidate at all.
                        let ranges = constraints.get(&key).map_or(&[][..], Vec::as_slice);
                        let acceptable = match c.dep.version.as_deref() {
                            Some(v) if !VersionRange::is_range(v) => {
                                let v = super::version::Version::parse(v);
                                ranges.iter().all(|r| r.contains(&v))
                            }
                            _ => true,
                        };
                        if acceptable {
                            live.push(c);
                        }
                    }
                }
            }
            // Versions: reject unusable ones, expand ranges with repository metadata.
            let mut ranges = Vec::new();
            for c in &live {
                match c.dep.version.as_deref() {
                    None => {
                        let what = format!(
                            "{} has no version: neither its POM nor its dependency management gives one",
                            c.dep.describe()
                        );
                        return Err(stuck(Exit::Input, &what, &nodes, c.parent));
                    }
                    Some(v) if v.contains("${") => {
                        let what = format!(
                            "unresolvable property in the version of {}",
                            c.dep.describe()
                        );
                        return Err(stuck(Exit::Input, &what, &nodes, c.parent));
                    }
                    Some(v) if VersionRange::is_range(v) => {
                        ranges.push((c.dep.group.clone(), c.dep.artifact.clone()))
                    }
                    Some(_) => {}
                }
                check_dep(&c.dep, Coord::check_declared, &nodes, c.parent)?;
            }
            self.load_metadata(&ranges)?;
            for c in &mut live {
                let spec = c.dep.version.clone().unwrap_or_default();
                if !VersionRange::is_range(&spec) {
                    continue;
                }
                let range = VersionRange::parse(&spec).map_err(|e| {
                    stuck(
                        Exit::Input,
                        &format!("{e} for {}", c.dep.describe()),
                        &nodes,
                        c.parent,
                    )
                })?;
                let key = (c.dep.group.clone(), c.dep.artifact.clone());
                let listed = self
                    .metadata
                    .get(&key)
                    .map(|m| m.versions.clone())
                    .unwrap_or_default();
                let others = constraints
                    .get(&key_of(&c.dep))
                    .map_or(&[][..], Vec::as_slice);
                let inside_all = listed.iter().map(String::as_str).filter(|v| {
                    let v = super::version::Version::parse(v);
                    others.iter().all(|r| r.contains(&v))
                });
                match range.highest(inside_all) {
                    Some(v) => c.dep.version = Some(v),
                    None => {
                        let what = format!(
                            "no version of {}:{} in the repository metadata matches {spec}",
                            c.dep.group, c.dep.artifact
                        );
                        return Err(stuck(Exit::Fetch, &what, &nodes, c.parent));
                    }
                }
            }
            // Effective POMs of this level, following relocations.
            let mut models: Vec<Arc<Model>> = Vec::new();
            let mut pending: Vec<usize> = (0..live.len()).collect();
            let mut hops = 0;
            models.resize_with(live.len(), || Arc::new(placeholder_model()));
            while !pending.is_empty() {
                // Metadata versions and relocations replaced parts: the rule applies again.
                for &i in &pending {
                    check_dep(&live[i].dep, Coord::check, &nodes, live[i].parent)?;
                }
                let poms: Vec<Coord> = pending
                    .iter()
                    .map(|&i| {
                        let d = &live[i].dep;
                        pom_coord(&d.group, &d.artifact, d.version.as_deref().unwrap_or(""))
                    })
                    .collect();
                let ctx = |i: usize| {
                    let c = &live[pending[i]];
                    format!(
                        "needed for {}\n    {}",
                        c.dep.describe(),
                        chain(&nodes, c.parent)
                    )
                };
                let built = self.build_all(&poms, &ctx)?;
                let mut next = Vec::new();
                for (slot, model) in pending.iter().zip(built) {
                    let d = &mut live[*slot].dep;
                    if let Some(r) = &model.relocation {
                        let group = r.group.clone().unwrap_or_else(|| d.group.clone());
                        let artifact = r.artifact.clone().unwrap_or_else(|| d.artifact.clone());
                        let version = r.version.clone().or_else(|| d.version.clone());
                        if (&group, &artifact, &version) != (&d.group, &d.artifact, &d.version) {
                            d.group = group;
                            d.artifact = artifact;
                            d.version = version;
                            next.push(*slot);
                            continue;
                        }
                    }
                    models[*slot] = model;
                }
                hops += 1;
                if hops > 8 && !next.is_empty() {
                    return Err(UserError::new(
                        Exit::Input,
                        format!("relocation loop at {}", live[next[0]].dep.describe()),
                    )
                    .into());
                }
                pending = next;
            }
            // Mediation in declaration order, then the next level.
            let level_start = nodes.len();
            let mut next_level = Vec::new();
            for (c, model) in live.into_iter().zip(models) {
                let coord = c.dep.coord();
                let key = coord.versionless_key();
                if let Some(&w) = winners.get(&key) {
                    upgrade_scope(&mut nodes[w], &c.dep.scope);
                    continue;
                }
                let idx = nodes.len();
                nodes.push(Node {
                    coord,
                    kind: c.dep.kind.clone(),
                    scope: c.dep.scope.clone(),
                    depth,
                    parent: c.parent,
                    children: Vec::new(),
                });
                if let Some(p) = c.parent {
                    nodes[p].children.push(idx);
                }
                winners.insert(key, idx);
                let excluded = if c.dep.exclusions.is_empty() {
                    c.excluded.clone()
                } else {
                    let mut all = (*c.excluded).clone();
                    all.extend(c.dep.exclusions.iter().cloned());
                    Rc::new(all)
                };
                for d in &model.dependencies {
                    let scope = if d.scope.is_empty() {
                        "compile"
                    } else {
                        d.scope.as_str()
                    };
                    if scope == "test" || scope == "provided" || d.optional {
                        continue;
                    }
                    if is_excluded(&excluded, &d.group, &d.artifact) {
                        continue;
                    }
                    let mut dep = d.clone();
                    dep.scope = derive_scope(&c.dep.scope, scope);
                    next_level.push(Candidate {
                        dep,
                        excluded: excluded.clone(),
                        parent: Some(idx),
                    });
                }
            }
            if let Some(observer) = &mut self.on_final {
                let won: Vec<ResolvedArtifact> = nodes[level_start..]
                    .iter()
                    .filter(|n| scope_rank(&n.scope) > 0)
                    .map(Node::artifact)
                    .collect();
                if !won.is_empty() {
                    observer(&won);
                }
            }
            level = next_level;
        }
        // Classpath order: pre-order over the tree of winners.
        let mut artifacts = Vec::with_capacity(nodes.len());
        let mut stack: Vec<usize> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.parent.is_none())
            .map(|(i, _)| i)
            .rev()
            .collect();
        while let Some(i) = stack.pop() {
            let n = &nodes[i];
            if scope_rank(&n.scope) > 0 {
                artifacts.push(n.artifact());
            }
            stack.extend(n.children.iter().rev());
        }
        let resolution = Resolution {
            artifacts,
            levels: depth,
            fetch_rounds: self.rounds,
            poms: self.models.pom_count(),
        };
        Ok((resolution, learned))
    }
}

const BAD_COORD_HINT: &str =
    "the POM is hostile or broken; exclude the artifact that pulls it in with --exclude G:A";

fn pom_gav(c: &Coord) -> String {
    format!("{}:{}:{}", c.group, c.artifact, c.version)
}

/// The one coordinate rule ([`Coord::check`], or [`Coord::check_declared`] while the version
/// may still be a range) applied to a dependency a POM declared, after interpolation and before
/// any path or URL is built from it. The error names that POM.
fn check_dep(
    d: &ResolvedDep,
    rule: fn(&Coord) -> Result<(), super::coord::CoordError>,
    nodes: &[Node],
    parent: Option<usize>,
) -> anyhow::Result<()> {
    let Err(e) = rule(&d.coord()) else {
        return Ok(());
    };
    let declared = match parent {
        Some(p) => format!("declared in the POM of {}", pom_gav(&nodes[p].coord)),
        None => "a root of the lock".to_string(),
    };
    let what = format!("invalid dependency {}: {e}\n    {declared}", d.describe());
    Err(anyhow::Error::new(
        UserError::new(Exit::Input, format!("{what}\n    {}", chain(nodes, parent)))
            .hint(BAD_COORD_HINT),
    ))
}

/// The path from `parent` up to the roots, one `required by` line each.
fn chain(nodes: &[Node], parent: Option<usize>) -> String {
    let mut lines = Vec::new();
    let mut p = parent;
    while let Some(i) = p {
        lines.push(format!("required by {}", nodes[i].coord));
        p = nodes[i].parent;
    }
    if lines.is_empty() {
        "(a root of the lock)".to_string()
    } else {
        lines.join("\n    ")
    }
}

/// An error about a dependency, followed by the chain of artifacts that required it.
fn stuck(exit: Exit, what: &str, nodes: &[Node], parent: Option<usize>) -> anyhow::Error {
    UserError::new(exit, format!("{what}\n    {}", chain(nodes, parent))).into()
}

/// The range of a farther declaration when it does not contain the version that won.
fn range_excluding(winner: &Node, loser: &ResolvedDep) -> Option<VersionRange> {
    let spec = loser.version.as_deref()?;
    if !VersionRange::is_range(spec) {
        return None;
    }
    let range = VersionRange::parse(spec).ok()?;
    let won = super::version::Version::parse(&winner.coord.version);
    (!range.contains(&won)).then_some(range)
}

fn upgrade_scope(node: &mut Node, scope: &str) {
    if scope_rank(scope) > scope_rank(&node.scope) {
        node.scope = scope.to_string();
    }
}

fn placeholder_model() -> Model {
    Model {
        dependencies: Vec::new(),
        relocation: None,
        managed: Vec::new(),
    }
}

/// Resolves `request` against `source` with a fresh resolver judging profiles for `platform`.
pub fn resolve(
    source: &dyn RepoSource,
    request: &Request,
    platform: Platform,
) -> anyhow::Result<Resolution> {
    Resolver::new(source, platform).resolve(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Os;
    use crate::error::classify;
    use crate::maven::source::FetchedFile;
    use std::cell::RefCell;

    /// An in-memory repository keyed by repository path, counting the batches it is asked for.
    #[derive(Default)]
    struct Repo {
        files: HashMap<String, String>,
        batches: RefCell<usize>,
    }

    impl RepoSource for Repo {
        fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
            *self.batches.borrow_mut() += 1;
            Ok(files
                .iter()
                .filter_map(|f| {
                    let path = f.repo_path();
                    self.files.get(&path).map(|b| FetchedFile {
                        file: f.clone(),
                        location: path.clone(),
                        bytes: b.clone().into_bytes(),
                    })
                })
                .collect())
        }
    }

    impl Repo {
        /// Adds `g:a:v`'s POM with `body` inside `<project>`.
        fn pom(&mut self, gav: &str, body: &str) -> &mut Repo {
            let p: Vec<&str> = gav.split(':').collect();
            let xml = format!(
                "<project><modelVersion>4.0.0</modelVersion><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version>{body}</project>",
                p[0], p[1], p[2]
            );
            self.files
                .insert(pom_coord(p[0], p[1], p[2]).repo_path(), xml);
            self
        }

        fn raw(&mut self, path: &str, text: &str) -> &mut Repo {
            self.files.insert(path.into(), text.into());
            self
        }

        fn resolve_with(&self, roots: &[&str], platform: Platform) -> anyhow::Result<Vec<String>> {
            let request = Request {
                roots: roots.iter().map(|r| r.parse().unwrap()).collect(),
                excludes: Vec::new(),
            };
            let res = resolve(self, &request, platform)?;
            Ok(res
                .artifacts
                .iter()
                .map(|a| format!("{} {}", a.coord, a.scope))
                .collect())
        }

        fn resolve(&self, roots: &[&str]) -> Vec<String> {
            match self.resolve_with(roots, Platform::reference()) {
                Ok(v) => v,
                Err(e) => panic!("{e:#}"),
            }
        }
    }

    /// `<dependencies>` with one `<dependency>` per `g:a:v[:scope]` entry (v may be empty).
    fn deps(list: &[&str]) -> String {
        let mut s = String::from("<dependencies>");
        for d in list {
            let p: Vec<&str> = d.split(':').collect();
            s.push_str(&format!(
                "<dependency><groupId>{}</groupId><artifactId>{}</artifactId>",
                p[0], p[1]
            ));
            if !p[2].is_empty() {
                s.push_str(&format!("<version>{}</version>", p[2]));
            }
            if let Some(scope) = p.get(3) {
                s.push_str(&format!("<scope>{scope}</scope>"));
            }
            s.push_str("</dependency>");
        }
        s.push_str("</dependencies>");
        s
    }

    #[test]
    fn nearest_wins_then_first_declaration() {
        let mut r = Repo::default();
        r.pom("g:root:1", &deps(&["g:a:1", "g:b:1", "g:x:1", "g:y:1"]))
            .pom("g:a:1", &deps(&["g:d:1"]))
            .pom("g:d:1", &deps(&["g:c:1"]))
            .pom("g:b:1", &deps(&["g:c:2"]))
            .pom("g:c:1", "")
            .pom("g:c:2", "")
            .pom("g:x:1", &deps(&["g:z:1"]))
            .pom("g:y:1", &deps(&["g:z:2"]))
            .pom("g:z:1", "")
            .pom("g:z:2", "");
        // c:2 is nearer (depth 3) than c:1 (depth 4); z:1 and z:2 tie and z:1 is declared first.
        assert_eq!(
            r.resolve(&["g:root:1"]),
            [
                "g:root:1 compile",
                "g:a:1 compile",
                "g:d:1 compile",
                "g:b:1 compile",
                "g:c:2 compile",
                "g:x:1 compile",
                "g:z:1 compile",
                "g:y:1 compile"
            ]
        );
        // One batch per level at most (plus none for parents here): 4 levels.
        assert!(*r.batches.borrow() <= 4, "{}", r.batches.borrow());
    }

    #[test]
    fn scope_table_optional_and_system() {
        let mut r = Repo::default();
        r.pom(
            "g:root:1",
            &deps(&["g:t:1:test", "g:p:1:provided", "g:rt:1:runtime", "g:s:1:system", "g:c:1:compile"])
            .replace(
                "<artifactId>c</artifactId><version>1</version><scope>compile</scope>",
                "<artifactId>c</artifactId><version>1</version><scope>compile</scope><optional>true</optional>",
            ),
        )
        .pom("g:rt:1", &deps(&["g:rc:1", "g:rr:1:runtime", "g:rt2:1:test"]))
        .pom("g:rc:1", "")
        .pom("g:rr:1", "")
        .pom("g:s:1", "");
        assert_eq!(
            r.resolve(&["g:root:1"]),
            [
                "g:root:1 compile",
                "g:rt:1 runtime",
                "g:rc:1 runtime",
                "g:rr:1 runtime"
            ]
        );
    }

    #[test]
    fn exclusions_accumulate_and_accept_wildcards() {
        let mut r = Repo::default();
        let excl = |g: &str, a: &str, inner: &str| {
            inner.replacen(
                "</dependency>",
                &format!("<exclusions><exclusion><groupId>{g}</groupId><artifactId>{a}</artifactId></exclusion></exclusions></dependency>"),
                1,
            )
        };
        r.pom(
            "g:root:1",
            &format!(
                "<dependencies>{}{}</dependencies>",
                excl(
                    "h",
                    "b",
                    &deps(&["g:a:1"])
                        .replace("<dependencies>", "")
                        .replace("</dependencies>", "")
                ),
                excl(
                    "*",
                    "*",
                    &deps(&["g:w:1"])
                        .replace("<dependencies>", "")
                        .replace("</dependencies>", "")
                )
            ),
        )
        .pom("g:a:1", &deps(&["h:b:1", "g:c:1"]))
        .pom("g:c:1", &deps(&["h:b:1", "h:k:1"]))
        .pom("h:k:1", "")
        .pom("g:w:1", &deps(&["h:k:2"]));
        assert_eq!(
            r.resolve(&["g:root:1"]),
            [
                "g:root:1 compile",
                "g:a:1 compile",
                "g:c:1 compile",
                "h:k:1 compile",
                "g:w:1 compile"
            ]
        );
        // --exclude is an exclusion on every root.
        let request = Request {
            roots: vec!["g:root:1".parse().unwrap()],
            excludes: vec![("g".into(), "c".into())],
        };
        let res = resolve(&r, &request, Platform::reference()).unwrap();
        assert!(res
            .artifacts
            .iter()
            .all(|a| a.coord.artifact != "c" && a.coord.artifact != "k"));
    }

    #[test]
    fn parents_properties_management_and_bom_imports() {
        let mut r = Repo::default();
        r.pom(
            "g:parent:1",
            r#"<packaging>pom</packaging>
            <properties><lib.version>1.0</lib.version><other>${lib.version}</other></properties>
            <dependencyManagement><dependencies>
              <dependency><groupId>g</groupId><artifactId>lib</artifactId><version>${lib.version}</version></dependency>
              <dependency><groupId>g</groupId><artifactId>bom</artifactId><version>1</version><type>pom</type><scope>import</scope></dependency>
            </dependencies></dependencyManagement>
            <dependencies><dependency><groupId>g</groupId><artifactId>inherited</artifactId><version>${project.version}</version></dependency></dependencies>"#,
        )
        .pom(
            "g:bom:1",
            r#"<packaging>pom</packaging><dependencyManagement><dependencies>
              <dependency><groupId>g</groupId><artifactId>fromBom</artifactId><version>1</version></dependency>
              <dependency><groupId>g</groupId><artifactId>lib</artifactId><version>9</version></dependency>
              <dependency><groupId>g</groupId><artifactId>bom2</artifactId><version>1</version><type>pom</type><scope>import</scope></dependency>
            </dependencies></dependencyManagement>"#,
        )
        .pom(
            "g:bom2:1",
            r#"<packaging>pom</packaging><dependencyManagement><dependencies>
              <dependency><groupId>g</groupId><artifactId>deep</artifactId><version>3</version><scope>runtime</scope></dependency>
              <dependency><groupId>g</groupId><artifactId>fromBom</artifactId><version>7</version></dependency>
            </dependencies></dependencyManagement>"#,
        )
        .raw(
            &pom_coord("g", "child", "2").repo_path(),
            &format!(
                "<project><parent><groupId>g</groupId><artifactId>parent</artifactId><version>1</version></parent>
                <artifactId>child</artifactId><version>2</version><properties><lib.version>1.5</lib.version></properties>{}</project>",
                deps(&["g:lib:", "g:fromBom:", "g:deep:", "g:p:${project.parent.version}"])
            ),
        )
        .pom("g:lib:1.5", "")
        .pom("g:fromBom:1", "")
        .pom("g:deep:3", "")
        .pom("g:p:1", "")
        .pom("g:inherited:2", "");
        assert_eq!(
            r.resolve(&["g:child:2"]),
            [
                "g:child:2 compile",
                "g:lib:1.5 compile",
                "g:fromBom:1 compile",
                "g:deep:3 runtime",
                "g:p:1 compile",
                "g:inherited:2 compile"
            ]
        );
    }

    #[test]
    fn management_of_a_transitive_pom_reaches_only_its_own_dependencies() {
        let mut r = Repo::default();
        r.pom(
            "g:a:1",
            &format!(
                "<dependencyManagement>{}</dependencyManagement>{}",
                deps(&["g:c:2"]),
                deps(&["g:b:1"])
            ),
        )
        .pom("g:b:1", &deps(&["g:c:1"]))
        .pom("g:c:1", "");
        assert_eq!(
            r.resolve(&["g:a:1"]),
            ["g:a:1 compile", "g:b:1 compile", "g:c:1 compile"]
        );
    }

    #[test]
    fn ranges_use_metadata_and_relocations_replace_the_artifact() {
        let mut r = Repo::default();
        r.pom("g:root:1", &deps(&["g:ranged:[1.0,2.0)", "old:moved:1"]))
            .raw(
                "g/ranged/maven-metadata.xml",
                "<metadata><versioning><versions><version>1.0</version><version>1.5</version><version>2.0</version></versions></versioning></metadata>",
            )
            .pom("g:ranged:1.5", "")
            .pom(
                "old:moved:1",
                "<distributionManagement><relocation><groupId>new</groupId><version>1.1</version></relocation></distributionManagement>",
            )
            .pom("new:moved:1.1", "");
        assert_eq!(
            r.resolve(&["g:root:1"]),
            [
                "g:root:1 compile",
                "g:ranged:1.5 compile",
                "new:moved:1.1 compile"
            ]
        );
        // A farther range that excludes the nearest version wins, as Maven backtracks to it.
        r.pom("g:near:1", &deps(&["g:ranged:1.0", "g:far:1"]))
            .pom("g:far:1", &deps(&["g:ranged:[1.2,2.0)"]))
            .pom("g:ranged:1.0", "");
        assert_eq!(
            r.resolve(&["g:near:1"]),
            [
                "g:near:1 compile",
                "g:far:1 compile",
                "g:ranged:1.5 compile"
            ]
        );
        r.pom("g:bad:1", &deps(&["g:ranged:[3,)"]));
        let err = r
            .resolve_with(&["g:bad:1"], Platform::reference())
            .unwrap_err();
        assert_eq!(classify(&err).0, Exit::Fetch);
    }

    #[test]
    fn profiles_by_os_jdk_property_and_default() {
        let profile = |id: &str, activation: &str, dep: &str| {
            format!(
                "<profile><id>{id}</id><activation>{activation}</activation>{}</profile>",
                deps(&[dep])
            )
        };
        let mut r = Repo::default();
        r.pom(
            "g:p:1",
            &format!(
                "<profiles>{}{}{}{}{}</profiles>",
                profile(
                    "unix",
                    "<os><family>unix</family><arch>amd64</arch></os>",
                    "g:unix:1"
                ),
                profile("win", "<os><family>windows</family></os>", "g:win:1"),
                profile("new-jdk", "<jdk>[11,)</jdk>", "g:jdk11:1"),
                profile("old-jdk", "<jdk>1.8</jdk>", "g:jdk8:1"),
                profile(
                    "noprop",
                    "<property><name>!some.flag</name></property>",
                    "g:noflag:1"
                ),
            ),
        )
        .pom(
            "g:q:1",
            &format!(
                "<profiles>{}{}</profiles>",
                profile(
                    "dflt",
                    "<activeByDefault>true</activeByDefault>",
                    "g:dflt:1"
                ),
                profile("mac", "<os><name>mac os x</name></os>", "g:mac:1"),
            ),
        );
        for a in ["unix", "win", "jdk11", "jdk8", "noflag", "dflt", "mac"] {
            r.pom(&format!("g:{a}:1"), "");
        }
        assert_eq!(
            r.resolve(&["g:p:1"]),
            [
                "g:p:1 compile",
                "g:unix:1 compile",
                "g:jdk11:1 compile",
                "g:noflag:1 compile"
            ]
        );
        let old = Platform {
            java_version: "1.8.0_292".into(),
            os: Os::Windows,
            ..Platform::reference()
        };
        assert_eq!(
            r.resolve_with(&["g:p:1"], old).unwrap(),
            [
                "g:p:1 compile",
                "g:win:1 compile",
                "g:jdk8:1 compile",
                "g:noflag:1 compile"
            ]
        );
        // activeByDefault only while no other profile of that POM is active.
        assert_eq!(r.resolve(&["g:q:1"]), ["g:q:1 compile", "g:dflt:1 compile"]);
        let mac = Platform {
            os: Os::MacOs,
            ..Platform::reference()
        };
        assert_eq!(
            r.resolve_with(&["g:q:1"], mac).unwrap(),
            ["g:q:1 compile", "g:mac:1 compile"]
        );
    }

    #[test]
    fn types_and_classifiers_are_part_of_the_key() {
        let mut r = Repo::default();
        r.pom(
            "g:root:1",
            r#"<dependencies>
              <dependency><groupId>g</groupId><artifactId>n</artifactId><version>1</version></dependency>
              <dependency><groupId>g</groupId><artifactId>n</artifactId><version>1</version><classifier>linux-x86_64</classifier></dependency>
              <dependency><groupId>g</groupId><artifactId>n</artifactId><version>2</version><type>test-jar</type></dependency>
              <dependency><groupId>g</groupId><artifactId>b</artifactId><version>1</version><type>bundle</type></dependency>
            </dependencies>"#,
        )
        .pom("g:n:1", "")
        .pom("g:n:2", "")
        .pom("g:b:1", "");
        assert_eq!(
            r.resolve(&["g:root:1"]),
            [
                "g:root:1 compile",
                "g:n:1 compile",
                "g:n:jar:linux-x86_64:1 compile",
                "g:n:jar:tests:2 compile",
                "g:b:1 compile"
            ]
        );
    }

    #[test]
    fn broken_poms_name_the_chain_that_led_there() {
        let mut r = Repo::default();
        r.pom("g:root:1", &deps(&["g:a:1"]))
            .pom("g:a:1", &deps(&["g:cyc:1"]))
            .raw(
                &pom_coord("g", "cyc", "1").repo_path(),
                "<project><parent><groupId>g</groupId><artifactId>cyc-parent</artifactId><version>1</version></parent><artifactId>cyc</artifactId></project>",
            )
            .raw(
                &pom_coord("g", "cyc-parent", "1").repo_path(),
                "<project><parent><groupId>g</groupId><artifactId>cyc</artifactId><version>1</version></parent><artifactId>cyc-parent</artifactId></project>",
            );
        let err = r
            .resolve_with(&["g:root:1"], Platform::reference())
            .unwrap_err();
        let text = format!("{err:#}");
        assert_eq!(classify(&err).0, Exit::Input, "{text}");
        assert!(
            text.contains("parent cycle: g:cyc:1 -> parent g:cyc-parent:1 -> g:cyc:1"),
            "{text}"
        );
        assert!(text.contains("required by g:a:1"), "{text}");
        assert!(text.contains("required by g:root:1"), "{text}");

        r.pom("g:a:1", &deps(&["g:gone:1"]));
        let err = r
            .resolve_with(&["g:root:1"], Platform::reference())
            .unwrap_err();
        assert_eq!(classify(&err).0, Exit::Fetch);
        assert!(
            format!("{err:#}").contains("POM g:gone:1 not found"),
            "{err:#}"
        );

        r.raw(
            &pom_coord("g", "gone", "1").repo_path(),
            "<project><dependencies>",
        );
        let err = r
            .resolve_with(&["g:root:1"], Platform::reference())
            .unwrap_err();
        assert_eq!(classify(&err).0, Exit::Input);
        assert!(
            format!("{err:#}").contains("invalid POM g/gone/1/gone-1.pom"),
            "{err:#}"
        );

        r.pom("g:a:1", &deps(&["g:c:${undefined.version}"]));
        let err = r
            .resolve_with(&["g:root:1"], Platform::reference())
            .unwrap_err();
        assert_eq!(classify(&err).0, Exit::Input);
        assert!(
            format!("{err:#}")
                .contains("unresolvable property in the version of g:c:${undefined.version}"),
            "{err:#}"
        );
    }
}
