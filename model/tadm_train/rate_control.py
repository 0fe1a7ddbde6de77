"""Measure what each operating point restores, for the encoder's rate control.

The encoder's rate control (spec/model-bundle.md, "rate_control.json") ranks the operating points
whose file fits a byte target by one number: the **equivalent classic scale**, the scale at which
the classic bicubic model restores as well, on average over a set of photos, as the operating
point does. Classic at scale s is s by definition; a learned bundle at 16x that restores like
classic at 9.5x is 9.5. Lower is better. The measure is the profile's metric: PSNR for the
fidelity profile, LPIPS-squeeze for the perceptual one.

Everything runs through the real tools (tadmenc / tadmdec of a build), so rates and pixels are what
users get. Classic is measured at a ladder of scales and interpolated linearly in log(scale);
lossy-thumbnail bundles at several qualities across their trained range (a curve quality ->
equivalent scale); any-scale bundles at every scale of the ladder they serve (a curve scale ->
equivalent scale, made strictly rising as the encoder's bisection assumes).

    cd model && /usr/bin/python3 -m tadm_train.rate_control --tools ../build/release/tools \\
        --data ../../shared/data/val --bundles pix16 pix32 tadm16 jpeg4 jpeg8 \\
        --out runs/rate-control/val --write-bundles

Writes OUT/measurements.json (every mean), OUT/summary.md, and with --write-bundles
bundles/<name>/rate_control.json.
"""
import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import repo_path
from .data import list_images, load_rgb
from .metrics import psnr

CLASSIC_SCALES = [2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64]


def profile_of(manifest: dict) -> str:
    return "perceptual" if manifest.get("family", "").startswith("latent") else "fidelity"


class Runner:
    def __init__(self, tools: str, model_dir: str, threads: int, lpips_model):
        self.enc = os.path.join(tools, "tadmenc")
        self.dec = os.path.join(tools, "tadmdec")
        self.model_dir = model_dir
        self.threads = threads
        self.lp = lpips_model
        self._tmp = tempfile.TemporaryDirectory(prefix="tadm-rate-")  # removed at exit, on errors too
        self.tmp = self._tmp.name

    def point(self, path: str, ref: np.ndarray, model: str, scale: int, quality: int = 0,
              want_lpips: bool = False, want_bicubic: bool = False) -> dict:
        f = os.path.join(self.tmp, "x.tadm")
        r = os.path.join(self.tmp, "x.png")
        cmd = [self.enc, "--quiet", "--threads", str(self.threads), "--model-dir", self.model_dir,
               "-m", model, "--scale", str(scale)]
        if quality:
            cmd += ["--lr-quality", str(quality)]
        for old in (f, r):
            if os.path.exists(old):
                os.remove(old)
        subprocess.run(cmd + [path, f], check=True)
        subprocess.run([self.dec, "--quiet", "--threads", str(self.threads), "--model-dir", self.model_dir, f, r],
                       check=True)
        out = load_rgb(r)
        row = {"bytes": os.path.getsize(f), "psnr": psnr(ref, out)}
        if want_lpips:
            from .lpips import lpips
            row["lpips"] = lpips(ref, out, self.lp)
        if want_bicubic:  # the same thumbnail upscaled by the classic decoder: the encoder's per-photo proxy
            os.remove(r)
            subprocess.run([self.dec, "--quiet", "--threads", str(self.threads), "--model", "classic",
                            "--force-model", f, r], check=True)
            row["psnr_bicubic"] = psnr(ref, load_rgb(r))
            row["gain_over_bicubic_db"] = row["psnr"] - row["psnr_bicubic"]
        return row


