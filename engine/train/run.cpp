#include "train/run.h"

#include <algorithm>
#include <cmath>

#include "io/model_file.h"
#include "models/head_means.h"
#include "models/config.h"

namespace attn {

namespace {

// The CLI trainer's defaults (attn-train --help): a 2+2-layer encoder-decoder, d_model 64, AdamW.
const char* const kModelDefaults = R"({"arch": "encoder-decoder", "num_layers": 2, "num_decoder_layers": 2,
  "d_model": 64, "nhead": 4, "dim_feedforward": 256, "dropout": 0, "activation": "relu", "norm_first": false,
  "positional": "sinusoidal"})";
const char* const kTrainDefaults = R"({"optimizer": "adamw", "lr": 0.003, "beta1": 0.9, "beta2": 0.98, "eps": 1e-9,
  "weight_decay": 0.01, "clip_norm": 1, "warmup": 100, "schedule": "cosine", "min_lr_ratio": 0.05,
  "label_smoothing": 0})";

// The largest model the lab trains: a page must not take the tab's memory by a typo in d_model.
constexpr double kMaxParameters = 20e6;

// Defaults overlaid with the given section.
Json merged(const char* defaults, const Json* given) {
  Json out;
  Json::parse(defaults, &out);
  if (given)
    for (const auto& kv : given->members()) out.set(kv.first, kv.second);
  return out;
}

// The keys run_config_from_json sets from the task (model) and from the run (train).
const char* const kDerivedModelKeys[] = {"vocab_size", "head_size", "tgt_vocab_size", "max_len", "pad_id"};
const char* const kDerivedTrainKeys[] = {"total_steps", "ignore_index", "seed"};

// A key that follows from the task or the run may be given, but only with the value it must have.
Status derived(Json& section, const char* name, const char* key, double value, const char* why) {
  const Json* v = section.find(key);
  if (v && !(v->is_number() && v->as_number() == value))
    return Status::error(std::string(name) + "." + key + " follows from the " + why + " (" + Json::number(value).dump() +
                         "): leave it out");
  section.set(key, Json::number(value));
  return Status();
}

template <size_t N>
Json without(const Json& section, const char* const (&keys)[N]) {
  Json out = Json::object();
  for (const auto& kv : section.members())
    if (std::none_of(keys, keys + N, [&](const char* k) { return kv.first == k; })) out.set(kv.first, kv.second);
  return out;
}

// An LSTM run's model section, made into the encoder-decoder config its batches are made for: one head (the
// transformer's heads are not used), as many decoder layers as encoder layers, and no dropout.
Status lstm_section(Json& model) {
  const Json* dropout = model.find("dropout");
  if (dropout && !(dropout->is_number() && dropout->as_number() == 0.0))
    return Status::error("the LSTM baseline has no dropout: set dropout to 0");
  model.set("arch", Json::string("encoder-decoder"));
  model.set("nhead", Json::number(1));
  if (const Json* layers = model.find("num_layers")) model.set("num_decoder_layers", *layers);
  return Status();
}

}  // namespace

Json without_derived_keys(const Json& j) {
  Json out = j;
  if (const Json* m = j.find("model")) out.set("model", without(*m, kDerivedModelKeys));
  if (const Json* t = j.find("train")) out.set("train", without(*t, kDerivedTrainKeys));
  return out;
}

