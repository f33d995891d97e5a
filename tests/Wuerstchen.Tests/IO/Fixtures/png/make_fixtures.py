#!/usr/bin/python3
"""Generates the PNG decoder fixtures in this folder (run once; the outputs are committed).

Independent of our C# code: pixels are written by pypng (Debian `python3-png`), then re-encoded by
libpng through pngcrush (Debian `pngcrush`) with libpng's adaptive row filtering, so the files use all
five filter types; the text-chunk file is written by Pillow (`python3-pil`), whose PNG encoder is a third
implementation.

    apt-get install -y python3-png python3-pil pngcrush
    /usr/bin/python3 tests/Wuerstchen.Tests/IO/Fixtures/png/make_fixtures.py

Pixel values follow `value()` below, which the C# test (PngFixtureTests) re-implements to know the
expected samples; manifest.json lists each file's header, palette size, transparency and the row
filter types that occur in it.
"""
import json
import os
import subprocess
import tempfile
import zlib

import png
from PIL import Image, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH, HEIGHT = 11, 7
PALETTE_SIZES = {1: 2, 2: 3, 4: 11, 8: 200}


def value(x, y, c, depth):
    """Sample c of pixel (x, y): smooth ramps on even rows (favouring Sub/Up/Avg/Paeth), noise on odd rows."""
    m = 1 << depth
    if y % 2 == 0:
        return (x * (m - 1) // 10 + c * (m // 4) + y) % m
    return (x * 7919 + y * 104729 + c * 31337 + x * y * 613) % m


def palette_entry(i):
    return ((i * 53) % 256, (i * 101 + 7) % 256, (i * 197 + 13) % 256)


def palette_alpha(i):
    return (i * 67 + 5) % 256


CHANNELS = {"Grey": 1, "GreyAlpha": 2, "Rgb": 3, "Rgba": 4, "Palette": 1}
COLOR_TYPE = {"Grey": 0, "Rgb": 2, "Palette": 3, "GreyAlpha": 4, "Rgba": 6}


def rows_for(color, depth, width, height):
    n = CHANNELS[color]
    if color == "Palette":
        size = PALETTE_SIZES[depth]
        return [[value(x, y, 0, depth) % size for x in range(width)] for y in range(height)]
    return [[value(x, y, c, depth) for x in range(width) for c in range(n)] for y in range(height)]


def adam7_passes(width, height, interlaced):
    if not interlaced:
        return [(width, height)]
    out = []
    for xs, ys, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        cols = (width - xs + dx - 1) // dx if width > xs else 0
        rows = (height - ys + dy - 1) // dy if height > ys else 0
        if cols and rows:
            out.append((cols, rows))
    return out


def filters_used(path, bits_per_pixel, width, height, interlaced):
    """Reads the filter byte of every stored row (chunk walk + zlib), to record which filters a file exercises."""
    data = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw, used, offset = zlib.decompress(idat), set(), 0
    for cols, rows in adam7_passes(width, height, interlaced):
        row_bytes = (cols * bits_per_pixel + 7) // 8
        for _ in range(rows):
            used.add(raw[offset])
            offset += 1 + row_bytes
    assert offset == len(raw), path
    return sorted(used)


def write(name, color, depth, interlaced, width=WIDTH, height=HEIGHT, trns=None):
    kwargs = dict(bitdepth=depth, interlace=interlaced)
    if color == "Palette":
        size = PALETTE_SIZES[depth]
        if trns is None:
            kwargs["palette"] = [palette_entry(i) for i in range(size)]
        else:
            kwargs["palette"] = [palette_entry(i) + ((palette_alpha(i),) if i < trns else (255,)) for i in range(size)]
    else:
        kwargs["greyscale"] = color in ("Grey", "GreyAlpha")
        kwargs["alpha"] = color in ("GreyAlpha", "Rgba")
        if trns is not None:
            kwargs["transparent"] = trns
    rows = rows_for(color, depth, width, height)
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain.png")
        with open(plain, "wb") as f:
            png.Writer(width, height, **kwargs).write(f, rows)
        target = os.path.join(HERE, name)
        if os.path.exists(target):
            os.remove(target)
        # libpng re-encode: adaptive filters (-f 5), colour type and depth kept (-noreduce), interlacing kept.
        subprocess.run(["pngcrush", "-q", "-noreduce", "-force", "-m", "1", "-f", "5", plain, target],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # pngcrush may write a 4-entry tRNS for palettes whose later entries are opaque; record what the file holds.
    reader = png.Reader(filename=os.path.join(HERE, name))
    reader.preamble()
    trns_len = len(reader.trns) if color == "Palette" and getattr(reader, "trns", None) else None
    bpp = depth * CHANNELS[color]
    entry = dict(file=name, width=width, height=height, colorType=color, bitDepth=depth, interlaced=interlaced,
                 filters=filters_used(os.path.join(HERE, name), bpp, width, height, interlaced))
    if color == "Palette":
        entry["paletteSize"] = PALETTE_SIZES[depth]
        if trns is not None:
            entry["paletteAlphaEntries"] = trns_len
    elif trns is not None:
        entry["colorKey"] = list(trns) if isinstance(trns, tuple) else [trns]
    return entry


def write_text_fixture():
    image = Image.new("RGB", (5, 4))
    image.putdata([(x * 50, y * 60, (x + y) * 20) for y in range(4) for x in range(5)])
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", "a photo of a red fox in the snow")              # tEXt
    info.add_text("seed", "1234 " * 40, zip=True)                           # zTXt
    info.add_itxt("Comment", "Würstchen ✓ 北京", lang="de", tkey="Kommentar")  # iTXt, uncompressed
    info.add_itxt("Description", "ünïcödé " * 30, zip=True)                  # iTXt, compressed
    image.save(os.path.join(HERE, "pil_text_rgb8.png"), pnginfo=info)


def main():
    manifest = []
    combos = [("Grey", d) for d in (1, 2, 4, 8, 16)] + [("Rgb", d) for d in (8, 16)] + \
             [("Palette", d) for d in (1, 2, 4, 8)] + [("GreyAlpha", d) for d in (8, 16)] + [("Rgba", d) for d in (8, 16)]
    for color, depth in combos:
        for interlaced in (False, True):
            name = f"{color.lower()}{depth}{'_adam7' if interlaced else ''}.png"
            manifest.append(write(name, color, depth, interlaced))
    # Transparency (tRNS): palette alpha, grey and RGB colour keys (values that occur in row 0).
    manifest.append(write("palette8_trns.png", "Palette", 8, False, trns=150))
    manifest.append(write("palette2_trns_adam7.png", "Palette", 2, True, trns=3))
    manifest.append(write("grey4_trns.png", "Grey", 4, False, trns=value(3, 0, 0, 4)))
    manifest.append(write("grey16_trns_adam7.png", "Grey", 16, True, trns=value(3, 0, 0, 16)))
    manifest.append(write("rgb8_trns.png", "Rgb", 8, False, trns=tuple(value(2, 0, c, 8) for c in range(3))))
    manifest.append(write("rgb16_trns.png", "Rgb", 16, False, trns=tuple(value(2, 0, c, 16) for c in range(3))))
    # Interlaced images smaller than the 8×8 Adam7 tile, where some passes are empty.
    manifest.append(write("rgb8_1x1_adam7.png", "Rgb", 8, True, width=1, height=1))
    manifest.append(write("rgba8_3x2_adam7.png", "Rgba", 8, True, width=3, height=2))
    manifest.append(write("grey1_9x9_adam7.png", "Grey", 1, True, width=9, height=9))
    write_text_fixture()
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(e) for e in manifest) + "\n]\n")
    total = sum(os.path.getsize(os.path.join(HERE, e["file"])) for e in manifest)
    print(f"{len(manifest)} fixtures, {total} bytes")


if __name__ == "__main__":
    main()
