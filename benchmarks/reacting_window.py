"""A target window that reacts to a click after a chosen delay: the freshness probe.

    python benchmarks/reacting_window.py DELAY_MS

A flat-coloured, always-on-top Tk window. Click k (k = 1, 2, …) turns it `colour_after(k)` exactly DELAY_MS
later (each click schedules its own change, so quick clicks still come out in order). Once it is on screen it
prints one line, `ready X Y WIDTH HEIGHT` (its inner area on the screen), and then `click K T` for each click
(T = time.monotonic() of the press).
"""

from __future__ import annotations

import sys
import time

PALETTE = ((230, 60, 40), (40, 160, 60), (40, 90, 220), (240, 200, 30), (150, 50, 190), (20, 190, 200))


def colour_after(clicks: int) -> tuple[int, int, int]:
    """The window's colour once the reaction to click number `clicks` has happened (0: as it starts)."""
    return PALETTE[clicks % len(PALETTE)]


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def main() -> None:
    import tkinter as tk

    delay_ms = int(sys.argv[1])
    root = tk.Tk()
    root.title(f"Reacts after {delay_ms} ms")
    root.attributes("-topmost", True)
    root.geometry("360x240+120+120")
    frame = tk.Frame(root, width=360, height=240, background=hex_colour(colour_after(0)))
    frame.pack(fill="both", expand=True)
    clicks = 0

    def paint(k: int) -> None:
        frame.configure(background=hex_colour(colour_after(k)))

    def on_click(event: object) -> None:
        nonlocal clicks
        clicks += 1
        print(f"click {clicks} {time.monotonic():.4f}", flush=True)
        root.after(delay_ms, paint, clicks)

    def ready() -> None:  # mapped, placed by the window manager and painted by now
        print(f"ready {frame.winfo_rootx()} {frame.winfo_rooty()} {frame.winfo_width()} {frame.winfo_height()}",
              flush=True)

    frame.bind("<ButtonPress-1>", on_click)
    root.after(700, ready)
    root.mainloop()


if __name__ == "__main__":
    main()
