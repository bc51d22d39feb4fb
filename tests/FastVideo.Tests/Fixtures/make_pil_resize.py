"""Writes pil_resize.safetensors: Pillow's Image.resize outputs (uint8, every filter) and one transformers-style
CLIPImageProcessor pixel_values, for PilResizeFixtureTests. Needs only Pillow and numpy; see README.md."""
import json, math, struct, sys
import numpy as np
import PIL
from PIL import Image

FILTERS = {0: Image.NEAREST, 1: Image.LANCZOS, 2: Image.BILINEAR, 3: Image.BICUBIC, 4: Image.BOX, 5: Image.HAMMING}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        dtype = {np.dtype(np.uint8): "U8", np.dtype(np.float32): "F32"}[a.dtype]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def clip_preprocess(a, shortest_edge, crop_h, crop_w):
    """transformers CLIPImageProcessor.preprocess (resize shortest edge, bicubic; center_crop; rescale; normalize)."""
    h, w = a.shape[:2]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    oh, ow = (new_long, new_short) if w <= h else (new_short, new_long)
    a = np.array(Image.fromarray(a).resize((ow, oh), resample=Image.BICUBIC, reducing_gap=None))
    top, left = (oh - crop_h) // 2, (ow - crop_w) // 2
    assert top >= 0 and left >= 0  # the padding branch of center_crop is not exercised here
    a = a[top:top + crop_h, left:left + crop_w]
    a = (a.astype(np.float64) * (1 / 255)).astype(np.float32)
    mean = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
    std = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
    return ((a - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)


def main(out):
    rng = np.random.default_rng(20261123)
    image = rng.integers(0, 256, size=(53, 37, 3), dtype=np.uint8)  # [height, width, 3]
    yy, xx = np.mgrid[0:53, 0:37]
    image[..., 2] = ((xx // 3 + yy // 2) % 2) * 255  # hard edges: overshooting filters must clamp
    tiny = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    # One row whose 9 → 3 Hamming result depends on Resample.c's float literals 0.54f/0.46f (found by search: with
    # 0.54/0.46 in double the middle output of channel 0 is 144 instead of Pillow's 143).
    row = np.array([232, 183, 193, 148, 181, 94, 25, 155, 2], dtype=np.uint8)
    strip = np.stack([row, row[::-1], row], axis=-1)[None]
    tensors = {"image": image, "tiny": tiny, "strip": strip}
    targets = {"image": [(11, 8), (25, 19), (59, 13)], "tiny": [(16, 22)], "strip": [(1, 3)]}  # (height, width)
    for src, sizes in targets.items():
        for f, pil_filter in FILTERS.items():
            for oh, ow in sizes:
                img = Image.fromarray(tensors[src])
                tensors[f"resize.{src}.{f}.{oh}x{ow}"] = np.asarray(img.resize((ow, oh), resample=pil_filter, reducing_gap=None))
    tensors["clip.image.se24.crop20x22"] = clip_preprocess(image, 24, 20, 22)
    write_safetensors(out, tensors, {"pillow": PIL.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pil_resize.safetensors")
