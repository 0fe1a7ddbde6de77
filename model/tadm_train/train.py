"""Train a tadm rescaling model.

    cd model && /usr/bin/python3 -m tadm_train.train --config configs/pix16.json

Resumes automatically from <cache_dir>/runs/<name>/checkpoint.pt if it exists.
Log: model/runs/<name>/train.log.  See model/README.md.
"""
import argparse
import signal
import copy
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np

from . import DEFAULT_CACHE, MODEL_DIR, repo_path

import torch  # noqa: E402  (after the thread env defaults set by the package)
import torch.nn.functional as F  # noqa: E402

from .data import CropSampler, load_cached, list_images, load_rgb  # noqa: E402
from .lossy_lr import round_trip  # noqa: E402
from .png_rate import estimate_bytes, png_size  # noqa: E402
from .evaluate import to_u8  # noqa: E402
from .metrics import psnr  # noqa: E402
from .models import (ResBlock, build_model, count_params, is_any_scale, round8, ste_round8,  # noqa: E402
                     ste_round8_clipped)

REPO_CKPT_LIMIT = 20 * 1024 * 1024


# --------------------------------------------------------------------------- config

def load_config(path: str) -> dict:
    with open(path, "rb") as f:
        if path.endswith(".toml"):
            import tomllib  # Python >= 3.11
            cfg = tomllib.load(f)
        else:
            cfg = json.load(f)
    cfg["_config_path"] = os.path.relpath(os.path.abspath(path), repo_path("."))
    return cfg


def run_paths(cfg: dict):
    name = cfg["name"]
    cache = cfg.get("cache_dir", DEFAULT_CACHE)
    return {
        "log_dir": os.path.join(MODEL_DIR, "runs", name),
        "ckpt_dir": os.path.join(cache, "runs", name),
        "cache": cache,
    }


class Logger:
    def __init__(self, path: str):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = open(path, "a", buffering=1)

    def __call__(self, msg: str):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        print(line, flush=True)
        self.f.write(line + "\n")


# --------------------------------------------------------------------------- helpers

def lr_at(step: int, t: dict) -> float:
    base, lo = t["lr"], t.get("lr_min", 0.0)
    warm = t.get("warmup", 0)
    if step < warm:
        return base * (step + 1) / warm
    total = t["iterations"]
    sched = t.get("schedule", "cosine")
    if sched == "cosine":
        p = min(1.0, (step - warm) / max(1, total - warm))
        return lo + 0.5 * (base - lo) * (1 + math.cos(math.pi * p))
    if sched == "step":
        lr = base
        for m in t.get("milestones", []):
            if step >= m:
                lr *= t.get("gamma", 0.5)
        return max(lr, lo)
    if sched == "constant":
        return base
    raise ValueError(sched)


