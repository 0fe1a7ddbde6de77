"""Pillow plugin: ``import tadm.pillow`` (or ``tadm.register_pillow()``), then
``PIL.Image.open("photo.tadm")``.

Opening reads only the header (size and mode, no model runs); ``load()`` decodes with the model
the file names. ``Image.thumbnail()`` / ``draft()`` to a size the stored thumbnail covers use
the thumbnail itself (any thumbnail codec), as Pillow's JPEG plugin uses DCT scaling.

Modes: L, LA, RGB, RGBA (8-bit); 16-bit grayscale opens as I;16. Pillow has no 16-bit colour
mode, so 16-bit colour files decode to 8 bits here (``tadm.decode`` keeps 16).
Decoder options (model_dir, threads, device, ...) for every load: ``tadm.pillow.decoder_options``.
"""

import json
import threading

import numpy as np
from PIL import Image, ImageFile

from . import Decoder, Error, _tadm

FORMAT = "TADM"
MIME = "image/x-tadm"
EXTENSIONS = (".tadm",)
_SIGNATURE = b"\x89TADM\r\n\x1a"

# Keyword arguments of tadm.Decoder used by load(); change before opening files.
decoder_options = {}

# One decoder per thread and options, kept between images; the decoders share one loaded model.
_local = threading.local()


def _decoder(bit_depth):
    key = (bit_depth, tuple(sorted(decoder_options.items())))
    cache = getattr(_local, "decoders", None)
    if cache is None:
        cache = _local.decoders = {}
    if key not in cache:
        cache[key] = Decoder(bit_depth=bit_depth, **decoder_options)
    return cache[key]


def _accept(prefix):
    return prefix[:8] == _SIGNATURE


def _mode(channels, bit_depth):
    if channels == 1 and bit_depth == 16:
        return "I;16"
    return {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]


class TadmImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "tadm extreme-ratio image"

    def _open(self):
        data = self.fp.read()
        try:
            header = json.loads(_tadm.file_info_json(data))
        except Error as e:
            raise SyntaxError(f"not a valid tadm file: {e}") from e
        self._tadm_data = data
        self._tadm_header = header
        self._tadm_thumbnail = False
        self._size = (header["width"], header["height"])
        # 16-bit colour has no Pillow mode: decode those at 8 bits.
        depth = 16 if header["channels"] == 1 and header["original_bit_depth"] == 16 else 8
        self._tadm_depth = depth
        self.mode = _mode(header["channels"], depth)
        self.info["tadm"] = {k: header[k] for k in ("model", "scale_x", "scale_y", "lr_codec")}
        # Marks the image as not loaded yet for Pillow's code that checks; load() is ours.
        self.tile = [("tadm", (0, 0) + self._size, 0, None)]

    def draft(self, mode, size):
        """Use the stored thumbnail when it is at least `size` (no model runs)."""
        h = self._tadm_header
        if (self._tadm_data is None or self._tadm_thumbnail or not size
                or h["lr_width"] < size[0] or h["lr_height"] < size[1]):
            return None
        self._tadm_thumbnail = True
        self._size = (h["lr_width"], h["lr_height"])
        self.mode = _mode(h["channels"], 8)
        self.tile = [("tadm", (0, 0) + self._size, 0, None)]
        sx, sy = h["scale_x"], h["scale_y"]
        return self.mode, (0, 0, h["width"] / sx, h["height"] / sy)

    def load(self):
        if self._tadm_data is not None:
            data, self._tadm_data = self._tadm_data, None
            try:
                if self._tadm_thumbnail:
                    pixels, meta = _tadm.decode_thumbnail(data)
                else:
                    pixels, meta = _decoder(self._tadm_depth).decode_with_metadata(data)
            except Error as e:
                # Pillow's convention for images that open but cannot be read.
                raise OSError(f"cannot decode the tadm image: {e}") from e
            finally:
                if self._exclusive_fp and self._close_exclusive_fp_after_loading:
                    self.fp.close()
                self.fp = None
            if pixels.shape[2] == 1:
                pixels = pixels[:, :, 0]
            self.im = Image.fromarray(np.ascontiguousarray(pixels), self.mode).im
            if meta.get("icc_profile"):
                self.info["icc_profile"] = meta["icc_profile"]
            if meta.get("exif"):
                self.info["exif"] = b"Exif\x00\x00" + meta["exif"]
            self.tile = []
        return Image.Image.load(self)


_registered = False


def register():
    global _registered
    if _registered:
        return
    Image.register_open(FORMAT, TadmImageFile, _accept)
    Image.register_extensions(FORMAT, list(EXTENSIONS))
    Image.register_mime(FORMAT, MIME)
    _registered = True


register()
