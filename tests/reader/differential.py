#!/usr/bin/python3
"""Differential test: the Python reader (tadm_reader.py) against the C++ reader.

Runs both over every spec vector and every fuzz seed and fails on any disagreement that the
allow-list does not explain. Checked on every file:
  - the verdict: "ok" or the error name of spec/container.md section 7.3, Python against
    tadm::container::read (via container_verdict);
  - the C API status: the tadm_status the Python reader maps its error to, against
    tadm_file_info_read's; only for files that start like a .tadm file, since the C API also
    reads HEIF and AVIF files, which the .tadm reader rightly calls bad_signature;
  - for spec vectors, the expectation they carry: valid/NAME.json's fields equal what the Python
    reader decodes; invalid/NAME.json's "error" equals both readers' verdict.

Usage: differential.py --verdict EXE --vectors DIR --seeds DIR --allow FILE
"""

import argparse
import json
import os
import subprocess
import sys
import struct
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tadm_reader  # noqa: E402  (after the path is set)


def seed_files(seeds_dir):
    """Every file of the fuzz seed corpus, as it is, plus the .tadm file inside each decoder
    seed: fuzz_decoder reads one mode byte first and, when it is even, the rest is the file."""
    plain = []
    for root, _dirs, names in os.walk(seeds_dir):
        plain.extend(os.path.join(root, n) for n in names)
    plain.sort()
    unwrapped = []
    for path in plain:
        if os.path.basename(os.path.dirname(path)) != "decoder":
            continue
        with open(path, "rb") as f:
            data = f.read()
        if data and data[0] % 2 == 0 and data[1:9] == tadm_reader.SIGNATURE:
            unwrapped.append((path, data[1:]))
    return plain, unwrapped


def chunk_spans(data):
    """(start, length) of each chunk of a file whose framing is sound, following lengths from
    offset 12 while they stay inside the file. No validation: that is the readers' job."""
    spans = []
    pos = 12
    while len(data) - pos >= 12:
        length = int.from_bytes(data[pos:pos + 4], "big")
        if length > len(data) - pos - 12:
            break
        spans.append((pos, length))
        pos += 12 + length
    return spans


def with_crc(data, start, length):
    """data with the CRC of the chunk at `start` recomputed, so that a changed byte reaches the
    content checks instead of stopping at bad_crc."""
    crc = zlib.crc32(bytes(data[start + 4:start + 8 + length]))
    data[start + 8 + length:start + 12 + length] = crc.to_bytes(4, "big")
    return data


