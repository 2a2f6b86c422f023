#!/usr/bin/env python3
"""End to end in the real window, through WebDriver (tauri-driver + WebKitWebDriver).

Against a fake Meta Graph API on loopback (this file's FakeGraph, speaking the
documented format): a signed webhook arrives and appears in the conversation
list, with a desktop notification on the D-Bus session; the owner opens the
chat and replies from the composer; the fake receives the send; status
webhooks move the ticks to "read". Screenshots of each step are saved.

Run by tests/desktop/e2e.sh, which provides Xvfb, a D-Bus session with
dbus-monitor recording notifications, and the built binaries.

    python3 tests/desktop/e2e.py APP WICKET OUT_DIR NOTIFY_LOG
"""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

APP, WICKET, OUT, NOTIFY_LOG = sys.argv[1:5]
PNID = "318273645501234"
TOKEN = "EAAG-e2e-access-token-0123456789abcdef"
APP_SECRET = "e2e-app-secret-0a1b2c3d4e5f"
VERIFY = "e2e-verify-token"
CUSTOMER = "447911123456"
WEBDRIVER = "http://127.0.0.1:4444"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeGraph(http.server.ThreadingHTTPServer):
    """The Graph API endpoints the window uses, recording every send."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeGraph.Handler)
        self.sends = []
        self.lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def authorised(self):
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.reply(401, {"error": {"message": "Invalid OAuth access token", "type": "OAuthException", "code": 190}})
                return False
            return True

        def do_GET(self):
            if not self.authorised():
                return
            if self.path.split("?")[0].endswith(f"/{PNID}"):
                self.reply(200, {"display_phone_number": "+1 555-010-2030", "verified_name": "Camden Parcel Co",
                                 "quality_rating": "GREEN", "id": PNID})
            else:
                self.reply(404, {"error": {"message": "Unknown path", "code": 100}})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            if not self.authorised():
                return
            if self.path.endswith(f"/{PNID}/messages"):
                msg = json.loads(body)
                if msg.get("status") == "read":
                    return self.reply(200, {"success": True})
                with self.server.lock:
                    self.server.sends.append(msg)
                    n = len(self.server.sends)
                self.reply(200, {"messaging_product": "whatsapp", "contacts": [{"input": msg.get("to"), "wa_id": CUSTOMER}],
                                 "messages": [{"id": f"wamid.E2E{n}"}]})
            else:
                self.reply(404, {"error": {"message": "Unknown path", "code": 100}})


def wd(method, path, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(WEBDRIVER + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}").get("value")
    except urllib.error.HTTPError as e:
        raise AssertionError(f"WebDriver {method} {path}: {e.code} {e.read()[:400]!r}")


def wait(what, f, seconds=30):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            v = f()
            if v:
                return v
        except (AssertionError, OSError) as e:  # not there yet, or not listening yet
            last = e
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f" ({last})" if last else ""))


class Window:
    def __init__(self, session):
        self.s = session

    def find_all(self, css):
        return [next(iter(e.values())) for e in wd("POST", f"/session/{self.s}/elements", {"using": "css selector", "value": css})]

    def text(self, el):
        # textContent: WebKitWebDriver's rendered-text rule drops parts of
        # flex rows (the name and preview of a conversation row).
        ref = {"element-6066-11e4-a52e-4f735466cecf": el}
        return wd("POST", f"/session/{self.s}/execute/sync", {"script": "return arguments[0].textContent", "args": [ref]})

    def attr(self, el, name):
        return wd("GET", f"/session/{self.s}/element/{el}/attribute/{name}")

    def click(self, el):
        wd("POST", f"/session/{self.s}/element/{el}/click", {})

    def type(self, el, text):
        wd("POST", f"/session/{self.s}/element/{el}/value", {"text": text})

    def shot(self, name):
        # The X server's picture of the window: WebKitWebDriver's own
        # screenshot needs a compositor that Xvfb does not have.
        path = os.path.join(OUT, name)
        subprocess.run(["import", "-window", "root", path], check=True, timeout=30)
        print(f"screenshot {path}")


def sign(body):
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(listen, account, payload):
    body = json.dumps(payload).encode()
    req = urllib.request.Request(f"http://{listen}/webhooks/meta/{account}", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)})
    with urllib.request.urlopen(req, timeout=20) as r:
        assert r.status == 200, r.status


def change(value):
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID}, **value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": value}]}]}


def main():
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="wicket-e2e-")
    graph = FakeGraph()
    threading.Thread(target=graph.serve_forever, daemon=True).start()
    graph_url = f"http://127.0.0.1:{graph.server_address[1]}"
    data = os.path.join(work, "data")
    env = dict(os.environ, WICKET_DATA_DIR=data, WICKET_SECRET_STORE="vault", WICKET_VAULT_PASSPHRASE="e2e passphrase",
               HOME=os.path.join(work, "home"), T_TOKEN=TOKEN, T_SECRET=APP_SECRET, T_VERIFY=VERIFY, NO_AT_BRIDGE="1")
    os.makedirs(env["HOME"])

    def wicket(*args):
        out = subprocess.run([WICKET, *args], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"wicket {args}: {out.stderr}"
        return out.stdout

    account = wicket("account", "add", "meta", "--name", "Camden", "--phone-number-id", PNID, "--business-account-id", "WABA1",
                     "--token-env", "T_TOKEN", "--app-secret-env", "T_SECRET", "--verify-token-env", "T_VERIFY",
                     "--base-url", graph_url).strip().splitlines()[-1]
    listen = f"127.0.0.1:{free_port()}"
    wicket("settings", "set", "webhook_listen", json.dumps(listen))
    wicket("settings", "set", "default_country", "GB")

    driver = subprocess.Popen(["tauri-driver", "--port", "4444", "--native-port", "4445"], env=env,
                              stdout=open(os.path.join(OUT, "tauri-driver.log"), "w"), stderr=subprocess.STDOUT)
    session = None
    try:
        wait("tauri-driver", lambda: wd("GET", "/status") is not None, 30)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": APP}}}}
        session = wd("POST", "/session", caps, timeout=120)["sessionId"]
        w = Window(session)
        wait("the inbox", lambda: w.find_all(".rail"), 60)
        # The engine inside the window runs the listener.
        wait("the webhook listener", lambda: urllib.request.urlopen(f"http://{listen}/health", timeout=2).status == 200, 60)

        now = int(time.time())
        post_webhook(listen, account, change({
            "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": CUSTOMER}],
            "messages": [{"from": CUSTOMER, "id": "wamid.IN1", "timestamp": str(now - 5), "type": "text",
                          "text": {"body": "Hi! Is my parcel ready for pickup?"}}]}))
        row = wait("the conversation in the list", lambda: [e for e in w.find_all(".conv") if "Priya Raman" in w.text(e)])[0]
        w.shot("e2e-1-inbound.png")

        w.click(row)
        wait("the chat", lambda: [e for e in w.find_all(".bubble .text") if "parcel ready" in w.text(e)])
        box = wait("the composer", lambda: w.find_all("textarea[aria-label='Message']"))[0]
        w.type(box, "Yes, it is ready at the Camden shop.")
        w.type(box, "\ue007")  # Enter sends
        sent = wait("the fake Graph API to receive the reply", lambda: list(graph.sends), 30)[0]
        assert sent["type"] == "text" and sent["text"]["body"] == "Yes, it is ready at the Camden shop.", sent
        assert sent["to"] == CUSTOMER, sent
        ours = sent["biz_opaque_callback_data"]
        wait("the sent tick", lambda: w.find_all(".bubble-row.out .ticks[data-status='sent']"), 30)
        w.shot("e2e-2-replied.png")

        for i, status in enumerate(["delivered", "read"]):
            post_webhook(listen, account, change({"statuses": [{"id": "wamid.E2E1", "status": status, "timestamp": str(now + i + 1),
                                                                 "recipient_id": CUSTOMER, "biz_opaque_callback_data": ours}]}))
        wait("the read tick", lambda: w.find_all(".bubble-row.out .ticks[data-status='read']"), 30)
        w.shot("e2e-3-read.png")
        # The customer's message raised a desktop notification (Notify on the
        # session bus, recorded by dbus-monitor) naming them, with a preview.
        notified = lambda: open(NOTIFY_LOG, errors="replace").read()
        wait("a notification on the D-Bus session", lambda: "Priya Raman" in notified() and "parcel ready" in notified(), 20)
        print("e2e: ok")
    except Exception:
        if session:
            try:
                Window(session).shot("e2e-failure.png")
                with open(os.path.join(OUT, "e2e-failure.html"), "w") as f:
                    f.write(wd("GET", f"/session/{session}/source") or "")
            except Exception as e:
                print(f"no failure screenshot: {e}")
        raise
    finally:
        if session:
            try:
                wd("DELETE", f"/session/{session}")
            except Exception as e:  # the window may already be gone
                print(f"closing the session: {e}")
        driver.terminate()
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
        subprocess.run(["pkill", "-f", "WebKitWebDriver --port=4445"], check=False)
        graph.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
