#!/usr/bin/python3
"""An independent reader of the .tadm container, version 1.

Written from spec/container.md alone (not from the C++ reader), so that running both over the
same files finds places where the reference implementation and the spec disagree. Standard
library only.

Usage: tadm_reader.py [--json] FILE...
  prints one line per file: "<verdict>\t<status>\t<file>\t<message>", where verdict is "ok" or an
  error name of spec section 7.3 and status is the tadm_status (codec/include/tadm/tadm.h) that
  error maps to. Exit status 0 if every file is ok, 1 otherwise, 2 on a usage or I/O error.
"""

import hashlib
import json
import struct
import sys
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89TADM\r\n\x1a"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JXL_CONTAINER_SIGNATURE = bytes.fromhex("0000000C4A584C200D0A870A")

MAX_CHUNK_LENGTH = 0x7FFFFFFF
KNOWN_TYPES = (b"HEAD", b"MODL", b"LRIM", b"TEND", b"iccp", b"cicp", b"exif", b"xmpp", b"hint")
# Types whose size is bounded by their own checks; every other type counts against
# max_metadata_bytes (spec 7.2 step 6).
NOT_METADATA_LIMITED = (b"HEAD", b"MODL", b"LRIM", b"TEND", b"cicp")

LR_CODEC_NAMES = {0: "PNG", 1: "JPEG", 2: "WebP", 3: "JPEG XL", 4: "AVIF"}

# Spec 7.3 error names -> tadm_status names. The spec does not state this mapping; it follows the
# meaning tadm.h gives each status: damaged or not what it claims -> CORRUPT; valid but beyond
# what this reader implements -> UNSUPPORTED; beyond a reader limit -> LIMIT.
STATUS_OF_ERROR = {
    "truncated": "TADM_ERROR_CORRUPT",
    "bad_signature": "TADM_ERROR_CORRUPT",
    "unsupported_version": "TADM_ERROR_UNSUPPORTED",
    "bad_crc": "TADM_ERROR_CORRUPT",
    "bad_chunk": "TADM_ERROR_CORRUPT",
    "missing_chunk": "TADM_ERROR_CORRUPT",
    "unknown_critical": "TADM_ERROR_UNSUPPORTED",
    "bad_field": "TADM_ERROR_CORRUPT",
    "limit_exceeded": "TADM_ERROR_LIMIT",
}


@dataclass
class Limits:
    """Reader limits of spec section 8, with the reference reader's defaults."""
    max_pixels: int = 1 << 30
    max_dimension: int = 1 << 20
    max_lr_bytes: int = 256 << 20
    max_metadata_bytes: int = 64 << 20
    max_chunks: int = 1024


class TadmError(Exception):
    """A reader error of spec section 7.3: `name` is the error, the text says where and why."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name

    @property
    def status(self):
        return STATUS_OF_ERROR[self.name]


def fail(name, message):
    raise TadmError(name, message)


def u16(data, offset):
    return struct.unpack_from(">H", data, offset)[0]


def u32(data, offset):
    return struct.unpack_from(">I", data, offset)[0]


def ceil_div(a, b):
    return (a + b - 1) // b


def is_letter(byte):
    return 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def is_plain_name(name):
    """Spec 6.2: bytes from A-Z a-z 0-9 . _ -, the first a letter or digit."""
    def allowed(byte):
        return is_letter(byte) or 0x30 <= byte <= 0x39 or byte in b"._-"
    first = name[0]
    return all(allowed(b) for b in name) and (is_letter(first) or 0x30 <= first <= 0x39)


def type_text(chunk_type):
    return chunk_type.decode("latin-1")


# ---------------------------------------------------------------- chunk contents (section 6)

def check_head(data, limits):
    """Spec 6.1, checks in the spec's order. Returns the decoded fields."""
    if len(data) != 24:
        fail("bad_chunk", f"chunk HEAD: length {len(data)} is not 24")
    width, height, scale_x, scale_y, lr_width, lr_height, flags, bit_depth, lr_codec, _reserved = \
        struct.unpack(">IIHHIIBBBB", data)
    if width == 0:
        fail("bad_field", "chunk HEAD: width is 0")
    if height == 0:
        fail("bad_field", "chunk HEAD: height is 0")
    if not 2 <= scale_x <= 64:
        fail("bad_field", f"chunk HEAD: scale_x {scale_x} is outside 2..64")
    if not 2 <= scale_y <= 64:
        fail("bad_field", f"chunk HEAD: scale_y {scale_y} is outside 2..64")
    if flags & 0xFC:
        fail("bad_field", f"chunk HEAD: flags 0x{flags:02X} has reserved bits set")
    if bit_depth not in (8, 16):
        fail("bad_field", f"chunk HEAD: original_bit_depth {bit_depth} is not 8 or 16")
    if lr_codec > 4:
        fail("bad_field", f"chunk HEAD: lr_codec {lr_codec} is not defined (0..4)")
    if lr_width != ceil_div(width, scale_x):
        fail("bad_field", f"chunk HEAD: lr_width {lr_width} is not ceil({width} / {scale_x})")
    if lr_height != ceil_div(height, scale_y):
        fail("bad_field", f"chunk HEAD: lr_height {lr_height} is not ceil({height} / {scale_y})")
    if width > limits.max_dimension:
        fail("limit_exceeded", f"chunk HEAD: width {width} is above max_dimension {limits.max_dimension}")
    if height > limits.max_dimension:
        fail("limit_exceeded", f"chunk HEAD: height {height} is above max_dimension {limits.max_dimension}")
    if width * height > limits.max_pixels:
        fail("limit_exceeded", f"chunk HEAD: {width} x {height} pixels is above "
                               f"max_pixels {limits.max_pixels}")
    return {
        "width": width, "height": height, "scale_x": scale_x, "scale_y": scale_y,
        "lr_width": lr_width, "lr_height": lr_height, "flags": flags,
        "original_bit_depth": bit_depth, "lr_codec": lr_codec,
    }


