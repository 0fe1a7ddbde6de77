"""tadm: extreme-ratio image codec (Python bindings of libtadm).

    import tadm
    data = tadm.encode("photo.png", model="classic")     # bytes of a .tadm file
    pixels = tadm.decode(data)                            # numpy H x W x C, uint8 or uint16
    tadm.info(data)["width"], tadm.thumbnail(data).shape

Reusable ``Encoder`` / ``Decoder`` objects load their model once for many files (objects in one
process share a loaded model). Calls run without the GIL, so threads encode or decode in
parallel (one call at a time per object).
Failures raise a subclass of ``tadm.Error`` (``CorruptError``, ``ModelError``, ...) whose
``status`` names the library status and whose message is the library's.
"""

import json
import os

import numpy as np

from . import _tadm
from ._errors import (CancelledError, CorruptError, Error, InternalError, InvalidArgumentError,
                      IOFailure, LimitError, ModelError, ModelMismatchError, OutOfMemoryError,
                      UnsupportedError)

__version__ = _tadm.__version__

__all__ = [
    "Encoder", "Decoder", "encode", "decode", "info", "thumbnail", "list_models",
    "register_pillow", "Error", "InvalidArgumentError", "IOFailure", "CorruptError",
    "UnsupportedError", "LimitError", "ModelError", "ModelMismatchError", "OutOfMemoryError",
    "CancelledError", "InternalError",
]


def _is_path(x):
    return isinstance(x, (str, os.PathLike))


def _read_bytes(data_or_path):
    """File contents for a path; bytes-like objects are used as they are (never as paths)."""
    if _is_path(data_or_path):
        with open(data_or_path, "rb") as f:
            return f.read()
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        return data_or_path
    raise TypeError(f"expected bytes or a path, not {type(data_or_path).__name__}")


def _limits(max_pixels=0, max_dimension=0, max_memory_mib=0, allow_corrupt=False):
    return _tadm.Limits(max_pixels=max_pixels or 0, max_dimension=max_dimension or 0,
                        max_memory_mib=max_memory_mib or 0, allow_corrupt=bool(allow_corrupt))


def _as_image_array(array):
    """A uint8/uint16 array in native byte order (anything numpy can view: PIL images too)."""
    a = np.asarray(array)
    if a.dtype.kind == "u" and a.dtype.itemsize in (1, 2) and not a.dtype.isnative:
        a = a.astype(np.dtype(f"u{a.dtype.itemsize}"))  # "u2" is native order
    return a


def _scale_axes(scale):
    """(across, down for the C settings: 0 when equal) of None, 16, (24, 16) or "24x16"."""
    if scale is None:
        return 0, 0
    if isinstance(scale, str):
        x, sep, y = scale.lower().partition("x")
        if not x.isdigit() or (sep and not y.isdigit()):
            raise ValueError(f"scale {scale!r} is not N or HxV")
        scale = (int(x), int(y)) if sep else int(x)
    if isinstance(scale, (tuple, list)):
        if len(scale) != 2:
            raise ValueError(f"scale {scale!r} is not (across, down)")
        x, y = (int(v) for v in scale)
        return x, (0 if y == x else y)
    return int(scale), 0


class Encoder:
    """An encoder with its model loaded once.

    scale: 2..64, or (across, down) / "24x16" for unequal ones (None: the model's own, 16 by
    default). model: "classic", a bundle name
    ("pix16") or a bundle folder (None: the default learned bundle for the scale: pix16, pix32, the
    any-scale any32 up to 32 per side, else classic).
    target_bytes: largest file wanted; with neither scale nor model, the encoder chooses the model
    and scale per image (rate control), else it lowers a lossy thumbnail's quality. lr_codec: "png",
    "jpeg", "webp", "jxl", "avif", "auto" (with target_bytes: lossy-thumbnail models may be chosen
    too) (None: the model's). target_effort: 1 decodes the fitting candidates and keeps the one
    with the highest PSNR (slower; 0, the default, ranks them by the models' measured quality). lr_quality: 1..100 (None: the model's
    default). threads: 0 = all cores. container: "tadm", "heif" or "avif". refine: gradient steps
    that adjust the thumbnail through a learned decoder (slower encode, closer restoration).
    profile: which default model when `model` is None: "fidelity" (pix16/pix32) or "perceptual"
    (the latent models tadm16/tadm32).
    """

    def __init__(self, *, scale=None, model=None, target_bytes=None, lr_codec=None,
                 lr_quality=None, threads=0, device="auto", container="tadm", lr_lossless=False,
                 refine=0, model_dir=None, max_pixels=0, max_dimension=0, max_memory_mib=0,
                 allow_corrupt=False, profile="fidelity", target_effort=0):
        sx, sy = _scale_axes(scale)
        self._impl = _tadm.Encoder(
            model=None if model is None else os.fspath(model),
            model_dir=None if model_dir is None else os.fspath(model_dir),
            scale=sx, scale_y=sy, threads=threads, device=device, container=container,
            lr_codec=lr_codec or "model", lr_quality=lr_quality or 0, lr_lossless=lr_lossless,
            target_bytes=target_bytes or 0, refine_iterations=refine,
            limits=_limits(max_pixels, max_dimension, max_memory_mib, allow_corrupt), profile=profile,
            target_effort=target_effort)

    def encode(self, image, *, metadata=None):
        """Encode a numpy array (H x W or H x W x C, C 1..4, uint8 or uint16), a PNG/JPEG path
        (its ICC profile, EXIF and XMP are kept) or PNG/JPEG bytes; returns the file's bytes.
        metadata: {"icc_profile", "exif", "xmp": bytes; "cicp": 4 ints} stored with an array."""
        if _is_path(image):
            return self._impl.encode_file(os.fspath(image))
        if isinstance(image, (bytes, bytearray, memoryview)):
            return self._impl.encode_encoded(image)
        return self._impl.encode_array(_as_image_array(image), dict(metadata or {}))

    @property
    def model(self):
        """The model in use: name, version and bundle SHA-256."""
        return self._impl.model

    @property
    def scale(self):
        """The scale across (the only one when square)."""
        return self._impl.scale

    @property
    def scale_y(self):
        """The scale down."""
        return self._impl.scale_y

    @property
    def lr_codec(self):
        return self._impl.lr_codec

    @property
    def lr_quality(self):
        """Quality of the last encoded lossy thumbnail (0 before the first encode)."""
        return self._impl.lr_quality


