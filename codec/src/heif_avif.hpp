// HEIF and AVIF as alternative containers for the LR image (spec/heif-avif.md).
//
// The LR image is the primary image of the HEIF/AVIF file, coded losslessly as YCbCr 4:4:4 with
// identity matrix coefficients (MC = 0) and full range, so any viewer shows the thumbnail and the
// pixels come back bit-exact -- or, in the AVIF flavour of a file whose thumbnail is AVIF
// (lr_codec 4, lossy or not), that very thumbnail. The TADM fields travel as a "TADM header": the bytes of the
// equivalent .tadm file with its LRIM chunk removed (one serialisation, container::write/read).
// HEIF carries it as a `mime` item of content type application/x-tadm-header; AVIF as base64 in
// an XMP packet with the tadm namespace.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "image.hpp"
#include "lr_codec.hpp"
#include "tadm/tadm.h"

namespace tadm::interop {

inline constexpr const char* kHeaderContentType = "application/x-tadm-header";
inline constexpr const char* kXmpNamespace = "http://ns.tadm.invalid/tadm/1.0/";

// Which container the bytes are, by content: the .tadm signature, or an ISOBMFF `ftyp` box whose
// brands name AVIF (avif/avis) or HEIF (anything else). TADM when neither (the .tadm reader then
// gives its own error).
tadm_container_format sniff(std::span<const std::uint8_t> bytes);
const char* container_name(tadm_container_format format);

// Wraps an encoded .tadm file as HEIF or AVIF: the TADM header gets an `lsha` chunk, the SHA-256 of
// the thumbnail samples, and the written file is decoded once to check the coding was lossless.
// `lr` is the LR image (8-bit, the pixels the LRIM holds); `md` the original's metadata (ICC/EXIF
// also attached for viewers). A .tadm with an AVIF thumbnail (lr_codec 4, AVIF flavour only)
// becomes a TADM-AVIF whose primary image is that thumbnail, coded again with `lr_options` (the
// options it was coded with: the same AV1 data) and checked to decode to the same planes; any
// other lr_codec but PNG is TADM_ERROR_UNSUPPORTED.
std::vector<std::uint8_t> wrap(tadm_container_format format, std::span<const std::uint8_t> tadm_file,
                               const Image& lr, const Metadata& md, int threads, const LrEncodeOptions& lr_options);

// Reads a TADM-HEIF or TADM-AVIF file and returns the equivalent .tadm file: the stored header
// (checked as the .tadm reader checks it) without its `lsha` chunk, with an LRIM chunk holding a
// PNG of the decoded LR pixels (re-encoded, pixel-identical) once they match `lsha` -- or, for a
// header with lr_codec 4 (AVIF), the AVIF file itself.
// Throws tadm::Error (TADM_ERROR_CORRUPT for a damaged file, a checksum mismatch or a file without
// TADM metadata or checksum, TADM_ERROR_LIMIT for an image beyond `limits`).
std::vector<std::uint8_t> unwrap(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads);

}  // namespace tadm::interop
