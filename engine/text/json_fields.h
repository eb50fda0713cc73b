// Small helpers shared by the readers of tokenizer files (tokenizer_json.cpp, wordpiece.cpp, hf_tokenizer.cpp).
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>

#include "core/check.h"
#include "io/json.h"
#include "text/unicode.h"

namespace attn::tokfile {

// A token or key for an error message: JSON-quoted, shortened.
inline std::string quoted(const std::string& s) {
  std::string d = Json::string(s).dump();
  if (d.size() > 48) d = Json::string(unicode::to_valid_utf8(s.substr(0, 40))).dump() + "...";
  return d;
}

// obj's "type" string, or "".
inline const char* type_of(const Json& obj) {
  const Json* t = obj.find("type");
  return (t && t->is_string()) ? t->as_string().c_str() : "";
}

// An error for the first key of `obj` that is not `allowed`: "<prefix><where>: unknown key "k"".
inline Status check_keys(const Json& obj, const std::string& where, std::initializer_list<const char*> allowed,
                         const std::string& prefix) {
  for (const auto& member : obj.members())
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return member.first == a; }))
      return Status::error(prefix + where + ": unknown key " + quoted(member.first));
  return Status();
}

}  // namespace attn::tokfile
