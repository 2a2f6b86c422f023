//! Reading a tool's output: the public URL each tool announces, and lines
//! made safe to show (query strings and `token=`-like values removed).

/// Longest output line kept (characters).
pub(crate) const MAX_LINE_CHARS: usize = 400;

use super::spec::TunnelKind;

fn url_end(c: char) -> bool {
    c.is_whitespace() || "\"'<>|()[]{},;`\\".contains(c)
}

/// Every `http(s)://` URL in a line, in order.
fn url_tokens(line: &str) -> Vec<url::Url> {
    let mut out = vec![];
    let mut rest = line;
    while let Some(start) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        let tail = &rest[start..];
        let end = tail.find(url_end).unwrap_or(tail.len());
        let token = tail[..end].trim_end_matches(['.', ':', '!']);
        if let Ok(u) = url::Url::parse(token) {
            if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) {
                out.push(u);
            }
        }
        rest = &tail[end.max(1)..];
    }
    out
}

/// `scheme://host[:port][/path]` without a trailing slash, query or fragment.
fn normalize(u: &url::Url) -> String {
    let host = u.host_str().unwrap_or_default();
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = u.path().trim_end_matches('/');
    format!("{}://{host}{port}{path}", u.scheme())
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    }
}

fn host_ends_with(u: &url::Url, suffixes: &[&str]) -> bool {
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    suffixes.iter().any(|s| host.ends_with(s))
}

/// The public URL a line of `kind`'s output announces, if any.
pub(crate) fn public_url_in(kind: TunnelKind, line: &str, local_port: u16) -> Option<String> {
    let https_public = |u: &url::Url| u.scheme() == "https" && !is_loopback(u);
    match kind {
        TunnelKind::CloudflaredQuick => url_tokens(line)
            .into_iter()
            .find(|u| {
                https_public(u) && host_ends_with(u, &[".trycloudflare.com"]) && !u.host_str().is_some_and(|h| h.eq_ignore_ascii_case("api.trycloudflare.com"))
            })
            .map(|u| normalize(&u)),
        TunnelKind::CloudflaredNamed => None,
        TunnelKind::Ngrok => {
            if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(line.trim()) {
                let url = obj.get("url").and_then(|v| v.as_str()).and_then(|s| url::Url::parse(s).ok());
                return url.filter(https_public).map(|u| normalize(&u));
            }
            let ngrok_hosts = [".ngrok-free.app", ".ngrok-free.dev", ".ngrok.app", ".ngrok.dev", ".ngrok.io"];
            url_tokens(line).into_iter().find(|u| https_public(u) && host_ends_with(u, &ngrok_hosts)).map(|u| normalize(&u))
        }
        TunnelKind::TailscaleFunnel => url_tokens(line).into_iter().find(|u| https_public(u) && host_ends_with(u, &[".ts.net"])).map(|u| normalize(&u)),
        TunnelKind::Custom => {
            let candidates: Vec<url::Url> =
                url_tokens(line).into_iter().filter(|u| !(is_loopback(u) && u.port_or_known_default() == Some(local_port))).collect();
            let best = candidates.iter().find(|u| u.scheme() == "https").or_else(|| candidates.first());
            best.map(normalize)
        }
    }
}

