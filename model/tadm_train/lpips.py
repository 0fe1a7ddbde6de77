"""LPIPS v0.1 with the SqueezeNet 1.1 backbone ("LPIPS-squeeze"): perceptual metric and loss.

Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018.
Written from ../shared/models/lpips-squeeze/README.md; the weights (weights.npz: backbone and the
v0.1 linear layers) are read from that folder (``--lpips-dir``, ``$TADM_LPIPS_DIR``) after a
SHA-256 check, never committed. Lower is more similar; not comparable with LPIPS-alex/vgg numbers.

    metric (metrics.py convention, HWC uint8 arrays):  lpips(a, b) -> float
    loss:  m = load(); m(x, y, normalize=True)   # x, y [N,3,H,W] in [0,1]; [N] values, differentiable

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m tadm_train.lpips --check   # README's reference values
    /usr/bin/python3 -m tadm_train.lpips --export lpips-squeeze.pt   # TorchScript for tadm-rd --lpips

The TorchScript export holds the weights (third-party: keep it out of the repository); its
forward(x, y) takes two [1,3,H,W] float32 images in [0,1] and returns the [1] distance.
"""
import argparse
import os
from typing import List, Optional

import numpy as np

from . import repo_path

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from .export import sha256_file  # noqa: E402

DEFAULT_DIR = "../shared/models/lpips-squeeze"
WEIGHTS = "weights.npz"
# README gives 17b3eea2…32eb; the full value, measured on the shared copy, agrees with both ends.
WEIGHTS_SHA256 = "17b3eea2833c14f52743750eb02d6ec42ab1064bf5e7156a0aca97c538a632eb"
CHANNELS = (64, 128, 256, 384, 384, 512, 512)


class Fire(nn.Module):
    def __init__(self, cin: int, sq: int, ex: int):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, sq, 1)
        self.expand1x1 = nn.Conv2d(sq, ex, 1)
        self.expand3x3 = nn.Conv2d(sq, ex, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s))], 1)


def _pool() -> nn.Module:
    return nn.MaxPool2d(3, 2, ceil_mode=True)


class _Slice(nn.Sequential):
    """A slice of SqueezeNet's ``features`` keeping the original indices as module names, so the
    array names ``net.sliceK.I.*`` load directly."""

    def __init__(self, layers: dict):
        super().__init__()
        for i, m in layers.items():
            self.add_module(str(i), m)


class SqueezeFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        self.slice1 = _Slice({0: nn.Conv2d(3, 64, 3, stride=2), 1: nn.ReLU()})
        self.slice2 = _Slice({2: _pool(), 3: Fire(64, 16, 64), 4: Fire(128, 16, 64)})
        self.slice3 = _Slice({5: _pool(), 6: Fire(128, 32, 128), 7: Fire(256, 32, 128)})
        self.slice4 = _Slice({8: _pool(), 9: Fire(256, 48, 192)})
        self.slice5 = _Slice({10: Fire(384, 48, 192)})
        self.slice6 = _Slice({11: Fire(384, 64, 256)})
        self.slice7 = _Slice({12: Fire(512, 64, 256)})

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        out = []
        for s in (self.slice1, self.slice2, self.slice3, self.slice4, self.slice5, self.slice6, self.slice7):
            x = s(x)
            out.append(x)
        return out


