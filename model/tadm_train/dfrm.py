"""The latent rescaler (TADM's DFRM) on TAEF2: photo + latent -> 8-bit thumbnail -> latent.

    x -> E(x) = z                                  (TAEF2 encoder, frozen; cached for training)
    (x, z) -> G_e -> f (3 channels at 1/scale)     latent branch + pixel-guidance branch, fused
    f -> F (invertible, affine couplings) -> y     the thumbnail, stored as round(clamp(y)*255)
    y -> F^-1 -> G_d -> z_hat -> D(z_hat)          decode side (TAEF2 decoder, frozen)

- Latent branch: normalised z (per-channel training statistics) -> conv + residual blocks at 1/8
  -> pixel-unshuffle stages down to 1/scale.  Pixel guidance: RGB -> conv -> log2(scale) stages
  of pixel-unshuffle(2) + 1x1 conv + residual block (the layout TADM's code uses, see
  ../shared/notes/tadm-code.md).  Fusion: concat -> residual blocks -> 3 channels, plus the
  antialiased bicubic thumbnail as a skip, so f starts as the classic thumbnail.
- F: affine coupling blocks on 3 channels (1|2 split, the single channel rotating from block to
  block), subnets with zero-initialised last convolutions, log-scale bounded by a tanh (IRN,
  Xiao et al., ECCV 2020): F starts as the identity and is exactly invertible.
- G_d: 3 channels -> conv + residual blocks at 1/scale -> conv + pixel-shuffle stages to 1/8 ->
  residual blocks -> 32-channel normalised latent.
- Training goes through the real 8-bit rounding (straight-through, clipped: models.py) and reaches
  pixels through the frozen TAEF2 decoder (DESIGN.md §5: a latent-only loss leaves off-manifold
  latents the decoder renders as grids); loss =
      w_thumb * MSE(y, bicubic thumbnail)                     the thumbnail stays a thumbnail
    + w_z   * (MSE(G_d(f), z) + MSE(G_d(F^-1(Q(y))), z))       normalised latents (TADM stage 1)
    + w_pix * MSE(D(z_hat), x) + w_lpips * LPIPS(D(z_hat), x)  on a random sub-window of z_hat
  Latents and crops come from latent_cache.py, so the encoder never runs while training.

    cd model && OMP_NUM_THREADS=2 nice -n 10 /usr/bin/python3 -m tadm_train.dfrm --config configs/dfrm16.json
    /usr/bin/python3 -m tadm_train.dfrm --config configs/dfrm16.json --eval --data ../shared/data/kodak

Checkpoints, resume, logs and signals as in train.py: <cache>/runs/<name>/checkpoint.pt, a copy in
model/runs/<name>/, log in model/runs/<name>/train.log.
"""
import argparse
import json
import math
import os
import time
from typing import Optional

import numpy as np

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from . import latent_cache, taef2  # noqa: E402
from .models import BicubicDown, Body, ResBlock, count_params, register, ste_round8_clipped  # noqa: E402
from .train import (EMA, atomic_save, load_config, lr_at, resume_source, rng_state,  # noqa: E402
                    save_checkpoint, set_rng_state, start_run, stop_on_signals, stop_reason)

LATENT_STRIDE = 8  # TAEF2: one latent position per 8x8 pixels


# --------------------------------------------------------------------------- modules

class PixelGuide(nn.Module):
    """RGB -> `ch` channels at 1/scale: conv, then per factor 2 pixel-unshuffle + 1x1 conv + block."""

    def __init__(self, scale: int, ch: int):
        super().__init__()
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.stages = nn.Sequential(*[nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(4 * ch, ch, 1), ResBlock(ch))
                                      for _ in range(int(math.log2(scale)))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.inp(x))


