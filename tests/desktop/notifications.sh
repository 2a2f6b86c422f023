#!/usr/bin/env bash
# Notifications and the tray of the real window (the debug build of
# wicket-desktop) under Xvfb, on a private D-Bus session:
#
# 1. a Meta account, its webhook listener on a loopback port; a signed
#    webhook (tests/fixtures/meta_webhooks/meta_webhook_text.json) arrives;
# 2. `dbus-monitor` records the org.freedesktop.Notifications.Notify call:
#    the customer's display name as the summary, the text as the body, and
#    the XDG action "default";
# 3. a fake notification server (fake_notifications.py) answers it and then
#    emits ActionInvoked(id, "default"), as a click does: the window opens
#    that conversation (the UI reads it, so its unread count drops to 0, and
#    reports it as the focused chat);
# 4. the same fake owns org.kde.StatusNotifierWatcher (a tray host): the
#    tray item registers and its label shows the unread count (1, then
#    nothing once read); Settings from the rail's gear (photographed) turns
#    start at login on and off (the autostart entry); a second launch
#    focuses the first window and stops; closing the window hides it
#    instead of quitting;
# 5. without a tray host (second run) closing quits, says so in a
#    notification, and the window's size and position are saved;
# 6. a saved public address that cannot be reached (third run): the
#    self-check at start fails, a notification says so in plain words with
#    a Restart button, pressing it restarts the check, and `wicket monitor`
#    shows the address unreachable.
#
# WICKET_DESKTOP_BIN / WICKET_BIN name other binaries than the target dir's.
#
#   bash tests/desktop/notifications.sh [OUT_DIR]   (screenshots; default: a temp dir)
#
# Needs: the debug build (ui/node_modules/.bin/tauri build --debug --no-bundle), wicket (cargo build -p wicket-cli), xvfb, xdotool,
# imagemagick, dbus, python3-dbus, python3-gi, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
# Debian's python3 has python3-dbus and python3-gi (a pyenv one earlier in PATH may not).
export PY=/usr/bin/python3
target="${CARGO_TARGET_DIR:-$PWD/target}"
app="${WICKET_DESKTOP_BIN:-$target/debug/wicket-desktop}"
wicket="${WICKET_BIN:-$target/debug/wicket}"
[ -x "$app" ] || { echo "no $app: build it first" >&2; exit 1; }
[ -x "$wicket" ] || cargo build --quiet --locked -p wicket-cli

work="$(mktemp -d)"
out="${1:-$work/shots}"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

display=":$(( 90 + RANDOM % 100 ))"
Xvfb "$display" -screen 0 1200x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || sleep 1

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export WICKET_SECRET_STORE=vault WICKET_VAULT_PASSPHRASE=notifications-test
data="$work/data"
echo "== a Meta account with its webhook listener on 127.0.0.1:$port"
WA_TOKEN=test-token WA_APP_SECRET=test_app_secret "$wicket" --data-dir "$data" account add meta --name Shop \
  --phone-number-id 318273645501234 --business-account-id 214365870912345 \
  --token-env WA_TOKEN --app-secret-env WA_APP_SECRET --base-url http://127.0.0.1:9 >"$work/add.log" 2>&1
account="$(tail -n 1 "$work/add.log" | tr -d '[:space:]')"
"$wicket" --data-dir "$data" settings set webhook_listen "127.0.0.1:$port"
body="$root/tests/fixtures/meta_webhooks/meta_webhook_text.json"
signature="sha256=$(openssl dgst -sha256 -hmac test_app_secret -r "$body" | cut -d' ' -f1)"

# The inner script runs inside dbus-run-session: everything on one private bus.
cat >"$work/inner.sh" <<'EOF'
set -euo pipefail
echo "$DBUS_SESSION_BUS_ADDRESS" >"$WORK/bus"
inner_pids=()
trap 'for p in "${inner_pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
dbus-monitor --session "type='method_call',interface='org.freedesktop.Notifications'" \
  "type='signal',interface='org.freedesktop.Notifications'" >"$WORK/monitor.log" 2>&1 &
