"""The latent diffusion prior: a compact timestep-conditioned denoising U-Net on TAEF2 latents.

No pretrained diffusion model exists for the TAEF2 (FLUX.2) latent space, so issue 15 trains one
here; the one-step, timestep-aware enhancer of the latent family starts from it.

- Data: windows of cached TAEF2 latents (latent_cache.py; the encoder never runs while training),
  normalised per channel with the training cache's mean and std (stored in the model's buffers).
- Noise: cosine schedule over T=1000 steps (Nichol & Dhariwal, "Improved DDPM", ICML 2021, eq. 17,
  s = 0.008, betas clipped at 0.999); z_t = sqrt(ab_t) z_0 + sqrt(1-ab_t) eps.
- Target: v = sqrt(ab_t) eps - sqrt(1-ab_t) z_0 (Salimans & Ho, "Progressive Distillation", ICLR
  2022, sec. 4); one-step estimate z_0 = sqrt(ab_t) z_t - sqrt(1-ab_t) v. The v loss stays well
  scaled at both ends of the schedule, where eps- or x0-prediction degenerate.
- Net: U-Net (Ronneberger et al. 2015; the DDPM variant of Ho et al. 2020) with residual blocks,
  GroupNorm, SiLU, sinusoidal timestep embedding (Vaswani et al. 2017) injected as a per-channel
  scale and shift (FiLM; Dhariwal & Nichol 2021's "AdaGN"), no attention (tiles stay local except
  for GroupNorm's statistics), zero-initialised output convolutions.

    cd model && OMP_NUM_THREADS=1 nice -n 15 /usr/bin/python3 -m tadm_train.latent_prior --config configs/prior.json
    # one-step denoise on Kodak at t = 100, 250, 500, 750, decoded by TAEF2, PSNR and LPIPS-squeeze:
    /usr/bin/python3 -m tadm_train.latent_prior --config configs/prior.json --eval [--max-images N]

Checkpoints, resume, logs and signals as in train.py (its helpers): <cache>/runs/<name>/checkpoint.pt,
a copy in model/runs/<name>/, log in model/runs/<name>/train.log.
"""
import argparse
import json
import math
import os
import time
from typing import List, Optional, Tuple

import numpy as np

from . import repo_path

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from . import latent_cache, taef2  # noqa: E402
from .models import count_params  # noqa: E402
from .train import (EMA, atomic_save, load_config, lr_at, resume_source, rng_state,  # noqa: E402
                    run_paths, save_checkpoint, set_rng_state, start_run, stop_on_signals, stop_reason)

EVAL_STEPS = (100, 250, 500, 750)


# --------------------------------------------------------------------------- schedule

def cosine_alpha_bar(steps: int = 1000, s: float = 0.008) -> torch.Tensor:
    """alpha_bar_t for t = 0..steps-1 (t = 0: least noise), Improved DDPM's cosine schedule."""
    def f(t):
        return math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2
    betas = torch.tensor([min(1 - f(t + 1) / f(t), 0.999) for t in range(steps)], dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).float()


# --------------------------------------------------------------------------- network

def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of (possibly fractional) timesteps t [N] -> [N, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], 1)


