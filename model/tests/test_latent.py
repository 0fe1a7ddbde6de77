"""Fast CPU tests of the latent family's Python parts (TAEF2, LPIPS-squeeze, latent cache, prior).

    cd model && OMP_NUM_THREADS=1 /usr/bin/python3 -m unittest discover -s tests -t . -v

Tests that need the third-party weights skip with a message when their folder is absent.
"""
import os
import shutil
import signal
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from tadm_train import REPO_ROOT, latent_cache, latent_prior, lpips, taef2
from tadm_train.metrics import psnr

torch.set_num_threads(1)
HAVE_TAEF2 = os.path.isdir(taef2.weights_dir())
HAVE_LPIPS = os.path.isdir(lpips.weights_dir())
KODAK = os.path.join(REPO_ROOT, "..", "shared", "data", "kodak", "kodim23.png")


@unittest.skipUnless(HAVE_TAEF2, f"TAEF2 weights folder {taef2.weights_dir()} absent")
class TestTAEF2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.enc, cls.dec = taef2.load()

    def test_shapes_and_frozen(self):
        z = self.enc(torch.rand(2, 3, 64, 48))
        self.assertEqual(tuple(z.shape), (2, 32, 8, 6))
        self.assertEqual(tuple(self.dec(z).shape), (2, 3, 64, 48))
        self.assertFalse(any(p.requires_grad for p in self.enc.parameters()))
        self.assertFalse(self.dec.training)

    def test_round_trip_64(self):
        if not os.path.exists(KODAK):
            self.skipTest("kodim23.png absent")
        a = np.array(Image.open(KODAK).convert("RGB"))[200:264, 300:364]
        rec, z = taef2.round_trip(self.enc, self.dec, a)
        self.assertEqual(rec.shape, a.shape)
        self.assertGreater(psnr(a, rec), 25.0)  # whole-Kodak mean is 30.14 dB
        self.assertLess(float(z.abs().max()), 10.0)

    def test_u8_storage(self):
        z = torch.linspace(-4, 4, 101)
        u = taef2.latent_to_u8(z)
        self.assertEqual(u.dtype, torch.uint8)
        self.assertEqual(int(u[0]), 0)
        self.assertEqual(int(u[-1]), 255)
        inside = z.abs() <= 3
        self.assertLessEqual(float((taef2.u8_to_latent(u) - z)[inside].abs().max()), 6 / 255 / 2 + 1e-6)

    def test_scriptable(self):
        x = torch.rand(1, 3, 32, 32)
        self.assertTrue(torch.allclose(torch.jit.script(self.enc)(x), self.enc(x), atol=1e-5))


class TestTAEF2Refusal(unittest.TestCase):
    def test_missing_and_wrong_hash(self):
        d = tempfile.mkdtemp()
        try:
            with self.assertRaises(taef2.WeightsError) as cm:
                taef2.load_encoder(d)
            self.assertIn(d, str(cm.exception))
            self.assertIn(taef2.SHA256["taef2_encoder.pth"], str(cm.exception))
            with open(os.path.join(d, "taef2_decoder.pth"), "wb") as f:
                f.write(b"not the weights")
            with self.assertRaises(taef2.WeightsError) as cm:
                taef2.load_decoder(d)
            self.assertIn(taef2.SHA256["taef2_decoder.pth"], str(cm.exception))
            self.assertIn("refusing", str(cm.exception))
        finally:
            shutil.rmtree(d)


@unittest.skipUnless(HAVE_LPIPS, f"LPIPS-squeeze folder {lpips.weights_dir()} absent")
class TestLPIPS(unittest.TestCase):
    def test_reference_examples(self):
        d = lpips.weights_dir()
        m = lpips.load()
        ref = np.array(Image.open(os.path.join(d, "ex_ref.png")).convert("RGB"))
        p0 = np.array(Image.open(os.path.join(d, "ex_p0.png")).convert("RGB"))
        self.assertAlmostEqual(lpips.lpips(ref, p0, m), 0.7110, places=4)
        self.assertEqual(lpips.lpips(ref, ref, m), 0.0)

    def test_gradient_reaches_input(self):
        m = lpips.load()
        x = torch.rand(1, 3, 32, 32, requires_grad=True)
        m(x, torch.rand(1, 3, 32, 32), normalize=True).sum().backward()
        self.assertGreater(float(x.grad.abs().sum()), 0.0)


