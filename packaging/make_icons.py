"""Render assets/agent-app.svg (the source) into the icon files the packages need, next to it in assets/:
agent-app-N.png for the hicolor sizes, agent-app.ico (Windows) and agent-app.icns (macOS).

Run it after editing the SVG: `python packaging/make_icons.py`. `--check` only reports icons that no longer
match the SVG (exit 1). Needs PySide6 (QtSvg, offscreen: no display) and Pillow.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SOURCE = "agent-app.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # the hicolor theme's usual app-icon sizes
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico holds
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # 1024 = 512@2x
MAX_MEAN_DIFF = 2.0  # per channel, 0..255: antialiasing may differ a little between Qt versions


def render(size: int, svg: Path | None = None):  # returns a PIL.Image (RGBA)
    """The SVG drawn at size x size by Qt's SVG renderer (the same one the app uses for its icons)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg or ASSETS / SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg or ASSETS / SOURCE}")
    image = QImage(size, size, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return Image.frombytes("RGBA", (size, size), bytes(image.constBits()), "raw", "RGBA", image.bytesPerLine())


def mean_diff(a, b) -> float:
    """Mean absolute difference per channel of two same-sized RGBA images."""
    from PIL import ImageChops, ImageStat

    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGBA"), b.convert("RGBA"))).mean) / 4


def write_all(assets: Path = ASSETS) -> list[Path]:
    renders = {size: render(size, assets / SOURCE) for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}
    written = []
    for size in PNG_SIZES:
        path = assets / f"agent-app-{size}.png"
        renders[size].save(path, optimize=True)
        written.append(path)
    ico = assets / "agent-app.ico"
    largest = renders[max(ICO_SIZES)]
    largest.save(ico, sizes=[(s, s) for s in ICO_SIZES], append_images=[renders[s] for s in ICO_SIZES])
    icns = assets / "agent-app.icns"
    renders[1024].save(icns, append_images=[renders[s] for s in ICNS_SIZES if s != 1024])
    return [*written, ico, icns]


def stale(assets: Path = ASSETS) -> list[str]:
    """Names of generated icons that are missing or no longer look like the SVG."""
    from PIL import Image

    problems = []
    for size in PNG_SIZES:
        path = assets / f"agent-app-{size}.png"
        if not path.exists():
            problems.append(f"{path.name} is missing")
            continue
        with Image.open(path) as img:
            if img.size != (size, size):
                problems.append(f"{path.name} is {img.size[0]}x{img.size[1]}, not {size}x{size}")
            elif (diff := mean_diff(img, render(size, assets / SOURCE))) > MAX_MEAN_DIFF:
                problems.append(f"{path.name} differs from the SVG (mean difference {diff:.1f})")
    for name in ("agent-app.ico", "agent-app.icns"):
        if not (assets / name).exists():
            problems.append(f"{name} is missing")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale or missing icons")
    parser.add_argument("--assets", type=Path, default=ASSETS, help="the folder with agent-app.svg (default: assets/)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale(args.assets)
        for problem in problems:
            print(f"make_icons: {problem}", file=sys.stderr)
        return 1 if problems else 0
    for path in write_all(args.assets):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
