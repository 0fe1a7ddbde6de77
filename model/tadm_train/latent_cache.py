"""Latent cache: TAEF2 latents of random training crops, computed once, read by every latent stage.

The frozen TAEF2 encoder is the most expensive part of a latent training step on this CPU, and its
output for a given crop never changes, so it is run once per crop here and stored:

    <cache_dir>/latents/<key>/settings.json        what was cached (the key hashes all of it)
    <cache_dir>/latents/<key>/shard-00000.pt ...   {"latents": float16 [n,32,c/8,c/8],
                                                    "meta": int32 [n,4] (image, y, x, dihedral code)}

The key covers the settings, the image files (names and contents, as data.load_cached's cache)
and the TAEF2 encoder's SHA-256. Crops are not stored as pixels: ``meta`` locates each crop in the
uint8 image cache of data.py (the image list is train + train-extra + their scale copies, in
settings order), and ``LatentCrops.rgb`` cuts the same pixels again.

Crops are drawn by data.CropSampler (area-weighted image choice, one of 8 flips/transposes applied
to the RGB before encoding: TAEF2 is not equivariant to flips, so latents cannot be flipped
afterwards). Shard i draws from its own seed, so shards are independent: a run stopped by
``--max-minutes`` (or a signal) saves the partial shard and the next run completes it.

Crops are large (default 512 px, a 64x64 latent) and consumers take random sub-crops of the
latent at 8-px-aligned positions (``LatentCrops.sample``): one encoder pass feeds many training
windows, and most windows are interior, as in a whole-image encode.

    cd model && OMP_NUM_THREADS=1 nice -n 15 /usr/bin/python3 -m tadm_train.latent_cache \
        --config configs/prior.json --max-minutes 5
"""
import argparse
import hashlib
import json
import os
import signal
import time
from typing import List, Optional


from . import DEFAULT_CACHE, repo_path

import torch  # noqa: E402

from .data import CropSampler, dihedral, load_cached  # noqa: E402
from . import taef2  # noqa: E402

VERSION = 1
DEFAULTS = {
    "folders": ["../shared/data/train", "../shared/data/train-extra"],
    "extra_scales": [0.5],
    "crop": 512,
    "shard_size": 16,
    "shards": 64,
    "seed": 0,
    "encode_batch": 2,
}


def settings_from(cfg: dict) -> dict:
    """The cache settings: DEFAULTS overridden by a config's "latent_cache" section."""
    s = dict(DEFAULTS)
    s.update(cfg.get("latent_cache", {}))
    return s


def load_images(s: dict, cache_dir: str, log=print) -> List[torch.Tensor]:
    images = []
    for f in s["folders"]:
        images += load_cached(repo_path(f), cache_dir, s["extra_scales"], log)
    return images


def _image_key(s: dict) -> str:
    """Names and contents of every source file, as data.py's image cache keys them."""
    from .data import files_digest, list_images
    return files_digest([p for f in s["folders"] for p in list_images(repo_path(f))])


def cache_key(s: dict) -> str:
    what = {k: s[k] for k in ("folders", "extra_scales", "crop", "shard_size", "seed")}
    what["v"] = VERSION
    what["images"] = _image_key(s)
    what["taef2_encoder"] = taef2.SHA256["taef2_encoder.pth"]
    # "shards" (how many) and "encode_batch" are not part of the key: more shards extend the cache
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def cache_dir_for(s: dict, cache_dir: str = DEFAULT_CACHE) -> str:
    return os.path.join(cache_dir, "latents", cache_key(s))


def shard_path(d: str, i: int) -> str:
    return os.path.join(d, f"shard-{i:05d}.pt")


