"""Encode or decode a tree of files across the workers of a Dask distributed cluster.

    python3 -m tadm.dask_batch encode IN OUT --scheduler tcp://host:8786 [options]
    python3 -m tadm.dask_batch decode IN OUT --local 4

- The output tree mirrors the input tree: IN/a/b.png -> OUT/a/b.tadm (encode: .png, .jpg,
  .jpeg; decode: .tadm -> .png, with the original's ICC/EXIF/XMP and bit depth).
- One model load per worker process: each worker thread keeps its Encoder/Decoder between tasks,
  and libtadm shares a loaded model among a process's handles (run workers with one thread each
  and let libtadm use the cores: ``--threads``).
- Resumable: an output that exists and is complete (a valid .tadm header, or a PNG that ends
  with IEND) is skipped, and outputs are written to a temporary file in the target folder and
  renamed, so an interrupted run never leaves a partial output under the final name.
- Failures are listed, not fatal: every other file is still done; the CLI prints the failed
  files with the library's messages (and writes them with ``--failures FILE``) and exits 1.
- Scales to millions of files: the tree is walked lazily and at most ``max_in_flight`` tasks
  exist at once (bounded batches refilled through as_completed), so neither the client nor the
  scheduler holds a graph of the whole tree.
"""

import argparse
import os
import sys
import threading
import time
import uuid

ENCODE_INPUTS = (".png", ".jpg", ".jpeg")
DECODE_INPUTS = (".tadm",)

# ------------------------------------------------------------------ on the workers

_codecs = threading.local()
_loads = 0  # Encoder/Decoder handles made in this process (read by the tests through Client.run)
_loads_lock = threading.Lock()


def _codec(mode, options):
    """This thread's Encoder/Decoder for these options, created on first use."""
    import tadm
    key = (mode, tuple(sorted(options.items())))
    cache = getattr(_codecs, "cache", None)
    if cache is None:
        cache = _codecs.cache = {}
    if key not in cache:
        cache[key] = (tadm.Encoder if mode == "encode" else tadm.Decoder)(**options)
        global _loads
        with _loads_lock:
            _loads += 1
    return cache[key]


def loads_in_this_process():
    return _loads


def is_complete(path):
    """True when `path` is a whole output of ours: a .tadm whose chunks all parse, or a PNG that
    starts with the signature and ends with an IEND chunk."""
    try:
        if path.endswith(".tadm"):
            import tadm
            tadm.info(path)
            return True
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            if f.tell() < 20:
                return False
            f.seek(-12, os.SEEK_END)
            tail = f.read(12)
        return head == b"\x89PNG\r\n\x1a\n" and tail == b"\0\0\0\0IEND\xaeB`\x82"
    except Exception:  # missing, unreadable or invalid: not complete
        return False


def _write_atomically(path, data):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def process_file(mode, options, src, dst):
    """One file, on a worker: ("done" | "skipped" | "failed", src, message)."""
    try:
        if is_complete(dst):  # another run finished it meanwhile
            return ("skipped", src, "")
        codec = _codec(mode, options)
        if mode == "encode":
            data = codec.encode(src)
        else:
            import tadm
            pixels, meta = codec.decode_with_metadata(src)
            data = tadm.write_png(pixels, meta)
        _write_atomically(dst, data)
        return ("done", src, "")
    except Exception as e:  # listed, never fatal for the batch
        return ("failed", src, f"{type(e).__name__}: {e}")


# ------------------------------------------------------------------ on the client

class Report:
    """What a run did: counts, and the failed inputs with their messages."""

    def __init__(self):
        self.done = 0
        self.skipped = 0
        self.failed = []  # [(input path, message)]

    def __repr__(self):
        return f"Report(done={self.done}, skipped={self.skipped}, failed={len(self.failed)})"


def output_path(mode, in_root, out_root, src):
    rel = os.path.relpath(src, in_root)
    return os.path.join(out_root, os.path.splitext(rel)[0] + (".tadm" if mode == "encode" else ".png"))


def plan(mode, in_root, out_root, report):
    """(src, dst) for every input whose output is not complete yet, lazily, in sorted order.
    Two inputs of one folder that would write the same output (a.png, a.jpg) are failures."""
    suffixes = ENCODE_INPUTS if mode == "encode" else DECODE_INPUTS
    out_abs = os.path.abspath(out_root)
    for folder, dirs, files in os.walk(in_root):
        dirs.sort()
        # Never walk into the output tree when it lies inside the input tree.
        dirs[:] = [d for d in dirs if os.path.abspath(os.path.join(folder, d)) != out_abs]
        claimed = {}
        for name in sorted(files):
            if not name.lower().endswith(suffixes):
                continue
            src = os.path.join(folder, name)
            if not os.path.isfile(src):
                continue
            dst = output_path(mode, in_root, out_root, src)
            if dst in claimed:
                report.failed.append((src, f"same output {dst} as {claimed[dst]}"))
                continue
            claimed[dst] = src
            if is_complete(dst):
                report.skipped += 1
                continue
            yield src, dst


