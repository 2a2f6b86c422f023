#!/usr/bin/env bash
# The Debian package as a shop owner gets it: built by `tauri build` (debug
# profile here, reusing the test build; a release is `tauri build`), its
# metadata checked (dependencies, recommended fonts, the desktop entry with
# desktop-file-validate, every icon size, the AppStream metainfo with
# appstreamcli), installed with apt as root, `wicket --version` and the
# installed app run from their installed paths (the window opens on a fresh
# home and shows the setup wizard, photographed; with an account, start at
# login from Settings writes an autostart entry for /usr/bin/wicket-desktop,
# and the tray icon registers with a tray host),
# then removed: the owner's data stays.
#
#   bash tests/package/deb.sh [OUT_DIR]    (needs root or sudo, Xvfb, imagemagick, xdotool,
#                                           desktop-file-utils, appstream, dpkg-dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
target="${CARGO_TARGET_DIR:-$PWD/target}"
version="$(cargo metadata --no-deps --format-version 1 --locked | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "wicket-desktop"))')"
deb="$target/debug/bundle/deb/wicket_${version}_amd64.deb"
rpm="$target/debug/bundle/rpm/wicket-${version}-1.x86_64.rpm"
[ -f "$deb" ] || { echo "no $deb: run ui/node_modules/.bin/tauri build --debug --bundles deb,rpm first" >&2; exit 1; }
[ -f "$rpm" ] || { echo "no $rpm" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "$*" >&2; exit 1; }

echo "== metadata of $(basename "$deb")"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = wicket ] || fail "package name: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "package version $(field Version), workspace $version"
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
  field Depends | grep -q "$dep" || fail "Depends lacks $dep: $(field Depends)"
done
for font in fonts-noto-cjk fonts-noto-color-emoji; do
  field Recommends | grep -q "$font" || fail "Recommends lacks $font: $(field Recommends)"
done
dpkg-deb -x "$deb" "$work/root"
for f in usr/bin/wicket-desktop usr/bin/wicket usr/share/applications/wicket.desktop usr/share/metainfo/app.wicket.inbox.metainfo.xml; do
  [ -e "$work/root/$f" ] || fail "the package has no /$f"
done
for size in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512; do
  [ -f "$work/root/usr/share/icons/hicolor/$size/apps/wicket-desktop.png" ] || fail "no $size icon"
done
desktop="$work/root/usr/share/applications/wicket.desktop"
desktop-file-validate "$desktop" || fail "the desktop entry does not validate"
grep -qx 'Categories=Network;Chat;InstantMessaging;' "$desktop" || fail "desktop entry categories: $(grep Categories "$desktop")"
grep -qx 'StartupWMClass=wicket-desktop' "$desktop" || fail "desktop entry has no StartupWMClass"
grep -qx 'Name=Wicket' "$desktop" || fail "the menu does not call it Wicket: $(grep '^Name=' "$desktop")"
appstreamcli validate --no-net --pedantic "$work/root/usr/share/metainfo/app.wicket.inbox.metainfo.xml" || fail "the metainfo does not validate"
rpm_name="$(python3 - "$rpm" <<'PYEOF'
import sys
# The RPM lead: magic, then the name (NEVR) at offset 10, NUL-terminated.
data = open(sys.argv[1], "rb").read(96)
assert data[:4] == b"\xed\xab\xee\xdb", "not an RPM file"
print(data[10:76].split(b"\0")[0].decode())
PYEOF
)"
[[ "$rpm_name" == wicket* ]] || fail "the RPM names itself $rpm_name"
echo "deb: Depends $(field Depends); Recommends $(field Recommends); desktop entry and metainfo valid; icons 16–512; rpm $rpm_name"

echo "== apt install ./$(basename "$deb")"
cp "$deb" "$work/wicket.deb"
chmod 0644 "$work/wicket.deb"; chmod 0755 "$work"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$work/wicket.deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt could not install the package"; }
trap '$SUDO apt-get remove -y -qq wicket >/dev/null 2>&1 || true; cleanup' EXIT
[ "$(command -v wicket)" = /usr/bin/wicket ] || fail "wicket is not on the PATH at /usr/bin/wicket: $(command -v wicket || echo none)"
/usr/bin/wicket --version | grep -q "$version" || fail "wicket --version: $(/usr/bin/wicket --version)"
echo "installed: $(/usr/bin/wicket --version | head -n 1)"

echo "== the installed app, from its installed path, on a fresh home"
display=":$(( 90 + RANDOM % 100 ))"
Xvfb "$display" -screen 0 1200x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || sleep 1
home="$work/home"
mkdir -p "$home"
# The id of the window titled Wicket, waiting up to 20 s for it (empty if none came).
window_id() {
  local w=""
  for _ in $(seq 100); do
    w="$(DISPLAY="$display" xdotool search --name '^Wicket$' 2>/dev/null | head -n 1 || true)"
    [ -n "$w" ] && break
    sleep 0.2
  done
  echo "$w"
}
env -u WICKET_DATA_DIR -u WICKET_SECRET_STORE -u WICKET_VAULT_PASSPHRASE HOME="$home" XDG_DATA_HOME= DISPLAY="$display" NO_AT_BRIDGE=1 \
  dbus-run-session -- /usr/bin/wicket-desktop >"$work/app.log" 2>&1 &
