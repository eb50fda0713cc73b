#include "tools/models/dates.h"

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

// 0 = Monday. Days since 1970-01-01 (a Thursday) by Howard Hinnant's days_from_civil.
int weekday(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long days = static_cast<long>(era) * 146097 + doe - 719468;
  return static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday (3)
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

// The fields a pattern may use. Case variants: 0 as written, 1 lower case, 2 upper case (month/day names).
struct Fields {
  int y, m, d, case_variant;
  std::string name(const char* s, size_t len) const {
    std::string out(s, len == 0 ? std::char_traits<char>::length(s) : len);
    for (char& c : out) {
      if (case_variant == 1) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (case_variant == 2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
  }
  std::string Month() const { return name(kMonths[m - 1], 0); }
  std::string Mon() const { return name(kMonths[m - 1], 3); }
  std::string Weekday() const { return name(kWeekdays[weekday(y, m, d)], 0); }
  std::string Wday() const { return name(kWeekdays[weekday(y, m, d)], 3); }
  std::string D() const { return std::to_string(d); }
  std::string DD() const { return pad2(d); }
  std::string Dth() const { return ordinal(d); }
  std::string M() const { return std::to_string(m); }
  std::string MM() const { return pad2(m); }
  std::string YYYY() const { return std::to_string(y); }
  std::string YY() const { return pad2(y); }
};

using Render = std::string (*)(const Fields&);

struct Entry {
  Format format;
  Render render;
  bool casable;  // has month or weekday names that may be lower or upper case
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> e = {
      // ------------------------------------------------------------------------------------------ training
      {{"Month D, YYYY", false, false}, [](const Fields& f) { return f.Month() + " " + f.D() + ", " + f.YYYY(); }, true},
      {{"Weekday, Month D, YYYY", false, false},
       [](const Fields& f) { return f.Weekday() + ", " + f.Month() + " " + f.D() + ", " + f.YYYY(); }, true},
      {{"D Month YYYY", false, false}, [](const Fields& f) { return f.D() + " " + f.Month() + " " + f.YYYY(); }, true},
      {{"Dth of Month YYYY", false, false},
       [](const Fields& f) { return f.Dth() + " of " + f.Month() + " " + f.YYYY(); }, true},
      {{"Dth of Mon. YYYY", false, false}, [](const Fields& f) { return f.Dth() + " of " + f.Mon() + ". " + f.YYYY(); }, true},
      {{"M/D/YY", false, true}, [](const Fields& f) { return f.M() + "/" + f.D() + "/" + f.YY(); }, false},
      {{"MM/DD/YYYY", false, false}, [](const Fields& f) { return f.MM() + "/" + f.DD() + "/" + f.YYYY(); }, false},
      {{"DD.MM.YYYY", false, false}, [](const Fields& f) { return f.DD() + "." + f.MM() + "." + f.YYYY(); }, false},
      {{"D.M.YYYY", false, false}, [](const Fields& f) { return f.D() + "." + f.M() + "." + f.YYYY(); }, false},
      {{"mon D 'YY", false, true}, [](const Fields& f) { return f.Mon() + " " + f.D() + " '" + f.YY(); }, true},
      {{"YYYY-MM-DD", false, false}, [](const Fields& f) { return f.YYYY() + "-" + f.MM() + "-" + f.DD(); }, false},
      {{"D-Mon-YYYY", false, false}, [](const Fields& f) { return f.D() + "-" + f.Mon() + "-" + f.YYYY(); }, true},
      {{"Mon D, YYYY", false, false}, [](const Fields& f) { return f.Mon() + " " + f.D() + ", " + f.YYYY(); }, true},
      {{"Mon. D, YYYY", false, false}, [](const Fields& f) { return f.Mon() + ". " + f.D() + ", " + f.YYYY(); }, true},
      {{"Month Dth, YYYY", false, false}, [](const Fields& f) { return f.Month() + " " + f.Dth() + ", " + f.YYYY(); }, true},
      {{"Wday D Mon YYYY", false, false},
       [](const Fields& f) { return f.Wday() + " " + f.D() + " " + f.Mon() + " " + f.YYYY(); }, true},
      {{"Weekday the Dth of Month, YYYY", false, false},
       [](const Fields& f) { return f.Weekday() + " the " + f.Dth() + " of " + f.Month() + ", " + f.YYYY(); }, true},
      {{"DD Mon YY", false, true}, [](const Fields& f) { return f.DD() + " " + f.Mon() + " " + f.YY(); }, true},
      {{"YYYY/MM/DD", false, false}, [](const Fields& f) { return f.YYYY() + "/" + f.MM() + "/" + f.DD(); }, false},
      {{"Month D YYYY", false, false}, [](const Fields& f) { return f.Month() + " " + f.D() + " " + f.YYYY(); }, true},
      {{"Wday, Mon D, YYYY", false, false},
       [](const Fields& f) { return f.Wday() + ", " + f.Mon() + " " + f.D() + ", " + f.YYYY(); }, true},
      {{"MM-DD-YY", false, true}, [](const Fields& f) { return f.MM() + "-" + f.DD() + "-" + f.YY(); }, false},
      {{"the Dth of Month YYYY", false, false},
       [](const Fields& f) { return "the " + f.Dth() + " of " + f.Month() + " " + f.YYYY(); }, true},
      {{"D Mon 'YY", false, true}, [](const Fields& f) { return f.D() + " " + f.Mon() + " '" + f.YY(); }, true},
      // -------------------------------------------------------------------------------------------- unseen
      {{"DD.MM.YY", true, true}, [](const Fields& f) { return f.DD() + "." + f.MM() + "." + f.YY(); }, false},
      {{"Weekday, D Month YYYY", true, false},
       [](const Fields& f) { return f.Weekday() + ", " + f.D() + " " + f.Month() + " " + f.YYYY(); }, true},
      {{"Mon Dth 'YY", true, true}, [](const Fields& f) { return f.Mon() + " " + f.Dth() + " '" + f.YY(); }, true},
      {{"YYYY.MM.DD", true, false}, [](const Fields& f) { return f.YYYY() + "." + f.MM() + "." + f.DD(); }, false},
      {{"the Dth of Mon YYYY", true, false},
       [](const Fields& f) { return "the " + f.Dth() + " of " + f.Mon() + " " + f.YYYY(); }, true},
      {{"Month Dth YYYY", true, false}, [](const Fields& f) { return f.Month() + " " + f.Dth() + " " + f.YYYY(); }, true},
  };
  return e;
}

}  // namespace

const std::vector<Format>& formats() {
  static const std::vector<Format> f = [] {
    std::vector<Format> out;
    for (const Entry& e : entries()) out.push_back(e.format);
    return out;
  }();
  return f;
}

std::vector<int> training_formats() {
  std::vector<int> ids;
  for (size_t i = 0; i < entries().size(); ++i)
    if (!entries()[i].format.unseen) ids.push_back(static_cast<int>(i));
  return ids;
}

std::vector<int> unseen_formats() {
  std::vector<int> ids;
  for (size_t i = 0; i < entries().size(); ++i)
    if (entries()[i].format.unseen) ids.push_back(static_cast<int>(i));
  return ids;
}

Example render(int year, int month, int day, int format, int case_variant) {
  const Entry& e = entries()[static_cast<size_t>(format)];
  const Fields f{year, month, day, e.casable ? case_variant : 0};
  Example ex;
  ex.source = e.render(f);
  ex.target = std::to_string(year) + "-" + pad2(month) + "-" + pad2(day);
  ex.format = format;
  return ex;
}

Example random_example(Rng& rng, const std::vector<int>& format_ids) {
  const int format = format_ids[rng.below(static_cast<uint32_t>(format_ids.size()))];
  const bool two_digit = entries()[static_cast<size_t>(format)].format.two_digit_year;
  const int year = two_digit ? 1950 + static_cast<int>(rng.below(100)) : 1900 + static_cast<int>(rng.below(200));
  const int month = 1 + static_cast<int>(rng.below(12));
  const int day = 1 + static_cast<int>(rng.below(static_cast<uint32_t>(days_in_month(year, month))));
  const double c = rng.uniform();
  const int case_variant = c < 0.7 ? 0 : (c < 0.9 ? 1 : 2);
  return render(year, month, day, format, case_variant);
}

}  // namespace attn::dates