def run(mode, in_root, out_root, client, options=None, max_in_flight=None, progress=None, task=process_file):
    """Encode or decode the tree IN -> OUT on `client`'s cluster; returns a Report.

    options: keyword arguments of tadm.Encoder / tadm.Decoder (model, scale, threads, ...).
    max_in_flight: tasks submitted at once (default: 4 per worker thread, at least 16).
    progress: called as progress(report) after every finished file.
    task: what runs on a worker per file, process_file's signature and result (a pipeline may
    wrap it, e.g. to add a step after each file)."""
    from distributed import as_completed

    if mode not in ("encode", "decode"):
        raise ValueError("mode must be 'encode' or 'decode'")
    options = dict(options or {})
    if max_in_flight is None:
        max_in_flight = max(16, 4 * sum(client.nthreads().values()))
    report = Report()
    pending = plan(mode, in_root, out_root, report)

    inputs = {}  # future key -> input, for tasks that die with their worker

    def submit(pair):
        # pure=False: a task per call, even for equal arguments in a later run.
        future = client.submit(task, mode, options, pair[0], pair[1], pure=False)
        inputs[future.key] = pair[0]
        return future

    first = []
    for pair in pending:
        first.append(submit(pair))
        if len(first) >= max_in_flight:
            break
    running = as_completed(first)
    for future in running:
        src = inputs.pop(future.key)
        if future.status == "finished":
            status, src, message = future.result()
        else:  # the worker died (out of memory, a crash): this file failed
            status, message = "failed", f"task failed: {future.exception()!r}"
        future.release()
        if status == "done":
            report.done += 1
        elif status == "skipped":
            report.skipped += 1
        else:
            report.failed.append((src, message))
        nxt = next(pending, None)
        if nxt is not None:
            running.add(submit(nxt))
        if progress:
            progress(report)
    return report


def _parse(argv):
    p = argparse.ArgumentParser(
        prog="python3 -m tadm.dask_batch",
        description="Encode or decode a tree of images across a Dask cluster (resumable; failures "
                    "are listed and give exit status 1).")
    p.add_argument("mode", choices=("encode", "decode"))
    p.add_argument("input", help="input folder")
    p.add_argument("output", help="output folder (mirrors the input tree)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", metavar="ADDR", help="address of a running scheduler (tcp://host:8786)")
    where.add_argument("--local", metavar="N", type=int, help="start N local worker processes")
    p.add_argument("--model", help="classic, a bundle name or folder (encode: default learned model; "
                                   "decode: the one the file names)")
    p.add_argument("--model-dir", help="where bundle names are looked up")
    p.add_argument("--scale", help="encode: 2..64, or HxV (24x16) for unequal scales")
    p.add_argument("--lr-codec", choices=("auto", "png", "jpeg", "webp", "jxl", "avif"), help="encode: thumbnail codec")
    p.add_argument("--lr-quality", type=int, help="encode: lossy thumbnail quality 1..100")
    p.add_argument("--target-bytes", type=int, help="encode: largest file wanted")
    p.add_argument("--bit-depth", type=int, choices=(0, 8, 16), default=0, help="decode: output depth (0: the original's)")
    p.add_argument("--threads", type=int, help="libtadm threads per task (default: all cores; "
                                               "with --local, the cores shared among the workers)")
    p.add_argument("--max-in-flight", type=int, help="tasks submitted at once (default 4 per worker thread)")
    p.add_argument("--failures", metavar="FILE", help="also write the failed inputs here (path TAB message)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p.parse_args(argv)


def main(argv=None):
    args = _parse(argv)
    from distributed import Client, LocalCluster

    threads = args.threads
    if threads is None:
        threads = max(1, (os.cpu_count() or 1) // args.local) if args.local else 0
    if args.mode == "encode":
        options = {"model": args.model, "scale": args.scale, "lr_codec": args.lr_codec,
                   "lr_quality": args.lr_quality, "target_bytes": args.target_bytes}
    else:
        options = {"model": args.model, "bit_depth": args.bit_depth}
    options = {k: v for k, v in options.items() if v is not None}
    options["threads"] = threads
    if args.model_dir:
        options["model_dir"] = args.model_dir
    if not os.path.isdir(args.input):
        print(f"tadm.dask_batch: {args.input} is not a folder", file=sys.stderr)
        return 2

    if args.local:
        cluster = LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        cluster, client = None, Client(args.scheduler)

    last = [0.0]

    def progress(report):
        now = time.monotonic()
        if not args.quiet and sys.stderr.isatty() and now - last[0] > 0.5:
            last[0] = now
            print(f"\r{report.done} done, {report.skipped} skipped, {len(report.failed)} failed",
                  end="", file=sys.stderr, flush=True)

    try:
        report = run(args.mode, args.input, args.output, client, options, args.max_in_flight, progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    for src, message in report.failed:
        print(f"failed: {src}: {message}", file=sys.stderr)
    if args.failures:
        with open(args.failures, "w", encoding="utf-8") as f:
            for src, message in report.failed:
                f.write(f"{src}\t{message}\n")
    print(f"{report.done} done, {report.skipped} skipped (already complete), {len(report.failed)} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    # Run the importable module's code: functions of __main__ would be pickled by value for the
    # workers, and this module's thread-local cache cannot be.
    from tadm.dask_batch import main as _main
    sys.exit(_main())
