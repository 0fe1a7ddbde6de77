"""Full-image metrics on 8-bit RGB images (HWC uint8 numpy arrays)."""
import math

import numpy as np
import torch
import torch.nn.functional as F


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def _gauss_1d(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2.0
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _filt(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """'valid' separable Gaussian filtering of an [H,W,C] float64 array (same result as the
    11x11 2-D window): weighted sums of shifted slices, rows then columns."""
    n = len(g)
    h, w = x.shape[0] - n + 1, x.shape[1] - n + 1
    t = sum(g[i] * x[i:i + h] for i in range(n))
    return sum(g[i] * t[:, i:i + w] for i in range(n))


def ssim(a: np.ndarray, b: np.ndarray, size: int = 11, sigma: float = 1.5) -> float:
    """SSIM (Wang et al. 2004): Gaussian window sigma 1.5, 11x11, K1=0.01, K2=0.03, L=255,
    'valid' filtering (no padding), computed on each RGB channel and averaged."""
    L = 255.0
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    g = _gauss_1d(size, sigma).numpy()
    mx, my = _filt(x, g), _filt(y, g)
    sxx = _filt(x * x, g) - mx * mx
    syy = _filt(y * y, g) - my * my
    sxy = _filt(x * y, g) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(m.mean(axis=(0, 1)).mean())  # per channel, then averaged