def pixel_loss(a: torch.Tensor, b: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "l1":
        return (a - b).abs().mean()
    if kind == "charbonnier":
        return torch.sqrt((a - b) ** 2 + 1e-6).mean()
    if kind == "l2":
        return ((a - b) ** 2).mean()
    raise ValueError(kind)


class EMA:
    def __init__(self, modules, decay: float):
        self.decay = decay
        self.shadow = [copy.deepcopy(m).eval() for m in modules]
        for s in self.shadow:
            for p in s.parameters():
                p.requires_grad_(False)

    @torch.no_grad()
    def update(self, modules, step: int):
        d = min(self.decay, (1.0 + step) / (10.0 + step))
        for s, m in zip(self.shadow, modules):
            sp = list(s.parameters())
            mp = [p.detach() for p in m.parameters()]
            if not sp:  # a fixed module (the lossy-thumbnail encoder) has nothing to average
                continue
            torch._foreach_mul_(sp, d)
            torch._foreach_add_(sp, mp, alpha=1.0 - d)


def pad_to_multiple(x: torch.Tensor, s, sy=None) -> torch.Tensor:
    sy = s if sy is None else sy
    h, w = x.shape[-2:]
    ph, pw = (-h) % sy, (-w) % s
    if ph or pw:
        x = F.pad(x, [0, pw, 0, ph], mode="replicate")
    return x


# --------------------------------------------------------------------------- any-scale models

def sample_scale(rng: random.Random, t: dict):
    """(sx, sy) for one training batch of an any-scale model: the scales with targets (16, 32)
    often, otherwise log-uniform over 2..32 on each axis, half of them square."""
    r = rng.random()
    focus = t.get("focus_scales", [16, 32])
    pf = float(t.get("focus_prob", 0.4))
    if r < pf:
        s = focus[int(rng.random() * len(focus)) % len(focus)]
        return s, s
    lo, hi = t.get("scale_range", [2, 32])
    draw = lambda: int(round(2 ** rng.uniform(math.log2(lo), math.log2(hi))))  # noqa: E731
    sx = draw()
    return (sx, sx) if rng.random() < 0.5 else (sx, draw())


def crop_for_scale(x: torch.Tensor, sx: int, sy: int, rng: random.Random, t: dict) -> torch.Tensor:
    """A random window of the batch whose sides are multiples of the scale: about lr_side LR
    pixels per side, at most the batch's size (the cost stays about flat across scales)."""
    c = x.shape[-1]
    lr_side = int(t.get("lr_side", 24))
    w = min(max(lr_side, 12) * sx, c) // sx * sx
    h = min(max(lr_side, 12) * sy, c) // sy * sy
    y0 = int(rng.random() * (c - h + 1))
    x0 = int(rng.random() * (c - w + 1))
    return x[..., y0:y0 + h, x0:x0 + w]


def scales_of(v) -> tuple:
    """A validation scale from the config: 16 or [24, 12] (across, down)."""
    return (int(v), int(v)) if isinstance(v, (int, float)) else (int(v[0]), int(v[1]))


@torch.no_grad()
def validate(enc, dec, images, scale, channels_last: bool, lossy=None) -> dict:
    """Real-path PSNR (LR rounded to 8 bits; PNG is lossless so it is skipped here).
    lossy: for a lossy thumbnail codec, the decoded thumbnails of the images at the rate point
    (prepare_lossy_val); the encoder is fixed, so they are computed once."""
    enc.eval()
    dec.eval()
    if is_any_scale(enc):  # every validation scale; the score is their mean
        per = {}
        for v in scale:
            sx, sy = scales_of(v)
            per[f"{sx}x{sy}"] = validate_at(enc, dec, images, sx, sy, channels_last)
        out = {k: float((np.max if k.endswith("_max") else np.mean)([r[k] for r in per.values()]))
               for k in next(iter(per.values()))}
        out["per_scale"] = {k: r["psnr"] for k, r in per.items()}
        return out
    ps, ps_lr, ratios = [], [], []
    if lossy is not None:
        for a, v in zip(images, lossy):
            y = torch.from_numpy(v["decoded"]).permute(2, 0, 1)[None].float() / 255.0
            if channels_last:
                y = y.contiguous(memory_format=torch.channels_last)
            h, w = a.shape[:2]
            out = dec(y)[..., :h, :w].clamp(0, 1)
            ps.append(psnr(a, (out[0].permute(1, 2, 0) * 255.0).round().byte().numpy()))
        return {"psnr": float(np.mean(ps))}
    return validate_at(enc, dec, images, scale, scale, channels_last)


def validate_at(enc, dec, images, sx: int, sy: int, channels_last: bool) -> dict:
    """Real-path PSNR of a PNG-thumbnail model at one scale (8-bit LR), the thumbnail's distance
    to the bicubic one and its PNG bytes against the bicubic thumbnail's."""
    anys = is_any_scale(enc)
    ps, ps_lr, ratios = [], [], []
    for a in images:
        x = torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255.0
        h, w = x.shape[-2:]
        xp = pad_to_multiple(x, sx, sy)
        if channels_last:
            xp = xp.contiguous(memory_format=torch.channels_last)
        y = round8(enc(xp, sx, sy) if anys else enc(xp))
        out = (dec(y, sx, sy) if anys else dec(y))[..., :h, :w].clamp(0, 1)
        o8 = (out[0].permute(1, 2, 0) * 255.0).round().byte().numpy()
        ps.append(psnr(a, o8))
        b = enc.down(xp, sx, sy) if anys else enc.down(xp)  # bicubic LR: thumbnail distance, rate
        ps_lr.append(-10 * math.log10(max(1e-12, float(((y - round8(b)) ** 2).mean()))))
        ratios.append(png_size(to_u8(y)) / png_size(to_u8(round8(b))))
    return {"psnr": float(np.mean(ps)), "lr_psnr_vs_bicubic": float(np.mean(ps_lr)),
            "rate_vs_bicubic": float(np.mean(ratios)), "rate_vs_bicubic_max": float(np.max(ratios))}


def prepare_lossy_val(enc, images, scale: int, lc: dict, log) -> list:
    """The real path up to the decoder input for each validation image (thumbnail, byte budget
    at the rate point, largest fitting JPEG quality, decoded JPEG), and the baseline: bicubic
    upscaling of the same decoded JPEG."""
    from .evaluate import ClassicCodec
    from .lossy_lr import at_rate_point
    out, base = [], []
    for a in images:
        v = at_rate_point(enc, a, scale, lc)
        if v["decoded"] is None:
            raise RuntimeError("a validation image fits no JPEG quality at the rate point")
        out.append(v)
        base.append(psnr(a, ClassicCodec(scale).decode(v["decoded"], *a.shape[:2])))
    log(f"lossy validation ({lc.get('codec', 'jpeg')} at the x{lc['rate_scale']} rate point): qualities "
        f"{[v['quality'] for v in out]}, bicubic upscale of the same thumbnails {np.mean(base):.3f} dB")
    return out


def atomic_save(obj, path: str):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_checkpoint(ck: dict, P: dict, log, slim_drop=("optimizer",)) -> None:
    """Write a training checkpoint atomically to the cache (<ckpt_dir>/checkpoint.pt) and a copy to
    the repo run folder: full if < 20 MB, else slim (the slim_drop entries set to None: by default
    the optimizer state), else none. ck["step"] is logged."""
    ckpt_path = os.path.join(P["ckpt_dir"], "checkpoint.pt")
    atomic_save(ck, ckpt_path)
    size = os.path.getsize(ckpt_path)
    repo_ck = os.path.join(P["log_dir"], "checkpoint.pt")
    if size < REPO_CKPT_LIMIT:
        tmp = repo_ck + ".tmp"
        shutil.copyfile(ckpt_path, tmp)
        os.replace(tmp, repo_ck)
        note = "full copy"
    else:
        # slim copy for the repo: weights (raw + EMA), step, RNG; no Adam moments
        ck = dict(ck, **{k: None for k in slim_drop})
        atomic_save(ck, repo_ck)
        note = f"slim copy without {', '.join(slim_drop)}"
        if os.path.getsize(repo_ck) >= REPO_CKPT_LIMIT:
            os.remove(repo_ck)
            note = "no repo copy (too big)"
    log(f"checkpoint step {ck['step']} -> {ckpt_path} ({size / 1e6:.1f} MB); "
        f"{os.path.relpath(repo_ck, repo_path('.'))}: {note}")


def resume_source(P: dict):
    """The checkpoint to resume from: the cache's, else the repo copy (a fresh clone), else None."""
    for p in (os.path.join(P["ckpt_dir"], "checkpoint.pt"), os.path.join(P["log_dir"], "checkpoint.pt")):
        if os.path.exists(p):
            return p
    return None


def rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def set_rng_state(st: dict) -> None:
    torch.set_rng_state(st["torch"])
    np.random.set_state(st["numpy"])
    random.setstate(st["python"])


def stop_reason(stop_signal: list, minutes, t_start: float):
    """Why a training loop should stop now (a signal, the --minutes limit), or None."""
    if stop_signal:
        return f"signal {stop_signal[0]}"
    if minutes is not None and time.time() - t_start > 60 * minutes:
        return f"time limit {minutes} min"
    return None


def stop_on_signals() -> list:
    """SIGTERM/SIGINT append to the returned list, so the loop can finish its step, checkpoint, exit."""
    flag = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: flag.append(signum))
    return flag


