//! Tauri's build step for the desktop package: reads `tauri.conf.json` at the
//! root and the capabilities under `src-tauri/capabilities`. Declaring the
//! app's commands makes each one a permission (`allow-<command>`), so the
//! capability file grants exactly these and nothing else.
//!
//! tauri-build writes what it generates (JSON schemas under `gen/`, the
//! command permissions under `permissions/`) relative to the working
//! directory, which would put two folders at the repository's top level. On
//! Unix it runs in a folder of `OUT_DIR` instead, where `Cargo.toml` (which it
//! reads from the working directory) is a link to the real one; every other
//! input is named by an absolute path.

use std::path::PathBuf;

include!("app/command_names.rs");

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    #[cfg(unix)]
    {
        let work = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("tauri-build");
        std::fs::create_dir_all(&work).expect("create the tauri-build folder in OUT_DIR");
        let link = work.join("Cargo.toml");
        if std::fs::read_link(&link).ok().as_deref() != Some(root.join("Cargo.toml").as_path()) {
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(root.join("Cargo.toml"), &link).expect("link Cargo.toml into OUT_DIR");
        }
        std::env::set_current_dir(&work).expect("enter the tauri-build folder in OUT_DIR");
    }

    let capabilities = root.join("src-tauri/capabilities");
    println!("cargo:rerun-if-changed={}", capabilities.display());
    // Patterns live as long as the build script; leaking them is the simple way.
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let capability_files = leak(format!("{}/**/*", capabilities.display()));
    // Hand-written app permissions would go here (none yet): naming the folder
    // keeps tauri-build from watching a relative `permissions` path.
    let permission_files = leak(format!("{}/src-tauri/permissions/*.toml", root.display()));

    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path(root.join("tauri.conf.json"))
            .capabilities_path_pattern(capability_files)
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS).permissions_path_pattern(permission_files)),
    )
    .expect("tauri build step");
}
