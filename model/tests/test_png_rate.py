"""The differentiable PNG-size estimate of rate-aware training (png_rate.py).

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m unittest tests.test_png_rate -v
"""
import glob
import os
import unittest

import numpy as np
import torch

from tadm_train import REPO_ROOT, png_rate
from tadm_train.data import load_rgb
from tadm_train.evaluate import pad_edge, to_t, to_u8
from tadm_train.models import BicubicDown

torch.set_num_threads(1)
KODAK = sorted(glob.glob(os.path.join(REPO_ROOT, "..", "shared", "data", "kodak", "*.png")))


class TestPngRate(unittest.TestCase):
    def test_flat_is_cheaper_than_noise_and_gradients_flow(self):
        g = torch.Generator().manual_seed(0)
        flat = torch.full((1, 3, 32, 32), 128.0)
        noise = (torch.rand(1, 3, 32, 32, generator=g) * 255).round()
        self.assertLess(float(png_rate.estimate_bytes(flat)[0]), float(png_rate.estimate_bytes(noise)[0]) / 4)
        y = (torch.rand(2, 3, 16, 16, generator=g) * 255).requires_grad_(True)
        png_rate.estimate_bytes(y).sum().backward()
        self.assertTrue(torch.isfinite(y.grad).all())
        self.assertGreater(float(y.grad.abs().sum()), 0.0)

    def test_residuals_wrap_modulo_256(self):
        # 255 is a residual of -1 mod 256 even unfiltered: the None filter costs log2(2) for each
        # of the two 255s per channel (Sub would cost three), not log2(256)
        row = torch.tensor([[[[0.0, 255.0, 0.0, 255.0]]]]).repeat(1, 3, 1, 1)
        self.assertAlmostEqual(float(png_rate.residual_cost(row)[0]), 3 * 2 * 1.0, places=4)

    @unittest.skipUnless(KODAK, "Kodak images absent")
    def test_calibrated_on_real_png_files(self):
        """Within 15 % of the real PNG size of 16x Kodak thumbnails (not the calibration set)."""
        down = BicubicDown(16)
        errors = []
        for f in KODAK[:8]:
            with torch.no_grad():
                t = to_u8(down(to_t(pad_edge(load_rgb(f), 16))))
            est = float(png_rate.estimate_bytes(torch.from_numpy(t).permute(2, 0, 1)[None].float())[0])
            errors.append(abs(est - png_rate.png_size(t)) / png_rate.png_size(t))
        self.assertLess(max(errors), 0.15, errors)
        self.assertLess(float(np.median(errors)), 0.06, errors)


if __name__ == "__main__":
    unittest.main()
