"""Writes pil_load/: tiny input images of every kind a user may pass, and pil_load.safetensors holding, per file, the
uint8 [H, W, 3] that diffusers' load_image gives (PIL.Image.open, ImageOps.exif_transpose, convert("RGB")).
Used by RgbImageLoadFixtureTests. Needs only Pillow and numpy; deterministic. Run from this folder:
/usr/bin/python3 make_pil_load.py"""
import io, os, struct, sys, zlib
import numpy as np
import PIL
from PIL import Image, ImageOps
from make_pil_resize import write_safetensors

H, W = 5, 7  # non-square, so a missed or wrong EXIF rotation changes the shape


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_row(kind, row, prior, bpp):
    """PNG scanline filter `kind` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) applied bytewise, per the PNG spec."""
    out = bytearray(len(row))
    for i in range(len(row)):
        a, b, c = (row[i - bpp] if i >= bpp else 0), prior[i], (prior[i - bpp] if i >= bpp else 0)
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out[i] = (row[i] - pred) & 0xFF
    return bytes([kind]) + bytes(out)


def write_png16(path, a, color_type, exif=None):
    """A 16-bit PNG written by hand (Pillow 9.4 cannot save RGB;16): color type 0 gray, 4 gray+alpha, 2 RGB, 6 RGBA.
    Row y uses filter type y % 5, so every filter is exercised."""
    h, w = a.shape[:2]
    flat = a.reshape(h, -1).astype(">u2")
    bpp = (flat.shape[1] // w) * 2
    raw, prior = b"", bytes(flat.shape[1] * 2)
    for y in range(h):
        row = flat[y].tobytes()
        raw += filter_row(y % 5, row, prior, bpp)
        prior = row
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + (png_chunk(b"eXIf", exif) if exif else b"") + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def load_image(path):
    """diffusers.utils.load_image for a local path."""
    image = Image.open(path)
    image = ImageOps.exif_transpose(image)
    return np.asarray(image.convert("RGB"))


def main():
    rng = np.random.default_rng(20261124)
    os.makedirs("pil_load", exist_ok=True)
    p = lambda name: os.path.join("pil_load", name)
    rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, size=(H, W), dtype=np.uint8)
    alpha[0, :3] = [0, 255, 1]
    gray = rng.integers(0, 256, size=(H, W), dtype=np.uint8)
    Image.fromarray(rgb, "RGB").save(p("rgb8.png"))
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(p("rgba8.png"))
    Image.fromarray(gray, "L").save(p("l8.png"))
    Image.fromarray(rgb, "RGB").save(p("rgb8_trns.png"), transparency=tuple(int(v) for v in rgb[0, 0]))  # tRNS colour key
    Image.fromarray(gray, "L").save(p("l8_trns.png"), transparency=int(gray[0, 0]))
    Image.fromarray(np.dstack([gray, alpha]), "LA").save(p("la8.png"))
    pal = Image.fromarray(rng.integers(0, 6, size=(H, W), dtype=np.uint8), "P")
    pal.putpalette(rng.integers(0, 256, size=6 * 3, dtype=np.uint8).tobytes())
    pal.save(p("p8_trns_index.png"), transparency=2)  # one fully transparent palette entry (tRNS)
    pal.save(p("p8_trns_alpha.png"), transparency=bytes([0, 40, 128, 255, 7, 200]))  # per-entry alpha
    pal.save(p("p8.gif"), transparency=2)
    # 16-bit: values chosen around the 8-bit rounding boundaries (x·257 ± small, and 0x..80 halves)
    w16 = rng.integers(0, 65536, size=(H, W, 4), dtype=np.uint16)
    w16[0, 0, :] = [0x0080, 0x017F, 0xFF7F, 0xFFFF]
    w16[0, 1, :] = [0x0100, 0x00FF, 0x8080, 0x7F80]
    write_png16(p("rgb16.png"), w16[..., :3], 2)
    write_png16(p("rgba16.png"), w16, 6)
    write_png16(p("la16.png"), w16[..., 2:], 4)
    exif8 = Image.Exif()
    exif8[0x0112] = 8
    write_png16(p("rgb16_exif8.png"), w16[..., :3], 2, exif=exif8.tobytes()[6:])  # eXIf holds the TIFF, no "Exif\0\0"
    g16 = w16[..., 0].copy()
    g16[1, :] = [0, 1, 254, 255, 256, 300, 1000]  # Pillow's I;16 → RGB clamps to 255 rather than scaling
    write_png16(p("gray16.png"), g16, 0)
    # JPEG with each EXIF orientation 1..8 (exif_transpose rotates/flips, then drops the tag)
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        Image.fromarray(rgb, "RGB").save(p(f"exif{o}.jpg"), quality=95, exif=exif.tobytes())
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(p("rgba8_exif6.png"), exif=exif.tobytes())  # eXIf chunk
    Image.fromarray(rgb, "RGB").save(p("lossless_exif6.webp"), lossless=True, exif=exif.tobytes())
    Image.fromarray(gray, "L").save(p("l8.jpg"), quality=95)
    Image.fromarray(np.dstack([rgb, gray]), "CMYK").save(p("cmyk.jpg"), quality=95)  # Pillow's cmyk2rgb on decode
    Image.fromarray(gray, "L").convert("1").save(p("bilevel1.png"))  # 1-bit PNG, mode "1"
    Image.fromarray(rgb, "RGB").save(p("lossless.webp"), lossless=True)
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(p("rgba_lossless.webp"), lossless=True, exact=True)
    Image.fromarray(rgb, "RGB").save(p("lossy.webp"), quality=90)
    with open(p("rgb16.png"), "rb") as f:
        data = f.read()
    with open(p("truncated16.png"), "wb") as f:
        f.write(data[:len(data) * 2 // 3])
    with open(p("rgb8.png"), "rb") as f:
        data = f.read()
    with open(p("truncated.png"), "wb") as f:
        f.write(data[:len(data) // 2])
    with open(p("not_an_image.png"), "wb") as f:
        f.write(b"this is a text file, not a PNG\n")

    expected, modes = {}, {}
    for name in sorted(os.listdir("pil_load")):
        try:
            expected[name] = load_image(p(name))
            modes[name] = Image.open(p(name)).mode
        except Exception as e:
            modes[name] = "error:" + type(e).__name__
    write_safetensors("pil_load.safetensors", expected, {"pillow": PIL.__version__, **{"mode:" + k: v for k, v in modes.items()}})
    for k, v in modes.items():
        print(k, v, expected[k].shape if k in expected else "")


if __name__ == "__main__":
    main()