inner_pids+=($!)
"$PY" "$ROOT/tests/desktop/fake_notifications.py" "$WORK/notify.jsonl" --click-after 4 $FAKE_ARGS --ready "$WORK/fake.ready" &
inner_pids+=($!)
for _ in $(seq 50); do [ -e "$WORK/fake.ready" ] && break; sleep 0.1; done
RUST_LOG=info,wicket_desktop=debug HOME="$WORK/home" NO_AT_BRIDGE=1 "$APP" >"$WORK/app.log" 2>&1 &
app_pid=$!
inner_pids+=($app_pid)
echo "$app_pid" >"$WORK/app.pid"
wait "$app_pid" || true
EOF

# run_app NAME FAKE_ARGS: starts the app on its own session; waits for its engine.
run_app() {
  local name="$1" fake_args="$2"
  rm -f "$work/fake.ready" "$work/app.pid" "$work/notify.jsonl" "$work/monitor.log"
  mkdir -p "$work/home"
  local started
  started="$(cat "$data"/logs/desktop.log* 2>/dev/null | grep -c 'state=Running' || true)"
  DISPLAY="$display" WORK="$work" ROOT="$root" APP="$app" WICKET_DATA_DIR="$data" FAKE_ARGS="$fake_args" \
    dbus-run-session -- bash "$work/inner.sh" >"$work/session-$name.log" 2>&1 &
  session=$!
  pids+=("$session")
  running() { [ "$(cat "$data"/logs/desktop.log* 2>/dev/null | grep -c 'state=Running' || true)" -gt "$started" ] && [ -s "$work/app.pid" ]; }
  for _ in $(seq 150); do
    running && break
    sleep 0.2
  done
  running || { echo "the window did not start its engine ($name):" >&2; cat "$work/app.log" "$data"/logs/desktop.log* >&2 2>/dev/null; exit 1; }
  app_pid="$(cat "$work/app.pid")"
  wid=""
  for _ in $(seq 100); do
    wid="$(DISPLAY="$display" xdotool search --onlyvisible --name '^Wicket$' 2>/dev/null | head -n 1 || true)"
    [ -n "$wid" ] && break
    sleep 0.2
  done
  [ -n "$wid" ] || { echo "the window did not open ($name)" >&2; exit 1; }
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local n="$1" what="$2"; shift 2
  for _ in $(seq $(( n * 5 ))); do "$@" && return 0; sleep 0.2; done
  echo "timed out: $what" >&2
  echo "--- app log" >&2; cat "$data"/logs/desktop.log* >&2 2>/dev/null || true
  echo "--- monitor" >&2; cat "$work/monitor.log" >&2 2>/dev/null || true
  echo "--- fake server" >&2; cat "$work/notify.jsonl" >&2 2>/dev/null || true
  exit 1
}

unread_of() { # the unread count of the webhook's conversation (Priya Raman)
  "$wicket" --data-dir "$data" conversations --json | python3 -c \
    'import json,sys; print(next(c["unread"] for c in json.load(sys.stdin) if "Priya" in c["contact"]["display_name"]))'
}

echo "== the window with a notification server and a tray host"
run_app tray --watcher
sleep 2 # the page loads and subscribes to its events
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H "X-Hub-Signature-256: $signature" --data-binary @"$body" "http://127.0.0.1:$port/webhooks/meta/$account")"
[ "$code" = 200 ] || { echo "the signed webhook was answered $code" >&2; exit 1; }

wait_for 15 "a Notify call on the D-Bus session" bash -c "sed -n '/member=Notify/,\$p' '$work/monitor.log' | grep -Eq '^ *int32 '"
# The monitor prints the call's arguments one per line: app name, id, icon, summary, body, actions.
# (up to its last argument, the timeout: nothing of a later message)
sed -n '/member=Notify/,/^ *int32 /p' "$work/monitor.log" >"$work/notify-call.txt"
grep -q 'string "Wicket"' "$work/notify-call.txt" || { echo "Notify without the app name:" >&2; cat "$work/notify-call.txt" >&2; exit 1; }
grep -q 'string "Priya Raman"' "$work/notify-call.txt" || { echo "Notify without the display name:" >&2; cat "$work/notify-call.txt" >&2; exit 1; }
grep -q 'string "Hi! Is my order #4521 ready for pickup?"' "$work/notify-call.txt" || { echo "Notify without the preview:" >&2; cat "$work/notify-call.txt" >&2; exit 1; }
grep -q 'string "default"' "$work/notify-call.txt" || { echo "Notify without the default action:" >&2; cat "$work/notify-call.txt" >&2; exit 1; }
echo "dbus-monitor saw Notify(\"Wicket\", summary \"Priya Raman\", body the preview, action \"default\")"
[ "$(unread_of)" = 1 ] || { echo "the new message should be unread before the click" >&2; exit 1; }