session=$!
pids+=("$session")
wid="$(window_id)"
[ -n "$wid" ] || { cat "$work/app.log" >&2; fail "the installed app's window did not open"; }
sleep 3 # the page loads
DISPLAY="$display" import -window root "$out/installed-wizard.png"
data="$home/.local/share/app.wicket.inbox"
[ -f "$data/wicket.db" ] || fail "the installed app made no store in the platform data dir ($data)"
colours="$(convert "$out/installed-wizard.png" -format '%k' info:)"
[ "$colours" -gt 50 ] || fail "the installed app's window looks blank ($colours colours)"
# A fresh home has no account: the store says so, and the window shows the wizard.
accounts="$(/usr/bin/wicket --data-dir "$data" account list --json)"
[ "$accounts" = "[]" ] || fail "a fresh install should have no account: $accounts"
wm_class="$(DISPLAY="$display" xprop -id "$wid" WM_CLASS 2>/dev/null || true)"
echo "$wm_class" | grep -q '"wicket-desktop"' || fail "WM_CLASS $wm_class does not match StartupWMClass=wicket-desktop"
child="$(pgrep -P "$session" -x wicket-desktop || true)"
[ -n "$child" ] && kill "$child" 2>/dev/null || true
wait "$session" 2>/dev/null || true
echo "the installed app opened its window ($colours colours; WM_CLASS $wm_class; screenshot $out/installed-wizard.png)"

echo "== start at login from the installed app: the autostart entry runs the installed path"
/usr/bin/wicket --data-dir "$data" account add demo >/dev/null
# This session has a tray host (the tests' fake StatusNotifierWatcher), so the tray is tried too.
env -u WICKET_DATA_DIR -u WICKET_SECRET_STORE -u WICKET_VAULT_PASSPHRASE HOME="$home" XDG_DATA_HOME= DISPLAY="$display" NO_AT_BRIDGE=1 \
  FAKE="$PWD/tests/desktop/fake_notifications.py" LOG="$work/tray.jsonl" READY="$work/tray.ready" \
  dbus-run-session -- bash -c '/usr/bin/python3 "$FAKE" "$LOG" --watcher --ready "$READY" & for _ in $(seq 50); do [ -e "$READY" ] && break; sleep 0.1; done; exec /usr/bin/wicket-desktop' \
  >"$work/app2.log" 2>&1 &
session=$!
pids+=("$session")
wid="$(window_id)"
[ -n "$wid" ] || { cat "$work/app2.log" >&2; fail "the installed app's window did not open again"; }
sleep 3
# The rail's gear (bottom left), then "Start Wicket when I log in" in Settings → Window
# (as tests/desktop/notifications.sh does on the debug build).
DISPLAY="$display" xdotool mousemove --window "$wid" 38 770 click 1
sleep 1.5
DISPLAY="$display" xdotool mousemove --window "$wid" 350 482 click 1
entry=""
for _ in $(seq 50); do
  entry="$(ls "$home/.config/autostart/"*.desktop 2>/dev/null | head -n 1 || true)"
  [ -n "$entry" ] && break
  sleep 0.2
done
DISPLAY="$display" import -window root "$out/installed-settings.png"
[ -n "$entry" ] || fail "no autostart entry after switching start at login on (screenshot $out/installed-settings.png)"
grep -q '^Exec=/usr/bin/wicket-desktop' "$entry" || { cat "$entry" >&2; fail "the autostart entry does not run the installed app"; }
child="$(pgrep -P "$session" -x wicket-desktop || true)"
[ -n "$child" ] && kill "$child" 2>/dev/null || true
wait "$session" 2>/dev/null || true
echo "start at login writes $(basename "$entry") with Exec=$(grep '^Exec=' "$entry" | cut -d= -f2-)"
grep -q '"RegisterStatusNotifierItem"' "$work/tray.jsonl" 2>/dev/null || { cat "$work/tray.jsonl" "$work/app2.log" >&2 2>/dev/null; fail "the installed app's tray icon did not register with the tray host"; }
grep -qs 'tray icon installed' "$data"/logs/desktop.log* || fail "the installed app did not install its tray icon"
echo "the installed app's tray icon registered with the tray host"

echo "== apt remove: the program goes, the owner's data stays"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq wicket >/dev/null
[ ! -e /usr/bin/wicket ] && [ ! -e /usr/bin/wicket-desktop ] || fail "the program files are still there after removal"
[ -f "$data/wicket.db" ] || fail "removing the package removed the owner's data"
echo "removed; $data is kept"