def mean_rows(rows):
    keys = rows[0].keys()
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def equivalent_scale(classic: dict, value: float, metric: str) -> float:
    """The classic scale (log-linear interpolation) whose mean metric equals `value`; clamped to
    the ladder's ends (a point better than classic at 2 is 2, worse than classic at 64 is 64)."""
    pts = sorted((s, classic[str(s)][metric]) for s in CLASSIC_SCALES)
    better = (lambda a, b: a > b) if metric == "psnr" else (lambda a, b: a < b)
    if not better(value, pts[-1][1]):
        return float(pts[-1][0])
    for (s0, m0), (s1, m1) in zip(pts, pts[1:]):
        if not better(m1, value):  # value lies between m0 (better) and m1
            if better(value, m0):
                return float(s0)
            u = (m0 - value) / (m0 - m1) if m0 != m1 else 0.0
            return float(math.exp(math.log(s0) + u * (math.log(s1) - math.log(s0))))
    return float(pts[0][0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", required=True, help="folder with tadmenc and tadmdec")
    ap.add_argument("--data", required=True)
    ap.add_argument("--bundles", nargs="*", default=["pix16", "pix32", "tadm16", "jpeg4", "jpeg8"])
    ap.add_argument("--model-dir", default=repo_path("model/bundles"))
    ap.add_argument("--qualities", type=int, default=5, help="qualities measured per lossy bundle")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--write-bundles", action="store_true")
    ap.add_argument("--any-scales", type=int, nargs="*", default=None,
                    help="any-scale bundles: the scales to measure (default: the classic ladder within the bundle's "
                         "range); the encoder's search covers the first to the last")
    ap.add_argument("--classic-from", default=None,
                    help="reuse the classic ladder of an earlier measurements.json (same data and tools), "
                         "to measure a new bundle alone; its other bundles are kept in the new file")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    from .lpips import load as load_lpips
    run = Runner(args.tools, args.model_dir, args.threads, load_lpips())
    files = list_images(args.data)
    refs = {f: load_rgb(f) for f in files}
    manifests = {}
    for b in args.bundles:
        with open(os.path.join(args.model_dir, b, "manifest.json")) as fh:
            manifests[b] = json.load(fh)
    need_lpips = any(profile_of(m) == "perceptual" for m in manifests.values())
    t0 = time.time()

    def measure(label, **kw):
        rows = [run.point(f, refs[f], **kw) for f in files]
        m = mean_rows(rows)
        print(f"{label}: {m} ({time.time() - t0:.0f} s)", flush=True)
        return m

    earlier = None
    if args.classic_from:
        with open(args.classic_from) as fh:
            earlier = json.load(fh)
        if earlier["meta"]["images"] != len(files) or (need_lpips and "lpips" not in earlier["classic"]["2"]):
            raise SystemExit(f"{args.classic_from} was measured on another set or without LPIPS")
        classic = earlier["classic"]
    else:
        classic = {str(s): measure(f"classic x{s}", model="classic", scale=s, want_lpips=need_lpips)
                   for s in CLASSIC_SCALES}
    results = {"classic": classic, "bundles": dict(earlier["bundles"]) if earlier else {}}
    for b, man in manifests.items():
        profile = profile_of(man)
        metric = "lpips" if profile == "perceptual" else "psnr"
        lc = man.get("lr_codec_settings")
        entry = {"name": man["name"], "version": man["version"], "scale": man["scale"], "profile": profile,
                 "metric": metric}
        if "scales" in man:
            curve, last = [], 0.0
            for s in args.any_scales or CLASSIC_SCALES:
                if not man["scales"]["min"] <= s <= man["scales"]["max"]:
                    continue
                m = measure(f"{b} x{s}", model=b, scale=s, want_lpips=metric == "lpips", want_bicubic=metric == "psnr")
                e = max(equivalent_scale(classic, m[metric], metric), last + 0.01)
                last = e
                curve.append({"scale": s, **m, "equivalent_classic_scale": e})
            entry["by_scale"] = curve
        elif lc:
            lo, hi = lc["quality_trained"]
            qs = sorted({round(lo + (hi - lo) * i / (args.qualities - 1)) for i in range(args.qualities)})
            curve = []
            for q in qs:
                m = measure(f"{b} q{q}", model=b, scale=man["scale"], quality=q, want_lpips=metric == "lpips",
                            want_bicubic=metric == "psnr")
                curve.append({"quality": q, **m, "equivalent_classic_scale": equivalent_scale(classic, m[metric], metric)})
            entry["lr_codec"] = man["lr_codec"]
            entry["by_quality"] = curve
        else:
            m = measure(b, model=b, scale=man["scale"], want_lpips=metric == "lpips", want_bicubic=metric == "psnr")
            entry.update(m)
            entry["equivalent_classic_scale"] = equivalent_scale(classic, m[metric], metric)
        results["bundles"][b] = entry

    os.makedirs(args.out, exist_ok=True)
    meta = {"data": os.path.relpath(args.data, repo_path(".")), "images": len(files),
            "tools": "tadmenc/tadmdec defaults, PNG effort 2", "wall_seconds": round(time.time() - t0)}
    with open(os.path.join(args.out, "measurements.json"), "w") as fh:
        json.dump({"meta": meta, **results}, fh, indent=1)
    lines = [f"# Rate control: equivalent classic scales on {meta['data']} ({len(files)} images)", "",
             "| operating point | mean bytes | PSNR dB | LPIPS-squeeze | equivalent classic scale | gain over bicubic of its thumbnail dB |",
             "|---|---|---|---|---|---|"]
    for s in CLASSIC_SCALES:
        c = classic[str(s)]
        lines.append(f"| classic x{s} | {c['bytes']:.0f} | {c['psnr']:.2f} | {c.get('lpips', float('nan')):.4f} | {s} | 0 |")
    for b, e in results["bundles"].items():
        for p in e.get("by_quality", e.get("by_scale", [e])):
            label = f"{b} x{p.get('scale', e['scale'])}" + (f" q{p['quality']}" if "quality" in p else "")
            gain = f"{p['gain_over_bicubic_db']:+.2f}" if "gain_over_bicubic_db" in p else "–"
            lines.append(f"| {label} | {p['bytes']:.0f} | {p['psnr']:.2f} | {p.get('lpips', float('nan')):.4f} | "
                         f"{p['equivalent_classic_scale']:.2f} ({e['metric']}) | {gain} |")
    with open(os.path.join(args.out, "summary.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")

    if args.write_bundles:
        # The command that measured it, as given (paths as the user wrote them, from model/).
        invocation = "cd model && /usr/bin/python3 -m tadm_train.rate_control " + " ".join(
            shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
        for b, e in results["bundles"].items():
            if b not in manifests:
                continue  # measured earlier (--classic-from): its file stands
            doc = {"format": "tadm-rate-control", "format_version": 1, "model": e["name"], "version": e["version"],
                   "profile": e["profile"], "metric": e["metric"],
                   "measured_on": f"{meta['data']} ({len(files)} images), mean over images, real tools",
                   "command": invocation}
            # gains over the bicubic upscale of the model's own thumbnail (fidelity): the encoder's
            # per-photo prediction (spec/model-bundle.md, "Rate-control data")
            if "by_scale" in e:
                doc["equivalent_classic_scale_by_scale"] = [
                    [p["scale"], round(p["equivalent_classic_scale"], 3)] for p in e["by_scale"]]
                if all("gain_over_bicubic_db" in p for p in e["by_scale"]):
                    doc["gain_over_bicubic_db_by_scale"] = [
                        [p["scale"], round(p["gain_over_bicubic_db"], 3)] for p in e["by_scale"]]
            elif "by_quality" in e:
                doc["equivalent_classic_scale_by_quality"] = [
                    [p["quality"], round(p["equivalent_classic_scale"], 3)] for p in e["by_quality"]]
                if all("gain_over_bicubic_db" in p for p in e["by_quality"]):
                    doc["gain_over_bicubic_db_by_quality"] = [
                        [p["quality"], round(p["gain_over_bicubic_db"], 3)] for p in e["by_quality"]]
            else:
                doc["equivalent_classic_scale"] = round(e["equivalent_classic_scale"], 3)
                if "gain_over_bicubic_db" in e:
                    doc["gain_over_bicubic_db"] = round(e["gain_over_bicubic_db"], 3)
            with open(os.path.join(args.model_dir, b, "rate_control.json"), "w") as fh:
                json.dump(doc, fh, indent=2)
                fh.write("\n")


if __name__ == "__main__":
    main()
