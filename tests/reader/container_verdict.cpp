// The C++ side of the differential test (tests/reader/README.md): for each file given, one line
//   <file> TAB <container verdict> TAB <C API status> TAB <message>
// where the container verdict is "ok" or tadm::container::error_code_name() of
// tadm::container::read() with the default Limits (spec/container.md section 8) (and of
// tadm::container::extract_lr_image(), which must agree with read()), and the C API
// status is the tadm_status name tadm_file_info_read() returns with the same limits. Neither
// runs a model. Exit 0 unless a file cannot be read or an argument is missing.
//
// With --stdin instead of files, reads records "<u32 big-endian size><size bytes>" from standard
// input until its end and names them 0, 1, 2, ... in the output: the differential test's tens of
// thousands of variations then need neither files nor processes of their own.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tadm/container.hpp"
#include "tadm/tadm.h"

namespace {

const char* status_name(tadm_status status) {
  switch (status) {
    case TADM_OK: return "TADM_OK";
    case TADM_ERROR_INVALID_ARGUMENT: return "TADM_ERROR_INVALID_ARGUMENT";
    case TADM_ERROR_IO: return "TADM_ERROR_IO";
    case TADM_ERROR_CORRUPT: return "TADM_ERROR_CORRUPT";
    case TADM_ERROR_UNSUPPORTED: return "TADM_ERROR_UNSUPPORTED";
    case TADM_ERROR_LIMIT: return "TADM_ERROR_LIMIT";
    case TADM_ERROR_MODEL: return "TADM_ERROR_MODEL";
    case TADM_ERROR_MODEL_MISMATCH: return "TADM_ERROR_MODEL_MISMATCH";
    case TADM_ERROR_OUT_OF_MEMORY: return "TADM_ERROR_OUT_OF_MEMORY";
    case TADM_ERROR_CANCELLED: return "TADM_ERROR_CANCELLED";
    case TADM_ERROR_INTERNAL: return "TADM_ERROR_INTERNAL";
  }
  return "TADM_STATUS_UNKNOWN";
}

// Messages go on one line of a tab-separated output.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return text;
}

// One output line for one input.
void judge(const std::string& name, const std::vector<std::uint8_t>& bytes, const tadm::container::Limits& container_limits,
           const tadm_limits& api_limits) {
  tadm::container::File file;
  const tadm::container::Error error = tadm::container::read(bytes, container_limits, file);
  std::string verdict = error ? tadm::container::error_code_name(error.code) : "ok";
  // extract_lr_image() promises the full validation of read(): a different answer is reported
  // as a verdict no reader gives, so the comparison fails and shows both.
  std::vector<std::uint8_t> lr_image;
  const tadm::container::Error extract_error = tadm::container::extract_lr_image(bytes, container_limits, lr_image);
  if (extract_error.code != error.code)
    verdict = "read:" + verdict + "/extract_lr_image:" +
              (extract_error ? tadm::container::error_code_name(extract_error.code) : "ok");

  tadm_file_info* info = nullptr;
  char message[512] = {};
  const tadm_status status = tadm_file_info_read(bytes.data(), bytes.size(), &api_limits, &info, message, sizeof message);
  tadm_file_info_free(info);

  std::printf("%s\t%s\t%s\t%s\n", name.c_str(), verdict.c_str(), status_name(status), one_line(error.message).c_str());
}

bool read_exactly(std::FILE* in, std::uint8_t* out, std::size_t size) {
  return std::fread(out, 1, size, in) == size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: container_verdict FILE... | container_verdict --stdin\n");
    return 2;
  }
  const tadm::container::Limits container_limits;  // the spec's defaults
  // The C API's own defaults differ from the spec's; give it the spec's values so that both
  // readers judge a file by the same limits (max_lr_bytes and max_chunks are not settable there).
  tadm_limits api_limits{};
  api_limits.max_pixels = container_limits.max_pixels;
  api_limits.max_dimension = container_limits.max_dimension;
  api_limits.max_metadata_bytes = container_limits.max_metadata_bytes;

  if (std::string(argv[1]) == "--stdin") {
    for (std::uint64_t index = 0;; ++index) {
      std::uint8_t size_bytes[4];
      if (std::fread(size_bytes, 1, 4, stdin) != 4) break;
      const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) | (std::uint32_t{size_bytes[1]} << 16) |
                                 (std::uint32_t{size_bytes[2]} << 8) | std::uint32_t{size_bytes[3]};
      std::vector<std::uint8_t> bytes(size);
      if (!read_exactly(stdin, bytes.data(), size)) {
        std::fprintf(stderr, "container_verdict: record %llu is cut short\n", static_cast<unsigned long long>(index));
        return 2;
      }
      judge(std::to_string(index), bytes, container_limits, api_limits);
    }
    return 0;
  }

  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "container_verdict: cannot read %s\n", argv[i]);
      return 2;
    }
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    judge(argv[i], bytes, container_limits, api_limits);
  }
  return 0;
}
