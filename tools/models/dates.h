// Dates as people write them, paired with ISO 8601: the data of the date translator (an encoder-decoder over
// characters). "23rd of Nov. 2026", "Monday, November 23, 2026", "11/23/26", "23.11.2026", "nov 23 '26" ->
// "2026-11-23".
//
// Conventions (the model learns them; the README states them):
//   - slashes are month/day/year (US): 11/23/26;  dots and day-first words are day.month.year: 23.11.2026;
//   - two-digit years: 00-49 -> 20xx, 50-99 -> 19xx (so those formats use years 1950-2049);
//   - four-digit years span 1900-2099; weekdays, when written, are the true weekday of the date.
// Formats are split into TRAINING formats and UNSEEN formats, which never appear in training and recombine
// parts the model has seen (a dot-separated two-digit year, a weekday before a day-first date, ...), so the
// held-out set measures generalization to new formats as well as to new dates.
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"

namespace attn::dates {

struct Example {
  std::string source;  // e.g. "Monday, November 23, 2026"
  std::string target;  // "2026-11-23"
  int format = 0;      // index into formats()
};

struct Format {
  const char* name;     // a readable pattern, e.g. "Weekday, Month D, YYYY"
  bool unseen;          // held out from training
  bool two_digit_year;  // uses the 1950-2049 range
};

const std::vector<Format>& formats();
std::vector<int> training_formats();
std::vector<int> unseen_formats();

// A random date written in one of `format_ids` (uniformly), with random capitalization where a format allows.
Example random_example(Rng& rng, const std::vector<int>& format_ids);
// A given date in a given format (case variant 0: as the pattern shows).
Example render(int year, int month, int day, int format, int case_variant = 0);

}  // namespace attn::dates
