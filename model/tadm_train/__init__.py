"""tadm_train: training, evaluation and export harness for tadm rescaling models.

Modules:
  data      -- image cache (uint8 tensors under the cache dir) and random crop sampler
  models    -- model registry, the pixel-space rescaler and lossy-thumbnail families
  lossy_lr  -- lossy (JPEG) thumbnails: the real codec in the data pipeline and the rate point
  metrics   -- PSNR and SSIM (Gaussian window, sigma 1.5, 11x11)
  grid      -- the thumbnail-grid texture statistic (a loss term and a metric)
  train     -- training loop (python -m tadm_train.train --config ...)
  evaluate  -- real-path evaluation (8-bit PNG round trip) against the classic baseline
  export    -- TorchScript model bundle export
"""
import os

# One thread by default: the machine is shared with C++ builds.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL_DIR = os.path.join(REPO_ROOT, "model")
DEFAULT_CACHE = os.environ.get("TADM_CACHE", "/work/cache/tadm")


def repo_path(p: str) -> str:
    """Resolve a path from a config: absolute stays, relative is relative to the repo root."""
    if os.path.isabs(p):
        return p
    return os.path.normpath(os.path.join(REPO_ROOT, p))