Status run_config_from_json(const Json& j, RunConfig* out) {
  if (!j.is_object()) return Status::error("the run config must be a JSON object");
  for (const auto& kv : j.members()) {
    if (kv.first != "task" && kv.first != "model" && kv.first != "train" && kv.first != "run")
      return Status::error("unknown run config section '" + kv.first + "' (task, model, train, run)");
    if (!kv.second.is_object()) return Status::error("the run config's '" + kv.first + "' must be an object");
  }
  RunConfig c;
  if (const Json* t = j.find("task")) ATTN_TRY(task_config_from_json(*t, &c.task));

  const Json empty = Json::object();
  const Json* run = j.find("run") ? j.find("run") : &empty;
  for (const auto& kv : run->members())
    if (kv.first != "steps" && kv.first != "batch" && kv.first != "seed" && kv.first != "eval_size" && kv.first != "eval_every")
      return Status::error("unknown run key '" + kv.first + "' (steps, batch, seed, eval_size, eval_every)");
  int64_t seed = static_cast<int64_t>(c.seed);
  ATTN_TRY(get_int(*run, "steps", 1, 1000000, &c.steps));
  ATTN_TRY(get_int(*run, "batch", 1, 1024, &c.batch));
  ATTN_TRY(get_int(*run, "eval_size", 1, 10000, &c.eval_size));
  ATTN_TRY(get_int(*run, "eval_every", 0, 1000000, &c.eval_every));
  ATTN_TRY(get_int(*run, "seed", 0, 4294967295LL, &seed));
  c.seed = static_cast<uint64_t>(seed);

  Json model = merged(kModelDefaults, j.find("model"));
  Arch arch;
  const std::string arch_text = model.string_or("arch", "");
  c.recurrent = arch_text == "lstm";
  if (c.recurrent) ATTN_TRY(lstm_section(model));
  else if (!parse_arch(arch_text, &arch))
    return Status::error("arch must be encoder, decoder, encoder-decoder or lstm, got '" + arch_text + "'");
  if (c.recurrent) arch = Arch::kEncoderDecoder;
  ATTN_TRY(c.task.validate(arch));
  const double V = c.task.vocab_size();
  ATTN_TRY(derived(model, "model", "vocab_size", V, "task"));
  ATTN_TRY(derived(model, "model", "head_size", V, "task"));
  if (arch == Arch::kEncoderDecoder) ATTN_TRY(derived(model, "model", "tgt_vocab_size", V, "task"));
  ATTN_TRY(derived(model, "model", "max_len", c.task.max_positions(arch) + 1, "task"));
  ATTN_TRY(derived(model, "model", "pad_id", kPad, "task"));
  ATTN_TRY(model_config_from_json(model, &c.model));
  if (c.recurrent) {
    if (c.model.num_layers == 0) return Status::error("an LSTM needs at least one layer");
    c.lstm.vocab_size = c.model.vocab_size;
    c.lstm.tgt_vocab_size = c.model.tgt_vocab_size;
    c.lstm.head_size = c.model.head_size;
    c.lstm.hidden_size = c.model.d_model();
    c.lstm.num_layers = c.model.num_layers;
    c.lstm.pad_id = c.model.pad_id;
  }
  if (c.model.num_layers == 0 && (arch != Arch::kEncoderDecoder || c.model.num_decoder_layers == 0))
    return Status::error("a model with no layers has no attention to learn with: use at least one layer");
  const double parameters = static_cast<double>(c.recurrent ? c.lstm.parameter_count() : parameter_count(c.model));
  if (parameters > kMaxParameters)
    return Status::error("this model would have " + std::to_string(static_cast<int64_t>(parameters / 1e6)) +
                         " million parameters: the lab trains models of up to 20 million (make d_model, the feed-forward width or the layers smaller)");

  Json train = merged(kTrainDefaults, j.find("train"));
  ATTN_TRY(derived(train, "train", "total_steps", static_cast<double>(c.steps), "run's steps"));
  ATTN_TRY(derived(train, "train", "ignore_index", kPad, "task's padding"));
  ATTN_TRY(derived(train, "train", "seed", static_cast<double>(c.seed), "run's seed"));
  ATTN_TRY(train_config_from_json(train, &c.train));
  if (c.train.optim.warmup >= c.steps)
    return Status::error("warmup (" + std::to_string(c.train.optim.warmup) + " steps) must be shorter than the run (" +
                         std::to_string(c.steps) + " steps)");
  *out = c;
  return Status();
}

namespace {
// An LSTM run's model section: what it reads, and the keys that follow from the task.
Json lstm_section_to_json(const RunConfig& c) {
  Json m = Json::object();
  const Json full = model_config_to_json(c.model);
  m.set("arch", Json::string("lstm"));
  for (const char* key : {"d_model", "num_layers", "vocab_size", "tgt_vocab_size", "head_size", "max_len", "pad_id"})
    m.set(key, *full.find(key));
  return m;
}
}  // namespace

