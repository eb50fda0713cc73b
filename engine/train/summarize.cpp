#include "train/summarize.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace attn::summarize {

namespace {

// What a noun can be in a sentence (and what a verb can take as its object).
enum NounClass : unsigned { kPerson = 1, kAnimal = 2, kThing = 4, kPlace = 8 };

struct Noun {
  const char* one;
  const char* many;
};

const Noun kPersons[] = {{"farmer", "farmers"}, {"teacher", "teachers"}, {"doctor", "doctors"},   {"baker", "bakers"},
                         {"sailor", "sailors"}, {"painter", "painters"}, {"student", "students"}, {"mayor", "mayors"},
                         {"nurse", "nurses"},   {"driver", "drivers"},   {"singer", "singers"},   {"pilot", "pilots"},
                         {"child", "children"}, {"woman", "women"},      {"man", "men"},          {"neighbour", "neighbours"}};
const Noun kAnimals[] = {{"cow", "cows"}, {"horse", "horses"}, {"dog", "dogs"}, {"goat", "goats"},
                         {"pig", "pigs"}, {"duck", "ducks"},   {"cat", "cats"}, {"donkey", "donkeys"}};
const Noun kThings[] = {{"boat", "boats"},   {"cart", "carts"},   {"house", "houses"}, {"fence", "fences"}, {"bicycle", "bicycles"},
                        {"piano", "pianos"}, {"barn", "barns"},   {"clock", "clocks"}, {"door", "doors"},   {"wagon", "wagons"}};
const char* const kPlaces[] = {"market", "village", "river", "station", "harbour", "school", "park",
                               "city",   "bridge",  "hill",  "square",  "church",  "forest"};

struct Verb {
  const char* word;  // past tense, which is also the participle of the passive ("sold", "was sold")
  unsigned takes;    // the NounClass bits of its possible objects
};
const Verb kVerbs[] = {{"sold", kAnimal | kThing},
                       {"bought", kAnimal | kThing},
                       {"found", kPerson | kAnimal | kThing},
                       {"carried", kPerson | kAnimal | kThing},
                       {"washed", kPerson | kAnimal | kThing},
                       {"painted", kPerson | kAnimal | kThing},
                       {"photographed", kPerson | kAnimal | kThing},
                       {"helped", kPerson | kAnimal},
                       {"followed", kPerson | kAnimal},
                       {"called", kPerson | kAnimal},
                       {"chased", kPerson | kAnimal},
                       {"fed", kPerson | kAnimal},
                       {"rescued", kPerson | kAnimal},
                       {"trained", kPerson | kAnimal},
                       {"praised", kPerson | kAnimal},
                       {"warned", kPerson},
                       {"thanked", kPerson},
                       {"visited", kPerson},
                       {"fixed", kThing},
                       {"built", kThing},
                       {"cleaned", kThing},
                       {"opened", kThing}};

// Adjectives in the order English puts them (opinion, size, age, colour, material): two are written in this order.
using Words = std::vector<const char*>;
const Words kPersonAdjectives = {"famous", "clever", "kind", "brave", "proud", "lazy",  "busy", "shy",
                                 "happy",  "angry",  "hungry", "tired", "tall", "young", "old",  "local"};
const Words kAnimalAdjectives = {"hungry", "lazy", "angry", "shy", "big", "little", "young", "old", "brown", "white", "black"};
const Words kThingAdjectives = {"heavy", "broken", "big", "little", "old", "new", "red", "white", "blue", "wooden"};
const Words kPlaceAdjectives = {"busy", "quiet", "big", "small", "old", "new"};
const Words kAdverbs = {"quietly", "quickly", "finally", "suddenly", "proudly", "slowly", "secretly", "happily", "carefully", "gladly"};
const Words kSingular = {"the", "the", "the", "a", "a", "his", "her", "their", "this", "that"};  // "a" becomes "an"
const Words kPlural = {"the", "the", "his", "her", "their", "these", "those", "some", "many", ""};
const Words kNumbers = {"two", "three", "four", "five"};
const Words kPlacePrepositions = {"at", "in", "near", "behind", "outside"};
const Words kDays = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
const Words kLast = {"night", "week", "year", "summer", "winter"};
const Words kThis = {"morning", "evening"};
const Words kAlone = {"yesterday", "today", "tonight"};
const Words kFunction = {"an", "was", "were", "by", "for", "on", "last"};

// The vocabulary, each word's noun class (0 for other words), and the word index.
struct Vocabulary {
  std::vector<std::string> words;
  std::vector<unsigned> noun_class;
  std::vector<bool> verb, adverb, place_preposition;
  std::unordered_map<std::string, int> index;

