"""tadm (the Python package) on real photos: round trips, info, thumbnails, array inputs, errors,
and calls that really run without the GIL."""

import os
import tempfile
import threading
import unittest

import numpy as np

import tadm

KODAK = os.environ.get("TADM_TEST_KODAK", "/work/shared/data/kodak")
PHOTO = os.path.join(KODAK, "kodim23.png")
WITH_TORCH = os.environ.get("TADM_TEST_WITH_TORCH", "0") in ("1", "ON", "TRUE", "true")


def psnr(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    peak = 65535.0 if max(a.max(), b.max()) > 255 else 255.0
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(peak * peak / mse)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def photo():
    """kodim23 as numpy (768 x 512 RGB), read by libtadm itself."""
    return tadm._tadm.read_image(read(PHOTO))[0]


def gradient(h, w, c, dtype):
    y, x = np.mgrid[0:h, 0:w]
    top = np.iinfo(dtype).max
    planes = [(x * top // max(w - 1, 1)), (y * top // max(h - 1, 1)), ((x + y) * top // (w + h)),
              np.full((h, w), top * 3 // 4)]
    return np.stack(planes[:c], axis=2).astype(dtype)


@unittest.skipUnless(os.path.exists(PHOTO), f"{PHOTO} is missing (set TADM_DATA_DIR)")
class RoundTrip(unittest.TestCase):
    def test_classic_from_path(self):
        data = tadm.encode(PHOTO, model="classic")
        self.assertIsInstance(data, bytes)
        self.assertEqual(data[:8], b"\x89TADM\r\n\x1a")
        out = tadm.decode(data, model=None, threads=2)
        self.assertEqual(out.shape, (512, 768, 3))
        self.assertEqual(out.dtype, np.uint8)
        p = psnr(out, photo())
        self.assertGreater(p, 20.0)  # classic at 16x on kodim23 is about 24 dB
        self.assertLess(p, 40.0)

    def test_path_objects_and_bytes_input(self):
        from pathlib import Path
        a = tadm.encode(Path(PHOTO), model="classic", scale=8)
        b = tadm.encode(read(PHOTO), model="classic", scale=8)
        self.assertEqual(a, b)
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "x.tadm"
            f.write_bytes(a)
            np.testing.assert_array_equal(tadm.decode(f), tadm.decode(a))
            self.assertEqual((tadm.info(str(f))["scale_x"], tadm.info(str(f))["scale_y"]), (8, 8))

    @unittest.skipUnless(WITH_TORCH, "built without LibTorch")
    def test_default_learned_model(self):
        enc = tadm.Encoder(threads=2)
        self.assertNotIn("classic", enc.model)
        data = enc.encode(PHOTO)
        self.assertEqual(tadm.info(data)["model"]["name"], enc.model.split()[0])
        out = tadm.Decoder(threads=2).decode(data)
        self.assertEqual(out.shape, (512, 768, 3))
        learned = psnr(out, photo())
        classic = psnr(tadm.decode(tadm.encode(PHOTO, model="classic")), photo())
        self.assertGreater(learned, classic)

    def test_unequal_scales(self):
        """scale as (across, down) or "AxB": stored as such, decoded to the original's size."""
        for scale in ((24, 16), "24x16"):
            enc = tadm.Encoder(model="classic", scale=scale, threads=2)
            self.assertEqual((enc.scale, enc.scale_y), (24, 16))
            i = tadm.info(enc.encode(PHOTO))
            self.assertEqual((i["scale_x"], i["scale_y"], i["lr_width"], i["lr_height"]), (24, 16, 32, 32))
        self.assertEqual(tadm.Encoder(model="classic", scale=(8, 8)).scale_y, 8)
        for bad in ("24x", "x16", (1, 2, 3)):
            with self.assertRaises(ValueError):
                tadm.Encoder(model="classic", scale=bad)
        with self.assertRaises(ValueError):
            tadm.Encoder(model="classic", scale=(16, 65))

    @unittest.skipUnless(WITH_TORCH, "built without LibTorch")
    def test_any_scale_model_is_the_default_for_other_scales(self):
        enc = tadm.Encoder(scale="12x20", threads=2)
        self.assertTrue(enc.model.startswith("any32 "), enc.model)
        out = tadm.decode(enc.encode(PHOTO))
        self.assertEqual(out.shape, (512, 768, 3))
        classic = tadm.decode(tadm.encode(PHOTO, model="classic", scale=(12, 20)))
        self.assertGreater(psnr(out, photo()), psnr(classic, photo()))
        self.assertIn((2, 32), [m["scales"] for m in tadm.list_models() if m["name"] == "any32"])

    def test_perceptual_profile_picks_the_latent_model(self):
        try:
            enc = tadm.Encoder(profile="perceptual", threads=2)
        except tadm.ModelError as e:  # no latent bundle installed: the error names it
            self.assertIn("tadm16", str(e))
            return
        self.assertTrue(enc.model.startswith("tadm16 "), enc.model)
        a = photo()[:256, :256]
        out = tadm.decode(enc.encode(a), threads=2)
        self.assertEqual(out.shape, a.shape)

    def test_reused_encoder_and_decoder(self):
        enc = tadm.Encoder(model="classic", scale=16, threads=1)
        self.assertEqual(enc.scale, 16)
        self.assertIn("classic", enc.model)
        dec = tadm.Decoder(threads=1)
        a = photo()
        for crop in (a, a[:100, :130], a[7:250, 3:77]):
            out = dec.decode(enc.encode(crop))
            self.assertEqual(out.shape, crop.shape)

    def test_options(self):
        small = tadm.encode(PHOTO, model="classic", lr_codec="jpeg", lr_quality=40)
        self.assertEqual(tadm.info(small)["lr_codec"], "jpeg")
        self.assertLess(len(small), len(tadm.encode(PHOTO, model="classic")))
        fitted = tadm.encode(PHOTO, model="classic", lr_codec="jpeg", target_bytes=1200)
        self.assertLessEqual(len(fitted), 1200)
        with self.assertRaises(tadm.LimitError):
            tadm.encode(PHOTO, model="classic", lr_codec="jpeg", target_bytes=50)
        self.assertEqual(tadm.decode(tadm.encode(photo(), model="classic"), bit_depth=16).dtype, np.uint16)

    def test_rate_control(self):
        """A byte target without scale or model: the encoder chooses, never above the target."""
        budget = len(tadm.encode(PHOTO, model="classic", scale=8))
        for kw in ({}, {"lr_codec": "auto"}, {"target_effort": 1}):
            data = tadm.encode(PHOTO, target_bytes=budget, threads=2, **kw)
            self.assertLessEqual(len(data), budget, kw)
            self.assertEqual(tadm.decode(data).shape[:2], photo().shape[:2])
        with self.assertRaises(tadm.LimitError):
            tadm.encode(PHOTO, target_bytes=40)
        with self.assertRaises(tadm.InvalidArgumentError):
            tadm.encode(PHOTO, target_bytes=budget, target_effort=2)


@unittest.skipUnless(os.path.exists(PHOTO), f"{PHOTO} is missing (set TADM_DATA_DIR)")
class Inspection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tadm.encode(PHOTO, model="classic", scale=16)

    def test_info(self):
        i = tadm.info(self.data)
        self.assertEqual((i["width"], i["height"]), (768, 512))
        self.assertEqual((i["scale_x"], i["scale_y"]), (16, 16))
        self.assertEqual((i["lr_width"], i["lr_height"]), (48, 32))
        self.assertEqual(i["channels"], 3)
        self.assertEqual(i["original_bit_depth"], 8)
        self.assertFalse(i["alpha"])
        self.assertFalse(i["grayscale"])
        self.assertEqual(i["container"], "tadm")
        self.assertEqual(i["lr_codec"], "png")
        self.assertEqual(i["model"]["name"], "classic")
        self.assertEqual(len(i["model"]["sha256"]), 64)
        self.assertEqual(i["file_size"], len(self.data))
        types = [c["type"] for c in i["chunks"]]
        self.assertEqual(types[0], "HEAD")
        self.assertIn("LRIM", types)

    def test_thumbnail(self):
        t = tadm.thumbnail(self.data)
        self.assertEqual(t.shape, (32, 48, 3))
        self.assertEqual(t.dtype, np.uint8)
        self.assertTrue(tadm.thumbnail_bytes(self.data).startswith(b"\x89PNG"))
        # It is the photo, small: close to a box-filtered original.
        box = photo().reshape(32, 16, 48, 16, 3).mean(axis=(1, 3))
        self.assertGreater(psnr(t, box), 25.0)

    def test_thumbnail_of_every_codec(self):
        """JPEG XL and AVIF thumbnails (which no image reader of libtadm's reads) and WebP and JPEG
        ones decode too: lossless ones to the PNG thumbnail's pixels, lossy ones close to them."""
        png = tadm.thumbnail(self.data)
        for codec in ("jxl", "avif", "webp", "jpeg"):
            with self.subTest(codec=codec):
                if codec != "jpeg":
                    lossless = tadm.encode(PHOTO, model="classic", scale=16, lr_codec=codec, lr_lossless=True)
                    self.assertEqual(tadm.info(lossless)["lr_codec"], codec)
                    self.assertFalse(tadm.thumbnail_bytes(lossless).startswith(b"\x89PNG"))
                    np.testing.assert_array_equal(tadm.thumbnail(lossless), png)
                lossy = tadm.encode(PHOTO, model="classic", scale=16, lr_codec=codec, lr_quality=90)
                t = tadm.thumbnail(lossy)
                self.assertEqual((t.shape, t.dtype), (png.shape, png.dtype))
                self.assertGreater(psnr(t, png), 25.0)  # WebP: 28 dB, its 4:2:0 chroma on a 48 x 32 image

    def test_avif_file_with_an_avif_thumbnail(self):
        """container="avif" with lr_codec="avif": the AVIF file's image is the lossy thumbnail
        itself (thumbnail_bytes returns the file), and it decodes as its .tadm does."""
        opts = dict(model="classic", scale=8, lr_codec="avif", lr_quality=40)
        plain = tadm.encode(PHOTO, **opts)
        avif = tadm.encode(PHOTO, container="avif", **opts)
        self.assertEqual(avif[4:12], b"ftypavif")
        i = tadm.info(avif)
        self.assertEqual((i["container"], i["lr_codec"]), ("avif", "avif"))
        self.assertEqual(tadm.thumbnail_bytes(avif), avif)
        np.testing.assert_array_equal(tadm.thumbnail(avif), tadm.thumbnail(plain))
        np.testing.assert_array_equal(tadm.decode(avif), tadm.decode(plain))
        with self.assertRaises(tadm.UnsupportedError):
            tadm.encode(PHOTO, model="classic", scale=8, lr_codec="webp", container="avif")

    def test_thumbnail_keeps_the_channel_layout(self):
        for channels in (1, 2, 4):
            with self.subTest(channels=channels):
                data = tadm.encode(gradient(40, 64, channels, np.uint8), model="classic", scale=4, lr_codec="avif",
                                   lr_lossless=True)
                self.assertEqual(tadm.thumbnail(data).shape, (10, 16, channels))

    def test_list_models(self):
        models = tadm.list_models()
        self.assertEqual(models[0]["name"], "classic")


class ArrayInput(unittest.TestCase):
    def roundtrip(self, a, **kw):
        data = tadm.encode(a, model="classic", scale=4, **kw)
        out = tadm.decode(data)
        expected_shape = a.shape if a.ndim == 3 else a.shape + (1,)
        self.assertEqual(out.shape, expected_shape)
        self.assertEqual(out.dtype, a.dtype)
        self.assertGreater(psnr(out.reshape(a.shape), a), 30.0)  # smooth gradients survive 4x
        return data

    def test_uint8_rgb_rgba_gray(self):
        for c in (3, 4, 2, 1):
            with self.subTest(channels=c):
                info = tadm.info(self.roundtrip(gradient(61, 83, c, np.uint8)))
                self.assertEqual(info["channels"], c)
                self.assertEqual(info["alpha"], c in (2, 4))
                self.assertEqual(info["grayscale"], c in (1, 2))
        self.roundtrip(gradient(61, 83, 1, np.uint8)[:, :, 0])  # H x W

    def test_uint16(self):
        for c in (3, 1):
            with self.subTest(channels=c):
                a = gradient(40, 50, c, np.uint16)
                self.assertEqual(tadm.info(self.roundtrip(a))["original_bit_depth"], 16)
        big_endian = gradient(40, 50, 3, np.uint16).astype(">u2")
        self.assertEqual(tadm.decode(tadm.encode(big_endian, model="classic")).dtype, np.uint16)

    def test_non_contiguous_views(self):
        a = gradient(64, 96, 4, np.uint8)
        view = a[::2, ::-1, 2::-1]  # every other row, mirrored, BGR from RGBA
        data = tadm.encode(view, model="classic", scale=2)
        self.assertEqual(tadm.decode(data).shape, (32, 96, 3))
        np.testing.assert_array_equal(
            tadm.decode(data), tadm.decode(tadm.encode(np.ascontiguousarray(view), model="classic", scale=2)))

    def test_metadata_kept(self):
        srgb = "/usr/share/color/icc/colord/sRGB.icc"
        icc = read(srgb) if os.path.exists(srgb) else None
        xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'
        data = tadm.Encoder(model="classic").encode(gradient(20, 20, 3, np.uint8),
                                                    metadata={"xmp": xmp, "icc_profile": icc})
        _, meta = tadm.Decoder().decode_with_metadata(data)
        self.assertEqual(meta["xmp"], xmp)
        self.assertEqual(meta["icc_profile"], icc)

    def test_bad_arrays(self):
        with self.assertRaises(TypeError):
            tadm.encode(np.zeros((8, 8, 3), np.float32), model="classic")
        with self.assertRaises(TypeError):
            tadm.encode(np.zeros((8, 8, 3), np.int16), model="classic")
        with self.assertRaises(ValueError):
            tadm.encode(np.zeros((8, 8, 5), np.uint8), model="classic")
        with self.assertRaises(ValueError):
            tadm.encode(np.zeros((2, 8, 8, 3), np.uint8), model="classic")
        with self.assertRaises(ValueError):
            tadm.encode(np.zeros(8, np.uint8), model="classic")
        with self.assertRaises(ValueError):
            tadm.encode(np.zeros((0, 8, 3), np.uint8), model="classic")


class Errors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tadm.encode(gradient(64, 64, 3, np.uint8), model="classic")

    def test_truncated_is_corrupt(self):
        for call in (tadm.decode, tadm.info, tadm.thumbnail):
            with self.subTest(call=call.__name__):
                with self.assertRaises(tadm.CorruptError) as cm:
                    call(self.data[: len(self.data) // 2])
                e = cm.exception
                self.assertIsInstance(e, tadm.Error)
                self.assertEqual(e.status, "CORRUPT")
                self.assertEqual(e.code, 3)
                self.assertTrue(e.message)
                self.assertIn("CORRUPT", str(e))

    def test_not_a_tadm_file(self):
        with self.assertRaises(tadm.CorruptError):
            tadm.decode(b"definitely not an image")
        with self.assertRaises(tadm.Error):
            tadm.encode(b"not a png either", model="classic")

    def test_status_classes(self):
        with self.assertRaises(tadm.ModelError) as cm:
            tadm.Encoder(model="no-such-model")
        self.assertEqual(cm.exception.status, "MODEL")
        with self.assertRaises(tadm.IOFailure) as cm:
            tadm.encode("/nonexistent/photo.png", model="classic")
        self.assertEqual(cm.exception.status, "IO")
        with self.assertRaises(tadm.LimitError):
            tadm.encode(gradient(64, 64, 3, np.uint8), model="classic", max_pixels=100)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            tadm.Encoder(model="classic", lr_codec="gif")
        with self.assertRaises(ValueError):
            tadm.Encoder(model="classic", profile="pretty")
        with self.assertRaises(ValueError):
            tadm.Decoder(bit_depth=12)
        with self.assertRaises(TypeError):
            tadm.decode(12345)
        with self.assertRaises(OSError):
            tadm.decode("/nonexistent/file.tadm")


@unittest.skipUnless(os.path.exists(PHOTO), f"{PHOTO} is missing (set TADM_DATA_DIR)")
class Threads(unittest.TestCase):
    def test_concurrent_decodes_without_the_gil(self):
        """Two threads decode at once, one library thread each: both finish with the sequential
        result, and both were inside a decode at the same moment. The switch interval is made
        huge so that Python never pre-empts a thread: a thread gives up the GIL only when it
        blocks or when a call releases it, so the overlap proves the release (no timing is
        asserted)."""
        import sys
        data = tadm.encode(PHOTO, model="classic", scale=4)
        expected = tadm.Decoder(threads=1, upscaler="lanczos").decode(data)
        results, errors = {0: [], 1: []}, []
        state = {"inside": 0, "most": 0}
        start = threading.Barrier(2)

        def work(k):
            try:
                dec = tadm.Decoder(threads=1, upscaler="lanczos")
                start.wait(timeout=60)
                for _ in range(3):
                    state["inside"] += 1
                    state["most"] = max(state["most"], state["inside"])
                    out = dec.decode(data)
                    state["inside"] -= 1
                    results[k].append(out)
            except Exception as e:  # reported below
                errors.append(e)

        old = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        try:
            workers = [threading.Thread(target=work, args=(k,)) for k in range(2)]
            for t in workers:
                t.start()
            for t in workers:
                t.join(timeout=600)
        finally:
            sys.setswitchinterval(old)
        self.assertFalse(errors, errors)
        self.assertFalse(any(t.is_alive() for t in workers))
        for k in range(2):
            self.assertEqual(len(results[k]), 3)
            for out in results[k]:
                np.testing.assert_array_equal(out, expected)
        self.assertEqual(state["most"], 2, "the two decodes never ran at the same time")


if __name__ == "__main__":
    unittest.main()
