#!/usr/bin/env bash
# Runs every Wicket test on a Debian 12 machine with Rust stable, installing
# what is missing first. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build outside the clone so later runs on the same machine are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/wicket-target}"
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

echo "== the core and the CLI carry no GUI dependency"
if cargo tree -p wicket-cli -e normal --prefix none | grep -Eiq '^(tauri|wry|gtk|webkit|webkit2gtk)[ -]'; then
  echo "wicket-cli depends on a GUI crate:" >&2
  cargo tree -p wicket-cli -e normal --prefix none | grep -Ei '^(tauri|wry|gtk|webkit)' >&2
  exit 1
fi

echo "== unit and integration tests"
cargo test --workspace --locked --no-fail-fast

echo "== the real Secret Service (gnome-keyring on a private D-Bus session)"
export WICKET_TEST_HOME="$(mktemp -d)"
HOME="$WICKET_TEST_HOME" dbus-run-session -- sh -c '
  echo -n ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  WICKET_TEST_KEYCHAIN=1 cargo test -p wicket-core --locked --test secrets keychain
'
rm -rf "$WICKET_TEST_HOME"
