"""Draws CNN Lab's browser-tab icon, `cnnlab/app/assets/app_icon.png`: a handwritten-looking 7 in MNIST's grey
pixels on the app's blue, with an amber 3 × 3 filter over part of its stroke, as a conv layer reads it.

The app ships the icon as a file because a Material icon (`:material/…:`) as page_icon makes the browser fetch it
from Google's font CDN, which fails on a school network without internet. Pillow draws it from the pixel map
below, so the same bytes come out on every run:

    python scripts/make_app_icon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUTPUT_PATH = Path(__file__).resolve().parent.parent / "cnnlab" / "app" / "assets" / "app_icon.png"
# The digit on a 16 × 16 grid, as MNIST draws digits: "#" full ink, "+" the soft edge of a stroke, "." no ink.
DIGIT = [
    "................",
    "................",
    "..+########+....",
    "..##########+...",
    "...++++++++##...",
    "..........+##...",
    ".........+##+...",
    ".........##+....",
    "........+##.....",
    "........##+.....",
    ".......+##......",
    ".......##+......",
    "......+##.......",
    "......##+.......",
    "................",
    "................",
]
CELL_PIXELS = 4  # 16 cells of 4 pixels: a 64 × 64 icon, which browsers scale down to the tab's 16 or 32
BACKGROUND = (31, 95, 191, 255)  # the theme's primaryColor, #1F5FBF (.streamlit/config.toml)
INK = {"#": (255, 255, 255, 255), "+": (150, 176, 220, 255)}  # white, and white half over the blue
FILTER_COLOUR = (255, 194, 51, 255)  # amber: it stands out on both the blue and the white
FILTER_CELLS = (9, 4, 3)  # the filter's left column, top row and size, in cells: over the 7's corner
CORNER_RADIUS = 12  # pixels: a rounded square, like other apps' icons


def draw_icon() -> Image.Image:
    """The icon as a 64 × 64 RGBA image: the rounded blue square, the digit's cells, then the filter's frame."""
    size = len(DIGIT) * CELL_PIXELS
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=CORNER_RADIUS, fill=BACKGROUND)
    for row, line in enumerate(DIGIT):
        for column, mark in enumerate(line):
            if mark in INK:
                left, top = column * CELL_PIXELS, row * CELL_PIXELS
                draw.rectangle((left, top, left + CELL_PIXELS - 1, top + CELL_PIXELS - 1), fill=INK[mark])
    column, row, cells = FILTER_CELLS
    left, top = column * CELL_PIXELS - 1, row * CELL_PIXELS - 1
    side = cells * CELL_PIXELS + 1
    draw.rectangle((left, top, left + side, top + side), outline=FILTER_COLOUR, width=2)
    return icon


def main() -> int:
    OUTPUT_PATH.parent.mkdir(parents=True, exist_ok=True)
    draw_icon().save(OUTPUT_PATH, format="PNG", optimize=True)
    print(f"Wrote {OUTPUT_PATH} ({OUTPUT_PATH.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
