"""Evaluate the real codec path on a folder of images.

For each image: pad HR to a multiple of the scale (edge replication), encode -> LR,
round to 8 bits, PNG-encode with PIL (optimize=True, compress_level=9) and count the bytes,
decode the PNG, upscale, crop to the original size, and compare with the original
(RGB PSNR and SSIM on 8-bit images, full image).
bpp = (PNG bytes + 130 container bytes) * 8 / (W * H).

The classic baseline: PIL antialiased bicubic downscale + PIL bicubic upscale at the same scale.

    cd model && /usr/bin/python3 -m tadm_train.evaluate --bundle bundles/pix16 --data ../../shared/data/kodak \
        --out runs/pix16/eval_kodak
    /usr/bin/python3 -m tadm_train.evaluate --classic --scale 16 --data ...

Models can come from a bundle (TorchScript, what the C++ runtime loads; the default for
reported numbers) or from a training checkpoint (--checkpoint, EMA weights).

Lossy thumbnails (bundles whose manifest has "lr_codec", checkpoints whose config has it): per
image, the byte budget is the classic .tadm file at the rate point (bicubic PNG thumbnail at
--rate-scale, default the model's, + 130 bytes); the fixed encoder makes the thumbnail at the
model's scale, the largest JPEG quality with JPEG bytes + 126 <= budget is chosen
(lossy_lr.fit_quality), the JPEG is decoded with PIL and restored by the model. Baselines: bicubic
upscaling of the same decoded JPEG, and the classic bicubic PNG thumbnail at the rate point.

    /usr/bin/python3 -m tadm_train.evaluate --bundle bundles/jpeg4 --data ../../shared/data/kodak \
        --out runs/jpeg4/eval_kodak
"""
import argparse
import csv
import io
import json
import math
import os
import time

import numpy as np

from . import repo_path

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

from .data import list_images, load_rgb  # noqa: E402
from .grid import grid_score  # noqa: E402
from .lossy_lr import settings_from_manifest  # noqa: E402
from .metrics import psnr, ssim  # noqa: E402

CONTAINER_OVERHEAD = 130


def png_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", optimize=True, compress_level=9)
    return buf.getvalue()


def axes(scale) -> tuple:
    """(across, down) of a scale given as 16, (24, 16) or "24x16"."""
    if isinstance(scale, str):
        x, _, y = scale.partition("x")
        return int(x), int(y or x)
    if isinstance(scale, (tuple, list)):
        return int(scale[0]), int(scale[1])
    return int(scale), int(scale)


def scale_label(scale) -> str:
    sx, sy = axes(scale)
    return str(sx) if sx == sy else f"{sx}x{sy}"


def pad_edge(a: np.ndarray, s) -> np.ndarray:
    sx, sy = axes(s)
    h, w = a.shape[:2]
    return np.pad(a, ((0, (-h) % sy), (0, (-w) % sx), (0, 0)), mode="edge")


def to_t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float() / 255.0


def to_u8(x: torch.Tensor) -> np.ndarray:
    return (x[0].clamp(0, 1).permute(1, 2, 0) * 255.0).round().byte().numpy()


class LearnedCodec:
    """`tile` (core, overlap) in LR pixels: an enhanced latent decoder (forward(lr, t)) runs tile by
    tile as the C++ runtime does, since its timestep is chosen per tile; `t` as that forward takes
    it: -1 the model's own per tile, 0 no enhancement, > 0 that timestep everywhere."""

    def __init__(self, encoder, decoder, scale: int, tile=None, t=None, any_scale=False):
        self.enc, self.dec, self.scale, self.tile, self.t = encoder, decoder, scale, tile, t
        self.any_scale = any_scale  # modules take (x, sx, sy); self.scale may be (sx, sy)

    def _args(self) -> tuple:
        return axes(self.scale) if self.any_scale else ()

    @torch.no_grad()
    def encode(self, a: np.ndarray) -> np.ndarray:
        return to_u8(self.enc(to_t(pad_edge(a, self.scale)), *self._args()))  # round(clamp(v,0,1)*255)

    @torch.no_grad()
    def decode(self, lr: np.ndarray, h: int, w: int) -> np.ndarray:
        if self.t is None:
            return to_u8(self.dec(to_t(lr), *self._args())[..., :h, :w])
        from .tiling import decode_tiled
        t = torch.tensor([float(self.t)])
        core, overlap = self.tile
        out = decode_tiled(lambda x: self.dec(x, t), to_t(lr), self.scale, core + 2 * overlap, overlap)
        return to_u8(out[..., :h, :w])


