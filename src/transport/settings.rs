//! Maven's configuration as kclrs needs it: the local repository, and the remote repositories
//! (with mirrors, credentials and proxies) from `--repository`, `KCLRS_REPOSITORY`,
//! `KCL_MVN_REPO_SEARCH_URL` or `settings.xml`. kclrs names no remote of its own: without any of
//! these it has no remote at all and leaves fetching to the user's `mvn`.
//!
//! The global settings file (Maven's installation, e.g. Debian's `/etc/maven/settings.xml`) and the
//! user file (`~/.m2/settings.xml` or `--settings`) are merged as Maven merges them, so kclrs reaches
//! the same mirror, with the same credentials and proxy, that `mvn` would use for `central`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use reqwest::Url;

use super::url::redact_raw_url;
use crate::env::Env;
use crate::error::{line_col, Exit, UserError};
use crate::xml;

/// Basic-auth credentials from a `<server>` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

/// An HTTP proxy from `<proxies>` (environment proxies are left to the HTTP client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// `http://host:port`
    pub url: String,
    pub credentials: Option<Credentials>,
    /// Host patterns (`*.example`, `localhost`) that bypass the proxy.
    pub non_proxy_hosts: Vec<String>,
}

/// One remote Maven repository to try, in order.
///
/// Neither `url` nor `proxy.url` ever carries userinfo: credentials given inside a URL are moved
/// into `credentials`, so printing a URL can never show a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// Repository or mirror id (`central`, a mirror id, or `cli-1` for `--repository`).
    pub id: String,
    /// Base URL, always ending in `/` (http, https or file).
    pub url: String,
    pub credentials: Option<Credentials>,
    pub proxy: Option<Proxy>,
    /// Where this remote was configured, for messages ("--repository", "settings.xml mirror x").
    pub origin: String,
}

/// A `<mirror>` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirror {
    pub id: String,
    /// As written (after `${…}` interpolation); validated only when the mirror is used.
    pub url: String,
    /// The `<mirrorOf>` pattern: `*`, ids, `external:*`, `external:http:*`, `!id`, comma lists.
    pub mirror_of: String,
    /// `<blocked>true</blocked>`: Maven refuses the repositories this mirror matches.
    pub blocked: bool,
    /// The settings file it came from.
    pub file: PathBuf,
}

/// A `<server>` entry: credentials for the repository or mirror with the same id.
#[derive(Clone, PartialEq, Eq)]
pub struct Server {
    pub id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub file: PathBuf,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("file", &self.file)
            .finish()
    }
}

/// A `<proxy>` entry as written; [`remotes`] turns the one that applies into a [`Proxy`].
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyEntry {
    pub id: String,
    pub active: bool,
    /// The repository protocol this proxy serves (`http` or `https`; Maven's default is `http`).
    pub protocol: String,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Host patterns from `<nonProxyHosts>` (`|`-separated, `*` wildcards).
    pub non_proxy_hosts: Vec<String>,
    pub file: PathBuf,
}

impl std::fmt::Debug for ProxyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyEntry")
            .field("id", &self.id)
            .field("active", &self.active)
            .field("protocol", &self.protocol)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("non_proxy_hosts", &self.non_proxy_hosts)
            .finish()
    }
}

/// What kclrs read from `settings.xml` files, user entries before global ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub local_repository: Option<PathBuf>,
    /// `<offline>true</offline>` in the user file, else in the global one.
    pub offline: bool,
    /// In Maven's lookup order: user mirrors, then global mirrors with another id.
    pub mirrors: Vec<Mirror>,
    pub servers: Vec<Server>,
    pub proxies: Vec<ProxyEntry>,
    /// The files that were read, user file first.
    pub files: Vec<PathBuf>,
}

/// One file's contents before merging; `offline` stays unset unless the file says it.
#[derive(Default)]
struct FileSettings {
    local_repository: Option<PathBuf>,
    offline: Option<bool>,
    mirrors: Vec<Mirror>,
    servers: Vec<Server>,
    proxies: Vec<ProxyEntry>,
}

