//! Repository URLs: joining a remote's base with a repository path, the folder of a `file:` URL,
//! and redaction, so credentials in a URL's user-info never reach a message.

/// `scheme://user:pass@host/…` → `scheme://***@host/…`, so no message ever shows a password.
/// Text that does not parse as a URL gets [`redact_raw_url`]'s blunter treatment.
pub fn redact_url(url: &str) -> String {
    if reqwest::Url::parse(url).is_err() {
        return redact_raw_url(url);
    }
    let Some(scheme_end) = url.find("://") else {
        return redact_raw_url(url);
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end + 3], &rest[at..]),
        None => url.to_string(),
    }
}

/// Text a person gave as a URL, for a message saying it is not usable: everything between the
/// scheme and the *last* `@` is hidden. Where the user-info ends cannot be known when the URL does
/// not parse (an unencoded `/`, `?` or `#` in the password, `http//` for `http://`), so this
/// hides too much rather than too little; only a leading `scheme:/…` or `scheme//` is kept.
pub fn redact_raw_url(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return raw.to_string();
    };
    let scheme = raw
        .find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .unwrap_or(0);
    let after = &raw[scheme..];
    let seps = after.len() - after.trim_start_matches([':', '/']).len();
    let keep = if after[..seps].contains('/') {
        scheme + seps
    } else {
        0
    };
    format!("{}***{}", &raw[..keep.min(at)], &raw[at..])
}

/// `text` (such as Maven's output) with the user-info of every `scheme://…@` URL in it hidden:
/// from the `://` to the last `@` before the authority ends, at the next `/`, `?`, `#` or
/// whitespace. Quotes and brackets do not end it: they are legal in a password as written in
/// settings.xml (`it's-secret`), so stopping there would show the rest of the password.
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || "/?#".contains(c))
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
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
    fn unparsable_urls_hide_everything_up_to_the_last_at() {
        let cases = [
            ("http://user:S3CRET#pw@h/r", "http://***@h/r"),
            ("http://user:S3/CRET@h/r", "http://***@h/r"),
            ("http://user:S3?CRET@h/r", "http://***@h/r"),
            ("http://user:p@ss@h/r", "http://***@h/r"),
            ("http//user:S3CRET@h/r", "http//***@h/r"),
            ("user:S3CRET@h/r", "***@h/r"),
            ("http://h/r", "http://h/r"),
        ];
        for (raw, want) in cases {
            assert_eq!(redact_raw_url(raw), want, "{raw}");
            assert!(!redact_url(raw).contains("S3"), "{raw}");
        }
    }

    #[test]
    fn urls_inside_text_lose_their_user_info() {
        let text = "from/to corp (http://user:S3cret@127.0.0.1:9/repo): transfer failed for \
                    http://127.0.0.1:9/repo/x.pom; see 'https://a:b@c/d' or file:///tmp/r";
        assert_eq!(
            redact_urls_in(text),
            "from/to corp (http://***@127.0.0.1:9/repo): transfer failed for \
             http://127.0.0.1:9/repo/x.pom; see 'https://***@c/d' or file:///tmp/r"
        );
    }

    /// Issue 21, finding 3: quotes, backticks and brackets are legal in user-info as written in
    /// settings.xml, so they must not end it.
    #[test]
    fn quotes_in_a_password_do_not_end_the_user_info() {
        for password in [
            "it's-S3CRET",
            "it`s-S3CRET",
            "a\"S3CRET",
            "<S3CRET>",
            "x'@S3CRET",
        ] {
            let text = format!(
                "Could not transfer from corp (http://deploy:{password}@127.0.0.1:1/): refused"
            );
            let shown = redact_urls_in(&text);
            assert_eq!(
                shown, "Could not transfer from corp (http://***@127.0.0.1:1/): refused",
                "{password}"
            );
        }
        // Without a path the authority ends at whitespace; a quoted URL keeps its closing quote.
        assert_eq!(
            redact_urls_in("see 'http://u:it's-S3CRET@h:1' now"),
            "see 'http://***@h:1' now"
        );
        // An `@` after the path is not user-info.
        assert_eq!(
            redact_urls_in("at 'http://h/a@b' and http://h2"),
            "at 'http://h/a@b' and http://h2"
        );
    }

    #[test]
    fn urls_join_with_or_without_trailing_slash() {
        let coord: crate::maven::Coord = "g.h:a:1".parse().unwrap();
        let path = coord.repo_path();
        assert_eq!(repo_url("http://x/r", &path), "http://x/r/g/h/a/1/a-1.jar");
        assert_eq!(repo_url("http://x/r/", &path), "http://x/r/g/h/a/1/a-1.jar");
    }
}
