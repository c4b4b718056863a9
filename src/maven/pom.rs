//! Reading one POM file as written, before inheritance, profiles or interpolation.
//!
//! Only the parts of the model that decide a runtime classpath are kept: coordinates, parent,
//! properties, dependencies, dependency management, profiles (with their activation) and the
//! relocation. Everything else (build, plugins, reporting, …) is skipped while parsing. The XML
//! is read into the tiny element tree of [`crate::xml`] first, because the POM schema nests the
//! same shapes (`dependencies` inside `profiles` inside `project`) and a tree keeps that code flat.

use anyhow::Context;

use crate::xml::{self, Element, XmlErrorKind};

/// Parses a repository XML document (a POM or `maven-metadata.xml`) into its root element.
/// Errors say what is wrong and near which byte, not where the document came from.
pub fn parse_xml(bytes: &[u8]) -> anyhow::Result<Element> {
    xml::parse(bytes).map_err(|e| {
        let pos = e.event_start;
        match e.kind {
            // quick-xml's error repeats its cause in Display; keep one copy of the message.
            XmlErrorKind::Malformed(e) => anyhow::anyhow!("malformed XML near byte {pos}: {e}"),
            XmlErrorKind::Encoding(e) => {
                anyhow::Error::new(e).context(format!("bad text encoding near byte {pos}"))
            }
            XmlErrorKind::Reference { name, error } => anyhow::Error::new(error)
                .context(format!("unknown XML entity &{name}; near byte {pos}")),
            XmlErrorKind::UnmatchedEnd => anyhow::anyhow!("malformed XML near byte {pos}"),
            XmlErrorKind::Unclosed(open) => {
                anyhow::anyhow!("malformed XML: unexpected end of file inside <{open}>")
            }
            XmlErrorKind::NoRoot => anyhow::anyhow!("malformed XML: no root element"),
            kind @ (XmlErrorKind::TooDeep | XmlErrorKind::ForbiddenChar(_)) => {
                anyhow::anyhow!("malformed XML near byte {pos}: {kind}")
            }
        }
    })
}

/// A `<dependency>` as written (fields not yet interpolated or managed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dependency {
    pub group: String,
    pub artifact: String,
    pub version: Option<String>,
    /// `<type>`, `None` meaning `jar`.
    pub kind: Option<String>,
    pub classifier: Option<String>,
    pub scope: Option<String>,
    /// Raw `<optional>` text (`true` after interpolation means optional).
    pub optional: Option<String>,
    /// `(group, artifact)` pairs; either may be `*`.
    pub exclusions: Vec<(String, String)>,
}

impl Dependency {
    /// Maven's management key: `group:artifact:type[:classifier]`.
    pub fn management_key(&self) -> String {
        let mut key = format!(
            "{}:{}:{}",
            self.group,
            self.artifact,
            self.kind.as_deref().unwrap_or("jar")
        );
        if let Some(c) = &self.classifier {
            key.push(':');
            key.push_str(c);
        }
        key
    }

