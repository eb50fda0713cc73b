// A small, strict JSON reader and writer (RFC 8259) for safetensors headers, model configs and tokenizer files.
// Strict: UTF-8 is validated, duplicate keys, trailing commas, comments, NaN and leading zeros are rejected,
// nesting is limited. Errors say what was wrong and at which byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"

namespace attn {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Json() = default;
  static Json boolean(bool b);
  static Json number(double d);
  static Json string(std::string s);
  static Json array();
  static Json object();

  static Status parse(std::string_view text, Json* out, int max_depth = 64);
  std::string dump() const;  // compact, keys in insertion order

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  const std::string& as_string() const { return string_; }
  const std::vector<Json>& items() const { return array_; }
  const std::vector<std::pair<std::string, Json>>& members() const { return object_; }

  // Object access: null when absent (or when this is not an object).
  const Json* find(const std::string& key) const;
  // Typed lookups with a default when the key is absent or of another type.
  double number_or(const std::string& key, double fallback) const;
  bool bool_or(const std::string& key, bool fallback) const;
  std::string string_or(const std::string& key, const std::string& fallback) const;

  // Building.
  Json& push(Json v);                          // arrays
  Json& set(const std::string& key, Json v);   // objects (replaces an existing key)

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  std::vector<Json> array_;
  std::vector<std::pair<std::string, Json>> object_;
  friend class JsonParser;
};

// Typed fields of a config object, for readers that reject bad values with a message naming the key. Each
// leaves *out unchanged when the key is absent. get_int checks the range as a double before casting (1e300
// gets a range message, not undefined behaviour); get_float rejects values that overflow float32.
Status get_int(const Json& j, const char* key, int64_t lo, int64_t hi, int64_t* out);
Status get_float(const Json& j, const char* key, float* out);
Status get_bool(const Json& j, const char* key, bool* out);
Status get_string(const Json& j, const char* key, std::string* out);

// True when `s` is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace attn
