#!/usr/bin/env bash
# Runs every Wicket test on a Debian 12 machine with Rust stable, installing
# what is missing first. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build outside the clone so later runs of this checkout are incremental.
# One target dir per checkout path: cargo fingerprints path crates by their
# path relative to the workspace, so two checkouts sharing a target dir can
# reuse each other's stale builds.
checkout_key=$(pwd | sha256sum | cut -c1-12)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/wicket-target/$checkout_key}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR=never
# Tests below give processes a throwaway HOME; keep the toolchain where it is.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

# System packages: a D-Bus session and gnome-keyring for the real Secret
# Service tests, secret-tool to look inside it.
packages=(dbus dbus-x11 gnome-keyring libsecret-tools ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- desktop app: system packages (begin) ----
# WebKitGTK and GTK headers to build wicket-desktop (a workspace member, so
# `cargo test --workspace` below builds it); Chromium for the browser tests;
# Xvfb, xdotool and ImageMagick to open the real window and photograph it
# (Noto CJK and colour emoji, as the package recommends, so every name renders);
# libayatana-appindicator3 for the tray; python3-dbus/gi and curl for the
# notification tests (a fake notification server, a signed webhook).
desktop_packages=(libwebkit2gtk-4.1-dev build-essential file libxdo-dev librsvg2-dev pkg-config libayatana-appindicator3-dev
  chromium xvfb xauth x11-utils xdotool imagemagick procps fonts-dejavu-core fonts-noto-color-emoji
  python3-dbus python3-gi curl openssl webkit2gtk-driver desktop-file-utils appstream fonts-noto-cjk)
desktop_missing=()
for p in "${desktop_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || desktop_missing+=("$p")
done
if [ "${#desktop_missing[@]}" -gt 0 ]; then
  echo "== installing ${desktop_missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${desktop_missing[@]}" >/dev/null
fi
# ---- desktop app: system packages (end) ----

echo "== the core and the CLI carry no GUI dependency"
if cargo tree -p wicket-cli -e normal --prefix none | grep -Eiq '^(tauri|wry|gtk|webkit|webkit2gtk)[ -]'; then
  echo "wicket-cli depends on a GUI crate:" >&2
  cargo tree -p wicket-cli -e normal --prefix none | grep -Ei '^(tauri|wry|gtk|webkit)' >&2
  exit 1
fi

# ---- lint: formatting, clippy (begin) ----
# Before the tests, so "clippy clean" stays true. Clippy covers the desktop
# package too (a workspace member): it needs the WebKit headers installed above.
for tool in rustfmt clippy; do
  cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$tool"
done
echo "== formatting (cargo fmt --check, rustfmt.toml)"
cargo fmt --all --check

echo "== clippy: every package and target, warnings are errors"
cargo clippy --workspace --all-targets --locked -- -D warnings
# ---- lint: formatting, clippy (end) ----

echo "== unit and integration tests"
cargo test --workspace --locked --no-fail-fast

# The keychain tests in tests/secrets.rs start their own D-Bus session with
# an unlocked gnome-keyring (dbus-run-session), so `cargo test` above ran
# them against the real Secret Service.

# ---- desktop app: UI and window (begin) ----
# The UI's type check runs here: `npm run build` is `tsc --noEmit -p .` (the
# `typecheck` script) then `vite build`, so it is not run a second time.
echo "== desktop UI: install (from package-lock.json), type-check and build (ui/dist)"
# `npm install`, not `npm ci`: the lock lists only the platform binaries the
# registry served (Linux), and `npm ci` refuses a lock without the others.
(cd ui && npm install --no-audit --no-fund --loglevel=error && npm run build)

echo "== desktop UI: browser tests (headless Chromium, IPC mocked with fixtures recorded from the real handlers)"
(cd ui && npm test)

echo "== desktop app: debug build with the bundled UI, and its Debian and RPM packages"
# The conventional command (tauri.conf.json's runner names the desktop package);
# the packages reuse this build (a release is the same command without --debug).
ui/node_modules/.bin/tauri build --debug --bundles deb,rpm -- --locked

echo "== desktop app: the real window under Xvfb (engine in the window, client of wicket serve; screenshots kept as artifacts)"
bash tests/desktop/window.sh "${WICKET_ARTIFACTS:-$CARGO_TARGET_DIR/artifacts}/screenshots"

echo "== desktop app: notifications on a real D-Bus session (Notify seen by dbus-monitor, a click opens the chat) and the tray"
bash tests/desktop/notifications.sh "${WICKET_ARTIFACTS:-$CARGO_TARGET_DIR/artifacts}/screenshots"

echo "== desktop app: end to end through WebDriver (webhook → list + Notify, reply → fake Graph API, status webhooks → ticks)"
command -v tauri-driver >/dev/null || cargo install tauri-driver --version "^2" --locked
bash tests/desktop/e2e.sh "${WICKET_ARTIFACTS:-$CARGO_TARGET_DIR/artifacts}/screenshots"

echo "== the Debian package: metadata, apt install, the installed app and wicket from their installed paths, apt remove"
bash tests/package/deb.sh "${WICKET_ARTIFACTS:-$CARGO_TARGET_DIR/artifacts}/screenshots"
# ---- desktop app: UI and window (end) ----