/// The user settings file Maven reads: `user_file` (made absolute) when given, else
/// `~/.m2/settings.xml` when it exists. `mvn::fetch_missing` passes the same file to Maven.
pub fn user_settings_file(env: &Env, user_file: Option<&Path>) -> Option<PathBuf> {
    match user_file {
        Some(file) => Some(env.absolute(file)),
        None => env
            .home
            .as_ref()
            .map(|h| h.join(".m2").join("settings.xml"))
            .filter(|f| f.is_file()),
    }
}

/// Reads the global and user settings files (`user_file` replaces `~/.m2/settings.xml`).
pub fn load(env: &Env, user_file: Option<&Path>) -> anyhow::Result<Settings> {
    let user = user_settings_file(env, user_file);
    if let (Some(_), Some(file)) = (user_file, &user) {
        if !file.is_file() {
            return Err(UserError::new(
                Exit::Input,
                format!("the settings file {} does not exist", file.display()),
            )
            .hint("check the path given to --settings")
            .into());
        }
    }
    let global = global_settings_file(env);
    let mut settings = Settings::default();
    let mut offline = None;
    // The user file comes first: Maven keeps the dominant (user) entry when ids collide.
    for file in user.iter().chain(global.iter()) {
        let read = read_file(env, file)?;
        settings.local_repository = settings.local_repository.or(read.local_repository);
        offline = offline.or(read.offline);
        merge_by_id(&mut settings.mirrors, read.mirrors, |m| &m.id);
        merge_by_id(&mut settings.servers, read.servers, |s| &s.id);
        merge_by_id(&mut settings.proxies, read.proxies, |p| &p.id);
        settings.files.push(file.clone());
    }
    settings.offline = offline.unwrap_or(false);
    Ok(settings)
}

/// Appends the recessive entries whose id the dominant list does not have yet.
fn merge_by_id<T>(dominant: &mut Vec<T>, recessive: Vec<T>, id: impl Fn(&T) -> &String) {
    for item in recessive {
        if !dominant.iter().any(|d| id(d) == id(&item)) {
            dominant.push(item);
        }
    }
}

/// Maven's own settings file: `$MAVEN_HOME/conf`, `$M2_HOME/conf`, else next to the `mvn` on PATH
/// (symlinks resolved, so `/usr/bin/mvn` leads to `/usr/share/maven/conf/settings.xml`).
pub fn global_settings_file(env: &Env) -> Option<PathBuf> {
    let from_vars = ["MAVEN_HOME", "M2_HOME"]
        .iter()
        .filter_map(|var| env.var_os(var))
        .map(|home| env.absolute(Path::new(home)));
    let from_path = super::mvn::find_mvn(env)
        .and_then(|mvn| std::fs::canonicalize(mvn).ok())
        .and_then(|mvn| Some(mvn.parent()?.parent()?.to_path_buf()));
    from_vars
        .chain(from_path)
        .map(|home| home.join("conf").join("settings.xml"))
        .find(|file| file.is_file())
}

