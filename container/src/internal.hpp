// Helpers shared by the .tadm reader and writer. Not installed, not part of the API.
#pragma once

#include <tadm/container.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tadm::container::detail {

using ChunkType = std::array<char, 4>;

inline constexpr ChunkType kHead = {'H', 'E', 'A', 'D'};
inline constexpr ChunkType kModl = {'M', 'O', 'D', 'L'};
inline constexpr ChunkType kLrim = {'L', 'R', 'I', 'M'};
inline constexpr ChunkType kTend = {'T', 'E', 'N', 'D'};
inline constexpr ChunkType kIccp = {'i', 'c', 'c', 'p'};
inline constexpr ChunkType kCicp = {'c', 'i', 'c', 'p'};
inline constexpr ChunkType kExif = {'e', 'x', 'i', 'f'};
inline constexpr ChunkType kXmpp = {'x', 'm', 'p', 'p'};
inline constexpr ChunkType kHint = {'h', 'i', 'n', 't'};

inline constexpr std::uint32_t kMaxChunkLength = 0x7FFFFFFFu;  // 2^31 - 1
inline constexpr std::size_t kHeadLength = 24;
inline constexpr std::size_t kCicpLength = 4;
inline constexpr std::size_t kHintFixedLength = 8;
inline constexpr std::size_t kModlHashLength = 32;
inline constexpr std::size_t kMaxModelString = 64;
inline constexpr std::uint16_t kMinScale = 2;
inline constexpr std::uint16_t kMaxScale = 64;
// PNG signature + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
inline constexpr std::size_t kMinPngLength = 8 + 25;

Error make_error(ErrorCode code, std::string message);

// "HEAD" for letter types, otherwise the four bytes in hex ("0x48 0x45 0x00 0x44").
std::string type_name(const ChunkType& type);

bool is_letter(char c);
bool is_critical(const ChunkType& type);

// CRC-32 (PNG/zlib) of the 4 type bytes followed by the data.
std::uint32_t chunk_crc(const ChunkType& type, std::span<const std::uint8_t> data);

inline std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}

// Field rules shared by read() and write(). Each returns kNone or the error the spec assigns.

// HEAD values (spec rules only, not Limits): sizes, scales, flags, depth, codec, LR size.
Error check_head(const File& f);
// HEAD values against the reader's Limits.
Error check_head_limits(const File& f, const Limits& limits);
// MODL name and version strings (length and character set).
Error check_model_strings(std::string_view name, std::string_view version);
// LRIM payload: a stream of the format `lr_codec` names (a value check_head accepted) whose
// header, where the container can parse it cheaply, states lr_width x lr_height (spec §6.3).
Error check_lr_image(std::uint8_t lr_codec, std::span<const std::uint8_t> data, std::uint32_t lr_width,
                     std::uint32_t lr_height);
Error check_cicp(const Cicp& c);
// hint fixed fields: non-zero and a grid that covers the LR image with no spare row or column.
Error check_hint_geometry(std::uint16_t grid_width, std::uint16_t grid_height, std::uint16_t tile_width,
                          std::uint16_t tile_height, std::uint32_t lr_width, std::uint32_t lr_height);

}  // namespace tadm::container::detail
