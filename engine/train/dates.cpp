#include "train/dates.h"

#include <cctype>
#include <cstdio>

namespace attn::dates {

namespace {

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kWeekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// 0 = Monday (days_from_civil, Howard Hinnant; 1970-01-01 was a Thursday).
int weekday(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long days = static_cast<long>(era) * 146097 + doe - 719468;
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

std::string ordinal(int d) {
  const char* suffix = "th";
  if (d % 100 < 11 || d % 100 > 13) {
    if (d % 10 == 1) suffix = "st";
    else if (d % 10 == 2) suffix = "nd";
    else if (d % 10 == 3) suffix = "rd";
  }
  return std::to_string(d) + suffix;
}

std::string pad2(int x) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", x % 100);
  return b;
}

std::string with_case(std::string s, int variant) {
  for (char& c : s) {
    if (variant == 1) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (variant == 2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

bool two_digit_year(const Style& s) { return s.year != 0; }

// Random choices of the grammar (numbers are probabilities of the options, roughly as people write).
Style random_style(Rng& r) {
  auto chance = [&](double p) { return r.uniform() < p; };
  Style s;
  const double u = r.uniform();
  s.layout = u < 0.32 ? kWordsMonthFirst : u < 0.62 ? kWordsDayFirst : u < 0.76 ? kNumericMDY : u < 0.88 ? kNumericDMY : kNumericYMD;
  const double c = r.uniform();
  s.case_variant = c < 0.7 ? 0 : c < 0.9 ? 1 : 2;
  const double y = r.uniform();
  if (s.layout == kWordsMonthFirst || s.layout == kWordsDayFirst) {
    s.month = static_cast<int>(r.below(3));
    s.year = y < 0.75 ? 0 : y < 0.9 ? 1 : 2;
    const double w = r.uniform();
    s.weekday = w < 0.6 ? 0 : w < 0.8 ? 1 : 2;
    s.weekday_comma = chance(0.7);
    if (s.layout == kWordsMonthFirst) {
      s.day = chance(0.35) ? 2 : chance(0.1) ? 1 : 0;
      s.year_comma = chance(0.75);
    } else {
      s.day = static_cast<int>(r.below(3));
      s.of = s.day == 2 && chance(0.6);
      s.article = s.of && chance(0.4);
      s.year_comma = chance(0.2);
    }
  } else {
    s.pad = chance(0.5);
    const double w = r.uniform();
    s.weekday = w < 0.75 ? 0 : w < 0.88 ? 1 : 2;
    s.weekday_comma = chance(0.7);
    if (s.layout == kNumericMDY) s.sep = chance(0.7) ? '/' : '-';
    if (s.layout == kNumericDMY) s.sep = '.';
    if (s.layout == kNumericYMD) s.sep = "-/. "[r.below(4)];
    s.year = s.layout == kNumericYMD ? 0 : (y < 0.5 ? 0 : 2);
  }
  return s;
}

}  // namespace

const std::vector<std::string>& unseen_families() {
  static const std::vector<std::string> f = {
      "D Mon. 'YY",             // day first, abbreviated month with a period, apostrophe year (each seen elsewhere)
      "Weekday, D Month YYYY",  // a full weekday before a day-first date (seen: full weekdays before month-first)
      "Mon Dth 'YY",            // an ordinal with an apostrophe year (seen separately)
      "DD Month YYYY",          // day first, zero-padded, full month, no comma (seen: padding with month first)
      "the Dth of Mon YYYY",    // "the ... of" with an abbreviated month without a period
      "Month Dth YYYY",         // month first, ordinal, no comma, four-digit year
  };
  return f;
}

int unseen_family(const Style& s) {
  const bool words_mf = s.layout == kWordsMonthFirst, words_df = s.layout == kWordsDayFirst;
  if (words_df && s.month == 2 && s.year == 1) return 0;
  if (words_df && s.weekday == 2) return 1;
  if (words_mf && s.day == 2 && s.year == 1) return 2;
  if (words_df && s.day == 1 && s.month == 0 && !s.of && !s.article && !s.year_comma && s.year == 0) return 3;
  if (words_df && s.article && s.month == 1) return 4;
  if (words_mf && s.day == 2 && !s.year_comma && s.year == 0 && s.month == 0) return 5;
  return -1;
}

Example render(int year, int month, int day, const Style& s) {
  const int cv = s.case_variant;
  std::string text, pattern;
  auto add = [&](const std::string& t, const std::string& p) {
    text += t;
    pattern += p;
  };
  const std::string yyyy = std::to_string(year), yy = pad2(year);
  auto year_text = [&](bool words) -> std::pair<std::string, std::string> {
    if (s.year == 0) return {yyyy, "YYYY"};
    if (s.year == 1 && words) return {"'" + yy, "'YY"};
    return {yy, "YY"};
  };
  if (s.weekday) {
    const std::string name = kWeekdays[weekday(year, month, day)];
    add(with_case(s.weekday == 1 ? name.substr(0, 3) : name, cv), s.weekday == 1 ? "Wday" : "Weekday");
    add(s.weekday_comma ? ", " : " ", s.weekday_comma ? ", " : " ");
  }
  if (s.layout == kWordsMonthFirst || s.layout == kWordsDayFirst) {
    const std::string full = kMonths[month - 1];
    const std::string mon = with_case(s.month == 0 ? full : full.substr(0, 3) + (s.month == 2 ? "." : ""), cv);
    const char* mon_p = s.month == 0 ? "Month" : s.month == 1 ? "Mon" : "Mon.";
    const std::string d = s.day == 0 ? std::to_string(day) : s.day == 1 ? pad2(day) : ordinal(day);
    const char* d_p = s.day == 0 ? "D" : s.day == 1 ? "DD" : "Dth";
    const auto [yt, yp] = year_text(true);
    if (s.layout == kWordsMonthFirst) {
      add(mon, mon_p);
      add(" " + d, std::string(" ") + d_p);
    } else {
      if (s.article) add(with_case("the ", cv), "the ");
      add(d, d_p);
      add(s.of ? with_case(" of ", cv) : " ", s.of ? " of " : " ");
      add(mon, mon_p);
    }
    add(s.year_comma ? ", " : " ", s.year_comma ? ", " : " ");
    add(yt, yp);
  } else {
    const std::string sep(1, s.sep);
    const std::string dd = s.pad ? pad2(day) : std::to_string(day), mm = s.pad ? pad2(month) : std::to_string(month);
    const std::string dp = s.pad ? "DD" : "D", mp = s.pad ? "MM" : "M";
    const auto [yt, yp] = year_text(false);
    if (s.layout == kNumericMDY) add(mm + sep + dd + sep + yt, mp + sep + dp + sep + yp);
    else if (s.layout == kNumericDMY) add(dd + sep + mm + sep + yt, dp + sep + mp + sep + yp);
    else add(yyyy + sep + mm + sep + dd, "YYYY" + sep + mp + sep + dp);
  }
  Example ex;
  ex.source = text;
  ex.target = yyyy + "-" + pad2(month) + "-" + pad2(day);
  ex.pattern = pattern;
  ex.family = unseen_family(s);
  return ex;
}

namespace {
Example random_date(Rng& rng, const Style& s) {
  const int year = two_digit_year(s) ? 1950 + static_cast<int>(rng.below(100)) : 1900 + static_cast<int>(rng.below(200));
  const int month = 1 + static_cast<int>(rng.below(12));
  const int day = 1 + static_cast<int>(rng.below(static_cast<uint32_t>(days_in_month(year, month))));
  return render(year, month, day, s);
}
}  // namespace

Example random_training_example(Rng& rng) {
  for (;;) {
    const Style s = random_style(rng);
    if (unseen_family(s) < 0) return random_date(rng, s);
  }
}

Example random_unseen_example(Rng& rng, int family) {
  const int f = family >= 0 ? family : static_cast<int>(rng.below(static_cast<uint32_t>(unseen_families().size())));
  for (;;) {
    Style s = random_style(rng);
    // Force the family's defining parts; the other choices stay random.
    switch (f) {
      case 0: s.layout = kWordsDayFirst; s.month = 2; s.year = 1; s.day = 0; s.of = false; s.article = false;
              s.year_comma = false; s.weekday = 0; break;
      case 1: s.layout = kWordsDayFirst; s.weekday = 2; s.weekday_comma = true; s.month = 0; s.day = 0; s.of = false;
              s.article = false; s.year_comma = false; s.year = 0; break;
      case 2: s.layout = kWordsMonthFirst; s.month = 1; s.day = 2; s.year = 1; s.year_comma = false; s.weekday = 0; break;
      case 3: s.layout = kWordsDayFirst; s.day = 1; s.month = 0; s.of = false; s.article = false; s.year_comma = false;
              s.year = 0; s.weekday = 0; break;
      case 4: s.layout = kWordsDayFirst; s.article = true; s.of = true; s.day = 2; s.month = 1; s.year_comma = false;
              s.year = 0; s.weekday = 0; break;
      default: s.layout = kWordsMonthFirst; s.month = 0; s.day = 2; s.year_comma = false; s.year = 0; s.weekday = 0; break;
    }
    if (unseen_family(s) == f) return random_date(rng, s);
  }
}

}  // namespace attn::dates
