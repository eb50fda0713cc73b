// safetensors (Hugging Face's format for tensors), read with strict validation and written by the engine.
//
// File layout: 8 bytes little-endian u64 N | N bytes of JSON header | the data section.
// Header: {"__metadata__": {"key": "string", ...}, "name": {"dtype": "F32", "shape": [2, 3],
//          "data_offsets": [begin, end]}, ...}, offsets relative to the data section.
//
// Every check runs before any tensor memory is allocated; each failure is a Status naming the problem:
// header size limit, non-UTF-8 or invalid JSON, unknown dtype, bad or overflowing shapes, offsets that overlap,
// leave gaps, disagree with the shape, or point past the end of the file, and trailing bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace attn {

constexpr uint64_t kSafetensorsMaxHeader = 100u << 20;  // 100 MB, as in Hugging Face's reader

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

class SafetensorsFile {
 public:
  // Validates and indexes `bytes`, which must outlive this object (the data is not copied).
  static Status parse(std::string_view bytes, SafetensorsFile* out);

  // The same checks from the header alone, for files too large to hold in memory twice (a model read tensor by
  // tensor): `head` starts at byte 0 of a file of `file_size` bytes and holds at least its first
  // header_bytes() bytes. The result indexes the file; read() and read_f64() are not available on it (no data).
  static Status parse_header(std::string_view head, uint64_t file_size, SafetensorsFile* out);
  // How many bytes parse_header needs: 8 + the header length stored in the first 8 bytes (`first8`).
  static Status header_bytes(std::string_view first8, uint64_t file_size, uint64_t* out);
  // Where the data section starts in the file (8 + header length).
  uint64_t data_start() const { return data_start_; }

  std::map<std::string, std::string> metadata;
  std::vector<SafetensorsEntry> entries;  // in data order

  const SafetensorsEntry* find(const std::string& name) const;
  // Converts any floating or integer dtype to float32 / float64.
  Status read(const std::string& name, Tensor* out) const;
  Status read_f64(const std::string& name, std::vector<double>* out, Shape* shape = nullptr) const;

 private:
  std::string_view data_;  // the data section (empty after parse_header)
  uint64_t data_start_ = 0;
};

// Bytes per element of a dtype, 0 when unknown.
size_t dtype_size(const std::string& dtype);

// Writes tensors (in the given order) as F32, or as F16 when `f16` is set; metadata goes to "__metadata__".
std::string write_safetensors(const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                              const std::map<std::string, std::string>& metadata, bool f16 = false);

// n elements of a floating-point dtype (F64, F32, F16, BF16) at `src` (little-endian, any alignment) as float32.
// Returns false for other dtypes.
bool convert_to_f32(const std::string& dtype, const char* src, size_t n, float* dst);

// IEEE half <-> float (round to nearest even).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace attn