class LatentBranch(nn.Module):
    """Normalised latent (1/8) -> `ch` channels at 1/scale."""

    def __init__(self, scale: int, ch: int, blocks: int):
        super().__init__()
        self.inp = nn.Conv2d(taef2.LATENT_CHANNELS, ch, 3, padding=1)
        self.body = Body(ch, blocks)
        self.down = nn.Sequential(*[nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(4 * ch, ch, 1), ResBlock(ch))
                                    for _ in range(int(math.log2(scale // LATENT_STRIDE)))])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.down(self.body(self.inp(z)))


class Coupling(nn.Module):
    """Affine coupling on 3 channels: channel `k` is one half, the other two the other half."""

    def __init__(self, k: int, hidden: int, clamp: float):
        super().__init__()
        self.k, self.clamp = k, clamp
        self.rest = [c for c in range(3) if c != k]

        def sub(cin: int, cout: int) -> nn.Sequential:
            last = nn.Conv2d(hidden, cout, 3, padding=1)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
            return nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(hidden, hidden, 1), nn.LeakyReLU(0.2), last)
        self.phi = sub(2, 1)   # one <- one + phi(rest)
        self.rho = sub(1, 2)   # rest <- rest * exp(s(one)) + eta(one)
        self.eta = sub(1, 2)

    def _split(self, x: torch.Tensor):
        return x[:, self.k:self.k + 1], x[:, self.rest]

    def _join(self, one: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
        parts = [rest[:, 0:1], rest[:, 1:2]]
        parts.insert(self.k, one)
        return torch.cat(parts, 1)

    def _scale(self, one: torch.Tensor) -> torch.Tensor:
        return self.clamp * torch.tanh(self.rho(one) / self.clamp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        one, rest = self._split(x)
        one = one + self.phi(rest)
        rest = rest * torch.exp(self._scale(one)) + self.eta(one)
        return self._join(one, rest)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        one, rest = self._split(y)
        rest = (rest - self.eta(one)) * torch.exp(-self._scale(one))
        one = one - self.phi(rest)
        return self._join(one, rest)


class Invertible(nn.Module):
    def __init__(self, blocks: int, hidden: int, clamp: float):
        super().__init__()
        bl = [Coupling(i % 3, hidden, clamp) for i in range(blocks)]
        self.blocks = nn.ModuleList(bl)
        # the same blocks in reverse order: TorchScript cannot iterate a ModuleList backwards
        # (the state dict lists them under both names; they are one set of parameters)
        self.rev = nn.ModuleList(bl[::-1])

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        for b in self.blocks:
            f = b(f)
        return f

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        for b in self.rev:
            y = b.inverse(y)
        return y


class LatentDecoderHead(nn.Module):
    """G_d: 3 channels at 1/scale -> normalised 32-channel latent at 1/8."""

    def __init__(self, scale: int, ch: int, blocks: int, latent_ch: int, latent_blocks: int):
        super().__init__()
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.body = Body(ch, blocks)
        up, c = [], ch
        for _ in range(int(math.log2(scale // LATENT_STRIDE))):
            up += [nn.Conv2d(c, 4 * latent_ch, 3, padding=1), nn.PixelShuffle(2), nn.LeakyReLU(0.2)]
            c = latent_ch
        if not up:
            up = [nn.Conv2d(c, latent_ch, 3, padding=1)]
        self.up = nn.Sequential(*up)
        self.latent_body = Body(latent_ch, latent_blocks)
        self.out = nn.Conv2d(latent_ch, taef2.LATENT_CHANNELS, 3, padding=1)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.out(self.latent_body(self.up(self.body(self.inp(f)))))


class LatentNorm(nn.Module):
    """Per-channel statistics of the training latents (set by the trainer, saved with the weights)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, taef2.LATENT_CHANNELS, 1, 1))
        self.register_buffer("std", torch.ones(1, taef2.LATENT_CHANNELS, 1, 1))

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.mean) / self.std

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.std + self.mean


class ThumbnailEncoder(nn.Module):
    """G_e and F: (x [N,3,H,W] in [0,1], its TAEF2 latent z) -> the unrounded thumbnail y."""

    def __init__(self, scale: int, norm: LatentNorm, inn: Invertible, ch: int, guide_ch: int, enc_blocks: int,
                 fuse_blocks: int, guide: bool):
        super().__init__()
        self.norm, self.inn = norm, inn
        self.guide = PixelGuide(scale, guide_ch) if guide else None
        self.latent = LatentBranch(scale, ch, enc_blocks)
        self.fuse_in = nn.Conv2d(ch + (guide_ch if guide else 0), ch, 1)
        self.fuse = Body(ch, fuse_blocks)
        self.fuse_out = nn.Conv2d(ch, 3, 3, padding=1)
        nn.init.zeros_(self.fuse_out.weight)
        nn.init.zeros_(self.fuse_out.bias)
        self.bicubic = BicubicDown(scale, border="renormalize")

    def features(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h = self.latent(self.norm.normalize(z))
        if self.guide is not None:
            h = torch.cat([h, self.guide(x)], 1)
        return self.bicubic(x) + self.fuse_out(self.fuse(self.fuse_in(h)))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.inn(self.features(x, z))


class LatentRestorer(nn.Module):
    """F^-1 and G_d: the 8-bit thumbnail as floats in [0,1] -> the reconstructed TAEF2 latent."""

    def __init__(self, scale: int, norm: LatentNorm, inn: Invertible, ch: int, dec_blocks: int, latent_ch: int,
                 latent_blocks: int):
        super().__init__()
        self.norm, self.inn = norm, inn
        self.head = LatentDecoderHead(scale, ch, dec_blocks, latent_ch, latent_blocks)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.norm.denormalize(self.head(self.inn.inverse(y)))


class LatentRescaler(nn.Module):
    """The trained part of the latent family: `encoder` (G_e + F) and `decoder` (F^-1 + G_d)
    share F and the latent statistics; the bundle's two sides take one each."""

    def __init__(self, scale: int, ch: int = 96, guide_ch: int = 16, enc_blocks: int = 4, fuse_blocks: int = 4,
                 dec_blocks: int = 6, latent_ch: int = 64, latent_blocks: int = 2, inn_blocks: int = 6,
                 inn_hidden: int = 32, inn_clamp: float = 1.0, guide: bool = True):
        super().__init__()
        assert scale in (8, 16, 32, 64), scale
        self.scale = scale
        self.norm = LatentNorm()
        self.inn = Invertible(inn_blocks, inn_hidden, inn_clamp)
        self.encoder = ThumbnailEncoder(scale, self.norm, self.inn, ch, guide_ch, enc_blocks, fuse_blocks, guide)
        self.decoder = LatentRestorer(scale, self.norm, self.inn, ch, dec_blocks, latent_ch, latent_blocks)
        self.bicubic = self.encoder.bicubic
        self.head = self.decoder.head

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        return self.norm.normalize(z)

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return self.norm.denormalize(z)

    def features(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.encoder.features(x, z)

    def thumbnail(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The unrounded thumbnail y = F(f); the codec stores round(clamp(y, 0, 1) * 255)."""
        return self.encoder(x, z)

    def restore_latent(self, y: torch.Tensor) -> torch.Tensor:
        """8-bit thumbnail as floats in [0,1] -> the reconstructed TAEF2 latent z_hat."""
        return self.decoder(y)


def build(cfg: dict) -> LatentRescaler:
    m = dict(cfg["model"])
    return LatentRescaler(int(cfg["scale"]), **m)


# --------------------------------------------------------------------------- codec wrappers

class LatentEncoderSide(nn.Module):
    """HR [N,3,H,W] (sides multiples of the scale) -> unrounded thumbnail: TAEF2 encoder + G_e + F.
    The bundle's encoder.pt; TAEF2's weights are the placeholders under `enc.`."""

    def __init__(self, encoder: ThumbnailEncoder, enc: nn.Module):
        super().__init__()
        self.encoder, self.enc = encoder, enc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x, self.enc(x))


class LatentDecoderSide(nn.Module):
    """8-bit thumbnail in [0,1] -> HR: F^-1 + G_d + TAEF2 decoder. The bundle's decoder.pt;
    TAEF2's weights are the placeholders under `dec.`."""

    def __init__(self, decoder: LatentRestorer, dec: nn.Module):
        super().__init__()
        self.decoder, self.dec = decoder, dec

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.dec(self.decoder(y))


@register("latent-rescaler")
def build_codec(cfg: dict, taef2_dir: Optional[str] = None, net: Optional[LatentRescaler] = None):
    """(encoder side, decoder side) for evaluate.py and export.py: `net` (trained, or a new one)
    between TAEF2's halves."""
    net = build(cfg) if net is None else net
    enc, dec = taef2.load(taef2_dir)
    return LatentEncoderSide(net.encoder, enc), LatentDecoderSide(net.decoder, dec)


def bundle_state(folder: str, module: str, prefix: str) -> dict:
    """The weights under `prefix` in one of an exported bundle's TorchScript modules (`module`,
    e.g. decoder.pt), the prefix stripped and float16 back to float32."""
    sd = torch.jit.load(os.path.join(folder, module)).state_dict()
    return {k[len(prefix):]: v.float() for k, v in sd.items() if k.startswith(prefix)}


def load_net_from_bundle(path: str) -> LatentRescaler:
    """The rescaler inside an exported latent bundle (its TorchScript modules hold G_e + F and
    F^-1 + G_d under m.encoder. / m.decoder.; float16 weights come back as float32)."""
    with open(os.path.join(path, "manifest.json")) as f:
        man = json.load(f)
    cfg = {"scale": man["scale"], "model": man["training"]["model"]}
    net = build(cfg)
    sd = {}
    for side in ("encoder", "decoder"):
        sd.update({f"{side}.{k}": v for k, v in bundle_state(path, side + ".pt", f"m.{side}.").items()})
    # the net's top-level aliases (norm, inn, bicubic, head) are the sides' modules
    for k in net.state_dict():
        if k not in sd:
            sd[k] = sd.get("encoder." + k, sd.get("decoder." + k))
    net.load_state_dict(sd)
    return net.eval()


def load_net(ck: dict, which: str = "ema") -> LatentRescaler:
    """The rescaler of a dfrm.py checkpoint (checkpoint.pt: EMA or raw weights; best_ema.pt)."""
    net = build(ck["config"])
    key = "dfrm_ema" if which == "ema" and ck.get("dfrm_ema") is not None else "dfrm"
    net.load_state_dict(ck[key])
    return net.eval()


# --------------------------------------------------------------------------- training

def losses(net: LatentRescaler, dec: nn.Module, lp, x: torch.Tensor, z: torch.Tensor, W: dict,
           pix_window: int, gen: torch.Generator) -> dict:
    """x uint8->float [N,3,8L,8L], z [N,32,L,L] -> the weighted terms (module docstring) and 'total'."""
    f = net.features(x, z)
    y = net.inn(f)
    zn = net.normalize(z)
    out = {"thumb": F.mse_loss(y, net.bicubic(x))}
    zh_f = net.head(f)
    yq = ste_round8_clipped(y)
    zh_q = net.head(net.inn.inverse(yq))
    out["z"] = F.mse_loss(zh_f, zn) + F.mse_loss(zh_q, zn)
    total = W["thumb"] * out["thumb"] + W["z"] * out["z"]
    if W.get("pix", 0) > 0 or W.get("lpips", 0) > 0:
        L = z.shape[-1]
        p = min(pix_window, L)
        oy, ox = (int(v) for v in torch.randint(0, L - p + 1, (2,), generator=gen))
        zs = net.denormalize(zh_q[..., oy:oy + p, ox:ox + p])
        xs = x[..., 8 * oy:8 * (oy + p), 8 * ox:8 * (ox + p)]
        rec = dec(zs.contiguous(memory_format=torch.channels_last))
        out["pix"] = F.mse_loss(rec, xs)
        total = total + W.get("pix", 0) * out["pix"]
        if W.get("lpips", 0) > 0:
            out["lpips"] = lp(rec, xs, normalize=True).mean()
            total = total + W["lpips"] * out["lpips"]
    out["total"] = total
    return out


@torch.no_grad()
def validate(net: LatentRescaler, dec: nn.Module, lp, vz: torch.Tensor, vx: torch.Tensor) -> dict:
    """Real 8-bit rounding on whole val crops: thumbnail PSNR vs bicubic, latent MSE, pixel PSNR and
    LPIPS through the TAEF2 decoder."""
    net.eval()
    r = {"lr_psnr": [], "z_mse": [], "psnr": [], "lpips": []}
    for i in range(vz.shape[0]):
        x, z = vx[i:i + 1].float() / 255.0, vz[i:i + 1]
        y = torch.round(torch.clamp(net.thumbnail(x, z), 0, 1) * 255.0) / 255.0
        b = torch.round(torch.clamp(net.bicubic(x), 0, 1) * 255.0) / 255.0
        zh = net.restore_latent(y)
        rec = torch.round(torch.clamp(dec(zh.contiguous(memory_format=torch.channels_last)), 0, 1) * 255.0) / 255.0
        r["lr_psnr"].append(float(-10 * torch.log10(F.mse_loss(y, b))))
        r["z_mse"].append(float(F.mse_loss(net.normalize(zh), net.normalize(z))))
        r["psnr"].append(float(-10 * torch.log10(F.mse_loss(rec, x))))
        r["lpips"].append(float(lp(rec, x, normalize=True).mean()))
    net.train()
    return {k: float(np.mean(v)) for k, v in r.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--minutes", type=float, default=None, help="stop (checkpoint + validation) after N minutes")
    ap.add_argument("--iterations", type=int, default=None, help="stop at step N (the LR schedule keeps the config's)")
    ap.add_argument("--partial-cache", action="store_true",
                    help="train on the latent shards that exist instead of filling the cache first")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--taef2-dir", default=None)
    args = ap.parse_args(argv)

    cfg = load_config(args.config)
    t, P, log, seed = start_run(cfg, args.iterations)

    data, val = latent_cache.crops_with_pixels(cfg, P["cache"], args.partial_cache, not args.no_val,
                                               args.taef2_dir, log)

    net = build(cfg)
    dec = taef2.load_decoder(args.taef2_dir).to(memory_format=torch.channels_last)
    from .lpips import load as load_lpips
    lp = load_lpips()
    for p in lp.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=t["lr"], betas=tuple(t.get("betas", [0.9, 0.99])))
    ema = EMA([net], float(t.get("ema", 0.999)))
    gen = torch.Generator().manual_seed(seed)

    step, wall, best = 0, 0.0, float("inf")
    src = resume_source(P)
    if src is not None:
        ck = torch.load(src)
        net.load_state_dict(ck["dfrm"] if ck.get("dfrm") is not None else ck["dfrm_ema"])
        ema.shadow[0].load_state_dict(ck["dfrm_ema"])
        if ck.get("optimizer") is not None:
            opt.load_state_dict(ck["optimizer"])
        else:
            log("checkpoint has no optimizer state (slim repo copy): Adam moments restart from zero")
        gen.set_state(ck["gen"])
        set_rng_state(ck["rng"])
        step, wall, best = ck["step"], ck["wall_time_s"], ck.get("best_val", float("inf"))
        log(f"resumed from {src} at step {step} (trained {wall / 3600:.2f} h); {len(data)} cached crops")
    else:
        zc = data.latents.float()
        with torch.no_grad():
            net.norm.mean.copy_(zc.mean((0, 2, 3)).view_as(net.norm.mean))
            net.norm.std.copy_(zc.std((0, 2, 3)).view_as(net.norm.std))
        ema.shadow[0].load_state_dict(net.state_dict())
        log(f"new run {cfg['name']}: config {cfg['_config_path']}; latent rescaler x{cfg['scale']} "
            f"{count_params(net)} params; {len(data)} cached crops of {data.crop} px; "
            f"val {0 if val is None else val[0].shape[0]} crops")

    def checkpoint():
        save_checkpoint({
            "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
            "config_path": cfg["_config_path"], "family": "latent-rescaler",
            "step": step, "wall_time_s": wall, "best_val": best,
            "dfrm": net.state_dict(), "dfrm_ema": ema.shadow[0].state_dict(),
            "optimizer": opt.state_dict(), "gen": gen.get_state(), "rng": rng_state(),
        }, P, log, slim_drop=("optimizer", "dfrm"))

    def run_val():
        nonlocal best
        if val is None:
            return
        t0 = time.time()
        r = validate(ema.shadow[0], dec, lp, *val)
        # selection: LPIPS-squeeze of the real 8-bit path, the perceptual profile's measure
        is_best = r["lpips"] < best
        if is_best:
            best = r["lpips"]
            atomic_save({"step": step, "val": r, "dfrm": ema.shadow[0].state_dict(), "wall_time_s": wall,
                         "config_path": cfg["_config_path"], "family": "latent-rescaler",
                         "config": {k: v for k, v in cfg.items() if not k.startswith("_")}},
                        os.path.join(P["ckpt_dir"], "best_ema.pt"))
        log(f"val step {step}: thumbnail {r['lr_psnr']:.2f} dB vs bicubic; latent MSE {r['z_mse']:.4f} (normalised); "
            f"{r['psnr']:.2f} dB, LPIPS-squeeze {r['lpips']:.4f} (EMA, {val[0].shape[0]} crops, 8-bit path)"
            f"{' [best]' if is_best else ''} ({time.time() - t0:.0f}s)")

    total = int(t["iterations"])
    stop_at = int(t.get("stop_at", total))
    win, batch = int(cfg["data"]["window"]), int(cfg["data"]["batch"])
    pix_window = int(cfg["data"].get("pix_window", 16))
    W = cfg["loss"]
    clip = float(t.get("grad_clip", 0.0))
    Lg = cfg.get("log", {})
    every, val_every = int(Lg.get("every", 20)), int(Lg.get("val_every", 500))
    ck_every_s = 60.0 * float(Lg.get("ckpt_minutes", 5))
    t_start = t_ck = t_log = time.time()
    acc: dict = {}
    net.train()
    stopped = "done"
    stop_signal = stop_on_signals()
    if step == 0:
        run_val()
    while step < min(total, stop_at):
        t_it = time.time()
        lr = lr_at(step, t)
        for g in opt.param_groups:
            g["lr"] = lr
        z, pos = data.sample(batch, win, gen)
        x = data.rgb(pos, win).float() / 255.0
        terms = losses(net, dec, lp, x, z, W, pix_window, gen)
        loss = terms["total"]
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
        for k, v in terms.items():
            acc[k] = acc.get(k, 0.0) + float(v)
        acc["n"] = acc.get("n", 0) + 1
        if step % every == 0:
            n = acc.pop("n")
            parts = " ".join(f"{k} {v / n:.5f}" for k, v in acc.items())
            pix = acc.get("pix")
            extra = f" ({-10 * math.log10(pix / n):.2f} dB on the decoded window)" if pix else ""
            log(f"step {step}/{total} {parts}{extra} lr {lr:.2e} {(time.time() - t_log) / n:.2f}s/it")
            acc = {}
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


if __name__ == "__main__":
    main()
