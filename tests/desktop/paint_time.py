#!/usr/bin/env python3
"""Starts a window and times how long until a region of the screen is painted.

    paint_time.py DISPLAY X Y W H SECONDS PNG_PREFIX -- COMMAND...

Reads the region straight from the X server (libX11 XGetImage, a few ms a
frame, so the resolution is the frame interval, not a screenshot tool's
hundreds of ms) from just before COMMAND starts until SECONDS have passed.
"Painted" is the first frame whose ink (pixels unlike the region's commonest
colour) reaches 60 % of the ink of the last frame, when the list has
settled. Prints `painted_ms=N pid=P frames=F`, leaves COMMAND running, and
writes the painted frame and the one before it as PNG_PREFIX-{painted,before}.ppm
so a person can check what was counted.
"""
import collections
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
        # Every 7th pixel is enough to tell text rows from an empty pane.
        px = [frame[i : i + 3] for i in range(0, len(frame), 4 * 7)]
        common = collections.Counter(px).most_common(1)[0][0]
        return sum(1 for p in px if p != common)

    frames = []
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)
    last_digest = None
    while time.monotonic() - t0 < seconds:
        f = grab()
        d = hash(f)
        if d != last_digest:
            frames.append((time.monotonic() - t0, f))
            last_digest = d
        time.sleep(0.005)
    settled = ink(frames[-1][1])
    painted = next(i for i, (_, f) in enumerate(frames) if ink(f) >= 0.6 * settled)

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
