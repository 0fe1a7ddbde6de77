"""Fast CPU tests of the enhancer's training helpers (no third-party weights needed).

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m unittest tests.test_enhancer -v
"""
import json
import os
import unittest

import torch
import torch.nn as nn

from tadm_train import enhancer, latent_prior, taef2
from tadm_train.data import dihedral
from tadm_train.export import hint_t_per_unit

torch.set_num_threads(1)


def small_enhancer() -> enhancer.Enhancer:
    cfg = {"enhancer": {"tpm": {"ch": 8, "blocks": 1, "t_min": 10.0, "t_max": 900.0, "t_init": 400.0},
                        "refiner": {"ch": 16, "blocks": 1, "temb": 32, "groups": 8}}}
    prior = {"model": {"channels": [16, 32], "blocks": 1, "temb": 32, "groups": 8}}
    return enhancer.build(cfg, prior).eval()


class ToPixels(nn.Module):
    """A stand-in for TAEF2's decoder: the first three latent channels, 8x nearest."""

    def forward(self, z):
        return torch.nn.functional.interpolate(z[:, :3], scale_factor=8, mode="nearest")


def best_t(enh, zh, x, dec, cands, tau):
    """tpm_fit's target for pixel MSE alone."""
    return enhancer.soft_best_t(enhancer.weighted_loss(enhancer.candidate_terms(enh, zh, x, dec, None, cands),
                                                       {"pix": 1.0}), cands, tau)


class TestTPMTargets(unittest.TestCase):
    def test_target_is_the_candidate_that_decodes_best(self):
        torch.manual_seed(0)
        enh, dec = small_enhancer(), ToPixels()
        zh = torch.randn(3, taef2.LATENT_CHANNELS, 8, 8)
        cands = [100, 200, 300, 400, 650]
        for best in (200, 650):
            with torch.no_grad():  # pixels that the enhancer at t = best reproduces exactly
                x = dec(enh(zh, torch.full((3,), float(best)))[0])
            t = best_t(enh, zh, x, dec, cands, 0.01)
            self.assertEqual(t.shape, (3,))
            torch.testing.assert_close(t, torch.full((3,), float(best)), rtol=1e-3, atol=0.0)

    def test_losses_are_the_candidates_own(self):
        torch.manual_seed(2)
        enh, dec = small_enhancer(), ToPixels()
        zh, x = torch.randn(2, taef2.LATENT_CHANNELS, 8, 8), torch.rand(2, 3, 64, 64)
        cands = [100, 400, 650]
        terms = enhancer.candidate_terms(enh, zh, x, dec, None, cands)
        L = enhancer.weighted_loss(terms, {"pix": 2.0})
        t = enhancer.soft_best_t(L, cands, 0.01)
        self.assertEqual(tuple(L.shape), (2, 3))
        with torch.no_grad():
            rec = dec(enh(zh, torch.full((2,), 400.0))[0])
        torch.testing.assert_close(L[:, 1], 2.0 * ((rec - x) ** 2).mean((1, 2, 3)))
        torch.testing.assert_close(t, torch.tensor([float(cands[i]) for i in L.argmin(1)]), rtol=1e-2, atol=0.0)

    def test_tpm_features_by_kind(self):
        zh, z = torch.randn(2, 32, 4, 4), torch.randn(2, 32, 4, 4)
        self.assertIs(enhancer.tpm_features(zh, None, "reconstructed"), zh)
        self.assertIs(enhancer.tpm_features(zh, z, "original"), z)
        both = enhancer.tpm_features(zh, z, "both")
        torch.testing.assert_close(both, torch.cat([zh, z - zh], 1))
        with self.assertRaises(ValueError):
            enhancer.tpm_features(zh, None, "both")
        with self.assertRaises(ValueError):
            enhancer.tpm_features(zh, z, "pixels")
        tpm = enhancer.TimestepPredictor(ch=8, blocks=1, t_max=900.0, in_ch=64)
        self.assertEqual(tuple(tpm(both).shape), (2,))

    def test_soft_target_stays_within_the_candidates(self):
        torch.manual_seed(1)
        enh, dec = small_enhancer(), ToPixels()
        zh, x = torch.randn(2, taef2.LATENT_CHANNELS, 8, 8), torch.rand(2, 3, 64, 64)
        t = best_t(enh, zh, x, dec, [100, 400], 10.0)
        self.assertTrue(bool(((t >= 100) & (t <= 400)).all()), t)