def check_modl(data):
    """Spec 6.2. Returns name, version and sha256 (hex)."""
    length = len(data)
    if length < 1:
        fail("bad_chunk", "chunk MODL: empty")
    name_len = data[0]
    if length < name_len + 2:
        fail("bad_chunk", f"chunk MODL: length {length} ends inside the name of {name_len} bytes")
    version_len = data[1 + name_len]
    if length != name_len + version_len + 34:
        fail("bad_chunk", f"chunk MODL: length {length} is not 1 + {name_len} + 1 + {version_len} + 32")
    if not 1 <= name_len <= 64:
        fail("bad_field", f"chunk MODL: name_len {name_len} is outside 1..64")
    name = data[1:1 + name_len]
    if not is_plain_name(name):
        fail("bad_field", f"chunk MODL: name {name!r} is not a plain name")
    if version_len > 64:
        fail("bad_field", f"chunk MODL: version_len {version_len} is above 64")
    version = data[2 + name_len:2 + name_len + version_len]
    if any(not 0x20 <= b <= 0x7E for b in version):
        fail("bad_field", f"chunk MODL: version {version!r} has a byte outside 0x20..0x7E")
    sha256 = data[2 + name_len + version_len:]
    return {"name": name.decode("ascii"), "version": version.decode("ascii"), "sha256": sha256.hex()}


def check_lr_png(data, head):
    if len(data) < 33:
        fail("bad_chunk", f"chunk LRIM: {len(data)} bytes cannot hold a PNG signature and IHDR")
    if data[0:8] != PNG_SIGNATURE:
        fail("bad_field", "chunk LRIM: lr_codec 0 but the data does not start with the PNG signature")
    if data[8:12] != b"\x00\x00\x00\x0d" or data[12:16] != b"IHDR":
        fail("bad_field", "chunk LRIM: the PNG's first chunk is not a 13-byte IHDR")
    width, height = u32(data, 16), u32(data, 20)
    if width != head["lr_width"] or height != head["lr_height"]:
        fail("bad_field", f"chunk LRIM: PNG IHDR says {width}x{height}, HEAD says "
                          f"{head['lr_width']}x{head['lr_height']}")
    if data[24] != 8:
        fail("bad_field", f"chunk LRIM: PNG bit depth {data[24]} is not 8")
    if data[25] not in (0, 2, 3, 4, 6):
        fail("bad_field", f"chunk LRIM: PNG colour type {data[25]} is not 0, 2, 3, 4 or 6")


