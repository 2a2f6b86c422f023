#!/usr/bin/python3
"""End to end in the real window through WebDriver (tauri-driver +
WebKitWebDriver), against a fake Meta Graph API on loopback:

1. a signed webhook with a customer's message arrives: it appears in the
   list, and a Notify call with the name and the preview is seen on the
   D-Bus session (dbus-monitor);
2. the owner opens the chat and replies from the composer (Enter): the fake
   Graph API receives the send with the text;
3. signed status webhooks (delivered, then read) for the id the fake
   answered: the message's ticks update in the window;
4. Settings → Webhooks: the listener moves to another port at once (the
   same `webhook_listen` setting `wicket settings list` shows), and a second
   customer's webhook arrives on the new port;
5. the command palette (Ctrl+K) opens that customer's conversation;
6. a search for a word opens the first chat at its message, highlighted.
Screenshots of each step go to OUT_DIR.

Run by tests/desktop/e2e.sh inside `dbus-run-session` with DISPLAY set:
    e2e.py APP WICKET OUT_DIR
"""

import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP, WICKET, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PNID, WABA, SECRET, CUSTOMER = "318273645501234", "214365870912345", "e2e_app_secret", "447700900123"
WAMID_OUT = "wamid.E2E-REPLY-0001"
WORK = tempfile.mkdtemp(prefix="wicket-e2e-")
DATA = os.path.join(WORK, "data")
os.makedirs(OUT, exist_ok=True)
procs = []
S = None


FAILING = []


def fail(msg):
    print("FAILED: " + msg, file=sys.stderr)
    first = not FAILING
    FAILING.append(msg)
    if not first:  # a WebDriver call made while reporting failed too
        sys.exit(1)
    try:
        if S:
            print("list:", texts(".conv"), file=sys.stderr)
            shot("e2e-failed.png")
    except Exception as e:
        print("no screenshot:", e, file=sys.stderr)
    for log in ("monitor.log", "driver.log"):
        p = os.path.join(WORK, log)
        if os.path.exists(p):
            print(f"--- {log}", file=sys.stderr)
            print(open(p, errors="replace").read()[-3000:], file=sys.stderr)
    logs = os.path.join(DATA, "logs")
    for f in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
        print(f"--- {f}", file=sys.stderr)
        print(open(os.path.join(logs, f), errors="replace").read()[-4000:], file=sys.stderr)
    sys.exit(1)


def wait(what, check, seconds=20):
    end = time.time() + seconds
    last = None
    while time.time() < end:
        try:
            v = check()
            if v:
                return v
        except Exception as e:
            last = e
        time.sleep(0.25)
    fail(f"timed out: {what} (last error: {last!r})")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- the fake Graph API -------------------------------------------------
graph_seen = []


class Graph(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        graph_seen.append(("GET", self.path, None))
        if "message_templates" in self.path:
            return self.answer({"data": [], "paging": {}})
        self.answer({"verified_name": "Camden Parcel Co", "display_phone_number": "+1 555-010-2030", "quality_rating": "GREEN", "id": PNID})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        graph_seen.append(("POST", self.path, parsed))
        if self.path.endswith(f"{PNID}/messages") and parsed and parsed.get("type") == "text":
            return self.answer({"messaging_product": "whatsapp", "contacts": [{"input": parsed.get("to"), "wa_id": CUSTOMER}], "messages": [{"id": WAMID_OUT}]})
        self.answer({"success": True})


graph = ThreadingHTTPServer(("127.0.0.1", 0), Graph)
threading.Thread(target=graph.serve_forever, daemon=True).start()
graph_url = f"http://127.0.0.1:{graph.server_address[1]}"

# ---- the data dir: a Meta account, the webhook listener -----------------
listen = free_port()
env = dict(os.environ, WICKET_SECRET_STORE="vault", WICKET_VAULT_PASSPHRASE="e2e-test", WA_TOKEN="EAAG-e2e", WA_APP_SECRET=SECRET)
added = subprocess.run([WICKET, "--data-dir", DATA, "account", "add", "meta", "--name", "Shop", "--phone-number-id", PNID,
                        "--business-account-id", WABA, "--token-env", "WA_TOKEN", "--app-secret-env", "WA_APP_SECRET",
                        "--base-url", graph_url], env=env, capture_output=True, text=True)
if added.returncode != 0:
    fail("account add: " + added.stderr)
account = added.stdout.strip().splitlines()[-1].strip()
subprocess.run([WICKET, "--data-dir", DATA, "settings", "set", "webhook_listen", f"127.0.0.1:{listen}"], env=env, check=True, capture_output=True)


def webhook(value, port=None):
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{"field": "messages", "value": dict(
        {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID}}, **value)}]}]}).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://127.0.0.1:{port or listen}/webhooks/meta/{account}", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            fail(f"webhook answered {r.status}")


