//! Finding the installed tunnel tools on `PATH` (no network, nothing
//! started), and the error that says where to get a missing one.

use super::spec::{TunnelKind, TunnelSpec};
use crate::error::Error;
use serde::Serialize;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A tunnel tool found on `PATH`, and the kinds of tunnel it can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledTool {
    pub program: &'static str,
    pub path: PathBuf,
    pub kinds: Vec<TunnelKind>,
}

/// The tunnel tools installed on this machine (a `PATH` lookup, no network,
/// nothing started).
pub fn detect() -> Vec<InstalledTool> {
    detect_in(std::env::var_os("PATH").as_deref())
}

/// [`detect`] with an explicit `PATH` value.
pub fn detect_in(path_var: Option<&OsStr>) -> Vec<InstalledTool> {
    let tools: [(&'static str, &[TunnelKind]); 3] = [
        ("cloudflared", &[TunnelKind::CloudflaredQuick, TunnelKind::CloudflaredNamed]),
        ("ngrok", &[TunnelKind::Ngrok]),
        ("tailscale", &[TunnelKind::TailscaleFunnel]),
    ];
    tools
        .into_iter()
        .filter_map(|(program, kinds)| find_on_path(OsStr::new(program), path_var).map(|path| InstalledTool { program, path, kinds: kinds.to_vec() }))
        .collect()
}

/// The spec to offer first among the installed tools: stable before
/// changing (Funnel), then the account-free Cloudflare quick tunnel, then ngrok.
pub fn suggested_spec(installed: &[InstalledTool]) -> Option<TunnelSpec> {
    let has = |p: &str| installed.iter().find(|t| t.program == p);
    if let Some(t) = has("tailscale") {
        return Some(TunnelSpec::tailscale_funnel().with_program(&t.path));
    }
    if let Some(t) = has("cloudflared") {
        return Some(TunnelSpec::cloudflared_quick().with_program(&t.path));
    }
    has("ngrok").and_then(|t| TunnelSpec::ngrok(None).ok().map(|s| s.with_program(&t.path)))
}

fn is_executable(p: &Path) -> bool {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                true
            }
        }
        _ => false,
    }
}

fn find_on_path(name: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let path_var = path_var?;
    let exts: &[&str] = if cfg!(windows) { &["", ".exe", ".cmd", ".bat"] } else { &[""] };
    for dir in std::env::split_paths(path_var) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        for ext in exts {
            let mut file = name.to_os_string();
            file.push(ext);
            let candidate = dir.join(&file);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The executable to run: a path as is (if it exists), a bare name from `PATH`.
pub fn resolve_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return is_executable(program).then(|| program.to_path_buf());
    }
    find_on_path(program.as_os_str(), std::env::var_os("PATH").as_deref())
}

pub fn not_installed(spec: &TunnelSpec) -> Error {
    let program = spec.program.display();
    let where_ = if spec.program.components().count() > 1 {
        format!("{program} does not exist or is not executable")
    } else {
        format!("{program} was not found on PATH")
    };
    Error::NotFound(format!("{} is not installed: {where_}; {}", spec.kind.label(), spec.kind.install_hint()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_looks_on_the_path_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(detect_in(Some(dir.path().as_os_str())).is_empty());
        assert!(detect_in(None).is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let tool = dir.path().join("ngrok");
            std::fs::write(&tool, "#!/bin/sh\n").unwrap();
            assert!(detect_in(Some(dir.path().as_os_str())).is_empty(), "not executable: not a tool");
            std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
            let found = detect_in(Some(dir.path().as_os_str()));
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].program, "ngrok");
            assert_eq!(found[0].kinds, [TunnelKind::Ngrok]);
            assert_eq!(suggested_spec(&found).map(|s| s.program), Some(tool));
        }
    }
}
