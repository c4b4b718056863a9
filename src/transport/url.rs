//! Repository URLs as kclrs shows them: credentials in a URL's user-info never reach a message.

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
}