class TResBlock(nn.Module):
    """GN-SiLU-conv, GN, FiLM(t), SiLU-conv (zero-init), plus the (1x1 when channels change) skip:
    each block starts as the identity, so a deep U-Net trains from the first step."""

    def __init__(self, cin: int, cout: int, temb: int, groups: int):
        super().__init__()
        self.n1 = nn.GroupNorm(min(groups, cin), cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.n2 = nn.GroupNorm(min(groups, cout), cout)
        self.film = nn.Linear(temb, 2 * cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.film(e)[:, :, None, None].chunk(2, 1)
        h = self.n2(h) * (1 + scale) + shift
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class DownLevel(nn.Module):
    """Residual blocks at one resolution; returns (skip, input of the next level)."""

    def __init__(self, cin: int, ch: int, blocks: int, temb: int, groups: int, downsample: bool):
        super().__init__()
        self.blocks = nn.ModuleList([TResBlock(cin if j == 0 else ch, ch, temb, groups) for j in range(blocks)])
        self.down = nn.Conv2d(ch, ch, 3, stride=2, padding=1) if downsample else nn.Identity()

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        for blk in self.blocks:
            h = blk(h, e)
        return h, self.down(h)


class UpLevel(nn.Module):
    """(nearest x2 + conv when coming from a coarser level), concatenate the skip, residual blocks."""

    def __init__(self, cin: int, ch: int, blocks: int, temb: int, groups: int, upsample: bool):
        super().__init__()
        self.has_up = upsample
        self.up = nn.Conv2d(cin, ch, 3, padding=1) if upsample else nn.Identity()
        self.blocks = nn.ModuleList([TResBlock(2 * ch if j == 0 else ch, ch, temb, groups) for j in range(blocks)])

    def forward(self, h: torch.Tensor, skip: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        if self.has_up:
            h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = torch.cat([h, skip], 1)
        for blk in self.blocks:
            h = blk(h, e)
        return h


class LatentUNet(nn.Module):
    """v-prediction on normalised latents: forward(z_t [N,32,h,w] normalised, t [N]) -> v.
    h and w must be multiples of 2^(levels-1)."""

    def __init__(self, channels: List[int], blocks: int = 2, temb: int = 256, groups: int = 16,
                 latent_channels: int = taef2.LATENT_CHANNELS):
        super().__init__()
        self.c0 = channels[0]
        # per-channel statistics of the training latents (set by the trainer, saved with the weights)
        self.register_buffer("mean", torch.zeros(1, latent_channels, 1, 1))
        self.register_buffer("std", torch.ones(1, latent_channels, 1, 1))
        self.temb = nn.Sequential(nn.Linear(channels[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(latent_channels, channels[0], 3, padding=1)
        n = len(channels)
        self.down = nn.ModuleList([DownLevel(channels[max(i - 1, 0)], channels[i], blocks, temb, groups, i + 1 < n)
                                   for i in range(n)])
        c = channels[-1]
        self.mid = nn.ModuleList([TResBlock(c, c, temb, groups) for _ in range(blocks)])
        self.up = nn.ModuleList([UpLevel(channels[min(i + 1, n - 1)], channels[i], blocks, temb, groups, i + 1 < n)
                                 for i in reversed(range(n))])
        c = channels[0]
        self.out_norm = nn.GroupNorm(min(groups, c), c)
        self.out = nn.Conv2d(c, latent_channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.temb(timestep_embedding(t, self.c0))
        h = self.inp(z)
        skips: List[torch.Tensor] = []
        for level in self.down:
            skip, h = level(h, e)
            skips.append(skip)
        for blk in self.mid:
            h = blk(h, e)
        for i, level in enumerate(self.up):
            h = level(h, skips[len(skips) - 1 - i], e)
        return self.out(F.silu(self.out_norm(h)))

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.mean) / self.std

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.std + self.mean


def build(cfg: dict) -> LatentUNet:
    m = cfg["model"]
    return LatentUNet(list(m["channels"]), int(m.get("blocks", 2)), int(m.get("temb", 256)), int(m.get("groups", 16)))


class Diffusion:
    """The forward process and the one-step estimate, on normalised latents."""

    def __init__(self, cfg: dict):
        d = cfg.get("diffusion", {})
        if d.get("schedule", "cosine") != "cosine" or d.get("prediction", "v") != "v":
            raise ValueError("only the cosine schedule with v-prediction is implemented")
        self.steps = int(d.get("steps", 1000))
        self.ab = cosine_alpha_bar(self.steps)
        # optional extra weight on small t, where the one-step enhancer works (TADM's t is 10..200):
        # a fraction low_frac of the training timesteps is drawn from [0, low_max) instead of [0, T)
        self.low_frac = float(d.get("t_low_frac", 0.0))
        self.low_max = int(d.get("t_low_max", self.steps))

    def sample_t(self, n: int, gen: torch.Generator) -> torch.Tensor:
        t = torch.randint(0, self.steps, (n,), generator=gen)
        if self.low_frac > 0:
            low = torch.rand(n, generator=gen) < self.low_frac
            t = torch.where(low, torch.randint(0, self.low_max, (n,), generator=gen), t)
        return t

    def coefs(self, t: torch.Tensor):
        ab = self.ab[t][:, None, None, None]
        return ab.sqrt(), (1 - ab).sqrt()

    def noise(self, z0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor):
        a, s = self.coefs(t)
        return a * z0 + s * eps, a * eps - s * z0  # z_t, v

    def one_step(self, net: LatentUNet, zt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a, s = self.coefs(t)
        return a * zt - s * net(zt, t)


def pad_latent(z: torch.Tensor, m: int) -> torch.Tensor:
    ph, pw = (-z.shape[-2]) % m, (-z.shape[-1]) % m
    return F.pad(z, [0, pw, 0, ph], mode="replicate") if ph or pw else z


# --------------------------------------------------------------------------- validation

@torch.no_grad()
def validate(net: LatentUNet, diff: Diffusion, z0: torch.Tensor, seed: int = 1234) -> dict:
    """Fixed noise, fixed t: v loss and the one-step z_0 error (normalised units) on whole cached
    val latents, with the 'v = 0' baseline z_0 = sqrt(ab_t) z_t (the untrained net; about 1 - ab_t
    for unit-variance latents, the best a per-sample scalar shrinkage can do)."""
    net.eval()
    g = torch.Generator().manual_seed(seed)
    out = {}
    zn = net.normalize(z0)
    for t0 in EVAL_STEPS:
        eps = torch.randn(zn.shape, generator=g)
        t = torch.full((zn.shape[0],), t0, dtype=torch.long)
        zt, v = diff.noise(zn, t, eps)
        vh = torch.cat([net(zt[i:i + 4], t[i:i + 4]) for i in range(0, zn.shape[0], 4)])
        a, s = diff.coefs(t)
        x0 = a * zt - s * vh
        out[t0] = {"v": float(((vh - v) ** 2).mean()), "x0": float(((x0 - zn) ** 2).mean()),
                   "x0_v0": float(((a * zt - zn) ** 2).mean())}
    out["x0_mean"] = float(np.mean([out[t]["x0"] for t in EVAL_STEPS]))
    return out


# --------------------------------------------------------------------------- training

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--minutes", type=float, default=None, help="stop (checkpoint + validation) after N minutes")
    ap.add_argument("--iterations", type=int, default=None, help="stop at step N (the LR schedule keeps the config's)")
    ap.add_argument("--partial-cache", action="store_true",
                    help="train on the latent shards that exist instead of filling the cache first")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--eval", action="store_true", help="one-step denoise evaluation on Kodak (EMA weights)")
    ap.add_argument("--checkpoint", default=None, help="--eval: checkpoint to evaluate (default: the run's)")
    ap.add_argument("--data", default="../shared/data/kodak")
    ap.add_argument("--max-images", type=int, default=None)
    ap.add_argument("--taef2-dir", default=None)
    args = ap.parse_args(argv)

    cfg = load_config(args.config)
    if args.eval:
        return evaluate(cfg, args)
    t, P, log, seed = start_run(cfg, args.iterations)

    # latents: the training cache (filled first unless --partial-cache) and a small val cache
    s = latent_cache.settings_from(cfg)
    d = latent_cache.cache_dir_for(s, P["cache"]) if args.partial_cache else \
        latent_cache.build(s, P["cache"], taef2_dir=args.taef2_dir, log=log)
    data = latent_cache.LatentCrops(d)
    val_z = None
    if not args.no_val and "val_cache" in cfg:
        vs = dict(latent_cache.DEFAULTS, **cfg["val_cache"])
        val_z = latent_cache.LatentCrops(latent_cache.build(vs, P["cache"], taef2_dir=args.taef2_dir, log=log)).latents.float()

    net = build(cfg)
    cl = bool(t.get("channels_last", True))
    if cl:
        net = net.to(memory_format=torch.channels_last)
    diff = Diffusion(cfg)
    opt = torch.optim.Adam(net.parameters(), lr=t["lr"], betas=tuple(t.get("betas", [0.9, 0.99])))
    ema = EMA([net], float(t.get("ema", 0.999)))
    gen = torch.Generator().manual_seed(seed)  # windows, timesteps, noise (state checkpointed)

    step, wall, best = 0, 0.0, float("inf")
    src = resume_source(P)
    if src is not None:
        ck = torch.load(src)
        # a slim repo copy keeps only the EMA weights: training goes on from them
        net.load_state_dict(ck["prior"] if ck.get("prior") is not None else ck["prior_ema"])
        ema.shadow[0].load_state_dict(ck["prior_ema"])
        if ck.get("optimizer") is not None:
            opt.load_state_dict(ck["optimizer"])
        else:
            log("checkpoint has no optimizer state (slim repo copy): Adam moments restart from zero")
        gen.set_state(ck["gen"])
        set_rng_state(ck["rng"])
        step, wall, best = ck["step"], ck["wall_time_s"], ck.get("best_val", float("inf"))
        log(f"resumed from {src} at step {step} (trained {wall / 3600:.2f} h); {len(data)} cached crops")
    else:
        z = data.latents.float()
        with torch.no_grad():
            net.mean.copy_(z.mean((0, 2, 3)).view_as(net.mean))
            net.std.copy_(z.std((0, 2, 3)).view_as(net.std))
        ema.shadow[0].load_state_dict(net.state_dict())
        log(f"new run {cfg['name']}: config {cfg['_config_path']}; latent U-Net {count_params(net)} params; "
            f"{len(data)} cached crops of {data.crop} px ({d}); latent std per channel "
            f"{float(net.std.min()):.2f}..{float(net.std.max()):.2f}; val {0 if val_z is None else val_z.shape[0]} crops")

    def checkpoint():
        save_checkpoint({
            "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
            "config_path": cfg["_config_path"], "family": "latent-prior",
            "step": step, "wall_time_s": wall, "best_val": best,
            "prior": net.state_dict(), "prior_ema": ema.shadow[0].state_dict(),
            "optimizer": opt.state_dict(), "gen": gen.get_state(), "rng": rng_state(),
        }, P, log, slim_drop=("optimizer", "prior"))

    def run_val():
        nonlocal best
        if val_z is None:
            return
        t0 = time.time()
        r = validate(ema.shadow[0], diff, val_z)
        is_best = r["x0_mean"] < best
        if is_best:
            best = r["x0_mean"]
            atomic_save({"step": step, "val": r, "prior": ema.shadow[0].state_dict(), "wall_time_s": wall,
                         "config_path": cfg["_config_path"], "family": "latent-prior",
                         "config": {k: v for k, v in cfg.items() if not k.startswith("_")}},
                        os.path.join(P["ckpt_dir"], "best_ema.pt"))
        per_t = " ".join(f"t{k}: v {r[k]['v']:.4f} x0 {r[k]['x0']:.4f} (v=0 {r[k]['x0_v0']:.4f})" for k in EVAL_STEPS)
        log(f"val step {step}: one-step x0 MSE {r['x0_mean']:.4f} (EMA, {val_z.shape[0]} crops, normalised latents); "
            f"{per_t}{' [best]' if is_best else ''} ({time.time() - t0:.0f}s)")
        net.train()

    total = int(t["iterations"])
    stop_at = int(t.get("stop_at", total))
    win, batch = int(cfg["data"]["window"]), int(cfg["data"]["batch"])
    clip = float(t.get("grad_clip", 0.0))
    L = cfg.get("log", {})
    every, val_every = int(L.get("every", 20)), int(L.get("val_every", 500))
    ck_every_s = 60.0 * float(L.get("ckpt_minutes", 5))
    t_start = t_ck = t_log = time.time()
    # loss by timestep range, to see which noise levels the net has learnt
    buckets = [0, 250, 500, 750, diff.steps]
    acc = {"loss": 0.0, "n": 0, "b": [0.0] * 4, "bn": [0] * 4}
    net.train()
    stopped = "done"
    stop_signal = stop_on_signals()
    while step < min(total, stop_at):
        t_it = time.time()
        lr = lr_at(step, t)
        for g in opt.param_groups:
            g["lr"] = lr
        z0, _ = data.sample(batch, win, gen)
        z0 = net.normalize(z0)
        tt = diff.sample_t(batch, gen)
        eps = torch.randn(z0.shape, generator=gen)
        zt, v = diff.noise(z0, tt, eps)
        if cl:
            zt = zt.contiguous(memory_format=torch.channels_last)
        err = ((net(zt, tt) - v) ** 2).mean((1, 2, 3))
        loss = err.mean()
        if not torch.isfinite(loss):
            log(f"step {step}: non-finite loss, skipping batch")
            opt.zero_grad(set_to_none=True)
            step += 1
            continue
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        ema.update([net], step)
        step += 1
        wall += time.time() - t_it
        acc["loss"] += float(loss)
        acc["n"] += 1
        for e_, ti in zip(err.tolist(), tt.tolist()):
            k = next(j for j in range(4) if buckets[j] <= ti < buckets[j + 1])
            acc["b"][k] += e_
            acc["bn"][k] += 1
        if step % every == 0:
            n = acc["n"]
            bs = " ".join(f"{acc['b'][j] / max(acc['bn'][j], 1):.4f}" for j in range(4))
            log(f"step {step}/{total} loss {acc['loss'] / n:.5f} by t [0,250,500,750,1000): {bs} "
                f"lr {lr:.2e} {(time.time() - t_log) / n:.2f}s/it")
            acc = {"loss": 0.0, "n": 0, "b": [0.0] * 4, "bn": [0] * 4}
            t_log = time.time()
        if val_every and step % val_every == 0:
            run_val()
        if time.time() - t_ck > ck_every_s:
            checkpoint()
            t_ck = time.time()
        if (why := stop_reason(stop_signal, args.minutes, t_start)):
            stopped = why
            break
    if not (val_every and step % val_every == 0):
        run_val()
    checkpoint()
    log(f"stopped at step {step} ({stopped}); trained {wall / 3600:.2f} h in all")


# --------------------------------------------------------------------------- one-step evaluation

@torch.no_grad()
def kodak_latents(files: List[str], cache: str, taef2_dir: Optional[str], log=print) -> dict:
    """Float latents and 8-bit-latent round trips of an evaluation set, computed once
    (<cache>/latents/eval-<key>.pt, keyed by the files and the TAEF2 hashes)."""
    from .data import files_digest, load_rgb
    key = files_digest(files, json.dumps(taef2.SHA256, sort_keys=True))[:16]
    path = os.path.join(cache, "latents", f"eval-{key}.pt")
    if os.path.exists(path):
        return torch.load(path)
    enc, dec = taef2.load(taef2_dir)
    out = {"files": [], "latents": [], "round_trip": []}
    for f in files:
        a = load_rgb(f)
        a = a[:a.shape[0] // 8 * 8, :a.shape[1] // 8 * 8]
        rec, z = taef2.round_trip(enc, dec, a)
        out["files"].append(os.path.basename(f))
        out["latents"].append(z)
        out["round_trip"].append(rec)
        log(f"encoded {os.path.basename(f)}")
    atomic_save(out, path)
    return out


@torch.no_grad()
def evaluate(cfg: dict, args) -> None:
    from .data import list_images, load_rgb
    from .evaluate import to_u8
    from .lpips import load as load_lpips, lpips
    from .metrics import psnr
    torch.set_num_threads(int(cfg["train"].get("threads", 1)))
    P = run_paths(cfg)
    src = args.checkpoint or os.path.join(P["ckpt_dir"], "checkpoint.pt")
    ck = torch.load(src)
    net = build(cfg)
    net.load_state_dict(ck.get("prior_ema", ck.get("prior")))
    net.eval()
    diff = Diffusion(cfg)
    files = list_images(repo_path(args.data))[: args.max_images]
    K = kodak_latents(files, P["cache"], args.taef2_dir)
    dec = taef2.load_decoder(args.taef2_dir).to(memory_format=torch.channels_last)
    lp = load_lpips()
    rows = {"round trip": {"psnr": [], "lpips": []}}
    for t0 in EVAL_STEPS:
        rows[f"t={t0} one-step"] = {"psnr": [], "lpips": [], "psnr_vs_rt": []}
        rows[f"t={t0} v=0"] = {"psnr": [], "lpips": [], "psnr_vs_rt": []}
    t_start = time.time()
    for i, (f, z, rt) in enumerate(zip(K["files"], K["latents"], K["round_trip"])):
        a = load_rgb(os.path.join(repo_path(args.data), f))[:rt.shape[0], :rt.shape[1]]
        rows["round trip"]["psnr"].append(psnr(a, rt))
        rows["round trip"]["lpips"].append(lpips(a, rt, lp))
        zn = net.normalize(z)
        h, w = zn.shape[-2:]
        g = torch.Generator().manual_seed(1000 + i)
        for t0 in EVAL_STEPS:
            tt = torch.tensor([t0])
            eps = torch.randn(zn.shape, generator=g)
            zt, _ = diff.noise(zn, tt, eps)
            x0 = diff.one_step(net, pad_latent(zt, 2 ** (len(cfg["model"]["channels"]) - 1)), tt)[..., :h, :w]
            a_, _ = diff.coefs(tt)
            for name, zz in ((f"t={t0} one-step", x0), (f"t={t0} v=0", a_ * zt)):
                o = to_u8(dec(net.denormalize(zz).contiguous(memory_format=torch.channels_last)))
                r = rows[name]
                r["psnr"].append(psnr(a, o))
                r["lpips"].append(lpips(a, o, lp))
                r["psnr_vs_rt"].append(psnr(rt, o))
        print(f"{f}: done ({time.time() - t_start:.0f} s)", flush=True)
    lines = [f"# One-step denoising of TAEF2 latents: {cfg['name']} step {ck.get('step')} (EMA)", "",
             f"Checkpoint `{os.path.basename(src)}`; {len(K['files'])} images of `{args.data}`; "
             f"z_t = sqrt(ab) z_0 + sqrt(1-ab) eps with fixed noise per image; one step "
             f"z_0 = sqrt(ab) z_t - sqrt(1-ab) v; decoded by TAEF2; metrics against the original "
             f"(and PSNR against the TAEF2 round trip, the ceiling). 'v=0': the untrained net's step, "
             f"z_0 = sqrt(ab) z_t (shrinkage only).", "",
             "| latent | PSNR dB | LPIPS-squeeze | PSNR vs round trip |", "|---|---|---|---|"]
    res = {}
    for name, r in rows.items():
        res[name] = {k: float(np.mean(v)) for k, v in r.items()}
        vr = f"{res[name]['psnr_vs_rt']:.2f}" if "psnr_vs_rt" in r else "—"
        lines.append(f"| {name} | {res[name]['psnr']:.2f} | {res[name]['lpips']:.4f} | {vr} |")
    lines += ["", f"{time.time() - t_start:.0f} s on {torch.get_num_threads()} thread(s)."]
    md = "\n".join(lines) + "\n"
    print(md)
    out = os.path.join(P["log_dir"], f"eval_{os.path.basename(os.path.normpath(args.data))}_onestep")
    with open(out + ".md", "w") as f:
        f.write(md)
    with open(out + ".json", "w") as f:
        json.dump({"step": ck.get("step"), "images": K["files"], "results": res}, f, indent=2)


if __name__ == "__main__":
    main()