def check_lr_jpeg(data, head):
    length = len(data)
    if length < 2:
        fail("bad_chunk", "chunk LRIM: too short for a JPEG SOI marker")
    if data[0:2] != b"\xff\xd8":
        fail("bad_field", "chunk LRIM: lr_codec 1 but the data does not start with a JPEG SOI")
    # Walk the marker segments up to the first frame header (spec 6.3 JPEG step 4).
    p = 2
    while True:
        if length - p < 2:
            fail("bad_chunk", "chunk LRIM: the JPEG stream ends before its frame header")
        if data[p] != 0xFF:
            fail("bad_field", f"chunk LRIM: JPEG byte at {p} is 0x{data[p]:02X}, not a marker")
        marker = data[p + 1]
        if marker == 0xFF:  # a fill byte before the marker
            p += 1
            continue
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xDA:
            fail("bad_field", f"chunk LRIM: JPEG marker FF{marker:02X} before any frame header")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            break
        if length - p < 4:
            fail("bad_chunk", "chunk LRIM: the JPEG stream ends inside a marker segment")
        segment = u16(data, p + 2)
        if segment < 2:
            fail("bad_field", f"chunk LRIM: JPEG segment FF{marker:02X} has length {segment}")
        p += 2 + segment
        if p > length:
            fail("bad_chunk", f"chunk LRIM: JPEG segment FF{marker:02X} runs past the stream")
    if length - p < 10:
        fail("bad_chunk", "chunk LRIM: the JPEG stream ends inside its frame header")
    if marker not in (0xC0, 0xC1, 0xC2):
        fail("bad_field", f"chunk LRIM: JPEG frame FF{marker:02X} is not baseline, extended or "
                          "progressive Huffman")
    if data[p + 4] != 8:
        fail("bad_field", f"chunk LRIM: JPEG sample precision {data[p + 4]} is not 8")
    height, width = u16(data, p + 5), u16(data, p + 7)
    if width != head["lr_width"] or height != head["lr_height"]:
        fail("bad_field", f"chunk LRIM: JPEG frame header says {width}x{height}, HEAD says "
                          f"{head['lr_width']}x{head['lr_height']}")
    if data[p + 9] not in (1, 3):
        fail("bad_field", f"chunk LRIM: JPEG component count {data[p + 9]} is not 1 or 3")


def check_lr_webp(data, head):
    length = len(data)
    if length < 20:
        fail("bad_chunk", "chunk LRIM: too short for a WebP RIFF header and first chunk header")
    if data[0:4] != b"RIFF" or data[8:12] != b"WEBP":
        fail("bad_field", "chunk LRIM: lr_codec 2 but the data is not a RIFF WEBP file")
    kind = data[12:16]
    header_size = {b"VP8 ": 10, b"VP8L": 5, b"VP8X": 10}.get(kind)
    if header_size is None:
        fail("bad_field", f"chunk LRIM: WebP first chunk {kind!r} is not VP8, VP8L or VP8X")
    if length < 20 + header_size:
        fail("bad_chunk", "chunk LRIM: the WebP stream ends inside its image header")
    riff_size = struct.unpack_from("<I", data, 4)[0]
    if riff_size != length - 8:
        fail("bad_field", f"chunk LRIM: WebP RIFF size {riff_size} is not {length - 8}")
    if kind == b"VP8 ":
        if data[20] & 1:
            fail("bad_field", "chunk LRIM: WebP VP8 frame is not a key frame")
        if data[23:26] != b"\x9d\x01\x2a":
            fail("bad_field", "chunk LRIM: WebP VP8 start code is wrong")
        width = struct.unpack_from("<H", data, 26)[0] & 0x3FFF
        height = struct.unpack_from("<H", data, 28)[0] & 0x3FFF
    elif kind == b"VP8L":
        if data[20] != 0x2F:
            fail("bad_field", f"chunk LRIM: WebP VP8L signature byte 0x{data[20]:02X} is not 0x2F")
        bits = struct.unpack_from("<I", data, 21)[0]
        if bits >> 29:
            fail("bad_field", f"chunk LRIM: WebP VP8L version {bits >> 29} is not 0")
        width = (bits & 0x3FFF) + 1
        height = ((bits >> 14) & 0x3FFF) + 1
    else:
        if data[20] & 0x02:
            fail("bad_field", "chunk LRIM: WebP VP8X declares an animation")
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    if width != head["lr_width"] or height != head["lr_height"]:
        fail("bad_field", f"chunk LRIM: WebP header says {width}x{height}, HEAD says "
                          f"{head['lr_width']}x{head['lr_height']}")


def check_lr_jxl(data, head):
    if len(data) < 2:
        fail("bad_chunk", "chunk LRIM: too short for a JPEG XL signature")
    if data[0:2] != b"\xff\x0a" and data[0:12] != JXL_CONTAINER_SIGNATURE:
        fail("bad_field", "chunk LRIM: lr_codec 3 but the data is not a JPEG XL codestream or container")