def crafted_lr_streams():
    """(name, bytes) of small LR streams of a 4x3 image, each at an edge of the checks of spec
    6.3: JPEG fill bytes, segment lengths, frame types and fields; WebP chunk kinds, flags and
    sizes; AVIF ftyp sizes and brands; JPEG XL signatures. Every one is tried under every
    lr_codec."""
    def sof(marker=0xC0, precision=8, height=3, width=4, components=3):
        return (bytes([0xFF, marker]) + struct.pack(">HBHHB", 8 + 3 * components, precision, height,
                                                     width, components) + b"\x01\x11\x00" * components)
    soi = b"\xff\xd8"
    streams = {
        "jpeg fill bytes": soi + b"\xff\xff" + sof() + b"\xff\xd9",
        "jpeg ends in fill bytes": soi + b"\xff\xff",
        "jpeg ends after FF": soi + b"\xff",
        "jpeg segment length 1": soi + b"\xff\xe0\x00\x01" + sof(),
        "jpeg segment length 2": soi + b"\xff\xe0\x00\x02" + sof(),
        "jpeg segment ends the stream": soi + b"\xff\xe0\x00\x04ab",
        "jpeg segment past the end": soi + b"\xff\xe0\x00\x05ab",
        "jpeg marker 02 segment": soi + b"\xff\x02\x00\x02" + sof(),
        "jpeg DHT C4, JPG C8, DAC CC segments":
            soi + b"\xff\xc4\x00\x02" + b"\xff\xc8\x00\x02" + b"\xff\xcc\x00\x02" + sof(),
        "jpeg RST3": soi + b"\xff\xd3" + sof(),
        "jpeg SOS": soi + b"\xff\xda\x00\x02" + sof(),
        "jpeg TEM": soi + b"\xff\x01" + sof(),
        "jpeg FF00": soi + b"\xff\x00" + sof(),
        "jpeg SOI twice": soi + soi + sof(),
        "jpeg EOI": soi + b"\xff\xd9",
        "jpeg not a marker": soi + b"\x00" + sof(),
        "jpeg lossless SOF3": soi + sof(0xC3),
        "jpeg arithmetic SOF9": soi + sof(0xC9),
        "jpeg progressive SOF2 gray": soi + sof(0xC2, components=1),
        "jpeg precision 12": soi + sof(precision=12),
        "jpeg height 0 (DNL)": soi + sof(height=0),
        "jpeg 4 components": soi + sof(components=4),
        "jpeg frame header of 9 bytes": soi + sof()[:9],
        "jpeg frame header of 10 bytes": soi + sof()[:10],
    }

    def riff(kind, payload):
        body = b"WEBP" + kind + struct.pack("<I", len(payload)) + payload
        return b"RIFF" + struct.pack("<I", len(body)) + body
    vp8 = b"\x10\x00\x00\x9d\x01\x2a" + struct.pack("<HH", 4, 3)
    vp8l = b"\x2f" + struct.pack("<I", 3 | (2 << 14))
    vp8x = b"\x00\x00\x00\x00" + (3).to_bytes(3, "little") + (2).to_bytes(3, "little")
    streams.update({
        "webp VP8": riff(b"VP8 ", vp8),
        "webp VP8 inter frame": riff(b"VP8 ", b"\x11" + vp8[1:]),
        "webp VP8 scale bits": riff(b"VP8 ", vp8[:6] + struct.pack("<HH", 4 | 0xC000, 3 | 0x4000)),
        "webp VP8 bad start code": riff(b"VP8 ", vp8[:3] + b"\x9d\x01\x2b" + vp8[6:]),
        "webp VP8L": riff(b"VP8L", vp8l),
        "webp VP8L version 1": riff(b"VP8L", b"\x2f" + struct.pack("<I", 3 | (2 << 14) | (1 << 29))),
        "webp VP8L signature 2E": riff(b"VP8L", b"\x2e" + vp8l[1:]),
        "webp VP8L header of 4 bytes": riff(b"VP8L", vp8l[:4]),
        "webp VP8X": riff(b"VP8X", vp8x),
        "webp VP8X animation": riff(b"VP8X", b"\x02" + vp8x[1:]),
        "webp VP8X other flags": riff(b"VP8X", b"\xfd" + vp8x[1:]),
        "webp VP8X header of 9 bytes": riff(b"VP8X", vp8x[:9]),
        "webp ALPH first": riff(b"ALPH", vp8x),
        "webp RIFF size too big": b"RIFF" + struct.pack("<I", 100) + riff(b"VP8L", vp8l)[8:],
        "webp byte after": riff(b"VP8L", vp8l) + b"\x00",
    })

    def ftyp(major, compatible, size=None):
        body = b"ftyp" + major + b"\x00" * 4 + b"".join(compatible)
        return struct.pack(">I", len(body) + 4 if size is None else size) + body
    streams.update({
        "avif major brand": ftyp(b"avif", []),
        "avif compatible brand": ftyp(b"mif1", [b"miaf", b"avif"]),
        "avif no avif brand": ftyp(b"mif1", [b"miaf"]),
        "avif ftyp size 15": ftyp(b"avif", [], 15) + b"\x00",
        "avif ftyp size 17": ftyp(b"avif", [], 17) + b"\x00",
        "avif ftyp size 0": ftyp(b"avif", [], 0),
        "avif ftyp past the end": ftyp(b"avif", [], 40),
        "avif box after ftyp": ftyp(b"mif1", [b"avif"]) + b"\x00\x00\x00\x08free",
        "avif brand after the ftyp": ftyp(b"mif1", [], 16) + b"avif",
        "avif first box not ftyp": b"\x00\x00\x00\x10ftyqavif\x00\x00\x00\x00",
        "avif 15 bytes": ftyp(b"avif", [])[:15],
        "jxl codestream": b"\xff\x0a",
        "jxl 1 byte": b"\xff",
        "jxl container prefix": bytes.fromhex("0000000C4A584C20"),
        "jxl container": bytes.fromhex("0000000C4A584C200D0A870A"),
        "jxl FF0B": b"\xff\x0b\x00",
    })
    return list(streams.items())