# ---- D-Bus monitor, tauri-driver ---------------------------------------
monitor = subprocess.Popen(["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
                           stdout=open(os.path.join(WORK, "monitor.log"), "w"), stderr=subprocess.STDOUT)
procs.append(monitor)
home = os.path.join(WORK, "home")
os.makedirs(home)
driver_env = dict(env, WICKET_DATA_DIR=DATA, HOME=home, NO_AT_BRIDGE="1", RUST_LOG="info,wicket_desktop=debug")
wd_port, native_port = free_port(), free_port()
driver = subprocess.Popen([os.environ.get("TAURI_DRIVER", "tauri-driver"), "--port", str(wd_port), "--native-port", str(native_port)], env=driver_env,
                          stdout=open(os.path.join(WORK, "driver.log"), "w"), stderr=subprocess.STDOUT)
procs.append(driver)


def wd(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    # tauri-driver forwards each command to WebKitWebDriver over a pooled
    # keep-alive connection; when WebKitWebDriver has just closed that
    # connection, the forward fails before the command is sent ("client error
    # (SendRequest) ... Connection reset by peer" in driver.log) and our
    # request is dropped unanswered. The command never reached the app, so
    # sending it again is safe: at most twice, and said on stderr.
    for attempt in range(3):
        dropped_before = driver_log().count("SendRequest")
        req = urllib.request.Request(f"http://127.0.0.1:{wd_port}" + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            fail(f"WebDriver {method} {path}: {e.code} {e.read()[:2000]!r}")
        except (http.client.RemoteDisconnected, ConnectionResetError) as e:
            time.sleep(0.2)  # tauri-driver logs the failed forward as it drops the request
            if attempt == 2 or driver_log().count("SendRequest") <= dropped_before:
                fail(f"WebDriver {method} {path}: no answer ({e}); did the app crash?")
            print(f"tauri-driver dropped {method} {path} on a stale connection to WebKitWebDriver: sending it again", file=sys.stderr)
        except (urllib.error.URLError, OSError) as e:
            # The app (or the driver) went away: say so with the logs, not a bare traceback.
            fail(f"WebDriver {method} {path}: no answer ({e}); did the app crash?")


def driver_log():
    try:
        return open(os.path.join(WORK, "driver.log"), errors="replace").read()
    except OSError:
        return ""


S = None


def cleanup():
    if S:
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{wd_port}{S}", method="DELETE"), timeout=20)
        except Exception:
            pass
    for p in procs:
        p.terminate()
    graph.shutdown()


import atexit
atexit.register(cleanup)
wait("tauri-driver listening", lambda: socket.create_connection(("127.0.0.1", wd_port), timeout=1).close() or True)
# tauri-driver forwards the session request to WebKitWebDriver, which it
# starts itself: on a loaded machine that one listens later, and a request
# forwarded before then is dropped (seen as RemoteDisconnected).
wait("WebKitWebDriver listening", lambda: socket.create_connection(("127.0.0.1", native_port), timeout=1).close() or True)
session = wd("POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": APP}}}})["sessionId"]
S = f"/session/{session}"
ELEMENT = "element-6066-11e4-a52e-4a4d4a4d4a4d"


def find_all(css):
    return [e.get(ELEMENT) or next(iter(e.values())) for e in wd("POST", S + "/elements", {"using": "css selector", "value": css})]


