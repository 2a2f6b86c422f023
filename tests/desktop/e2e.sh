#!/usr/bin/env bash
# The real window end to end through WebDriver (see e2e.py): Xvfb, a private
# D-Bus session whose Notify calls dbus-monitor records, tauri-driver.
#
#   bash tests/desktop/e2e.sh [OUT_DIR]
#
# Needs: the debug builds of wicket-desktop and wicket, tauri-driver
# (cargo install tauri-driver --locked), webkit2gtk-driver, xvfb, dbus.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-$PWD/target/artifacts/e2e}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$out"
export APP="$target/debug/wicket-desktop" WICKET="$target/debug/wicket" OUT="$out"
[ -x "$APP" ] && [ -x "$WICKET" ] || { echo "build wicket-desktop and wicket first" >&2; exit 1; }
export NOTIFY_LOG="$out/notifications.log"
: > "$NOTIFY_LOG"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- sh -c '
  dbus-monitor --session "type='"'"'method_call'"'"',interface='"'"'org.freedesktop.Notifications'"'"'" > "$NOTIFY_LOG" 2>&1 &
  monitor=$!
  python3 tests/desktop/e2e.py "$APP" "$WICKET" "$OUT" "$NOTIFY_LOG"
  status=$?
  kill $monitor 2>/dev/null
  exit $status
'
