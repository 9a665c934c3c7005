"""Draw the LAKSA app icons (PNG) with Pillow: `.venv/bin/python scripts/make_web_icons.py`.

A white rounded square with a blue "L" and a map pin dot; the maskable variant keeps the mark
inside the 80% safe zone on a full-bleed blue background."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "web" / "static" / "web" / "icons"
BLUE = (11, 92, 171, 255)
RED = (217, 48, 37, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int, maskable: bool = False) -> Image.Image:
    img = Image.new("RGBA", (size, size), BLUE if maskable else (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pad = int(size * (0.14 if maskable else 0.04))
    if not maskable:
        d.rounded_rectangle([pad, pad, size - pad, size - pad], radius=size // 5, fill=BLUE)
    inner = size - 2 * pad
    # The letter L as two bars.
    x0, y0 = pad + inner * 0.28, pad + inner * 0.2
    bar = inner * 0.14
    d.rectangle([x0, y0, x0 + bar, pad + inner * 0.78], fill=WHITE)
    d.rectangle([x0, pad + inner * 0.78 - bar, pad + inner * 0.72, pad + inner * 0.78], fill=WHITE)
    # A red pin dot with a white ring, top right.
    cx, cy, r = pad + inner * 0.68, pad + inner * 0.34, inner * 0.12
    d.ellipse([cx - r * 1.35, cy - r * 1.35, cx + r * 1.35, cy + r * 1.35], fill=WHITE)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=RED)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192).save(OUT / "icon-192.png", optimize=True)
    draw(512).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
