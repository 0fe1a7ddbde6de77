"""The one-step, timestep-aware latent enhancer of the latent family (TADM's second stage).

The latent rescaler (dfrm.py) gives a reconstructed latent z_hat that has lost detail: the more
detail lost, the noisier it looks to a diffusion model. The enhancer treats the normalised z_hat
as the noisy latent z_t of the prior's forward process at a timestep t of its own choosing and
takes one denoising step:

    t      = TPM(z_hat)                          timestep prediction, one per tile, in [t_min, t_max]
    v      = U(z_hat, t)                         the latent prior (latent_prior.py), v-prediction
    z_0    = sqrt(ab_t) z_hat - sqrt(1 - ab_t) v   the fixed one-step update
           + R(z_hat, v, t)                      hybrid scheduler: a learned, zero-initialised correction
    x_hat  = D(z_0)                              TAEF2's decoder

- TPM: conv + residual blocks on z_hat, per-channel mean and standard deviation pooled over the
  tile, an MLP, a sigmoid mapped to [t_min, t_max] (TADM: 10..200 of SD's 1000 steps; no direct
  supervision: t is whatever makes the decoded tile best). One t per tile keeps it tileable.
- ab_t: the cosine schedule in closed form (Nichol & Dhariwal 2021, eq. 17), so t may be
  fractional and the TPM differentiable.
- R: concat(z_hat, v) -> conv + timestep-conditioned residual blocks -> zero-initialised conv.
- Loss: w_pix * MSE(D(z_0), x) + w_lpips * LPIPS-squeeze(D(z_0), x) + w_z * MSE(z_0, z) on
  normalised latents (+ w_adv * -PatchD(D(z_0)) with "adversarial": a patch discriminator trained
  alongside with the hinge loss); the rescaler is frozen (its z_hat is what a decoder gets from a real 8-bit
  thumbnail), the prior U-Net, TPM and R train. With "rescaler": {"train_head": true} the
  rescaler's G_d trains too (end to end on the decoded pixels; the thumbnail, and so the bytes, stay).

    cd model && OMP_NUM_THREADS=2 nice -n 10 /usr/bin/python3 -m tadm_train.enhancer --config configs/enh16.json

Checkpoints, resume, logs and signals as in train.py.
"""
import argparse
import math
import os
import time
from typing import Optional, Tuple

import numpy as np

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from . import dfrm, latent_cache, latent_prior, taef2  # noqa: E402
from .latent_prior import TResBlock, timestep_embedding  # noqa: E402
from .data import dihedral  # noqa: E402
from .grid import grid_loss  # noqa: E402
from .models import ResBlock, count_params, round8  # noqa: E402
from .train import (EMA, atomic_save, load_config, lr_at, resume_source, rng_state,  # noqa: E402
                    save_checkpoint, set_rng_state, start_run, stop_on_signals, stop_reason)


def cosine_ab(t: torch.Tensor, steps: int = 1000, s: float = 0.008) -> torch.Tensor:
    """alpha_bar(t) of the cosine schedule for fractional t in [0, steps)."""
    f = torch.cos(((t / steps) + s) / (1 + s) * (math.pi / 2)) ** 2
    return f / (math.cos(s / (1 + s) * math.pi / 2) ** 2)