class TestReconstructedLatent(unittest.TestCase):
    def test_gradients_reach_the_head_alone(self):
        # "train_head": G_d trains through the real 8-bit thumbnail; G_e and F (the bytes) stay
        from tadm_train import dfrm
        net = dfrm.LatentRescaler(16, ch=16, guide_ch=4, enc_blocks=1, fuse_blocks=1, dec_blocks=1,
                                  latent_ch=16, latent_blocks=1, inn_blocks=2, inn_hidden=8)
        for p in net.parameters():
            p.requires_grad_(False)
        for p in net.head.parameters():
            p.requires_grad_(True)
        g = torch.Generator().manual_seed(0)
        x = torch.rand(1, 3, 64, 64, generator=g)
        z = torch.randn(1, taef2.LATENT_CHANNELS, 8, 8, generator=g)
        zh = enhancer.reconstructed_latent(net, x, z)
        self.assertEqual(tuple(zh.shape), (1, taef2.LATENT_CHANNELS, 8, 8))
        zh.square().mean().backward()
        self.assertTrue(all(p.grad is not None for p in net.head.parameters()))
        self.assertTrue(all(p.grad is None for n, p in net.named_parameters() if not n.startswith(("head.", "decoder.head."))))
        # the same latent the bundle's decoder side computes
        with torch.no_grad():
            ref = net.restore_latent(torch.round(net.thumbnail(x, z).clamp(0, 1) * 255) / 255)
        self.assertLess(float((zh.detach() - ref).abs().max()), 1e-5)

    def test_head_training_with_tpm_fit_is_refused(self):
        self.assertTrue(enhancer.head_training({"rescaler": {"train_head": True}}))
        self.assertFalse(enhancer.head_training({"rescaler": {}, "tpm_fit": {"windows": 8}}))
        with self.assertRaises(SystemExit) as e:
            enhancer.head_training({"_config_path": "configs/x.json", "rescaler": {"train_head": True},
                                    "tpm_fit": {"windows": 8}})
        self.assertIn("configs/x.json", str(e.exception))
        with self.assertRaises(SystemExit) as e:  # train.tpm_only also trains the TPM alone
            enhancer.head_training({"_config_path": "configs/y.json", "rescaler": {"train_head": True},
                                    "train": {"tpm_only": True}})
        self.assertIn("train.tpm_only", str(e.exception))


class TestHelpers(unittest.TestCase):
    def test_spread_timesteps_stay_in_range_and_pass_the_gradient(self):
        tpm = small_enhancer().tpm
        t = torch.full((4096,), 400.0, requires_grad=True)
        g = torch.Generator().manual_seed(0)
        self.assertIs(enhancer.spread_timesteps(t, 0.0, tpm, g), t)
        s = enhancer.spread_timesteps(t, 0.5, tpm, g)
        self.assertGreaterEqual(float(s.min()), tpm.t_min)
        self.assertLessEqual(float(s.max()), tpm.t_max)
        inside = (s > tpm.t_min) & (s < tpm.t_max)
        # log-normal around the TPM's t: median near it, spread near sigma in log t
        self.assertAlmostEqual(float(torch.log(s[inside] / 400.0).median()), 0.0, delta=0.05)
        self.assertAlmostEqual(float(torch.log(s / 400.0)[inside].std()), 0.5, delta=0.1)
        s.sum().backward()
        self.assertGreater(float(t.grad[inside].min()), 0.0)

    def test_dihedral_batched_equals_per_image(self):
        x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
        for r in range(8):
            per = torch.stack([dihedral(x[i], r) for i in range(2)])
            torch.testing.assert_close(dihedral(x, r), per)
        self.assertEqual(tuple(dihedral(x, 4).shape), (2, 3, 5, 4))

    def test_hint_step_fits_a_byte(self):
        self.assertEqual(hint_t_per_unit(400.0), 2.0)  # the step tadm16 0.3 shipped with
        for t_max in (400.0, 510.0, 511.0, 900.0, 1000.0):
            step = hint_t_per_unit(t_max)
            self.assertLessEqual(t_max / step, 255.0, t_max)
            self.assertGreaterEqual(step, 2.0)


class TestPatchDiscriminator(unittest.TestCase):
    def test_scores_patches_and_learns_to_tell_a_periodic_texture(self):
        torch.manual_seed(0)
        disc = enhancer.PatchDiscriminator(8)
        real = torch.rand(2, 3, 64, 64).mul(0.2).add(0.4)  # smooth-ish grey
        yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
        grid = ((xx // 4 + yy // 4) % 2).float().expand(2, 3, 64, 64) * 0.4 + 0.3  # a 4 px checker
        self.assertEqual(tuple(disc(real).shape), (2, 1, 8, 8))
        opt = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.99))
        first = float(enhancer.adversarial_step(disc, opt, real, grid))
        for _ in range(30):
            last = float(enhancer.adversarial_step(disc, opt, real, grid))
        self.assertLess(last, first)
        self.assertGreater(float(disc(real).mean()), float(disc(grid).mean()))

    def test_hinge_loss_is_zero_when_margins_hold(self):
        self.assertEqual(float(enhancer.hinge_d_loss(torch.full((4,), 2.0), torch.full((4,), -3.0))), 0.0)
        self.assertAlmostEqual(float(enhancer.hinge_d_loss(torch.zeros(4), torch.zeros(4))), 2.0)


class TestWeightsFromBundle(unittest.TestCase):
    """A new machine has no run cache: the next stage starts from the committed bundle."""

    def test_tadm16_enhancer_loads_into_its_architecture(self):
        bundle = os.path.join(os.path.dirname(__file__), "..", "bundles", "tadm16")
        with open(os.path.join(bundle, "manifest.json")) as f:
            tr = json.load(f)["enhancer"]["training"]
        with open(os.path.join(os.path.dirname(__file__), "..", tr["prior"]["config"])) as f:
            prior = json.load(f)
        enh = enhancer.build({"enhancer": tr["enhancer"]}, prior)
        sd = enhancer.load_weights(bundle)
        self.assertTrue(all(v.dtype == torch.float32 for v in sd.values()))
        enh.load_state_dict(sd)  # strict: every weight present, nothing extra

    def test_bundle_without_enhancer_is_refused(self):
        bundle = os.path.join(os.path.dirname(__file__), "..", "bundles", "pix16")
        with self.assertRaisesRegex(SystemExit, "no enhancer"):
            enhancer.load_weights(bundle)


if __name__ == "__main__":
    unittest.main()
