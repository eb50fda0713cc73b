#include "io/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

namespace attn {

Json Json::boolean(bool b) {
  Json j;
  j.type_ = Type::kBool;
  j.bool_ = b;
  return j;
}
Json Json::number(double d) {
  Json j;
  j.type_ = Type::kNumber;
  j.number_ = d;
  return j;
}
Json Json::string(std::string s) {
  Json j;
  j.type_ = Type::kString;
  j.string_ = std::move(s);
  return j;
}
Json Json::array() {
  Json j;
  j.type_ = Type::kArray;
  return j;
}
Json Json::object() {
  Json j;
  j.type_ = Type::kObject;
  return j;
}

const Json* Json::find(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& kv : object_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

double Json::number_or(const std::string& key, double fallback) const {
  const Json* v = find(key);
  return v && v->is_number() ? v->number_ : fallback;
}
bool Json::bool_or(const std::string& key, bool fallback) const {
  const Json* v = find(key);
  return v && v->is_bool() ? v->bool_ : fallback;
}
std::string Json::string_or(const std::string& key, const std::string& fallback) const {
  const Json* v = find(key);
  return v && v->is_string() ? v->string_ : fallback;
}

Json& Json::push(Json v) {
  ATTN_ASSERT(type_ == Type::kArray, "Json::push on a non-array");
  array_.push_back(std::move(v));
  return array_.back();
}

Json& Json::set(const std::string& key, Json v) {
  ATTN_ASSERT(type_ == Type::kObject, "Json::set on a non-object");
  for (auto& kv : object_)
    if (kv.first == key) return kv.second = std::move(v);
  object_.emplace_back(key, std::move(v));
  return object_.back().second;
}

// ---------------------------------------------------------------------------------------------------------- UTF-8

namespace {
// Length of the UTF-8 sequence starting at s[i], or 0 when it is invalid.
size_t utf8_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;  // overlong
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // ASCII, most of every file this reads
      ++i;
      continue;
    }
    const size_t n = utf8_len(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

// --------------------------------------------------------------------------------------------------------- parser

class JsonParser {
 public:
  JsonParser(std::string_view t, int max_depth) : t_(t), max_depth_(max_depth) {}

  Status parse(Json* out) {
    skip_ws();
    ATTN_TRY(value(out, 0));
    skip_ws();
    if (pos_ != t_.size()) return error("unexpected text after the JSON value");
    return Status();
  }

 private:
  std::string_view t_;
  size_t pos_ = 0;
  int max_depth_;

  Status error(const std::string& what) const {
    return Status::error("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  void skip_ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < t_.size() && t_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  Status value(Json* out, int depth) {
    if (depth > max_depth_) return error("nesting deeper than " + std::to_string(max_depth_));
    if (pos_ >= t_.size()) return error("unexpected end of input");
    const char c = t_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out->type_ = Json::Type::kString;
      return string(&out->string_);
    }
    if (literal("true")) { *out = Json::boolean(true); return Status(); }
    if (literal("false")) { *out = Json::boolean(false); return Status(); }
    if (literal("null")) { *out = Json(); return Status(); }
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    return error(std::string("unexpected character '") + (c >= 32 && c < 127 ? std::string(1, c) : "?") + "'");
  }

  Status object(Json* out, int depth) {
    *out = Json::object();
    ++pos_;
    skip_ws();
    if (eat('}')) return Status();
    std::unordered_set<std::string> keys;  // duplicate check in O(1) per key (vocabularies have 50k keys)
    for (;;) {
      skip_ws();
      if (pos_ >= t_.size() || t_[pos_] != '"') return error("expected a string key");
      std::string key;
      ATTN_TRY(string(&key));
      if (!keys.insert(key).second) return error("duplicate key \"" + key + "\"");
      skip_ws();
      if (!eat(':')) return error("expected ':'");
      skip_ws();
      Json v;
      ATTN_TRY(value(&v, depth + 1));
      out->object_.emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (eat('}')) return Status();
      if (!eat(',')) return error("expected ',' or '}'");
    }
  }

  Status array(Json* out, int depth) {
    *out = Json::array();
    ++pos_;
    skip_ws();
    if (eat(']')) return Status();
    for (;;) {
      skip_ws();
      Json v;
      ATTN_TRY(value(&v, depth + 1));
      out->array_.push_back(std::move(v));
      skip_ws();
      if (eat(']')) return Status();
      if (!eat(',')) return error("expected ',' or ']'");
    }
  }

  Status hex4(uint32_t* cp) {
    if (pos_ + 4 > t_.size()) return error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = t_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else return error("bad hex digit in \\u escape");
    }
    *cp = v;
    return Status();
  }

  Status string(std::string* out) {
    ++pos_;  // opening quote
    out->clear();
    for (;;) {
      if (pos_ >= t_.size()) return error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(t_[pos_]);
      if (c == '"') {
        ++pos_;
        return Status();
      }
      if (c < 0x20) return error("control character in a string");
      if (c == '\\') {
        if (++pos_ >= t_.size()) return error("unterminated escape");
        const char e = t_[pos_++];
        switch (e) {
          case '"': *out += '"'; break;
          case '\\': *out += '\\'; break;
          case '/': *out += '/'; break;
          case 'b': *out += '\b'; break;
          case 'f': *out += '\f'; break;
          case 'n': *out += '\n'; break;
          case 'r': *out += '\r'; break;
          case 't': *out += '\t'; break;
          case 'u': {
            uint32_t cp;
            ATTN_TRY(hex4(&cp));
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo;
              if (!(literal("\\u"))) return error("lone high surrogate in \\u escape");
              ATTN_TRY(hex4(&lo));
              if (lo < 0xDC00 || lo > 0xDFFF) return error("bad low surrogate in \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return error("lone low surrogate in \\u escape");
            }
            append_utf8(*out, cp);
            break;
          }
          default: return error("unknown escape");
        }
        continue;
      }
      // A run of plain characters (printable ASCII, or whole valid UTF-8 sequences) is appended at once.
      const size_t start = pos_;
      while (pos_ < t_.size()) {
        const unsigned char d = static_cast<unsigned char>(t_[pos_]);
        if (d == '"' || d == '\\' || d < 0x20) break;
        if (d < 0x80) {
          ++pos_;
          continue;
        }
        const size_t n = utf8_len(t_, pos_);
        if (!n) return error("invalid UTF-8");
        pos_ += n;
      }
      out->append(t_.data() + start, pos_ - start);
    }
  }

  Status number(Json* out) {
    const size_t start = pos_;
    eat('-');
    if (eat('0')) {
      if (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') return error("leading zero in a number");
    } else {
      if (pos_ >= t_.size() || t_[pos_] < '1' || t_[pos_] > '9') return error("bad number");
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
    }
    if (eat('.')) {
      if (pos_ >= t_.size() || t_[pos_] < '0' || t_[pos_] > '9') return error("bad fraction");
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
    }
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      ++pos_;
      if (!eat('+')) eat('-');
      if (pos_ >= t_.size() || t_[pos_] < '0' || t_[pos_] > '9') return error("bad exponent");
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
    }
    const std::string text(t_.substr(start, pos_ - start));
    const double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d)) return error("number out of range");
    *out = Json::number(d);
    return Status();
  }
};

