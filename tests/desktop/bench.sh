#!/usr/bin/env bash
# The window's benchmark (issue 12), outside the default test run: the real
# release window under Xvfb on a store seeded with `wicket dev seed`
# (1,000,000 messages by default, three 100,000-message conversations),
# beside a minimal Tauri app with the same config and WebKit settings
# (src-tauri/app/minimal_window.rs), in the same run:
#   1. cold start to the conversation list painted (paint_time.py reads the
#      list's pixels from the X server every few ms), RUNS times;
#   2. PSS of all the window's processes (the app, WebKitWebProcess,
#      WebKitNetworkProcess: /proc/PID/smaps_rollup) idle with the longest
#      conversation open, and of the minimal app idle;
#   3. PSS while the long conversation is scrolled from the newest message
#      towards the oldest (mouse wheel) for SCROLL_SECONDS, sampled.
# The store is deleted afterwards. Prints the load average beside the figures.
#
#   cargo build --release --locked -p wicket-cli
#   cargo build --release --locked -p wicket-desktop --features tauri/custom-protocol --bin wicket-desktop --example minimal_window
#   bash tests/desktop/bench.sh            # MESSAGES=100000 RUNS=3 SCROLL_SECONDS=120 to change
#
# Needs: xvfb, xdotool, x11-utils, imagemagick (PNGs of what was counted as painted), dbus, gnome-keyring, python3, sqlite3.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
app="${WICKET_DESKTOP_BIN:-$target/release/wicket-desktop}"
minimal="${WICKET_MINIMAL_BIN:-$target/release/examples/minimal_window}"
wicket="${WICKET_BIN:-$target/release/wicket}"
for b in "$app" "$minimal" "$wicket"; do [ -x "$b" ] || { echo "no $b: build it first (see the top of this script)" >&2; exit 1; }; done
messages="${MESSAGES:-1000000}"
runs="${RUNS:-3}"
scroll_seconds="${SCROLL_SECONDS:-120}"
out="${BENCH_OUT:-$(mktemp -d /tmp/wicket-bench-out.XXXXXX)}"
mkdir -p "$out"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== load average $(load); seeding $messages messages"
WICKET_DATA_DIR="$work/data" "$wicket" dev seed --messages "$messages" | tail -n 3
du -sh "$work/data" | sed 's/^/store: /'
# The conversation with the most messages, and where the window lists it.
long_id="$(sqlite3 "file:$work/data/wicket.db?mode=ro" 'SELECT conversation_id FROM messages GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1')"
long_count="$(sqlite3 "file:$work/data/wicket.db?mode=ro" "SELECT count(*) FROM messages WHERE conversation_id = $long_id")"
position="$(WICKET_DATA_DIR="$work/data" "$wicket" conversations --limit 50 --json | python3 -c "import json,sys; ids=[str(c['id']) for c in json.load(sys.stdin)]; print(ids.index('$long_id') if '$long_id' in ids else -1)")"
echo "long conversation: id $long_id, $long_count messages, row $position of the list"
[ "$position" -ge 0 ] || { echo "the long conversation is not on the first page of the list" >&2; exit 1; }

display=":$(( 90 + RANDOM % 100 ))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done

# The PSS in kB of a session's processes named like $2 (an ERE).
pss() {
  local session="$1" names="$2" total=0 pid
  for pid in $(pgrep -s "$(ps -o sid= -p "$session" | tr -d ' ')" 2>/dev/null); do
    grep -Eq "$names" "/proc/$pid/comm" 2>/dev/null || continue
    total=$(( total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
procs='^(wicket-desktop|minimal_window|WebKitWebProces|WebKitNetworkPr)'

# start NAME BINARY SECONDS: the binary in its own session bus (setsid: its
# processes are found by session), with an unlocked keyring; prints paint_time's line.
start() {
  local name="$1" bin="$2" secs="$3"
  mkdir -p "$work/home-$name"
  HOME="$work/home-$name" DISPLAY="$display" WICKET_DATA_DIR="$work/data" NO_AT_BRIDGE=1 APP="$bin" \
    python3 tests/desktop/paint_time.py "$display" 0 80 420 600 "$secs" "$out/$name" -- \
    setsid dbus-run-session -- sh -c 'echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$APP"'
}
stop() {
  local session="$1" pid
  for pid in $(pgrep -s "$(ps -o sid= -p "$session" | tr -d ' ')" 2>/dev/null); do
    grep -Eq '^(wicket-desktop|minimal_window)$' "/proc/$pid/comm" 2>/dev/null && kill "$pid" 2>/dev/null || true
  done
  sleep 1
  kill "$session" 2>/dev/null || true
}

echo "== cold start to the list painted (window launched -> list pixels settled), $runs runs"
for i in $(seq "$runs"); do
  line="$(start "start$i" "$app" 6)"
  session="${line##*pid=}"; session="${session%% *}"
  echo "run $i: $line (load $(load))"
  stop "$session"
done
for f in "$out"/*.ppm; do convert "$f" "${f%.ppm}.png" && rm "$f"; done

echo "== idle PSS: the minimal app (about:blank)"
line="$(start minimal "$minimal" 4)"
session="${line##*pid=}"; session="${session%% *}"
sleep 6
minimal_kb="$(pss "$session" "$procs")"
echo "minimal app: $(( minimal_kb / 1024 )) MB (load $(load))"
stop "$session"

echo "== idle PSS: Wicket with the $long_count-message conversation open"
line="$(start wicket "$app" 5)"
session="${line##*pid=}"; session="${session%% *}"
wid="$(DISPLAY="$display" xdotool search --name '^Wicket$' | head -n 1)"
# Without a window manager the keyboard follows the pointer: click into the
# empty chat pane, then Alt+Down through the list to the long conversation.
DISPLAY="$display" xdotool mousemove --window "$wid" 800 600 click 1
sleep 0.3
for _ in $(seq 0 "$position"); do DISPLAY="$display" xdotool key alt+Down; sleep 0.3; done
sleep 8
DISPLAY="$display" import -window root "$out/long-open.png"
wicket_kb="$(pss "$session" "$procs")"
echo "wicket, long conversation open: $(( wicket_kb / 1024 )) MB = $(python3 -c "print(f'{$wicket_kb / $minimal_kb:.2f}')") x the minimal app (load $(load))"
for pid in $(pgrep -s "$(ps -o sid= -p "$session" | tr -d ' ')"); do
  grep -Eq "$procs" "/proc/$pid/comm" && echo "  $(cat /proc/$pid/comm): $(( $(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup) / 1024 )) MB"
done

echo "== PSS while scrolling towards the oldest message ($scroll_seconds s of mouse wheel)"
DISPLAY="$display" xdotool mousemove --window "$wid" 800 400 click 1
end=$(( $(date +%s) + scroll_seconds ))
n=0
while [ "$(date +%s)" -lt "$end" ]; do
  # The wheel, then Home (to the top of the loaded messages: the next older page comes in).
  DISPLAY="$display" xdotool click --repeat 40 --delay 10 4 key Home
  n=$(( n + 40 ))
  echo "after $n wheel steps: $(( $(pss "$session" "$procs") / 1024 )) MB"
done
DISPLAY="$display" import -window root "$out/long-scrolled.png"
sleep 5
echo "5 s after scrolling: $(( $(pss "$session" "$procs") / 1024 )) MB (load $(load))"
stop "$session"
echo "screenshots in $out"