# The tray item's label (StatusNotifierItem XAyatanaLabel: what Linux shows
# beside the icon) carries the unread count.
tray_label() {
  DBUS_SESSION_BUS_ADDRESS="$(cat "$work/bus")" "$PY" - "$work/notify.jsonl" <<'PYEOF'
import json, sys, dbus
reg = [json.loads(l) for l in open(sys.argv[1]) if '"RegisterStatusNotifierItem"' in l][-1]
path = reg["service"] if reg["service"].startswith("/") else "/StatusNotifierItem"
name = reg["sender"] if reg["service"].startswith("/") else reg["service"]
item = dbus.SessionBus().get_object(name, path)
print(item.Get("org.kde.StatusNotifierItem", "XAyatanaLabel", dbus_interface="org.freedesktop.DBus.Properties"))
PYEOF
}
wait_for 10 "the tray item registering with the tray host" grep -q '"RegisterStatusNotifierItem"' "$work/notify.jsonl"
tray_label_is() { [ "$(tray_label)" = "$1" ]; }  # evaluated on every try, not once
wait_for 5 "the tray label showing 1 unread message" tray_label_is 1
echo "the tray shows 1 unread message"

wait_for 10 "the fake server's click (ActionInvoked)" grep -q '"ActionInvoked"' "$work/notify.jsonl"
wait_for 10 "the shell handling the click" grep -qs 'notification clicked: opening the conversation' "$data"/logs/desktop.log*
unread_is() { [ "$(unread_of)" = "$1" ]; }  # evaluated on every try, not once
wait_for 10 "the UI opening the conversation (read: unread 0)" unread_is 0
conv="$("$wicket" --data-dir "$data" conversations --json | python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin) if "Priya" in c["contact"]["display_name"]))')"
wait_for 10 "the UI reporting the opened chat as focused" grep -qs "focused conversation conversation=Some($conv)" "$data"/logs/desktop.log*
sleep 1
DISPLAY="$display" import -window root "$out/notification-opened.png"
echo "ActionInvoked(default) opened conversation $conv in the window (read, reported focused); screenshot $out/notification-opened.png"
wait_for 5 "the tray label clearing once the chat is read" tray_label_is ""
echo "the tray count cleared once the chat was read"

# The Settings panel from the rail's gear (bottom of the rail), photographed.
DISPLAY="$display" xdotool mousemove --window "$wid" 38 770 click 1
sleep 1.5
DISPLAY="$display" import -window root "$out/settings.png"
[ "$(convert "$out/settings.png" -crop 560x300+320+120 -format '%k' info:)" -gt 20 ] || { echo "the Settings panel did not render" >&2; exit 1; }
echo "screenshot of the Settings panel: $out/settings.png"
# Start at login from the panel: the autostart entry appears, the setting is stored.
# (350, 482): the switch's centre with the panel at its top in a 1200×800 window.
DISPLAY="$display" xdotool mousemove --window "$wid" 350 482 click 1
wait_for 10 "the autostart entry" bash -c "ls '$work/home/.config/autostart/'*.desktop >/dev/null 2>&1"
grep -q "^Exec=.*wicket-desktop" "$work/home/.config/autostart/"*.desktop || { echo "the autostart entry does not start Wicket:" >&2; cat "$work/home/.config/autostart/"*.desktop >&2; exit 1; }
"$wicket" --data-dir "$data" settings list --json | grep -q '"start_at_login": *true' || { echo "start_at_login was not stored" >&2; exit 1; }
DISPLAY="$display" xdotool mousemove --window "$wid" 350 482 click 1
wait_for 10 "the autostart entry removed" bash -c "! ls '$work/home/.config/autostart/'*.desktop >/dev/null 2>&1"
DISPLAY="$display" xdotool key Escape
echo "start at login from Settings writes and removes the autostart entry"

