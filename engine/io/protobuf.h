// A minimal, strict reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/), enough
// to read SentencePiece's ModelProto without the protobuf library.
//
// A message is a sequence of fields: a key varint (field number << 3 | wire type) and a value whose shape the
// wire type gives: 0 varint, 1 fixed 8 bytes, 2 length-delimited bytes (strings, bytes, nested messages, packed
// repeated fields), 5 fixed 4 bytes, 3/4 start/end of a (deprecated) group. The reader never reads past its
// input and never allocates: values are views into the input. Every malformed input is a Status that says what
// was wrong and at which byte offset (from the start of the outermost message):
//   - a varint longer than 10 bytes, or cut by the end of the input;
//   - a key with field number 0 or above 2^29 - 1, or with wire type 6 or 7;
//   - a length or a fixed-size value that runs past the end of the message;
//   - an end-group without its start-group, a start-group never closed or closed by another field number, and
//     groups nested deeper than kMaxGroupDepth.
// The reader does not know field types: the caller checks that a known field has the expected wire type
// (check_wire) and skips unknown fields (skip), as protobuf parsers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"

namespace attn {
namespace protobuf {

enum class Wire : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

const char* wire_name(Wire w);  // "varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"

constexpr int kMaxGroupDepth = 100;  // protobuf's default recursion limit

class Reader {
 public:
  // `base` is the offset of `bytes` in the outermost message, for error messages.
  explicit Reader(std::string_view bytes, size_t base = 0) : data_(bytes), base_(base) {}

  bool done() const { return pos_ >= data_.size(); }
  size_t offset() const { return base_ + pos_; }  // of the next byte, from the start of the outermost message

  // Reads the next key. An end-group key outside a group is an error.
  Status next(uint32_t* field, Wire* wire);
  Status varint(uint64_t* v);
  Status fixed32(uint32_t* v);
  Status fixed64(uint64_t* v);
  // A length-delimited value. *base_out (optional) receives the offset of its first byte, to read it as a nested
  // message with Reader(*v, *base_out).
  Status bytes(std::string_view* v, size_t* base_out = nullptr);
  // Skips the value of a field whose key was just read (a whole group for a start-group).
  Status skip(uint32_t field, Wire wire);

 private:
  Status error(const std::string& what, size_t at) const;
  std::string_view data_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

// Typed values of varint fields, as protobuf converts them: int32 and enums keep the low 32 bits (negative
// numbers are sign-extended to 10 bytes on the wire), bool is "not zero".
inline int32_t as_int32(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }
inline bool as_bool(uint64_t v) { return v != 0; }
float as_float(uint32_t bits);

// An error when `got` is not the wire type `want` of field `name` (a known field of the message being read).
Status check_wire(const std::string& name, Wire got, Wire want);

}  // namespace protobuf
}  // namespace attn