def mutants(data):
    """(label, bytes) of deterministic variations of one file: every truncation; every byte
    changed five ways (inside a chunk's type or data, with that chunk's CRC recomputed); every
    chunk dropped, repeated, swapped with the next, cut short, grown and retyped; a byte appended;
    every lr_codec; crafted LR streams; lengths and chunk counts at the limits."""
    spans = chunk_spans(data)
    for size in range(len(data)):
        yield f"cut {size}", data[:size]
    for offset, old in enumerate(data):
        owner = next(((s, n) for s, n in spans if s + 4 <= offset < s + 8 + n), None)
        for new in sorted({old ^ 0x01, old ^ 0x20, old ^ 0x80, 0x00, 0xFF} - {old}):
            changed = bytearray(data)
            changed[offset] = new
            if owner:
                changed = with_crc(changed, *owner)
            yield f"set {offset}={new:02x}{'+crc' if owner else ''}", bytes(changed)
    pieces = [data[s:s + 12 + n] for s, n in spans]
    header, rest = data[:12], data[12 + sum(len(p) for p in pieces):]
    for i in range(len(pieces)):
        yield f"drop chunk {i}", header + b"".join(pieces[:i] + pieces[i + 1:]) + rest
        yield f"repeat chunk {i}", header + b"".join(pieces[:i + 1] + pieces[i:]) + rest
        if i + 1 < len(pieces):
            swapped = pieces[:i] + [pieces[i + 1], pieces[i]] + pieces[i + 2:]
            yield f"swap chunks {i},{i + 1}", header + b"".join(swapped) + rest
    yield "append 00", data + b"\x00"
    # Every chunk cut short or grown by a byte, with length and CRC made consistent: reaches each
    # chunk type's "too short" checks (HEAD, MODL, hint, each LR format's header).
    for i, (start, length) in enumerate(spans):
        chunk_type = data[start + 4:start + 8]
        for new_length in list(range(length)) + [length + 1]:
            body = (data[start + 8:start + 8 + length] + b"\x00")[:new_length]
            crc = zlib.crc32(chunk_type + body).to_bytes(4, "big")
            piece = new_length.to_bytes(4, "big") + chunk_type + body + crc
            yield (f"resize chunk {i} to {new_length}",
                   header + b"".join(pieces[:i] + [piece] + pieces[i + 1:]) + rest)
    # Every chunk given another type (CRC recomputed): duplicates, misplaced chunks, one type's
    # checks on another's data, unknown critical and optional types, case changes.
    for i, (start, length) in enumerate(spans):
        for new_type in (b"HEAD", b"MODL", b"LRIM", b"TEND", b"iccp", b"cicp", b"exif", b"xmpp",
                         b"hint", b"lsha", b"FUTR", b"futr", b"hEAD", b"HEAd"):
            if new_type != data[start + 4:start + 8]:
                changed = bytearray(data)
                changed[start + 4:start + 8] = new_type
                yield f"retype chunk {i} to {new_type.decode()}", bytes(with_crc(changed, start, length))
    # Every lr_codec value for the stream the file holds and, for a 4x3 LR image, the crafted
    # streams under every lr_codec (HEAD is chunk 0 of every file mutated).
    if spans and data[16:20] == b"HEAD" and spans[0][1] == 24:
        head_start = spans[0][0]
        for lr_codec in range(6):
            changed = bytearray(data)
            changed[head_start + 8 + 22] = lr_codec
            yield f"lr_codec {lr_codec}", bytes(with_crc(changed, head_start, 24))
        lr_size = data[head_start + 8 + 12:head_start + 8 + 20]
        lrim = next((i for i, (start, _n) in enumerate(spans) if data[start + 4:start + 8] == b"LRIM"), None)
        if lr_size == struct.pack(">II", 4, 3) and lrim is not None:
            for name, stream in crafted_lr_streams():
                crc = zlib.crc32(b"LRIM" + stream).to_bytes(4, "big")
                piece = len(stream).to_bytes(4, "big") + b"LRIM" + stream + crc
                for lr_codec in range(5):
                    changed = bytearray(header + b"".join(pieces[:lrim] + [piece] + pieces[lrim + 1:]) + rest)
                    changed[head_start + 8 + 22] = lr_codec
                    yield f"lr_codec {lr_codec} with {name}", bytes(with_crc(changed, head_start, 24))
    # Lengths at the limits of spec 7.2 steps 3 and 6 (the data is not there: what matters is
    # which check comes first), and chunk counts either side of max_chunks.
    for i, (start, _length) in enumerate(spans):
        for length in (0x7FFFFFFF, 0x80000000, (64 << 20) + 1, (256 << 20) + 1):
            changed = bytearray(data)
            changed[start:start + 4] = length.to_bytes(4, "big")
            yield f"length chunk {i}={length:#x}", bytes(changed)
    if pieces:
        filler = b"\x00\x00\x00\x00fill" + zlib.crc32(b"fill").to_bytes(4, "big")
        for total in (1024, 1025):
            extra = total - len(pieces)
            if extra > 0:
                padded = pieces[:-1] + [filler] * extra + pieces[-1:]
                yield f"{total} chunks", header + b"".join(padded) + rest


