"""tadm.dask_batch on a LocalCluster of two worker processes: a tree with a subfolder and one
corrupt file is encoded (the corrupt file listed, the others done, one model load per worker),
a second run skips everything done, a worker that dies takes only its file down, and the CLI
decodes the result (exit 1 with a failure)."""

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import tadm
from tadm import dask_batch

from test_module import KODAK, read

PHOTOS = ["kodim03.png", "kodim15.png", "kodim23.png"]
HAVE_PHOTOS = all(os.path.exists(os.path.join(KODAK, p)) for p in PHOTOS)


@unittest.skipUnless(HAVE_PHOTOS, f"Kodak photos missing in {KODAK}")
class DaskBatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from distributed import Client, LocalCluster
        cls.tmp = tempfile.TemporaryDirectory()
        root = cls.tmp.name
        cls.src = os.path.join(root, "in")
        os.makedirs(os.path.join(cls.src, "sub", "deeper"))
        shutil.copy(os.path.join(KODAK, PHOTOS[0]), os.path.join(cls.src, PHOTOS[0]))
        shutil.copy(os.path.join(KODAK, PHOTOS[1]), os.path.join(cls.src, "sub", PHOTOS[1]))
        shutil.copy(os.path.join(KODAK, PHOTOS[2]), os.path.join(cls.src, "sub", "deeper", PHOTOS[2]))
        with open(os.path.join(cls.src, "sub", "broken.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # a PNG signature, then nothing valid
        with open(os.path.join(cls.src, "notes.txt"), "w") as f:
            f.write("not an image: ignored\n")
        cls.out = os.path.join(root, "out")
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        cls.client = Client(cls.cluster)
        cls.options = {"model": "classic", "threads": 1}

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()
        cls.tmp.cleanup()

    def test_1_encode_tree(self):
        report = dask_batch.run("encode", self.src, self.out, self.client, self.options, max_in_flight=2)
        self.assertEqual(report.done, 3, report.failed)
        self.assertEqual(report.skipped, 0)
        self.assertEqual(len(report.failed), 1)
        failed, message = report.failed[0]
        self.assertTrue(failed.endswith(os.path.join("sub", "broken.png")))
        self.assertIn("CORRUPT", message)
        expected = ["kodim03.tadm", os.path.join("sub", "kodim15.tadm"),
                    os.path.join("sub", "deeper", "kodim23.tadm")]
        found = sorted(os.path.relpath(os.path.join(d, f), self.out)
                       for d, _, files in os.walk(self.out) for f in files)
        self.assertEqual(found, sorted(expected))  # no temporary files left, no output for broken
        info = tadm.info(os.path.join(self.out, expected[2]))
        self.assertEqual((info["width"], info["height"], info["model"]["name"]), (768, 512, "classic"))
        # The model was loaded once per worker, not once per file.
        loads = self.client.run(dask_batch.loads_in_this_process)
        self.assertEqual(len(loads), 2)
        self.assertTrue(all(n <= 1 for n in loads.values()), loads)
        self.assertGreaterEqual(sum(loads.values()), 1)

    def test_2_second_run_skips(self):
        # An incomplete output (as a non-atomic writer might leave) is redone, not skipped.
        victim = os.path.join(self.out, "kodim03.tadm")
        with open(victim, "rb") as f:
            whole = f.read()
        with open(victim, "wb") as f:
            f.write(whole[: len(whole) // 2])
        report = dask_batch.run("encode", self.src, self.out, self.client, self.options)
        self.assertEqual((report.done, report.skipped), (1, 2))
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), whole)
        report = dask_batch.run("encode", self.src, self.out, self.client, self.options)
        self.assertEqual((report.done, report.skipped), (0, 3))
        self.assertEqual([os.path.basename(p) for p, _ in report.failed], ["broken.png"])

    def test_4_a_dying_worker_is_a_listed_failure(self):
        # A task that takes its worker process down (as a crash or the OOM killer would): the run
        # goes on and lists that file as failed. Dask may also fail tasks that were queued on the
        # dying worker (KilledWorker); those are listed the same way, and a second run, as for any
        # failure, finishes them. Its own cluster, so that the scheduler gives up on the first
        # death instead of retrying on the other workers.
        import dask
        from distributed import Client, LocalCluster

        victim = PHOTOS[1]

        def crashing(mode, options, src, dst):
            if os.path.basename(src) == victim:
                os._exit(70)
            return dask_batch.process_file(mode, options, src, dst)

        out = os.path.join(self.tmp.name, "out-dying")
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
                report = dask_batch.run("encode", self.src, out, client, self.options, task=crashing)
        failed = {os.path.basename(p): m for p, m in report.failed}
        self.assertIn(victim, failed)
        self.assertIn("task failed", failed[victim])
        self.assertIn("broken.png", failed)
        for name, message in failed.items():
            if name != "broken.png":
                self.assertIn("task failed", message, name)
        self.assertEqual(report.done + report.skipped + len(failed), len(PHOTOS) + 1)
        self.assertFalse([n for _, _, files in os.walk(out) for n in files if not n.endswith(".tadm")])
        # Again, without the crash: everything but the corrupt file is done.
        report = dask_batch.run("encode", self.src, out, self.client, self.options)
        self.assertEqual([os.path.basename(p) for p, _ in report.failed], ["broken.png"])
        self.assertEqual(sum(n.endswith(".tadm") for _, _, files in os.walk(out) for n in files), len(PHOTOS))

    def test_3_cli_decode(self):
        with open(os.path.join(self.out, "sub", "cut.tadm"), "wb") as f:
            f.write(b"\x89TADM\r\n\x1a\n\0\0")
        decoded = os.path.join(self.tmp.name, "decoded")
        failures = os.path.join(self.tmp.name, "failures.tsv")
        env = dict(os.environ)
        cmd = [sys.executable, "-m", "tadm.dask_batch", "decode", self.out, decoded,
               "--scheduler", self.cluster.scheduler_address, "--threads", "1", "-q",
               "--failures", failures]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("3 done", r.stdout, r.stderr)
        self.assertIn("cut.tadm", r.stderr)
        with open(failures) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertIn("CORRUPT", lines[0])
        png = os.path.join(decoded, "sub", "deeper", "kodim23.png")
        pixels = tadm._tadm.read_image(read(png))[0]
        np.testing.assert_array_equal(pixels, tadm.decode(os.path.join(self.out, "sub", "deeper", "kodim23.tadm")))
        # Again: everything complete is skipped; the damaged file still fails.
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("0 done, 3 skipped", r.stdout)
        # A bad invocation is a usage error.
        r = subprocess.run([sys.executable, "-m", "tadm.dask_batch", "encode", self.src, decoded],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
