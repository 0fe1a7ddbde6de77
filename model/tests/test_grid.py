"""The thumbnail-grid texture statistics (tadm_train.grid) on synthetic images.

    cd model && /usr/bin/python3 -m unittest tests.test_grid -v
"""
import os
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from tadm_train import grid

P = 16


def photo(seed: int = 0, size: int = 256) -> torch.Tensor:
    """A smooth gradient with fine noise: detail that does not follow any grid."""
    g = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    base = 0.3 + 0.4 * (0.6 * x + 0.4 * y)
    return (base + 0.05 * torch.randn(3, size, size, generator=g)).clamp(0, 1)[None].double()


def cell_pattern(size: int = 256) -> torch.Tensor:
    """A fixed pattern repeated in every 16 px cell."""
    g = torch.Generator().manual_seed(7)
    return torch.randn(1, 3, P, P, generator=g).double().repeat(1, 1, size // P, size // P)


class GridTest(unittest.TestCase):
    def test_clean_restorations_score_near_zero(self):
        ref = photo(0)
        e, m = grid.grid_terms(ref, ref, P)
        self.assertLess(float(e), 1e-9)
        self.assertLess(float(m), 0.01)  # sampling noise: about 1 / (14 x 14 cells)
        # other detail of the same strength, still not on the grid: a little noise, no more
        e, m = grid.grid_terms(photo(1), ref, P)
        self.assertLess(float(e), 0.02)
        self.assertLess(float(m), 0.02)

    def test_additive_pattern_shows_in_the_mean_term(self):
        ref = photo(0)
        e, m = grid.grid_terms(ref + 0.02 * cell_pattern(), ref, P)
        self.assertGreater(float(m), 0.05)

    def test_detail_drawn_at_some_places_of_each_cell_shows_in_the_energy_term(self):
        ref = photo(0)
        # the same detail, but four times stronger in one half of every cell than in the other
        gain = torch.ones(1, 1, P, P, dtype=torch.float64)
        gain[..., : P // 2, :] = 2.0
        gain[..., P // 2:, :] = 0.5
        mean = torch.nn.functional.avg_pool2d(ref, 9, stride=1, padding=4, count_include_pad=False)
        out = mean + (ref - mean) * gain.repeat(1, 1, 256 // P, 256 // P)
        e, _ = grid.grid_terms(out, ref, P)
        e0, _ = grid.grid_terms(photo(1), ref, P)
        self.assertGreater(float(e), 0.2)
        self.assertGreater(float(e), 10 * float(e0))

    def test_blur_alone_is_not_rewarded_or_punished_much(self):
        ref = photo(0)
        blurred = torch.nn.functional.avg_pool2d(ref, 5, stride=1, padding=2, count_include_pad=False)
        self.assertLess(float(grid.grid_loss(blurred, ref, P)), 0.05)

    def test_shifts_align_each_window_to_its_grid(self):
        big = photo(0, 272) + 0.02 * cell_pattern(272 + P)[..., :272, :272]
        ref = photo(0, 272)
        # two windows of one batch, the second cut 8 px off the grid: told so, their patterns add up
        out = torch.cat([big[..., :256, :256], big[..., :256, 8:264]])
        tgt = torch.cat([ref[..., :256, :256], ref[..., :256, 8:264]])
        _, right = grid.grid_terms(out, tgt, P, [(0, 0), (0, 8)])
        _, wrong = grid.grid_terms(out, tgt, P, [(0, 0), (0, 0)])
        self.assertGreater(float(right), 1.5 * float(wrong))

    def test_loss_has_gradients_that_remove_the_pattern(self):
        ref = photo(0).float()
        out = (ref + 0.02 * cell_pattern().float()).requires_grad_(True)
        opt = torch.optim.Adam([out], lr=2e-3)
        first = None
        for _ in range(30):
            loss = grid.grid_loss(out, ref, P)
            first = float(loss) if first is None else first
            opt.zero_grad()
            loss.backward()
            opt.step()
        self.assertLess(float(grid.grid_loss(out, ref, P)), 0.5 * first)

    def test_score_refuses_what_it_cannot_measure(self):
        a = np.zeros((64, 64, 3), np.uint8)
        with self.assertRaisesRegex(ValueError, "sizes differ"):
            grid.grid_score(a, np.zeros((64, 32, 3), np.uint8), P)
        with self.assertRaisesRegex(ValueError, "no whole 16 px cell"):
            grid.grid_score(a[:8, :8], a[:8, :8], P)

    def test_command_line_matches_originals_by_name(self):
        ref = (photo(0)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "orig"))
            Image.fromarray(ref).save(os.path.join(d, "orig", "a.png"))
            Image.fromarray(ref).save(os.path.join(d, "a.tadm16.png"))
            self.assertEqual(grid.main(["--period", "16", "--ref", os.path.join(d, "orig"),
                                        os.path.join(d, "a.tadm16.png")]), 0)
            self.assertEqual(grid.main(["--period", "16", "--ref", os.path.join(d, "orig"),
                                        os.path.join(d, "b.png")]), 1)


if __name__ == "__main__":
    unittest.main()
