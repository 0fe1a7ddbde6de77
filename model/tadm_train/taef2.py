"""TAEF2: the pretrained tiny autoencoder of the FLUX.2 latent space, the base of the latent family.

Written from ../shared/models/taef2/ARCHITECTURE.md (flat ``nn.Sequential`` whose indices are the
state-dict keys, so the released ``.pth`` files load as they are). The weights are third-party and
never committed: they are read from a folder the user gives (``--taef2-dir``, ``$TADM_TAEF2_DIR``,
default ``../shared/models/taef2`` relative to the repo root) and each file is checked against the
SHA-256 the folder's README publishes before it is loaded.

    encoder: image [N,3,H,W] in [0,1], H,W multiples of 8 -> latent [N,32,H/8,W/8], roughly [-3,3]
    decoder: latent [N,32,h,w]                            -> image [N,3,8h,8w], about [0,1] (clamp)

No latent scale or shift (README/ARCHITECTURE.md); the 8-bit storage convention is
``u = round(255 * clamp(z/6 + 0.5, 0, 1))`` (``latent_to_u8`` / ``u8_to_latent``).

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m tadm_train.taef2 --check   # Kodak round trip
"""
import argparse
import os
import time
from typing import Optional, Tuple

import numpy as np

from . import repo_path

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from .export import sha256_file  # noqa: E402

DEFAULT_DIR = "../shared/models/taef2"  # relative to the repo root
# From ../shared/models/taef2/README.md (upstream madebyollin/taesd @ 5cccb12d).
SHA256 = {
    "taef2_encoder.pth": "10a4e1021e89d7551eaf161352da8dbd0b1aa83872ae28b150c1df1ce2f147b6",
    "taef2_decoder.pth": "0a44a31e1ae59eb9dbf9359d24942fd3ef5928162c1800d97a28c61d51be0ab5",
}
LATENT_CHANNELS = 32
FACTOR = 8
LATENT_RANGE = 3.0  # the decoder's soft clamp, and half the 8-bit storage range


class WeightsError(RuntimeError):
    """The TAEF2 weights are missing or are not the published files."""


def weights_dir(path: Optional[str] = None) -> str:
    return repo_path(path or os.environ.get("TADM_TAEF2_DIR") or DEFAULT_DIR)


def checked_file(folder: str, name: str) -> str:
    """Path of a weights file whose SHA-256 is the published one; otherwise a WeightsError that
    names the folder and the expected hash (what a user needs to fetch the right file)."""
    p = os.path.join(folder, name)
    want = SHA256[name]
    if not os.path.isfile(p):
        raise WeightsError(f"TAEF2 weights {name} not found in {folder} (expected SHA-256 {want}); "
                           f"set $TADM_TAEF2_DIR or --taef2-dir to the folder holding it")
    got = sha256_file(p)
    if got != want:
        raise WeightsError(f"TAEF2 weights {p} have SHA-256 {got}, expected {want} "
                           f"(folder {folder}); refusing to load a different file")
    return p


# --------------------------------------------------------------------------- network

class SoftClamp(nn.Module):
    """3 tanh(x / 3): the decoder's first layer, keeps latents within (-3, 3) smoothly."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x / 3.0) * 3.0  # literal: TorchScript cannot read module globals


class Pool(nn.Module):
    """The mid-blocks' extra branch (keys pool.0, pool.1, pool.3). GroupNorm sees the whole tensor
    it is given, so a tile's output differs from the same region of a whole-image pass."""

    def __init__(self, ch: int = 64):
        super().__init__()
        self.pool = nn.Sequential(nn.Conv2d(ch, 4 * ch, 1, bias=False), nn.GroupNorm(4, 4 * ch),
                                  nn.ReLU(), nn.Conv2d(4 * ch, ch, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class Block(nn.Module):
    """relu(conv-relu-conv-relu-conv(x) + x); the G variant first adds its pool branch to x."""

    def __init__(self, ch: int = 64, pool: bool = False):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(ch, ch, 3, padding=1))
        self.has_pool = pool
        if pool:
            self.pool = Pool(ch).pool  # keys "<i>.pool.{0,1,3}"
        else:
            self.pool = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.has_pool:
            x = x + self.pool(x)
        return F.relu(self.conv(x) + x)


def _conv(cin: int, cout: int, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=bias)


def build_encoder() -> nn.Sequential:
    c = 64
    return nn.Sequential(
        _conv(3, c), Block(c),
        _conv(c, c, 2, False), Block(c), Block(c), Block(c),
        _conv(c, c, 2, False), Block(c), Block(c), Block(c),
        _conv(c, c, 2, False), Block(c, True), Block(c, True), Block(c, True),
        _conv(c, LATENT_CHANNELS))


def build_decoder() -> nn.Sequential:
    c = 64
    return nn.Sequential(
        SoftClamp(), _conv(LATENT_CHANNELS, c), nn.ReLU(),
        Block(c, True), Block(c, True), Block(c, True),
        nn.Upsample(scale_factor=2.0, mode="nearest"), _conv(c, c, bias=False), Block(c), Block(c), Block(c),
        nn.Upsample(scale_factor=2.0, mode="nearest"), _conv(c, c, bias=False), Block(c), Block(c), Block(c),
        nn.Upsample(scale_factor=2.0, mode="nearest"), _conv(c, c, bias=False), Block(c),
        _conv(c, 3))


def _load(net: nn.Module, path: str) -> nn.Module:
    sd = torch.load(path, map_location="cpu")
    net.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)  # float16 on disk
    return net