class LPIPSSqueeze(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.zeros(1, 3, 1, 1))
        self.register_buffer("scale", torch.ones(1, 3, 1, 1))
        self.net = SqueezeFeatures()
        self.lins = nn.ModuleList([nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS])

    def forward(self, x: torch.Tensor, y: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """x, y: [N,3,H,W] in [-1,1] (or in [0,1] with normalize=True). Returns [N]."""
        if normalize:
            x, y = 2 * x - 1, 2 * y - 1
        fx = self.net((x - self.shift) / self.scale)
        fy = self.net((y - self.shift) / self.scale)
        d = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
        for a, b, lin in zip(fx, fy, self.lins):
            a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            d = d + lin((a - b) ** 2).mean((1, 2, 3))
        return d


def weights_dir(path: Optional[str] = None) -> str:
    return repo_path(path or os.environ.get("TADM_LPIPS_DIR") or DEFAULT_DIR)


def load(folder: Optional[str] = None) -> LPIPSSqueeze:
    """The metric, float32, eval mode, parameters frozen (gradients still flow to the inputs)."""
    d = weights_dir(folder)
    p = os.path.join(d, WEIGHTS)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"LPIPS-squeeze weights {WEIGHTS} not found in {d} "
                                f"(expected SHA-256 {WEIGHTS_SHA256}); set $TADM_LPIPS_DIR")
    got = sha256_file(p)
    if got != WEIGHTS_SHA256:
        raise RuntimeError(f"LPIPS-squeeze weights {p} have SHA-256 {got}, expected {WEIGHTS_SHA256}")
    w = np.load(p, allow_pickle=False)
    sd = {}
    for k in w.files:
        t = torch.from_numpy(w[k].copy())
        if k.startswith("scaling_layer."):
            sd[k.split(".", 1)[1]] = t
        elif k.startswith("lin"):  # lin0..lin4.model.1.weight, lins.5/6.model.1.weight -> lins.<i>.weight
            i = int(k[5]) if k.startswith("lins.") else int(k[3])
            sd[f"lins.{i}.weight"] = t
        else:
            sd[k] = t
    m = LPIPSSqueeze()
    m.load_state_dict(sd, strict=True)
    m.eval()
    for q in m.parameters():
        q.requires_grad_(False)
    return m


_CACHED: dict = {}


@torch.no_grad()
def lpips(a: np.ndarray, b: np.ndarray, model: Optional[LPIPSSqueeze] = None) -> float:
    """LPIPS-squeeze of two HWC uint8 images (the convention of metrics.py)."""
    if model is None:
        model = _CACHED.setdefault("m", load())
    x = torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float() / 255.0
    y = torch.from_numpy(np.ascontiguousarray(b)).permute(2, 0, 1)[None].float() / 255.0
    return float(model(x, y, normalize=True)[0])


class _Normalized(nn.Module):
    """forward(x, y) on [0,1] images: what tadm-rd calls."""

    def __init__(self, m: LPIPSSqueeze):
        super().__init__()
        self.m = m

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.m(x, y, normalize=True)


def export_torchscript(m: LPIPSSqueeze, path: str) -> None:
    """Traced (the layer loop unrolls; every op is shape-generic), checked at another size, and
    written atomically."""
    w = _Normalized(m).eval()
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(1, 3, 64, 64, generator=g), torch.rand(1, 3, 64, 64, generator=g)
    with torch.no_grad():
        ts = torch.jit.trace(w, (x, y))
        a, b = torch.rand(1, 3, 97, 131, generator=g), torch.rand(1, 3, 97, 131, generator=g)
        if not torch.allclose(ts(a, b), w(a, b), rtol=1e-5, atol=1e-6):
            raise RuntimeError("the traced LPIPS differs from the eager module at another size")
    tmp = path + ".tmp"
    ts.save(tmp)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="reproduce the README's reference values")
    ap.add_argument("--lpips-dir", default=None)
    ap.add_argument("--export", metavar="FILE.pt", help="write the metric as TorchScript (for tadm-rd --lpips)")
    args = ap.parse_args(argv)
    if args.export:
        export_torchscript(load(args.lpips_dir), args.export)
        return
    if not args.check:
        ap.print_help()
        return
    from .data import load_rgb
    torch.set_num_threads(1)
    m = load(args.lpips_dir)
    g = torch.Generator().manual_seed(42)
    a = torch.rand(2, 3, 100, 100, generator=g) * 2 - 1
    b = torch.rand(2, 3, 100, 100, generator=g) * 2 - 1
    with torch.no_grad():
        r = [round(v, 4) for v in m(a, b).tolist()]
    d = weights_dir(args.lpips_dir)
    ref = load_rgb(os.path.join(d, "ex_ref.png"))
    e = [round(lpips(ref, load_rgb(os.path.join(d, f)), m), 4) for f in ("ex_p0.png", "ex_p1.png")]
    s = lpips(ref, ref, m)
    print(f"random pair (seed 42): {r} (reference [0.1024, 0.0938])")
    print(f"ex_ref vs ex_p0 / ex_p1: {e[0]:.4f} / {e[1]:.4f} (reference 0.7110 / 0.1479)")
    print(f"image vs itself: {s:.6f} (reference 0)")
    ok = r == [0.1024, 0.0938] and e == [0.7110, 0.1479] and abs(s) < 1e-6
    print("OK" if ok else "MISMATCH")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