class Decoder:
    """A decoder with its model loaded once.

    model: None (the bundle the file names), a name or a folder. bit_depth: 0 (the original's),
    8 or 16. upscaler: "bicubic" or "lanczos" (classic files). precision: "auto", "fp32" or
    "bf16" (learned models). force_model: decode even if the bundle differs from the file's.
    """

    def __init__(self, *, model=None, threads=0, device="auto", bit_depth=0, upscaler="bicubic",
                 precision="auto", force_model=False, model_dir=None, max_pixels=0,
                 max_dimension=0, max_memory_mib=0):
        self._impl = _tadm.Decoder(
            model=None if model is None else os.fspath(model),
            model_dir=None if model_dir is None else os.fspath(model_dir),
            force_model=force_model, threads=threads, device=device, upscaler=upscaler,
            bit_depth=bit_depth, precision=precision,
            limits=_limits(max_pixels, max_dimension, max_memory_mib))

    def decode(self, data_or_path):
        """The full-resolution image: numpy H x W x C (C 1..4), uint8 or uint16."""
        return self._impl.decode(_read_bytes(data_or_path))[0]

    def decode_with_metadata(self, data_or_path):
        """(pixels, {"icc_profile", "exif", "xmp", "cicp", "bit_depth"})."""
        return self._impl.decode(_read_bytes(data_or_path))


def encode(array_or_path, *, scale=None, model=None, target_bytes=None, lr_codec=None,
           lr_quality=None, threads=0, **options):
    """Encode once (see Encoder for the options); returns the file's bytes."""
    return Encoder(scale=scale, model=model, target_bytes=target_bytes, lr_codec=lr_codec,
                   lr_quality=lr_quality, threads=threads, **options).encode(array_or_path)


def decode(data_or_path, *, model=None, threads=0, **options):
    """Decode once (see Decoder for the options); returns numpy H x W x C."""
    return Decoder(model=model, threads=threads, **options).decode(data_or_path)


def info(data_or_path):
    """The container's fields, without decoding pixels, as a dict with the keys `tadminfo --json`
    prints (one serialisation, tadm_file_info_json): width, height, channels, original_bit_depth,
    scale_x, scale_y, lr_width, lr_height, lr_codec, model {name, version, sha256}, cicp, hint,
    chunks, ..."""
    return json.loads(_tadm.file_info_json(_read_bytes(data_or_path)))


def thumbnail_bytes(data_or_path):
    """The stored thumbnail's own stream (PNG, or JPEG/WebP/JPEG XL/AVIF), byte for byte."""
    return _tadm.extract_thumbnail(_read_bytes(data_or_path))


def thumbnail(data_or_path):
    """The stored thumbnail as numpy H x W x C uint8, whatever its codec (PNG, JPEG, WebP,
    JPEG XL, AVIF), without running any model. C is the decoded image's: 1 gray, 2 gray+alpha,
    3 RGB, 4 RGBA."""
    return _tadm.decode_thumbnail(_read_bytes(data_or_path))[0]


def write_png(array, metadata=None):
    """PNG bytes of an array (keeps channels and bit depth; ICC/EXIF/XMP from metadata)."""
    return _tadm.write_png(_as_image_array(array), dict(metadata or {}))


def list_models(model_dir=None):
    """The models this build finds: [{"name", "scale", "version", "sha256", "path", "scales"}],
    classic first. "scale" is the default scale (0 for classic), "scales" the (smallest, largest)
    scale served on each axis, None for a bundle that cannot be loaded."""
    rows = []
    for line in _tadm.list_models(None if model_dir is None else os.fspath(model_dir)).splitlines():
        name, scale, version, sha256, path, scales = (line.split("\t") + [""] * 6)[:6]
        lo, _, hi = scales.partition("..")
        rows.append({"name": name, "scale": int(scale) if scale.isdigit() else 0, "version": version,
                     "sha256": sha256, "path": path,
                     "scales": (int(lo), int(hi or lo)) if lo.isdigit() else None})
    return rows


def register_pillow():
    """Make PIL.Image.open read .tadm files (same as ``import tadm.pillow``)."""
    from . import pillow
    pillow.register()