def _save(obj, path):
    tmp = f"{path}.{os.getpid()}.tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def build(s: dict, cache_dir: str = DEFAULT_CACHE, max_minutes: Optional[float] = None,
          taef2_dir: Optional[str] = None, log=print) -> str:
    """Fill shards 0..s["shards"]-1 that are missing or partial; returns the cache folder."""
    d = cache_dir_for(s, cache_dir)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "settings.json"), "w") as f:
        json.dump({**s, "key": os.path.basename(d), "version": VERSION,
                   "taef2_encoder_sha256": taef2.SHA256["taef2_encoder.pth"]}, f, indent=2)
    n, c = int(s["shard_size"]), int(s["crop"])
    todo = []
    for i in range(int(s["shards"])):
        p = shard_path(d, i)
        have = torch.load(p)["latents"].shape[0] if os.path.exists(p) else 0
        if have < n:
            todo.append((i, have))
    if not todo:
        log(f"latent cache {d}: {s['shards']} shards complete")
        return d
    images = load_images(s, cache_dir, log)
    enc = taef2.load_encoder(taef2_dir).to(memory_format=torch.channels_last)
    stop = []
    old = {sig: signal.signal(sig, lambda *_: stop.append(1)) for sig in (signal.SIGTERM, signal.SIGINT)}
    # CropSampler drops images smaller than the crop; meta stores indices into the full list
    keep = [j for j, im in enumerate(images) if im.shape[1] >= c and im.shape[2] >= c]
    t0, done = time.time(), 0
    log(f"latent cache {d}: {len(todo)} shards to fill ({n} crops of {c} px each), {len(images)} images")
    try:
        for i, have in todo:
            # shard i's crops depend only on (seed, i): a partial shard is completed with the same draws
            sampler = CropSampler(images, c, 1, seed=int(s["seed"]) * 1000003 + i)
            draws = [sampler.next_u8() for _ in range(n)]
            p = shard_path(d, i)
            lat = [torch.load(p)["latents"]] if have else []
            k = have
            while k < n:
                b = draws[k:k + int(s["encode_batch"])]
                x = torch.cat([u for u, _ in b]).float().div_(255.0).contiguous(memory_format=torch.channels_last)
                with torch.no_grad():
                    lat.append(enc(x).half().contiguous())
                k += len(b)
                done += len(b)
                timeout = max_minutes is not None and time.time() - t0 > 60 * max_minutes
                if timeout or stop:
                    break
            z = torch.cat(lat)
            meta = torch.tensor([(keep[m[0][0]],) + tuple(m[0][1:]) for _, m in draws[:z.shape[0]]],
                                dtype=torch.int32)
            _save({"latents": z, "meta": meta, "shard": i}, p)
            dt = time.time() - t0
            log(f"shard {i}: {z.shape[0]}/{n} crops; {done} crops in {dt:.0f} s "
                f"({dt / max(done, 1):.2f} s/crop, {done * c * c / 1e6 / max(dt, 1e-9):.3f} MP/s)")
            if z.shape[0] < n:
                log("stopped (time limit or signal); run again to resume")
                break
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
    if stop:  # the signal was meant for the whole process: a training run must not go on with the cache
        raise SystemExit(f"latent cache {d}: stopped by a signal; run again to resume")
    return d