    fn from_element(e: &Element) -> Dependency {
        let exclusions = e
            .child("exclusions")
            .map(|ex| {
                ex.children_named("exclusion")
                    .map(|x| {
                        (
                            x.text_of("groupId").unwrap_or_else(|| "*".into()),
                            x.text_of("artifactId").unwrap_or_else(|| "*".into()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Dependency {
            group: e.text_of("groupId").unwrap_or_default(),
            artifact: e.text_of("artifactId").unwrap_or_default(),
            version: e.text_of("version"),
            kind: e.text_of("type"),
            classifier: e.text_of("classifier"),
            scope: e.text_of("scope"),
            optional: e.text_of("optional"),
            exclusions,
        }
    }
}

/// `<parent>` coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentRef {
    pub group: String,
    pub artifact: String,
    pub version: String,
}

/// `<activation><os>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsActivation {
    pub name: Option<String>,
    pub family: Option<String>,
    pub arch: Option<String>,
    pub version: Option<String>,
}

/// `<activation>` of a profile; every condition present must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activation {
    pub active_by_default: bool,
    pub jdk: Option<String>,
    pub os: Option<OsActivation>,
    /// `(name, value)`; a name or value starting with `!` negates.
    pub property: Option<(String, Option<String>)>,
    /// File-based activation cannot be judged for a POM in a repository (there is no basedir).
    pub file: bool,
}

/// The parts of the model that a profile can add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelBase {
    pub properties: Vec<(String, String)>,
    pub dependencies: Vec<Dependency>,
    pub managed: Vec<Dependency>,
}

impl ModelBase {
    fn from_element(e: &Element) -> ModelBase {
        let deps = |parent: Option<&Element>| -> Vec<Dependency> {
            parent
                .and_then(|p| p.child("dependencies"))
                .map(|d| {
                    d.children_named("dependency")
                        .map(Dependency::from_element)
                        .collect()
                })
                .unwrap_or_default()
        };
        ModelBase {
            properties: e
                .child("properties")
                .map(|p| {
                    p.children
                        .iter()
                        .map(|c| (c.name.clone(), c.text.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            dependencies: deps(Some(e)),
            managed: deps(e.child("dependencyManagement")),
        }
    }
}

/// `<profile>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub activation: Option<Activation>,
    pub base: ModelBase,
}

/// `<distributionManagement><relocation>`; absent fields keep the original's value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Relocation {
    pub group: Option<String>,
    pub artifact: Option<String>,
    pub version: Option<String>,
}

/// One POM file as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pom {
    pub group: Option<String>,
    pub artifact: Option<String>,
    pub version: Option<String>,
    pub packaging: Option<String>,
    pub parent: Option<ParentRef>,
    pub base: ModelBase,
    pub profiles: Vec<Profile>,
    pub relocation: Option<Relocation>,
}

impl Pom {
    /// Parses POM bytes. Errors say what is wrong, not where the POM came from (callers add that).
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Pom> {
        let root = parse_xml(bytes)?;
        if root.name != "project" {
            anyhow::bail!(
                "not a POM: the root element is <{}>, not <project>",
                root.name
            );
        }
        let parent = match root.child("parent") {
            None => None,
            Some(p) => {
                let field = |name: &str| {
                    p.text_of(name)
                        .with_context(|| format!("<parent> has no <{name}>"))
                };
                Some(ParentRef {
                    group: field("groupId")?,
                    artifact: field("artifactId")?,
                    version: field("version")?,
                })
            }
        };
        let profiles = root
            .child("profiles")
            .map(|ps| {
                ps.children_named("profile")
                    .map(|p| Profile {
                        id: p.text_of("id").unwrap_or_else(|| "default".into()),
                        activation: p.child("activation").map(parse_activation),
                        base: ModelBase::from_element(p),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let relocation = root
            .child("distributionManagement")
            .and_then(|d| d.child("relocation"))
            .map(|r| Relocation {
                group: r.text_of("groupId"),
                artifact: r.text_of("artifactId"),
                version: r.text_of("version"),
            });
        Ok(Pom {
            group: root.text_of("groupId"),
            artifact: root.text_of("artifactId"),
            version: root.text_of("version"),
            packaging: root.text_of("packaging"),
            parent,
            base: ModelBase::from_element(&root),
            profiles,
            relocation,
        })
    }
}

fn parse_activation(a: &Element) -> Activation {
    Activation {
        active_by_default: a.text_of("activeByDefault").as_deref() == Some("true"),
        jdk: a.text_of("jdk"),
        os: a.child("os").map(|o| OsActivation {
            name: o.text_of("name"),
            family: o.text_of("family"),
            arch: o.text_of("arch"),
            version: o.text_of("version"),
        }),
        property: a
            .child("property")
            .and_then(|p| p.text_of("name").map(|n| (n, p.text_of("value")))),
        file: a.child("file").is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_classpath_relevant_parts() {
        let pom = Pom::parse(
            br#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent><groupId>p</groupId><artifactId>pa</artifactId><version>1</version></parent>
  <artifactId>a</artifactId>
  <properties><x.v>1.&lt;2</x.v><![CDATA[]]></properties>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>d</artifactId><version>${x.v}</version>
      <type>test-jar</type><scope>runtime</scope><optional>true</optional>
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>
  </dependencies>
  <dependencyManagement><dependencies>
    <dependency><groupId>g</groupId><artifactId>bom</artifactId><version>2</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
  <profiles><profile><id>l</id><activation><os><family>unix</family></os><jdk>[11,)</jdk></activation>
    <properties><y>z</y></properties></profile></profiles>
  <distributionManagement><relocation><groupId>new.g</groupId></relocation></distributionManagement>
  <build><plugins><plugin><dependencies><dependency><groupId>no</groupId></dependency></dependencies></plugin></plugins></build>
</project>"#,
        )
        .unwrap();
        assert_eq!(pom.parent.as_ref().unwrap().artifact, "pa");
        assert_eq!(pom.base.properties, vec![("x.v".into(), "1.<2".into())]);
        let d = &pom.base.dependencies[0];
        assert_eq!(d.management_key(), "g:d:test-jar");
        assert_eq!(d.exclusions, vec![("*".into(), "*".into())]);
        assert_eq!(pom.base.dependencies.len(), 1);
        assert_eq!(pom.base.managed[0].scope.as_deref(), Some("import"));
        let act = pom.profiles[0].activation.as_ref().unwrap();
        assert_eq!(act.jdk.as_deref(), Some("[11,)"));
        assert_eq!(act.os.as_ref().unwrap().family.as_deref(), Some("unix"));
        assert_eq!(pom.relocation.unwrap().group.as_deref(), Some("new.g"));
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(Pom::parse(b"<project><dependencies></project>").is_err());
        assert!(Pom::parse(b"<project>").is_err());
        assert!(Pom::parse(b"<notapom/>").is_err());
        assert!(Pom::parse(b"<project><parent><groupId>x</groupId></parent></project>").is_err());
    }
}
