"""What choosing the timestep per image, with the original at hand, would give: the ceiling of any
encoder-side choice written to the container's hint, against the decoder's own TPM.

Reads tadm_train.evaluate CSVs of one bundle decoded at several timesteps (--enhance tpm|50|...),
picks for each image the decode with the lowest LPIPS-squeeze + lambda * MSE, and prints the mean
PSNR and LPIPS-squeeze of that choice next to each decode's own:

    cd model && /usr/bin/python3 -m tadm_train.timestep_choice \
        runs/enh16-k/eval_kodak_{50,200,tpm,600}.csv --lambdas 0 20 100
"""
import argparse
import csv
import math
import os


def load(path: str) -> dict:
    """image -> (PSNR dB, LPIPS-squeeze) of the bundle's rows (the evaluation also writes classic's)."""
    with open(path, newline="") as f:
        rows = {r["image"]: (float(r["psnr"]), float(r["lpips"]))
                for r in csv.DictReader(f) if "(bundle)" in r["method"] and r.get("lpips")}
    if not rows:
        raise SystemExit(f"{path}: no bundle rows with LPIPS-squeeze (evaluate with --bundle ... --lpips)")
    return rows


def choose(decodes: dict, lam: float) -> tuple:
    """Per image the decode minimising LPIPS + lam * MSE: (mean PSNR, mean LPIPS, {decode: images})."""
    images = sorted(set.intersection(*(set(d) for d in decodes.values())))
    if not images:
        raise SystemExit("the CSVs share no image")
    picks = {}
    psnr = lpips = 0.0
    for im in images:
        name = min(decodes, key=lambda k: decodes[k][im][1] + lam * 10 ** (-decodes[k][im][0] / 10))
        picks[name] = picks.get(name, 0) + 1
        psnr += decodes[name][im][0]
        lpips += decodes[name][im][1]
    return psnr / len(images), lpips / len(images), picks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", nargs="+", help="evaluate CSVs of one bundle at different --enhance settings")
    ap.add_argument("--lambdas", type=float, nargs="+", default=[0.0, 20.0, 100.0],
                    help="weights of MSE (RGB in [0,1]) against LPIPS-squeeze in the per-image choice")
    a = ap.parse_args(argv)
    decodes = {os.path.splitext(os.path.basename(p))[0]: load(p) for p in a.csv}
    print("| decode | PSNR dB | LPIPS-squeeze | images |\n|---|---|---|---|")
    for name, d in decodes.items():
        n = len(d)
        print(f"| {name} | {sum(v[0] for v in d.values()) / n:.2f} | {sum(v[1] for v in d.values()) / n:.4f} | {n} |")
    for lam in a.lambdas:
        psnr, lpips, picks = choose(decodes, lam)
        if not math.isfinite(psnr):
            raise SystemExit("a PSNR in the CSVs is not finite")
        which = ", ".join(f"{k} {v}" for k, v in sorted(picks.items()))
        print(f"| per image, min LPIPS + {lam:g}·MSE ({which}) | {psnr:.2f} | {lpips:.4f} | {sum(picks.values())} |")


if __name__ == "__main__":
    main()
