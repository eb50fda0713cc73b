// The training lab's WebAssembly exports (engine/train/run.h), wrapped by the Run class in
// engine/bindings/attn.mjs; call that, not these.
//
// Conventions between the two files:
//   - configs go in and out as JSON strings; a call that can fail returns {error} or its result object;
//   - a trace is {name: {data: Float32Array, shape}} with the attention weights (and masks) of the last
//     forward, named as everywhere ("decoder.layers.0.multihead_attn.weights" [1, H, T, S]), plus the token
//     labels of its rows and columns.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "bindings/js_values.h"
#include "bindings/live_handles.h"
#include "io/model_file.h"
#include "models/config.h"
#include "train/run.h"

namespace attn {
namespace {

using namespace js;

Status parse_run(const std::string& config_json, RunConfig* out) {
  Json j;
  Status st = Json::parse(config_json, &j);
  if (!st.ok()) return Status::error("run config: " + st.message());
  return run_config_from_json(j, out);
}

// Checks a config without building anything: {config (resolved, as JSON text), parameters} or {error}.
val validate_run(const std::string& config_json) {
  RunConfig c;
  const Status st = parse_run(config_json, &c);
  if (!st.ok()) return error_js(st);
  val out = val::object();
  out.set("config", run_config_to_json(c).dump());
  out.set("parameters", static_cast<double>(c.recurrent ? c.lstm.parameter_count() : parameter_count(c.model)));
  return out;
}

val strings_js(const std::vector<std::string>& v) {
  val out = val::array();
  for (const auto& s : v) out.call<void>("push", s);
  return out;
}

// An example as text: {input, answer}.
val sample_js(const TaskConfig& t, const Sample& s) {
  val e = val::object();
  e.set("input", task_text(t, s.x));
  e.set("answer", task_text(t, s.y));
  return e;
}

// A few examples of a task, as text, for showing what it asks: [{input, answer}] (from the training part).
val task_examples(const std::string& task_json, int n, double seed) {
  Json j;
  TaskConfig t;
  Status st = Json::parse(task_json, &j);
  if (st.ok()) st = task_config_from_json(j, &t);
  if (st.ok()) st = t.validate(Arch::kEncoderDecoder);
  if (!st.ok()) return error_js(st);
  Rng rng(static_cast<uint64_t>(seed));
  val out = val::array();
  for (int i = 0; i < std::min(n, 100); ++i) out.call<void>("push", sample_js(t, task_sample(t, rng)));
  return out;
}

class Run : js::LiveHandle<js::kRunHandle> {
 public:
  Run() = default;

  // "" or the reason the config is invalid.
  std::string init(const std::string& config_json) {
    RunConfig c;
    const Status st = parse_run(config_json, &c);
    if (!st.ok()) return st.message();
    run_ = std::make_unique<TrainingRun>(c);
    return "";
  }

  // A file written by save() (TrainingRun::load): the run's config from the metadata, the weights from the
  // tensors, a transformer's or an LSTM's. "" or why not.
  std::string load(const val& bytes_js) {
    const std::string bytes = bytes_from(bytes_js);
    std::unique_ptr<TrainingRun> run;
    const Status st = TrainingRun::load(bytes, &run);
    if (!st.ok()) return st.message();
    run_ = std::move(run);
    return "";
  }

  std::string config() const { return run_config_to_json(run_->config()).dump(); }
  double num_parameters() { return static_cast<double>(run_->num_parameters()); }
  double steps_done() const { return static_cast<double>(run_->steps_done()); }

  // Up to n optimizer steps: {step, loss, grad_norm, lr, tokens} as Float64Arrays, one entry per step done.
  // Stops early, with diverged = true, when the loss stops being a finite number.
  val train(int n) {
    std::vector<double> step, loss, grad, lr, tokens;
    bool diverged = false;
    for (int i = 0; i < n && run_->steps_done() < run_->config().steps; ++i) {
      const StepStats s = run_->step();
      step.push_back(static_cast<double>(s.step));
      loss.push_back(s.loss);
      grad.push_back(s.grad_norm);
      lr.push_back(s.lr);
      tokens.push_back(static_cast<double>(s.tokens));
      if (!std::isfinite(s.loss)) {
        diverged = true;
        break;
      }
    }
    auto f64 = [](const std::vector<double>& v) {
      return val(emscripten::typed_memory_view(v.size(), v.data())).call<val>("slice");
    };
    val out = val::object();
    out.set("step", f64(step));
    out.set("loss", f64(loss));
    out.set("grad_norm", f64(grad));
    out.set("lr", f64(lr));
    out.set("tokens", f64(tokens));
    out.set("diverged", diverged);
    return out;
  }

