"""The thumbnail-grid texture: how much of a restoration's fine detail repeats with the thumbnail's
pixel grid (one thumbnail pixel = `period` photo pixels).

The latent models' restorations carry a pattern of that period (tadm16's crops; its spectrum has
a lattice of peaks at multiples of 1/period with the image's own spectrum copied around each):
G_d turns every thumbnail pixel into a block of latent, and each place in the block is drawn its
own way. Two statistics of the high-pass (the image minus its period-wide box mean, which passes
every harmonic of the grid), taken per place in the grid ("phase") over all grid cells:
  - energy: the spread over the phases of log(HF energy of the output / of the reference);
    a restoration that draws detail more at some places of every cell than at others,
  - mean: the part of the output's HF that is the same in every cell (a fixed additive pattern),
    as a fraction of the output's HF energy (a photo has none: about 1 / cells from sampling).
Both are about 0 for a restoration without the pattern and do not reward blur by themselves.
`grid_loss` is their sum (the enhancer's "grid" loss term); `grid_score` measures 8-bit images.

    python3 -m tadm_train.grid --period 16 --ref ../../shared/data/kodak DECODED.png ...
"""
import argparse
import os
import sys
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-5  # HF energy floor, about (0.8/255)^2: keeps flat areas' log ratios finite and quiet


def high_pass(x: torch.Tensor, period: int) -> torch.Tensor:
    """x minus its period x period box mean (reflect-padded, same size): a box of the grid's width
    has zeros at every multiple of 1/period, so the grid's harmonics pass whole."""
    a, b = period // 2, period - 1 - period // 2
    return x - F.avg_pool2d(F.pad(x, (a, b, a, b), mode="reflect"), period, stride=1)


def phase_stats(hp: torch.Tensor, period: int, shifts: Optional[Sequence[Tuple[int, int]]] = None):
    """hp [N, C, H, W] -> (mean [C, P, P], energy [P, P]) over the whole grid cells of all N, half a
    cell away from the borders (where the box mean saw reflected pixels). `shifts` (dy, dx) per
    item: the grid phase of its top-left pixel (0 when the grid starts there)."""
    n, c, h, w = hp.shape
    shifts = list(shifts) if shifts is not None else [(0, 0)] * n

    def start(d: int) -> int:  # first grid line at least half a cell in
        s = (period - d) % period
        return s + period if s < period // 2 else s
    starts = [(start(dy), start(dx)) for dy, dx in shifts]
    ny = min((h - period // 2 - sy) // period for sy, _ in starts)
    nx = min((w - period // 2 - sx) // period for _, sx in starts)
    if ny < 1 or nx < 1:
        raise ValueError(f"images of {w}x{h} hold no whole {period} px cell away from their borders")
    cells = torch.cat([hp[i:i + 1, :, sy:sy + ny * period, sx:sx + nx * period]
                       for i, (sy, sx) in enumerate(starts)])
    cells = cells.reshape(n, c, ny, period, nx, period)
    return cells.mean((0, 2, 4)), (cells ** 2).mean((0, 1, 2, 4))


def grid_terms(out: torch.Tensor, ref: torch.Tensor, period: int,
               shifts: Optional[Sequence[Tuple[int, int]]] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(energy, mean) statistics of `out` against `ref`, both [N, C, H, W] in [0, 1]."""
    if min(out.shape[-2:]) < 2 * period:  # one cell, and half a cell of border on each side
        raise ValueError(f"images of {out.shape[-1]}x{out.shape[-2]} hold no whole {period} px cell away "
                         "from their borders")
    mo, eo = phase_stats(high_pass(out, period), period, shifts)
    with torch.no_grad():
        _, er = phase_stats(high_pass(ref, period), period, shifts)
    r = torch.log(eo + EPS) - torch.log(er + EPS)
    # a photo has no detail common to every cell (the reference's own phase mean is sampling
    # noise, not a target); measured against the output's detail, which the pattern sits on
    return r.var(), (mo ** 2).mean() / (eo.detach().mean() + EPS)


def grid_loss(out: torch.Tensor, ref: torch.Tensor, period: int,
              shifts: Optional[Sequence[Tuple[int, int]]] = None) -> torch.Tensor:
    e, m = grid_terms(out, ref, period, shifts)
    return e + m


def grid_score(ref: np.ndarray, out: np.ndarray, period: int) -> Tuple[float, float]:
    """(energy, mean) of an 8-bit restoration against its original (HWC uint8, the same size;
    the grid starts at the top-left pixel, as the codec's does)."""
    if ref.shape != out.shape:
        raise ValueError(f"sizes differ: {ref.shape[1]}x{ref.shape[0]} and {out.shape[1]}x{out.shape[0]}")
    from .evaluate import to_t  # HWC uint8 -> [1, 3, H, W] in [0, 1]; evaluate imports this module
    e, m = grid_terms(to_t(out).double(), to_t(ref).double(), period)  # float64: sums over a whole photo
    return float(e), float(m)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", type=int, required=True, help="photo pixels per thumbnail pixel (the scale)")
    ap.add_argument("--ref", required=True, help="folder of the originals, matched by file name")
    ap.add_argument("decoded", nargs="+", help="restored PNGs, named as their originals (kodim01.png, or "
                    "kodim01.<anything>.png)")
    args = ap.parse_args(argv)
    from .data import load_rgb
    rows = []
    for p in args.decoded:
        name = os.path.basename(p)  # kodim01.png, or kodim01.<anything>.png
        rp = os.path.join(args.ref, name)
        if not os.path.exists(rp):
            rp = os.path.join(args.ref, name.split(".")[0] + ".png")
        if not os.path.exists(rp):
            print(f"{p}: no original {rp}", file=sys.stderr)
            return 1
        try:
            e, m = grid_score(load_rgb(rp), load_rgb(p), args.period)
        except ValueError as err:
            print(f"{p}: {err}", file=sys.stderr)
            return 1
        rows.append((e, m))
        print(f"{os.path.basename(p)} energy {e:.4f} mean {m:.4f}")
    e, m = np.mean(rows, 0)
    print(f"mean over {len(rows)}: energy {e:.4f} mean {m:.4f} (0 = no grid texture)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
