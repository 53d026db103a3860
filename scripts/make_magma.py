"""Write cnnlab/pictures/magma.py: matplotlib's "magma" colour map as 256 "#rrggbb" colours, darkest first.

The pictures colour strengths (activations, saliency) with magma. matplotlib is a development dependency only, and
the web server should not load it for one table of colours, so the table is written into the package instead:

    python scripts/make_magma.py

Each colour is matplotlib's float RGB rounded to the nearest 8-bit value, so running the script again writes an
identical file. tests/pictures/test_palette.py checks the module against matplotlib: a hand edit, or a matplotlib
whose magma changed, shows up there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUTPUT_PATH = Path(__file__).resolve().parent.parent / "cnnlab" / "pictures" / "magma.py"
COLOURS_PER_LINE = 10  # 4 + 10 × 11 characters: within the project's line length of 120

HEADER = '''"""matplotlib's "magma" colour map: 256 "#rrggbb" colours, from black (index 0) through purple and
orange to pale yellow (index 255); entry i is the colour of i / 255 of the way.

Written by scripts/make_magma.py, which says why the table is here; run it again rather than edit this file.
"""

MAGMA = (
'''


def magma_colours() -> list[str]:
    """matplotlib's magma as 256 "#rrggbb" strings, darkest first."""
    from matplotlib import colormaps

    table = np.asarray(colormaps["magma"].colors, dtype=np.float64)[:, :3]  # float (256, 3) in [0, 1]
    if table.shape != (256, 3):
        raise ValueError(f"Expected matplotlib's magma to be 256 colours, got a table of shape {table.shape}.")
    channels = np.round(table * 255).astype(int)  # (256, 3) in 0–255
    return ["#" + "".join(f"{channel:02x}" for channel in colour) for colour in channels]


def module_text(colours: list[str]) -> str:
    """The Python module that holds `colours` as the tuple MAGMA, `COLOURS_PER_LINE` to a line."""
    lines = [", ".join(f'"{colour}"' for colour in colours[start : start + COLOURS_PER_LINE]) + ","
             for start in range(0, len(colours), COLOURS_PER_LINE)]
    return HEADER + "".join(f"    {line}\n" for line in lines) + ")\n"


if __name__ == "__main__":
    OUTPUT_PATH.write_text(module_text(magma_colours()))
    print(f"Wrote {OUTPUT_PATH}.")