def check_lr_avif(data, head):
    length = len(data)
    if length < 16:
        fail("bad_chunk", "chunk LRIM: too short for an ISO BMFF ftyp box")
    if data[4:8] != b"ftyp":
        fail("bad_field", "chunk LRIM: lr_codec 4 but the first box is not ftyp")
    box_size = u32(data, 0)
    if box_size < 16 or box_size > length or (box_size - 16) % 4:
        fail("bad_field", f"chunk LRIM: ftyp box size {box_size} is invalid")
    brands = [data[8:12]] + [data[i:i + 4] for i in range(16, box_size, 4)]
    if b"avif" not in brands:
        fail("bad_field", "chunk LRIM: the ftyp box does not name the brand avif")


LR_CHECKS = {0: check_lr_png, 1: check_lr_jpeg, 2: check_lr_webp, 3: check_lr_jxl, 4: check_lr_avif}


def check_lrim(data, head, limits):
    """Spec 6.3: the signature and, where cheap, the size of the LR stream."""
    if len(data) > limits.max_lr_bytes:
        fail("limit_exceeded", f"chunk LRIM: {len(data)} bytes is above max_lr_bytes {limits.max_lr_bytes}")
    LR_CHECKS[head["lr_codec"]](data, head)


def check_not_empty(chunk_type, data):
    """Spec 6.5, 6.7, 6.8: iccp, exif and xmpp are omitted rather than written empty."""
    if not data:
        fail("bad_chunk", f"chunk {type_text(chunk_type)}: empty")


def check_cicp(data):
    if len(data) != 4:
        fail("bad_chunk", f"chunk cicp: length {len(data)} is not 4")
    if data[3] > 1:
        fail("bad_field", f"chunk cicp: full_range {data[3]} is not 0 or 1")
    return {"colour_primaries": data[0], "transfer_characteristics": data[1],
            "matrix_coefficients": data[2], "full_range": data[3]}


def check_hint(data, head):
    length = len(data)
    if length < 8:
        fail("bad_chunk", f"chunk hint: length {length} is below 8")
    grid_width, grid_height, tile_width, tile_height = struct.unpack_from(">HHHH", data, 0)
    if length != 8 + grid_width * grid_height:
        fail("bad_chunk", f"chunk hint: length {length} is not 8 + {grid_width} x {grid_height}")
    for name, value in (("grid_width", grid_width), ("grid_height", grid_height),
                        ("tile_width", tile_width), ("tile_height", tile_height)):
        if value == 0:
            fail("bad_field", f"chunk hint: {name} is 0")
    for grid, tile, lr, axis in ((grid_width, tile_width, head["lr_width"], "width"),
                                 (grid_height, tile_height, head["lr_height"], "height")):
        if grid * tile < lr or (grid - 1) * tile >= lr:
            fail("bad_field", f"chunk hint: grid_{axis} {grid} of tiles of {tile} does not cover "
                              f"lr_{axis} {lr} exactly")
    return {"grid_width": grid_width, "grid_height": grid_height, "tile_width": tile_width,
            "tile_height": tile_height, "values": list(data[8:])}


def blob_info(data):
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


# ---------------------------------------------------------------- the file (section 7)