Status Json::parse(std::string_view text, Json* out, int max_depth) {
  JsonParser p(text, max_depth);
  Json tmp;
  ATTN_TRY(p.parse(&tmp));
  *out = std::move(tmp);
  return Status();
}

// --------------------------------------------------------------------------------------------------------- writer

namespace {
void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void dump_value(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::Type::kNull: out += "null"; break;
    case Json::Type::kBool: out += j.as_bool() ? "true" : "false"; break;
    case Json::Type::kNumber: {
      const double d = j.as_number();
      char buf[32];
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0)
        std::snprintf(buf, sizeof buf, "%.0f", d);
      else if (std::isfinite(d))
        std::snprintf(buf, sizeof buf, "%.17g", d);
      else
        std::snprintf(buf, sizeof buf, "null");  // JSON has no NaN/Infinity
      out += buf;
      break;
    }
    case Json::Type::kString: dump_string(out, j.as_string()); break;
    case Json::Type::kArray: {
      out += '[';
      bool first = true;
      for (const Json& v : j.items()) {
        if (!first) out += ',';
        first = false;
        dump_value(out, v);
      }
      out += ']';
      break;
    }
    case Json::Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& kv : j.members()) {
        if (!first) out += ',';
        first = false;
        dump_string(out, kv.first);
        out += ':';
        dump_value(out, kv.second);
      }
      out += '}';
      break;
    }
  }
}
}  // namespace

std::string Json::dump() const {
  std::string out;
  dump_value(out, *this);
  return out;
}

// ------------------------------------------------------------------------------------------ typed fields
Status get_int(const Json& j, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  const Json* v = j.find(key);
  if (!v) return Status();
  if (!v->is_number() || v->as_number() != std::floor(v->as_number()))
    return Status::error(std::string(key) + " must be an integer");
  const double d = v->as_number();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    return Status::error(std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                         ", got " + Json::number(d).dump());
  *out = static_cast<int64_t>(d);
  return Status();
}

Status get_float(const Json& j, const char* key, float* out) {
  const Json* v = j.find(key);
  if (!v) return Status();
  if (!v->is_number()) return Status::error(std::string(key) + " must be a number");
  const float f = static_cast<float>(v->as_number());
  if (!std::isfinite(f)) return Status::error(std::string(key) + " is too large for a float32");  // 1e39 -> inf
  *out = f;
  return Status();
}

Status get_bool(const Json& j, const char* key, bool* out) {
  const Json* v = j.find(key);
  if (!v) return Status();
  if (!v->is_bool()) return Status::error(std::string(key) + " must be true or false");
  *out = v->as_bool();
  return Status();
}

Status get_string(const Json& j, const char* key, std::string* out) {
  const Json* v = j.find(key);
  if (!v) return Status();
  if (!v->is_string()) return Status::error(std::string(key) + " must be a string");
  *out = v->as_string();
  return Status();
}

}  // namespace attn
