// Dates as people write them, paired with ISO 8601: the data of the date translator (an encoder-decoder over
// characters). "23rd of Nov. 2026", "Monday, November 23, 2026", "11/23/26", "23.11.2026", "nov 23 '26" ->
// "2026-11-23".
//
// A date is written by a STYLE: independent choices of weekday (none, "Mon", "Monday"), layout (month-first
// words, day-first words, numeric month/day/year, day.month.year, year-month-day), month form ("November",
// "Nov", "Nov."), day form ("23", "03", "23rd"), "the"/"of", commas, separator, zero padding, year form ("2026",
// "'26", "26") and case. Training samples styles from this grammar, so the model learns the parts, not a
// list of templates.
//
// Conventions (the model learns them; the README states them):
//   - numeric month/day/year uses "/" or "-" (US): 11/23/26;  day.month.year uses ".": 23.11.2026;
//     year first is always year-month-day, with any separator: 2026-11-23, 2026.11.23;
//   - two-digit years: 00-49 -> 20xx, 50-99 -> 19xx (those styles use years 1950-2049);
//   - four-digit years span 1900-2099; a written weekday is the true weekday of the date.
// UNSEEN families are combinations of parts that never occur together in training (a full weekday before a
// day-first date, an apostrophe year after a day-first date, ...): the held-out set measures generalization to new formats
// as well as to new dates.
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"

namespace attn::dates {

enum Layout { kWordsMonthFirst, kWordsDayFirst, kNumericMDY, kNumericDMY, kNumericYMD };

struct Style {
  int weekday = 0;           // 0 none, 1 "Mon", 2 "Monday"
  bool weekday_comma = true; // "Monday, ..." or "Monday ..."
  Layout layout = kWordsMonthFirst;
  int month = 0;             // words: 0 "November", 1 "Nov", 2 "Nov."
  int day = 0;               // 0 "3", 1 "03", 2 "3rd"
  bool article = false;      // day-first words: "the 3rd of ..."
  bool of = false;           // day-first words: "3rd of November"
  bool year_comma = true;    // words: "..., 2026"
  int year = 0;              // 0 "2026", 1 "'26", 2 "26"
  char sep = '/';            // numeric separator
  bool pad = false;          // numeric zero padding
  int case_variant = 0;      // 0 as written, 1 lower case, 2 upper case
};

struct Example {
  std::string source;   // e.g. "Monday, November 23, 2026"
  std::string target;   // "2026-11-23"
  std::string pattern;  // the style written as a pattern, e.g. "Weekday, Month D, YYYY"
  int family = -1;      // the unseen family it belongs to, or -1
};

// The unseen families (names as patterns); examples of family f are never produced by random_training_example.
const std::vector<std::string>& unseen_families();

// A random date in a random training style.
Example random_training_example(Rng& rng);
// A random date in a random style of unseen family `family` (or of any unseen family when -1).
Example random_unseen_example(Rng& rng, int family = -1);
// A given date in a given style.
Example render(int year, int month, int day, const Style& style);
// The unseen family a style falls into, or -1.
int unseen_family(const Style& s);

}  // namespace attn::dates