def read_tadm(data, limits=None):
    """Reads and validates a whole .tadm file. Returns its decoded fields (the keys of the valid
    vectors' JSON); raises TadmError with the error of spec 7.3 on the first failing check."""
    limits = limits or Limits()
    size = len(data)

    # 7.1 file header.
    prefix = min(size, 8)
    if data[:prefix] != SIGNATURE[:prefix]:
        fail("bad_signature", "not a .tadm file: the signature differs")
    if size < 12:
        fail("truncated", f"the file ends after {size} bytes, inside the 12-byte file header")
    if data[8] != 1:
        fail("unsupported_version", f"version_major {data[8]} is not 1")
    result = {"version_major": data[8], "version_minor": data[9], "icc": None, "exif": None,
              "xmp": None, "cicp": None, "hint": None, "unknown_optional": [], "chunks": [],
              "file_size": size, "file_sha256": hashlib.sha256(data).hexdigest()}

    # 7.2 chunk loop.
    pos = 12
    count = 0
    seen = set()
    head = None
    while True:
        if pos == size:
            fail("truncated", f"the file ends at offset {pos} without a TEND chunk")
        if size - pos < 8:
            fail("truncated", f"the file ends inside the chunk header at offset {pos}")
        length = u32(data, pos)
        chunk_type = data[pos + 4:pos + 8]
        shown = type_text(chunk_type) if all(is_letter(b) for b in chunk_type) else chunk_type.hex()
        if length > MAX_CHUNK_LENGTH:
            fail("bad_chunk", f"chunk {shown} at {pos}: length {length} is above 2^31-1")
        if not all(is_letter(b) for b in chunk_type):
            fail("bad_chunk", f"chunk at {pos}: type {chunk_type!r} is not four ASCII letters")
        count += 1
        if count > limits.max_chunks:
            fail("limit_exceeded", f"chunk {shown} at {pos}: more than max_chunks {limits.max_chunks} chunks")
        if chunk_type == b"LRIM" and length > limits.max_lr_bytes:
            fail("limit_exceeded", f"chunk LRIM: {length} bytes is above max_lr_bytes {limits.max_lr_bytes}")
        if chunk_type not in NOT_METADATA_LIMITED and length > limits.max_metadata_bytes:
            fail("limit_exceeded", f"chunk {shown}: {length} bytes is above max_metadata_bytes "
                                   f"{limits.max_metadata_bytes}")
        if size - (pos + 8) < length + 4:
            fail("truncated", f"chunk {shown} at {pos}: length {length} runs past the end of the file")
        chunk_data = data[pos + 8:pos + 8 + length]
        stored_crc = u32(data, pos + 8 + length)
        if stored_crc != zlib.crc32(chunk_type + chunk_data):
            fail("bad_crc", f"chunk {shown} at {pos}: CRC mismatch")
        if count == 1 and chunk_type != b"HEAD":
            fail("missing_chunk", f"the first chunk is {shown}, not HEAD")
        critical = 0x41 <= chunk_type[0] <= 0x5A
        known = chunk_type in KNOWN_TYPES
        result["chunks"].append({"type": shown, "offset": pos, "length": length,
                                 "critical": critical, "known": known})
        if not known:
            if critical:
                fail("unknown_critical", f"chunk {shown}: unknown critical chunk")
            result["unknown_optional"].append({"type": shown, **blob_info(chunk_data)})
            pos += 12 + length
            continue
        if chunk_type in seen:
            fail("bad_chunk", f"chunk {shown}: appears twice")
        seen.add(chunk_type)

        if chunk_type == b"HEAD":
            head = check_head(chunk_data, limits)
            result.update(head)
        elif chunk_type == b"MODL":
            result["model"] = check_modl(chunk_data)
        elif chunk_type == b"LRIM":
            check_lrim(chunk_data, head, limits)
            result["lr_image"] = blob_info(chunk_data)
        elif chunk_type in (b"iccp", b"exif", b"xmpp"):
            check_not_empty(chunk_type, chunk_data)
            result[{b"iccp": "icc", b"exif": "exif", b"xmpp": "xmp"}[chunk_type]] = blob_info(chunk_data)
        elif chunk_type == b"cicp":
            result["cicp"] = check_cicp(chunk_data)
        elif chunk_type == b"hint":
            result["hint"] = check_hint(chunk_data, head)
        elif chunk_type == b"TEND":
            if length != 0:
                fail("bad_chunk", f"chunk TEND: length {length} is not 0")
            if b"MODL" not in seen:
                fail("missing_chunk", "no MODL chunk before TEND")
            if b"LRIM" not in seen:
                fail("missing_chunk", "no LRIM chunk before TEND")
            end = pos + 12
            if end != size:
                fail("bad_chunk", f"chunk TEND: {size - end} bytes follow it")
            return result
        pos += 12 + length


def verdict(data, limits=None):
    """(verdict, status, message): verdict "ok" or the spec 7.3 error name."""
    try:
        read_tadm(data, limits)
    except TadmError as error:
        return error.name, error.status, str(error)
    return "ok", "TADM_OK", ""


def main(argv):
    args = argv[1:]
    as_json = False
    if args and args[0] == "--json":
        as_json = True
        args = args[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    all_ok = True
    for path in args:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 2
        if as_json:
            try:
                print(json.dumps(read_tadm(data), indent=2, sort_keys=True))
            except TadmError as error:
                print(json.dumps({"error": error.name, "status": error.status, "message": str(error)}))
                all_ok = False
            continue
        name, status, message = verdict(data)
        all_ok = all_ok and name == "ok"
        print(f"{name}\t{status}\t{path}\t{message}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