# --------------------------------------------------------------------------- main

def start_run(cfg: dict, iterations=None):
    """What every trainer does first: the stop step, threads, run folders, the log, the
    config copy beside it and the seeds. Returns (train section, run paths, logger, seed)."""
    t = cfg["train"]
    if iterations is not None:
        t["stop_at"] = iterations
    torch.set_num_threads(int(t.get("threads", 1)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    P = run_paths(cfg)
    log = Logger(os.path.join(P["log_dir"], "train.log"))
    with open(os.path.join(P["log_dir"], "config.json"), "w") as f:
        json.dump({k: v for k, v in cfg.items() if not k.startswith("_")}, f, indent=2)
    seed = int(t.get("seed", 0))
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    return t, P, log, seed


def load_init_weights(path: str) -> dict:
    """{"encoder": state_dict, "decoder": state_dict} from a training checkpoint, a best_ema.pt,
    or an exported bundle directory (its TorchScript modules wrap the model as ``m``; float16
    weights are cast back to float32), so a committed bundle can seed a run on a fresh clone."""
    if os.path.isdir(path):
        out = {}
        for key in ("encoder", "decoder"):
            sd = torch.jit.load(os.path.join(path, key + ".pt"), map_location="cpu").state_dict()
            out[key] = {k[2:] if k.startswith("m.") else k: v.float() for k, v in sd.items()}
        return out
    return torch.load(path, map_location="cpu")


def warm_start(modules, ema, path: str, log) -> None:
    """Copy the tensors of another run whose names and shapes match (e.g. 16x -> 32x: the LR
    bodies and the first upscaling stages), so a new scale does not start from nothing."""
    ck = load_init_weights(path)
    copied, skipped = 0, []
    for mod, key in zip(modules, ("encoder", "decoder")):
        src = ck.get(key + "_ema", ck[key])  # a training checkpoint's EMA weights, else best_ema.pt's
        own = mod.state_dict()
        if hasattr(mod, "init_from") and not all(n in src for n in own):
            # another architecture (a per-scale model into a pyramid any-scale one): its own mapping
            n = mod.init_from(src)
            copied += n
            skipped.append(f"{key}: {n} values mapped by {type(mod).__name__}.init_from, the rest new")
            continue
        for name, tensor in own.items():
            if name in src and src[name].shape == tensor.shape:
                tensor.copy_(src[name])
                copied += tensor.numel()
            else:
                skipped.append(f"{key}.{name}")
        # residual blocks the source lacks (a deeper body) start as the identity, so the
        # warm-started model computes exactly what the source did and only improves from there
        for bname, block in mod.named_modules():
            if isinstance(block, ResBlock) and f"{bname}.c1.weight" not in src:
                with torch.no_grad():
                    block.c2.weight.zero_()
                    block.c2.bias.zero_()
    for shadow, mod in zip(ema.shadow, modules):
        shadow.load_state_dict(mod.state_dict())
    log(f"warm start from {path}: copied {copied} values; new: {', '.join(skipped) or 'none'}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--minutes", type=float, default=None,
                    help="stop (after a checkpoint and a validation) after this many minutes in this process")
    ap.add_argument("--iterations", type=int, default=None, help="override train.iterations (stop point)")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--init", default=None,
                    help="warm start a new run from another run's checkpoint (e.g. best_ema.pt of pix16) or a bundle "
                         "directory (e.g. bundles/pix16): "
                         "every tensor whose name and shape match is copied; ignored when resuming")
    args = ap.parse_args(argv)

    cfg = load_config(args.config)
    other = {"latent-rescaler": "tadm_train.dfrm", "latent-enhancer": "tadm_train.enhancer",
             "latent-prior": "tadm_train.latent_prior"}.get(cfg.get("family"))
    if other:  # refused before start_run makes a run folder
        raise SystemExit(f"{args.config}: family {cfg['family']!r} trains with python3 -m {other}")
    t, P, log, seed = start_run(cfg, args.iterations)
    # any-scale models: a scale per batch; validated at cfg["val_scales"]
    scale = cfg["val_scales"] if cfg["family"] == "any-scale" else int(cfg["scale"])
    cl = bool(t.get("channels_last", True))

    enc, dec = build_model(cfg)
    if cl:
        enc = enc.to(memory_format=torch.channels_last)
        dec = dec.to(memory_format=torch.channels_last)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=t["lr"], betas=tuple(t.get("betas", [0.9, 0.99])))
    ema = EMA([enc, dec], float(t.get("ema", 0.999)))

    d = cfg["data"]
    train_imgs = load_cached(repo_path(d["train"]), P["cache"], d.get("extra_scales", []), log)
    sampler = CropSampler(train_imgs, int(d["crop"]), int(d["batch"]), seed=seed)
    val_imgs = [] if args.no_val else [load_rgb(f) for f in list_images(repo_path(d["val"]))[: d.get("val_max_images", 1000)]]
    lc = cfg.get("lr_codec")  # a lossy thumbnail codec between the (fixed) encoder and the decoder
    lossy_val = prepare_lossy_val(enc, val_imgs, scale, lc, log) if lc and val_imgs else None

    step, wall, best = 0, 0.0, -1.0
    q_rng = random.Random(seed + 1)  # qualities of the lossy thumbnails (state checkpointed)
    src = resume_source(P)
    if src is not None:
        ck = torch.load(src)
        enc.load_state_dict(ck["encoder"])
        dec.load_state_dict(ck["decoder"])
        ema.shadow[0].load_state_dict(ck["encoder_ema"])
        ema.shadow[1].load_state_dict(ck["decoder_ema"])
        if ck.get("optimizer") is not None:
            opt.load_state_dict(ck["optimizer"])
        else:
            log("checkpoint has no optimizer state (slim repo copy): Adam moments restart from zero")
        sampler.load_state_dict(ck["sampler"])
        set_rng_state(ck["rng"])
        if "q_rng" in ck["rng"]:
            q_rng.setstate(ck["rng"]["q_rng"])
        step, wall, best = ck["step"], ck["wall_time_s"], ck.get("best_val_psnr", -1.0)
        log(f"resumed from {src} at step {step} (trained {wall / 3600:.2f} h)")
    else:
        if args.init:
            warm_start([enc, dec], ema, args.init, log)
        log(f"new run {cfg['name']}: config {cfg['_config_path']}; encoder {count_params(enc)} params, "
            f"decoder {count_params(dec)} params; receptive radius (LR px) enc {enc.receptive_radius_lr()} "
            f"dec {dec.receptive_radius_lr()}; {len(sampler.images)} training images (with scale copies)")

    def checkpoint():
        ck = {
            "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
            "config_path": cfg["_config_path"],
            "step": step, "wall_time_s": wall, "best_val_psnr": best,
            "encoder": enc.state_dict(), "decoder": dec.state_dict(),
            "encoder_ema": ema.shadow[0].state_dict(), "decoder_ema": ema.shadow[1].state_dict(),
            "optimizer": opt.state_dict(), "sampler": sampler.state_dict(),
            "rng": dict(rng_state(), q_rng=q_rng.getstate()),
        }
        save_checkpoint(ck, P, log)

    def run_val():
        nonlocal best
        if not val_imgs:
            return
        t0 = time.time()
        r = validate(ema.shadow[0], ema.shadow[1], val_imgs, scale, cl, lossy_val)
        is_best = r["psnr"] > best
        if is_best:
            best = r["psnr"]
            atomic_save({"step": step, "val": r, "encoder": ema.shadow[0].state_dict(),
                         "decoder": ema.shadow[1].state_dict(), "wall_time_s": wall,
                         "config_path": cfg["_config_path"],
                         "config": {k: v for k, v in cfg.items() if not k.startswith("_")}},
                        os.path.join(P["ckpt_dir"], "best_ema.pt"))
        what = (f"{lc.get('codec', 'jpeg')} LR at the x{lc['rate_scale']} rate point" if lc else
                f"8-bit LR; LR vs bicubic LR {r['lr_psnr_vs_bicubic']:.2f} dB; PNG bytes vs bicubic "
                f"{r['rate_vs_bicubic']:.3f}x, at most {r['rate_vs_bicubic_max']:.3f}x")
        if "per_scale" in r:
            what += "; per scale " + ", ".join(f"{k} {v:.3f}" for k, v in r["per_scale"].items())
        log(f"val step {step}: PSNR {r['psnr']:.3f} dB (EMA, {len(val_imgs)} images, {what})"
            f"{' [best]' if is_best else ''} ({time.time() - t0:.0f}s)")

    total = int(t["iterations"])
    stop_at = int(t.get("stop_at", total))
    kind = t.get("loss", "l1")
    clipped = t.get("ste", "identity") == "clipped"
    ste = ste_round8_clipped if clipped else ste_round8
    gw = float(t.get("guide_weight", 0.0))
    # Rate-aware training: a hinge on the estimated PNG bytes of the 8-bit thumbnail relative to
    # the bicubic thumbnail's (png_rate.py, calibrated against real PNG files).
    rw = float(t.get("rate_weight", 0.0))
    r_target = float(t.get("rate_target", 1.0))
    clip = float(t.get("grad_clip", 0.0))
    L = cfg.get("log", {})
    every, val_every = int(L.get("every", 20)), int(L.get("val_every", 500))
    ck_every_s = 60.0 * float(L.get("ckpt_minutes", 5))
    t_start = time.time()
    t_ck = time.time()
    acc = {"loss": 0.0, "rec": 0.0, "guide": 0.0, "psnr": 0.0, "base": 0.0, "rate": 0.0, "n": 0}
    t_log = time.time()
    enc.train()
    dec.train()
    stopped = "done"
    stop_signal = stop_on_signals()  # finish the step, checkpoint, exit (nothing is lost)
    while step < min(total, stop_at):
        t_it = time.time()
        lr = lr_at(step, t)
        for g in opt.param_groups:
            g["lr"] = lr
        x = sampler.next()
        anys = is_any_scale(enc)
        sx = sy = 0
        if anys:
            sx, sy = sample_scale(q_rng, t)
            x = crop_for_scale(x, sx, sy, q_rng, t)
        if cl:
            x = x.contiguous(memory_format=torch.channels_last)
        if lc:
            # the real codec: fixed thumbnail, 8-bit rounding, JPEG at a random quality, decoding;
            # nothing to differentiate before the decoder
            with torch.no_grad():
                yq, _ = round_trip(enc(x), lc, q_rng)
            if cl:
                yq = yq.contiguous(memory_format=torch.channels_last)
        else:
            y = enc(x, sx, sy) if anys else enc(x)
            yq = ste(y)
        xh = dec(yq, sx, sy) if anys else dec(yq)
        rec = pixel_loss(xh, x, kind)
        loss = rec
        g_l = torch.zeros(())
        if gw > 0 and not lc:
            with torch.no_grad():
                target = round8(enc.down(x, sx, sy) if anys else enc.down(x))
            # clipped STE: the guide sees the unclamped LR, which pulls out-of-range values back
            g_l = ((y if clipped else yq) - target).abs().mean()
            loss = loss + gw * g_l
        ratio = torch.ones(())
        if rw > 0 and not lc and not anys:
            with torch.no_grad():
                ref = estimate_bytes(round8(enc.down(x)) * 255.0, overhead=False)
            ratio = estimate_bytes(yq * 255.0, overhead=False) / ref
            loss = loss + rw * F.relu(ratio - r_target).mean()
        if not torch.isfinite(loss):
            log(f"step {step}: non-finite loss, skipping batch")
            opt.zero_grad(set_to_none=True)
            step += 1
            continue
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        ema.update([enc, dec], step)
        step += 1
        wall += time.time() - t_it
        with torch.no_grad():
            mse = float(((xh.clamp(0, 1) - x) ** 2).mean())
            if lc:  # bicubic upscaling of the same lossy thumbnails: the batch's baseline
                up = F.interpolate(yq, scale_factor=float(scale), mode="bicubic", align_corners=False)
                acc["base"] += -10 * math.log10(max(float(((up.clamp(0, 1) - x) ** 2).mean()), 1e-10))
        acc["loss"] += float(loss)
        acc["rec"] += float(rec)
        acc["guide"] += float(g_l)
        acc["rate"] += float(ratio.mean())
        acc["psnr"] += -10 * math.log10(max(mse, 1e-10))
        acc["n"] += 1
        if step % every == 0:
            n = acc["n"]
            dt = (time.time() - t_log) / n
            rate_txt = f" est. PNG bytes vs bicubic {acc['rate'] / n:.3f}x" if rw > 0 else ""
            gain = f" (bicubic {acc['base'] / n:.2f}, gain {(acc['psnr'] - acc['base']) / n:+.3f})" if lc else ""
            log(f"step {step}/{total} loss {acc['loss'] / n:.5f} rec {acc['rec'] / n:.5f} guide {acc['guide'] / n:.5f} "
                f"train-psnr {acc['psnr'] / n:.2f}{gain}{rate_txt} "
                f"lr {lr:.2e} {dt:.2f}s/it")
            acc = {k: 0.0 for k in acc}
            acc["n"] = 0
            t_log = time.time()
        if val_every and step % val_every == 0:
            run_val()
            enc.train()
            dec.train()
        if time.time() - t_ck > ck_every_s:
            checkpoint()
            t_ck = time.time()
        if (why := stop_reason(stop_signal, args.minutes, t_start)):
            stopped = why
            break
    if not (val_every and step % val_every == 0):
        run_val()
    checkpoint()  # after the validation, so a resumed run knows the best score
    log(f"stopped at step {step} ({stopped}); trained {wall / 3600:.2f} h in all")


if __name__ == "__main__":
    main()
