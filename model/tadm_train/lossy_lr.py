"""Lossy thumbnails: the real codec (JPEG through PIL/libjpeg-turbo, WebP through PIL/libwebp, or
AVIF through libavif's avifenc/avifdec)
between the fixed bicubic thumbnail and the learned decoder, for training, validation and
evaluation.

A config's "lr_codec" section describes it, for example
    {"codec": "jpeg", "quality": [15, 70], "subsampling": "4:2:0", "rate_scale": 16}
quality: the range sampled uniformly (integers, both ends included) per training crop;
rate_scale: the operating point used for validation and evaluation: the byte budget of an image
is the size of its classic bicubic thumbnail PNG at that scale plus the PNG container overhead
(a proxy for the classic .tadm file), and the JPEG thumbnail takes the largest quality whose
bytes plus JPEG_CONTAINER_OVERHEAD fit.

JPEG settings: baseline, 4:2:0 chroma subsampling (the libjpeg default), optimised Huffman tables
when bytes are counted; decoding with libjpeg's defaults (islow IDCT, fancy upsampling), as
codec/src/jpeg_io.cpp does. Huffman optimisation changes the bytes, never the decoded pixels,
so training skips it. WebP (lossy VP8): libwebp's default configuration at the quality, method 5,
as codec/src/lr_codec.cpp encodes it at its default effort (7 -> method (7*6+4)/9 = 5).
AVIF: libavif 0.11 with libaom, as codec/src/lr_codec.cpp writes it at its default effort: speed
10 - 7 = 3, quantizer ((100 - quality) * 63 + 50) / 100 for colour, 4:2:0 below quality 90 (4:4:4
from 90, 4:0:0 for a gray thumbnail), full range, CICP 1/13/6 (BT.709 primaries, sRGB transfer,
BT.601 matrix); decoding with libavif's defaults. PIL (9.4) has no AVIF, so the Debian tools
(libavif-bin) run in a temporary folder in memory. The bytes equal tadmenc's at one thread (libaom's
multithreaded coding differs slightly):
    python3 -m tadm_train.lossy_lr --check-avif ../build/release/tools

    python3 -m tadm_train.lossy_lr --check   # compares the thumbnail with resample.cpp's algorithm
"""
import argparse
import io
import os
import random
import subprocess
import tempfile
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image

JPEG_CONTAINER_OVERHEAD = 126  # .tadm bytes around a JPEG thumbnail (given by the container owner)
# The same around a WebP one (measured: tadmenc --lr-codec webp, file minus tadmdec --thumbnail)
CONTAINER_OVERHEAD = {"jpeg": JPEG_CONTAINER_OVERHEAD, "webp": 126, "avif": 126}
WEBP_METHOD = 5
AVIF_SPEED = 3
PNG_CONTAINER_OVERHEAD = 130   # the same for a PNG thumbnail (evaluate.CONTAINER_OVERHEAD)
SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}
_TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None  # the AVIF tools' files: memory, not disk


def jpeg_encode(a: np.ndarray, quality: int, subsampling: str = "4:2:0", optimize: bool = True) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=int(quality), subsampling=SUBSAMPLING[subsampling],
                            optimize=optimize)
    return buf.getvalue()


def is_avif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp"


def avif_quantizer(quality: int) -> int:
    """lr_codec.cpp's (and avifenc 1.x's -q) quality 0..100 -> AV1 quantizer 63..0."""
    return ((100 - int(quality)) * 63 + 50) // 100


def _avif_tool(args: List[str], what: str) -> None:
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({' '.join(args)}): {r.stderr.decode(errors='replace').strip()}")


def avif_encode(a: np.ndarray, quality: int, speed: int = AVIF_SPEED) -> bytes:
    q = avif_quantizer(quality)
    gray = a.ndim == 2 or (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]))
    yuv = "400" if gray else ("444" if quality >= 90 else "420")
    with tempfile.TemporaryDirectory(prefix="tadm-avif-", dir=_TMP) as d:
        src, dst = os.path.join(d, "lr.png"), os.path.join(d, "lr.avif")
        Image.fromarray(a).save(src, compress_level=0)
        _avif_tool(["avifenc", "-j", "1", "-s", str(speed), "-y", yuv, "-r", "full", "--cicp", "1/13/6",
                    "--min", str(q), "--max", str(q), "--ignore-icc", "--ignore-exif", "--ignore-xmp",
                    src, dst], "avifenc")
        with open(dst, "rb") as f:
            return f.read()


