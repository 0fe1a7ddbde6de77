#!/usr/bin/python3
"""Writes tests/container/png_streams.hpp: small PNG streams with the features spec/container.md
6.3 rules on (interlace, colour and other ancillary chunks, animation, tRNS, a 4-bit palette) and
two black images at the reader minimums of section 8.1, for the spec vectors
(tests/tools/make_spec_vectors.cpp). Run once; the bytes are committed so the vectors do not
depend on zlib's version. Standard library only.

    /usr/bin/python3 tests/tools/make_png_streams.py > tests/container/png_streams.hpp
"""

import struct
import zlib

WIDTH, HEIGHT = 4, 3  # the LR size of the 4x3 streams, as in lr_streams.hpp


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def stored(raw):
    """A zlib stream of stored deflate blocks: the bytes do not depend on the zlib version."""
    out = b"\x78\x01"
    for pos in range(0, len(raw), 65535):
        block = raw[pos:pos + 65535]
        last = pos + len(block) == len(raw)
        out += bytes([last]) + struct.pack("<HH", len(block), 0xFFFF ^ len(block)) + block
    return out + struct.pack(">I", zlib.adler32(raw))


def ihdr(width, height, bit_depth, colour_type, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace))


def pattern(x, y, c):
    """The pattern of lr_streams.hpp: v(x, y, c) = (40 + 50x + 30y + 25c) mod 256."""
    return (40 + 50 * x + 30 * y + 25 * c) % 256


def rgb_rows(width, height, value=pattern, xs=None, ys=None):
    """Raw scanlines (filter byte 0, then RGB samples) of the pixels at columns xs and rows ys."""
    xs = range(width) if xs is None else xs
    ys = range(height) if ys is None else ys
    return b"".join(b"\x00" + bytes(value(x, y, c) for x in xs for c in range(3)) for y in ys)


def png(*chunks):
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + chunk(b"IEND", b"")


def interlaced():
    """Adam7: the seven passes' reduced images one after another, each row with its filter byte."""
    raw = b""
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                           (0, 1, 1, 2)):
        xs, ys = range(x0, WIDTH, dx), range(y0, HEIGHT, dy)
        if xs and ys:
            raw += rgb_rows(WIDTH, HEIGHT, xs=xs, ys=ys)
    return png(ihdr(WIDTH, HEIGHT, 8, 2, interlace=1), chunk(b"IDAT", stored(raw)))


def ancillary():
    """sRGB, gAMA and cHRM (the sRGB values), pHYs and tEXt before the image data."""
    return png(ihdr(WIDTH, HEIGHT, 8, 2),
               chunk(b"sRGB", b"\x00"),
               chunk(b"gAMA", struct.pack(">I", 45455)),
               chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
               chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
               chunk(b"tEXt", b"Comment\x00readers ignore these chunks"),
               chunk(b"IDAT", stored(rgb_rows(WIDTH, HEIGHT))))


def animated():
    """An APNG of two frames: the IDAT image is the first, an fdAT frame of inverted samples the second."""
    def fctl(sequence):
        return chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, WIDTH, HEIGHT, 0, 0, 1, 10, 0, 0))
    second = rgb_rows(WIDTH, HEIGHT, value=lambda x, y, c: 255 - pattern(x, y, c))
    return png(ihdr(WIDTH, HEIGHT, 8, 2),
               chunk(b"acTL", struct.pack(">II", 2, 0)),
               fctl(0),
               chunk(b"IDAT", stored(rgb_rows(WIDTH, HEIGHT))),
               fctl(1),
               chunk(b"fdAT", struct.pack(">I", 2) + stored(second)))


PALETTE = bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])  # black, red, green, blue (as make_png)


def palette_trns():
    """Colour type 3 with a tRNS chunk of three alpha values (the fourth colour stays opaque)."""
    raw = b"".join(b"\x00" + bytes((x + y) % 4 for x in range(WIDTH)) for y in range(HEIGHT))
    return png(ihdr(WIDTH, HEIGHT, 8, 3), chunk(b"PLTE", PALETTE), chunk(b"tRNS", bytes([0, 85, 170])),
               chunk(b"IDAT", stored(raw)))


def palette_4_bit():
    """Colour type 3 at bit depth 4 (two indices a byte), valid PNG the container refuses."""
    raw = b"".join(b"\x00" + bytes(((x + y) % 4) << 4 | (x + 1 + y) % 4 for x in range(0, WIDTH, 2))
                   for y in range(HEIGHT))
    return png(ihdr(WIDTH, HEIGHT, 4, 3), chunk(b"PLTE", PALETTE), chunk(b"IDAT", stored(raw)))


def black(width, height):
    """A black gray image, deflated (the zeros of a stored stream would make a large vector)."""
    return png(ihdr(width, height, 8, 0), chunk(b"IDAT", zlib.compress(bytes((1 + width) * height), 9)))


STREAMS = (
    ("kPngInterlaced4x3", interlaced(), "RGB, Adam7 interlaced (interlace method 1)"),
    ("kPngAncillary4x3", ancillary(), "RGB with sRGB, gAMA, cHRM, pHYs and tEXt chunks"),
    ("kPngAnimated4x3", animated(), "RGB APNG (acTL, fcTL, fdAT) of two frames; the IDAT image is the first"),
    ("kPngPaletteTrns4x3", palette_trns(), "palette (colour type 3) with tRNS alpha 0, 85, 170 for indices 0-2"),
    ("kPngPalette4Bit4x3", palette_4_bit(), "palette at bit depth 4"),
    ("kPngBlack1024x1", black(1024, 1), "1024x1 gray, all 0"),
    ("kPngBlack128x64", black(128, 64), "128x64 gray, all 0"),
)


def main():
    print("// Small PNG streams for the spec vectors (tests/tools/make_spec_vectors.cpp), written by")
    print("// tests/tools/make_png_streams.py and committed as bytes so the vectors do not change with zlib.")
    print("// The 4x3 RGB ones code the pattern of lr_streams.hpp, v(x, y, c) = (40 + 50x + 30y + 25c) mod 256;")
    print("// the palette ones index (x + y) mod 4 into black, red, green, blue. Every one is a valid PNG that")
    print("// libpng decodes (tests/codec/lr_codec_test.cpp decodes the vectors' LR images).")
    print("#pragma once")
    print()
    print("#include <cstdint>")
    print("#include <vector>")
    print()
    print("namespace tadm::testing::png_streams {")
    print()
    print("using Bytes = std::vector<std::uint8_t>;")
    for name, data, what in STREAMS:
        print()
        print(f"// {what}; {len(data)} bytes")
        print(f"inline const Bytes {name} = {{")
        for pos in range(0, len(data), 16):
            print("    " + " ".join(f"0x{b:02X}," for b in data[pos:pos + 16]))
        print("};")
    print()
    print("}  // namespace tadm::testing::png_streams")


if __name__ == "__main__":
    main()