def texts(css):
    """The DOM text of each match, in document order (as find_all returns them)."""
    return wd("POST", f"{S}/execute/sync", {"script": "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.textContent)", "args": [css]})


def attrs(css, name):
    return wd("POST", f"{S}/execute/sync", {"script": "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.getAttribute(arguments[1]))", "args": [css, name]})


def shot(name):
    # The X display itself (WebKitWebDriver's screenshot times out under Xvfb).
    path = os.path.join(OUT, name)
    subprocess.run(["import", "-window", "root", path], check=True, timeout=30)
    print(f"screenshot {path}")


try:
    wait("the engine running in the window", lambda: any("state=Running" in open(os.path.join(DATA, "logs", f)).read() for f in os.listdir(os.path.join(DATA, "logs"))), 30)
    wait("the inbox rendered", lambda: find_all(".rail"), 20)

    # 1. A customer writes.
    now = int(time.time())
    webhook({"contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": CUSTOMER}],
             "messages": [{"from": CUSTOMER, "id": "wamid.E2E-IN-0001", "timestamp": str(now), "type": "text", "text": {"body": "Is my order ready?"}}]})
    seen_rows = []

    def listed():
        # The DOM's text (WebKitWebDriver's rendered text skips ellipsized spans).
        rows = find_all(".conv")
        seen_rows[:] = texts(".conv")
        return next((e for e, t in zip(rows, seen_rows) if "Priya Raman" in t and "Is my order ready?" in t), None)

    row = wait("the message in the list", listed)
    print("the webhook's message is in the list")
    mon = wait("Notify on the D-Bus session", lambda: (lambda t: t if "member=Notify" in t and '"Priya Raman"' in t and "   int32 " in t[t.index("member=Notify"):] else None)(open(os.path.join(WORK, "monitor.log")).read()))
    call = mon[mon.index("member=Notify"):]
    call = call[:call.index("   int32 ")]  # the call's arguments end with its timeout (not the uint32 id)
    if '"Is my order ready?"' not in call or 'string "default"' not in call:
        fail("the Notify call lacks the preview or the default action:\n" + call)
    print("dbus-monitor saw Notify with the name and the preview")
    shot("e2e-1-received.png")

    # 2. The owner replies from the composer.
    wd("POST", f"{S}/element/{row}/click", {})
    box = wait("the composer", lambda: (find_all("textarea[aria-label='Message']") or [None])[0])
    wait("the composer enabled", lambda: wd("GET", f"{S}/element/{box}/enabled"))
    wd("POST", f"{S}/element/{box}/value", {"text": "Yes, pick it up at 5"})
    wd("POST", f"{S}/element/{box}/value", {"text": "\ue007"})  # Enter sends
    sent = wait("the fake Graph API receiving the reply", lambda: next((b for m, p, b in graph_seen if m == "POST" and p.endswith(f"{PNID}/messages") and b and b.get("type") == "text"), None))
    if sent["text"]["body"] != "Yes, pick it up at 5" or sent["to"].lstrip("+") != CUSTOMER:
        fail(f"the fake received {sent}")
    print("the fake Graph API received the reply:", sent["text"]["body"])
    wait("the reply's ticks: sent", lambda: "sent" in attrs(".bubble .ticks", "data-status"))
    shot("e2e-2-sent.png")

    # 3. Status webhooks move the ticks.
    for status in ("delivered", "read"):
        webhook({"statuses": [{"id": WAMID_OUT, "status": status, "timestamp": str(int(time.time())), "recipient_id": CUSTOMER}]})
        wait(f"the ticks: {status}", lambda: status in attrs(".bubble .ticks", "data-status"))
        print(f"the ticks show {status}")
    shot("e2e-3-read.png")

    # 4. Settings → Webhooks: another port, applied at once.
    def one(css):
        return wait(css, lambda: (find_all(css) or [None])[0])

    def text_of(css):
        return " ".join(texts(css))

    gear = one("button.rail-settings")
    wd("POST", f"{S}/element/{gear}/click", {})
    port_input = one(".webhook-fields input[type=number]")
    wait("the stored listener shown", lambda: text_of(".webhook-listener [role=status]").find(f"Listening at 127.0.0.1:{listen}") >= 0)
    moved = free_port()
    # The port is set as the field's own input event sets it (WebKitWebDriver's clear-then-type raced a
    # re-render once and appended the digits to the old port); the Apply click below is a real click.
    wd("POST", f"{S}/execute/sync", {"script": "const el = document.querySelector('.webhook-fields input[type=number]'); el.focus(); el.value = arguments[0]; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return el.value", "args": [str(moved)]})
    typed = wd("POST", f"{S}/execute/sync", {"script": "return document.querySelector('.webhook-fields input[type=number]').value", "args": []})
    if typed != str(moved):
        fail(f"the port field holds {typed!r}, not {moved}")
    apply = one(".webhook-fields button[type=submit]")
    wd("POST", f"{S}/element/{apply}/click", {})
    wait("the listener moved", lambda: f"Listening at 127.0.0.1:{moved}" in text_of(".webhook-listener [role=status]"), 40)
    listed_settings = subprocess.run([WICKET, "--data-dir", DATA, "settings", "list"], env=env, capture_output=True, text=True)
    if f"127.0.0.1:{moved}" not in listed_settings.stdout:
        fail("`wicket settings list` does not show the new listener:\n" + listed_settings.stdout + listed_settings.stderr)
    print(f"Settings moved the listener to port {moved}; `wicket settings list` shows it")
    wd("POST", f"{S}/execute/sync", {"script": "document.querySelector('.webhook-listener').scrollIntoView({block: 'center'})", "args": []})
    shot("e2e-4-settings.png")
    wait("the new port answering", lambda: socket.create_connection(("127.0.0.1", moved), timeout=1).close() or True, 30)
    webhook({"contacts": [{"profile": {"name": "Nora Lindqvist"}, "wa_id": "447700900456"}],
             "messages": [{"from": "447700900456", "id": "wamid.E2E-IN-0002", "timestamp": str(int(time.time())), "type": "text",
                           "text": {"body": "Do you bake sourdough on Sundays?"}}]}, port=moved)
    close = one("button[aria-label='Close settings']")
    wd("POST", f"{S}/element/{close}/click", {})
    wait("Nora's message in the list", lambda: any("Nora Lindqvist" in t for t in texts(".conv")))

    # 5. The command palette (Ctrl+K) opens a conversation.
    wd("POST", f"{S}/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": "\ue009"}, {"type": "keyDown", "value": "k"}, {"type": "keyUp", "value": "k"}, {"type": "keyUp", "value": "\ue009"}]}]})
    palette = one("input[aria-label='Type a command or a name']")
    wd("POST", f"{S}/element/{palette}/value", {"text": "Nora"})
    wait("Nora among the palette's choices", lambda: "Nora Lindqvist" in text_of(".palette-item.palette-active"))
    shot("e2e-5-palette.png")
    wd("POST", f"{S}/element/{palette}/value", {"text": "\ue007"})
    wait("Nora's chat open", lambda: "Nora Lindqvist" in text_of(".chat-header h2") and not find_all(".palette"))
    print("the command palette opened Nora's conversation")

    # 6. A search opens the chat at the message.
    box = one("input[aria-label='Search messages and contacts']")
    wd("POST", f"{S}/element/{box}/value", {"text": "ready"})
    # Results are grouped by conversation: the customer's name heads the group, the message is a result in it.
    hit = wait("a search result", lambda: next((e for e, t in zip(find_all(".hits .hit"), texts(".hits .hit")) if "Is my order ready" in t), None))
    if "Priya Raman" not in text_of(".hits .hit-group"):
        fail("the result is not under Priya Raman's conversation: " + text_of(".hits"))
    if "ready" not in text_of(".hits .hit mark").lower():
        fail("the result does not highlight the word: " + text_of(".hits .hit"))
    wd("POST", f"{S}/element/{hit}/click", {})
    wait("Priya's chat open at the message, highlighted", lambda: "Priya Raman" in text_of(".chat-header h2") and "Is my order ready?" in text_of(".found"))
    shot("e2e-6-search.png")
    print("the search opened the chat at the message")
    print("end to end: ok")
finally:
    pass
