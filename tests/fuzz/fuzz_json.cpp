// libFuzzer target: attn::Json::parse and Json::dump.
//
// Properties (a broken one aborts, which libFuzzer reports as a crash):
//  - parse never crashes (ASan + UBSan watch it), and a failure always says why;
//  - when parse(x) succeeds: parse(dump(x)) succeeds and gives an equal value (same types, same keys in the same
//    order, numbers bit for bit), dump is a fixed point (dump(parse(dump(x))) == dump(x)), and dump is valid UTF-8.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "io/json.h"

namespace {

[[noreturn]] void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "fuzz_json: property broken: %s: %s\n", property, detail.c_str());
  std::abort();
}

bool equal(const attn::Json& a, const attn::Json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case attn::Json::Type::kNull: return true;
    case attn::Json::Type::kBool: return a.as_bool() == b.as_bool();
    case attn::Json::Type::kNumber: {
      const double x = a.as_number(), y = b.as_number();
      return std::memcmp(&x, &y, sizeof x) == 0;  // also tells -0 from 0
    }
    case attn::Json::Type::kString: return a.as_string() == b.as_string();
    case attn::Json::Type::kArray: {
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!equal(a.items()[i], b.items()[i])) return false;
      return true;
    }
    case attn::Json::Type::kObject: {
      if (a.members().size() != b.members().size()) return false;
      for (size_t i = 0; i < a.members().size(); ++i)
        if (a.members()[i].first != b.members()[i].first || !equal(a.members()[i].second, b.members()[i].second))
          return false;
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  attn::Json x;
  const attn::Status st = attn::Json::parse(text, &x);
  if (!st.ok()) {
    if (st.message().empty()) broken("a failed parse says why", "empty Status message");
    return 0;
  }
  const std::string d1 = x.dump();
  if (!attn::valid_utf8(d1)) broken("dump is valid UTF-8", d1);
  attn::Json y;
  const attn::Status st2 = attn::Json::parse(d1, &y);
  if (!st2.ok()) broken("parse(dump(x)) succeeds", st2.message() + " in " + d1);
  if (!equal(x, y)) broken("parse(dump(x)) == x", d1);
  const std::string d2 = y.dump();
  if (d2 != d1) broken("dump(parse(dump(x))) == dump(x)", d1 + " vs " + d2);
  return 0;
}