  int add(const std::string& w, unsigned cls = 0) {
    auto it = index.find(w);
    if (it != index.end()) return it->second;
    const int i = static_cast<int>(words.size());
    index.emplace(w, i);
    words.push_back(w);
    noun_class.push_back(cls);
    verb.push_back(false);
    adverb.push_back(false);
    place_preposition.push_back(false);
    return i;
  }

  Vocabulary() {
    for (const Words* list : {&kSingular, &kPlural, &kNumbers, &kFunction})
      for (const char* w : *list)
        if (*w) add(w);
    for (const char* w : kPlacePrepositions) place_preposition[static_cast<size_t>(add(w))] = true;
    for (const Words* list : {&kPersonAdjectives, &kAnimalAdjectives, &kThingAdjectives, &kPlaceAdjectives})
      for (const char* w : *list) add(w);
    for (const char* w : kAdverbs) adverb[static_cast<size_t>(add(w))] = true;
    for (const Verb& v : kVerbs) verb[static_cast<size_t>(add(v.word))] = true;
    for (const Noun& n : kPersons) add(n.one, kPerson), add(n.many, kPerson);
    for (const Noun& n : kAnimals) add(n.one, kAnimal), add(n.many, kAnimal);
    for (const Noun& n : kThings) add(n.one, kThing), add(n.many, kThing);
    for (const char* w : kPlaces) add(w, kPlace);
    for (const Words* list : {&kAlone, &kLast, &kThis, &kDays})
      for (const char* w : *list) add(w);
  }
};

const Vocabulary& vocab() {
  static const Vocabulary v;
  return v;
}

int id(const char* w) { return vocab().index.at(w); }

template <typename T, size_t N>
const T& pick(Rng& r, const T (&list)[N]) {
  return list[r.below(static_cast<uint32_t>(N))];
}
const char* pick(Rng& r, const Words& list) { return list[r.below(static_cast<uint32_t>(list.size()))]; }

bool vowel(const char* w) { return std::strchr("aeiou", w[0]) != nullptr; }

// Appends a noun phrase (determiner, up to two adjectives, the noun) to `out` and returns the noun's position.
int noun_phrase(Rng& r, std::vector<int>& out, const Noun& noun, bool plural, const Words& adjectives) {
  std::vector<size_t> chosen;  // positions in `adjectives`, so that two are written in its order
  const double u = r.uniform();
  const size_t n_adj = u < 0.45 ? 0 : u < 0.8 ? 1 : 2;
  while (chosen.size() < n_adj) {
    const size_t a = r.below(static_cast<uint32_t>(adjectives.size()));
    if (std::find(chosen.begin(), chosen.end(), a) == chosen.end()) chosen.push_back(a);
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<const char*> adj;
  for (size_t a : chosen) adj.push_back(adjectives[a]);
  const char* first = adj.empty() ? (plural ? noun.many : noun.one) : adj[0];
  if (plural) {
    const char* det = pick(r, kPlural);
    if (*det) out.push_back(id(det));
    const bool counted = std::strcmp(det, "some") != 0 && std::strcmp(det, "many") != 0;
    if (counted && r.uniform() < 0.4) out.push_back(id(pick(r, kNumbers)));
  } else {
    const char* det = pick(r, kSingular);
    out.push_back(id(std::strcmp(det, "a") == 0 && vowel(first) ? "an" : det));
  }
  for (const char* a : adj) out.push_back(id(a));
  out.push_back(id(plural ? noun.many : noun.one));
  return static_cast<int>(out.size()) - 1;
}

void time_phrase(Rng& r, std::vector<int>& out) {
  const double u = r.uniform();
  if (u < 0.3) {
    out.push_back(id(pick(r, kAlone)));
  } else if (u < 0.55) {
    out.push_back(id("last"));
    out.push_back(id(pick(r, kLast)));
  } else if (u < 0.7) {
    out.push_back(id("this"));
    out.push_back(id(pick(r, kThis)));
  } else {
    out.push_back(id("on"));
    out.push_back(id(pick(r, kDays)));
  }
}

// Appends a place phrase and returns the position of its preposition (its noun is the last word).
int place_phrase(Rng& r, std::vector<int>& out) {
  const int at = static_cast<int>(out.size());
  out.push_back(id(pick(r, kPlacePrepositions)));
  out.push_back(id("the"));
  if (r.uniform() < 0.35) out.push_back(id(pick(r, kPlaceAdjectives)));
  out.push_back(id(pick(r, kPlaces)));
  return at;
}

// A noun of one of the classes in `takes` (person, animal, thing), with the adjectives that suit it.
const Noun& object_noun(Rng& r, unsigned takes, const Words** adjectives) {
  std::vector<unsigned> classes;
  for (unsigned c : {kPerson, kAnimal, kThing})
    if (takes & c) classes.push_back(c);
  const unsigned c = classes[r.below(static_cast<uint32_t>(classes.size()))];
  *adjectives = c == kPerson ? &kPersonAdjectives : c == kAnimal ? &kAnimalAdjectives : &kThingAdjectives;
  return c == kPerson ? pick(r, kPersons) : c == kAnimal ? pick(r, kAnimals) : pick(r, kThings);
}

Example draw(Rng& r) {
  Example e;
  std::vector<int>& s = e.source;
  const Verb& verb = pick(r, kVerbs);
  const Noun& who = pick(r, kPersons);
  const Words* what_adjectives = nullptr;
  const Noun* what = &object_noun(r, verb.takes, &what_adjectives);
  while (what == &who) what = &object_noun(r, verb.takes, &what_adjectives);
  const Noun* someone = &pick(r, kPersons);
  while (someone == &who || someone == what) someone = &pick(r, kPersons);
  const bool who_plural = r.uniform() < 0.3, what_plural = r.uniform() < 0.5;
  e.passive = r.uniform() < 0.35;
  const int time = static_cast<int>(r.below(10)), place = static_cast<int>(r.below(10));  // 0-3 none, 4-6 before, 7-9 after
  const bool adverb = r.uniform() < 0.4, for_someone = r.uniform() < 0.3;

  if (time >= 4 && time <= 6) time_phrase(r, s);
  int where_at = -1;
  if (place >= 4 && place <= 6) where_at = place_phrase(r, s);
  int who_at = 0, did_at = 0, what_at = 0;
  if (!e.passive) {
    who_at = noun_phrase(r, s, who, who_plural, kPersonAdjectives);
    if (adverb) s.push_back(id(pick(r, kAdverbs)));
    did_at = static_cast<int>(s.size());
    s.push_back(id(verb.word));
    what_at = noun_phrase(r, s, *what, what_plural, *what_adjectives);
  } else {
    what_at = noun_phrase(r, s, *what, what_plural, *what_adjectives);
    s.push_back(id(what_plural ? "were" : "was"));
    if (adverb) s.push_back(id(pick(r, kAdverbs)));
    did_at = static_cast<int>(s.size());
    s.push_back(id(verb.word));
    s.push_back(id("by"));
    who_at = noun_phrase(r, s, who, who_plural, kPersonAdjectives);
  }
  if (for_someone) {
    s.push_back(id("for"));
    noun_phrase(r, s, *someone, r.uniform() < 0.3, kPersonAdjectives);
  }
  if (place >= 7) where_at = place_phrase(r, s);
  if (time >= 7) time_phrase(r, s);
  e.from = {who_at, did_at, what_at};
  if (where_at >= 0) {  // the preposition and the place's noun (after "the" and perhaps an adjective)
    e.from.push_back(where_at);
    e.from.push_back(where_at + (vocab().noun_class[static_cast<size_t>(s[static_cast<size_t>(where_at) + 2])] ? 2 : 3));
  }
  for (int p : e.from) e.headline.push_back(s[static_cast<size_t>(p)]);
  return e;
}

}  // namespace

const std::vector<std::string>& words() { return vocab().words; }

int word_index(const std::string& word) {
  const auto it = vocab().index.find(word);
  return it == vocab().index.end() ? -1 : it->second;
}

Example random_example(Rng& rng) {
  for (;;) {
    Example e = draw(rng);
    if (static_cast<int>(e.source.size()) <= kMaxSource) return e;
  }
}

bool headline_of(const std::vector<int>& source, std::vector<int>* from) {
  const Vocabulary& v = vocab();
  const int n = static_cast<int>(source.size());
  auto cls = [&](int i) { return v.noun_class[static_cast<size_t>(source[static_cast<size_t>(i)])]; };
  auto is = [&](int i, const char* w) { return source[static_cast<size_t>(i)] == id(w); };
  int did = -1;
  for (int i = 0; i < n; ++i) {
    if (!v.verb[static_cast<size_t>(source[static_cast<size_t>(i)])]) continue;
    if (did >= 0) return false;  // two verbs: not one event
    did = i;
  }
  if (did < 0) return false;
  int aux = did - 1;
  if (aux >= 0 && v.adverb[static_cast<size_t>(source[static_cast<size_t>(aux)])]) --aux;
  const bool passive = aux >= 0 && (is(aux, "was") || is(aux, "were"));
  constexpr unsigned kObject = kPerson | kAnimal | kThing;
  auto last_before = [&](int end, unsigned c) {
    for (int i = end - 1; i >= 0; --i)
      if (cls(i) & c) return i;
    return -1;
  };
  auto first_after = [&](int start, unsigned c) {
    for (int i = start + 1; i < n; ++i)
      if (cls(i) & c) return i;
    return -1;
  };
  int who = -1, what = -1;
  if (!passive) {
    who = last_before(did, kPerson);
    what = first_after(did, kObject);
  } else {
    what = last_before(aux, kObject);
    const int by = did + 1 < n && is(did + 1, "by") ? did + 1 : -1;
    who = by < 0 ? -1 : first_after(by, kPerson);
  }
  if (who < 0 || what < 0) return false;
  *from = {who, did, what};
  // Where: the one place noun, if any, and the preposition of its phrase.
  int place = -1;
  for (int i = 0; i < n; ++i) {
    if (cls(i) != kPlace) continue;
    if (place >= 0) return false;  // two places
    place = i;
  }
  if (place >= 0) {
    int prep = place - 1;
    while (prep >= 0 && !v.place_preposition[static_cast<size_t>(source[static_cast<size_t>(prep)])]) --prep;
    if (prep < 0) return false;
    from->push_back(prep);
    from->push_back(place);
  }
  return true;
}

std::string text(const std::vector<int>& indices) {
  std::string out;
  for (int i : indices) {
    if (!out.empty()) out += ' ';
    out += i >= 0 && i < static_cast<int>(words().size()) ? words()[static_cast<size_t>(i)] : "<?>";
  }
  return out;
}

}  // namespace attn::summarize
