"""Write bundles/<name>/MODEL_CARD.md from the manifest, the run config and evaluation JSONs.

    cd model && /usr/bin/python3 -m tadm_train.card --bundle bundles/pix16 \
        --eval-val runs/pix16/eval_val --eval-kodak runs/pix16/eval_kodak

(--eval-* take the --out prefix given to tadm_train.evaluate; the .json file is read.)
"""
import argparse
import hashlib
import json
import os

from . import repo_path

SPEED_TODO = "_to be measured with the C++ runtime (tadmenc/tadmdec, 2 threads)_"


def _row(label, s, cmd):
    return (f"| {label} | {s['bpp']:.4f} | {s['psnr']:.2f} | {s['ssim']:.4f} | "
            f"{s.get('rate_ratio_vs_bicubic', 1.0):.3f} | "
            f"{s['lr_psnr_vs_bicubic']:.2f} |" if "lr_psnr_vs_bicubic" in s else
            f"| {label} | {s['bpp']:.4f} | {s['psnr']:.2f} | {s['ssim']:.4f} | 1.000 | - |") + f" `{cmd}` |"


def _lossy_rows(label, ev, man, cmd):
    s, sc, rs = ev["summary"], man["scale"], ev["rate_scale"]
    codec = man["lr_codec"].upper()

    def lp(key):  # LPIPS-squeeze, when the evaluation measured it (--lpips)
        return f"{s[key]:.4f}" if key in s else "-"
    if "lpips" in s:
        cmd += " --lpips"
    return [f"| {label}: classic bicubic x{rs} PNG (the budget) | {s['budget_bpp']:.4f} | {s['classic_psnr']:.2f} | - | {lp('classic_lpips')} | - | `{cmd}` |",
            f"| {label}: {codec} 1/{sc} + bicubic upscale | {s['bpp']:.4f} | {s['bicubic_psnr']:.2f} | {s['bicubic_ssim']:.4f} | {lp('bicubic_lpips')} | {s['quality']:.1f} | `{cmd}` |",
            f"| {label}: {codec} 1/{sc} + {man['name']} | {s['bpp']:.4f} | {s['psnr']:.2f} | {s['ssim']:.4f} | {lp('lpips')} | {s['quality']:.1f} | `{cmd}` |"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--eval-val", default=None)
    ap.add_argument("--eval-kodak", default=None)
    ap.add_argument("--notes", default="", help="extra Markdown appended under 'Notes'")
    ap.add_argument("--notes-file", default=None, help="Markdown file appended under 'Notes'")
    ap.add_argument("--speed", default=None,
                    help="Markdown report of bench/speed/model_speed.sh --out FILE (C++ runtime, 2 threads)")
    args = ap.parse_args(argv)

    with open(os.path.join(args.bundle, "manifest.json"), "rb") as f:
        raw = f.read()
    man = json.loads(raw)
    tr = man["training"]
    with open(repo_path(tr["config"])) as f:
        cfg = json.load(f)
    bdir = os.path.relpath(os.path.abspath(args.bundle), repo_path("model"))
    lossy = "lr_codec" in man
    if lossy:
        st = man["lr_codec_settings"]
        what = (f"A learned decoder restoring the photo from a lossy {man['lr_codec'].upper()} thumbnail at "
                f"1/{man['scale']} per side. The encoder side is fixed, not learned (`encoder.pt` computes it for "
                "reference): the antialiased Keys bicubic (a=-0.5) downscale of `codec/src/resample.cpp`, 8-bit "
                f"rounding, then {man['lr_codec'].upper()} ({st['chroma_subsampling']}) at the largest quality "
                "that fits the byte budget. Decoder: residual blocks at thumbnail resolution, 2x pixel-shuffle "
                "stages, bicubic skip. Trained on the real codec: every training crop's thumbnail went through "
                f"{st['library_trained']} at a quality drawn uniformly from {st['quality_trained'][0]}-"
                f"{st['quality_trained'][1]}, and was decoded the same way (no quality input to the decoder); "
                f"pixel {cfg['train']['loss'].upper()} loss. See `model/README.md`.")
        loss = f"{cfg['train']['loss']} on HR (no thumbnail term: the thumbnail is fixed)"
        selection = (f"`{cfg['data']['val']}`, first {cfg['data'].get('val_max_images', 14)} images, at the "
                     f"x{st['rate_point_scale']} rate point")
    else:
        what = (f"A jointly trained downscaler/upscaler pair (encoder HR -> 8-bit LR thumbnail at 1/{man['scale']} per side, "
                "decoder LR -> HR). Encoder: pixel-unshuffle + residual blocks at LR resolution + a fixed antialiased "
                "bicubic skip. Decoder: residual blocks at LR resolution, 2x pixel-shuffle stages thinning to 16 channels, "
                f"bicubic skip. Trained through straight-through 8-bit rounding with a pixel {cfg['train']['loss'].upper()} loss (this stage) plus a thumbnail "
                "guidance term toward the bicubic LR. See `model/README.md`.")
        loss = f"{cfg['train']['loss']} on HR + {cfg['train']['guide_weight']} x L1(LR, bicubic LR)"
        selection = f"`{cfg['data']['val']}` (14 images)"
    L = [f"# Model card: {man['name']} {man['version']} ({man['family']}, {man['scale']}x)", "",
         f"Bundle identity (SHA-256 of `manifest.json`): `{hashlib.sha256(raw).hexdigest()}`", "",
         "## What it is", "", what, "",
         "| item | value |", "|---|---|",
         f"| parameters | encoder {man['parameters']['encoder']:,}, decoder {man['parameters']['decoder']:,} |",
         f"| architecture | `{json.dumps(cfg['model'])}` |",
         f"| receptive radius (LR px, theoretical) | encoder {man.get('receptive_field_lr_encoder')}, decoder {man.get('receptive_field_lr_decoder')} |",
         f"| tile hint | {json.dumps(man['tile'])} |",
         f"| training data | `{cfg['data']['train']}` (119 images: 39 CLIC-2025/Unsplash PNG at 1536 px, 80 Sun-Hays80 JPEG q75 at 1024 px) plus 0.5x antialiased copies; random {cfg['data']['crop']}x{cfg['data']['crop']} crops, batch {cfg['data']['batch']}, flips/transposes |",
         f"| model selection | {selection} |",
         f"| optimisation | Adam {cfg['train'].get('betas')}, lr {cfg['train']['lr']} {cfg['train']['schedule']} to {cfg['train'].get('lr_min')} over {cfg['train']['iterations']} iterations (warm-up {cfg['train'].get('warmup', 0)}), EMA {cfg['train'].get('ema')} |",
         f"| loss | {loss} |",
         f"| iterations / training wall time | {tr['iterations']} / {tr['wall_time_hours']} h on {cfg['train'].get('threads', 1)} CPU thread(s) of a shared 2-core machine |",
         f"| weights | {tr.get('weights', 'ema')} |",
         f"| config / reproduce training | `{tr['config']}`: `cd model && /usr/bin/python3 -m tadm_train.train --config {os.path.relpath(repo_path(tr['config']), repo_path('model'))}` (resumes) |"]
    sets = [(label, pref, folder) for label, pref, folder in
            (("val", args.eval_val, "val"), ("kodak", args.eval_kodak, "kodak")) if pref]
    if lossy:
        codec = man["lr_codec"].upper()
        L += ["", f"## Results (real path: {codec} thumbnail at equal bytes, full images)", "",
              f"Per image, the budget is the classic bicubic x{st['rate_point_scale']} .tadm file (PIL PNG of the "
              f"thumbnail, optimize, level 9, + 130 bytes); the {codec} thumbnail takes the largest quality whose bytes + "
              f"{st['container_overhead_bytes']} fit (bpp counts {codec} + {st['container_overhead_bytes']} bytes). "
              "RGB PSNR; SSIM Gaussian 11x11 sigma 1.5 per channel; LPIPS-squeeze v0.1 (lower is better).", "",
              f"| set / method | bpp | PSNR dB | SSIM | LPIPS-squeeze | mean {codec} quality | command |",
              "|---|---|---|---|---|---|---|"]
    else:
        L += ["", "## Results (real path: 8-bit PNG thumbnail round trip, full images)", "",
              "bpp = (PNG bytes + 130) * 8 / pixels; RGB PSNR; SSIM Gaussian 11x11 sigma 1.5 per channel. "
              "'rate vs bicubic' = total bytes relative to the bicubic-LR PNG; 'LR vs bicubic' = PSNR of the "
              "learned thumbnail against PIL's bicubic thumbnail.", "",
              "| set / method | bpp | PSNR dB | SSIM | rate vs bicubic | LR vs bicubic dB | command |",
              "|---|---|---|---|---|---|---|"]
    for label, pref, folder in sets:
        with open(pref + ".json") as f:
            ev = json.load(f)
        out = os.path.relpath(os.path.abspath(pref), repo_path("model"))
        cmd = f"cd model && /usr/bin/python3 -m tadm_train.evaluate --bundle {bdir} --data ../../shared/data/{folder} --out {out}"
        if lossy:
            L += _lossy_rows(label, ev, man, cmd)
            continue
        if ev.get("classic_summary"):
            L.append(_row(f"{label}: classic bicubic x{man['scale']}", ev["classic_summary"], cmd))
        L.append(_row(f"{label}: {man['name']}", ev["summary"], cmd))
    L += ["", "## Speed and memory (this machine, 2 threads)", ""]
    if args.speed:
        with open(args.speed) as f:
            L += [f.read().rstrip(), ""]
    else:
        L += [f"Encode MP/s: {SPEED_TODO}. Decode MP/s: {SPEED_TODO}. Peak memory: {SPEED_TODO}.", ""]
    notes = args.notes
    if args.notes_file:
        with open(args.notes_file) as f:
            notes = (notes + "\n\n" + f.read()).strip()
    if notes:
        L += ["## Notes", "", notes, ""]
    with open(os.path.join(args.bundle, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
