"""The any-scale family's pyramid architecture (models.py, PyramidAnyScaleEncoder/Decoder).

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m unittest tests.test_any_scale -v
"""
import os
import unittest

import torch

from tadm_train import REPO_ROOT
from tadm_train.models import build_model, pyramid_levels
from tadm_train.train import load_init_weights

torch.set_num_threads(1)
PIX32 = os.path.join(REPO_ROOT, "model", "bundles", "pix32")
CFG = {"family": "any-scale", "model": {"arch": "pyramid", "enc_ch": 16, "enc_blocks": 2, "dec_ch": 16,
                                         "dec_blocks": 2, "up_channels": [16, 16, 8, 8, 8], "feat": 4, "hid": 8}}


class TestPyramidAnyScale(unittest.TestCase):
    def test_levels_follow_the_smaller_scale(self):
        self.assertEqual([pyramid_levels(s, s, 5) for s in (2, 3, 4, 7, 8, 16, 31, 32, 64)], [1, 1, 2, 2, 3, 4, 4, 5, 5])
        self.assertEqual(pyramid_levels(32, 8, 5), 3)

    def test_every_scale_gives_exact_sizes_and_scripts(self):
        torch.manual_seed(0)
        enc, dec = build_model(CFG)
        se, sd = torch.jit.script(enc.eval()), torch.jit.script(dec.eval())
        with torch.no_grad():
            for sx, sy in [(2, 2), (3, 5), (12, 12), (16, 16), (24, 16), (32, 8), (32, 32)]:
                x = torch.rand(1, 3, 3 * sy, 5 * sx)
                y = enc(x, sx, sy)
                self.assertEqual(tuple(y.shape), (1, 3, 3, 5))
                out = dec(y, sx, sy)
                self.assertEqual(tuple(out.shape), (1, 3, 3 * sy, 5 * sx))
                self.assertLess(float((se(x, sx, sy) - y).abs().max()), 1e-5)
                self.assertLess(float((sd(y, sx, sy) - out).abs().max()), 1e-5)

    @unittest.skipUnless(os.path.isdir(PIX32), "model/bundles/pix32 absent")
    def test_warm_start_from_pix32_is_pix32_at_32(self):
        cfg = {"family": "any-scale", "model": {"arch": "pyramid", "up_channels": [64, 64, 32, 16, 16]}}
        enc, dec = build_model(cfg)
        src = load_init_weights(PIX32)
        self.assertGreater(enc.init_from(src["encoder"]), 0)
        self.assertGreater(dec.init_from(src["decoder"]), 0)
        p_enc = torch.jit.load(os.path.join(PIX32, "encoder.pt")).float().eval()
        p_dec = torch.jit.load(os.path.join(PIX32, "decoder.pt")).float().eval()
        x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            y = enc.eval()(x, 32, 32)
            self.assertLess(float((y - p_enc(x)).abs().max()), 1e-4)
            yq = torch.round(y.clamp(0, 1) * 255) / 255
            self.assertLess(float((dec.eval()(yq, 32, 32) - p_dec(yq)).abs().max()), 1e-4)


if __name__ == "__main__":
    unittest.main()
