"""Model registry and the pixel-space rescaler family.

Every model family registers a builder ``build(cfg) -> (encoder, decoder)``:
  encoder: HR [N,3,H,W] in [0,1], H,W multiples of scale -> LR [N,3,H/s,W/s] (unclamped)
  decoder: LR [N,3,h,w] (values k/255)                 -> HR [N,3,h*s,w*s] (unclamped)
Both must be TorchScript-scriptable, size-agnostic and local (no normalisation over the
image, no global pooling, no attention over the whole image) so the runtime can tile.
Each module exposes ``receptive_radius_lr() -> float`` (radius of its receptive field in LR pixels).
"""
import math
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

REGISTRY: Dict[str, Callable] = {}


def register(name: str):
    def deco(fn):
        REGISTRY[name] = fn
        return fn
    return deco


def build_model(cfg: dict) -> Tuple[nn.Module, nn.Module]:
    fam = cfg["family"]
    if fam not in REGISTRY:
        raise KeyError(f"unknown model family {fam!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[fam](cfg)


# --------------------------------------------------------------------------- rounding

def ste_round8(y: torch.Tensor) -> torch.Tensor:
    """Forward: round(clamp(y,0,1)*255)/255.  Backward: identity (straight-through)."""
    q = torch.round(torch.clamp(y, 0.0, 1.0) * 255.0) / 255.0
    return y + (q - y).detach()


def ste_round8_clipped(y: torch.Tensor) -> torch.Tensor:
    """Forward: the same as ste_round8.  Backward: identity inside [0,1], zero outside, so the
    decoder's gradient cannot push a thumbnail value further past the range it is clamped to
    (with the plain STE it could, which fed back into a collapse of pix16 at step ~3900)."""
    c = torch.clamp(y, 0.0, 1.0)
    return c + (torch.round(c * 255.0) / 255.0 - c).detach()


def round8(y: torch.Tensor) -> torch.Tensor:
    return torch.round(torch.clamp(y, 0.0, 1.0) * 255.0) / 255.0


# --------------------------------------------------------------------------- fixed filters

def pil_bicubic_kernel(scale: int) -> torch.Tensor:
    """1-D antialiased bicubic (a=-0.5) kernel PIL uses to downscale by an integer factor.

    Output pixel j takes input pixels 16j-24 .. 16j+39 (for scale 16): 4*scale taps,
    i.e. a conv with kernel 4*scale, stride scale and padding 1.5*scale.
    """
    a = -0.5

    def cubic(x: float) -> float:
        x = abs(x)
        if x < 1.0:
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
        if x < 2.0:
            return (((x - 5.0) * x + 8.0) * x - 4.0) * a
        return 0.0

    n = 4 * scale
    pad = (3 * scale) // 2
    w = [cubic((t + 0.5 - pad - scale / 2.0) / scale) for t in range(n)]
    k = torch.tensor(w, dtype=torch.float64)
    return (k / k.sum()).float()


class BicubicDown(nn.Module):
    """Antialiased bicubic downscale by an integer factor (PIL's filter).

    border="replicate": replicate borders (the pixel-rescaler's skip; bundles depend on it).
    border="renormalize": taps outside the image are dropped and the rest renormalised, which is
    what PIL and the C++ runtime (codec/src/resample.cpp, make_taps) do: on an image whose sides
    are multiples of the scale, this is the codec's classic thumbnail before 8-bit rounding.
    """

    def __init__(self, scale: int, border: str = "replicate"):
        super().__init__()
        assert border in ("replicate", "renormalize")
        k1 = pil_bicubic_kernel(scale)
        k2 = torch.outer(k1, k1)
        self.register_buffer("weight", k2.expand(3, 1, -1, -1).contiguous())
        self.scale = scale
        self.pad = (3 * scale) // 2
        self.renormalize = border == "renormalize"

    def receptive_radius_lr(self) -> float:
        # output j reads input [s*j - 1.5s, s*j + 2.5s): LR pixels j-2 .. j+2
        return 2.0

    def _norm(self, n: int, x: torch.Tensor) -> torch.Tensor:
        # sum of the in-image taps per output, along one axis (the 2-D kernel is separable and
        # sums to 1, so its row sums are the 1-D kernel)
        k = self.weight[0, 0].sum(1).view(1, 1, -1)
        ones = F.pad(torch.ones(1, 1, n, dtype=x.dtype, device=x.device), [self.pad, self.pad])
        return F.conv1d(ones, k, stride=self.scale).view(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.pad
        if not self.renormalize:
            x = F.pad(x, [p, p, p, p], mode="replicate")
            return F.conv2d(x, self.weight, stride=self.scale, groups=3)
        y = F.conv2d(F.pad(x, [p, p, p, p]), self.weight, stride=self.scale, groups=3)
        nh = self._norm(x.shape[-2], x).view(1, 1, -1, 1)
        nw = self._norm(x.shape[-1], x).view(1, 1, 1, -1)
        return y / (nh * nw)


# --------------------------------------------------------------------------- blocks

class ResBlock(nn.Module):
    def __init__(self, ch: int, k2: int = 3, res_scale: float = 1.0):
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, k2, padding=k2 // 2)
        self.act = nn.ReLU(inplace=True)
        self.res_scale = res_scale
        with torch.no_grad():  # start close to identity
            self.c2.weight.mul_(0.1)
            self.c2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c2(self.act(self.c1(x))) * self.res_scale


class Body(nn.Module):
    """n residual blocks + a 3x3 conv, with a long skip."""

    def __init__(self, ch: int, n: int, k2: int = 3):
        super().__init__()
        self.blocks = nn.Sequential(*[ResBlock(ch, k2) for _ in range(n)])
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(self.blocks(x))


def body_radius(n: int, k2: int) -> int:
    return n * (1 + k2 // 2) + 1


# --------------------------------------------------------------------------- pixel rescaler

class PixelEncoder(nn.Module):
    """HR -> LR: pixel-unshuffle(s) + residual blocks at LR resolution + bicubic skip."""

    def __init__(self, scale: int, ch: int, blocks: int, k2: int = 3, head_k: int = 1):
        super().__init__()
        self.scale = scale
        self.down = BicubicDown(scale)
        self.head = nn.Conv2d(3 * scale * scale, ch, head_k, padding=head_k // 2)
        self.body = Body(ch, blocks, k2)
        self.tail = nn.Conv2d(ch, 3, 3, padding=1)
        with torch.no_grad():
            self.tail.weight.mul_(0.1)
            self.tail.bias.zero_()
        self._radius = float(head_k // 2 + body_radius(blocks, k2) + 1)
        self._skip_radius = float(math.ceil(((3 * scale) // 2) / scale))

    def receptive_radius_lr(self) -> float:
        # the unshuffled block itself is the LR pixel; plus the conv stack / the bicubic skip
        return max(self._radius, self._skip_radius) + 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.down(x)
        f = F.pixel_unshuffle(x - 0.5, self.scale)
        f = self.body(self.head(f))
        return skip + self.tail(f)


class PixelDecoder(nn.Module):
    """LR -> HR: residual blocks at LR resolution, then 2x pixel-shuffle stages thinning the
    channels, plus a bicubic skip."""

    def __init__(self, scale: int, ch: int, blocks: int, up_channels: List[int], k2: int = 3,
                 up_blocks: int = 0):
        super().__init__()
        n_up = int(round(math.log2(scale)))
        assert 2 ** n_up == scale and len(up_channels) == n_up
        self.scale = scale
        self.head = nn.Conv2d(3, ch, 3, padding=1)
        self.body = Body(ch, blocks, k2)
        ups: List[nn.Module] = []
        cin = ch
        radius_lr = 1.0 + body_radius(blocks, k2)
        res = 1.0  # current resolution relative to LR
        for c in up_channels:
            ups.append(nn.Conv2d(cin, 4 * c, 3, padding=1))
            radius_lr += 1.0 / res
            ups.append(nn.PixelShuffle(2))
            ups.append(nn.LeakyReLU(0.1, inplace=True))
            res *= 2.0
            for _ in range(up_blocks):
                ups.append(ResBlock(c, 3))
                radius_lr += 2.0 / res
            cin = c
        self.up = nn.Sequential(*ups)
        self.tail = nn.Conv2d(cin, 3, 3, padding=1)
        radius_lr += 1.0 / res
        with torch.no_grad():
            self.tail.weight.mul_(0.1)
            self.tail.bias.zero_()
        self._radius = radius_lr
        self._skip_radius = 2.0  # bicubic upsampling reads +-2 LR pixels

    def receptive_radius_lr(self) -> float:
        return max(self._radius, self._skip_radius)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        skip = F.interpolate(y, scale_factor=float(self.scale), mode="bicubic",
                             align_corners=False)
        f = self.body(self.head(y - 0.5))
        f = self.up(f)
        return skip + self.tail(f)


# default decoder upscaling stages (channels after each 2x pixel shuffle) per scale
UP_DEFAULT = {2: [64], 4: [64, 32], 8: [64, 32, 16], 16: [64, 48, 32, 16], 32: [64, 48, 32, 24, 16]}


@register("pixel-rescaler")
def build_pixel_rescaler(cfg: dict):
    s = int(cfg["scale"])
    m = cfg.get("model", {})
    enc = PixelEncoder(s, m.get("enc_ch", 64), m.get("enc_blocks", 6), m.get("k2", 3),
                       m.get("enc_head_k", 1))
    dec = PixelDecoder(s, m.get("dec_ch", 64), m.get("dec_blocks", 8), m.get("up_channels", UP_DEFAULT[s]),
                       m.get("k2", 3), m.get("up_blocks", 0))
    return enc, dec


@register("lossy-thumbnail")
def build_lossy_thumbnail(cfg: dict):
    """Decoders for lossy thumbnails (config "lr_codec", see lossy_lr.py): the encoder side is
    fixed, the codec's antialiased bicubic thumbnail (no parameters; a lossy codec such as JPEG
    then runs outside the model), and a PixelDecoder learns to restore the photo from the
    decoded lossy thumbnail."""
    s = int(cfg["scale"])
    m = cfg.get("model", {})
    enc = BicubicDown(s, border="renormalize")
    dec = PixelDecoder(s, m.get("dec_ch", 64), m.get("dec_blocks", 10), m.get("up_channels", UP_DEFAULT[s]),
                       m.get("k2", 3), m.get("up_blocks", 0))
    return enc, dec


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# --------------------------------------------------------------------------- any-scale rescaler
#
# One model for every integer scale 2..32 per axis, asymmetric included (after IARN, Pan et al.,
# WACV 2023: the scale is an input, and positions inside a scale cell are encoded explicitly).
# Both halves take forward(x, sx, sy); the scale conditions every residual block (FiLM from a
# small embedding of the scale), the encoder pools its full-resolution features with position
# weights inside each sx x sy cell, and the decoder renders every output pixel from bilinearly
# interpolated LR features and its position inside its cell. Bodies keep the pixel family's
# names and shapes, so a pix16 bundle can seed them (their FiLM starts at zero).

def bicubic_taps(s: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """pil_bicubic_kernel(s) computed with tensor ops (TorchScript, any s)."""
    a = -0.5
    pad = (3 * s) // 2
    t = torch.arange(4 * s, dtype=torch.float64, device=device)
    d = ((t + 0.5 - pad - s / 2.0) / s).abs()
    near = ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0
    far = (((d - 5.0) * d + 8.0) * d - 4.0) * a
    w = torch.where(d < 1.0, near, torch.where(d < 2.0, far, torch.zeros_like(d)))
    return (w / w.sum()).to(dtype)


def bicubic_down(x: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
    """BicubicDown(border="replicate") for scale sx across and sy down (separable)."""
    kx = bicubic_taps(sx, x.dtype, x.device).view(1, 1, 1, -1).expand(3, 1, 1, 4 * sx)
    ky = bicubic_taps(sy, x.dtype, x.device).view(1, 1, -1, 1).expand(3, 1, 4 * sy, 1)
    # taps start (3s)//2 pixels before the cell; an odd s needs one more pixel after the image
    px, py = (3 * sx) // 2, (3 * sy) // 2
    x = F.pad(x, [px, 3 * sx - px, py, 3 * sy - py], mode="replicate")
    x = F.conv2d(x, kx.contiguous(), stride=(1, sx), groups=3)
    return F.conv2d(x, ky.contiguous(), stride=(sy, 1), groups=3)


def cell_coords(n: int, s: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Position of each of n full-resolution pixels inside its cell of s, in (-1, 1)."""
    i = torch.arange(n, device=device)
    return ((torch.remainder(i, s).to(dtype) + 0.5) / s) * 2.0 - 1.0


class ScaleEmbed(nn.Module):
    """(sx, sy) -> a feature vector [1, dim]: log-scales, their difference and reciprocals."""

    def __init__(self, dim: int = 64):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(6, dim), nn.SiLU(), nn.Linear(dim, dim), nn.SiLU())

    def forward(self, sx: int, sy: int, like: torch.Tensor) -> torch.Tensor:
        lx, ly = math.log(float(sx)) / (5.0 * math.log(2.0)), math.log(float(sy)) / (5.0 * math.log(2.0))
        f = torch.tensor([[lx, ly, lx - ly, 1.0 / sx, 1.0 / sy, 1.0]], dtype=like.dtype, device=like.device)
        return self.mlp(f)


class CondBody(nn.Module):
    """Body (same parameter names) whose residual blocks are modulated by the scale embedding:
    x + c2(relu(c1(x) * (1 + g) + b)), with g, b from a zero-initialised linear map."""

    def __init__(self, ch: int, n: int, k2: int = 3, emb: int = 64):
        super().__init__()
        self.blocks = nn.ModuleList([ResBlock(ch, k2) for _ in range(n)])
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)
        self.film = nn.Linear(emb, 2 * ch * n)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.ch, self.n = ch, n

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        gb = self.film(emb).view(self.n, 2, 1, self.ch, 1, 1)
        h = x
        i = 0
        for blk in self.blocks:
            h = h + blk.c2(blk.act(blk.c1(h) * (1.0 + gb[i, 0]) + gb[i, 1])) * blk.res_scale
            i += 1
        return x + self.conv(h)


class ScaleEncoderBase(nn.Module):
    """What the any-scale encoders share: the scale embedding, the scale-conditioned residual body
    at LR resolution and its tail (a residual on the bicubic thumbnail); subclasses add the head
    (registered first where it was before, as the optimizer's saved state follows that order)."""

    def _shared(self, ch: int, blocks: int, k2: int = 3, emb: int = 64):
        self.embed = ScaleEmbed(emb)
        self.body = CondBody(ch, blocks, k2, emb)
        self.tail = nn.Conv2d(ch, 3, 3, padding=1)
        with torch.no_grad():
            self.tail.weight.mul_(0.1)
            self.tail.bias.zero_()
        self._radius = float(body_radius(blocks, k2) + 2)

    def receptive_radius_lr(self) -> float:
        return max(self._radius, 2.0) + 1.0

    def down(self, x: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
        return bicubic_down(x, sx, sy)


class AnyScaleEncoder(ScaleEncoderBase):
    """HR -> LR at (sx, sy): full-resolution features pooled per cell with position weights
    (1, u, v, uv, u^2, v^2), residual blocks at LR resolution, plus the bicubic thumbnail."""

    def __init__(self, ch: int, blocks: int, hr_ch: int = 16, k2: int = 3, emb: int = 64):
        super().__init__()
        self._shared(ch, blocks, k2, emb)
        self.hr = nn.Sequential(nn.Conv2d(3, hr_ch, 3, padding=1), nn.LeakyReLU(0.1, inplace=True),
                                nn.Conv2d(hr_ch, hr_ch, 3, padding=1), nn.LeakyReLU(0.1, inplace=True))
        self.head = nn.Conv2d(6 * hr_ch + 3, ch, 1)

    def forward(self, x: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
        skip = bicubic_down(x, sx, sy)
        h = self.hr(x - 0.5)
        u = cell_coords(x.shape[-1], sx, x.dtype, x.device).view(1, 1, 1, -1)
        v = cell_coords(x.shape[-2], sy, x.dtype, x.device).view(1, 1, -1, 1)
        k = [sy, sx]
        pooled = [F.avg_pool2d(h, k), F.avg_pool2d(h * u, k), F.avg_pool2d(h * v, k),
                  F.avg_pool2d(h * (u * v), k), F.avg_pool2d(h * (u * u - 1.0 / 3.0), k),
                  F.avg_pool2d(h * (v * v - 1.0 / 3.0), k), skip - 0.5]
        f = self.head(torch.cat(pooled, 1))
        f = self.body(f, self.embed(sx, sy, x))
        return skip + self.tail(f)


class ScaleDecoderBase(nn.Module):
    """What the any-scale decoders share: the head and scale-conditioned residual body at LR
    resolution, and the per-pixel renderer (features at full resolution + the pixel's position
    inside its cell + a scale bias -> an RGB residual). Subclasses register their own layers
    between the trunk and the renderer (the optimizer's saved state follows that order)."""

    def _trunk(self, ch: int, blocks: int, k2: int, emb: int):
        self.head = nn.Conv2d(3, ch, 3, padding=1)
        self.embed = ScaleEmbed(emb)
        self.body = CondBody(ch, blocks, k2, emb)

    def _renderer(self, feat: int, hid: int, emb: int, silent: bool):
        # 3x3, not 1x1: in LibTorch 1.13 on CPU 1x1 convolutions take the slow (non-oneDNN) path
        # and cost more than these
        self.r1 = nn.Conv2d(feat + 4, hid, 3, padding=1)
        self.r1_scale = nn.Linear(emb, hid)
        self.r2 = nn.Conv2d(hid, hid, 3, padding=1)
        self.r3 = nn.Conv2d(hid, 3, 3, padding=1)
        self.act = nn.LeakyReLU(0.1, inplace=True)
        with torch.no_grad():
            self.r3.weight.mul_(0.0 if silent else 0.1)
            self.r3.bias.zero_()

    def receptive_radius_lr(self) -> float:
        return max(self._radius, 2.0)

    def render(self, f: torch.Tensor, e: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
        """f: features at full resolution [N, feat, h*sy, w*sx]."""
        hh, ww = f.shape[-2], f.shape[-1]
        u = cell_coords(ww, sx, f.dtype, f.device).view(1, 1, 1, -1).expand(f.shape[0], 1, hh, ww)
        v = cell_coords(hh, sy, f.dtype, f.device).view(1, 1, -1, 1).expand(f.shape[0], 1, hh, ww)
        pe = torch.cat([u, v, torch.sin(math.pi * u), torch.sin(math.pi * v)], 1)
        r = self.act(self.r1(torch.cat([f, pe], 1)) + self.r1_scale(e).view(1, -1, 1, 1))
        return self.r3(self.act(self.r2(r)))


class AnyScaleDecoder(ScaleDecoderBase):
    """LR -> HR at (sx, sy): residual blocks at LR resolution, features interpolated bilinearly
    to full resolution, a per-pixel renderer fed with the pixel's position inside its cell,
    plus the bicubic upscale."""

    def __init__(self, ch: int, blocks: int, feat: int = 16, hid: int = 24, k2: int = 3, emb: int = 64):
        super().__init__()
        self._trunk(ch, blocks, k2, emb)
        self.to_feat = nn.Conv2d(ch, feat, 3, padding=1)
        self._renderer(feat, hid, emb, silent=False)
        self._radius = float(1 + body_radius(blocks, k2) + 1 + 1 + 1)

    def forward(self, y: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
        hh, ww = y.shape[-2] * sy, y.shape[-1] * sx
        skip = F.interpolate(y, size=[hh, ww], mode="bicubic", align_corners=False)
        e = self.embed(sx, sy, y)
        f = self.to_feat(self.body(self.head(y - 0.5), e))
        f = F.interpolate(f, size=[hh, ww], mode="bilinear", align_corners=False)
        return skip + self.render(f, e, sx, sy)


def pyramid_levels(sx: int, sy: int, max_levels: int) -> int:
    """Power-of-two stages of a pyramid any-scale model at (sx, sy): floor(log2(min(sx, sy))),
    at most max_levels (the grid 2^n is never finer than the full resolution)."""
    n = 0
    s = min(sx, sy)
    while n < max_levels and (2 << n) <= s:
        n += 1
    return n


class PyramidAnyScaleEncoder(ScaleEncoderBase):
    """HR -> LR at (sx, sy), built like the per-scale pixel encoder: the photo is area-resampled to
    the power-of-two grid G = 2^n at or below the scale (G = s, no resampling, at 2, 4, 8, 16, 32),
    each G x G block pixel-unshuffled into one LR pixel by the head of its level, then the
    scale-conditioned residual body at LR resolution, plus the bicubic thumbnail."""

    def __init__(self, ch: int, blocks: int, k2: int = 3, emb: int = 64, levels: int = 5):
        super().__init__()
        self.levels = levels
        self.heads = nn.ModuleList([nn.Conv2d(3 * 4 ** (i + 1), ch, 1) for i in range(levels)])
        self._shared(ch, blocks, k2, emb)

    def forward(self, x: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
        skip = bicubic_down(x, sx, sy)
        n = pyramid_levels(sx, sy, self.levels)
        g = 1 << n
        h, w = x.shape[-2] // sy, x.shape[-1] // sx
        if g != sx or g != sy:  # area resampling keeps every cell's pixels inside its G x G block
            x = F.interpolate(x, size=[h * g, w * g], mode="area")
        f = F.pixel_unshuffle(x - 0.5, g)
        feat = torch.zeros(0)
        for i, head in enumerate(self.heads):
            if i + 1 == n:
                feat = head(f)
        feat = self.body(feat, self.embed(sx, sy, x))
        return skip + self.tail(feat)

    @torch.jit.ignore
    def init_from(self, src: Dict[str, torch.Tensor]) -> int:
        """Warm start from a per-scale pixel encoder (pix32): body and tail by name, the head of
        its level as it is, and the coarser levels' heads folded from it (a G-block read as the
        2G-block of the same photo upscaled by pixel replication)."""
        return init_pyramid_from_pixel(self, src, encoder=True)


class PyramidAnyScaleDecoder(ScaleDecoderBase):
    """LR -> HR at (sx, sy), built like the per-scale pixel decoder: the scale-conditioned residual
    body at LR resolution, n 2x pixel-shuffle stages (shared by every scale) up to the grid G = 2^n,
    where the level's output layer gives an RGB residual and renderer features; both are
    interpolated bilinearly from the G grid to full resolution (nothing to do at G = s), the
    features rendered per pixel from its place in its cell, plus the bicubic upscale."""

    def __init__(self, ch: int, blocks: int, up_channels: List[int], feat: int = 16, hid: int = 24, k2: int = 3,
                 emb: int = 64):
        super().__init__()
        self._trunk(ch, blocks, k2, emb)
        self.levels = len(up_channels)
        ups: List[nn.Module] = []
        outs: List[nn.Module] = []
        cin = ch
        for c in up_channels:
            ups.append(nn.Sequential(nn.Conv2d(cin, 4 * c, 3, padding=1), nn.PixelShuffle(2),
                                     nn.LeakyReLU(0.1, inplace=True)))
            outs.append(nn.Conv2d(c, 3 + feat, 3, padding=1))
            cin = c
        self.ups = nn.ModuleList(ups)
        self.outs = nn.ModuleList(outs)
        with torch.no_grad():
            for o in self.outs:
                o.weight.mul_(0.1)
                o.bias.zero_()
        self._renderer(feat, hid, emb, silent=True)  # silent at first: the model is its pixel stages
        # LR px: head, body, each stage's conv at its grid, the output conv, bilinear, renderer
        self._radius = float(1 + body_radius(blocks, k2) + sum(1.0 / 2 ** i for i in range(self.levels)) + 2 + 1)

    def forward(self, y: torch.Tensor, sx: int, sy: int) -> torch.Tensor:
        hh, ww = y.shape[-2] * sy, y.shape[-1] * sx
        skip = F.interpolate(y, size=[hh, ww], mode="bicubic", align_corners=False)
        e = self.embed(sx, sy, y)
        f = self.body(self.head(y - 0.5), e)
        n = pyramid_levels(sx, sy, self.levels)
        for i, up in enumerate(self.ups):
            if i < n:
                f = up(f)
        o = torch.zeros(0)
        for i, out in enumerate(self.outs):
            if i + 1 == n:
                o = out(f)
        if (1 << n) != sx or (1 << n) != sy:
            o = F.interpolate(o, size=[hh, ww], mode="bilinear", align_corners=False)
        return skip + o[:, :3] + self.render(o[:, 3:], e, sx, sy)

    @torch.jit.ignore
    def init_from(self, src: Dict[str, torch.Tensor]) -> int:
        """Warm start from a per-scale pixel decoder (pix32): head, body, its upscaling stages in
        order and its tail as the RGB part of the last level's output layer."""
        return init_pyramid_from_pixel(self, src, encoder=False)


def init_pyramid_from_pixel(m: nn.Module, src: Dict[str, torch.Tensor], encoder: bool) -> int:
    """Copy a per-scale pixel rescaler's tensors into a pyramid any-scale module (see init_from);
    returns the number of values copied. Names and shapes are checked; what does not fit stays."""
    own = m.state_dict()
    copied = 0

    def put(dst: str, t: torch.Tensor, rows: int = -1) -> None:
        nonlocal copied
        if dst not in own:
            return
        d = own[dst]
        view = d if rows < 0 else d[:rows]
        if view.shape == t.shape:
            view.copy_(t)
            copied += t.numel()

    with torch.no_grad():
        for name, t in src.items():
            if name.startswith("body.") or name.startswith("tail.") and encoder or name.startswith("head.") and not encoder:
                put(name, t)
        if encoder and "head.weight" in src:
            w, b = src["head.weight"], src["head.bias"]  # [ch, 3*G*G, 1, 1] of the source's scale
            g = int(round(math.sqrt(w.shape[1] / 3)))
            level = int(round(math.log2(g)))
            while level >= 1:
                put(f"heads.{level - 1}.weight", w)
                put(f"heads.{level - 1}.bias", b)
                # fold 2x2 sub-pixels: the G/2 block of a photo is the G block of its 2x replica
                ch = w.shape[0]
                w = w.view(ch, 3, g // 2, 2, g // 2, 2).sum(dim=(3, 5)).reshape(ch, 3 * (g // 2) ** 2, 1, 1)
                g //= 2
                level -= 1
        if not encoder:
            convs = sorted((k for k in src if k.startswith("up.") and k.endswith(".weight")),
                           key=lambda k: int(k.split(".")[1]))
            for i, k in enumerate(convs):
                put(f"ups.{i}.0.weight", src[k])
                put(f"ups.{i}.0.bias", src[k[:-len("weight")] + "bias"])
            if "tail.weight" in src and convs:
                last = len(convs) - 1
                put(f"outs.{last}.weight", src["tail.weight"], rows=3)
                put(f"outs.{last}.bias", src["tail.bias"], rows=3)
    return copied


@register("any-scale")
def build_any_scale(cfg: dict):
    m = cfg.get("model", {})
    k2 = m.get("k2", 3)
    if m.get("arch", "render") == "pyramid":
        enc = PyramidAnyScaleEncoder(m.get("enc_ch", 64), m.get("enc_blocks", 8), k2, levels=len(m["up_channels"]))
        dec = PyramidAnyScaleDecoder(m.get("dec_ch", 64), m.get("dec_blocks", 12), m["up_channels"], m.get("feat", 16),
                                     m.get("hid", 24), k2)
        return enc, dec
    enc = AnyScaleEncoder(m.get("enc_ch", 64), m.get("enc_blocks", 8), m.get("hr_ch", 16), k2)
    dec = AnyScaleDecoder(m.get("dec_ch", 64), m.get("dec_blocks", 12), m.get("feat", 16), m.get("hid", 24), k2)
    return enc, dec


def is_any_scale(m: nn.Module) -> bool:
    return isinstance(m, (AnyScaleEncoder, AnyScaleDecoder, PyramidAnyScaleEncoder, PyramidAnyScaleDecoder))