  // Teacher-forced, eval mode, on the whole held-out set.
  val evaluate() {
    const EvalStats e = run_->evaluate();
    val out = val::object();
    out.set("loss", e.loss);
    out.set("token_accuracy", e.token_accuracy());
    out.set("exact_match", e.exact_match());
    out.set("sequences", static_cast<double>(e.sequences));
    return out;
  }

  // Greedy decoding of the first `limit` held-out inputs (0: all).
  val generate(int limit) {
    const GenerationStats g = run_->generate(limit);
    val out = val::object();
    out.set("exact_match", g.exact_match());
    out.set("sequences", static_cast<double>(g.sequences));
    out.set("exact", static_cast<double>(g.exact));
    out.set("bleu", g.bleu.bleu);
    return out;
  }

  // The batch the next training step trains on, exactly: {B, S, T, src, tgt, targets (as taskBatch),
  // ignore_index, vocab (the label of every token id)}. tgt is the decoder's input (encoder-decoder only, T 0
  // otherwise); targets are scored where not ignore_index.
  val next_batch() {
    const RunConfig& c = run_->config();
    val out = batch_js(run_->next_batch());
    out.set("ignore_index", c.train.ignore_index);
    std::vector<std::string> vocab;
    for (int64_t id = 0; id < std::max(c.model.vocab_size, c.model.tgt_vocab_size); ++id)
      vocab.push_back(token_label(c.task, static_cast<int32_t>(id)));
    out.set("vocab", strings_js(vocab));
    return out;
  }

  // The first n held-out examples as text: [{input, answer}].
  val held_out(int n) const {
    const TaskConfig& t = run_->config().task;
    val out = val::array();
    const auto& h = run_->held_out();
    for (size_t i = 0; i < std::min(h.size(), static_cast<size_t>(std::max(n, 0))); ++i) out.call<void>("push", sample_js(t, h[i]));
    return out;
  }

  // Held-out example `index`, teacher-forced: its attention now, and the model's guess at every answer position.
  val probe(int index) {
    const auto& h = run_->held_out();
    if (index < 0 || static_cast<size_t>(index) >= h.size()) return error_js(Status::error("no such held-out example"));
    const Sample& s = h[static_cast<size_t>(index)];
    const ModelCache& cache = run_->trace(s);
    val out = attention_js(cache, s.x, s.y, true);
    out.set("input", task_text(run_->config().task, s.x));
    out.set("answer", task_text(run_->config().task, s.y));
    return out;
  }

  // A learner's own input as text: the model's answer (greedy) and the attention of the final forward.
  // trace: "weights" (the attention weights and masks) or "full" (also q, k, scores, scaled: every Trace entry);
  // masks: head ablation ({head_mask, head_mean, ...}, as Model.forward takes them) or undefined.
  // Returns {input, output, tokens (the answer's ids, Int32Array), finished, expected?, labels, trace}.
  val infer(const std::string& text, const std::string& trace, const val& masks) const {
    const TaskConfig& t = run_->config().task;
    std::vector<int32_t> x;
    HeadMasks heads;
    Status st = parse_input(text, &x);
    if (st.ok()) st = checked_masks(masks, &heads);
    if (!st.ok()) return error_js(st);
    InferOptions o;
    o.heads = heads.any() ? &heads : nullptr;
    o.record_scores = trace == "full";
    const Decoded d = run_->infer(x, o);
    val out = attention_js(d.cache, x, d.tokens, false, o.record_scores);
    out.set("input", task_text(t, x));
    out.set("output", task_text(t, d.tokens));
    out.set("tokens", int32_js(d.tokens));
    out.set("finished", d.finished);
    std::vector<int32_t> expected;
    if (rule_answer(t, x, &expected)) out.set("expected", task_text(t, expected));
    return out;
  }

  // log P(answer | input) with head ablation (TrainingRun::log_prob): text as infer reads it, tokens and finished
  // as infer gave them (Int32Array). {logprob} or {error}.
  val log_prob(const std::string& text, const val& tokens, bool finished, const val& masks) const {
    std::vector<int32_t> x;
    HeadMasks heads;
    double lp = 0;
    Status st = parse_input(text, &x);
    if (st.ok()) st = checked_masks(masks, &heads);
    if (st.ok()) st = run_->log_prob(x, ids_from(tokens), finished, heads.any() ? &heads : nullptr, &lp);
    if (!st.ok()) return error_js(st);
    val out = val::object();
    out.set("logprob", lp);
    return out;
  }

  // Mean ablation's means over the held-out examples, teacher-forced (TrainingRun::held_out_head_means):
  // {head_mean [layers, H, Dh], decoder_head_mean?, cross_attn_head_mean?} or {error}.
  val head_means() const {
    HeadMasks means;
    const Status st = run_->held_out_head_means(&means);
    return st.ok() ? head_means_js(means) : error_js(st);
  }