const SENSITIVE: [&str; 9] = ["token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "authorization", "bearer"];

/// A line of tool output made safe to show: URL query strings dropped,
/// `token=…`-like values redacted, long lines cut.
pub(crate) fn scrub_line(line: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut redact_next = false;
    for word in line.split(' ') {
        let mut w = word.to_string();
        if redact_next && !w.is_empty() {
            redact_next = false;
            words.push("<redacted>".into());
            continue;
        }
        // URL queries can carry tokens: keep the address, drop the query.
        if let Some(scheme) = w.find("://") {
            if let Some(q) = w[scheme..].find('?') {
                let cut = scheme + q;
                let end = w[cut..].find(|c: char| "\"'<>|)]},;`".contains(c)).map(|e| cut + e).unwrap_or(w.len());
                w.replace_range(cut..end, "?…");
            }
        }
        let lower = w.to_ascii_lowercase();
        if let Some(pos) = SENSITIVE.iter().filter_map(|k| lower.find(k).map(|p| p + k.len())).min() {
            if let Some(sep) = w[pos..].find(['=', ':']) {
                let keep = pos + sep + 1;
                let keep = keep + w[keep..].chars().take_while(|c| *c == '"' || *c == ' ').map(char::len_utf8).sum::<usize>();
                if keep < w.len() {
                    w.truncate(keep);
                    w.push_str("<redacted>");
                } else {
                    // `password: hunter2`: the value is the next word.
                    redact_next = true;
                }
            }
        }
        words.push(w);
    }
    let joined = words.join(" ");
    if joined.chars().count() > MAX_LINE_CHARS {
        let mut cut: String = joined.chars().take(MAX_LINE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUDFLARED: &str = "\
2026-01-05T10:00:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee, are subject to the Cloudflare Online Services Terms of Use (https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps
2026-01-05T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...
2026-01-05T10:00:01Z INF +--------------------------------------------------------------------------------------------+
2026-01-05T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
2026-01-05T10:00:01Z INF |  https://gentle-river-alpha-bravo.trycloudflare.com                                        |
2026-01-05T10:00:01Z INF +--------------------------------------------------------------------------------------------+
2026-01-05T10:00:01Z INF Settings: map[ha-connections:1 no-autoupdate:true protocol:quic url:http://127.0.0.1:8765]";

    fn first_url(kind: TunnelKind, output: &str, port: u16) -> Option<String> {
        output.lines().find_map(|l| public_url_in(kind, l, port))
    }

    #[test]
    fn cloudflared_quick_url_is_read_and_other_links_ignored() {
        assert_eq!(first_url(TunnelKind::CloudflaredQuick, CLOUDFLARED, 8765).as_deref(), Some("https://gentle-river-alpha-bravo.trycloudflare.com"));
        assert_eq!(public_url_in(TunnelKind::CloudflaredQuick, "INF POST https://api.trycloudflare.com/tunnel", 1), None);
        // A custom reader takes the first non-local URL: the terms link here.
        assert_eq!(first_url(TunnelKind::Custom, CLOUDFLARED, 8765).as_deref(), Some("https://www.cloudflare.com/website-terms"));
    }

    #[test]
    fn ngrok_json_lines() {
        let out = r#"{"addr":"127.0.0.1:4040","lvl":"info","msg":"starting web service","obj":"web","t":"2026-01-05T10:00:00Z"}
{"addr":"http://127.0.0.1:8765","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-01-05T10:00:01Z","url":"https://ab12-203-0-113-7.ngrok-free.app"}"#;
        assert_eq!(first_url(TunnelKind::Ngrok, out, 8765).as_deref(), Some("https://ab12-203-0-113-7.ngrok-free.app"));
        let local = r#"{"lvl":"info","url":"http://127.0.0.1:4040"}"#;
        assert_eq!(public_url_in(TunnelKind::Ngrok, local, 8765), None, "a local URL is never the public one");
        assert_eq!(
            public_url_in(TunnelKind::Ngrok, "Forwarding  https://shop.ngrok.app -> http://localhost:8765", 8765).as_deref(),
            Some("https://shop.ngrok.app")
        );
    }

    #[test]
    fn tailscale_funnel_output() {
        let out = "Available on the internet:\n\nhttps://desk.tail1234.ts.net/\n|-- / proxy http://127.0.0.1:8765\n\nPress Ctrl+C to exit.";
        assert_eq!(first_url(TunnelKind::TailscaleFunnel, out, 8765).as_deref(), Some("https://desk.tail1234.ts.net"));
    }

    #[test]
    fn custom_skips_the_local_target_and_prefers_https() {
        let line = "INF Settings: map[no-autoupdate:true url:http://127.0.0.1:8765]";
        assert_eq!(public_url_in(TunnelKind::Custom, line, 8765), None);
        assert_eq!(public_url_in(TunnelKind::Custom, "|  http://127.0.0.1:40001  |", 8765).as_deref(), Some("http://127.0.0.1:40001"));
        assert_eq!(
            public_url_in(TunnelKind::Custom, "from http://127.0.0.1:40001 to https://relay.example.com/x/?q=1.", 8765).as_deref(),
            Some("https://relay.example.com/x"),
            "https preferred; query and trailing slash dropped"
        );
        assert_eq!(public_url_in(TunnelKind::Custom, "nothing here: http:// or https://", 8765), None);
    }

    #[test]
    fn output_is_scrubbed() {
        let s = scrub_line("ERR GET https://x.example/cb?hub.verify_token=abc&x=1 failed authtoken=2abcDEF password: hunter2");
        assert!(!s.contains("abc&x"), "{s}");
        assert!(!s.contains("2abcDEF") && !s.contains("hunter2"), "{s}");
        assert!(s.contains("https://x.example/cb?…"), "{s}");
        assert!(s.contains("authtoken=<redacted>"), "{s}");
        let j = scrub_line(r#"{"lvl":"eror","authtoken":"2abcDEF","msg":"bad"}"#);
        assert!(!j.contains("2abcDEF"), "{j}");
        let long = "x".repeat(1000);
        assert!(scrub_line(&long).chars().count() <= MAX_LINE_CHARS + 1);
        assert_eq!(scrub_line("INF Registered tunnel connection connIndex=0"), "INF Registered tunnel connection connIndex=0");
    }
}