fn read_file(env: &Env, file: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the settings file {}", file.display()))?;
    let root = xml::parse(text.as_bytes()).map_err(|e| syntax_error(file, &text, &e))?;
    let get = |e: &xml::Element, name: &str| e.text_of(name).map(|t| interpolate(env, &t));
    let mut out = FileSettings {
        local_repository: get(&root, "localRepository").map(|p| env.absolute(Path::new(&p))),
        offline: get(&root, "offline").map(|v| v.eq_ignore_ascii_case("true")),
        ..FileSettings::default()
    };
    for m in root
        .children_named("mirrors")
        .flat_map(|l| l.children_named("mirror"))
    {
        out.mirrors.push(Mirror {
            id: get(m, "id").unwrap_or_else(|| "default".into()),
            url: get(m, "url").unwrap_or_default(),
            mirror_of: get(m, "mirrorOf").unwrap_or_default(),
            blocked: get(m, "blocked").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            file: file.to_path_buf(),
        });
    }
    for s in root
        .children_named("servers")
        .flat_map(|l| l.children_named("server"))
    {
        out.servers.push(Server {
            id: get(s, "id").unwrap_or_else(|| "default".into()),
            username: get(s, "username"),
            password: get(s, "password"),
            file: file.to_path_buf(),
        });
    }
    for p in root
        .children_named("proxies")
        .flat_map(|l| l.children_named("proxy"))
    {
        let id = get(p, "id").unwrap_or_else(|| "default".into());
        let port = match get(p, "port") {
            None => 8080,
            Some(port) => port.parse().map_err(|_| {
                UserError::new(
                    Exit::Input,
                    format!(
                        "{}: proxy {id} has an invalid <port> {port:?}",
                        file.display()
                    ),
                )
            })?,
        };
        out.proxies.push(ProxyEntry {
            active: get(p, "active").is_none_or(|v| !v.eq_ignore_ascii_case("false")),
            protocol: get(p, "protocol").unwrap_or_else(|| "http".into()),
            host: get(p, "host").unwrap_or_default(),
            port,
            username: get(p, "username"),
            password: get(p, "password"),
            non_proxy_hosts: get(p, "nonProxyHosts")
                .unwrap_or_default()
                .split(['|', ','])
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(String::from)
                .collect(),
            file: file.to_path_buf(),
            id,
        });
    }
    Ok(out)
}

/// `file:line:column: invalid settings XML: what` as an input-file error (exit 3).
fn syntax_error(file: &Path, text: &str, error: &xml::XmlError) -> anyhow::Error {
    let (line, column) = line_col(text, usize::try_from(error.offset).unwrap_or(usize::MAX));
    UserError::new(
        Exit::Input,
        format!(
            "{}:{line}:{column}: invalid settings XML: {error}",
            file.display()
        ),
    )
    .hint("fix the file, or point --settings at another one")
    .into()
}

/// Replaces `${env.NAME}` and `${user.home}` as Maven does; other or unset expressions stay as written.
fn interpolate(env: &Env, text: &str) -> String {
    crate::maven::model::substitute(text, |key| {
        if key == "user.home" {
            env.home.as_ref().map(|h| h.to_string_lossy().into_owned())
        } else {
            key.strip_prefix("env.").and_then(|name| env.var(name))
        }
    })
}

/// The remotes in kclrs's documented order: `--repository` flags, else `KCLRS_REPOSITORY`, else
/// `KCL_MVN_REPO_SEARCH_URL`, else the mirror of `central` from settings. Empty if none.
pub fn remotes(env: &Env, flags: &[String], settings: &Settings) -> anyhow::Result<Vec<Remote>> {
    if !flags.is_empty() {
        return flags
            .iter()
            .enumerate()
            .map(|(i, url)| explicit_remote(url, i, "--repository"))
            .collect();
    }
    for var in ["KCLRS_REPOSITORY", "KCL_MVN_REPO_SEARCH_URL"] {
        let Some(value) = env.var(var) else {
            continue;
        };
        // Only KCLRS_REPOSITORY is a list; the Python helper's variable holds one URL.
        let urls: Vec<&str> = if var == "KCLRS_REPOSITORY" {
            value
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .collect()
        } else {
            vec![value.trim()]
        };
        return urls
            .iter()
            .enumerate()
            .map(|(i, url)| explicit_remote(url, i, var))
            .collect();
    }
    central_mirror_remote(env, settings)
}

/// A remote the user named directly: no mirror applies and credentials may sit in the URL.
/// Settings proxies stay with the settings' own remote; named URLs use the environment's
/// `HTTPS_PROXY`/`NO_PROXY`, which the HTTP client applies.
fn explicit_remote(raw: &str, index: usize, origin: &str) -> anyhow::Result<Remote> {
    let (url, credentials) = repository_url(raw).map_err(|why| {
        UserError::new(
            Exit::Usage,
            format!(
                "{origin}: {:?} is not a usable repository URL: {why}",
                redact_raw_url(raw)
            ),
        )
        .hint("use an http://, https:// or file:// URL, e.g. file:///path/to/repository")
    })?;
    let id = match origin {
        "--repository" => format!("cli-{}", index + 1),
        "KCLRS_REPOSITORY" => format!("env-{}", index + 1),
        _ => "kcl-mvn-repo".to_string(),
    };
    Ok(Remote {
        id,
        url: url.to_string(),
        credentials,
        proxy: None,
        origin: origin.to_string(),
    })
}

