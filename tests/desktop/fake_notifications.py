#!/usr/bin/python3
"""A fake notification server for the desktop tests (python3-dbus, GLib).

Owns org.freedesktop.Notifications on the session bus, answers Notify with
increasing ids and appends every call to a JSON-lines file. With
--click-after SECONDS it then emits ActionInvoked(id, "default") for each
notification that offers the "default" action, as a desktop does when the
owner clicks it (--action NAME: that button instead); with --watcher it also owns org.kde.StatusNotifierWatcher,
so the app finds a tray host, and records the items that register.

    fake_notifications.py LOG [--click-after 1.5] [--action NAME] [--watcher] [--ready FILE]
"""

import argparse
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"
WATCHER = "org.kde.StatusNotifierWatcher"


def log(path, record):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


class Notifications(dbus.service.Object):
    def __init__(self, bus, args):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.args = args
        self.next_id = 41

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, icon, summary, body, actions, hints, timeout):
        self.next_id += 1
        nid = self.next_id
        log(self.args.log, {"call": "Notify", "id": nid, "app_name": str(app_name), "summary": str(summary),
                            "body": str(body), "actions": [str(a) for a in actions], "icon": str(icon)})
        if self.args.click_after is not None and self.args.action in [str(a) for a in actions[::2]]:
            GLib.timeout_add(int(self.args.click_after * 1000), self.click, nid)
        return dbus.UInt32(nid)

    def click(self, nid):
        log(self.args.log, {"call": "ActionInvoked", "id": nid, "action": self.args.action})
        self.ActionInvoked(dbus.UInt32(nid), self.args.action)
        return False

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["actions", "body", "body-markup"]

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("wicket-test", "wicket", "1", "1.2")

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        self.NotificationClosed(nid, dbus.UInt32(3))

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, nid, action):
        pass

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass


class Watcher(dbus.service.Object):
    """Just enough of a StatusNotifierWatcher for an item to register."""

    def __init__(self, bus, args):
        super().__init__(bus, "/StatusNotifierWatcher")
        self.args = args
        self.items = []

    @dbus.service.method(WATCHER, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        item = sender + service if service.startswith("/") else service
        self.items.append(str(item))
        log(self.args.log, {"call": "RegisterStatusNotifierItem", "service": str(service), "sender": str(sender)})
        self.StatusNotifierItemRegistered(item)

    @dbus.service.method(WATCHER, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        return self.GetAll(interface)[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
            "IsStatusNotifierHostRegistered": True,
            "ProtocolVersion": dbus.Int32(0),
        }

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemRegistered(self, item):
        pass

    @dbus.service.signal(WATCHER, signature="")
    def StatusNotifierHostRegistered(self):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("--click-after", type=float)
    p.add_argument("--action", default="default", help="the action a click invokes (a notification's button)")
    p.add_argument("--watcher", action="store_true")
    p.add_argument("--ready")
    args = p.parse_args()
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    names = [dbus.service.BusName(IFACE, bus, do_not_queue=True)]
    Notifications(bus, args)
    if args.watcher:
        names.append(dbus.service.BusName(WATCHER, bus, do_not_queue=True))
        Watcher(bus, args)
    if args.ready:
        open(args.ready, "w").close()
    try:
        GLib.MainLoop().run()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
