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
import tempfile

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


def cpp_verdicts(exe, paths):
    """{path: (verdict, status, message)} from one run of container_verdict."""
    result = {}
    # Batches keep the command line short whatever the corpus size.
    for start in range(0, len(paths), 200):
        batch = paths[start:start + 200]
        out = subprocess.run([exe, *batch], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            path, verdict, status, message = line.split("\t", 3)
            result[path] = (verdict, status, message)
    missing = set(paths) - set(result)
    if missing:
        raise SystemExit(f"container_verdict gave no verdict for {sorted(missing)}")
    return result


def vector_expectation(path):
    """The JSON next to a spec vector, or None."""
    json_path = path[:-len(".tadm")] + ".json"
    if not path.endswith(".tadm") or not os.path.exists(json_path):
        return None
    with open(json_path, encoding="utf-8") as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdict", required=True, help="the container_verdict executable")
    parser.add_argument("--vectors", required=True, help="spec/vectors")
    parser.add_argument("--seeds", required=True, help="tests/fuzz/seeds")
    parser.add_argument("--allow", required=True, help="allowed_differences.txt")
    args = parser.parse_args()

    source_root = os.path.dirname(os.path.dirname(os.path.abspath(args.vectors)))
    allowed = read_allow_list(args.allow)

    valid = sorted(os.path.join(args.vectors, "valid", n)
                   for n in os.listdir(os.path.join(args.vectors, "valid")) if n.endswith(".tadm"))
    invalid = sorted(os.path.join(args.vectors, "invalid", n)
                     for n in os.listdir(os.path.join(args.vectors, "invalid")) if n.endswith(".tadm"))
    seeds, unwrapped = seed_files(args.seeds)

    with tempfile.TemporaryDirectory(prefix="tadm-reader-") as tmp:
        # Unwrapped decoder seeds are written out so that both readers read the same bytes; they
        # are named after their seed with "#tadm" appended in the report and the allow-list.
        display = {}
        files = []
        for path in valid + invalid + seeds:
            display[path] = os.path.relpath(path, source_root)
            files.append(path)
        for seed, data in unwrapped:
            out = os.path.join(tmp, os.path.basename(seed) + ".tadm")
            with open(out, "wb") as f:
                f.write(data)
            display[out] = os.path.relpath(seed, source_root) + "#tadm"
            files.append(out)

        cpp = cpp_verdicts(args.verdict, files)
        problems = []
        used_allowances = set()
        for path in files:
            name = display[path]
            with open(path, "rb") as f:
                data = f.read()
            py_verdict, py_status, py_message = tadm_reader.verdict(data)
            cpp_verdict, cpp_status, cpp_message = cpp[path]

            disagreements = []
            if py_verdict != cpp_verdict:
                disagreements.append(f"verdict: python {py_verdict} ({py_message}) | "
                                     f"c++ {cpp_verdict} ({cpp_message})")
            if py_verdict != "bad_signature" and py_status != cpp_status:
                disagreements.append(f"status: python {py_status} | c api {cpp_status}")
            if disagreements and allowed.get(name) == (py_verdict, cpp_verdict):
                used_allowances.add(name)
                print(f"allowed  {name}: python {py_verdict}, c++ {cpp_verdict} (allowed_differences.txt)")
                disagreements = []
            for text in disagreements:
                problems.append(f"DISAGREE {name}: {text}")

            expected = vector_expectation(path) if path in valid or path in invalid else None
            if path in invalid:
                want = expected["error"] if expected else None
                if want is None:
                    problems.append(f"MANIFEST {name}: no .json with an \"error\"")
                elif py_verdict != want or cpp_verdict != want:
                    problems.append(f"MANIFEST {name}: expected {want}, python {py_verdict}, c++ {cpp_verdict}")
            elif path in valid:
                if py_verdict != "ok" or cpp_verdict != "ok":
                    problems.append(f"MANIFEST {name}: expected ok, python {py_verdict} ({py_message}), "
                                    f"c++ {cpp_verdict} ({cpp_message})")
                elif expected is None:
                    problems.append(f"MANIFEST {name}: no .json")
                else:
                    decoded = tadm_reader.read_tadm(data)
                    for key, value in expected.items():
                        if key != "description" and decoded.get(key) != value:
                            problems.append(f"MANIFEST {name}: {key} is {value!r} in the .json, "
                                            f"python decodes {decoded.get(key)!r}")
            print(f"{'same' if not disagreements else 'DIFFER'}     {name}: python {py_verdict}, c++ {cpp_verdict}")

        for name in sorted(set(allowed) - used_allowances):
            problems.append(f"STALE    {name}: listed in allowed_differences.txt but the readers agree "
                            "(or the file is gone): remove the entry")

    print(f"\n{len(files)} files compared ({len(valid)} valid vectors, {len(invalid)} invalid vectors, "
          f"{len(seeds)} fuzz seeds, {len(unwrapped)} .tadm files unwrapped from decoder seeds); "
          f"{len(used_allowances)} allowed differences")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("the two readers agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
