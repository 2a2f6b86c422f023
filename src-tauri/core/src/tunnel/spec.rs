//! How each tunnel tool is started: its kind, executable, arguments, and
//! whether the address it gives stays the same across starts.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A way to get a public address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    /// `cloudflared tunnel --url …`: no account needed, a new
    /// `https://*.trycloudflare.com` address at every start.
    CloudflaredQuick,
    /// `cloudflared tunnel run NAME`: a tunnel created in a Cloudflare
    /// account with a hostname routed to it; the address is stable.
    CloudflaredNamed,
    /// `ngrok http PORT`: random address, or stable with a reserved domain.
    Ngrok,
    /// `tailscale funnel PORT`: `https://<machine>.<tailnet>.ts.net`, stable.
    TailscaleFunnel,
    /// Any other program that prints its public URL (tests, relays).
    Custom,
}

impl TunnelKind {
    /// The executable looked up on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            TunnelKind::CloudflaredQuick | TunnelKind::CloudflaredNamed => "cloudflared",
            TunnelKind::Ngrok => "ngrok",
            TunnelKind::TailscaleFunnel => "tailscale",
            TunnelKind::Custom => "tunnel",
        }
    }

    /// How the UI names it.
    pub fn label(self) -> &'static str {
        match self {
            TunnelKind::CloudflaredQuick => "Cloudflare quick tunnel",
            TunnelKind::CloudflaredNamed => "Cloudflare named tunnel",
            TunnelKind::Ngrok => "ngrok",
            TunnelKind::TailscaleFunnel => "Tailscale Funnel",
            TunnelKind::Custom => "the tunnel program",
        }
    }

    /// Where to get the tool.
    pub fn install_hint(self) -> &'static str {
        match self {
            TunnelKind::CloudflaredQuick | TunnelKind::CloudflaredNamed => {
                "install cloudflared from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/"
            }
            TunnelKind::Ngrok => "install ngrok from https://ngrok.com/download and run `ngrok config add-authtoken …` once",
            TunnelKind::TailscaleFunnel => "install Tailscale from https://tailscale.com/download and enable Funnel for this machine",
            TunnelKind::Custom => "check the program's path",
        }
    }
}

/// How to start one tunnel. `{port}` in `args` becomes the listener's local
/// port and `{local_url}` becomes `http://127.0.0.1:{port}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelSpec {
    pub kind: TunnelKind,
    /// A bare name is looked up on `PATH`; a path is used as is.
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Whether the public URL stays the same across starts.
    pub stable: bool,
    /// The public URL when it is known beforehand (a named tunnel's
    /// hostname): URLs in the output are then not read.
    pub fixed_url: Option<String>,
    /// With `fixed_url`: the output fragment that says the tunnel is up.
    /// Without one, a tool that is still running after two seconds is up.
    pub ready_marker: Option<String>,
}

fn one_word(value: &str, what: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::Invalid(format!("invalid {what} {value:?}: it is one word, without spaces")));
    }
    Ok(v.to_string())
}

/// `example.com`, `https://example.com/` → `example.com`.
fn bare_host(value: &str, what: &str) -> Result<String> {
    let v = value.trim();
    let v = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://")).unwrap_or(v).trim_end_matches('/');
    let v = one_word(v, what)?;
    if v.contains('/') || v.contains('?') || v.contains('#') {
        return Err(Error::Invalid(format!("invalid {what} {value:?}: give the host name only, e.g. inbox.example.com")));
    }
    Ok(v)
}

impl TunnelSpec {
    /// A Cloudflare quick tunnel (no account; the URL changes every start).
    pub fn cloudflared_quick() -> TunnelSpec {
        TunnelSpec {
            kind: TunnelKind::CloudflaredQuick,
            program: PathBuf::from("cloudflared"),
            args: ["tunnel", "--no-autoupdate", "--url", "{local_url}"].map(String::from).to_vec(),
            stable: false,
            fixed_url: None,
            ready_marker: None,
        }
    }

