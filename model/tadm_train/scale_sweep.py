"""Per-scale evaluation of an any-scale bundle against classic and the per-scale bundles.

    cd model && /usr/bin/python3 -m tadm_train.scale_sweep --bundle bundles/any32 \
        --data ../shared/data/kodak --compare bundles/pix16 bundles/pix32 --out runs/any32/kodak

For each scale (16, or 24x16 = across x down) the real path of evaluate.py (8-bit PNG thumbnail,
bpp with the container overhead) on every image: mean bpp, PSNR and SSIM of the any-scale model,
of classic bicubic at the same scale, and of each --compare bundle that serves that scale.
Writes OUT.md and OUT.json.
"""
import argparse
import json
import os

import numpy as np

from . import repo_path
from .data import list_images
from .evaluate import ClassicCodec, axes, evaluate, load_bundle, scale_label, summarize

DEFAULT_SCALES = ["2", "3", "4", "6", "8", "12", "16", "24", "32", "16x8", "24x16", "32x16", "8x32"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True, help="the any-scale bundle directory")
    ap.add_argument("--data", required=True)
    ap.add_argument("--scales", nargs="+", default=DEFAULT_SCALES)
    ap.add_argument("--compare", nargs="*", default=[], help="per-scale bundle directories")
    ap.add_argument("--limit", type=int, default=None, help="first N images only")
    ap.add_argument("--out", default=None, help="write OUT.md and OUT.json")
    args = ap.parse_args(argv)

    files = list_images(args.data if os.path.exists(args.data) else repo_path(args.data))[: args.limit]
    quiet = lambda *a, **k: None  # noqa: E731
    codec, man = load_bundle(args.bundle)
    if not codec.any_scale:
        ap.error(f"{args.bundle} is not an any-scale bundle (no \"scales\" in its manifest)")
    others = [load_bundle(p) for p in args.compare]
    rows = []
    for label in args.scales:
        s = axes(label)
        codec.scale = s
        r = {"scale": scale_label(s), "model": summarize(evaluate(codec, files, log=quiet)),
             "classic": summarize(evaluate(ClassicCodec(s), files, log=quiet)), "per_scale": {}}
        for oc, om in others:
            if axes(oc.scale) == s:
                r["per_scale"][om["name"]] = summarize(evaluate(oc, files, log=quiet))
        m, c = r["model"], r["classic"]
        extra = "".join(f", {k} {v['psnr']:.2f} dB" for k, v in r["per_scale"].items())
        print(f"x{r['scale']}: {man['name']} {m['bpp']:.4f} bpp {m['psnr']:.2f} dB, classic {c['bpp']:.4f} bpp "
              f"{c['psnr']:.2f} dB ({m['psnr'] - c['psnr']:+.2f}){extra}", flush=True)
        rows.append(r)

    name = f"{man['name']} {man['version']}"
    lines = [f"# {name} at every scale, {len(files)} images from `{args.data}`", "",
             "Real path (8-bit PNG thumbnail, bpp with 130 container bytes), PSNR / SSIM on full 8-bit RGB. "
             "Classic: PIL antialiased bicubic down and bicubic up at the same scale. "
             "Per-scale bundles where one serves the scale.", "",
             "| scale | classic bpp | classic PSNR | model bpp | model PSNR | gain dB | model SSIM | classic SSIM | "
             "per-scale bundle PSNR | model - per-scale dB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m, c = r["model"], r["classic"]
        ps = "; ".join(f"{k} {v['psnr']:.2f}" for k, v in r["per_scale"].items()) or "-"
        dps = "; ".join(f"{m['psnr'] - v['psnr']:+.2f}" for v in r["per_scale"].values()) or "-"
        lines.append(f"| {r['scale']} | {c['bpp']:.4f} | {c['psnr']:.2f} | {m['bpp']:.4f} | {m['psnr']:.2f} | "
                     f"{m['psnr'] - c['psnr']:+.2f} | {m['ssim']:.4f} | {c['ssim']:.4f} | {ps} | {dps} |")
    gains = [r["model"]["psnr"] - r["classic"]["psnr"] for r in rows]
    lines += ["", f"Smallest gain over classic: {min(gains):+.2f} dB (x{rows[int(np.argmin(gains))]['scale']}); "
              f"mean {np.mean(gains):+.2f} dB over {len(rows)} scales."]
    md = "\n".join(lines) + "\n"
    print(md)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out + ".md", "w") as f:
            f.write(md)
        with open(args.out + ".json", "w") as f:
            json.dump({"bundle": args.bundle, "data": args.data, "images": len(files), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
