#include "train/trainer.h"

#include <algorithm>
#include <cmath>

#include "ops/cross_entropy.h"

namespace attn {

Status TrainConfig::validate() const {
  ATTN_TRY(optim.validate());
  if (!(label_smoothing >= 0.0 && label_smoothing < 1.0)) return Status::error("label_smoothing must be in [0, 1)");
  return Status();
}

Status train_config_from_json(const Json& j, TrainConfig* out) {
  if (!j.is_object()) return Status::error("the training config must be a JSON object");
  TrainConfig c;
  OptimizerConfig& o = c.optim;
  for (const auto& member : j.members()) {
    const std::string& key = member.first;  // (not a structured binding: lambdas below capture it)
    const Json& v = member.second;
    auto number = [&](double* dst) {
      if (!v.is_number()) return Status::error(key + " must be a number");
      *dst = v.as_number();
      return Status();
    };
    auto integer = [&](int64_t* dst) {
      if (!v.is_number() || v.as_number() != std::floor(v.as_number()) || v.as_number() < 0 || v.as_number() > 1e12)
        return Status::error(key + " must be a non-negative integer");
      *dst = static_cast<int64_t>(v.as_number());
      return Status();
    };
    auto text = [&](std::string* dst) {
      if (!v.is_string()) return Status::error(key + " must be a string");
      *dst = v.as_string();
      return Status();
    };
    Status st;
    int64_t tmp = 0;
    if (key == "optimizer") st = text(&o.optimizer);
    else if (key == "lr") st = number(&o.lr);
    else if (key == "beta1") st = number(&o.beta1);
    else if (key == "beta2") st = number(&o.beta2);
    else if (key == "eps") st = number(&o.eps);
    else if (key == "momentum") st = number(&o.momentum);
    else if (key == "dampening") st = number(&o.dampening);
    else if (key == "nesterov") {
      if (!v.is_bool()) st = Status::error("nesterov must be true or false");
      else o.nesterov = v.as_bool();
    }
    else if (key == "weight_decay") st = number(&o.weight_decay);
    else if (key == "clip_norm") st = number(&o.clip_norm);
    else if (key == "schedule") st = text(&o.schedule);
    else if (key == "warmup") st = integer(&o.warmup);
    else if (key == "total_steps") st = integer(&o.total_steps);
    else if (key == "min_lr_ratio") st = number(&o.min_lr_ratio);
    else if (key == "label_smoothing") st = number(&c.label_smoothing);
    else if (key == "ignore_index") {
      if (!v.is_number() || v.as_number() != std::floor(v.as_number()) || std::fabs(v.as_number()) > 2147483647.0)
        st = Status::error("ignore_index must be a 32-bit integer");
      else c.ignore_index = static_cast<int32_t>(v.as_number());
    } else if (key == "seed") {
      st = integer(&tmp);
      c.seed = static_cast<uint64_t>(tmp);
    } else {
      st = Status::error("unknown training config key '" + key + "'");
    }
    ATTN_TRY(st);
  }
  ATTN_TRY(c.validate());
  *out = c;
  return Status();
}

Json train_config_to_json(const TrainConfig& c) {
  const OptimizerConfig& o = c.optim;
  Json j = Json::object();
  j.set("optimizer", Json::string(o.optimizer));
  j.set("lr", Json::number(o.lr));
  j.set("beta1", Json::number(o.beta1));
  j.set("beta2", Json::number(o.beta2));
  j.set("eps", Json::number(o.eps));
  j.set("momentum", Json::number(o.momentum));
  j.set("dampening", Json::number(o.dampening));
  j.set("nesterov", Json::boolean(o.nesterov));
  j.set("weight_decay", Json::number(o.weight_decay));
  j.set("clip_norm", Json::number(o.clip_norm));
  j.set("schedule", Json::string(o.schedule));
  j.set("warmup", Json::number(static_cast<double>(o.warmup)));
  j.set("total_steps", Json::number(static_cast<double>(o.total_steps)));
  j.set("min_lr_ratio", Json::number(o.min_lr_ratio));
  j.set("label_smoothing", Json::number(c.label_smoothing));
  j.set("ignore_index", Json::number(c.ignore_index));
  j.set("seed", Json::number(static_cast<double>(c.seed)));
  return j;
}

Trainer::Trainer(TransformerModel& model, const TrainConfig& config)
    : model_(&model), config_(config), optimizer_(config.optim), rng_(config.seed) {}

Trainer::Trainer(LstmSeq2Seq& model, const TrainConfig& config)
    : lstm_(&model), config_(config), optimizer_(config.optim), rng_(config.seed) {}

void Trainer::visit(const ParamVisitor& fn) {
  if (lstm_) lstm_->visit(fn);
  else model_->visit(fn);
}

std::vector<Param*> Trainer::params() {
  std::vector<Param*> out;
  visit([&](const std::string&, Param& p) { out.push_back(&p); });
  return out;
}

Status Trainer::check(const Batch& b) const {
  // What the batch must fit: the model's architecture, vocabularies and outputs.
  const bool seq2seq = lstm_ || model_->config.arch == Arch::kEncoderDecoder;
  const int64_t vocab = lstm_ ? lstm_->config.vocab_size : model_->config.vocab_size;
  const int64_t tgt_vocab = lstm_ ? lstm_->config.tgt_vocab_size : model_->config.target_vocab();
  const int64_t head_size = lstm_ ? lstm_->config.head_size : model_->config.head_size;
  auto check_ids = [&](const std::vector<int32_t>& ids, int64_t length, int64_t v) {
    return lstm_ ? lstm_->check_ids(ids, length, v) : model_->check_ids(ids, length, v);
  };
  if (b.B <= 0) return Status::error("the batch is empty");
  if (static_cast<int64_t>(b.src.size()) != b.B * b.S) return Status::error("src does not hold B x S ids");
  if (seq2seq != (b.T > 0)) return Status::error(seq2seq ? "encoder-decoder batches need tgt" : "only encoder-decoder batches have tgt");
  if (static_cast<int64_t>(b.tgt.size()) != b.B * b.T) return Status::error("tgt does not hold B x T ids");
  if (static_cast<int64_t>(b.targets.size()) != b.B * b.out_len()) return Status::error("targets do not match the output length");
  for (int32_t t : b.targets)
    if (t != config_.ignore_index && (t < 0 || t >= head_size))
      return Status::error("target " + std::to_string(t) + " is outside the model's outputs [0, " +
                           std::to_string(head_size) + ")");
  ATTN_TRY(check_ids(b.src, b.S, vocab));
  if (seq2seq) ATTN_TRY(check_ids(b.tgt, b.T, tgt_vocab));
  if (head_size == 0) return Status::error("the model has no output head to train");
  return Status();
}

const Tensor& Trainer::forward(const Batch& b, bool training) {
  ForwardContext ctx;
  ctx.training = training;
  ctx.rng = &rng_;
  if (lstm_) logits_ = &lstm_->forward(lstm_cache_, b.src, b.S, b.tgt, b.T, b.B);
  else if (model_->config.arch == Arch::kEncoderDecoder)
    logits_ = &model_->forward_seq2seq(cache_, b.src, b.S, b.tgt, b.T, b.B, ctx);
  else logits_ = &model_->forward(cache_, b.src, b.B, b.S, ctx);
  return *logits_;
}

StepStats Trainer::step(const Batch& b, StepDetails* details) {
  const Tensor& logits = forward(b, true);
  const int64_t C = logits.dim(-1), N = logits.numel() / C;
  probs_.resize(logits.shape);
  int64_t count = 0;
  StepStats s;
  if (details) details->losses.assign(static_cast<size_t>(N), 0.0);
  s.loss = cross_entropy_forward(probs_.ptr(), &count, logits.ptr(), b.targets.data(), N, C, config_.ignore_index,
                                 config_.label_smoothing, details ? details->losses.data() : nullptr);
  s.tokens = count;
  dlogits_ = Tensor(logits.shape, 0.0f);
  cross_entropy_backward(dlogits_.ptr(), probs_.ptr(), b.targets.data(), N, C, config_.ignore_index,
                         config_.label_smoothing, count, 1.0);
  visit([](const std::string&, Param& p) { p.zero_grad(); });
  if (lstm_) lstm_->backward(lstm_cache_, dlogits_);
  else model_->backward(cache_, dlogits_);
  std::vector<Param*> ps = params();
  s.grad_norm = clip_grad_norm(ps, config_.optim.clip_norm);
  if (details) {
    const double max_norm = config_.optim.clip_norm;
    details->clip_coef = max_norm > 0.0 ? std::min(1.0, max_norm / (s.grad_norm + 1e-6)) : 1.0;
    details->before.clear();
    for (const Param* p : ps) details->before.push_back(p->value.data);
  }
  s.lr = config_.optim.lr_at(optimizer_.steps());
  optimizer_.step(ps, s.lr);
  s.step = optimizer_.steps();
  return s;
}

EvalStats Trainer::evaluate(const Batch& b) {
  const Tensor& logits = forward(b, false);
  const int64_t C = logits.dim(-1), N = logits.numel() / C;
  EvalStats e;
  int64_t count = 0;
  e.loss = cross_entropy_forward(static_cast<float*>(nullptr), &count, logits.ptr(), b.targets.data(), N, C,
                                 config_.ignore_index, config_.label_smoothing);
  const std::vector<int32_t> pred = predictions();
  const int64_t T = b.out_len();
  for (int64_t r = 0; r < b.B; ++r) {
    int64_t counted = 0, right = 0;
    for (int64_t t = 0; t < T; ++t) {
      const int32_t target = b.targets[static_cast<size_t>(r * T + t)];
      if (target == config_.ignore_index) continue;
      ++counted;
      right += pred[static_cast<size_t>(r * T + t)] == target;
    }
    e.tokens += counted;
    e.correct += right;
    if (counted) {
      ++e.sequences;
      e.exact += right == counted;
    }
  }
  return e;
}

std::vector<int32_t> Trainer::predictions() const {
  if (!logits_) return {};
  const Tensor& logits = *logits_;
  const int64_t C = logits.dim(-1), N = logits.numel() / C;
  std::vector<int32_t> out(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    const float* row = logits.ptr() + n * C;
    out[static_cast<size_t>(n)] = static_cast<int32_t>(std::max_element(row, row + C) - row);
  }
  return out;
}

}  // namespace attn