def avif_version() -> str:
    r = subprocess.run(["avifenc", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    words = r.stdout.decode(errors="replace").split()  # "Version: 0.11.1 (dav1d [dec]:1.0.0, ...)"
    return words[1] if len(words) > 1 and words[0] == "Version:" else "unknown"


def avif_decode(data: bytes) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="tadm-avif-", dir=_TMP) as d:
        src, dst = os.path.join(d, "lr.avif"), os.path.join(d, "lr.png")
        with open(src, "wb") as f:
            f.write(data)
        _avif_tool(["avifdec", "-j", "1", "-d", "8", src, dst], "avifdec")
        with Image.open(dst) as im:
            return np.array(im.convert("RGB"))


def decode(data: bytes) -> np.ndarray:
    """A JPEG, WebP or AVIF thumbnail (told by content) -> HWC uint8 RGB."""
    if is_avif(data):
        return avif_decode(data)
    with Image.open(io.BytesIO(data)) as im:
        return np.array(im.convert("RGB"))


def webp_encode(a: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="WEBP", quality=int(quality), method=WEBP_METHOD, lossless=False)
    return buf.getvalue()


def codec_of(lc: dict) -> str:
    c = lc.get("codec", "jpeg")
    if c not in CONTAINER_OVERHEAD:
        raise ValueError(f"unsupported lr_codec {c!r}")
    return c


def encode(a: np.ndarray, quality: int, lc: dict, optimize: bool = True) -> bytes:
    """The thumbnail in the config's codec at `quality` (optimize: JPEG's Huffman tables)."""
    codec = codec_of(lc)
    if codec == "webp":
        return webp_encode(a, quality)
    if codec == "avif":
        return avif_encode(a, quality)
    return jpeg_encode(a, quality, lc.get("subsampling", "4:2:0"), optimize)


def fit_quality(a: np.ndarray, budget: int, lc: dict,
                q_range: Tuple[int, int] = (1, 100)) -> Tuple[Optional[int], Optional[bytes]]:
    """Largest quality whose bytes + the container overhead <= budget, by binary search
    (size grows with quality; the returned file is always checked to fit).
    (None, None) when even the lowest quality does not fit."""
    lo, hi = q_range
    overhead = CONTAINER_OVERHEAD[codec_of(lc)]
    best: Tuple[Optional[int], Optional[bytes]] = (None, None)
    while lo <= hi:
        q = (lo + hi) // 2
        data = encode(a, q, lc)
        if len(data) + overhead <= budget:
            best = (q, data)
            lo = q + 1
        else:
            hi = q - 1
    return best


def to_u8_batch(y: torch.Tensor) -> np.ndarray:
    """[N,3,h,w] float -> [N,h,w,3] uint8, as the runtime stores a thumbnail: round(clamp(v,0,1)*255)."""
    return (y.detach().clamp(0, 1) * 255.0).round().byte().permute(0, 2, 3, 1).contiguous().numpy()


def round_trip(y: torch.Tensor, lc: dict, rng: random.Random) -> Tuple[torch.Tensor, List[int]]:
    """Thumbnails [N,3,h,w] (unrounded floats) -> what the decoder sees after the real codec:
    8-bit rounding, the codec at a random quality per sample, decoding. Returns floats k/255 and the
    qualities used."""
    codec_of(lc)
    lo, hi = lc["quality"]
    u8 = to_u8_batch(y)
    out = np.empty_like(u8)
    qs = []
    for i in range(u8.shape[0]):
        q = rng.randint(int(lo), int(hi))
        out[i] = decode(encode(u8[i], q, lc, optimize=False))
        qs.append(q)
    return torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(255.0), qs


def rate_budget(a: np.ndarray, rate_scale: int) -> int:
    """Bytes of the classic bicubic .tadm file at rate_scale (PIL PNG size + container overhead):
    the equal-bytes budget of the lossy thumbnail."""
    from .evaluate import ClassicCodec, png_bytes
    return len(png_bytes(ClassicCodec(rate_scale).encode(a))) + PNG_CONTAINER_OVERHEAD


def thumbnail(enc: torch.nn.Module, a: np.ndarray, scale: int) -> np.ndarray:
    """The codec's 8-bit thumbnail of an HWC uint8 image: edge padding to a multiple of the scale
    (as the runtime does for bundles), the fixed encoder, round(clamp(v,0,1)*255)."""
    from .evaluate import pad_edge, to_t, to_u8
    with torch.no_grad():
        return to_u8(enc(to_t(pad_edge(a, scale))))


def at_rate_point(enc: torch.nn.Module, a: np.ndarray, scale: int, lc: dict,
                  rate_scale: Optional[int] = None) -> dict:
    """The real path for one image up to the decoder input: thumbnail, budget, quality, JPEG
    bytes and the decoded thumbnail (None when no quality fits)."""
    rs = int(rate_scale or lc["rate_scale"])
    lr = thumbnail(enc, a, scale)
    budget = rate_budget(a, rs)
    q, data = fit_quality(lr, budget, lc)
    return {"lr": lr, "budget": budget, "quality": q, "payload": data,
            "decoded": None if data is None else decode(data)}


# --------------------------------------------------------------------------- bundle manifest

def manifest_fields(lc: dict, scale: int) -> dict:
    """What a bundle's manifest says about its lossy thumbnail (spec/model-bundle.md ignores
    unknown keys, so these are additions for a runtime that makes JPEG thumbnails)."""
    lo, hi = lc["quality"]
    codec = codec_of(lc)
    if codec == "webp":
        how = {"chroma_subsampling": "4:2:0",
               "library_trained": "libwebp through PIL " + Image.__version__,
               "encode": f"lossy VP8, libwebp's default configuration, quality as given, method {WEBP_METHOD}",
               "decode": "libwebp defaults"}
    elif codec == "avif":
        how = {"chroma_subsampling": "4:2:0",
               "library_trained": "libavif " + avif_version() + " (avifenc/avifdec)",
               "encode": f"AV1 (libaom), speed {AVIF_SPEED}, quantizer ((100 - quality) * 63 + 50) / 100, "
                         "4:2:0 below quality 90, full range, CICP 1/13/6",
               "decode": "libavif defaults"}
    else:
        how = {"chroma_subsampling": lc.get("subsampling", "4:2:0"),
               "library_trained": "libjpeg-turbo through PIL " + Image.__version__,
               "encode": "baseline (not progressive), standard IJG quantisation tables scaled by quality, "
                         "optimised Huffman tables",
               "decode": "libjpeg defaults: islow IDCT, fancy chroma upsampling"}
    return {
        "lr_codec": codec,
        "lr_scale": scale,
        "encoder_learned": False,
        "lr_codec_settings": {
            "codec": codec,
            "quality_trained": [int(lo), int(hi)],
            "quality_sampling": "uniform integer per training crop, both ends included",
            **how,
            "quality_selection": f"largest quality whose {codec.upper()} bytes + container overhead fit the byte budget",
            "container_overhead_bytes": CONTAINER_OVERHEAD[codec],
            "rate_point_scale": int(lc["rate_scale"]),
            "rate_point": f"the budget used for validation and evaluation: the classic bicubic x{lc['rate_scale']} "
                          f"PNG .tadm file of the same image",
        },
    }


def settings_from_manifest(man: dict) -> Optional[dict]:
    """The inverse of manifest_fields: the config's "lr_codec" section, or None for a bundle
    with a lossless (PNG) thumbnail."""
    if "lr_codec" not in man:
        return None
    st = man["lr_codec_settings"]
    return {"codec": man["lr_codec"], "quality": st["quality_trained"], "subsampling": st["chroma_subsampling"],
            "rate_scale": st["rate_point_scale"]}


# --------------------------------------------------------------------------- check

def resample_cpp_reference(a: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """A float64 transcription of codec/src/resample.cpp (make_taps + two separable passes,
    bicubic) for checking the Python thumbnail; returns round(clamp(v,0,1)*255)."""
    def cubic(x):
        x = np.abs(x)
        a_ = -0.5
        return np.where(x < 1, ((a_ + 2) * x - (a_ + 3)) * x * x + 1,
                        np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a_, 0.0))

    def matrix(n_in, n_out):
        ratio = n_in / n_out
        stretch = max(ratio, 1.0)
        support = 2.0 * stretch
        m = np.zeros((n_out, n_in))
        for i in range(n_out):
            c = (i + 0.5) * ratio
            lo = int(max(0.0, np.floor(c - support + 0.5)))
            hi = int(min(n_in, np.floor(c + support + 0.5)))
            w = cubic((np.arange(lo, hi) - c + 0.5) / stretch)
            m[i, lo:hi] = (w / w.sum()).astype(np.float32)  # the C++ stores float weights
        return m

    x = a.astype(np.float64) / 255.0
    my, mx = matrix(a.shape[0], out_h), matrix(a.shape[1], out_w)
    y = np.stack([my @ x[..., c] @ mx.T for c in range(x.shape[2])], axis=-1)
    return np.rint(np.clip(y, 0, 1) * 255.0).astype(np.uint8)


def check(folder: str, scales: Sequence[int]) -> None:
    from .data import list_images, load_rgb
    from .models import BicubicDown
    for s in scales:
        enc = BicubicDown(s, border="renormalize").eval()
        n = same_cpp = same_pil = 0
        worst_cpp = worst_pil = 0
        for f in list_images(folder):
            a = load_rgb(f)
            h, w = a.shape[0] - a.shape[0] % s, a.shape[1] - a.shape[1] % s
            a = a[:h, :w]  # sides multiples of s: the runtime pads, resample.cpp sees the padded image
            ours = thumbnail(enc, a, s)
            ref = resample_cpp_reference(a, w // s, h // s)
            pil = np.array(Image.fromarray(a).resize((w // s, h // s), Image.BICUBIC))
            d_cpp = np.abs(ours.astype(int) - ref)
            d_pil = np.abs(pil.astype(int) - ref)
            n += ref.size
            same_cpp += int((d_cpp == 0).sum())
            same_pil += int((d_pil == 0).sum())
            worst_cpp, worst_pil = max(worst_cpp, int(d_cpp.max())), max(worst_pil, int(d_pil.max()))
        print(f"x{s} on {folder}: BicubicDown(renormalize) == resample.cpp on {100.0 * same_cpp / n:.4f}% "
              f"of samples (max diff {worst_cpp}); PIL resize == resample.cpp on {100.0 * same_pil / n:.4f}% "
              f"(max diff {worst_pil})")


def check_avif(folder: str, tools: str, qualities: Sequence[int] = (10, 40, 75, 95)) -> bool:
    """avif_encode against the runtime: per image, tadmenc's classic x4 PNG thumbnail coded by
    avif_encode and tadmenc's own AVIF thumbnail (--lr-codec avif, one thread, as training codes
    it) must be the same bytes."""
    from .data import list_images
    same = total = 0
    with tempfile.TemporaryDirectory(prefix="tadm-avif-check-") as d:
        for f in list_images(folder)[:4]:
            png, lr = os.path.join(d, "png.tadm"), os.path.join(d, "lr.png")
            subprocess.run([os.path.join(tools, "tadmenc"), "--quiet", "-m", "classic", "-s", "4", f, png], check=True)
            subprocess.run([os.path.join(tools, "tadmdec"), "--quiet", "--thumbnail", png, lr], check=True)
            with Image.open(lr) as im:
                a = np.array(im.convert("RGB"))
            for q in qualities:
                av, th = os.path.join(d, "avif.tadm"), os.path.join(d, "lr.avif")
                subprocess.run([os.path.join(tools, "tadmenc"), "--quiet", "-m", "classic", "-s", "4", "-j", "1",
                                "--lr-codec", "avif", "--lr-quality", str(q), f, av], check=True)
                subprocess.run([os.path.join(tools, "tadmdec"), "--quiet", "--thumbnail", av, th], check=True)
                with open(th, "rb") as fh:
                    ok = fh.read() == avif_encode(a, q)
                same += ok
                total += 1
                if not ok:
                    print(f"{os.path.basename(f)} q{q}: avif_encode differs from tadmenc's AVIF thumbnail")
    print(f"avif_encode == tadmenc --lr-codec avif on {same}/{total} thumbnails")
    return same == total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare the thumbnail with resample.cpp's algorithm")
    ap.add_argument("--data", default="../shared/data/kodak")
    ap.add_argument("--scales", type=int, nargs="+", default=[4, 8, 16])
    ap.add_argument("--check-avif", metavar="TOOLS_DIR", help="compare avif_encode with tadmenc (build/release/tools)")
    args = ap.parse_args(argv)
    if args.check_avif:
        from . import repo_path
        raise SystemExit(0 if check_avif(repo_path(args.data), args.check_avif) else 1)
    if args.check:
        from . import repo_path
        check(repo_path(args.data), args.scales)


if __name__ == "__main__":
    main()