wait_for 10 "the tray item registering with the tray host" grep -q '"RegisterStatusNotifierItem"' "$work/notify.jsonl"
grep -qs 'tray icon installed' "$data"/logs/desktop.log* || { echo "no tray icon despite a tray host" >&2; exit 1; }
echo "the tray item registered with the StatusNotifierWatcher"

# A second launch on the same session focuses the first window and stops.
DBUS_SESSION_BUS_ADDRESS="$(cat "$work/bus")" DISPLAY="$display" HOME="$work/home" WICKET_DATA_DIR="$data" NO_AT_BRIDGE=1 \
  timeout 20 "$app" >"$work/second.log" 2>&1 || { echo "the second launch did not stop by itself:" >&2; cat "$work/second.log" >&2; exit 1; }
wait_for 10 "the first window hearing of the second launch" grep -qs 'a second launch: focusing this window' "$data"/logs/desktop.log*
kill -0 "$app_pid" || { echo "the first instance died at the second launch" >&2; exit 1; }
echo "a second launch focused the running window and stopped"

# Closing with a tray host: hidden, still running.
"$PY" "$root/tests/desktop/close_window.py" "$display" "$wid"
wait_for 10 "the window hiding to the tray" grep -qs 'window hidden: Wicket keeps running in the tray' "$data"/logs/desktop.log*
kill -0 "$app_pid" || { echo "the app quit although a tray host exists" >&2; exit 1; }
echo "closing the window hid it to the tray; the app still runs"
kill "$app_pid" 2>/dev/null || true
wait "$session" 2>/dev/null || true

echo "== the window without a tray host: closing quits and says so"
run_app notray ""
"$PY" "$root/tests/desktop/close_window.py" "$display" "$wid"
wait_for 10 "the app quitting" bash -c "! kill -0 $app_pid 2>/dev/null"
grep -q '"summary": "Wicket has quit"' "$work/notify.jsonl" || { echo "closing quit without saying so:" >&2; cat "$work/notify.jsonl" >&2; exit 1; }
wait "$session" 2>/dev/null || true
echo "without a tray host, closing quit the app after the notification \"Wicket has quit\""
state="$work/home/.config/app.wicket.inbox/.window-state.json"
[ -f "$state" ] && grep -q '"main"' "$state" && grep -q '"width"' "$state" || { echo "the window's size and position were not remembered" >&2; ls -la "$work/home/.config" >&2 || true; exit 1; }
echo "the window's size and position were saved for the next start ($state)"

echo "== a public address that cannot be reached: a notification with Restart"
closed="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$wicket" --data-dir "$data" settings set public_address_setup "{\"address\": {\"fixed_url\": \"http://127.0.0.1:$closed\"}, \"active\": true}"
run_app address "--action restart"
unreachable_note() { grep -q "\"summary\": \"Customers' messages cannot reach this computer\"" "$work/notify.jsonl"; }
wait_for 30 "the public-address notification" unreachable_note
note="$(grep "cannot reach this computer" "$work/notify.jsonl" | head -n 1)"
echo "$note" | grep -q "127.0.0.1:$closed" || { echo "the notification does not name the address:" >&2; echo "$note" >&2; exit 1; }
echo "$note" | grep -q '"restart", "Restart"' || { echo "the notification has no Restart button:" >&2; echo "$note" >&2; exit 1; }
sleep 1 # the banner renders
DISPLAY="$display" import -window root "$out/public-address-window.png"
wait_for 10 "the Restart button pressed" grep -q '"action": "restart"' "$work/notify.jsonl"
wait_for 10 "the shell restarting the public address" grep -qs 'notification: restarting the public address' "$data"/logs/desktop.log*
# (monitor exits non-zero here: the account's Graph API is a closed port too)
monitor="$("$wicket" --data-dir "$data" monitor --json 2>/dev/null || true)"
echo "$monitor" | grep -q '"public_address":{[^}]*"state":"unreachable"' || { echo "wicket monitor does not show the address unreachable:" >&2; echo "$monitor" >&2; exit 1; }
kill "$app_pid" 2>/dev/null || true
wait "$session" 2>/dev/null || true
echo "an unreachable public address was notified (\"Customers' messages cannot reach this computer\", Restart), Restart restarted it, and wicket monitor shows it"
