//! Repository URLs: joining a remote's base with a repository path, the folder of a `file:` URL,
//! and redaction, so credentials in a URL's user-info never reach a message.

/// `scheme://user:pass@host/…` → `scheme://***@host/…`, so no message ever shows a password.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end + 3], &rest[at..]),
        None => url.to_string(),
    }
}

/// `base` + repository path; the base may or may not end in `/`.
pub fn repo_url(base: &str, repo_path: &str) -> String {
    format!("{}/{repo_path}", base.trim_end_matches('/'))
}

/// The local path of a `file:` URL.
pub fn file_url_path(url: &str) -> Option<std::path::PathBuf> {
    reqwest::Url::parse(url).ok()?.to_file_path().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials_in_urls() {
        assert_eq!(
            redact_url("https://u:secret@h:8/a/b@c"),
            "https://***@h:8/a/b@c"
        );
        assert_eq!(redact_url("http://h/x"), "http://h/x");
        assert_eq!(redact_url("file:///tmp/r"), "file:///tmp/r");
        assert_eq!(redact_url("no url"), "no url");
    }

    #[test]
    fn urls_join_with_or_without_trailing_slash() {
        let coord: crate::maven::Coord = "g.h:a:1".parse().unwrap();
        let path = coord.repo_path();
        assert_eq!(repo_url("http://x/r", &path), "http://x/r/g/h/a/1/a-1.jar");
        assert_eq!(repo_url("http://x/r/", &path), "http://x/r/g/h/a/1/a-1.jar");
    }
}
