#include "io/protobuf.h"

#include <cstring>
#include <vector>

namespace attn {
namespace protobuf {

const char* wire_name(Wire w) {
  switch (w) {
    case Wire::kVarint:
      return "varint";
    case Wire::kFixed64:
      return "64-bit";
    case Wire::kLen:
      return "length-delimited";
    case Wire::kStartGroup:
      return "start-group";
    case Wire::kEndGroup:
      return "end-group";
    case Wire::kFixed32:
      return "32-bit";
  }
  return "?";
}

float as_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

Status check_wire(const std::string& name, Wire got, Wire want) {
  if (got == want) return Status();
  return Status::error(name + ": wire type " + std::to_string(static_cast<int>(got)) + " (" + wire_name(got) +
                       "), expected " + std::to_string(static_cast<int>(want)) + " (" + wire_name(want) + ")");
}

Status Reader::error(const std::string& what, size_t at) const {
  return Status::error(what + " at byte " + std::to_string(base_ + at));
}

Status Reader::varint(uint64_t* v) {
  const size_t start = pos_;
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) return error("truncated varint", start);
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    result |= static_cast<uint64_t>(b & 0x7F) << (7 * i);  // bits past 64 (10th byte) are dropped, as protobuf does
    if (b < 0x80) {
      *v = result;
      return Status();
    }
  }
  return error("varint longer than 10 bytes", start);
}

Status Reader::next(uint32_t* field, Wire* wire) {
  const size_t start = pos_;
  uint64_t key;
  ATTN_TRY(varint(&key));
  if (key > 0xFFFFFFFFu) return error("field key does not fit in 32 bits", start);
  const uint32_t number = static_cast<uint32_t>(key >> 3);
  const uint32_t type = static_cast<uint32_t>(key & 7);
  if (number == 0) return error("field number 0", start);
  if (number > (1u << 29) - 1) return error("field number " + std::to_string(number) + " above 2^29-1", start);
  if (type == 6 || type == 7) return error("invalid wire type " + std::to_string(type), start);
  if (type == 4) return error("end-group (field " + std::to_string(number) + ") without a start-group", start);
  *field = number;
  *wire = static_cast<Wire>(type);
  return Status();
}

Status Reader::fixed32(uint32_t* v) {
  if (data_.size() - pos_ < 4) return error("truncated 32-bit value", pos_);
  uint32_t r = 0;
  for (int i = 3; i >= 0; --i) r = (r << 8) | static_cast<uint8_t>(data_[pos_ + static_cast<size_t>(i)]);
  pos_ += 4;
  *v = r;
  return Status();
}

Status Reader::fixed64(uint64_t* v) {
  if (data_.size() - pos_ < 8) return error("truncated 64-bit value", pos_);
  uint64_t r = 0;
  for (int i = 7; i >= 0; --i) r = (r << 8) | static_cast<uint8_t>(data_[pos_ + static_cast<size_t>(i)]);
  pos_ += 8;
  *v = r;
  return Status();
}

Status Reader::bytes(std::string_view* v, size_t* base_out) {
  const size_t start = pos_;
  uint64_t n;
  ATTN_TRY(varint(&n));
  if (n > data_.size() - pos_)
    return error("length " + std::to_string(n) + " runs past the end of the message (" +
                     std::to_string(data_.size() - pos_) + " bytes left)",
                 start);
  if (base_out) *base_out = base_ + pos_;
  *v = data_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return Status();
}

Status Reader::skip(uint32_t field, Wire wire) {
  uint64_t u64;
  uint32_t u32;
  std::string_view sv;
  switch (wire) {
    case Wire::kVarint:
      return varint(&u64);
    case Wire::kFixed64:
      return fixed64(&u64);
    case Wire::kFixed32:
      return fixed32(&u32);
    case Wire::kLen:
      return bytes(&sv);
    case Wire::kEndGroup:
      return error("unexpected end-group", pos_);
    case Wire::kStartGroup:
      break;
  }
  // A group: fields until the end-group of the same number; nested groups are tracked on a small stack.
  std::vector<uint32_t> open = {field};
  while (!open.empty()) {
    const size_t start = pos_;
    uint64_t key;
    if (pos_ >= data_.size()) return error("group (field " + std::to_string(open.back()) + ") never closed", pos_);
    ATTN_TRY(varint(&key));
    const uint32_t number = static_cast<uint32_t>(key >> 3);
    const uint32_t type = static_cast<uint32_t>(key & 7);
    if (key > 0xFFFFFFFFu || number == 0 || type == 6 || type == 7) return error("invalid field key in a group", start);
    if (type == 4) {
      if (number != open.back())
        return error("end-group " + std::to_string(number) + " closes group " + std::to_string(open.back()), start);
      open.pop_back();
    } else if (type == 3) {
      if (open.size() >= static_cast<size_t>(kMaxGroupDepth)) return error("groups nested too deeply", start);
      open.push_back(number);
    } else {
      ATTN_TRY(skip(number, static_cast<Wire>(type)));
    }
  }
  return Status();
}

}  // namespace protobuf
}  // namespace attn
