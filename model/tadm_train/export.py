"""Export a model bundle (TorchScript encoder/decoder + manifest.json) from a checkpoint.

    cd model && /usr/bin/python3 -m tadm_train.export --checkpoint /work/cache/tadm/runs/pix16/checkpoint.pt \
        --name pix16 --version 1.0 --out bundles/pix16

The modules are compiled with torch.jit.script (size-agnostic: no frozen interpolate sizes),
weights stored as float16 by default (cast to float32 on load), CPU, and verified after torch.jit.load against the eager model on two input sizes.
The bundle identity is the SHA-256 of the manifest.json bytes (printed at the end).
"""
import argparse
import copy
import hashlib
import json
import math
import os

import torch
import torch.nn as nn

from . import repo_path
from .lossy_lr import manifest_fields
from .models import build_model, count_params, is_any_scale


class ChannelsLast(nn.Module):
    """Runs the wrapped module in channels-last memory format (faster oneDNN convolutions on
    CPU) and returns a contiguous NCHW tensor. Numerically the same function."""

    def __init__(self, m: nn.Module):
        super().__init__()
        self.m = m.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.m(x.contiguous(memory_format=torch.channels_last)).contiguous()


class ChannelsLastEnhanced(ChannelsLast):
    """ChannelsLast for an enhanced latent decoder: forward(x, t) and timestep(x)."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return self.m(x.contiguous(memory_format=torch.channels_last), t).contiguous()

    @torch.jit.export
    def timestep(self, x: torch.Tensor) -> torch.Tensor:
        return self.m.timestep(x.contiguous(memory_format=torch.channels_last))


class ChannelsLastScaled(ChannelsLast):
    """ChannelsLast for an any-scale module: forward(x, sx, sy)."""

    def forward(self, x: torch.Tensor, sx: int, sy: int) -> torch.Tensor:  # type: ignore[override]
        return self.m(x.contiguous(memory_format=torch.channels_last), sx, sy).contiguous()


def training_config_path(ck):
    """The repository path of the config a checkpoint was trained with, for the manifest: the one the
    checkpoint names, else model/configs/<run name>.json when it exists, else ""."""
    name = ck["config"].get("name", "")
    guess = f"model/configs/{name}.json"
    return ck.get("config_path") or (guess if name and os.path.exists(repo_path(guess)) else "")


def sha256_file(p: str) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def script_and_save(m: nn.Module, path: str, weights_dtype: torch.dtype, base_prefix: str = "",
                    wrapper=ChannelsLast):
    """Script, store weights as `weights_dtype`; parameters under `base_prefix` (third-party base
    weights, e.g. TAEF2's) are saved as empty placeholders that the runtime fills by SHA-256."""
    # float16 storage halves the bundle; loaders cast the module back to float32 (the I/O contract)
    sm = torch.jit.script(wrapper(m).eval()).to(weights_dtype)
    if base_prefix:
        for name, p in sm.named_parameters():
            if name.startswith(base_prefix):
                p.data = torch.empty(0, dtype=p.dtype)
    tmp = path + ".tmp"
    sm.save(tmp)
    os.replace(tmp, path)


@torch.no_grad()
def verify(path: str, eager: nn.Module, shapes, tol: float = 1e-5, scales=None) -> float:
    """scales: for an any-scale module, the (sx, sy) to run each shape at."""
    loaded = torch.jit.load(path).float().eval()
    worst = 0.0
    g = torch.Generator().manual_seed(0)
    for i, shp in enumerate(shapes):
        x = torch.rand(*shp, generator=g)
        if "decoder" in os.path.basename(path):
            x = torch.round(x * 255) / 255
        extra = tuple(scales[i]) if scales else ()
        a = eager(x, *extra)
        b = loaded(x, *extra)
        if a.shape != b.shape:
            raise RuntimeError(f"{path}: shape {tuple(b.shape)} != eager {tuple(a.shape)} for input {shp}")
        d = float((a - b).abs().max())
        worst = max(worst, d)
        print(f"  verify {os.path.basename(path)} input {list(shp)} -> {list(b.shape)}: max |diff| {d:.2e}")
        if d > tol:
            raise RuntimeError(f"{path}: TorchScript differs from eager by {d} > {tol}")
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="training checkpoint (checkpoint.pt or best_ema.pt)")
    ap.add_argument("--weights", default="ema", choices=["ema", "raw"])
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", default="1.0")
    ap.add_argument("--out", required=True, help="bundle directory, e.g. bundles/pix16")
    ap.add_argument("--lr-tile", type=int, default=96)
    ap.add_argument("--wall-hours", type=float, default=None,
                    help="training wall time to record when the checkpoint has none (best_ema.pt of older runs)")
    ap.add_argument("--weights-dtype", default="float16", choices=["float16", "float32"],
                    help="how weights are stored (computation is float32 or bf16 either way)")
    ap.add_argument("--lr-overlap", type=int, default=None,
                    help="tile overlap hint in LR px (default: the theoretical receptive radius); "
                         "measure a smaller one with tadm_train.tiling")
    ap.add_argument("--tile-bytes-per-pixel", type=int, default=1536,
                    help="latent family: activation bytes per full-resolution tile pixel (manifest memory)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    ck = torch.load(args.checkpoint)
    cfg = ck["config"]
    if ck.get("family", cfg.get("family")) in ("latent-rescaler", "latent-enhancer"):
        return export_latent(ck, args)
    enc, dec = build_model(cfg)
    sfx = "_ema" if args.weights == "ema" and "encoder_ema" in ck else ""
    # best_ema.pt holds the EMA weights under the plain keys, with the validation that chose them
    weights_label = "ema" if sfx else ("ema (best validation)" if "val" in ck else "raw")
    config_path = training_config_path(ck)
    wall_s = ck.get("wall_time_s", 3600.0 * args.wall_hours if args.wall_hours is not None else 0.0)
    enc.load_state_dict(ck["encoder" + sfx])
    dec.load_state_dict(ck["decoder" + sfx])
    enc, dec = enc.float().eval(), dec.float().eval()
    anys = is_any_scale(enc)
    s = int(cfg.get("default_scale", 16) if anys else cfg["scale"])

    os.makedirs(args.out, exist_ok=True)
    ep, dp = os.path.join(args.out, "encoder.pt"), os.path.join(args.out, "decoder.pt")
    wdt = getattr(torch, args.weights_dtype)
    # a fixed encoder (lossy thumbnails) has only its filter as a buffer: kept in float32 so the
    # thumbnail stays the runtime's bicubic exactly; it costs a few KB
    enc_dt = torch.float32 if count_params(enc) == 0 else wdt
    wrapper = ChannelsLastScaled if anys else ChannelsLast
    script_and_save(enc, ep, enc_dt, wrapper=wrapper)
    script_and_save(dec, dp, wdt, wrapper=wrapper)
    # reference eager models in the default (contiguous) layout, with the stored weight rounding
    enc_ref, dec_ref = build_model(cfg)
    enc_ref.load_state_dict(enc.state_dict())
    dec_ref.load_state_dict(dec.state_dict())
    enc_ref = enc_ref.to(enc_dt).float().eval()
    dec_ref = dec_ref.to(wdt).float().eval()
    if anys:  # square and unequal scales, odd ones included
        sc = [(16, 16), (3, 7), (32, 24)]
        verify(dp, dec_ref, [(1, 3, 20, 24), (1, 3, 17, 9), (1, 3, 8, 6)], scales=sc)
        verify(ep, enc_ref, [(1, 3, 20 * y, 24 * x) for x, y in sc], scales=sc)
    else:
        verify(dp, dec_ref, [(1, 3, 48, 64), (1, 3, 120, 200), (1, 3, 17, 9)])
        verify(ep, enc_ref, [(1, 3, 48 * s, 64 * s) if s <= 16 else (1, 3, 24 * s, 32 * s), (1, 3, 7 * s, 12 * s)])

    r_enc = int(math.ceil(enc.receptive_radius_lr()))
    r_dec = int(math.ceil(dec.receptive_radius_lr()))
    step = int(ck.get("step", 0))
    lc = cfg.get("lr_codec")
    io_encoder = (f"HR [1,3,H,W], H and W multiples of scale -> LR [1,3,H/scale,W/scale], unclamped; "
                  f"the runtime stores round(clamp(v,0,1)*255)")
    io_decoder = "LR [1,3,h,w] with values k/255 -> HR [1,3,h*scale,w*scale]; the runtime clamps to [0,1]"
    if anys:
        io_encoder = ("forward(x, sx, sy): HR [1,3,H,W], H a multiple of sy, W of sx -> LR [1,3,H/sy,W/sx], "
                      "unclamped; the runtime stores round(clamp(v,0,1)*255)")
        io_decoder = ("forward(x, sx, sy): LR [1,3,h,w] with values k/255 -> HR [1,3,h*sy,w*sx]; "
                      "the runtime clamps to [0,1]")
    if lc:
        io_encoder = ("fixed, not learned: HR [1,3,H,W], H and W multiples of scale -> LR [1,3,H/scale,W/scale], "
                      "the antialiased Keys bicubic (a=-0.5) downscale of codec/src/resample.cpp (taps outside the "
                      "image dropped, the rest renormalised); the runtime stores round(clamp(v,0,1)*255) and "
                      f"compresses it with lr_codec ({lc.get('codec', 'jpeg')}, see lr_codec_settings)")
        io_decoder = ("LR [1,3,h,w]: the decoded lr_codec thumbnail, values k/255 -> HR [1,3,h*scale,w*scale]; "
                      "the runtime clamps to [0,1]")
    manifest = {
        "format": "tadm-model-bundle", "format_version": 3 if anys else 1,
        "name": args.name, "version": args.version, "family": cfg["family"], "scale": s,
        **({"scales": {"min": int(cfg["scales"][0]), "max": int(cfg["scales"][1])}} if anys else {}),
        "files": {"encoder": {"path": "encoder.pt", "sha256": sha256_file(ep)},
                  "decoder": {"path": "decoder.pt", "sha256": sha256_file(dp)}},
        "weights_dtype": args.weights_dtype,
        **({"weights_dtype_encoder": str(enc_dt).replace("torch.", "")} if enc_dt != wdt else {}),
        **(manifest_fields(lc, s) if lc else {}),
        "io": {"layout": "NCHW", "dtype": "float32", "color": "RGB", "range": [0, 1],
               "encoder": io_encoder, "decoder": io_decoder},
        "receptive_field_lr": max(r_enc, r_dec),
        "receptive_field_lr_encoder": r_enc,
        "receptive_field_lr_decoder": r_dec,
        "tile": {"lr_tile": args.lr_tile,
                 "lr_overlap": max(r_enc, r_dec) if args.lr_overlap is None else args.lr_overlap},
        "parameters": {"encoder": count_params(enc), "decoder": count_params(dec)},
        "training": {"config": config_path,
                     "run": cfg["name"], "iterations": step,
                     "wall_time_hours": round(float(wall_s) / 3600.0, 3),
                     "weights": weights_label},
    }
    if "best_val_psnr" in ck or "val" in ck:
        manifest["training"]["val_psnr_db"] = round(float(ck.get("val", {}).get("psnr", ck.get("best_val_psnr", 0))), 3)
    mp = os.path.join(args.out, "manifest.json")
    data = (json.dumps(manifest, indent=2) + "\n").encode()
    with open(mp + ".tmp", "wb") as f:
        f.write(data)
    os.replace(mp + ".tmp", mp)
    print(f"bundle {args.out}: encoder {os.path.getsize(ep) / 1e6:.2f} MB, decoder {os.path.getsize(dp) / 1e6:.2f} MB, "
          f"step {step}; bundle sha256 {hashlib.sha256(data).hexdigest()}")


def fill_base_weights(module, prefix: str, sd: dict) -> None:
    """What the C++ runtime does (torch_rescaler.cpp): base weights into the empty placeholders."""
    params = dict(module.named_parameters())
    for k, v in sd.items():
        params[prefix + k].data = v.float()
    empty = [n for n, p in module.named_parameters() if n.startswith(prefix) and p.numel() == 0]
    if empty:
        raise RuntimeError(f"base weights left {len(empty)} placeholders empty, e.g. {empty[0]}")


def rounded(m: nn.Module, wdt: torch.dtype) -> nn.Module:
    """`m` with its floating-point weights rounded as they are stored (the eager reference)."""
    m.load_state_dict({k: v.to(wdt).to(v.dtype) if v.is_floating_point() else v for k, v in m.state_dict().items()})
    return m.eval()


# The hint chunk of an enhanced bundle holds one timestep per tile of the decoder's default tile
# grid, as round(t / t_per_unit) (spec/model-bundle.md "enhancer").
HINT_T_PER_UNIT = 2.0


def hint_t_per_unit(t_max: float) -> float:
    """The hint's step: 2 timesteps per byte value, coarser when t_max would not fit in 255 values."""
    return max(HINT_T_PER_UNIT, float(math.ceil(t_max / 255.0)))


def export_latent(ck: dict, args) -> None:
    """A latent-family bundle (dfrm.py): encoder.pt = TAEF2 encoder + G_e + F, decoder.pt = F^-1 +
    G_d + TAEF2 decoder, with TAEF2's weights left out (manifest "base_weights"). From an enhancer
    checkpoint (enhancer.py) the decoder also runs the one-step enhancer (EnhancedDecoderSide):
    decoder.pt takes (thumbnail, t) and has timestep(thumbnail) for the encoder's hint."""
    from . import dfrm, enhancer, taef2
    cfg = ck["config"]
    enh_ck = ck if ck.get("family", cfg.get("family")) == "latent-enhancer" else None
    rescaler_manifest = None
    if enh_ck is not None:
        src = cfg["rescaler"]["checkpoint"]
        if os.path.isdir(src):
            net = dfrm.load_net_from_bundle(src)
            with open(os.path.join(src, "manifest.json")) as f:
                rescaler_manifest = json.load(f)
            rcfg = {"scale": rescaler_manifest["scale"], "model": rescaler_manifest["training"]["model"],
                    "name": rescaler_manifest["training"].get("run", "")}
        else:
            rck = torch.load(src)
            net, rcfg = dfrm.load_net(rck, args.weights), dict(rck["config"])
        enh = enhancer.build(cfg, ck["prior_config"])
        raw = "val" in ck or args.weights == "raw"  # best_ema.pt holds the EMA under the raw names
        enh.load_state_dict(ck["enhancer"] if raw else ck["enhancer_ema"])
        enh.eval()
        if ck.get("rescaler_head_ema") is not None or ck.get("rescaler_head") is not None:
            # G_d trained with the enhancer (enhancer.py "train_head")
            net.head.load_state_dict(ck["rescaler_head"] if raw else ck["rescaler_head_ema"])
    else:
        net, rcfg = dfrm.load_net(ck, args.weights), cfg
    s = int(rcfg["scale"])
    wdt = getattr(torch, args.weights_dtype)
    e, d = dfrm.build_codec(rcfg, net=net)
    if enh_ck is not None:
        d = enhancer.EnhancedDecoderSide(net.decoder, enh, d.dec)
    # counted before saving: the scripted copies share these tensors, and their placeholders are emptied
    base_params = {"base_encoder": count_params(e.enc), "base_decoder": count_params(d.dec)}
    # the eager reference with the stored rounding of the trained weights, copied before scripting
    # (the scripted modules share their tensors with `e` and `d` and are cast to the storage dtype)
    e_ref, d_ref = dfrm.build_codec(rcfg, net=rounded(copy.deepcopy(net), wdt))
    if enh_ck is not None:
        d_ref = enhancer.EnhancedDecoderSide(d_ref.decoder, rounded(copy.deepcopy(enh), wdt), d_ref.dec)
    os.makedirs(args.out, exist_ok=True)
    ep, dp = os.path.join(args.out, "encoder.pt"), os.path.join(args.out, "decoder.pt")
    script_and_save(e, ep, wdt, base_prefix="m.enc.")
    script_and_save(d, dp, wdt, base_prefix="m.dec.", wrapper=ChannelsLastEnhanced if enh_ck else ChannelsLast)
    folder = taef2.weights_dir(None)
    t_args = [torch.tensor([-1.0]), torch.tensor([150.0]), torch.tensor([0.0])] if enh_ck else [None]
    for path, eager, prefix, file, shapes in (
            (dp, d_ref, "m.dec.", "taef2_decoder.pth", [(1, 3, 16, 16), (1, 3, 7, 12)]),
            (ep, e_ref, "m.enc.", "taef2_encoder.pth", [(1, 3, 16 * s, 16 * s), (1, 3, 7 * s, 12 * s)])):
        loaded = torch.jit.load(path).float().eval()
        fill_base_weights(loaded, prefix, torch.load(taef2.checked_file(folder, file)))
        g = torch.Generator().manual_seed(0)
        for shp in shapes:
            x = torch.rand(*shp, generator=g)
            for t in (t_args if path == dp else [None]):
                with torch.no_grad():
                    a, b = (eager(x), loaded(x)) if t is None else (eager(x, t), loaded(x, t))
                diff = float((a - b).abs().max())
                print(f"  verify {os.path.basename(path)} input {list(shp)}{'' if t is None else f' t {float(t):g}'}"
                      f" -> {list(b.shape)}: max |diff| {diff:.2e}")
                if diff > 1e-4:
                    raise RuntimeError(f"{path}: TorchScript differs from eager by {diff}")
            if path == dp and enh_ck is not None:
                with torch.no_grad():
                    diff = float((eager.timestep(x) - loaded.timestep(x)).abs().max())
                if diff > 1e-2:
                    raise RuntimeError(f"{path}: timestep() differs from eager by {diff}")
    config_path = training_config_path(ck)
    step = int(ck.get("step", 0))
    overlap = args.lr_overlap if args.lr_overlap is not None else max(2, 128 // s)
    manifest = {
        # version 2: a decoder with an enhancer, which takes a timestep (spec/model-bundle.md)
        "format": "tadm-model-bundle", "format_version": 2 if enh_ck else 1,
        "name": args.name, "version": args.version, "family": "latent-rescaler", "scale": s,
        "files": {"encoder": {"path": "encoder.pt", "sha256": sha256_file(ep)},
                  "decoder": {"path": "decoder.pt", "sha256": sha256_file(dp)}},
        "base_weights": {
            "name": "taef2",
            "source": "https://github.com/madebyollin/taesd (commit 5cccb12dc72074a4be35680c3b108548a7c69978), MIT",
            "files": [{"file": "taef2_encoder.pth", "sha256": taef2.SHA256["taef2_encoder.pth"],
                       "module": "encoder", "prefix": "m.enc."},
                      {"file": "taef2_decoder.pth", "sha256": taef2.SHA256["taef2_decoder.pth"],
                       "module": "decoder", "prefix": "m.dec."}]},
        "weights_dtype": args.weights_dtype,
        "io": {"layout": "NCHW", "dtype": "float32", "color": "RGB", "range": [0, 1],
               "encoder": ("HR [1,3,H,W], H and W multiples of scale -> LR [1,3,H/scale,W/scale], unclamped; "
                           "the runtime stores round(clamp(v,0,1)*255)"),
               "decoder": "LR [1,3,h,w] with values k/255 -> HR [1,3,h*scale,w*scale]; the runtime clamps to [0,1]"},
        # TAEF2's decoder works at full resolution with 64 channels: several such activations are
        # alive at once (measured: bench/speed/model_speed.sh)
        "memory": {"tile_bytes_per_pixel": args.tile_bytes_per_pixel},
        "receptive_field_lr": overlap,
        "tile": {"lr_tile": args.lr_tile, "lr_overlap": overlap},
        "parameters": {"encoder": count_params(e.encoder), "decoder": count_params(d.decoder),
                       **({"enhancer": count_params(d.enhancer)} if enh_ck else {}), **base_params},
        "training": {"config": config_path, "run": cfg["name"], "iterations": step,
                     "wall_time_hours": round(float(ck.get("wall_time_s", 0.0)) / 3600.0, 3),
                     "weights": "ema (best validation)" if "val" in ck else args.weights,
                     "model": cfg["model"] if enh_ck is None else rcfg["model"]},
    }
    if "val" in ck and enh_ck is None:
        manifest["training"]["val"] = {k: round(float(v), 4) for k, v in ck["val"].items() if math.isfinite(float(v))}
    if enh_ck is not None:
        # the rescaler's own training, as its bundle recorded it; the enhancer's beside it
        if rescaler_manifest is not None:
            manifest["training"] = rescaler_manifest["training"]
        tpm = cfg["enhancer"]["tpm"]
        manifest["io"]["decoder"] = ("(LR [1,3,h,w] with values k/255, t [1]) -> HR [1,3,h*scale,w*scale]; t < 0: the "
                                     "model's own timestep, t > 0: this timestep, t == 0: no enhancement; "
                                     "timestep(LR) -> [1], the model's timestep for the tile")
        manifest["enhancer"] = {
            "t_min": float(tpm["t_min"]), "t_max": float(tpm["t_max"]),
            "hint": {"kind": "timestep", "t_per_unit": hint_t_per_unit(float(tpm["t_max"])), "tile_lr": args.lr_tile},
            "training": {"config": config_path, "run": cfg["name"], "iterations": step,
                         "wall_time_hours": round(float(ck.get("wall_time_s", 0.0)) / 3600.0, 3),
                         "weights": "ema (best validation)" if "val" in ck else args.weights,
                         "prior": cfg["prior"], "loss": cfg["loss"], "enhancer": cfg["enhancer"],
                         "val": ck.get("val", {})},
        }
    mp = os.path.join(args.out, "manifest.json")
    data = (json.dumps(manifest, indent=2, allow_nan=False) + "\n").encode()
    with open(mp + ".tmp", "wb") as f:
        f.write(data)
    os.replace(mp + ".tmp", mp)
    print(f"bundle {args.out}: encoder {os.path.getsize(ep) / 1e6:.2f} MB, decoder {os.path.getsize(dp) / 1e6:.2f} MB, "
          f"step {step}; bundle sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
