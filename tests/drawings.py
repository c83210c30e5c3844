"""Small generated line drawings for tests that need images but no real sheet."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def random_line_drawing(seed: int, *, size: int = 400, strokes: int = 12, radius: int = 15) -> Image.Image:
    """A ``size`` x ``size`` drawing of random strokes, each with a circle at one end; different for each seed."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for _ in range(strokes):
        x0, y0, x1, y1 = (int(v) for v in rng.integers(20, size - 20, 4))
        draw.line((x0, y0, x1, y1), fill=0, width=3)
        draw.ellipse((x0 - radius, y0 - radius, x0 + radius, y0 + radius), outline=0, width=3)
    return image
