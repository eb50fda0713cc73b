// News-like sentences paired with their headline: the data of the lab's summarization task (an encoder-decoder
// over words). "yesterday the tired old farmer quietly sold his two brown cows at the market" -> "farmer sold
// cows at market"; "the cows were sold by the farmer for the mayor" -> "farmer sold cows".
//
// A sentence is one event, written by a small grammar of independent choices:
//   [time] [place]  WHO  [adverb] DID  WHAT  [for SOMEONE]  [place] [time]         (active voice)
//   [time] [place]  WHAT was|were [adverb] DID by WHO  [for SOMEONE]  [place] [time] (passive voice)
// WHO is a noun phrase of a person ("the tired old farmer", "her two clever students"); WHAT one of a person,
// an animal or a thing that the verb can take ("sold" an animal or a thing, "thanked" a person); SOMEONE is a
// third person who is not in the headline; time and place phrases ("on monday", "near the old bridge") come
// before or after the event. Determiners agree in number ("a cow", "two cows"), and so do "was" and "were".
//
// The headline is words of the sentence, as headlines are written (no articles, adjectives or time): the WHO
// noun, the verb, the WHAT noun, and where, when the sentence says: the place's preposition and noun ("farmer
// sold cows at market"). So it is extractive and its alignment is known: `from` gives the source position of
// each headline word, which cross-attention of a trained model should find. Nothing about a word's position tells its role: the doer
// comes first in the active voice and last in the passive, persons are doers, done-to and bystanders, and
// fillers of any length come before, between and after. The model has to read the grammar: the verb, "by",
// "was"/"were", "for".
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"

namespace attn::summarize {

constexpr int kMaxSource = 24;  // words of the longest sentence drawn (longer draws are drawn again)
constexpr int kMaxHeadline = 5;  // who, did, what [, preposition, place]

// Every word the grammar writes, lower case, in a fixed order (ids: kFirstSymbol + index, see train/tasks.h).
const std::vector<std::string>& words();
// The index of a word in words(), or -1.
int word_index(const std::string& word);

struct Example {
  std::vector<int> source;    // indices into words()
  std::vector<int> headline;  // 3 or 5 indices into words(): who, did, what [, preposition, place]
  std::vector<int> from;      // their positions in source: where each headline word is
  bool passive = false;
};

// A random sentence of the grammar and its headline.
Example random_example(Rng& rng);

// The headline of a sentence by the task's rule, read back from the words alone (for a learner's own sentence):
// the one verb; in the active voice WHO is the last person noun before it and WHAT the first noun after it; in
// the passive ("was"/"were" before the verb) WHAT is the last noun before "was"/"were" and WHO the first person
// noun after "by"; then the one place noun, if any, and the place preposition before it. Writes the headline
// words' source positions to *from and returns true, or returns false when the sentence is not of that form (no
// verb or two, a missing noun, two places).
bool headline_of(const std::vector<int>& source, std::vector<int>* from);

// Words joined by single spaces.
std::string text(const std::vector<int>& indices);

}  // namespace attn::summarize
