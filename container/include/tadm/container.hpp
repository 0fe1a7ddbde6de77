// Reader and writer for the .tadm container, version 1 (spec/container.md).
// This library knows bytes only: no pixels, no models. It depends on zlib (CRC-32).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tadm::container {

inline constexpr std::array<std::uint8_t, 8> kSignature = {0x89, 'T', 'A', 'D', 'M', 0x0D, 0x0A, 0x1A};
inline constexpr std::uint8_t kVersionMajor = 1;
inline constexpr std::uint8_t kVersionMinor = 0;
inline constexpr std::size_t kFileHeaderSize = 12;  // signature + major + minor + 2 reserved bytes
inline constexpr std::size_t kChunkOverhead = 12;   // length + type + CRC-32

// Why a parse or a write failed. Each maps to one public tadm_status in the codec.
enum class ErrorCode {
  kNone = 0,
  kTruncated,         // the bytes end before a structure that must be there
  kBadSignature,      // not a .tadm file
  kUnsupportedVersion,
  kBadCrc,
  kBadChunk,          // malformed chunk: bad type characters, bad length, misplaced, duplicated
  kMissingChunk,      // a required chunk is absent
  kUnknownCritical,   // a critical chunk this reader does not know
  kBadField,          // a field value outside what the spec allows
  kLimitExceeded,     // within the spec, but beyond the reader's configured limits
};

struct Error {
  ErrorCode code = ErrorCode::kNone;
  std::string message;  // names the chunk/field and the offending value
  explicit operator bool() const { return code != ErrorCode::kNone; }
};

const char* error_code_name(ErrorCode code);

// Reader limits, all checked before any allocation that depends on file content.
struct Limits {
  std::uint64_t max_pixels = 1ull << 30;         // original width * height
  std::uint32_t max_dimension = 1u << 20;        // original width or height
  std::uint32_t max_lr_bytes = 256u << 20;       // LRIM payload
  std::uint32_t max_metadata_bytes = 64u << 20;  // each of iccp / exif / xmpp / hint / unknown chunk
  std::uint32_t max_chunks = 1024;
};

// HEAD flags
inline constexpr std::uint8_t kFlagAlpha = 0x01;      // original had an alpha channel (LR PNG carries it)
inline constexpr std::uint8_t kFlagGrayscale = 0x02;  // original was grayscale: decoders output gray

// HEAD lr_codec: the format of the LR image in LRIM (spec/container.md §6.1, §6.3).
inline constexpr std::uint8_t kLrCodecPng = 0;
inline constexpr std::uint8_t kLrCodecJpeg = 1;
inline constexpr std::uint8_t kLrCodecWebp = 2;
inline constexpr std::uint8_t kLrCodecJxl = 3;
inline constexpr std::uint8_t kLrCodecAvif = 4;
inline constexpr std::uint8_t kLrCodecCount = 5;  // values >= this are not defined by version 1

// "png", "jpeg", "webp", "jxl", "avif"; nullptr for a value version 1 does not define.
const char* lr_codec_name(std::uint8_t lr_codec);
// The usual file extension of that format without the dot ("png", "jpg", "webp", "jxl", "avif");
// nullptr for an undefined value. Tools name an extracted thumbnail with it.
const char* lr_codec_extension(std::uint8_t lr_codec);

struct Cicp {
  std::uint8_t colour_primaries = 0;
  std::uint8_t transfer_characteristics = 0;
  std::uint8_t matrix_coefficients = 0;
  std::uint8_t full_range = 1;
};

// Per-tile decoder hint (for example a diffusion timestep map); opaque to the container.
struct Hint {
  std::uint16_t grid_width = 0;
  std::uint16_t grid_height = 0;
  std::uint16_t tile_width = 0;   // in LR pixels
  std::uint16_t tile_height = 0;  // in LR pixels
  std::vector<std::uint8_t> values;  // grid_width * grid_height bytes, row-major
};

struct ChunkInfo {
  std::array<char, 4> type{};
  std::uint64_t offset = 0;  // of the chunk's length field in the file
  std::uint32_t length = 0;  // of the data
  bool critical = false;
  bool known = false;
};

struct UnknownChunk {
  std::array<char, 4> type{};
  std::vector<std::uint8_t> data;
};

struct File {
  std::uint8_t version_major = kVersionMajor;
  std::uint8_t version_minor = kVersionMinor;
  // HEAD
  std::uint32_t width = 0;  // original image
  std::uint32_t height = 0;
  std::uint16_t scale_x = 0;
  std::uint16_t scale_y = 0;
  std::uint32_t lr_width = 0;  // == ceil(width / scale_x)
  std::uint32_t lr_height = 0;
  std::uint8_t flags = 0;
  std::uint8_t original_bit_depth = 8;  // 8 or 16
  std::uint8_t lr_codec = kLrCodecPng;
  // MODL
  std::string model_name;
  std::string model_version;
  std::array<std::uint8_t, 32> model_sha256{};
  // LRIM
  std::vector<std::uint8_t> lr_image;  // the LR image stream (format: lr_codec), byte for byte
  // optional chunks
  std::optional<std::vector<std::uint8_t>> icc;
  std::optional<Cicp> cicp;
  std::optional<std::vector<std::uint8_t>> exif;
  std::optional<std::vector<std::uint8_t>> xmp;
  std::optional<Hint> hint;
  std::vector<UnknownChunk> unknown_optional;  // kept so tools can show them; not re-written
  // Filled by the reader: every chunk in file order.
  std::vector<ChunkInfo> chunks;
};

// Parse a whole file held in memory. On error, `out` is unspecified.
Error read(std::span<const std::uint8_t> bytes, const Limits& limits, File& out);

// Validate the fields (the same checks the reader applies) and serialise.
Error write(const File& file, std::vector<std::uint8_t>& out);

// Appends one chunk framed as section 4.1 (length, type, data, CRC-32 of type and data): for
// chunks a File does not hold, such as the HEIF/AVIF mapping's (spec/heif-avif.md), and the one
// framing write() uses. The type is not checked; data over 2^31 - 1 bytes is kBadChunk and
// appends nothing.
Error append_chunk(std::vector<std::uint8_t>& out, const std::array<char, 4>& type, std::span<const std::uint8_t> data);

// Extract only the LR image stream, whatever its lr_codec (PNG, JPEG, WebP, JPEG XL or AVIF);
// does the full validation of read() but copies nothing else. `lr_codec`, when given, receives
// HEAD lr_codec so the caller knows the format of the bytes.
Error extract_lr_image(std::span<const std::uint8_t> bytes, const Limits& limits,
                       std::vector<std::uint8_t>& lr_out, std::uint8_t* lr_codec = nullptr);

// A model name as MODL and bundle manifests carry it (spec/container.md §6.2): 1..64 characters
// from A-Z a-z 0-9 '.' '_' '-', the first a letter or digit. Such a name cannot be a path (no
// '/', no "..", not absolute), so a file can only name a bundle, never point at one.
bool is_valid_model_name(std::string_view name);

// ceil(a / b) for the LR size rule.
constexpr std::uint32_t lr_size(std::uint32_t size, std::uint16_t scale) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(size) + scale - 1) / scale);
}

}  // namespace tadm::container