class ClassicCodec:
    def __init__(self, scale):
        self.scale = scale  # 16 or (sx, sy)

    def encode(self, a: np.ndarray) -> np.ndarray:
        sx, sy = axes(self.scale)
        p = pad_edge(a, self.scale)
        h, w = p.shape[:2]
        return np.array(Image.fromarray(p).resize((w // sx, h // sy), Image.BICUBIC))

    def decode(self, lr: np.ndarray, h: int, w: int) -> np.ndarray:
        sx, sy = axes(self.scale)
        H, W = lr.shape[0] * sy, lr.shape[1] * sx
        return np.array(Image.fromarray(lr).resize((W, H), Image.BICUBIC))[:h, :w]


def load_bundle(path: str):
    with open(os.path.join(path, "manifest.json")) as f:
        man = json.load(f)
    # weights may be stored as float16 (manifest weights_dtype); the contract computes in float32
    enc = torch.jit.load(os.path.join(path, man["files"]["encoder"]["path"])).float().eval()
    dec = torch.jit.load(os.path.join(path, man["files"]["decoder"]["path"])).float().eval()
    if "base_weights" in man:  # the latent family: TAEF2's weights fill the modules' placeholders
        from . import taef2
        from .export import fill_base_weights
        folder = taef2.weights_dir(None)
        for f in man["base_weights"]["files"]:
            fill_base_weights(enc if f["module"] == "encoder" else dec, f["prefix"],
                              torch.load(taef2.checked_file(folder, f["file"])))
    if "enhancer" in man:
        tile = (int(man["tile"]["lr_tile"]), int(man["tile"]["lr_overlap"]))
        return LearnedCodec(enc, dec, int(man["scale"]), tile=tile, t=-1.0), man
    return LearnedCodec(enc, dec, int(man["scale"]), any_scale="scales" in man), man


def load_checkpoint(path: str, which: str = "ema"):
    from .models import build_model, is_any_scale
    ck = torch.load(path)
    if ck.get("family") == "latent-rescaler":  # dfrm.py: one module between TAEF2's halves
        from .dfrm import build_codec, load_net
        enc, dec = build_codec(ck["config"], net=load_net(ck, which))
        return LearnedCodec(enc.eval(), dec.eval(), int(ck["config"]["scale"])), ck
    enc, dec = build_model(ck["config"])
    sfx = "_ema" if which == "ema" and "encoder_ema" in ck else ""
    enc.load_state_dict(ck["encoder" + sfx])
    dec.load_state_dict(ck["decoder" + sfx])
    if is_any_scale(enc):
        return LearnedCodec(enc.eval(), dec.eval(), int(ck["config"].get("default_scale", 16)), any_scale=True), ck
    return LearnedCodec(enc.eval(), dec.eval(), int(ck["config"]["scale"])), ck


def evaluate(codec, files, ref=None, log=print, lp=None):
    rows = []
    for f in files:
        a = load_rgb(f)
        h, w = a.shape[:2]
        t0 = time.time()
        lr = codec.encode(a)
        t_enc = time.time() - t0
        data = png_bytes(lr)
        with Image.open(io.BytesIO(data)) as im:
            lr2 = np.array(im.convert("RGB"))
        assert np.array_equal(lr, lr2)
        t0 = time.time()
        out = codec.decode(lr2, h, w)
        t_dec = time.time() - t0
        r = {"image": os.path.basename(f), "width": w, "height": h, "png_bytes": len(data),
             "bpp": (len(data) + CONTAINER_OVERHEAD) * 8.0 / (w * h),
             "psnr": psnr(a, out), "ssim": ssim(a, out),
             "enc_mps": w * h / 1e6 / t_enc, "dec_mps": w * h / 1e6 / t_dec}
        if lp is not None:
            from .lpips import lpips
            r["lpips"] = lpips(a, out, lp)
        if isinstance(codec.scale, int):  # detail repeating with the thumbnail's grid (grid.py)
            r["grid"] = sum(grid_score(a, out, codec.scale))
        if ref is not None:  # distance of the thumbnail from the classic (bicubic) thumbnail
            lr_ref = ref.encode(a)
            r["lr_psnr_vs_bicubic"] = psnr(lr_ref, lr)
            r["bicubic_png_bytes"] = len(png_bytes(lr_ref))
        rows.append(r)
        log(f"{r['image']}: {r['bpp']:.4f} bpp  {r['psnr']:.2f} dB  SSIM {r['ssim']:.4f}")
    return rows


def evaluate_lossy(codec, files, lc: dict, rate_scale: int, log=print, lp=None):
    """The real path with a lossy thumbnail (module docstring); one row per image with the
    learned restoration and the two baselines; with `lp` (an LPIPS-squeeze model) also their
    LPIPS-squeeze distances to the original."""
    from .lossy_lr import CONTAINER_OVERHEAD, at_rate_point, codec_of
    s = codec.scale
    bicubic, classic = ClassicCodec(s), ClassicCodec(rate_scale)
    rows = []
    for f in files:
        a = load_rgb(f)
        h, w = a.shape[:2]
        v = at_rate_point(codec.enc, a, s, lc, rate_scale)
        r = {"image": os.path.basename(f), "width": w, "height": h, "budget_bytes": v["budget"],
             "budget_bpp": v["budget"] * 8.0 / (w * h)}
        if v["decoded"] is None:
            log(f"{r['image']}: no {lc.get('codec', 'jpeg')} quality fits {v['budget']} bytes; left out")
            continue
        t0 = time.time()
        out = codec.decode(v["decoded"], h, w)
        t_dec = time.time() - t0
        up = bicubic.decode(v["decoded"], h, w)
        lr_c = classic.encode(a)
        r.update({"quality": v["quality"], "jpeg_bytes": len(v["payload"]),
                  "bpp": (len(v["payload"]) + CONTAINER_OVERHEAD[codec_of(lc)]) * 8.0 / (w * h),
                  "psnr": psnr(a, out), "ssim": ssim(a, out),
                  "bicubic_psnr": psnr(a, up), "bicubic_ssim": ssim(a, up),
                  "classic_psnr": psnr(a, classic.decode(lr_c, h, w)),
                  "dec_mps": w * h / 1e6 / t_dec})
        if lp is not None:
            from .lpips import lpips
            r.update({"lpips": lpips(a, out, lp), "bicubic_lpips": lpips(a, up, lp),
                      "classic_lpips": lpips(a, classic.decode(lr_c, h, w), lp)})
        rows.append(r)
        log(f"{r['image']}: q{r['quality']} {r['bpp']:.4f} bpp (budget {r['budget_bpp']:.4f})  {r['psnr']:.2f} dB "
            f"SSIM {r['ssim']:.4f}  (bicubic of the same thumbnail {r['bicubic_psnr']:.2f} dB)")
    return rows


def lossy_report(name, rows, s, lc, scale, rate_scale, data, threads) -> str:
    def lp(key):  # LPIPS-squeeze, when measured (--lpips)
        return f"{s[key]:.4f}" if key in s else "-"
    from .lossy_lr import CONTAINER_OVERHEAD, codec_of
    codec = codec_of(lc)
    C, oh = codec.upper(), CONTAINER_OVERHEAD[codec]
    how = {"webp": "PIL/libwebp, lossy, method 5",
           "avif": "libavif/libaom as tadmenc, speed 3, 4:2:0 below quality 90"}.get(
        codec, f"PIL/libjpeg-turbo, {lc.get('subsampling', '4:2:0')}, optimised Huffman")
    lines = [f"# Evaluation: {name}, {lc.get('codec', 'jpeg')} thumbnail at 1/{scale}, x{rate_scale} rate point, "
             f"{len(rows)} images from `{data}`", "",
             f"Real path: per image the budget is the classic x{rate_scale} .tadm file (PIL PNG of the bicubic "
             f"thumbnail, optimize, level 9, + 130 bytes); the thumbnail (Keys bicubic, resample.cpp) takes the "
             f"largest {C} quality ({how}) whose "
             f"bytes + {oh} fit; bpp counts {C} + {oh} bytes. RGB PSNR / SSIM (Gaussian 11x11, sigma 1.5) on full "
             "8-bit images; LPIPS-squeeze (v0.1, lower is better) with --lpips.", "",
             "| method | bpp | PSNR dB | SSIM | LPIPS-squeeze | mean quality | decode MP/s |", "|---|---|---|---|---|---|---|",
             f"| classic bicubic x{rate_scale} (PNG, the budget) | {s['budget_bpp']:.4f} | {s['classic_psnr']:.2f} | - | "
             f"{lp('classic_lpips')} | - | - |",
             f"| {C} 1/{scale} + bicubic upscale | {s['bpp']:.4f} | {s['bicubic_psnr']:.2f} | {s['bicubic_ssim']:.4f} | "
             f"{lp('bicubic_lpips')} | {s['quality']:.1f} | - |",
             f"| {C} 1/{scale} + {name} | {s['bpp']:.4f} | {s['psnr']:.2f} | {s['ssim']:.4f} | {lp('lpips')} | "
             f"{s['quality']:.1f} | {s['dec_mps']:.2f} ({threads} thr) |",
             "", "Per image:", "",
             "| image | quality | bpp | budget bpp | PSNR | SSIM | bicubic PSNR | bicubic SSIM |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['image']} | {r['quality']} | {r['bpp']:.4f} | {r['budget_bpp']:.4f} | {r['psnr']:.2f} | "
                     f"{r['ssim']:.4f} | {r['bicubic_psnr']:.2f} | {r['bicubic_ssim']:.4f} |")
    return "\n".join(lines) + "\n"


def summarize(rows):
    keys = [k for k in rows[0] if isinstance(rows[0][k], (int, float)) and k not in ("width", "height")]
    s = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    s["n"] = len(rows)
    return s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--bundle", help="model bundle directory (TorchScript)")
    src.add_argument("--checkpoint", help="training checkpoint (.pt)")
    src.add_argument("--classic", action="store_true", help="only the bicubic baseline")
    ap.add_argument("--weights", default="ema", choices=["ema", "raw"], help="for --checkpoint")
    ap.add_argument("--scale", default=None,
                    help="scale for --classic and any-scale models: 16, or 24x16 (across x down)")
    ap.add_argument("--data", required=True, help="folder of images (e.g. ../shared/data/kodak)")
    ap.add_argument("--out", default=None, help="write <out>.csv, <out>.md and <out>.json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="first N images only")
    ap.add_argument("--lpips", action="store_true",
                    help="also LPIPS-squeeze (../shared/models/lpips-squeeze) of every method")
    ap.add_argument("--enhance", default="tpm",
                    help="enhanced latent bundles: 'tpm' (the model's timestep per tile, the default decode), "
                         "'off' (no enhancement), or a fixed timestep such as 50 (the ablations)")
    ap.add_argument("--rate-scale", type=int, default=None,
                    help="lossy thumbnails: the classic scale whose file size is the budget (default: the model's)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    files = list_images(repo_path(args.data) if not os.path.isabs(args.data) and not os.path.exists(args.data) else args.data)
    if args.limit:
        files = files[: args.limit]
    info = {}
    lc = None
    if args.bundle:
        codec, man = load_bundle(args.bundle)
        name = f"{man['name']} {man['version']} (bundle)"
        if codec.t is not None:
            codec.t = {"tpm": -1.0, "off": 0.0}.get(args.enhance, None)
            if codec.t is None:
                codec.t = float(args.enhance)
                if not codec.t > 0:
                    ap.error(f"--enhance {args.enhance}: 'tpm', 'off' or a timestep above 0")
            name += f", enhancer {args.enhance}"
            info["enhance"] = args.enhance
        info["bundle"] = args.bundle
        lc = settings_from_manifest(man)
    elif args.checkpoint:
        codec, ck = load_checkpoint(args.checkpoint, args.weights)
        name = f"{ck['config']['name']} step {ck['step']} ({args.weights})"
        info["checkpoint"] = args.checkpoint
        info["step"] = ck["step"]
        lc = ck["config"].get("lr_codec")
    else:
        codec = ClassicCodec(axes(args.scale))
        name = f"classic bicubic x{scale_label(args.scale)}"
    if args.scale and getattr(codec, "any_scale", False):
        codec.scale = axes(args.scale)
        name += f" at x{scale_label(args.scale)}"
    elif args.scale and not args.classic and axes(args.scale) != axes(codec.scale):
        ap.error(f"--scale {args.scale}: this model serves x{codec.scale} only")
    scale = codec.scale
    classic = ClassicCodec(scale)

    if lc:
        rate_scale = int(args.rate_scale or lc["rate_scale"])
        print(f"== {name} on {len(files)} images, x{rate_scale} rate point")
        lp = None
        if args.lpips:
            from .lpips import load as load_lpips
            lp = load_lpips()
        rows = evaluate_lossy(codec, files, lc, rate_scale, lp=lp)
        s = summarize(rows)
        md = lossy_report(name, rows, s, lc, scale, rate_scale, args.data, args.threads)
        print(md)
        if args.out:
            write_outputs(args.out, md, [(name, rows)],
                          {"name": name, "data": args.data, "threads": args.threads, **info, "lr_codec": lc,
                           "scale": scale, "rate_scale": rate_scale, "summary": s})
        return

    print(f"== {name} on {len(files)} images")
    lp = None
    if args.lpips:
        from .lpips import load as load_lpips
        lp = load_lpips()
    rows = evaluate(codec, files, ref=None if args.classic else classic, lp=lp)
    s = summarize(rows)
    if not args.classic:
        print(f"== classic bicubic x{scale_label(scale)}")
        rows_c = evaluate(classic, files, lp=lp)
        sc = summarize(rows_c)
    else:
        rows_c, sc = None, None

    lines = [f"# Evaluation: {name}, scale {scale_label(scale)}, {len(files)} images from `{args.data}`", "",
             "Real path: 8-bit LR, PNG (PIL optimize, level 9), bpp includes 130 container bytes; "
             "RGB PSNR / SSIM (Gaussian 11x11, sigma 1.5) on full 8-bit images; LPIPS-squeeze (v0.1, lower is "
             "better) with --lpips.", "",
             "Grid texture: the share of the restored detail that repeats with the thumbnail's pixel grid "
             "(`tadm_train.grid`; 0 = none).", "",
             "| method | bpp | PSNR dB | SSIM | LPIPS-squeeze | grid texture | rate vs bicubic LR | LR PSNR vs bicubic LR "
             "| decode MP/s |",
             "|---|---|---|---|---|---|---|---|---|"]

    def lpc(x):  # LPIPS-squeeze and the grid texture, where measured
        return (f"{x['lpips']:.4f}" if "lpips" in x else "-") + " | " + (f"{x['grid']:.4f}" if "grid" in x else "-")
    if sc is not None:
        lines.append(f"| classic bicubic x{scale_label(scale)} | {sc['bpp']:.4f} | {sc['psnr']:.2f} | {sc['ssim']:.4f} | {lpc(sc)} | "
                     "1.000 | - | - |")
        ratio = s["png_bytes"] and (sum(r["png_bytes"] + CONTAINER_OVERHEAD for r in rows) /
                                    sum(r["png_bytes"] + CONTAINER_OVERHEAD for r in rows_c))
        lines.append(f"| {name} | {s['bpp']:.4f} | {s['psnr']:.2f} | {s['ssim']:.4f} | {lpc(s)} | {ratio:.3f} | "
                     f"{s['lr_psnr_vs_bicubic']:.2f} | {s['dec_mps']:.2f} ({args.threads} thr) |")
        s["rate_ratio_vs_bicubic"] = ratio
    else:
        lines.append(f"| {name} | {s['bpp']:.4f} | {s['psnr']:.2f} | {s['ssim']:.4f} | {lpc(s)} | 1.000 | - | - |")
    lines += ["", "Per image:", "", "| image | bpp | PSNR | SSIM |" + (" classic bpp | classic PSNR | classic SSIM |" if rows_c else ""),
              "|---|---|---|---|" + ("---|---|---|" if rows_c else "")]
    for i, r in enumerate(rows):
        extra = ""
        if rows_c:
            c = rows_c[i]
            extra = f" {c['bpp']:.4f} | {c['psnr']:.2f} | {c['ssim']:.4f} |"
        lines.append(f"| {r['image']} | {r['bpp']:.4f} | {r['psnr']:.2f} | {r['ssim']:.4f} |{extra}")
    md = "\n".join(lines) + "\n"
    print(md)
    if args.out:
        write_outputs(args.out, md, [(name, rows), (f"classic x{scale_label(scale)}", rows_c or [])],
                      {"name": name, "data": args.data, "threads": args.threads, **info,
                       "summary": s, "classic_summary": sc})


def write_outputs(out: str, md: str, methods: list, meta: dict) -> None:
    """OUT.md (the report), OUT.csv (one row per image and method) and OUT.json (the summary)."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".md", "w") as f:
        f.write(md)
    with open(out + ".csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["method"] + list(methods[0][1][0].keys()))
        wr.writeheader()
        for method, rows in methods:
            for r in rows:
                wr.writerow({"method": method, **r})
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=2)


if __name__ == "__main__":
    main()