def freeze(m: nn.Module) -> nn.Module:
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def load_encoder(folder: Optional[str] = None, frozen: bool = True) -> nn.Sequential:
    d = weights_dir(folder)
    m = _load(build_encoder(), checked_file(d, "taef2_encoder.pth"))
    return freeze(m) if frozen else m


def load_decoder(folder: Optional[str] = None, frozen: bool = True) -> nn.Sequential:
    d = weights_dir(folder)
    m = _load(build_decoder(), checked_file(d, "taef2_decoder.pth"))
    return freeze(m) if frozen else m


def load(folder: Optional[str] = None, frozen: bool = True) -> Tuple[nn.Sequential, nn.Sequential]:
    """(encoder, decoder), float32, CPU, frozen (eval mode, no gradients) unless frozen=False."""
    return load_encoder(folder, frozen), load_decoder(folder, frozen)


def latent_to_u8(z: torch.Tensor) -> torch.Tensor:
    """The upstream 8-bit storage of a latent (ARCHITECTURE.md), as uint8."""
    return torch.round(torch.clamp(z / (2 * LATENT_RANGE) + 0.5, 0.0, 1.0) * 255.0).to(torch.uint8)


def u8_to_latent(u: torch.Tensor) -> torch.Tensor:
    return (u.float() / 255.0 - 0.5) * (2 * LATENT_RANGE)


def quantize_latent(z: torch.Tensor) -> torch.Tensor:
    return u8_to_latent(latent_to_u8(z))


# --------------------------------------------------------------------------- check

REFERENCE_PSNR = 30.14  # README: Kodak mean RGB PSNR of the round trip (latent stored in 8 bits)


@torch.no_grad()
def round_trip(enc, dec, a: np.ndarray, quantize: bool = True) -> Tuple[np.ndarray, torch.Tensor]:
    """HWC uint8 (sides multiples of 8) -> 8-bit reconstruction and the float latent."""
    from .evaluate import to_t, to_u8
    z = enc(to_t(a).contiguous(memory_format=torch.channels_last))
    zq = quantize_latent(z) if quantize else z
    return to_u8(dec(zq.contiguous(memory_format=torch.channels_last))), z


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="Kodak round trip against the README's 30.14 dB")
    ap.add_argument("--data", default="../shared/data/kodak", help="folder (relative to the repo root)")
    ap.add_argument("--taef2-dir", default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.check:
        ap.print_help()
        return
    from .data import list_images, load_rgb
    from .metrics import psnr
    torch.set_num_threads(args.threads)
    enc, dec = load(args.taef2_dir)
    enc = enc.to(memory_format=torch.channels_last)
    dec = dec.to(memory_format=torch.channels_last)
    files = list_images(repo_path(args.data))
    ps, zs, t0, mp = [], [], time.time(), 0.0
    for f in files:
        a = load_rgb(f)
        h, w = a.shape[0] // FACTOR * FACTOR, a.shape[1] // FACTOR * FACTOR
        a = a[:h, :w]
        rec, z = round_trip(enc, dec, a)
        ps.append(psnr(a, rec))
        zs.append(z[0].flatten(1))
        mp += h * w / 1e6
        print(f"{os.path.basename(f)} {w}x{h} latent {tuple(z.shape[1:])} PSNR {ps[-1]:.2f} dB", flush=True)
    dt = time.time() - t0
    zc = torch.cat(zs, 1)
    mean = float(np.mean(ps))
    print(f"latent: {zc.shape[0]} channels at 1/{FACTOR}; min {zc.min():.2f} max {zc.max():.2f} "
          f"mean {zc.mean():.3f} std {zc.std():.3f}; per-channel std {zc.std(1).min():.2f}..{zc.std(1).max():.2f}; "
          f"beyond +-{LATENT_RANGE:g}: {float((zc.abs() > LATENT_RANGE).float().mean()) * 100:.3f} %")
    print(f"TAEF2 round trip (8-bit latent) on {len(files)} images: mean RGB PSNR {mean:.3f} dB "
          f"(min {min(ps):.2f}, max {max(ps):.2f}); reference {REFERENCE_PSNR} dB; "
          f"{dt:.1f} s wall, {mp / dt:.3f} MP/s encode+decode on {args.threads} thread(s)")
    ok = abs(mean - REFERENCE_PSNR) <= 0.05
    print("OK" if ok else f"MISMATCH: {mean - REFERENCE_PSNR:+.3f} dB from the reference")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