    /// A named Cloudflare tunnel `name` whose DNS route is `hostname`
    /// (`cloudflared tunnel route dns NAME HOSTNAME` done once): stable.
    pub fn cloudflared_named(name: &str, hostname: &str) -> Result<TunnelSpec> {
        let name = one_word(name, "tunnel name")?;
        let host = bare_host(hostname, "tunnel hostname")?;
        Ok(TunnelSpec {
            kind: TunnelKind::CloudflaredNamed,
            program: PathBuf::from("cloudflared"),
            args: vec!["tunnel".into(), "--no-autoupdate".into(), "run".into(), "--url".into(), "{local_url}".into(), name],
            stable: true,
            fixed_url: Some(format!("https://{host}")),
            ready_marker: Some("Registered tunnel connection".into()),
        })
    }

    /// ngrok, with a reserved domain (stable) or without (a random URL).
    pub fn ngrok(reserved_domain: Option<&str>) -> Result<TunnelSpec> {
        let mut args: Vec<String> = ["http", "{port}", "--log", "stdout", "--log-format", "json"].map(String::from).to_vec();
        let domain = reserved_domain.map(str::trim).filter(|d| !d.is_empty()).map(|d| bare_host(d, "ngrok domain")).transpose()?;
        if let Some(d) = &domain {
            args.push("--url".into());
            args.push(format!("https://{d}"));
        }
        Ok(TunnelSpec { kind: TunnelKind::Ngrok, program: PathBuf::from("ngrok"), args, stable: domain.is_some(), fixed_url: None, ready_marker: None })
    }

    /// Tailscale Funnel (stable: the machine's `ts.net` name).
    pub fn tailscale_funnel() -> TunnelSpec {
        TunnelSpec {
            kind: TunnelKind::TailscaleFunnel,
            program: PathBuf::from("tailscale"),
            args: vec!["funnel".into(), "{port}".into()],
            stable: true,
            fixed_url: None,
            ready_marker: None,
        }
    }

    /// Any program that prints its public URL (any `http(s)://` URL other
    /// than the listener's own; `https` preferred).
    pub fn custom(program: impl Into<PathBuf>, args: Vec<String>, stable: bool) -> TunnelSpec {
        TunnelSpec { kind: TunnelKind::Custom, program: program.into(), args, stable, fixed_url: None, ready_marker: None }
    }

    /// The same spec with another executable (a path or a name on `PATH`).
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> TunnelSpec {
        self.program = program.into();
        self
    }

    /// The arguments for a listener on `local_port`.
    pub fn args_for(&self, local_port: u16) -> Vec<String> {
        let local_url = format!("http://127.0.0.1:{local_port}");
        self.args.iter().map(|a| a.replace("{local_url}", &local_url).replace("{port}", &local_port.to_string())).collect()
    }

    pub(crate) fn name(&self) -> String {
        match self.kind {
            TunnelKind::Custom => {
                let n = self.program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if n.is_empty() {
                    "the tunnel program".into()
                } else {
                    n
                }
            }
            k => k.program().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::url_explanation;

    #[test]
    fn specs_fill_in_the_port() {
        assert_eq!(TunnelSpec::cloudflared_quick().args_for(8765), ["tunnel", "--no-autoupdate", "--url", "http://127.0.0.1:8765"]);
        let n = TunnelSpec::ngrok(Some("https://shop.ngrok.app/")).unwrap();
        assert!(n.stable);
        assert_eq!(n.args_for(9), ["http", "9", "--log", "stdout", "--log-format", "json", "--url", "https://shop.ngrok.app"]);
        assert!(!TunnelSpec::ngrok(None).unwrap().stable);
        assert_eq!(TunnelSpec::tailscale_funnel().args_for(8765), ["funnel", "8765"]);
        let named = TunnelSpec::cloudflared_named("wicket", "inbox.example.com").unwrap();
        assert_eq!(named.fixed_url.as_deref(), Some("https://inbox.example.com"));
        assert!(named.stable && named.args_for(1).contains(&"wicket".to_string()));
        assert!(TunnelSpec::cloudflared_named("two words", "x.example.com").is_err());
        assert!(TunnelSpec::cloudflared_named("w", "x.example.com/path").is_err());
        assert!(!url_explanation(false).is_empty() && url_explanation(true) != url_explanation(false));
    }
}
