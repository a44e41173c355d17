"""Draws the extension's icon, client-extension/icon.png (256x256, as the Marketplace asks for at least 128x128).

A prism, Prisma's own shape, on a dark tile, crossed by a pulse line: a checkup of the schema. Needs Pillow:
    python -m venv /tmp/pil && /tmp/pil/bin/pip install pillow && /tmp/pil/bin/python client-extension/draw_icon.py
It draws at four times the size and scales down, for smooth edges.
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4
TILE = (24, 32, 56, 255)
PRISM = (236, 240, 250, 255)
PRISM_SHADE = (150, 165, 205, 255)
PULSE = (64, 220, 140, 255)


def draw() -> Image.Image:
    big = SIZE * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)

    def at(x: float, y: float) -> tuple[float, float]:
        return x * SCALE, y * SCALE

    pen.rounded_rectangle([at(8, 8), at(248, 248)], radius=48 * SCALE, fill=TILE)
    # The prism: a tall triangle whose right face is shaded, as a lit solid.
    apex, left, right, ridge = at(128, 34), at(54, 206), at(202, 206), at(146, 206)
    pen.polygon([apex, left, ridge], fill=PRISM)
    pen.polygon([apex, ridge, right], fill=PRISM_SHADE)
    # The pulse line, drawn over the prism with a dark outline so that it reads on both faces.
    pulse = [at(*p) for p in [(20, 150), (84, 150), (102, 112), (124, 190), (146, 96), (166, 150), (236, 150)]]
    pen.line(pulse, fill=TILE, width=26 * SCALE, joint="curve")
    pen.line(pulse, fill=PULSE, width=14 * SCALE, joint="curve")
    return image.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    draw().save(Path(__file__).with_name("icon.png"), optimize=True)
