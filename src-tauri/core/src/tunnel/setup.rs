//! The public-address step's helpers: the listener address, the spec of the
//! tool the owner picked, and the manual step for each provider.

use super::detect::{not_installed, InstalledTool};
use super::spec::TunnelSpec;
use crate::error::{Error, Result};
use crate::model::Provider;
use crate::providers::meta::registration::meta_manual_step;
use crate::secrets::Secret;

/// Where the webhook listener binds when the owner has not said.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// Parses a listener address, and says plainly when it is reachable from
/// other machines (anything but loopback).
pub fn parse_listen(value: &str) -> Result<(std::net::SocketAddr, Option<String>)> {
    let addr: std::net::SocketAddr =
        value.trim().parse().map_err(|_| Error::Invalid(format!("the listener address must be ADDR:PORT such as {DEFAULT_LISTEN}, got {value:?}")))?;
    let warning = (!addr.ip().is_loopback()).then(|| {
        format!(
            "{addr} is reachable from other machines on your network, not only through the tunnel. Wicket accepts only signed requests, but prefer {DEFAULT_LISTEN} behind a tunnel"
        )
    });
    Ok((addr, warning))
}

/// How to start `kind` (`cloudflared`, `cloudflared_named`, `ngrok`,
/// `funnel`) with the tools installed: the installed executable, or an
/// error naming where to get it. A named tunnel needs its name and hostname.
pub fn spec_for(kind: &str, installed: &[InstalledTool], named: Option<(&str, &str)>) -> Result<TunnelSpec> {
    let spec = match kind {
        "cloudflared" => TunnelSpec::cloudflared_quick(),
        "cloudflared_named" => {
            let (name, host) = named.ok_or_else(|| Error::Invalid("a named Cloudflare tunnel needs its name and hostname".into()))?;
            TunnelSpec::cloudflared_named(name, host)?
        }
        "ngrok" => TunnelSpec::ngrok(named.map(|(_, host)| host))?,
        "funnel" | "tailscale" => TunnelSpec::tailscale_funnel(),
        other => return Err(Error::Invalid(format!("unknown tunnel {other:?}: use cloudflared, cloudflared_named, ngrok or funnel"))),
    };
    match installed.iter().find(|t| t.kinds.contains(&spec.kind)) {
        Some(t) => Ok(spec.with_program(&t.path)),
        None => Err(not_installed(&spec)),
    }
}

/// What to paste where for `provider`'s webhook at `callback_url`, when
/// Wicket cannot register it itself (`verify_token`: Meta's).
pub fn manual_step(provider: Provider, callback_url: &str, verify_token: Option<&Secret>) -> Option<String> {
    match provider {
        Provider::Meta => Some(match verify_token {
            Some(t) => meta_manual_step(callback_url, t),
            None => format!("In Meta's App Dashboard → WhatsApp → Configuration, set Callback URL to {callback_url} with this account's verify token, press \"Verify and save\", then subscribe to the \"messages\" webhook field."),
        }),
        Provider::Wasender => Some(format!(
            "In WASender's dashboard → your session → Webhook, set the URL to {callback_url}, enable it with the message events, \
then copy the session's webhook secret into Wicket (account settings)."
        )),
        Provider::Unipile | Provider::Demo => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::TunnelKind;
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_listener_address_is_checked_and_beyond_loopback_is_warned_about() {
        let (addr, warning) = parse_listen(DEFAULT_LISTEN).unwrap();
        assert_eq!(addr.port(), 8765);
        assert!(warning.is_none(), "loopback needs no warning");
        let (_, warning) = parse_listen("0.0.0.0:8765").unwrap();
        assert!(warning.unwrap().contains("reachable from other machines"));
        assert!(parse_listen("[::1]:9").unwrap().1.is_none());
        assert!(matches!(parse_listen("localhost"), Err(Error::Invalid(m)) if m.contains("ADDR:PORT")));
    }

    #[test]
    fn a_tunnel_is_started_only_with_an_installed_tool() {
        let tool = InstalledTool {
            program: "cloudflared",
            path: PathBuf::from("/opt/cf/cloudflared"),
            kinds: vec![TunnelKind::CloudflaredQuick, TunnelKind::CloudflaredNamed],
        };
        let spec = spec_for("cloudflared", &[tool], None).unwrap();
        assert_eq!(spec.program, PathBuf::from("/opt/cf/cloudflared"));
        assert!(!spec.stable);
        assert!(matches!(spec_for("ngrok", &[], None), Err(Error::NotFound(m)) if m.contains("install ngrok")));
        assert!(matches!(spec_for("telnet", &[], None), Err(Error::Invalid(_))));
        let meta = manual_step(Provider::Meta, "https://x.example/webhooks/meta/1", Some(&Secret::new("vt".into()))).unwrap();
        assert!(meta.contains("Callback URL to https://x.example/webhooks/meta/1") && meta.contains("Verify token to vt"));
        assert!(manual_step(Provider::Wasender, "https://x.example/webhooks/wasender/2", None).unwrap().contains("WASender's dashboard"));
        assert!(manual_step(Provider::Unipile, "https://x", None).is_none(), "UniPile is polled");
    }
}
