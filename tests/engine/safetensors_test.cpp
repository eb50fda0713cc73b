#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

namespace attn {
namespace {

std::string with_header(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string rejection(const std::string& bytes) {
  SafetensorsFile f;
  Status st = SafetensorsFile::parse(bytes, &f);
  return st.ok() ? "" : st.message();
}

TEST(Safetensors, WritesAndReadsBackBitExactly) {
  Tensor a({2, 3}, {1, 2, 3, 4, 5, -6.5f}), b({4}, {0.1f, 0.2f, 1e-30f, 3e30f});
  const std::string bytes = write_safetensors({{"a", &a}, {"b.weight", &b}}, {{"config", "{\"x\":1}"}});
  SafetensorsFile f;
  ASSERT_TRUE(SafetensorsFile::parse(bytes, &f).ok());
  EXPECT_EQ(f.metadata.at("config"), "{\"x\":1}");
  Tensor a2, b2;
  ASSERT_TRUE(f.read("a", &a2).ok());
  ASSERT_TRUE(f.read("b.weight", &b2).ok());
  EXPECT_EQ(a2.shape, a.shape);
  EXPECT_EQ(0, std::memcmp(a2.ptr(), a.ptr(), 24));
  EXPECT_EQ(0, std::memcmp(b2.ptr(), b.ptr(), 16));
  EXPECT_EQ(bytes.size() % 8, 0u);
}

TEST(Safetensors, F16StorageRoundsOnce) {
  Tensor a({3}, {1.0f, 0.1f, -3.0f});
  SafetensorsFile f;
  const std::string bytes = write_safetensors({{"a", &a}}, {}, true);
  ASSERT_TRUE(SafetensorsFile::parse(bytes, &f).ok());
  Tensor a2;
  ASSERT_TRUE(f.read("a", &a2).ok());
  EXPECT_EQ(f.entries[0].dtype, "F16");
  EXPECT_EQ(a2.data[0], 1.0f);
  EXPECT_NEAR(a2.data[1], 0.1f, 1e-4f);
}

// One test per class of corrupt file: each is rejected with a message naming the problem.
TEST(Safetensors, RejectsEachKindOfCorruption) {
  const std::string ok_entry = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string data8(8, '\0');
  ASSERT_EQ(rejection(with_header("{" + ok_entry + "}", data8)), "");

  EXPECT_NE(rejection("abc").find("shorter than"), std::string::npos);
  std::string huge(16, '\0');
  huge[5] = 0x10;  // header size 2^40
  EXPECT_NE(rejection(huge).find("100 MB"), std::string::npos);
  std::string past = with_header("{}", "");
  past[0] = 100;
  EXPECT_NE(rejection(past).find("past the end"), std::string::npos);
  EXPECT_NE(rejection(with_header("{\"t\xff\":1}", "")).find("UTF-8"), std::string::npos);
  EXPECT_NE(rejection(with_header("{\"t\":", "")).find("invalid JSON"), std::string::npos);
  EXPECT_NE(rejection(with_header("[1,2]", "")).find("not a JSON object"), std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"Q8","shape":[2],"data_offsets":[0,8]}})", data8)).find("unknown dtype"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data8)).find("shape"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", data8))
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data8)).find("needs 12"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data8)).find("past the end"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                  std::string(12, '\0')))
                .find("overlaps"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data8)).find("gap"),
            std::string::npos);
  EXPECT_NE(rejection(with_header("{" + ok_entry + "}", data8 + "xx")).find("trailing bytes"), std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"__metadata__":{"a":1}})", "")).find("not a string"), std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":1}})", "")).find("unknown field"),
            std::string::npos);
  EXPECT_NE(rejection(with_header(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data8)).find("data_offsets"),
            std::string::npos);
}

}  // namespace
}  // namespace attn
