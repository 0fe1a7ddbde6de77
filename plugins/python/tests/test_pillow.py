"""The Pillow plugin: PIL.Image.open on .tadm files (header-only open, decode on load, the stored
thumbnail through draft/thumbnail)."""

import io
import os
import tempfile
import unittest

import numpy as np
from PIL import Image, UnidentifiedImageError

import tadm
import tadm.pillow  # registers the plugin

from test_module import PHOTO, gradient


class Pillow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_registered(self):
        self.assertEqual(Image.registered_extensions()[".tadm"], "TADM")
        self.assertEqual(Image.MIME["TADM"], "image/x-tadm")
        tadm.register_pillow()  # a second registration is harmless
        self.assertEqual(Image.ID.count("TADM"), 1)

    @unittest.skipUnless(os.path.exists(PHOTO), f"{PHOTO} is missing")
    def test_open_photo(self):
        data = tadm.encode(PHOTO, model="classic")
        path = self.write("photo.tadm", data)
        with Image.open(path) as im:
            self.assertEqual(im.format, "TADM")
            self.assertEqual(im.size, (768, 512))
            self.assertEqual(im.mode, "RGB")
            self.assertEqual(im.info["tadm"]["model"]["name"], "classic")
            im.load()
            np.testing.assert_array_equal(np.asarray(im), tadm.decode(data))
            self.assertEqual(im.getpixel((0, 0)), tuple(tadm.decode(data)[0, 0]))
        # From a file object, by content rather than name.
        with Image.open(io.BytesIO(data)) as im:
            self.assertEqual(im.format, "TADM")
            self.assertEqual(im.convert("L").size, (768, 512))

    def test_modes(self):
        cases = [(gradient(30, 40, 4, np.uint8), "RGBA"), (gradient(30, 40, 1, np.uint8), "L"),
                 (gradient(30, 40, 2, np.uint8), "LA"), (gradient(30, 40, 1, np.uint16), "I;16"),
                 (gradient(30, 40, 3, np.uint16), "RGB")]
        for array, mode in cases:
            with self.subTest(mode=mode, dtype=array.dtype.name, channels=array.shape[2]):
                data = tadm.encode(array, model="classic", scale=4)
                with Image.open(self.write(f"m{mode}.tadm", data)) as im:
                    self.assertEqual(im.mode, mode)
                    self.assertEqual(im.size, (40, 30))
                    pixels = np.asarray(im)
                expected = tadm.decode(data, bit_depth=16 if mode == "I;16" else 8)
                np.testing.assert_array_equal(pixels.reshape(expected.shape), expected)

    def test_icc_profile_after_load(self):
        icc = b"not checked by tadm, kept byte for byte"
        data = tadm.Encoder(model="classic").encode(gradient(20, 20, 3, np.uint8), metadata={"icc_profile": icc})
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            self.assertEqual(im.info.get("icc_profile"), icc)

    @unittest.skipUnless(os.path.exists(PHOTO), f"{PHOTO} is missing")
    def test_draft_uses_the_stored_thumbnail(self):
        data = tadm.encode(PHOTO, model="classic", scale=16)  # thumbnail 48 x 32
        with Image.open(io.BytesIO(data)) as im:
            mode, box = im.draft("RGB", (48, 32))
            self.assertEqual(im.size, (48, 32))
            self.assertEqual(box, (0, 0, 48.0, 32.0))
            np.testing.assert_array_equal(np.asarray(im), tadm.thumbnail(data))
        with Image.open(io.BytesIO(data)) as im:  # larger than the thumbnail: no draft
            self.assertIsNone(im.draft("RGB", (200, 100)))
            self.assertEqual(im.size, (768, 512))
        with Image.open(io.BytesIO(data)) as im:
            im.thumbnail((24, 16))
            self.assertEqual(im.size, (24, 16))

    @unittest.skipUnless(os.path.exists(PHOTO), f"{PHOTO} is missing")
    def test_draft_uses_jxl_and_avif_thumbnails(self):
        for codec in ("jxl", "avif"):
            with self.subTest(codec=codec):
                data = tadm.encode(PHOTO, model="classic", scale=16, lr_codec=codec)
                with Image.open(io.BytesIO(data)) as im:
                    im.draft("RGB", (48, 32))
                    self.assertEqual(im.size, (48, 32))
                    np.testing.assert_array_equal(np.asarray(im), tadm.thumbnail(data))
                with Image.open(io.BytesIO(data)) as im:
                    im.thumbnail((24, 16))
                    self.assertEqual(im.size, (24, 16))

    def test_bad_files(self):
        good = tadm.encode(gradient(64, 64, 3, np.uint8), model="classic")
        for name, data in (("truncated", good[: len(good) // 2]), ("garbage", good[:8] + b"\0" * 100)):
            with self.subTest(name):
                with self.assertRaises(UnidentifiedImageError):
                    Image.open(self.write(name + ".tadm", data))
        # A header that reads but a body that does not decode: OSError on load, like other plugins.
        with Image.open(io.BytesIO(good)) as im:
            im._tadm_data = good[:200] + b"\0" * (len(good) - 200)
            with self.assertRaises(OSError) as cm:
                im.load()
            self.assertIsInstance(cm.exception.__cause__, tadm.Error)


if __name__ == "__main__":
    unittest.main()
