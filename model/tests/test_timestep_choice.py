"""The per-image timestep choice (tadm_train.timestep_choice) on hand-made evaluation CSVs.

    cd model && /usr/bin/python3 -m unittest tests.test_timestep_choice -v
"""
import os
import tempfile
import unittest

from tadm_train import timestep_choice

HEADER = "method,image,psnr,lpips\n"


def write(folder: str, name: str, rows) -> str:
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(HEADER + "".join(f'"{m}",{im},{p},{l}\n' for m, im, p, l in rows))
    return path


class TimestepChoiceTest(unittest.TestCase):
    def test_picks_lowest_lpips_then_weighs_mse(self):
        with tempfile.TemporaryDirectory() as d:
            # classic rows are ignored; "a" is sharper on image 1, "b" on image 2 but far lower in PSNR
            a = timestep_choice.load(write(d, "a.csv", [("classic x16", "1.png", 30, 0.9),
                                                       ("m (bundle), enhancer 50", "1.png", 20, 0.30),
                                                       ("m (bundle), enhancer 50", "2.png", 20, 0.40)]))
            b = timestep_choice.load(write(d, "b.csv", [("m (bundle), enhancer 600", "1.png", 19, 0.35),
                                                       ("m (bundle), enhancer 600", "2.png", 10, 0.38)]))
            self.assertEqual(a["1.png"], (20.0, 0.30))
            psnr, lpips, picks = timestep_choice.choose({"a": a, "b": b}, 0.0)
            self.assertEqual(picks, {"a": 1, "b": 1})
            self.assertAlmostEqual(lpips, (0.30 + 0.38) / 2)
            self.assertAlmostEqual(psnr, 15.0)
            # MSE 0.1 at 10 dB: a weight of 1 outweighs b's 0.02 LPIPS gain on image 2
            psnr, lpips, picks = timestep_choice.choose({"a": a, "b": b}, 1.0)
            self.assertEqual(picks, {"a": 2})
            self.assertAlmostEqual(psnr, 20.0)

    def test_csvs_without_a_common_image_are_refused(self):
        with self.assertRaises(SystemExit) as e:
            timestep_choice.choose({"a": {"1.png": (20.0, 0.3)}, "b": {"2.png": (20.0, 0.3)}}, 0.0)
        self.assertIn("share no image", str(e.exception))

    def test_csv_without_bundle_rows_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(SystemExit) as e:
                timestep_choice.load(write(d, "c.csv", [("classic x16", "1.png", 30, 0.9)]))
            self.assertIn("c.csv", str(e.exception))


if __name__ == "__main__":
    unittest.main()
