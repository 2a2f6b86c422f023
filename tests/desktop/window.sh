#!/usr/bin/env bash
# The real window (the debug build of wicket-desktop) under Xvfb, on a data
# dir seeded with the sample bakery inbox:
# 1. it opens, runs the engine itself, opens the pinned conversation from the
#    keyboard, and is photographed in the light and the dark theme (fails
#    when the window does not come up, is blank, or the chat did not open);
# 2. with `wicket serve` already running on the data dir, it works as its
#    client and says who sends;
# 3. on a desktop with no keychain (no Secret Service on any bus), it asks
#    to create the vault instead of stopping: the passphrase is typed into
#    the real dialog, the vault is written and the engine runs.
#
#   bash tests/desktop/window.sh [OUT_DIR]     (screenshots; default: docs/screenshots)
#
# Needs: the debug build (ui/node_modules/.bin/tauri build --debug --no-bundle), xvfb, xauth, x11-utils, imagemagick, xdotool, dbus,
# gnome-keyring, fonts-dejavu-core (fonts-noto-color-emoji for emoji).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-docs/screenshots}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
app="${WICKET_DESKTOP_BIN:-$target/debug/wicket-desktop}"
[ -x "$app" ] || { echo "no $app: build it first" >&2; exit 1; }
wicket="${WICKET_BIN:-$target/debug/wicket}"
mkdir -p "$out"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== seeding a sample inbox"
cargo run --quiet --locked -p wicket-desktop --example seed -- "$work/seed" --showcase

display=":$(( 90 + RANDOM % 100 ))"
Xvfb "$display" -screen 0 1200x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || sleep 1

# shot THEME FILE: runs the app, clicks the first conversation, saves a PNG.
shot() {
  local theme="$1" file="$2" gtk_theme="Adwaita"
  [ "$theme" = dark ] && gtk_theme="Adwaita:dark"
  mkdir -p "$work/home-$theme"
  # Each theme on its own copy: opening a chat reads it.
  cp -r "$work/seed" "$work/data-$theme"
  # A private session bus with an unlocked gnome-keyring: the window runs
  # the engine itself, as on a desktop.
  HOME="$work/home-$theme" DISPLAY="$display" GTK_THEME="$gtk_theme" WICKET_DATA_DIR="$work/data-$theme" \
    NO_AT_BRIDGE=1 APP="$app" dbus-run-session -- sh -c \
    'echo -n screenshots | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$APP"' \
    >"$work/app-$theme.log" 2>&1 &
  local session=$!
  pids+=("$session")
  local wid=""
  for _ in $(seq 100); do
    wid="$(DISPLAY="$display" xdotool search --name '^Wicket$' 2>/dev/null | head -n 1 || true)"
    [ -n "$wid" ] && break
    sleep 0.2
  done
  [ -n "$wid" ] || { echo "the window did not open ($theme)" >&2; cat "$work/app-$theme.log" >&2; exit 1; }
  sleep 3 # the page loads and the list renders
  # Open the first conversation (the pinned one) from the keyboard, as the
  # owner would: Alt+Down moves through the list.
  # (Without a window manager the keyboard follows the pointer: click into
  # the empty chat pane, then type through XTEST.)
  DISPLAY="$display" xdotool mousemove --window "$wid" 800 600 click 1
  sleep 0.3
  DISPLAY="$display" xdotool key alt+Down
  sleep 1.5
  sleep 0.3
  DISPLAY="$display" import -window root "$file"
  # The app's own pid is dbus-run-session's child: end it by its pid.
  local child
  child="$(pgrep -P "$session" -x wicket-desktop || true)"
  [ -n "$child" ] && kill "$child" 2>/dev/null || true
  wait "$session" 2>/dev/null || true
  # A blank window is one colour: a rendered inbox has many, and so has the
  # chat pane once the conversation is open (its placeholder text has few).
  local colours chat
  colours="$(convert "$file" -format '%k' info:)"
  chat="$(convert "$file" -crop 700x600+450+100 -format '%k' info:)"
  [ "$colours" -gt 50 ] || { echo "$file looks blank ($colours colours)" >&2; exit 1; }
  [ "$chat" -gt 100 ] || { echo "$file: the conversation did not open ($chat colours in the chat pane)" >&2; exit 1; }
  # The webview is ephemeral: WebKit keeps nothing in Wicket's data dir.
  if ls "$work/data-$theme" | grep -qiE 'webkit|cachestorage|storage$|hsts'; then
    echo "WebKit wrote into the data dir:" >&2; ls "$work/data-$theme" >&2; exit 1
  fi
  grep -q 'state=Running' "$work/data-$theme"/logs/desktop.log* || {
    echo "the window did not start the engine:" >&2; cat "$work/data-$theme"/logs/desktop.log* >&2; exit 1; }
  echo "saved $file ($colours colours, $chat in the chat pane; the engine ran in the window)"
}

