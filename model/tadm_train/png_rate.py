"""A differentiable estimate of the PNG size of an 8-bit thumbnail, for rate-aware training.

PNG (RFC 2083 / ISO 15948) codes each row after one of five filters (None, Sub, Up, Average,
Paeth: the byte minus a prediction from the left, upper and upper-left bytes, mod 256); libpng's
adaptive choice takes, per row, the filter whose residuals have the smallest sum of absolute
(signed-byte) values, and deflate then codes the residual bytes. Small residuals are cheap, so
the estimate is a cost per residual, log2(1 + |r|), summed with the per-row minimum over the
filters, and mapped to bytes by a line fitted against real PNG files:

    bytes ~= a * sum_rows min_filter sum log2(1 + |r|) + b * pixels + c

`calibrate` fits (a, b, c) by least squares on thumbnails of training photos (bicubic and, if a
bundle is given, learned ones) written by PIL (zlib level 9, optimize, as evaluate.py measures)
and reports the fit; the numbers are stored in CALIBRATION. Residuals wrap (mod 256): the
magnitude is min(|r|, 256 - |r|), piecewise linear, so gradients flow through the 8-bit thumbnail
(straight-through rounding upstream) to the encoder.

    cd model && /usr/bin/python3 -m tadm_train.png_rate --data ../../shared/data/train --scale 16 \\
        --bundle bundles/pix16
"""
import argparse
import io
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

# Fitted by `python3 -m tadm_train.png_rate --data ../../shared/data/train --scale 16 --bundle
# bundles/pix16` on the 121 training photos' bicubic and pix16 thumbnails (238 files, 16x):
# R^2 0.9958, median relative error 1.4 %, largest 12 % (runs/png-rate/calibration-train-x16.json).
# a: bytes per unit of cost; b: bytes per pixel; c: fixed bytes (headers, deflate blocks).
CALIBRATION = {"a": 0.16791, "b": 0.77621, "c": 133.72}


def residual_cost(y255: torch.Tensor) -> torch.Tensor:
    """y255: [N,C,H,W] 8-bit values as floats (0..255). Returns [N]: the summed cost of the
    per-row best filter, log2(1 + |residual|) per byte."""
    n, c, h, w = y255.shape
    z = F.pad(y255, (1, 0, 1, 0))  # a zero column on the left and row on top, as PNG's filters see
    x = z[:, :, 1:, 1:]
    a = z[:, :, 1:, :-1]  # left
    b = z[:, :, :-1, 1:]  # up
    cc = z[:, :, :-1, :-1]  # up-left
    p = a + b - cc
    # Paeth: the neighbour closest to a + b - c; its choice is piecewise constant, so no gradient
    # flows through it, only through the chosen neighbour.
    pa, pb, pc = (p - a).abs(), (p - b).abs(), (p - cc).abs()
    paeth = torch.where((pa <= pb) & (pa <= pc), a, torch.where(pb <= pc, b, cc))
    preds = [torch.zeros_like(x), a, b, torch.floor((a + b) / 2) + ((a + b) / 2 - ((a + b) / 2).detach()), paeth]
    costs = []
    for pr in preds:
        r = (x - pr).abs()
        r = torch.minimum(r, 256.0 - r)  # mod 256
        costs.append(torch.log2(1.0 + r).sum(dim=(1, 3)))  # [N,H]: channels and columns of each row
    row = torch.stack(costs, 0)  # [5,N,H]
    # The filter libpng would pick is chosen on the sum of absolute signed residuals; the log cost
    # ranks filters the same way closely enough, and the minimum keeps the chosen one's gradient.
    return row.min(dim=0).values.sum(dim=1)


def estimate_bytes(y255: torch.Tensor, cal: dict = CALIBRATION, overhead: bool = True) -> torch.Tensor:
    """[N] estimated PNG bytes of each thumbnail in the batch (y255: [N,C,H,W], 0..255).
    overhead=False leaves out the fixed bytes: for ratios on training crops, whose tiny
    thumbnails would otherwise be dominated by them."""
    pixels = y255.shape[2] * y255.shape[3]
    return cal["a"] * residual_cost(y255) + cal["b"] * pixels + (cal["c"] if overhead else 0.0)


def png_size(a: np.ndarray) -> int:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", optimize=True, compress_level=9)
    return len(buf.getvalue())


def calibrate(thumbs: list) -> dict:
    """Least squares of real PNG bytes on (cost, pixels, 1); returns the fit and its errors."""
    cost = [float(residual_cost(torch.from_numpy(t).permute(2, 0, 1)[None].float())[0]) for t in thumbs]
    pix = [t.shape[0] * t.shape[1] for t in thumbs]
    real = np.array([png_size(t) for t in thumbs], dtype=np.float64)
    A = np.stack([np.array(cost), np.array(pix, dtype=np.float64), np.ones(len(thumbs))], 1)
    coef, *_ = np.linalg.lstsq(A, real, rcond=None)
    pred = A @ coef
    rel = np.abs(pred - real) / real
    r2 = 1.0 - float(((real - pred) ** 2).sum() / ((real - real.mean()) ** 2).sum())
    return {"a": round(float(coef[0]), 5), "b": round(float(coef[1]), 5), "c": round(float(coef[2]), 2),
            "r2": round(r2, 4), "median_rel_error": round(float(np.median(rel)), 4),
            "max_rel_error": round(float(rel.max()), 4), "n": len(thumbs)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--scale", type=int, default=16)
    ap.add_argument("--bundle", default=None, help="also the learned thumbnails of this bundle")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args(argv)
    from .data import list_images, load_rgb
    from .evaluate import load_bundle, pad_edge, to_t, to_u8
    torch.set_num_threads(1)
    files = list_images(args.data)
    if args.limit:
        files = files[: args.limit]
    enc = None
    if args.bundle:
        codec, _ = load_bundle(args.bundle)
        enc = codec.enc
    bic, learned = [], []
    from .models import BicubicDown
    down = BicubicDown(args.scale)
    with torch.no_grad():
        for f in files:
            x = to_t(pad_edge(load_rgb(f), args.scale))
            bic.append(to_u8(down(x)))
            if enc is not None:
                learned.append(to_u8(enc(x)))
    out = {"bicubic": calibrate(bic)}
    if learned:
        out["learned"] = calibrate(learned)
        out["both"] = calibrate(bic + learned)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
