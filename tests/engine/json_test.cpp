#include "io/json.h"

#include <gtest/gtest.h>

namespace attn {
namespace {

TEST(Json, ParsesAndDumpsRoundTrip) {
  Json j;
  const std::string text = R"({"a":[1,2.5,-3e2,true,false,null],"b":{"c":"x\"y\\n\u00e9\ud83d\ude00"}})";
  ASSERT_TRUE(Json::parse(text, &j).ok());
  EXPECT_EQ(j.find("a")->items().size(), 6u);
  EXPECT_EQ(j.find("a")->items()[2].as_number(), -300.0);
  EXPECT_EQ(j.find("b")->find("c")->as_string(), "x\"y\\n\xC3\xA9\xF0\x9F\x98\x80");
  Json k;
  ASSERT_TRUE(Json::parse(j.dump(), &k).ok());
  EXPECT_EQ(k.dump(), j.dump());
}

TEST(Json, RejectsWhatTheRfcRejects) {
  const char* bad[] = {"",        "{",          "[1,]",        "{\"a\":1,}",  "01",         "1.",
                       "NaN",     "'x'",        "{\"a\" 1}",   "[1] 2",       "\"\\x\"",    "\"\\ud800\"",
                       "{\"a\":1,\"a\":2}",     "\"a\tb\"",    "1e999",       "// c\n1",    "-"};
  for (const char* t : bad) {
    Json j;
    EXPECT_FALSE(Json::parse(t, &j).ok()) << t;
  }
  Json j;
  EXPECT_FALSE(Json::parse("\"\xC0\xAF\"", &j).ok());  // overlong UTF-8
  EXPECT_FALSE(Json::parse("\"\xED\xA0\x80\"", &j).ok());  // encoded surrogate
  std::string deep(100, '[');
  deep += std::string(100, ']');
  Status st = Json::parse(deep, &j);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nesting"), std::string::npos);
}

TEST(Json, ErrorsSayWhere) {
  Json j;
  Status st = Json::parse("[1, 2, x]", &j);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("byte 7"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace attn