/// Parses a repository URL: http, https or file only, no query or fragment; userinfo is moved out
/// into credentials and the path gets its trailing `/`.
fn repository_url(raw: &str) -> Result<(Url, Option<Credentials>), String> {
    let mut url = Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" | "file" => {}
        other => return Err(format!("the scheme {other}: is not supported")),
    }
    // An `@` past the host means the user-info did not end where the user meant: a password
    // with an unencoded `/`, `?` or `#` (`http://u:12/x@host` parses as host `u`, port 12).
    if url.path().contains('@')
        || url.query().is_some_and(|q| q.contains('@'))
        || url.fragment().is_some_and(|f| f.contains('@'))
    {
        return Err(
            "an `@` after the host: percent-encode `/`, `?`, `#` and `@` in a user name \
             or password (%2F, %3F, %23, %40)"
                .into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a repository URL cannot have a query or fragment".into());
    }
    let credentials =
        (!url.username().is_empty() || url.password().is_some()).then(|| Credentials {
            username: percent_decode(url.username()),
            password: percent_decode(url.password().unwrap_or("")),
        });
    // Both setters only fail for URLs that cannot carry userinfo (file:), which have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok((url, credentials))
}

/// Decodes `%XX` escapes of a URL's userinfo (invalid escapes stay as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Maven's `mirrorOf` test for one repository. `id` is the repository id; `external` means not
/// localhost and not `file:`; `http` means its URL is plain `http:`.
pub fn mirror_of_matches(pattern: &str, id: &str, external: bool, http: bool) -> bool {
    let pattern = pattern.trim();
    if pattern == "*" || pattern == id {
        return true;
    }
    let mut matched = false;
    for part in pattern.split(',').map(str::trim) {
        if let Some(excluded) = part.strip_prefix('!').filter(|e| !e.is_empty()) {
            if excluded == id {
                return false;
            }
        } else if part == id
            || part == "*"
            || (part == "external:*" && external)
            || (part == "external:http:*" && external && http)
        {
            matched = true;
        }
    }
    matched
}

/// The mirror Maven would use for a repository: an exact `mirrorOf` id first, else the first
/// mirror whose pattern matches, in settings order.
pub fn select_mirror<'a>(
    mirrors: &'a [Mirror],
    id: &str,
    external: bool,
    http: bool,
) -> Option<&'a Mirror> {
    mirrors
        .iter()
        .find(|m| m.mirror_of.trim() == id)
        .or_else(|| {
            mirrors
                .iter()
                .find(|m| mirror_of_matches(&m.mirror_of, id, external, http))
        })
}

/// The mirror of `central` as a remote. `central` itself is an external https repository; kclrs
/// never names its address, so without a mirror there is no remote.
fn central_mirror_remote(env: &Env, settings: &Settings) -> anyhow::Result<Vec<Remote>> {
    let Some(mirror) = select_mirror(&settings.mirrors, "central", true, false) else {
        return Ok(Vec::new());
    };
    let place = format!("mirror {} in {}", mirror.id, mirror.file.display());
    if mirror.blocked {
        return Err(UserError::new(
            Exit::Fetch,
            format!(
                "Maven's settings block the repository central: {place} (mirrorOf {:?}) is <blocked>",
                mirror.mirror_of
            ),
        )
        .hint(
            "name a repository with --repository URL or KCLRS_REPOSITORY, or add an unblocked \
             mirror of central to ~/.m2/settings.xml",
        )
        .into());
    }
    let (url, url_credentials) = repository_url(&mirror.url).map_err(|why| {
        UserError::new(
            Exit::Input,
            format!(
                "{place}: {:?} is not a usable repository URL: {why}",
                redact_raw_url(&mirror.url)
            ),
        )
        .hint("fix the mirror's <url> (http, https or file)")
    })?;
    let server = settings.servers.iter().find(|s| s.id == mirror.id);
    let credentials = match server {
        Some(s) if s.password.as_deref().is_some_and(is_encrypted) => {
            crate::ui::warn(env, &encrypted_warning("server", &s.id, &s.file));
            return Ok(Vec::new());
        }
        Some(s) if s.username.is_some() || s.password.is_some() => Some(Credentials {
            username: s.username.clone().unwrap_or_default(),
            password: s.password.clone().unwrap_or_default(),
        }),
        _ => url_credentials,
    };
    let proxy = match proxy_for(settings, &url) {
        Ok(proxy) => proxy,
        Err(entry) => {
            crate::ui::warn(env, &encrypted_warning("proxy", &entry.id, &entry.file));
            return Ok(Vec::new());
        }
    };
    Ok(vec![Remote {
        id: mirror.id.clone(),
        url: url.to_string(),
        credentials,
        proxy,
        origin: format!("settings.xml {place}"),
    }])
}

