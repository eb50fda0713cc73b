// Plumbing shared by the command-line tools (attn-train, attn-models): a fatal error and whole-file I/O.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace attn::cli {

// Prefix of error messages; each tool sets its own name in main.
inline const char* program = "attn";

// Prints "<program>: msg" and exits with status 2 (1 is kept for "ran, but missed its bar").
[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", program, msg.c_str());
  std::exit(2);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes the bytes, creating the folders on the way.
inline void write_file(const std::string& path, const std::string& bytes) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) die("cannot write " + path);
}

}  // namespace attn::cli