Json run_config_to_json(const RunConfig& c) {
  Json j = Json::object(), run = Json::object();
  j.set("task", task_config_to_json(c.task));
  j.set("model", c.recurrent ? lstm_section_to_json(c) : model_config_to_json(c.model));
  j.set("train", train_config_to_json(c.train));
  run.set("steps", Json::number(static_cast<double>(c.steps)));
  run.set("batch", Json::number(static_cast<double>(c.batch)));
  run.set("seed", Json::number(static_cast<double>(c.seed)));
  run.set("eval_size", Json::number(static_cast<double>(c.eval_size)));
  run.set("eval_every", Json::number(static_cast<double>(c.eval_every)));
  j.set("run", run);
  return j;
}

TrainingRun::TrainingRun(const RunConfig& config)
    : config_(config),
      model_(config.recurrent ? TransformerModel() : TransformerModel(config.model)),
      lstm_(config.recurrent ? LstmSeq2Seq(config.lstm) : LstmSeq2Seq()),
      trainer_(config.recurrent ? Trainer(lstm_, config.train) : Trainer(model_, config.train)),
      data_(config.seed * 7919 + 1) {
  Rng init(config.seed);
  if (config.recurrent) lstm_.reset_parameters(init);
  else model_.reset_parameters(init);
  Rng held(config.seed * 104729 + 2);
  for (int64_t i = 0; i < config.eval_size; ++i) held_out_.push_back(task_sample(config.task, held, Split::kHeldOut));
  held_batch_ = make_batch(config.model.arch, held_out_);
}

void TrainingRun::draw_bucket() {
  std::vector<Sample> pool;
  for (int64_t i = 0; i < kBucketBatches * config_.batch; ++i) pool.push_back(task_sample(config_.task, data_));
  std::stable_sort(pool.begin(), pool.end(), [](const Sample& a, const Sample& b) { return a.x.size() < b.x.size(); });
  for (int b = 0; b < kBucketBatches; ++b)
    pending_.push_back(make_batch(config_.model.arch, {pool.begin() + b * config_.batch, pool.begin() + (b + 1) * config_.batch}));
  for (size_t i = pending_.size() - 1; i > 0; --i)  // Fisher-Yates, from the data generator
    std::swap(pending_[i], pending_[data_.below(static_cast<uint32_t>(i + 1))]);
}

const Batch& TrainingRun::next_batch() {
  if (pending_.empty()) draw_bucket();
  return pending_.back();
}

StepStats TrainingRun::step() {
  if (pending_.empty()) draw_bucket();
  const Batch b = std::move(pending_.back());
  pending_.pop_back();
  return trainer_.step(b);
}

EvalStats TrainingRun::evaluate() { return trainer_.evaluate(held_batch_); }

Status TrainingRun::check_input(const std::vector<int32_t>& x) const {
  if (x.empty()) return Status::error("the input is empty");
  const int32_t longest = config_.task.max_input();
  if (static_cast<int32_t>(x.size()) > longest)
    return Status::error("the input has " + std::to_string(x.size()) + " symbols; this model reads at most " + std::to_string(longest));
  const int64_t n = static_cast<int64_t>(x.size());
  return config_.recurrent ? lstm_.check_ids(x, n, config_.lstm.vocab_size) : model_.check_ids(x, n, model_.config.vocab_size);
}

Decoded TrainingRun::infer(const std::vector<int32_t>& x, const InferOptions& o) const {
  const int64_t limit = config_.task.max_answer() + 1;
  if (config_.recurrent) {  // no attention: the cache has only the sizes of the last step's sequences
    const LstmAnswer a = lstm_.greedy(x, kBos, kEos, limit);
    Decoded d;
    d.tokens = a.tokens;
    d.finished = a.finished;
    d.cache.B = 1;
    d.cache.L = static_cast<int64_t>(x.size());
    d.cache.T = static_cast<int64_t>(a.tokens.size()) + (a.finished ? 1 : 0);  // the decoder's inputs: <bos> + tokens
    return d;
  }
  ForwardContext ctx;
  ctx.record_scores = o.record_scores;
  switch (config_.model.arch) {
    case Arch::kEncoderDecoder: return greedy_seq2seq(model_, x, kBos, kEos, limit, o.heads, ctx);
    case Arch::kDecoder: {
      std::vector<int32_t> prompt = x;
      prompt.push_back(kBos);
      return greedy_lm(model_, prompt, kEos, limit, o.heads, ctx);
    }
    case Arch::kEncoder: break;
  }
  Decoded d;  // an encoder labels every position at once
  const Tensor& logits = model_.forward(d.cache, x, 1, static_cast<int64_t>(x.size()), ctx, o.heads);
  const int64_t C = logits.dim(-1);
  for (size_t i = 0; i < x.size(); ++i) {
    const float* row = logits.ptr() + static_cast<int64_t>(i) * C;
    d.tokens.push_back(static_cast<int32_t>(std::max_element(row, row + C) - row));
  }
  d.finished = true;
  return d;
}

