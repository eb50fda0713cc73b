// The date translator's data (engine/train/dates.cpp): the examples from the issue render as written, the
// conventions hold (US order with "/" and "-", day first with ".", two-digit years 1950-2049, true weekdays),
// training never produces an unseen family, and each unseen family's generator produces exactly that family.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "train/dates.h"

namespace attn::dates {
namespace {

Style words(Layout layout) {
  Style s;
  s.layout = layout;
  return s;
}

TEST(Dates, TheIssuesExamplesRenderAsWritten) {
  Style a = words(kWordsDayFirst);  // "23rd of Nov. 2026"
  a.day = 2;
  a.of = true;
  a.month = 2;
  a.year_comma = false;
  EXPECT_EQ(render(2026, 11, 23, a).source, "23rd of Nov. 2026");

  Style b = words(kWordsMonthFirst);  // "Monday, November 23, 2026"
  b.weekday = 2;
  EXPECT_EQ(render(2026, 11, 23, b).source, "Monday, November 23, 2026");
  EXPECT_EQ(render(2026, 11, 23, b).pattern, "Weekday, Month D, YYYY");

  Style c;  // "11/23/26"
  c.layout = kNumericMDY;
  c.sep = '/';
  c.year = 2;
  EXPECT_EQ(render(2026, 11, 23, c).source, "11/23/26");

  Style d;  // "23.11.2026"
  d.layout = kNumericDMY;
  d.sep = '.';
  d.pad = true;
  EXPECT_EQ(render(2026, 11, 23, d).source, "23.11.2026");

  Style e = words(kWordsMonthFirst);  // "nov 23 '26"
  e.month = 1;
  e.year = 1;
  e.year_comma = false;
  e.case_variant = 1;
  EXPECT_EQ(render(2026, 11, 23, e).source, "nov 23 '26");

  for (const Style& s : {a, b, c, d, e}) EXPECT_EQ(render(2026, 11, 23, s).target, "2026-11-23");
}

TEST(Dates, WeekdaysAreTrueAndOrdinalsAreEnglish) {
  Style s = words(kWordsMonthFirst);
  s.weekday = 2;
  s.day = 2;
  EXPECT_EQ(render(1970, 1, 1, s).source, "Thursday, January 1st, 1970");
  EXPECT_EQ(render(2000, 2, 29, s).source, "Tuesday, February 29th, 2000");
  EXPECT_EQ(render(2026, 11, 23, s).source, "Monday, November 23rd, 2026");
  EXPECT_EQ(render(1999, 12, 12, s).source, "Sunday, December 12th, 1999");
  EXPECT_EQ(render(2024, 3, 22, s).source, "Friday, March 22nd, 2024");
  EXPECT_EQ(render(2011, 5, 11, s).source, "Wednesday, May 11th, 2011");
}

TEST(Dates, RandomExamplesFollowTheConventions) {
  Rng rng(3);
  std::set<std::string> patterns;
  for (int i = 0; i < 20000; ++i) {
    const Example e = random_training_example(rng);
    ASSERT_EQ(e.family, -1) << e.source;
    patterns.insert(e.pattern);
    const int year = std::stoi(e.target.substr(0, 4));
    ASSERT_EQ(e.target.size(), 10u);
    ASSERT_TRUE(year >= 1900 && year <= 2099) << e.source;
    // A two-digit year stands for 1950-2049.
    if (e.pattern.find("YYYY") == std::string::npos) {
      ASSERT_TRUE(year >= 1950 && year <= 2049) << e.source;
    }
    // Year first is always year-month-day, whatever the separator.
    if (e.pattern.rfind("YYYY", 0) == 0) {
      ASSERT_EQ(e.source.substr(0, 4), e.target.substr(0, 4)) << e.source;
    }
  }
  EXPECT_GT(patterns.size(), 300u);  // a grammar, not a handful of templates
}

TEST(Dates, EachUnseenFamilyIsHeldOutOfTrainingAndGeneratedExactly) {
  Rng rng(4);
  const auto& families = unseen_families();
  ASSERT_EQ(families.size(), 6u);
  for (int f = 0; f < static_cast<int>(families.size()); ++f)
    for (int i = 0; i < 200; ++i) {
      const Example e = random_unseen_example(rng, f);
      ASSERT_EQ(e.family, f) << e.source;
      ASSERT_EQ(e.pattern, families[static_cast<size_t>(f)]) << e.source;
    }
  // Training draws none of them, even over many samples.
  std::set<std::string> training;
  for (int i = 0; i < 50000; ++i) training.insert(random_training_example(rng).pattern);
  for (const std::string& f : families) EXPECT_EQ(training.count(f), 0u) << f;
}

TEST(Dates, TheSameSeedGivesTheSameExamples) {
  Rng a(9), b(9);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(random_training_example(a).source, random_training_example(b).source);
}

}  // namespace
}  // namespace attn::dates