class TimestepPredictor(nn.Module):
    """TPM: normalised latent tile [N,in_ch,h,w] -> one timestep per tile [N] in [t_min, t_max].
    The decoder's sees z_hat (32 channels); an encoder's may see the original too (tpm_features)."""

    def __init__(self, ch: int = 32, blocks: int = 3, t_min: float = 10.0, t_max: float = 400.0,
                 t_init: float = 100.0, in_ch: int = taef2.LATENT_CHANNELS):
        super().__init__()
        self.t_min, self.t_max = t_min, t_max
        self.inp = nn.Conv2d(in_ch, ch, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(ch) for _ in range(blocks)])
        self.mlp = nn.Sequential(nn.Linear(2 * ch, 64), nn.SiLU(), nn.Linear(64, 1))
        with torch.no_grad():  # start every tile at t_init
            self.mlp[2].weight.mul_(0.01)
            p = (t_init - t_min) / (t_max - t_min)
            self.mlp[2].bias.fill_(math.log(p / (1 - p)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.body(self.inp(z))
        stats = torch.cat([h.mean((2, 3)), h.std((2, 3))], 1)
        return self.t_min + (self.t_max - self.t_min) * torch.sigmoid(self.mlp(stats)[:, 0])


class Refiner(nn.Module):
    """The hybrid scheduler's learned part: (z_t, v, t) -> a correction of the fixed step, 0 at start."""

    def __init__(self, ch: int = 64, blocks: int = 4, temb: int = 128, groups: int = 16):
        super().__init__()
        self.temb_dim = temb
        self.temb = nn.Sequential(nn.Linear(temb, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(2 * taef2.LATENT_CHANNELS, ch, 3, padding=1)
        self.blocks = nn.ModuleList([TResBlock(ch, ch, temb, groups) for _ in range(blocks)])
        self.out = nn.Conv2d(ch, taef2.LATENT_CHANNELS, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, zt: torch.Tensor, v: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.temb(timestep_embedding(t, self.temb_dim))
        h = self.inp(torch.cat([zt, v], 1))
        for b in self.blocks:
            h = b(h, e)
        return self.out(h)


class PatchDiscriminator(nn.Module):
    """Training only ("adversarial" in the config): a small PatchGAN on decoded RGB windows, a score per
    ~54 px patch, spectrally normalised so that it stays Lipschitz on few, small batches. What it is
    for: textures that LPIPS-squeeze accepts but a viewer does not (the thumbnail grid repeated
    as a periodic pattern, tadm16's card)."""

    def __init__(self, ch: int = 32):
        super().__init__()
        sn = nn.utils.spectral_norm
        layers, c_in = [], 3
        for c in (ch, 2 * ch, 4 * ch):
            layers += [sn(nn.Conv2d(c_in, c, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
            c_in = c
        layers += [sn(nn.Conv2d(c_in, c_in, 3, padding=1)), nn.LeakyReLU(0.2), sn(nn.Conv2d(c_in, 1, 3, padding=1))]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(2.0 * x - 1.0)


def hinge_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's hinge loss (Lim & Ye 2017; as in SAGAN and VQGAN)."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


class Enhancer(nn.Module):
    """z_hat (TAEF2 latent, not normalised) -> (enhanced latent, t per tile). `t` [N] replaces
    the TPM (the fixed-t ablations, a decoder given the file's hint); `refine=False` drops R
    (the fixed scheduler alone). TorchScript-able: the bundle's decoder runs it."""

    def __init__(self, unet: latent_prior.LatentUNet, tpm: TimestepPredictor, refiner: Refiner, steps: int = 1000):
        super().__init__()
        self.unet, self.tpm, self.refiner, self.steps = unet, tpm, refiner, steps
        self.pad_multiple = 2 ** (len(unet.down) - 1)

    def forward(self, z: torch.Tensor, t: Optional[torch.Tensor] = None,
                refine: bool = True) -> Tuple[torch.Tensor, torch.Tensor]:
        zn = self.unet.normalize(z)
        if t is None:
            t = self.tpm(zn)
        t = t.to(z.dtype)
        ab = cosine_ab(t, self.steps)[:, None, None, None]
        pz = latent_prior.pad_latent(zn, self.pad_multiple)
        v = self.unet(pz, t)[..., :zn.shape[-2], :zn.shape[-1]]
        z0 = ab.sqrt() * zn - (1 - ab).sqrt() * v
        if refine:
            z0 = z0 + self.refiner(zn, v, t)
        return self.unet.denormalize(z0), t


class EnhancedDecoderSide(nn.Module):
    """decoder.pt of an enhanced latent bundle: 8-bit thumbnail in [0,1] -> F^-1 + G_d -> z_hat ->
    the one-step enhancer -> TAEF2's decoder. forward(y, t) with t [1]: t < 0 lets the TPM choose
    (no hint in the file), t > 0 is the file's timestep for this tile, t == 0 skips the enhancer
    (tadmdec --no-enhance). timestep(y) is the TPM's choice, which the encoder stores in `hint`.
    The attribute names keep the rescaler's weights under m.decoder. (dfrm.load_net_from_bundle)."""

    def __init__(self, decoder: nn.Module, enhancer: Enhancer, dec: nn.Module):
        super().__init__()
        self.decoder, self.enhancer, self.dec = decoder, enhancer, dec

    def forward(self, y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        z = self.decoder(y)
        if bool(t[0] > 0):
            z = self.enhancer(z, t.expand(z.shape[0]))[0]
        elif bool(t[0] < 0):
            z = self.enhancer(z)[0]
        return self.dec(z)

    @torch.jit.export
    def timestep(self, y: torch.Tensor) -> torch.Tensor:
        return self.enhancer.tpm(self.enhancer.unet.normalize(self.decoder(y)))


def load_weights(src: str) -> dict:
    """An enhancer's weights (EMA where there is one) from a run's best_ema.pt or checkpoint.pt, or
    from an exported bundle folder, whose decoder.pt holds them under m.enhancer. in float16 (back
    as float32). Runs live in a cache a new machine lacks; bundles are committed."""
    if os.path.isdir(src):
        out = dfrm.bundle_state(src, "decoder.pt", "m.enhancer.")
        if not out:
            raise SystemExit(f"{src}: the bundle's decoder has no enhancer")
        return out
    ck = torch.load(src)
    return ck["enhancer_ema"] if ck.get("enhancer_ema") is not None else ck["enhancer"]


def build(cfg: dict, prior_cfg: dict) -> Enhancer:
    e = cfg.get("enhancer", {})
    tp = e.get("tpm", {})
    rf = e.get("refiner", {})
    return Enhancer(latent_prior.build(prior_cfg), TimestepPredictor(**tp), Refiner(**rf),
                    int(prior_cfg.get("diffusion", {}).get("steps", 1000)))


def reconstructed_latent(net: dfrm.LatentRescaler, x: torch.Tensor, z: torch.Tensor,
                         head: Optional[nn.Module] = None) -> torch.Tensor:
    """What a decoder gets: the rescaler's latent from the real 8-bit thumbnail. Gradients reach
    G_d (`head`, the rescaler's own by default) alone, and only when it trains ("train_head")."""
    with torch.no_grad():
        f = net.inn.inverse(round8(net.thumbnail(x, z)))
    return net.norm.denormalize((net.head if head is None else head)(f))


def decode_window(dec: nn.Module, z: torch.Tensor, x: torch.Tensor, p: int, gen: torch.Generator):
    """TAEF2-decode a random p x p latent window of z; returns it, the matching pixels of x and the
    window's pixel offset in x (where the thumbnail's grid starts)."""
    L = z.shape[-1]
    p = min(p, L)
    oy, ox = (int(v) for v in torch.randint(0, L - p + 1, (2,), generator=gen))
    rec = dec(z[..., oy:oy + p, ox:ox + p].contiguous(memory_format=torch.channels_last))
    return rec, x[..., 8 * oy:8 * (oy + p), 8 * ox:8 * (ox + p)], (8 * oy, 8 * ox)


@torch.no_grad()
def validate(enh: Enhancer, net: dfrm.LatentRescaler, dec: nn.Module, lp, vz: torch.Tensor, vx: torch.Tensor,
             fixed_t=(50.0, 200.0), head: Optional[nn.Module] = None, tpm_input: str = "reconstructed") -> dict:
    """16 whole val crops through the real 8-bit path: the rescaler alone, the enhancer with its
    predicted t, and the fixed-t ablations; PSNR, LPIPS-squeeze and the grid texture (grid.py) of
    the decoded crops."""
    enh.eval()
    rows = {"off": [], "tpm": []}
    rows.update({f"t{int(t)}": [] for t in fixed_t})
    ts = []
    for i in range(vz.shape[0]):
        x, z = vx[i:i + 1].float() / 255.0, vz[i:i + 1]
        zh = reconstructed_latent(net, x, z, head)
        outs = {"off": zh}
        if tpm_input == "reconstructed":
            outs["tpm"], t = enh(zh)
        else:  # an encoder's TPM, which sees the original latent too
            t = enh.tpm(tpm_features(enh.unet.normalize(zh), enh.unet.normalize(z), tpm_input, x))
            outs["tpm"], _ = enh(zh, t)
        ts.append(float(t.mean()))
        for tf in fixed_t:
            outs[f"t{int(tf)}"], _ = enh(zh, torch.full((zh.shape[0],), float(tf)))
        for k, zz in outs.items():
            rec = torch.round(dec(zz.contiguous(memory_format=torch.channels_last)).clamp(0, 1) * 255) / 255
            rows[k].append((float(-10 * torch.log10(F.mse_loss(rec, x))), float(lp(rec, x, normalize=True).mean()),
                            float(grid_loss(rec.double(), x.double(), net.scale))))
    enh.train()
    # the best fixed t of each crop by LPIPS-squeeze: the bound a per-tile choice among them could reach
    fixed = [f"t{int(t)}" for t in fixed_t]
    if len(fixed) > 1:
        rows["oracle"] = [min((rows[k][i] for k in fixed), key=lambda r: r[1]) for i in range(len(ts))]
    out = {k: {m: float(np.mean([r[i] for r in v])) for i, m in enumerate(("psnr", "lpips", "grid"))}
           for k, v in rows.items()}
    out["t_mean"], out["t_min"], out["t_max"] = float(np.mean(ts)), float(np.min(ts)), float(np.max(ts))
    return out


@torch.no_grad()
def candidate_terms(enh: Enhancer, zh: torch.Tensor, x: torch.Tensor, dec: nn.Module, lp, candidates) -> dict:
    """Each window decoded at each candidate timestep: {"pix": MSE [N, K], "lpips": LPIPS-squeeze
    [N, K] (zeros without `lp`)}."""
    pix, lps = [], []
    for tc in candidates:
        z0, _ = enh(zh, torch.full((zh.shape[0],), float(tc)))
        rec = dec(z0.contiguous(memory_format=torch.channels_last))
        pix.append(((rec - x) ** 2).mean((1, 2, 3)))
        lps.append(lp(rec, x, normalize=True).flatten() if lp is not None else torch.zeros(len(x)))
    return {"pix": torch.stack(pix, 1), "lpips": torch.stack(lps, 1)}


def weighted_loss(terms: dict, W: dict) -> torch.Tensor:
    """w_pix*MSE + w_lpips*LPIPS of candidate_terms: [N, K]."""
    return W.get("pix", 1.0) * terms["pix"] + W.get("lpips", 0.0) * terms["lpips"]


def soft_best_t(L: torch.Tensor, candidates, tau: float) -> torch.Tensor:
    """The TPM's supervised target: each row's loss over the candidates softly arg-minimised in log t
    (relative to its minimum): [N]. Sharper than the loss's own gradient in t, which left every tile
    at one bound of the range (enh16-c)."""
    rel = (L - L.min(1, keepdim=True).values) / L.min(1, keepdim=True).values.clamp_min(1e-8)
    p = torch.softmax(-rel / tau, 1)
    logt = torch.log(torch.tensor([float(c) for c in candidates], dtype=L.dtype))
    return torch.exp((p * logt).sum(1))


TPM_INPUTS = {"reconstructed": 1, "original": 1, "both": 2, "pixels": 1 + 3 * 64 // taef2.LATENT_CHANNELS}


def tpm_features(zn_hat: torch.Tensor, zn_orig: Optional[torch.Tensor], kind: str,
                 x: Optional[torch.Tensor] = None) -> torch.Tensor:
    """What a TPM sees, from normalised latents: "reconstructed" z_hat alone (a decoder's, the
    shipped kind); or what an encoder has besides (tpm_fit experiments, enh16-t: a tile's best t
    was no more predictable from them): "original", the photo's own latent, "both", z_hat and what
    it lost (z - z_hat), or "pixels", z_hat and the photo in [0,1] (8x8 blocks as 192 channels).
    Channels: TPM_INPUTS[kind] * 32."""
    if kind == "reconstructed":
        return zn_hat
    if kind == "pixels":
        if x is None:
            raise ValueError("a TPM on 'pixels' needs the photo")
        return torch.cat([zn_hat, F.pixel_unshuffle(2 * x - 1, 8)], 1)
    if kind not in TPM_INPUTS:
        raise ValueError(f"TPM input '{kind}': one of {', '.join(TPM_INPUTS)}")
    if zn_orig is None:
        raise ValueError(f"a TPM on '{kind}' latents needs the original latent")
    return zn_orig if kind == "original" else torch.cat([zn_hat, zn_orig - zn_hat], 1)


def fit_data(fit: dict, P: dict, enh: Enhancer, net, data, dec, lp, W: dict, win: int, batch: int,
             gen: torch.Generator, log, stop_signal: Optional[list] = None):
    """tpm_fit's training data: `windows` random training windows (normalised z_hat, original latent,
    pixels) and their MSE and LPIPS at every candidate timestep (candidate_terms). Computed once (the
    costly part: every candidate decoded) and kept in the run's folder, resumable: a signal (see
    train.stop_on_signals) saves what is done and exits. The best timestep of each window is then
    taken under fit["loss"] (default: the run's loss weights W), which may so differ from W.
    Returns (features(i, r): the TPM inputs fit["input"] asks for, best t [N], losses [N, K],
    the terms {"pix", "lpips"} [N, K])."""
    path = os.path.join(P["ckpt_dir"], "tpm_targets.pt")
    want = int(fit.get("windows", 512))
    have = (torch.load(path) if os.path.exists(path)
            else {"zn": [], "zo": [], "x": [], "pix": [], "lpips": [], "gen": None})
    if "lpips" not in have or not len(have["x"]) == len(have["pix"]) == len(have["lpips"]):
        raise SystemExit(f"{path}: written by an older tpm_fit (no per-candidate MSE and LPIPS); delete it to recompute")
    g = torch.Generator().manual_seed(int(fit.get("seed", 7)))
    if have["gen"] is not None:
        g.set_state(have["gen"])
    t0 = t_save = time.time()
    n0 = n = sum(len(v) for v in have["pix"])
    while n < want:
        z, pos = data.sample(batch, win, g)
        x = data.rgb(pos, win).float() / 255.0
        zh = reconstructed_latent(net, x, z)
        terms = candidate_terms(enh, zh, x, dec, lp, fit["candidates"])
        have["pix"].append(terms["pix"])
        have["lpips"].append(terms["lpips"])
        have["zn"].append(enh.unet.normalize(zh).half())
        have["zo"].append(enh.unet.normalize(z).half())
        have["x"].append(data.rgb(pos, win))  # uint8
        have["gen"] = g.get_state()
        n += len(have["pix"][-1])
        if time.time() - t_save > 120 or n >= want or stop_signal:
            atomic_save(have, path)
            t_save = time.time()
            log(f"tpm targets: {n}/{want} windows ({(time.time() - t0) / max(1, n - n0):.1f} s each)")
        if stop_signal:
            raise SystemExit(f"signal {stop_signal[0]}: stopped computing the tpm targets at {n}/{want} windows "
                             f"(kept in {path}; the same command resumes)")
    terms = {k: torch.cat(have[k]) for k in ("pix", "lpips")}
    Wf = fit.get("loss", W)
    L = weighted_loss(terms, Wf)
    t = soft_best_t(L, fit["candidates"], float(fit.get("tau", 0.01)))
    log(f"tpm targets under {Wf}: {len(t)} windows, best t {t.mean():.0f} ± {t.std():.0f} "
        f"(min {t.min():.0f}, max {t.max():.0f})")
    kind = fit.get("input", "reconstructed")
    zn, zo, xs = (torch.cat(have[k]) for k in ("zn", "zo", "x"))  # float16, float16, uint8

    def features(i: torch.Tensor, r: int = 0) -> torch.Tensor:
        """The TPM's input for windows i, turned by dihedral r (before the pixels become channels)."""
        return tpm_features(dihedral(zn[i].float(), r), dihedral(zo[i].float(), r), kind,
                            dihedral(xs[i].float() / 255.0, r) if kind == "pixels" else None)
    return features, t, L, terms


@torch.no_grad()
def tpm_eval(tpm: TimestepPredictor, zn, t: torch.Tensor, t_fit: torch.Tensor, log,
             L: Optional[torch.Tensor] = None, L_fit: Optional[torch.Tensor] = None, candidates=(),
             terms: Optional[dict] = None):
    """Held-out error of the TPM in log t, against predicting the fitted windows' mean for all; with
    the candidates' losses, what its choice (the candidate nearest in log t) costs on the held-out
    windows against the one candidate best on the fitted ones (a fixed t) and each window's best;
    with their `terms` (held out), the mean PSNR and LPIPS of its choice and of every fixed t."""
    was = tpm.training
    tpm.eval()
    pred = torch.cat([tpm(zn[i:i + 64]) for i in range(0, len(zn), 64)])
    tpm.train(was)
    const = torch.log(t_fit).mean()
    err = F.mse_loss(torch.log(pred), torch.log(t)).item()
    base = F.mse_loss(const.expand_as(t), torch.log(t)).item()
    corr = float(np.corrcoef(torch.log(pred).numpy(), torch.log(t).numpy())[0, 1]) if pred.std() > 0 else 0.0
    log(f"tpm held out ({len(t)} windows): log-t error {err:.4f} against {base:.4f} for a constant; "
        f"correlation {corr:.3f}; predicted t {pred.mean():.0f} ± {pred.std():.0f}")
    if L is not None and L_fit is not None and len(candidates):
        logc = torch.log(torch.tensor([float(c) for c in candidates]))
        pick = (torch.log(pred)[:, None] - logc[None]).abs().argmin(1)
        chosen = float(L.gather(1, pick[:, None]).mean())
        k = int(L_fit.mean(0).argmin())
        fixed, oracle = float(L[:, k].mean()), float(L.min(1).values.mean())
        log(f"tpm held out loss: chosen {chosen:.5f}, fixed t {candidates[k]} {fixed:.5f} "
            f"({100 * (chosen / fixed - 1):+.2f} %), per-window best {oracle:.5f} ({100 * (oracle / fixed - 1):+.2f} %)")
        if terms is not None:
            def cell(sel):  # mean PSNR (of each window's MSE) and LPIPS of one choice per window
                mse, lps = (terms[k].gather(1, sel[:, None])[:, 0] for k in ("pix", "lpips"))
                return f"{float((-10 * torch.log10(mse)).mean()):.2f} dB / {float(lps.mean()):.4f}"
            n = len(L)
            row = "; ".join(f"t{c} {cell(torch.full((n,), i, dtype=torch.long))}" for i, c in enumerate(candidates))
            log(f"tpm held out: chosen {cell(pick)}; {row}")


def spread_timesteps(t: torch.Tensor, sigma: float, tpm: TimestepPredictor, gen: torch.Generator) -> torch.Tensor:
    """Each window's timestep at a log-normal spread (sigma in log t) around the TPM's, within its
    range; the TPM still gets the gradient. sigma 0: the TPM's own."""
    if sigma <= 0:
        return t
    return (t * torch.exp(sigma * torch.randn(t.shape, generator=gen))).clamp(tpm.t_min, tpm.t_max)


def adversarial_step(disc: PatchDiscriminator, opt_d, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """One discriminator update on this batch's decoded windows (detached) against the originals."""
    opt_d.zero_grad(set_to_none=True)
    loss = hinge_d_loss(disc(real), disc(fake.detach()))
    if torch.isfinite(loss):
        loss.backward()
        opt_d.step()
    return loss.detach()


def tpm_alone(cfg: dict) -> bool:
    """Whether only the TPM trains: "tpm_fit" (towards each window's best timestep) or "train.tpm_only"
    (under the run's own loss); everything else stays as loaded."""
    return bool(cfg.get("tpm_fit")) or bool(cfg.get("train", {}).get("tpm_only", False))


def head_training(cfg: dict) -> bool:
    """Whether G_d trains with the enhancer (config "rescaler.train_head"); refuses it with tpm_fit or
    train.tpm_only, which train the TPM alone."""
    train_head = bool(cfg["rescaler"].get("train_head", False))
    if train_head and tpm_alone(cfg):
        raise SystemExit(f"{cfg.get('_config_path', 'config')}: tpm_fit / train.tpm_only train the TPM alone; "
                         "drop rescaler.train_head")
    return train_head


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--partial-cache", action="store_true")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--taef2-dir", default=None)
    args = ap.parse_args(argv)

    cfg = load_config(args.config)
    t, P, log, seed = start_run(cfg, args.iterations)

    # the frozen rescaler (a dfrm.py checkpoint) and the prior's config (+ weights when trained)
    rsrc = cfg["rescaler"]["checkpoint"]  # a dfrm.py checkpoint, or an exported bundle folder
    rck = {} if os.path.isdir(rsrc) else torch.load(rsrc)
    net = dfrm.load_net_from_bundle(rsrc) if os.path.isdir(rsrc) else dfrm.load_net(rck)
    for p in net.parameters():
        p.requires_grad_(False)
    # "train_head": G_d (the rescaler's decoder-side head) trains with the enhancer, for fidelity:
    # the thumbnail (G_e, F) stays as it is, so a file's bytes do not change
    train_head = head_training(cfg)  # refuses a conflicting config before the caches load
    if train_head:
        for p in net.head.parameters():
            p.requires_grad_(True)
    prior_cfg = load_config(cfg["prior"]["config"])
    enh = build(cfg, prior_cfg)

    data, val = latent_cache.crops_with_pixels(cfg, P["cache"], args.partial_cache, not args.no_val,
                                               args.taef2_dir, log)
    dec = taef2.load_decoder(args.taef2_dir).to(memory_format=torch.channels_last)
    from .lpips import load as load_lpips
    lp = load_lpips()
    for p in lp.parameters():
        p.requires_grad_(False)
    # the TPM's output starts at 1 % scale (every tile at t_init): "tpm_lr_mult" lets it move faster
    tpm_mult = float(t.get("tpm_lr_mult", 1.0))
    tpm_params = list(enh.tpm.parameters())
    rest = [p for n, p in enh.named_parameters() if not n.startswith("tpm.")]
    # "tpm_fit": only the TPM trains, towards each window's best candidate timestep (fit_data, soft_best_t)
    fit = cfg.get("tpm_fit")
    tpm_input = fit.get("input", "reconstructed") if fit else "reconstructed"
    want_ch = TPM_INPUTS.get(tpm_input, 0) * taef2.LATENT_CHANNELS
    if not want_ch or enh.tpm.inp.in_channels != want_ch:
        raise SystemExit(f"{cfg['_config_path']}: tpm_fit.input '{tpm_input}' (one of {', '.join(TPM_INPUTS)}) "
                         f"needs enhancer.tpm.in_ch {want_ch}")
    groups = [{"params": tpm_params, "mult": tpm_mult}]
    if tpm_alone(cfg):
        for p in rest:
            p.requires_grad_(False)
    else:
        groups.insert(0, {"params": rest, "mult": 1.0})
    if train_head:
        groups.append({"params": list(net.head.parameters()), "mult": float(t.get("head_lr_mult", 1.0))})
    trained = [enh, net.head] if train_head else [enh]
    opt = torch.optim.Adam(groups, lr=t["lr"], betas=tuple(t.get("betas", [0.9, 0.99])))
    # "adversarial": a patch discriminator on the decoded windows, its score weighted into the loss
    # after "start" steps in which it learns alone (a generator term against a blind critic is noise)
    adv = cfg.get("adversarial")
    disc, opt_d, adv_w, adv_start = None, None, 0.0, 0
    if adv:
        if fit:
            raise SystemExit(f"{cfg['_config_path']}: tpm_fit trains the TPM alone; drop adversarial")
        if not isinstance(adv.get("weight"), (int, float)):
            raise SystemExit(f"{cfg['_config_path']}: adversarial.weight (the discriminator term's weight) is missing")
        disc = PatchDiscriminator(int(adv.get("ch", 32)))
        opt_d = torch.optim.Adam(disc.parameters(), lr=float(adv.get("lr", 1e-4)), betas=(0.5, 0.99))
        adv_w, adv_start = float(adv["weight"]), int(adv.get("start", 50))
    ema = EMA(trained, float(t.get("ema", 0.999)))
    ema_head = ema.shadow[1] if train_head else None
    clipped = [p for m in trained for p in m.parameters() if p.requires_grad]  # fixed for the run
    gen = torch.Generator().manual_seed(seed)

    step, wall, best = 0, 0.0, float("inf")
    src = resume_source(P)
    if src is not None:
        ck = torch.load(src)
        enh.load_state_dict(ck["enhancer"] if ck.get("enhancer") is not None else ck["enhancer_ema"])
        ema.shadow[0].load_state_dict(ck["enhancer_ema"])
        if train_head:
            if ck.get("rescaler_head_ema") is None:
                raise SystemExit(f"{src}: this checkpoint holds no rescaler head (its run did not train one); "
                                 "start a new run (another name) or drop rescaler.train_head")
            net.head.load_state_dict(ck["rescaler_head"] if ck.get("rescaler_head") is not None
                                     else ck["rescaler_head_ema"])
            ema_head.load_state_dict(ck["rescaler_head_ema"])
        if ck.get("optimizer") is not None:
            opt.load_state_dict(ck["optimizer"])
        if disc is not None:
            if ck.get("discriminator") is None:
                raise SystemExit(f"{src}: this checkpoint holds no discriminator (its run trained none, or the "
                                 "copy is slim); resume from the cache's checkpoint or start a new run")
            disc.load_state_dict(ck["discriminator"])
            opt_d.load_state_dict(ck["optimizer_d"])
        gen.set_state(ck["gen"])
        set_rng_state(ck["rng"])
        step, wall, best = ck["step"], ck["wall_time_s"], ck.get("best_val", float("inf"))
        log(f"resumed from {src} at step {step} (trained {wall / 3600:.2f} h)")
    elif cfg.get("init"):  # a previous enhancer (a run's EMA, or a bundle's): a next stage
        sd = load_weights(cfg["init"])
        # "init_skip": parts that start afresh (e.g. the TPM when its timestep range changes)
        skip = tuple(cfg.get("init_skip", []))
        kept = {k: v for k, v in sd.items() if not k.startswith(skip)} if skip else sd
        missing, _ = enh.load_state_dict(kept, strict=not skip)
        if any(not k.startswith(skip) for k in missing):
            raise SystemExit(f"{cfg['init']}: enhancer weights missing: {missing}")
        ema.shadow[0].load_state_dict(enh.state_dict())
        log(f"new run {cfg['name']} from the enhancer {cfg['init']}"
            + (f", {', '.join(skip)} started afresh" if skip else ""))
    else:
        init = cfg["prior"].get("checkpoint")  # a latent_prior.py run, or a bundle with an enhancer
        if init and os.path.isdir(init):
            enh.unet.load_state_dict({k[5:]: v for k, v in load_weights(init).items() if k.startswith("unet.")})
            log(f"prior U-Net from the bundle {init}")
        elif init and os.path.exists(init):
            pk = torch.load(init)
            enh.unet.load_state_dict(pk.get("prior_ema", pk.get("prior")))
            log(f"prior U-Net from {init} (step {pk.get('step')})")
        else:
            zc = data.latents.float()
            with torch.no_grad():
                enh.unet.mean.copy_(zc.mean((0, 2, 3)).view_as(enh.unet.mean))
                enh.unet.std.copy_(zc.std((0, 2, 3)).view_as(enh.unet.std))
            log(f"no prior checkpoint ({init}): the U-Net starts untrained")
        ema.shadow[0].load_state_dict(enh.state_dict())
        log(f"new run {cfg['name']}: enhancer {count_params(enh)} params (TPM {count_params(enh.tpm)}, "
            f"refiner {count_params(enh.refiner)}); rescaler {cfg['rescaler']['checkpoint']} step {rck.get('step')}")

    def checkpoint():
        save_checkpoint({
            "config": {k: v for k, v in cfg.items() if not k.startswith("_")}, "prior_config": prior_cfg,
            "config_path": cfg["_config_path"], "family": "latent-enhancer",
            "step": step, "wall_time_s": wall, "best_val": best,
            "enhancer": enh.state_dict(), "enhancer_ema": ema.shadow[0].state_dict(),
            "optimizer": opt.state_dict(), "gen": gen.get_state(), "rng": rng_state(),
            **({"rescaler_head": net.head.state_dict(), "rescaler_head_ema": ema_head.state_dict()}
               if train_head else {}),
            **({"discriminator": disc.state_dict(), "optimizer_d": opt_d.state_dict()} if disc is not None else {}),
        }, P, log, slim_drop=("optimizer", "enhancer", "rescaler_head", "discriminator", "optimizer_d"))

    def run_val():
        nonlocal best
        if val is None:
            return
        t0 = time.time()
        r = validate(ema.shadow[0], net, dec, lp, *val, fixed_t=val_fixed_t, head=ema_head, tpm_input=tpm_input)
        is_best = r["tpm"]["lpips"] < best
        if is_best:
            best = r["tpm"]["lpips"]
            atomic_save({"step": step, "val": r, "enhancer": ema.shadow[0].state_dict(), "prior_config": prior_cfg,
                         **({"rescaler_head": ema_head.state_dict()} if train_head else {}),
                         "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
                         "config_path": cfg["_config_path"], "family": "latent-enhancer", "wall_time_s": wall},
                        os.path.join(P["ckpt_dir"], "best_ema.pt"))
        parts = "; ".join(f"{k} {v['psnr']:.2f} dB / {v['lpips']:.4f} / grid {v['grid']:.3f}"
                          for k, v in r.items() if isinstance(v, dict))
        log(f"val step {step}: {parts}; t {r['t_mean']:.0f} ({r['t_min']:.0f}..{r['t_max']:.0f})"
            f"{' [best]' if is_best else ''} ({time.time() - t0:.0f}s)")

    total = int(t["iterations"])
    stop_at = int(t.get("stop_at", total))
    win, batch = int(cfg["data"]["window"]), int(cfg["data"]["batch"])
    pix_window = int(cfg["data"].get("pix_window", 16))
    period = net.scale  # photo pixels per thumbnail pixel: the grid texture's period
    # "t_spread": the U-Net and R learn to act across a band of t rather than at the one t the TPM
    # settles on (every tile at one value, level with a fixed t: enh16-i, enh32-i); then t is a
    # strength each tile can have its own of, and the TPM something to choose
    t_spread = float(t.get("t_spread", 0.0))
    W = cfg["loss"]
    clip = float(t.get("grad_clip", 0.0))
    Lg = cfg.get("log", {})
    every, val_every = int(Lg.get("every", 20)), int(Lg.get("val_every", 500))
    val_fixed_t = tuple(float(v) for v in Lg.get("val_fixed_t", [50, 200]))
    ck_every_s = 60.0 * float(Lg.get("ckpt_minutes", 5))
    t_start = t_ck = t_log = time.time()
    acc: dict = {}
    stopped = "done"
    stop_signal = stop_on_signals()
    if fit:
        fz, ft, fL, fterms = fit_data(fit, P, enh, net, data, dec, lp, W, win, batch, gen, log, stop_signal)
        hold = max(1, len(ft) // 10)  # the last tenth checks that the TPM predicts, not memorises

        def check_tpm(tpm):
            tpm_eval(tpm, fz(torch.arange(len(ft) - hold, len(ft))), ft[-hold:], ft[:-hold], log,
                     fL[-hold:], fL[:-hold], fit["candidates"], {k: v[-hold:] for k, v in fterms.items()})
        check_tpm(enh.tpm)

        def fit_batch(n):
            i = torch.randint(0, len(ft) - hold, (4 * n,), generator=gen)
            r = int(torch.randint(0, 8, (1,), generator=gen))
            return fz(i, r), ft[i]
    if step == 0:
        run_val()
    while step < min(total, stop_at):
        t_it = time.time()
        lr = lr_at(step, t)
        for g in opt.param_groups:
            g["lr"] = lr * g.get("mult", 1.0)
        if fit:  # the TPM alone, on cached (window, best timestep) pairs
            zn, target = fit_batch(batch)
            tt = enh.tpm(zn)
            terms = {"logt": F.mse_loss(torch.log(tt), torch.log(target))}
            loss = terms["logt"]
        else:
            z, pos = data.sample(batch, win, gen)
            x = data.rgb(pos, win).float() / 255.0
            zh = reconstructed_latent(net, x, z)
            tt = enh.tpm(enh.unet.normalize(zh))
            z0, _ = enh(zh, spread_timesteps(tt, t_spread, enh.tpm, gen))
            rec, xs, (oy, ox) = decode_window(dec, z0, x, pix_window, gen)
            terms = {"pix": F.mse_loss(rec, xs), "z": F.mse_loss(enh.unet.normalize(z0), enh.unet.normalize(z))}
            loss = W.get("pix", 1.0) * terms["pix"] + W.get("z", 0.0) * terms["z"]
            if W.get("lpips", 0) > 0:
                terms["lpips"] = lp(rec, xs, normalize=True).mean()
                loss = loss + W["lpips"] * terms["lpips"]
            if W.get("grid", 0) > 0:  # detail that repeats with the thumbnail's pixel grid (grid.py)
                terms["grid"] = grid_loss(rec, xs, period, [(oy % period, ox % period)] * len(rec))
                loss = loss + W["grid"] * terms["grid"]
            if disc is not None:
                terms["d"] = adversarial_step(disc, opt_d, xs, rec)
                if step >= adv_start:
                    for p in disc.parameters():
                        p.requires_grad_(False)
                    terms["adv"] = -disc(rec).mean()
                    for p in disc.parameters():
                        p.requires_grad_(True)
                    loss = loss + adv_w * terms["adv"]
        if not torch.isfinite(loss):
            log(f"step {step}: non-finite loss, skipping batch")
            step += 1
            continue
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(clipped, clip)
        opt.step()
        ema.update(trained, step)
        step += 1
        wall += time.time() - t_it
        terms["t"] = tt.mean()
        for k, v in terms.items():
            acc[k] = acc.get(k, 0.0) + float(v)
        acc["n"] = acc.get("n", 0) + 1
        if step % every == 0:
            n = acc.pop("n")
            log(f"step {step}/{total} " + " ".join(f"{k} {v / n:.5f}" for k, v in acc.items()) +
                f" lr {lr:.2e} {(time.time() - t_log) / n:.2f}s/it")
            acc, t_log = {}, time.time()
        if val_every and step % val_every == 0:
            run_val()
        if time.time() - t_ck > ck_every_s:
            checkpoint()
            t_ck = time.time()
        if (why := stop_reason(stop_signal, args.minutes, t_start)):
            stopped = why
            break
    if fit:
        check_tpm(ema.shadow[0].tpm)
    if not (val_every and step % val_every == 0):
        run_val()
    checkpoint()
    log(f"stopped at step {step} ({stopped}); trained {wall / 3600:.2f} h in all")


if __name__ == "__main__":
    main()
