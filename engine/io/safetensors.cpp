#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/json.h"

namespace attn {

size_t dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

namespace {

Status bad(const std::string& what) { return Status::error("invalid safetensors file: " + what); }

// A JSON number that is an exact non-negative integer below 2^53.
bool as_index(const Json& j, uint64_t* out) {
  if (!j.is_number()) return false;
  const double d = j.as_number();
  if (!(d >= 0.0) || d > 9007199254740991.0 || d != std::floor(d)) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

uint64_t read_u64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // the format is little-endian, as are x86 and WebAssembly
  return v;
}

double element(const std::string& dtype, const char* p) {
  if (dtype == "F64") return load<double>(p);
  if (dtype == "F32") return load<float>(p);
  if (dtype == "F16") return half_to_float(load<uint16_t>(p));
  if (dtype == "BF16") {
    const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(p)) << 16;
    return load<float>(reinterpret_cast<const char*>(&bits));
  }
  if (dtype == "I64") return static_cast<double>(load<int64_t>(p));
  if (dtype == "U64") return static_cast<double>(load<uint64_t>(p));
  if (dtype == "I32") return load<int32_t>(p);
  if (dtype == "U32") return load<uint32_t>(p);
  if (dtype == "I16") return load<int16_t>(p);
  if (dtype == "U16") return load<uint16_t>(p);
  if (dtype == "I8") return load<int8_t>(p);
  return static_cast<unsigned char>(*p);  // U8, BOOL
}

}  // namespace

Status SafetensorsFile::header_bytes(std::string_view first8, uint64_t file_size, uint64_t* out) {
  if (first8.size() < 8 || file_size < 8) return bad("shorter than its 8-byte header size");
  const uint64_t n = read_u64_le(first8.data());
  if (n > kSafetensorsMaxHeader) return bad("header of " + std::to_string(n) + " bytes exceeds the 100 MB limit");
  if (n > file_size - 8) return bad("header size " + std::to_string(n) + " runs past the end of the file");
  if (n < 2) return bad("header too small to hold a JSON object");
  *out = 8 + n;
  return Status();
}

Status SafetensorsFile::parse(std::string_view bytes, SafetensorsFile* out) {
  SafetensorsFile f;
  ATTN_TRY(parse_header(bytes, bytes.size(), &f));
  f.data_ = bytes.substr(f.data_start_);
  *out = std::move(f);
  return Status();
}