  // The run's model file (TrainingRun::save): safetensors bytes, the run's config in the metadata.
  val save(bool f16) { return bytes_js(run_->save(f16)); }

 private:
  // A learner's input as text, read and checked (task's symbols, length).
  Status parse_input(const std::string& text, std::vector<int32_t>* x) const {
    ATTN_TRY(parse_task_input(run_->config().task, text, x));
    return run_->check_input(*x);
  }

  // Head masks from JavaScript, checked against the run's model.
  Status checked_masks(const val& masks, HeadMasks* heads) const {
    ATTN_TRY(head_masks_from(masks, heads));
    return run_->check_head_masks(heads);
  }

  // {labels: {src, tgt_in, tgt_out}, trace: {name: tensor}} of a forward of x (with answer y: for
  // encoder-decoder models the decoder read <bos> y and wrote y <eos>; for decoder-only models the sequence was
  // x <bos> y). teacher_forced: the forward saw the whole answer, so `predicted` gives its argmax guesses.
  // full: every Trace entry (q, k, scores, ... [1, H, rows, ...]), not only the attention weights and masks.
  val attention_js(const ModelCache& cache, const std::vector<int32_t>& x, const std::vector<int32_t>& y,
                   bool teacher_forced, bool full = false) const {
    ATTN_ASSERT(cache.B == 1, "attention_js: one sequence");
    const TaskConfig& t = run_->config().task;
    const Arch arch = run_->config().model.arch;
    auto labels = [&](const std::vector<int32_t>& ids) {
      std::vector<std::string> out;
      for (int32_t id : ids) out.push_back(token_label(t, id));
      return out;
    };
    // The rows and columns of the last forward (greedy decoding stops one forward short when it hits its limit).
    std::vector<int32_t> src = x, tgt_in = {kBos}, tgt_out = y;
    tgt_in.insert(tgt_in.end(), y.begin(), y.end());
    tgt_out.push_back(kEos);
    if (arch == Arch::kDecoder) {
      src.push_back(kBos);
      src.insert(src.end(), y.begin(), y.end());
    }
    src.resize(static_cast<size_t>(cache.L));
    val lab = val::object();
    lab.set("src", strings_js(labels(src)));
    if (arch == Arch::kEncoderDecoder) {
      tgt_in.resize(static_cast<size_t>(cache.T));
      tgt_out.resize(static_cast<size_t>(cache.T));
      lab.set("tgt_in", strings_js(labels(tgt_in)));
      lab.set("tgt_out", strings_js(labels(tgt_out)));
    }
    val out = val::object();
    out.set("labels", lab);
    val trace = val::object();
    TransformerModel::visit_trace(cache, [&](const std::string& name, const Tensor& tensor) {
      if (full || is_attention_entry(name)) trace.set(name, to_js(tensor));
    });
    out.set("trace", trace);
    if (teacher_forced) {  // argmax at each answer position, as text labels
      const Tensor& logits = cache.logits;
      const int64_t C = logits.dim(-1), N = logits.numel() / C;
      std::vector<int32_t> pred;
      for (int64_t n = 0; n < N; ++n) {
        const float* row = logits.ptr() + n * C;
        pred.push_back(static_cast<int32_t>(std::max_element(row, row + C) - row));
      }
      if (arch == Arch::kDecoder) pred.erase(pred.begin(), pred.begin() + static_cast<int64_t>(x.size()));  // the answer part
      std::vector<int32_t> want = y;
      if (arch != Arch::kEncoder) want.push_back(kEos);
      out.set("predicted", strings_js(labels(pred)));
      out.set("correct", pred.size() >= want.size() && std::equal(want.begin(), want.end(), pred.begin()));
    }
    return out;
  }

  std::unique_ptr<TrainingRun> run_;
};

}  // namespace
}  // namespace attn

EMSCRIPTEN_BINDINGS(attn_runs) {
  using namespace attn;
  emscripten::function("validateRun", &validate_run);
  emscripten::function("taskExamples", &task_examples);
  emscripten::class_<Run>("Run")
      .constructor<>()
      .function("init", &Run::init)
      .function("load", &Run::load)
      .function("config", &Run::config)
      .function("numParameters", &Run::num_parameters)
      .function("stepsDone", &Run::steps_done)
      .function("train", &Run::train)
      .function("evaluate", &Run::evaluate)
      .function("generate", &Run::generate)
      .function("nextBatch", &Run::next_batch)
      .function("heldOut", &Run::held_out)
      .function("probe", &Run::probe)
      .function("infer", &Run::infer)
      .function("logProb", &Run::log_prob)
      .function("headMeans", &Run::head_means)
      .function("save", &Run::save);
}
