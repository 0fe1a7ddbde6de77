"""Measure how tiled decoding differs from whole-image decoding for a bundle.

Tiles are lr_tile x lr_tile LR pixels including `overlap` context pixels on each side that are
decoded and then discarded (no blending), i.e. each output pixel comes from exactly one tile and
sees at least `overlap` LR pixels of real context (or the image border). The theoretical
receptive radius is an upper bound; this measures the effective one.

    cd model && /usr/bin/python3 -m tadm_train.tiling --bundle bundles/pix16 --image ../../shared/data/kodak/kodim23.png
"""
import argparse
import json
import os

import numpy as np
import torch

from .evaluate import load_bundle, pad_edge, to_t


@torch.no_grad()
def decode_tiled(dec, lr: torch.Tensor, scale: int, lr_tile: int, overlap: int) -> torch.Tensor:
    _, _, h, w = lr.shape
    core = lr_tile - 2 * overlap
    assert core > 0
    out = torch.empty(1, 3, h * scale, w * scale)
    for y0 in range(0, h, core):
        for x0 in range(0, w, core):
            y1, x1 = min(y0 + core, h), min(x0 + core, w)
            ya, xa = max(0, y0 - overlap), max(0, x0 - overlap)
            yb, xb = min(h, y1 + overlap), min(w, x1 + overlap)
            o = dec(lr[:, :, ya:yb, xa:xb])
            out[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                o[:, :, (y0 - ya) * scale:(y1 - ya) * scale, (x0 - xa) * scale:(x1 - xa) * scale]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--lr-tile", type=int, default=64)
    ap.add_argument("--overlaps", default="2,4,8,12,16,24")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    codec, man = load_bundle(args.bundle)
    from PIL import Image
    a = np.array(Image.open(args.image).convert("RGB"))
    with torch.no_grad():
        lr = torch.round(codec.enc(to_t(pad_edge(a, codec.scale))).clamp(0, 1) * 255) / 255
        full = codec.dec(lr).clamp(0, 1)
    print(f"bundle {man['name']} (theoretical decoder radius {man.get('receptive_field_lr_decoder')} LR px), "
          f"LR {lr.shape[-1]}x{lr.shape[-2]}, lr_tile {args.lr_tile}")
    print("| overlap (LR px) | max abs diff (8-bit levels) | mean abs diff | PSNR tiled vs full |")
    print("|---|---|---|---|")
    for o in [int(v) for v in args.overlaps.split(",")]:
        if args.lr_tile - 2 * o <= 0:
            continue
        t = decode_tiled(codec.dec, lr, codec.scale, args.lr_tile, o).clamp(0, 1)
        d = (t - full).abs() * 255
        mse = float(((t - full) ** 2).mean())
        ps = 10 * np.log10(1.0 / mse) if mse > 0 else float("inf")
        print(f"| {o} | {float(d.max()):.3f} | {float(d.mean()):.5f} | {ps:.1f} dB |")


if __name__ == "__main__":
    main()