shot light "$out/main-light.png"
shot dark "$out/main-dark.png"

echo "== with \`wicket serve\` holding the engine lock, the window is its client"
[ -n "${WICKET_BIN:-}" ] || cargo build --quiet --locked -p wicket-cli
cp -r "$work/seed" "$work/data-client"
WICKET_SECRET_STORE=vault WICKET_VAULT_PASSPHRASE=window-test \
  "$wicket" --data-dir "$work/data-client" serve --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
serve=$!
pids+=("$serve")
for _ in $(seq 50); do grep -q listening "$work/serve.log" && break; sleep 0.2; done
grep -q listening "$work/serve.log" || { echo "wicket serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
mkdir -p "$work/home-client"
HOME="$work/home-client" DISPLAY="$display" WICKET_DATA_DIR="$work/data-client" NO_AT_BRIDGE=1 \
  APP="$app" dbus-run-session -- sh -c 'exec "$APP"' >"$work/app-client.log" 2>&1 &
session=$!
pids+=("$session")
found=""
for _ in $(seq 50); do
  grep -q "state=Elsewhere.*pid $serve" "$work/data-client"/logs/desktop.log* 2>/dev/null && { found=1; break; }
  sleep 0.2
done
child="$(pgrep -P "$session" -x wicket-desktop || true)"
[ -n "$child" ] && kill "$child" 2>/dev/null || true
kill "$serve" 2>/dev/null || true
wait "$session" "$serve" 2>/dev/null || true
[ -n "$found" ] || { echo "the window did not report wicket serve (pid $serve) as the engine:" >&2; cat "$work/data-client"/logs/desktop.log* >&2; exit 1; }
echo "the window names wicket serve (pid $serve) as the engine and stays a client"

echo "== no keychain: the window asks for a new vault passphrase, then runs the engine"
cp -r "$work/seed" "$work/data-vault"
mkdir -p "$work/home-vault"
# No session bus at all: no Secret Service can answer (nor be activated).
env -u WICKET_SECRET_STORE -u WICKET_VAULT_PASSPHRASE HOME="$work/home-vault" DISPLAY="$display" WICKET_DATA_DIR="$work/data-vault" \
  DBUS_SESSION_BUS_ADDRESS="unix:path=$work/no-bus" NO_AT_BRIDGE=1 "$app" >"$work/app-vault.log" 2>&1 &
vault_app=$!
pids+=("$vault_app")
log() { cat "$work/data-vault"/logs/desktop.log* 2>/dev/null || true; }
asked=""
for _ in $(seq 100); do
  log | grep -q 'state=NeedsPassphrase' && { asked=1; break; }
  sleep 0.2
done
[ -n "$asked" ] || { echo "the window did not wait for the vault passphrase:" >&2; log >&2; cat "$work/app-vault.log" >&2; exit 1; }
wid="$(DISPLAY="$display" xdotool search --name '^Wicket$' 2>/dev/null | head -n 1 || true)"
[ -n "$wid" ] || { echo "the window did not open (no keychain)" >&2; exit 1; }
sleep 2 # the dialog renders
DISPLAY="$display" import -window root "$out/vault-create-window.png"
# The new passphrase field has the focus; the pointer gives the window the keyboard.
DISPLAY="$display" xdotool mousemove --window "$wid" 600 240 click 1
sleep 0.3
DISPLAY="$display" xdotool type --delay 20 'copper lantern orbit meadow'
DISPLAY="$display" xdotool key Tab
DISPLAY="$display" xdotool type --delay 20 'copper lantern orbit meadow'
sleep 1 # the strength check answers
DISPLAY="$display" xdotool key Return
ran=""
for _ in $(seq 100); do
  log | grep -q 'state=Running' && { ran=1; break; }
  sleep 0.2
done
sleep 1
DISPLAY="$display" import -window root "$out/vault-unlocked-window.png"
kill "$vault_app" 2>/dev/null || true
wait "$vault_app" 2>/dev/null || true
[ -n "$ran" ] || { echo "the engine did not start after the passphrase was given:" >&2; log >&2; exit 1; }
[ -s "$work/data-vault/secrets.vault" ] || { echo "no vault was written" >&2; exit 1; }
# The dialog closed: the chat pane is its own light grey again, not dimmed by the backdrop.
pane_red="$(convert "$out/vault-unlocked-window.png" -crop 1x1+1100+740 -format '%[fx:int(255*r)]' info:)"
[ "$pane_red" -gt 200 ] || { echo "the dialog is still open after the vault was created (chat pane red=$pane_red)" >&2; exit 1; }
if grep -q 'copper lantern' "$work/data-vault/secrets.vault" "$work/data-vault"/logs/* "$work/app-vault.log"; then
  echo "the passphrase was written somewhere in plain text" >&2; exit 1
fi
echo "the window created the vault from its dialog and started the engine (screenshots: vault-create-window.png, vault-unlocked-window.png)"