def read_allow_list(path):
    """Lines "FILE<TAB>PYTHON_VERDICT<TAB>CPP_VERDICT<TAB>REASON"; '#' starts a comment. FILE is
    relative to the source tree."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 4 or not fields[3].strip():
                raise SystemExit(f"{path}:{number}: expected FILE, PYTHON, CPP and a REASON, tab-separated")
            allowed[fields[0]] = (fields[1], fields[2])
    return allowed


def cpp_verdicts(exe, cases):
    """[(verdict, status, message)] of container_verdict, one per case, in order. The bytes go
    through a pipe as size-prefixed records: no temporary files."""
    records = b"".join(len(data).to_bytes(4, "big") + data for _name, data, _expectation in cases)
    out = subprocess.run([exe, "--stdin"], input=records, check=True, capture_output=True).stdout
    lines = out.decode("utf-8", "replace").splitlines()
    if len(lines) != len(cases):
        raise SystemExit(f"container_verdict gave {len(lines)} verdicts for {len(cases)} files")
    result = []
    for index, line in enumerate(lines):
        number, verdict, status, message = line.split("\t", 3)
        if number != str(index):
            raise SystemExit(f"container_verdict: line {index} is for record {number}")
        result.append((verdict, status, message))
    return result


def vector_expectation(path):
    """The JSON next to a spec vector, or None."""
    json_path = path[:-len(".tadm")] + ".json"
    if not path.endswith(".tadm") or not os.path.exists(json_path):
        return None
    with open(json_path, encoding="utf-8") as f:
        return json.load(f)


def corpus(vectors_dir, seeds_dir, source_root):
    """(name, bytes, expectation) of every file compared; name is relative to the source tree
    ("#tadm" marks a .tadm file unwrapped from a decoder seed); expectation is the vector's JSON
    with "kind" "valid" or "invalid" added, or None for a seed."""
    cases = []
    for kind in ("valid", "invalid"):
        folder = os.path.join(vectors_dir, kind)
        for file_name in sorted(os.listdir(folder)):
            if not file_name.endswith(".tadm"):
                continue
            path = os.path.join(folder, file_name)
            expectation = vector_expectation(path) or {}
            expectation["kind"] = kind
            with open(path, "rb") as f:
                cases.append((os.path.relpath(path, source_root), f.read(), expectation))
    seeds, unwrapped = seed_files(seeds_dir)
    for path in seeds:
        with open(path, "rb") as f:
            cases.append((os.path.relpath(path, source_root), f.read(), None))
    for path, data in unwrapped:
        cases.append((os.path.relpath(path, source_root) + "#tadm", data, None))
    return cases


def compare(cases, verdict_exe, allowed):
    """Runs both readers over the cases; returns (problems, allow-list entries used)."""
    problems = []
    used = set()
    cpp = cpp_verdicts(verdict_exe, cases)
    for (name, data, expectation), (cpp_verdict, cpp_status, cpp_message) in zip(cases, cpp):
        py_verdict, py_status, py_message = tadm_reader.verdict(data)

        disagreements = []
        if py_verdict != cpp_verdict:
            disagreements.append(f"verdict: python {py_verdict} ({py_message}) | "
                                 f"c++ {cpp_verdict} ({cpp_message})")
        if py_verdict != "bad_signature" and py_status != cpp_status:
            disagreements.append(f"status: python {py_status} | c api {cpp_status}")
        if disagreements and allowed.get(name) == (py_verdict, cpp_verdict):
            used.add(name)
            print(f"allowed  {name}: python {py_verdict}, c++ {cpp_verdict} (allowed_differences.txt)")
            disagreements = []
        problems.extend(f"DISAGREE {name}: {text}" for text in disagreements)

        if expectation and expectation["kind"] == "invalid":
            want = expectation.get("error")
            if want is None:
                problems.append(f"MANIFEST {name}: no .json with an \"error\"")
            elif py_verdict != want or cpp_verdict != want:
                problems.append(f"MANIFEST {name}: expected {want}, python {py_verdict}, c++ {cpp_verdict}")
        elif expectation:
            if py_verdict != "ok" or cpp_verdict != "ok":
                problems.append(f"MANIFEST {name}: expected ok, python {py_verdict} ({py_message}), "
                                f"c++ {cpp_verdict} ({cpp_message})")
            elif len(expectation) == 1:
                problems.append(f"MANIFEST {name}: no .json")
            else:
                decoded = tadm_reader.read_tadm(data)
                for key, value in expectation.items():
                    if key not in ("description", "kind") and decoded.get(key) != value:
                        problems.append(f"MANIFEST {name}: {key} is {value!r} in the .json, "
                                        f"python decodes {decoded.get(key)!r}")
        if disagreements or "@" not in name:  # variations are listed only when they differ
            mark = "DIFFER" if disagreements else "same  "
            print(f"{mark}   {name}: python {py_verdict}, c++ {cpp_verdict}")
    return problems, used


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdict", required=True, help="the container_verdict executable")
    parser.add_argument("--vectors", required=True, help="spec/vectors")
    parser.add_argument("--seeds", required=True, help="tests/fuzz/seeds")
    parser.add_argument("--allow", required=True, help="allowed_differences.txt")
    parser.add_argument("--mutations", action="store_true",
                        help="compare deterministic variations of every valid vector and .tadm seed "
                             "instead of the files themselves")
    args = parser.parse_args()

    source_root = os.path.dirname(os.path.dirname(os.path.abspath(args.vectors)))
    allowed = read_allow_list(args.allow)
    cases = corpus(args.vectors, args.seeds, source_root)
    if args.mutations:
        # Variations of every file both readers accept or that starts like a .tadm file.
        bases = [(name, data) for name, data, expectation in cases
                 if data[:8] == tadm_reader.SIGNATURE and (not expectation or expectation["kind"] == "valid")]
        cases = [(f"{name}@{label}", variant, None)
                 for name, data in bases for label, variant in mutants(data)]
        summary = f"{len(cases)} variations of {len(bases)} files"
    else:
        kinds = [e["kind"] if e else "seed" for _n, _d, e in cases]
        summary = (f"{kinds.count('valid')} valid vectors, {kinds.count('invalid')} invalid vectors, "
                   f"{kinds.count('seed')} fuzz seeds and unwrapped decoder seeds")

    problems, used = compare(cases, args.verdict, allowed)
    names = {name for name, _d, _e in cases}
    for name in sorted(set(allowed) & names - used):
        problems.append(f"STALE    {name}: listed in allowed_differences.txt but the readers agree: "
                        "remove the entry")

    print(f"\n{len(cases)} files compared ({summary}); {len(used)} allowed differences")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("the two readers agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