Status SafetensorsFile::parse_header(std::string_view head, uint64_t file_size, SafetensorsFile* out) {
  uint64_t header_end = 0;
  ATTN_TRY(header_bytes(head, file_size, &header_end));
  if (head.size() < header_end) return bad("header is cut short");
  const uint64_t n = header_end - 8;
  const uint64_t data_size = file_size - header_end;
  std::string_view header = head.substr(8, n);
  if (!valid_utf8(header)) return bad("header is not valid UTF-8");
  // Trailing spaces pad the header to an alignment; they are allowed.
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  Json j;
  Status st = Json::parse(header, &j);
  if (!st.ok()) return bad("header: " + st.message());
  if (!j.is_object()) return bad("header is not a JSON object");

  SafetensorsFile f;
  f.data_start_ = header_end;
  for (const auto& [name, e] : j.members()) {
    if (name == "__metadata__") {
      if (!e.is_object()) return bad("__metadata__ is not an object");
      for (const auto& [k, v] : e.members()) {
        if (!v.is_string()) return bad("__metadata__ value for '" + k + "' is not a string");
        f.metadata[k] = v.as_string();
      }
      continue;
    }
    if (!e.is_object()) return bad("entry '" + name + "' is not an object");
    for (const auto& kv : e.members())
      if (kv.first != "dtype" && kv.first != "shape" && kv.first != "data_offsets")
        return bad("entry '" + name + "' has an unknown field '" + kv.first + "'");
    const Json* dtype = e.find("dtype");
    const Json* shape = e.find("shape");
    const Json* offs = e.find("data_offsets");
    if (!dtype || !dtype->is_string()) return bad("entry '" + name + "' has no dtype");
    if (!shape || !shape->is_array()) return bad("entry '" + name + "' has no shape");
    if (!offs || !offs->is_array() || offs->items().size() != 2) return bad("entry '" + name + "' has no [begin, end] data_offsets");
    SafetensorsEntry t;
    t.name = name;
    t.dtype = dtype->as_string();
    const size_t esize = dtype_size(t.dtype);
    if (!esize) return bad("entry '" + name + "' has unknown dtype '" + t.dtype + "'");
    if (shape->items().size() > 16) return bad("entry '" + name + "' has more than 16 dimensions");
    uint64_t count = 1;
    for (const Json& d : shape->items()) {
      uint64_t v;
      if (!as_index(d, &v)) return bad("entry '" + name + "' has a shape that is not a list of non-negative integers");
      if (v != 0 && count > (uint64_t{1} << 53) / v) return bad("entry '" + name + "' has a shape whose size overflows");
      count *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    if (count > (uint64_t{1} << 53) / esize) return bad("entry '" + name + "' has a byte size that overflows");
    if (!as_index(offs->items()[0], &t.begin) || !as_index(offs->items()[1], &t.end) || t.end < t.begin)
      return bad("entry '" + name + "' has invalid data_offsets");
    if (t.end - t.begin != count * esize)
      return bad("entry '" + name + "' holds " + std::to_string(t.end - t.begin) + " bytes but its shape " +
                 shape_str(t.shape) + " of " + t.dtype + " needs " + std::to_string(count * esize));
    if (t.end > data_size)
      return bad("entry '" + name + "' data runs past the end of the file (" + std::to_string(t.end) + " > " +
                 std::to_string(data_size) + " bytes)");
    f.entries.push_back(std::move(t));
  }
  std::sort(f.entries.begin(), f.entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expect = 0;
  for (const SafetensorsEntry& t : f.entries) {
    if (t.begin < expect) return bad("entry '" + t.name + "' overlaps the previous tensor");
    if (t.begin > expect) return bad("gap of " + std::to_string(t.begin - expect) + " bytes before entry '" + t.name + "'");
    expect = t.end;
  }
  if (expect != data_size) return bad(std::to_string(data_size - expect) + " trailing bytes after the last tensor");
  *out = std::move(f);
  return Status();
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

Status SafetensorsFile::read(const std::string& name, Tensor* out) const {
  const SafetensorsEntry* e = find(name);
  if (!e) return Status::error("no tensor named '" + name + "'");
  if (e->end > data_.size()) return Status::error("the data of '" + name + "' was not read (header only)");
  const size_t esize = dtype_size(e->dtype);
  Tensor t(e->shape);
  const char* p = data_.data() + e->begin;
  if (!convert_to_f32(e->dtype, p, t.data.size(), t.data.data())) {
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(element(e->dtype, p + i * esize));
  }
  *out = std::move(t);
  return Status();
}

Status SafetensorsFile::read_f64(const std::string& name, std::vector<double>* out, Shape* shape) const {
  const SafetensorsEntry* e = find(name);
  if (!e) return Status::error("no tensor named '" + name + "'");
  if (e->end > data_.size()) return Status::error("the data of '" + name + "' was not read (header only)");
  const size_t esize = dtype_size(e->dtype);
  const size_t count = static_cast<size_t>((e->end - e->begin) / esize);
  out->resize(count);
  for (size_t i = 0; i < count; ++i) (*out)[i] = element(e->dtype, data_.data() + e->begin + i * esize);
  if (shape) *shape = e->shape;
  return Status();
}

std::string write_safetensors(const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                              const std::map<std::string, std::string>& metadata, bool f16) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [k, v] : metadata) meta.set(k, Json::string(v));
    header.set("__metadata__", std::move(meta));
  }
  const size_t esize = f16 ? 2 : 4;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    Json e = Json::object();
    e.set("dtype", Json::string(f16 ? "F16" : "F32"));
    Json shape = Json::array();
    for (int64_t d : t->shape) shape.push(Json::number(static_cast<double>(d)));
    e.set("shape", std::move(shape));
    Json offs = Json::array();
    offs.push(Json::number(static_cast<double>(offset)));
    offset += t->data.size() * esize;
    offs.push(Json::number(static_cast<double>(offset)));
    e.set("data_offsets", std::move(offs));
    header.set(name, std::move(e));
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8) h += ' ';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xFF);
  out += h;
  out.reserve(out.size() + offset);
  for (const auto& [name, t] : tensors) {
    if (f16) {
      for (float x : t->data) {
        const uint16_t v = float_to_half(x);
        out.append(reinterpret_cast<const char*>(&v), 2);
      }
    } else {
      out.append(reinterpret_cast<const char*>(t->data.data()), t->data.size() * 4);
    }
  }
  return out;
}

bool convert_to_f32(const std::string& dtype, const char* src, size_t n, float* dst) {
  if (dtype == "F32") {
    std::memcpy(dst, src, n * 4);
  } else if (dtype == "F16") {
    for (size_t i = 0; i < n; ++i) dst[i] = half_to_float(load<uint16_t>(src + 2 * i));
  } else if (dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(src + 2 * i)) << 16;
      std::memcpy(dst + i, &bits, 4);
    }
  } else if (dtype == "F64") {
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load<double>(src + 8 * i));
  } else {
    return false;
  }
  return true;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t exp = (x >> 23) & 0xFFu;
  uint32_t mant = x & 0x7FFFFFu;
  if (exp == 0xFF) return static_cast<uint16_t>(sign | 0x7C00u | (mant ? 0x200u : 0u));  // Inf / NaN
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7C00u);  // overflow -> Inf
  if (e <= 0) {                                               // subnormal half or zero
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent: still correct
  return static_cast<uint16_t>(sign | half);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400u));
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3FFu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace attn