class LatentCrops:
    """All complete-or-partial shards of a cache folder in memory (float16 latents), with random
    latent windows and, when asked, the matching RGB pixels from the image cache."""

    def __init__(self, d: str, images: Optional[List[torch.Tensor]] = None, max_shards: Optional[int] = None):
        files = sorted(f for f in os.listdir(d) if f.startswith("shard-") and f.endswith(".pt"))
        if max_shards is not None:
            files = files[:max_shards]
        if not files:
            raise FileNotFoundError(f"no latent shards in {d}: build them with python3 -m tadm_train.latent_cache")
        sh = [torch.load(os.path.join(d, f)) for f in files]
        self.latents = torch.cat([x["latents"] for x in sh])
        self.meta = torch.cat([x["meta"] for x in sh])
        with open(os.path.join(d, "settings.json")) as f:
            self.settings = json.load(f)
        self.crop = int(self.settings["crop"])
        self.images = images  # data.py's list, needed only for rgb()

    def __len__(self) -> int:
        return self.latents.shape[0]

    def sample(self, batch: int, size: int, gen: torch.Generator):
        """[batch, 32, size, size] float32 latent windows and their (crop, ly, lx) positions."""
        L = self.latents.shape[-1]
        idx = torch.randint(0, len(self), (batch,), generator=gen)
        ys = torch.randint(0, L - size + 1, (batch,), generator=gen)
        xs = torch.randint(0, L - size + 1, (batch,), generator=gen)
        z = torch.stack([self.latents[i, :, y:y + size, x:x + size] for i, y, x in
                         zip(idx.tolist(), ys.tolist(), xs.tolist())]).float()
        return z, list(zip(idx.tolist(), ys.tolist(), xs.tolist()))

    def rgb(self, pos, size: int) -> torch.Tensor:
        """uint8 [B,3,8*size,8*size]: the pixels whose latents sample() returned."""
        if self.images is None:
            raise ValueError("LatentCrops was built without the image list")
        out = []
        for i, ly, lx in pos:
            im, y, x, r = self.meta[i].tolist()
            crop = dihedral(self.images[im][:, y:y + self.crop, x:x + self.crop], r)
            out.append(crop[:, 8 * ly:8 * (ly + size), 8 * lx:8 * (lx + size)])
        return torch.stack(out)


def crops_with_pixels(cfg: dict, cache_dir: str, partial: bool, with_val: bool, taef2_dir: Optional[str], log):
    """The training crops of cfg["latent_cache"] (filled first unless `partial`) with their pixels,
    and, when asked and configured, the whole val crops as (latents float32, uint8 RGB)."""
    s = settings_from(cfg)
    d = cache_dir_for(s, cache_dir) if partial else build(s, cache_dir, taef2_dir=taef2_dir, log=log)
    data = LatentCrops(d, images=load_images(s, cache_dir, log))
    if not with_val or "val_cache" not in cfg:
        return data, None
    vs = dict(DEFAULTS, **cfg["val_cache"])
    vc = LatentCrops(build(vs, cache_dir, taef2_dir=taef2_dir, log=log), images=load_images(vs, cache_dir, log))
    n = vc.latents.shape[0]
    return data, (vc.latents.float(), vc.rgb([(i, 0, 0) for i in range(n)], vc.latents.shape[-1]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=None, help="a config with a \"latent_cache\" section (else the defaults)")
    ap.add_argument("--shards", type=int, default=None, help="override the number of shards to fill")
    ap.add_argument("--max-minutes", type=float, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--taef2-dir", default=None)
    ap.add_argument("--verify", type=int, default=0, metavar="N",
                    help="re-encode N cached crops from their stored positions and compare")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = json.load(open(args.config)) if args.config else {}
    s = settings_from(cfg)
    if args.shards is not None:
        s["shards"] = args.shards
    cache = cfg.get("cache_dir", DEFAULT_CACHE)
    d = build(s, cache, args.max_minutes, args.taef2_dir, log=lambda m: print(m, flush=True))
    if args.verify:
        lc = LatentCrops(d, load_images(s, cache))
        enc = taef2.load_encoder(args.taef2_dir)
        L = lc.latents.shape[-1]
        err = []
        for i in range(min(args.verify, len(lc))):
            x = lc.rgb([(i, 0, 0)], L).float() / 255.0
            with torch.no_grad():
                err.append(float((enc(x) - lc.latents[i:i + 1].float()).abs().max()))
        print(f"verify: max |latent - re-encoded| over {len(err)} crops: {max(err):.4f} (float16 storage)")
    z = LatentCrops(d).latents.float()
    print(f"{d}: {z.shape[0]} crops, latents {tuple(z.shape[1:])}; mean {z.mean():.3f} std {z.std():.3f} "
          f"min {z.min():.2f} max {z.max():.2f}; {sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