namespace {
// log softmax(row)[id], in double. row: C logits.
double log_prob_of(const float* row, int64_t C, int32_t id) {
  const double top = *std::max_element(row, row + C);
  double sum = 0;
  for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(row[c]) - top);
  return static_cast<double>(row[id]) - top - std::log(sum);
}
}  // namespace

Status TrainingRun::log_prob(const std::vector<int32_t>& x, const std::vector<int32_t>& answer, bool finished,
                             const HeadMasks* heads, double* out) const {
  if (config_.recurrent) return Status::error("log_prob: an LSTM run has no transformer to score with");
  ATTN_TRY(check_input(x));
  const Arch arch = config_.model.arch;
  if (arch == Arch::kEncoder && answer.size() != x.size())
    return Status::error("an encoder labels each input position: give " + std::to_string(x.size()) + " labels, not " +
                         std::to_string(answer.size()));
  // The symbols scored, and where: logits row first + i predicts scored[i].
  std::vector<int32_t> scored = answer;
  if (finished && arch != Arch::kEncoder) scored.push_back(kEos);
  *out = 0.0;
  if (scored.empty()) return Status();
  ATTN_TRY(model_.check_ids(scored, static_cast<int64_t>(scored.size()), model_.config.head_size));
  ModelCache cache;
  const Tensor* logits = nullptr;
  int64_t first = 0;
  if (arch == Arch::kEncoderDecoder) {  // the decoder reads <bos> and every scored symbol but the last
    std::vector<int32_t> tgt = {kBos};
    tgt.insert(tgt.end(), scored.begin(), scored.end() - 1);
    const int64_t T = static_cast<int64_t>(tgt.size());
    ATTN_TRY(model_.check_ids(tgt, T, model_.config.target_vocab()));
    logits = &model_.forward_seq2seq(cache, x, static_cast<int64_t>(x.size()), tgt, T, 1, ForwardContext(), heads);
  } else if (arch == Arch::kDecoder) {  // x <bos> answer, as greedy_lm wrote it: row |x| predicts the first symbol
    std::vector<int32_t> seq = x;
    seq.push_back(kBos);
    seq.insert(seq.end(), scored.begin(), scored.end() - 1);
    ATTN_TRY(model_.check_ids(seq, static_cast<int64_t>(seq.size()), model_.config.vocab_size));
    logits = &model_.forward(cache, seq, 1, static_cast<int64_t>(seq.size()), ForwardContext(), heads);
    first = static_cast<int64_t>(x.size());
  } else {
    logits = &model_.forward(cache, x, 1, static_cast<int64_t>(x.size()), ForwardContext(), heads);
  }
  const int64_t C = logits->dim(-1);
  for (size_t i = 0; i < scored.size(); ++i)
    *out += log_prob_of(logits->ptr() + (first + static_cast<int64_t>(i)) * C, C, scored[i]);
  return Status();
}

Status TrainingRun::check_head_masks(HeadMasks* heads) const {
  if (config_.recurrent) return heads->any() ? Status::error("an LSTM has no attention heads to switch off") : Status();
  return model_.check_head_masks(heads);
}