fn encrypted_warning(kind: &str, id: &str, file: &Path) -> String {
    format!(
        "{kind} {id} in {} has an encrypted password ({{…}}), which kclrs cannot decrypt and never \
         sends, so kclrs skips what needs it (mvn, which can decrypt it, is asked when no repository \
         is usable); for kclrs, put the plain password in a file passed with --settings, or use --repository",
        file.display()
    )
}

/// Maven's encrypted-password form: `{…}` with unescaped braces, possibly inside other text.
fn is_encrypted(password: &str) -> bool {
    let bytes = password.as_bytes();
    let unescaped = |i: usize| i == 0 || bytes[i - 1] != b'\\';
    let open = (0..bytes.len()).find(|&i| bytes[i] == b'{' && unescaped(i));
    open.is_some_and(|o| (o + 1..bytes.len()).any(|i| bytes[i] == b'}' && unescaped(i)))
}

/// The settings proxy Maven would use for `url`: among active proxies whose `nonProxyHosts` do
/// not match the host, the first one for the URL's protocol; an https URL falls back to an `http`
/// proxy. `Err` names a proxy that would apply but whose password is encrypted.
fn proxy_for<'a>(settings: &'a Settings, url: &Url) -> Result<Option<Proxy>, &'a ProxyEntry> {
    let scheme = url.scheme();
    if scheme == "file" {
        return Ok(None);
    }
    let host = url.host_str().unwrap_or("");
    let candidates: Vec<&ProxyEntry> = settings
        .proxies
        .iter()
        .filter(|p| p.active && !p.host.is_empty())
        .filter(|p| !p.non_proxy_hosts.iter().any(|pat| host_matches(pat, host)))
        .collect();
    let for_protocol = |protocol: &str| {
        candidates
            .iter()
            .find(|p| p.protocol.eq_ignore_ascii_case(protocol))
            .copied()
    };
    let entry = for_protocol(scheme)
        .or_else(|| (scheme == "https").then(|| for_protocol("http")).flatten());
    let Some(entry) = entry else {
        return Ok(None);
    };
    if entry.password.as_deref().is_some_and(is_encrypted) {
        return Err(entry);
    }
    Ok(Some(Proxy {
        url: format!("http://{}:{}", bracket_ipv6(&entry.host), entry.port),
        credentials: entry.username.as_ref().map(|u| Credentials {
            username: u.clone(),
            password: entry.password.clone().unwrap_or_default(),
        }),
        non_proxy_hosts: entry.non_proxy_hosts.clone(),
    }))
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// A `nonProxyHosts` pattern against a host name: case-insensitive, `*` matches any run of characters.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    // A pattern without `*` splits into one part and must equal the host.
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == host;
    };
    let Some(mut rest) = host.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The local Maven repository: `override_dir`, else `<localRepository>`, else `~/.m2/repository`.
pub fn local_repository(
    env: &Env,
    settings: &Settings,
    override_dir: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(dir) = override_dir {
        return Some(env.absolute(dir));
    }
    if let Some(dir) = &settings.local_repository {
        return Some(dir.clone());
    }
    env.home.as_ref().map(|h| h.join(".m2").join("repository"))
}

#[cfg(test)]
mod tests;
