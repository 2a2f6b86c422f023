#!/usr/bin/env bash
# End to end in the real window through WebDriver (tauri-driver +
# WebKitWebDriver) under Xvfb on a private D-Bus session, against a fake Meta
# Graph API: a signed webhook appears in the list with a Notify call on the
# bus, a reply from the composer reaches the fake, status webhooks move the
# ticks (tests/desktop/e2e.py). Screenshots go to OUT_DIR.
#
#   bash tests/desktop/e2e.sh [OUT_DIR]
#
# Needs: the debug build (ui/node_modules/.bin/tauri build --debug --no-bundle), wicket, tauri-driver (cargo install tauri-driver
# --locked), webkit2gtk-driver, xvfb (xvfb-run), dbus.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
app="${WICKET_DESKTOP_BIN:-$target/debug/wicket-desktop}"
wicket="${WICKET_BIN:-$target/debug/wicket}"
[ -x "$app" ] || { echo "no $app: build it first" >&2; exit 1; }
[ -x "$wicket" ] || cargo build --quiet --locked -p wicket-cli
command -v tauri-driver >/dev/null || export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v tauri-driver >/dev/null || { echo "no tauri-driver: cargo install tauri-driver --locked" >&2; exit 1; }
command -v WebKitWebDriver >/dev/null || { echo "no WebKitWebDriver: apt-get install webkit2gtk-driver" >&2; exit 1; }
out="${1:-$(mktemp -d)}"
# Debian's python3 (urllib only; the D-Bus side is dbus-monitor).
xvfb-run -a -s "-screen 0 1200x800x24 -nolisten tcp" dbus-run-session -- /usr/bin/python3 tests/desktop/e2e.py "$app" "$wicket" "$out"
