"""Training data: decoded images cached as uint8 tensors, random augmented crops.

The cache is one torch file per (folder, options) under <cache_dir>/data/, keyed by a hash
of the file names and contents (not mtimes: a re-provisioned data folder with the same photos
keeps its caches), so PNG/JPEG decoding happens once.
"""
import glob
import hashlib
import json
import os
from typing import List, Optional

import numpy as np
import torch
from PIL import Image

EXTS = (".png", ".jpg", ".jpeg")


def list_images(folder: str) -> List[str]:
    files = [f for f in sorted(glob.glob(os.path.join(folder, "*"))) if f.lower().endswith(EXTS)]
    if not files:
        raise FileNotFoundError(f"no images in {folder}")
    return files


def load_rgb(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.array(im.convert("RGB"))  # HWC uint8


def files_digest(files: List[str], salt: str = "") -> str:
    """SHA-256 over the salt and every file's base name and contents: the one key of every
    cache derived from a set of images."""
    h = hashlib.sha256(salt.encode())
    for f in files:
        h.update(f"{os.path.basename(f)}\n".encode())
        with open(f, "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def _key(files: List[str], opts: dict) -> str:
    return files_digest(files, json.dumps(opts, sort_keys=True))[:16]


def load_cached(folder: str, cache_dir: str, extra_scales: Optional[List[float]] = None,
                log=print) -> List[torch.Tensor]:
    """Return a list of CHW uint8 tensors: every image at full size, plus (optionally)
    antialiased downscaled copies (e.g. extra_scales=[0.5]) for scale augmentation."""
    files = list_images(folder)
    extra_scales = list(extra_scales or [])
    opts = {"v": 1, "extra_scales": extra_scales}
    path = os.path.join(cache_dir, "data", f"{os.path.basename(os.path.normpath(folder))}-{_key(files, opts)}.pt")
    if os.path.exists(path):
        return torch.load(path)["images"]
    log(f"building image cache {path} from {len(files)} files")
    images = []
    for f in files:
        a = load_rgb(f)
        images.append(torch.from_numpy(a).permute(2, 0, 1).contiguous())
        for s in extra_scales:
            im = Image.fromarray(a)
            w, h = max(1, round(im.width * s)), max(1, round(im.height * s))
            b = np.array(im.resize((w, h), Image.BICUBIC))
            images.append(torch.from_numpy(b).permute(2, 0, 1).contiguous())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"  # two runs may build the same cache at once
    torch.save({"files": [os.path.basename(f) for f in files], "opts": opts, "images": images}, tmp)
    os.replace(tmp, path)
    return images


class CropSampler:
    """Random crops with the 8 dihedral augmentations (flips + transpose).

    Images are picked with probability proportional to their number of possible crops
    (i.e. roughly by area); images smaller than the crop are skipped.
    """

    def __init__(self, images: List[torch.Tensor], crop: int, batch: int, seed: int = 0,
                 augment: bool = True):
        self.images = [im for im in images if im.shape[1] >= crop and im.shape[2] >= crop]
        if not self.images:
            raise ValueError(f"no image is at least {crop}x{crop}")
        w = torch.tensor([float((im.shape[1] - crop + 1) * (im.shape[2] - crop + 1)) for im in self.images])
        self.weights = w / w.sum()
        self.crop, self.batch, self.augment = crop, batch, augment
        self.gen = torch.Generator()
        self.gen.manual_seed(seed)

    def state_dict(self):
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, st):
        self.gen.set_state(st["gen"])

    def next(self) -> torch.Tensor:
        return self.next_u8()[0].float().div_(255.0)

    def next_u8(self):
        """(uint8 batch [B,3,c,c], [(image index, y, x, dihedral code)] per crop): the crops and
        where they came from (index into self.images), so a cache can store positions, not pixels."""
        c = self.crop
        idx = torch.multinomial(self.weights, self.batch, replacement=True, generator=self.gen)
        out = torch.empty(self.batch, 3, c, c, dtype=torch.uint8)
        meta = []
        for b, i in enumerate(idx.tolist()):
            im = self.images[i]
            y = int(torch.randint(0, im.shape[1] - c + 1, (1,), generator=self.gen))
            x = int(torch.randint(0, im.shape[2] - c + 1, (1,), generator=self.gen))
            r = torch.randint(0, 8, (1,), generator=self.gen).item() if self.augment else 0
            out[b] = dihedral(im[:, y:y + c, x:x + c], r)
            meta.append((i, y, x, r))
        return out, meta


def dihedral(p: torch.Tensor, r: int) -> torch.Tensor:
    """One of the 8 flips/transposes of a [..., H, W] tensor (bit 0: horizontal flip, 1: vertical,
    2: transpose)."""
    if r & 1:
        p = p.flip(-1)
    if r & 2:
        p = p.flip(-2)
    if r & 4:
        p = p.transpose(-2, -1)
    return p