Status TrainingRun::held_out_head_means(HeadMasks* out) const {
  if (config_.recurrent) return Status::error("an LSTM has no attention heads to average");
  std::vector<std::vector<int32_t>> seqs, tgts;
  for (const Sample& s : held_out_) {
    const Batch b = make_batch(config_.model.arch, {s});  // one example: no padding
    seqs.push_back(b.src);
    if (config_.model.arch == Arch::kEncoderDecoder) tgts.push_back(b.tgt);
  }
  return head_means(model_, seqs, tgts, out);
}

GenerationStats TrainingRun::generate(int64_t limit) {
  const size_t n = limit > 0 ? std::min(held_out_.size(), static_cast<size_t>(limit)) : held_out_.size();
  GenerationStats g;
  std::vector<std::vector<int32_t>> hyps, refs;
  for (size_t i = 0; i < n; ++i) {
    const Sample& s = held_out_[i];
    const Decoded d = infer(s.x);
    ++g.sequences;
    g.exact += d.finished && d.tokens == s.y;
    hyps.push_back(d.tokens);
    refs.push_back(s.y);
  }
  g.bleu = corpus_bleu(hyps, refs);
  return g;
}

namespace {
// Copies other's parameters into mine, in visiting order, once their configs (as JSON) are the same.
// M: TransformerModel or LstmSeq2Seq.
template <class M>
Status copy_weights(M& mine, M& other, const Json& mine_config, const Json& other_config) {
  if (other_config.dump() != mine_config.dump())
    return Status::error("the weights are of another model: " + other_config.dump());
  std::vector<Param*> params;
  mine.visit([&](const std::string&, Param& p) { params.push_back(&p); });
  size_t i = 0;
  other.visit([&](const std::string&, Param& p) { params[i++]->value = p.value; });
  return Status();
}
}  // namespace

Status TrainingRun::load_weights(TransformerModel& other) {
  if (config_.recurrent) return Status::error("an LSTM run has no transformer weights to load");
  return copy_weights(model_, other, model_config_to_json(model_.config), model_config_to_json(other.config));
}

Status TrainingRun::load_weights(LstmSeq2Seq& other) {
  if (!config_.recurrent) return Status::error("a transformer run has no LSTM weights to load");
  return copy_weights(lstm_, other, lstm_config_to_json(lstm_.config), lstm_config_to_json(other.config));
}

std::string TrainingRun::save(bool f16) {
  const std::map<std::string, std::string> meta = {{"task", task_name(config_.task.kind)},
                                                   {"run", run_config_to_json(config_).dump()}};
  return config_.recurrent ? save_model(lstm_, f16, meta) : save_model(model_, f16, meta);
}

Status TrainingRun::load(std::string_view bytes, std::unique_ptr<TrainingRun>* out) {
  LoadedModel loaded;
  ATTN_TRY(load_any_model(bytes, &loaded));
  const auto it = loaded.metadata.find("run");
  if (it == loaded.metadata.end())
    return Status::error("this model file has no training-run config in its metadata (it was not saved by the lab or attn-train)");
  Json j;
  RunConfig c;
  Status st = Json::parse(it->second, &j);
  if (st.ok()) st = run_config_from_json(j, &c);
  if (!st.ok()) return Status::error("the run config in this file is invalid: " + st.message());
  auto run = std::make_unique<TrainingRun>(c);
  ATTN_TRY(loaded.lstm ? run->load_weights(*loaded.lstm) : run->load_weights(*loaded.model));
  *out = std::move(run);
  return Status();
}

const ModelCache& TrainingRun::trace(const Sample& s) {
  const Batch b = make_batch(config_.model.arch, {s});
  if (config_.recurrent) {  // no attention: only the sizes and the logits (the model's guess at each position)
    LstmSeq2SeqCache c;
    trace_cache_ = ModelCache();
    trace_cache_.B = 1, trace_cache_.L = b.S, trace_cache_.T = b.T;
    trace_cache_.logits = lstm_.forward(c, b.src, b.S, b.tgt, b.T, 1);
    return trace_cache_;
  }
  ForwardContext ctx;
  if (config_.model.arch == Arch::kEncoderDecoder) model_.forward_seq2seq(trace_cache_, b.src, b.S, b.tgt, b.T, 1, ctx);
  else model_.forward(trace_cache_, b.src, 1, b.S, ctx);
  return trace_cache_;
}

}  // namespace attn
