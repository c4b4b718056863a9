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
    pub platform: Platform,
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

/// The resolver: a source plus what it has read so far (POMs, metadata).
pub struct Resolver<'a> {
    source: &'a dyn RepoSource,
    models: Models,
    metadata: HashMap<(String, String), Metadata>,
    rounds: usize,
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
        }
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
        let mut winners: HashMap<(String, String, String, String), usize> = HashMap::new();
        let mut depth = 0;
        while !level.is_empty() {
            depth += 1;
            // Losers by their declared key are decided before anything is fetched for them.
            let key_of = |d: &ResolvedDep| {
                let (ext, cls) = d.extension_and_classifier();
                (d.group.clone(), d.artifact.clone(), ext, cls)
            };
            let mut live: Vec<Candidate> = Vec::new();
            for c in level {
                match winners.get(&key_of(&c.dep)) {
                    Some(&w) => upgrade_scope(&mut nodes[w], &c.dep.scope),
                    None => live.push(c),
                }
            }
            let chain = |nodes: &Vec<Node>, parent: Option<usize>| {
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
            };
            // Versions: reject unusable ones, expand ranges with repository metadata.
            let mut ranges = Vec::new();
            for c in &live {
                match c.dep.version.as_deref() {
                    None => {
                        return Err(UserError::new(
                            Exit::Input,
                            format!(
                                "{} has no version: neither its POM nor its dependency management gives one\n    {}",
                                c.dep.describe(),
                                chain(&nodes, c.parent)
                            ),
                        )
                        .into())
                    }
                    Some(v) if v.contains("${") => {
                        return Err(UserError::new(
                            Exit::Input,
                            format!(
                                "unresolvable property in the version of {}\n    {}",
                                c.dep.describe(),
                                chain(&nodes, c.parent)
                            ),
                        )
                        .into())
                    }
                    Some(v) if VersionRange::is_range(v) => {
                        ranges.push((c.dep.group.clone(), c.dep.artifact.clone()))
                    }
                    Some(_) => {}
                }
            }
            self.load_metadata(&ranges)?;
            for c in &mut live {
                let spec = c.dep.version.clone().unwrap_or_default();
                if !VersionRange::is_range(&spec) {
                    continue;
                }
                let range = VersionRange::parse(&spec).map_err(|e| {
                    UserError::new(
                        Exit::Input,
                        format!(
                            "{e} for {}\n    {}",
                            c.dep.describe(),
                            chain(&nodes, c.parent)
                        ),
                    )
                })?;
                let key = (c.dep.group.clone(), c.dep.artifact.clone());
                let listed = self
                    .metadata
                    .get(&key)
                    .map(|m| m.versions.clone())
                    .unwrap_or_default();
                match range.highest(listed.iter().map(String::as_str)) {
                    Some(v) => c.dep.version = Some(v),
                    None => {
                        return Err(UserError::new(
                            Exit::Fetch,
                            format!(
                            "no version of {}:{} in the repository metadata matches {spec}\n    {}",
                            c.dep.group,
                            c.dep.artifact,
                            chain(&nodes, c.parent)
                        ),
                        )
                        .into())
                    }
                }
            }
            // Effective POMs of this level, following relocations.
            let mut models: Vec<Arc<Model>> = Vec::new();
            let mut pending: Vec<usize> = (0..live.len()).collect();
            let mut hops = 0;
            models.resize_with(live.len(), || Arc::new(placeholder_model()));
            while !pending.is_empty() {
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
            let mut next_level = Vec::new();
            for (c, model) in live.into_iter().zip(models) {
                let key = key_of(&c.dep);
                if let Some(&w) = winners.get(&key) {
                    upgrade_scope(&mut nodes[w], &c.dep.scope);
                    continue;
                }
                let (ext, cls) = c.dep.extension_and_classifier();
                let idx = nodes.len();
                nodes.push(Node {
                    coord: Coord {
                        group: c.dep.group.clone(),
                        artifact: c.dep.artifact.clone(),
                        extension: ext,
                        classifier: cls,
                        version: c.dep.version.clone().unwrap_or_default(),
                    },
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
                artifacts.push(ResolvedArtifact {
                    coord: n.coord.clone(),
                    kind: n.kind.clone(),
                    scope: n.scope.clone(),
                    depth: n.depth,
                });
            }
            stack.extend(n.children.iter().rev());
        }
        Ok(Resolution {
            artifacts,
            levels: depth,
            fetch_rounds: self.rounds,
            poms: self.models.pom_count(),
        })
    }
}

fn upgrade_scope(node: &mut Node, scope: &str) {
    if scope_rank(scope) > scope_rank(&node.scope) {
        node.scope = scope.to_string();
    }
}

fn placeholder_model() -> Model {
    Model {
        coord: pom_coord("", "", ""),
        packaging: String::new(),
        dependencies: Vec::new(),
        relocation: None,
        managed: Vec::new(),
    }
}

/// Resolves `request` against `source` with a fresh resolver.
pub fn resolve(source: &dyn RepoSource, request: &Request) -> anyhow::Result<Resolution> {
    Resolver::new(source, request.platform.clone()).resolve(request)
}
