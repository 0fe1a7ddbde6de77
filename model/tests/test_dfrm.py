"""The latent rescaler (dfrm.py) and its bundle export: invertibility, the real 8-bit path, losses
that reach every trained part, and an exported bundle that computes what the eager model does once
the runtime fills in TAEF2's weights.

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m unittest tests.test_dfrm -v
"""
import argparse
import json
import os
import tempfile
import unittest

import numpy as np
import torch

from tadm_train import dfrm, enhancer, evaluate, export, latent_prior, taef2

torch.set_num_threads(1)
HAVE_TAEF2 = os.path.isdir(taef2.weights_dir())


def small_cfg(scale: int = 16) -> dict:
    return {"name": "dfrm-test", "family": "latent-rescaler", "scale": scale,
            "model": {"ch": 16, "guide_ch": 8, "enc_blocks": 1, "fuse_blocks": 1, "dec_blocks": 1,
                      "latent_ch": 16, "latent_blocks": 1, "inn_blocks": 3, "inn_hidden": 8}}


def randomized(net: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Perturb every weight (the zero-initialised ones too), so F is not the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return net


class TestInvertible(unittest.TestCase):
    def test_inverse_is_exact(self):
        inn = randomized(dfrm.Invertible(6, 8, 1.0))
        f = torch.rand(2, 3, 9, 7)
        y = inn(f)
        self.assertGreater(float((y - f).abs().max()), 1e-3)  # not the identity
        self.assertLess(float((inn.inverse(y) - f).abs().max()), 1e-5)

    def test_every_channel_is_transformed(self):
        inn = randomized(dfrm.Invertible(3, 8, 1.0), seed=1)
        f = torch.rand(1, 3, 8, 8)
        d = (inn(f) - f).abs().amax((0, 2, 3))
        self.assertTrue(bool((d > 1e-4).all()), d)


class TestLatentRescaler(unittest.TestCase):
    def test_shapes_and_start(self):
        for s in (16, 32):
            net = dfrm.build(small_cfg(s))
            x = torch.rand(1, 3, 2 * s, 3 * s)
            z = torch.randn(1, 32, 2 * s // 8, 3 * s // 8)
            y = net.thumbnail(x, z)
            self.assertEqual(tuple(y.shape), (1, 3, 2, 3))
            # untrained: F is the identity and the fusion's output conv is zero -> the bicubic thumbnail
            self.assertLess(float((y - net.bicubic(x)).abs().max()), 1e-6)
            self.assertEqual(tuple(net.restore_latent(y).shape), tuple(z.shape))

    def test_losses_reach_every_trained_part(self):
        net = randomized(dfrm.build(small_cfg()))
        dec = torch.nn.Conv2d(32, 3, 1)  # stands in for TAEF2's decoder (the shapes are what matter here)
        dec = torch.nn.Sequential(torch.nn.Upsample(scale_factor=8.0), dec)
        for p in dec.parameters():
            p.requires_grad_(False)
        x = torch.rand(2, 3, 64, 64)
        z = torch.randn(2, 32, 8, 8)
        W = {"thumb": 1.0, "z": 1.0, "pix": 1.0}
        terms = dfrm.losses(net, dec, None, x, z, W, 4, torch.Generator().manual_seed(0))
        self.assertTrue(all(torch.isfinite(v) for v in terms.values()))
        terms["total"].backward()
        for name in ("encoder.latent", "encoder.guide", "encoder.fuse_out", "inn.blocks", "decoder.head"):
            g = sum(float(p.grad.abs().sum()) for n, p in net.named_parameters() if n.startswith(name) and p.grad is not None)
            self.assertGreater(g, 0.0, name)


class TestEnhancer(unittest.TestCase):
    def make(self):
        prior_cfg = {"model": {"channels": [16, 32], "blocks": 1, "temb": 32, "groups": 8}}
        cfg = {"enhancer": {"tpm": {"ch": 8, "blocks": 1, "t_min": 10.0, "t_max": 400.0, "t_init": 100.0},
                            "refiner": {"ch": 16, "blocks": 1, "temb": 32, "groups": 8}}}
        return enhancer.build(cfg, prior_cfg)

    def test_schedule_matches_the_table(self):
        ab = latent_prior.cosine_alpha_bar(1000)
        t = torch.tensor([0.0, 10.0, 100.0, 400.0])
        self.assertLess(float((enhancer.cosine_ab(t) - ab[t.long()]).abs().max()), 2e-3)

    def test_start_and_gradients(self):
        enh = self.make()
        z = torch.randn(2, 32, 6, 10)
        out, t = enh(z)
        self.assertEqual(tuple(out.shape), tuple(z.shape))
        self.assertTrue(torch.allclose(t, torch.full((2,), 100.0), atol=1.0), t)  # every tile at t_init
        same, _ = enh(z, refine=False)
        self.assertTrue(torch.allclose(out, same))  # R is zero at the start
        fixed, tf = enh(z, torch.full((2,), 250.0))
        self.assertTrue(torch.equal(tf, torch.full((2,), 250.0)))
        randomized(enh, seed=3)
        out, t = enh(z)
        out.square().mean().backward()
        for part in ("tpm", "refiner", "unet"):
            g = sum(float(p.grad.abs().sum()) for n, p in enh.named_parameters() if n.startswith(part) and p.grad is not None)
            self.assertGreater(g, 0.0, part)


@unittest.skipUnless(HAVE_TAEF2, f"TAEF2 weights folder {taef2.weights_dir()} absent")
class TestExport(unittest.TestCase):
    def test_bundle_leaves_taef2_out_and_matches_eager(self):
        cfg = small_cfg()
        net = randomized(dfrm.build(cfg))
        with tempfile.TemporaryDirectory() as d:
            ck_path = os.path.join(d, "ck.pt")
            torch.save({"config": cfg, "family": "latent-rescaler", "dfrm": net.state_dict(), "step": 7}, ck_path)
            out = os.path.join(d, "tadm16")
            # export_latent verifies the scripted modules, with TAEF2 filled in, against eager ones
            export.main(["--checkpoint", ck_path, "--name", "tadm16", "--version", "t", "--out", out,
                         "--lr-tile", "32", "--weights", "raw"])
            with open(os.path.join(out, "manifest.json")) as f:
                man = json.load(f)
            self.assertEqual(man["family"], "latent-rescaler")
            self.assertEqual([f["sha256"] for f in man["base_weights"]["files"]],
                             [taef2.SHA256["taef2_encoder.pth"], taef2.SHA256["taef2_decoder.pth"]])
            # TAEF2's 1.34 M parameters per side are not in the files, only empty placeholders
            for side, prefix in (("encoder", "m.enc."), ("decoder", "m.dec.")):
                m = torch.jit.load(os.path.join(out, side + ".pt"))
                base = [p for n, p in m.named_parameters() if n.startswith(prefix)]
                self.assertGreater(len(base), 50)
                self.assertTrue(all(p.numel() == 0 for p in base))
                self.assertLess(os.path.getsize(os.path.join(out, side + ".pt")), 1_000_000)
            # evaluate.py loads it as the C++ runtime does (placeholders filled) and runs the real path
            codec, _ = evaluate.load_bundle(out)
            a = (np.random.default_rng(0).random((40, 56, 3)) * 255).astype(np.uint8)
            lr = codec.encode(a)
            self.assertEqual(lr.shape, (3, 4, 3))
            self.assertEqual(codec.decode(lr, 40, 56).shape, (40, 56, 3))
            # the enhancer's trainer reads the rescaler back out of the bundle
            back = dfrm.load_net_from_bundle(out)
            for k, v in net.state_dict().items():
                self.assertLess(float((back.state_dict()[k] - v.to(torch.float16).float()).abs().max()), 1e-6, k)

    def test_enhanced_bundle_runs_the_enhancer_and_gives_timesteps(self):
        cfg = small_cfg()
        net = randomized(dfrm.build(cfg))
        prior_cfg = {"model": {"channels": [16, 32], "blocks": 1, "temb": 32, "groups": 8}}
        ecfg = {"name": "enh-test", "family": "latent-enhancer",
                "enhancer": {"tpm": {"ch": 8, "blocks": 1, "t_min": 10.0, "t_max": 400.0, "t_init": 100.0},
                             "refiner": {"ch": 16, "blocks": 1, "temb": 32, "groups": 8}},
                "loss": {"pix": 1.0}, "prior": {"config": "none"}}
        enh = randomized(enhancer.build(ecfg, prior_cfg), seed=5)
        with tempfile.TemporaryDirectory() as d:
            rck = os.path.join(d, "rescaler.pt")
            torch.save({"config": cfg, "family": "latent-rescaler", "dfrm": net.state_dict(), "step": 7}, rck)
            ecfg["rescaler"] = {"checkpoint": rck}
            eck = os.path.join(d, "enh.pt")
            torch.save({"config": ecfg, "prior_config": prior_cfg, "family": "latent-enhancer", "step": 3,
                        "val": {"tpm": {"psnr": 20.0, "lpips": 0.3}}, "enhancer": enh.state_dict()}, eck)
            out = os.path.join(d, "tadm16")
            # verifies forward(x, t) for t < 0, > 0 and == 0 and timestep(x) against eager modules
            export.main(["--checkpoint", eck, "--name", "tadm16", "--version", "t", "--out", out,
                         "--lr-tile", "32", "--weights", "raw"])
            with open(os.path.join(out, "manifest.json")) as f:
                man = json.load(f)
            self.assertEqual(man["enhancer"]["hint"], {"kind": "timestep", "t_per_unit": 2.0, "tile_lr": 32})
            self.assertEqual((man["enhancer"]["t_min"], man["enhancer"]["t_max"]), (10.0, 400.0))
            self.assertEqual(man["training"]["model"], cfg["model"])
            codec, _ = evaluate.load_bundle(out)
            y = torch.round(torch.rand(1, 3, 4, 4) * 255) / 255
            with torch.no_grad():
                t = codec.dec.timestep(y)
                self.assertTrue(10.0 <= float(t) <= 400.0)
                own, at_t, off = (codec.dec(y, torch.tensor([v])) for v in (-1.0, float(t), 0.0))
            self.assertLess(float((own - at_t).abs().max()), 1e-4)  # the TPM's t, given or found
            self.assertGreater(float((own - off).abs().max()), 1e-3)  # the enhancer changes the picture
            # the rescaler's weights are where the enhancer's trainer looks for them
            back = dfrm.load_net_from_bundle(out)
            for k, v in net.state_dict().items():
                self.assertLess(float((back.state_dict()[k] - v.to(torch.float16).float()).abs().max()), 1e-6, k)


if __name__ == "__main__":
    unittest.main()