class TestPrior(unittest.TestCase):
    def test_schedule(self):
        ab = latent_prior.cosine_alpha_bar(1000)
        self.assertEqual(ab.shape[0], 1000)
        self.assertTrue(bool((ab[1:] <= ab[:-1]).all()))
        self.assertGreater(float(ab[0]), 0.999)
        self.assertLess(float(ab[-1]), 1e-4)

    def test_v_parameterisation_inverts(self):
        cfg = {"model": {"channels": [16, 32], "blocks": 1, "temb": 32, "groups": 8}}
        diff = latent_prior.Diffusion(cfg)
        z0, eps = torch.randn(3, 32, 4, 4), torch.randn(3, 32, 4, 4)
        t = torch.tensor([0, 500, 999])
        zt, v = diff.noise(z0, t, eps)
        a, s = diff.coefs(t)
        self.assertTrue(torch.allclose(a * zt - s * v, z0, atol=1e-5))

    def test_unet(self):
        cfg = {"model": {"channels": [16, 32], "blocks": 1, "temb": 32, "groups": 8}}
        net = latent_prior.build(cfg)
        z, t = torch.randn(2, 32, 8, 12), torch.tensor([3, 900])
        out = net(z, t)
        self.assertEqual(out.shape, z.shape)
        self.assertEqual(float(out.abs().max()), 0.0)  # zero-initialised output layer
        for p in net.parameters():
            p.data.normal_(0, 0.05)
        self.assertTrue(torch.allclose(torch.jit.script(net)(z, t), net(z, t), atol=1e-5))


@unittest.skipUnless(HAVE_TAEF2, "TAEF2 weights folder absent")
class TestLatentCache(unittest.TestCase):
    def test_build_resume_positions(self):
        d = tempfile.mkdtemp()
        try:
            img = os.path.join(d, "img")
            os.makedirs(img)
            g = np.random.default_rng(0)
            for i in range(2):
                Image.fromarray(g.integers(0, 256, (80, 96, 3), dtype=np.uint8)).save(os.path.join(img, f"{i}.png"))
            s = dict(latent_cache.DEFAULTS, folders=[img], extra_scales=[], crop=32, shard_size=3, shards=2,
                     encode_batch=1)
            quiet = lambda m: None  # noqa: E731
            out = latent_cache.build(s, os.path.join(d, "c1"), max_minutes=0.0, log=quiet)  # stops after 1 crop
            self.assertEqual(torch.load(latent_cache.shard_path(out, 0))["latents"].shape[0], 1)
            # a signal stops the fill after the running batch, keeps it, and ends the process
            # (a training run must not go on with a partial cache)
            def term(m):
                if "to fill" in m:
                    os.kill(os.getpid(), signal.SIGTERM)
            with self.assertRaisesRegex(SystemExit, "stopped by a signal"):
                latent_cache.build(s, os.path.join(d, "c3"), log=term)
            self.assertEqual(torch.load(latent_cache.shard_path(latent_cache.cache_dir_for(s, os.path.join(d, "c3")), 0))
                             ["latents"].shape[0], 1)
            self.assertIs(signal.getsignal(signal.SIGTERM), signal.SIG_DFL)
            latent_cache.build(s, os.path.join(d, "c1"), log=quiet)  # resume
            ref = latent_cache.build(s, os.path.join(d, "c2"), log=quiet)  # uninterrupted
            a, b = latent_cache.LatentCrops(out), latent_cache.LatentCrops(ref)
            self.assertEqual(len(a), 6)
            self.assertTrue(torch.equal(a.meta, b.meta))
            self.assertTrue(torch.allclose(a.latents.float(), b.latents.float(), atol=2e-3))
            # the stored position gives back the encoded pixels
            a.images = latent_cache.load_images(s, os.path.join(d, "c1"))
            z = taef2.load_encoder()(a.rgb([(4, 0, 0)], 4).float() / 255.0)
            self.assertLess(float((z - a.latents[4:5].float()).abs().max()), 2e-2)
            zs, pos = a.sample(2, 2, torch.Generator().manual_seed(0))
            self.assertEqual(tuple(zs.shape), (2, 32, 2, 2))
            self.assertEqual(tuple(a.rgb(pos, 2).shape), (2, 3, 16, 16))
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
