"""The lossy-thumbnail round trip of training (lossy_lr.py): JPEG and WebP through PIL, AVIF
through libavif's tools.

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m unittest tests.test_lossy_lr -v
"""
import random
import unittest

import numpy as np
import torch

from tadm_train import lossy_lr

torch.set_num_threads(1)


def texture(h=48, w=64, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(x / 5.0)[..., None] * np.cos(y / 7.0)[..., None]
    return np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


class TestLossyLr(unittest.TestCase):
    def test_round_trip_both_codecs(self):
        y = torch.from_numpy(texture()).permute(2, 0, 1)[None].float().repeat(2, 1, 1, 1) / 255.0
        for codec in ("jpeg", "webp", "avif"):
            lc = {"codec": codec, "quality": [30, 30]}
            out, qs = lossy_lr.round_trip(y, lc, random.Random(0))
            self.assertEqual(tuple(out.shape), tuple(y.shape))
            self.assertEqual(qs, [30, 30])
            err = float((out - y).abs().mean())
            self.assertGreater(err, 0.0, codec)   # lossy
            self.assertLess(err, 0.1, codec)      # but close

    def test_fit_quality_never_exceeds_the_budget(self):
        a = texture(96, 128, 1)
        for codec in ("jpeg", "webp", "avif"):
            lc = {"codec": codec}
            big = len(lossy_lr.encode(a, 90, lc)) + lossy_lr.CONTAINER_OVERHEAD[codec]
            q, data = lossy_lr.fit_quality(a, big // 2, lc)
            self.assertIsNotNone(q, codec)
            self.assertLessEqual(len(data) + lossy_lr.CONTAINER_OVERHEAD[codec], big // 2)
            self.assertEqual(lossy_lr.decode(data).shape, a.shape)
            self.assertEqual(lossy_lr.fit_quality(a, 10, lc), (None, None))

    def test_unknown_codec_is_refused(self):
        with self.assertRaises(ValueError):
            lossy_lr.encode(texture(), 50, {"codec": "heic"})

    def test_avif_follows_the_runtime_settings(self):
        # lr_codec.cpp's quality -> quantizer; a gray thumbnail is coded 4:0:0 and decodes gray.
        self.assertEqual([lossy_lr.avif_quantizer(q) for q in (100, 90, 50, 1)], [0, 6, 32, 62])
        a = texture(64, 64, 2)
        self.assertTrue(lossy_lr.is_avif(lossy_lr.avif_encode(a, 50)))
        gray = np.repeat(a[..., :1], 3, axis=2)
        back = lossy_lr.avif_decode(lossy_lr.avif_encode(gray, 50))
        self.assertTrue(np.array_equal(back[..., 0], back[..., 1]) and np.array_equal(back[..., 1], back[..., 2]))


if __name__ == "__main__":
    unittest.main()
