#!/usr/bin/env python3
"""Starts a window and times how long until a region of the screen is painted.

    paint_time.py DISPLAY X Y W H SECONDS PNG_PREFIX -- COMMAND...

Reads the region straight from the X server (libX11 XGetImage, a few ms a
frame, so the resolution is the frame interval, not a screenshot tool's
hundreds of ms) from just before COMMAND starts until SECONDS have passed.
"Painted" is the first frame whose ink (edges: neighbouring pixels that
differ, as text makes) reaches 60 % of the most ink any frame had (the list
settled). Prints `painted_ms=N pid=P frames=F`, leaves COMMAND running, and
writes the painted frame and the one before it as PNG_PREFIX-{painted,before}.ppm
so a person can check what was counted; COMMAND's output goes to PNG_PREFIX.log.
"""
import ctypes
import os
import subprocess
import sys
import time


class XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def main():
    sep = sys.argv.index("--")
    display, x, y, w, h, seconds, prefix = sys.argv[1:sep]
    x, y, w, h, seconds = int(x), int(y), int(w), int(h), float(seconds)
    cmd = sys.argv[sep + 1 :]
    xlib = ctypes.cdll.LoadLibrary("libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XGetImage.restype = ctypes.POINTER(XImage)
    xlib.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    xlib.XFree.argtypes = [ctypes.c_void_p]
    dpy = xlib.XOpenDisplay(display.encode())
    if not dpy:
        sys.exit(f"cannot open display {display}")
    root = xlib.XDefaultRootWindow(dpy)
    ZPIXMAP, ALL_PLANES = 2, 0xFFFFFFFF

    def grab():
        img = xlib.XGetImage(dpy, root, x, y, w, h, ALL_PLANES, ZPIXMAP)
        im = img.contents
        raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        bpl = im.bytes_per_line
        xlib.XFree(im.data)
        xlib.XFree(img)
        # 32 bits per pixel (24-bit Xvfb): BGRX rows.
        return bytes(b"".join(raw[r * bpl : r * bpl + 4 * w] for r in range(h)))

    def ink(frame):
        # Edges: neighbouring pixels that differ, on every 3rd row. Text rows
        # have many; an empty or single-colour pane (a window just mapped,
        # a loading state) has almost none.
        n = 0
        for r in range(0, h, 3):
            row = frame[r * 4 * w : (r + 1) * 4 * w]
            n += sum(1 for i in range(4, 4 * w, 4) if row[i : i + 3] != row[i - 4 : i - 1])
        return n

    frames = []
    t0 = time.monotonic()
    # Its output goes to PNG_PREFIX.log: a caller reading this script's
    # stdout must not wait for the window to close.
    log = open(f"{prefix}.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    last_digest = None
    while time.monotonic() - t0 < seconds:
        f = grab()
        d = hash(f)
        if d != last_digest:
            frames.append((time.monotonic() - t0, f))
            last_digest = d
        time.sleep(0.005)
    inks = [ink(f) for _, f in frames]
    settled = max(inks)
    painted = next(i for i, n in enumerate(inks) if n >= 0.6 * settled)

    def ppm(path, frame):
        with open(path, "wb") as out:
            out.write(f"P6 {w} {h} 255\n".encode())
            out.write(bytes(b for i in range(0, len(frame), 4) for b in (frame[i + 2], frame[i + 1], frame[i])))

    ppm(f"{prefix}-painted.ppm", frames[painted][1])
    if painted > 0:
        ppm(f"{prefix}-before.ppm", frames[painted - 1][1])
    print(f"painted_ms={frames[painted][0] * 1000:.0f} pid={proc.pid} frames={len(frames)} settled_ink={settled}", flush=True)
    os._exit(0)


main()
