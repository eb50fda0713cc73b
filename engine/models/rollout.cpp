#include "models/rollout.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace attn {
namespace {

using MatD = MatT<double>;

// "1 head (0)", "4 heads (0 to 3)": the valid indices of n things.
std::string indices(int64_t n, const std::string& noun) {
  return n == 1 ? "1 " + noun + " (0)" : std::to_string(n) + " " + noun + "s (0 to " + std::to_string(n - 1) + ")";
}

std::string at(int64_t h, int64_t i, int64_t j) {
  return "head " + std::to_string(h) + ", query " + std::to_string(i) + ", key " + std::to_string(j);
}

// Checks one layer's weights [H, T, T] or [1, H, T, T] against the first layer's shape.
Status check_layer(const Tensor& w, size_t l, const Shape& first) {
  const std::string name = "attentions[" + std::to_string(l) + "]";
  const bool batched = w.rank() == 4 && w.shape[0] == 1;
  if (w.rank() != 3 && !batched)
    return Status::error(name + " must be [H, T, T] or [1, H, T, T] (one layer's weights), got " + shape_str(w.shape));
  if (w.dim(-1) != w.dim(-2))
    return Status::error(name + " is " + shape_str(w.shape) + ", not square: rollout and flow need self-attention, where " +
                         "queries and keys are the same tokens");
  if (w.shape != first)
    return Status::error(name + " is " + shape_str(w.shape) + " but attentions[0] is " + shape_str(first) +
                         ": every layer must have the same shape");
  if (w.dim(-3) == 0 || w.dim(-1) == 0) return Status::error(name + " has no " + (w.dim(-3) == 0 ? "heads" : "tokens"));
  const int64_t T = w.dim(-1), n = T * T;
  for (int64_t k = 0; k < w.numel(); ++k) {
    const float x = w.data[static_cast<size_t>(k)];
    if (std::isfinite(x) && x >= 0) continue;
    const std::string where = at(k / n, k % n / T, k % T);
    if (std::isnan(x)) return Status::error(name + " has a NaN at " + where);
    if (std::isinf(x)) return Status::error(name + " has an infinite weight at " + where);
    return Status::error(name + " has a negative weight (" + std::to_string(x) + ") at " + where +
                         ": attention weights are never negative");
  }
  return Status();
}

// Divides each row by its sum; a row of zeros (nothing reaches that position) stays zero.
void normalize_rows(MatD& a) {
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    const double sum = a.row(i).sum();
    if (sum > 0) a.row(i) /= sum;
  }
}

// A'_l of every layer (see rollout.h, steps 1 and 2), [T, T] each, in double.
Status residual_attention(const std::vector<Tensor>& attentions, const RolloutOptions& o, std::vector<MatD>* out) {
  if (attentions.empty()) return Status::error("attentions is empty: give one [H, T, T] tensor per layer");
  if (!(o.residual >= 0 && o.residual <= 1))
    return Status::error("residual must be between 0 and 1, got " + std::to_string(o.residual));
  for (size_t l = 0; l < attentions.size(); ++l) ATTN_TRY(check_layer(attentions[l], l, attentions[0].shape));
  const int64_t H = attentions[0].dim(-3), T = attentions[0].dim(-1);
  if (o.head < -1 || o.head >= H)
    return Status::error("head " + std::to_string(o.head) + " does not exist: the attentions have " + indices(H, "head") +
                         ", or -1 for their mean");
  out->clear();
  for (const Tensor& w : attentions) {
    // [H * T, T] seen as H stacked [T, T] blocks.
    const ConstMatMap all(w.ptr(), H * T, T);
    MatD a = MatD::Zero(T, T);
    for (int64_t h = 0; h < H; ++h)
      if (o.head < 0 || o.head == h) a += all.middleRows(h * T, T).cast<double>();
    if (o.head < 0) a /= static_cast<double>(H);
    a = (1 - o.residual) * a + o.residual * MatD::Identity(T, T);
    normalize_rows(a);
    out->push_back(std::move(a));
  }
  return Status();
}

// ------------------------------------------------------------------------------------------------ max flow
// The maximum flow through a layered graph: nodes in layers 0..m (n[l] of them in layer l), edges only from a node
// of layer l to a node of layer l+1, with capacity cap[l][a * n[l+1] + b] from (l, a) to (l+1, b).
// Dinic's algorithm: a breadth-first search gives each node its distance from the source in the residual graph,
// then depth-first searches push a blocking flow along shortest paths; repeat until the sink is out of reach.
// In the residual graph a node (l, a) reaches (l+1, b) while that edge has capacity left, and (l-1, b) while the
// edge from (l-1, b) to (l, a) carries flow (pushing back undoes it).
class LayeredFlow {
 public:
  LayeredFlow(std::vector<std::vector<double>> cap, std::vector<size_t> n) : cap_(std::move(cap)), n_(std::move(n)) {
    first_.assign(n_.size() + 1, 0);
    for (size_t l = 0; l < n_.size(); ++l) first_[l + 1] = first_[l] + n_[l];
    for (const auto& c : cap_) flow_.emplace_back(c.size(), 0.0);
    level_.resize(first_.back());
    arc_.assign(first_.back(), 0);
  }

  // From node `source` of layer 0 to node `sink` of the last layer. Every node must lie on a path from the source
  // to the sink (token_flow keeps only those).
  double max_flow(size_t source, size_t sink) {
    sink_ = {n_.size() - 1, sink};
    // First phase: no flow yet, so the residual graph has only the forward edges and a node's distance from the
    // source is its layer (no search needed).
    for (size_t l = 0; l < n_.size(); ++l) std::fill(level_.begin() + first_[l], level_.begin() + first_[l + 1], static_cast<int>(l));
    double total = push({0, source}, kInf);
    // Often the first blocking flow already fills the source's edges or the sink's: then no flow can be larger.
    const double out = std::accumulate(cap_.front().begin() + source * n_[1], cap_.front().begin() + (source + 1) * n_[1], 0.0);
    double in = 0;
    for (size_t a = 0; a < n_[n_.size() - 2]; ++a) in += cap_.back()[a * n_.back() + sink];
    if (total >= std::min(out, in) - kEps) return total;
    while (levels({0, source})) total += push({0, source}, kInf);
    return total;
  }

 private:
  struct Node {
    size_t l, a;  // layer, index in the layer
    bool operator==(const Node& o) const { return l == o.l && a == o.a; }
  };
  static constexpr double kInf = 1e300;
  static constexpr double kEps = 1e-13;  // a residual capacity below this is used up (capacities are at most 1)

  size_t id(Node u) const { return first_[u.l] + u.a; }
  size_t up(const Node& u) const { return u.l + 1 < n_.size() ? n_[u.l + 1] : 0; }
  size_t arcs(const Node& u) const { return up(u) + (u.l > 0 ? n_[u.l - 1] : 0); }

  // Arc k of u: k < n[l+1] goes forward to (l+1, k), the others back to (l-1, k - n[l+1]). Where it leads, and
  // the residual capacity of the edge it uses (the edge itself forward; the flow on the edge into u backward).
  Node head(const Node& u, size_t k) const { return k < up(u) ? Node{u.l + 1, k} : Node{u.l - 1, k - up(u)}; }
  double& flow(const Node& u, const Node& v) {
    return v.l > u.l ? flow_[u.l][u.a * n_[v.l] + v.a] : flow_[v.l][v.a * n_[u.l] + u.a];
  }
  double residual(const Node& u, const Node& v) {
    return v.l > u.l ? cap_[u.l][u.a * n_[v.l] + v.a] - flow(u, v) : flow(u, v);
  }

  // Breadth-first distances from the source; false when the sink cannot be reached.
  bool levels(Node source) {
    std::fill(level_.begin(), level_.end(), -1);
    std::fill(arc_.begin(), arc_.end(), 0);
    std::vector<Node> queue = {source};
    level_[id(source)] = 0;
    for (size_t q = 0; q < queue.size() && !(queue[q] == sink_); ++q) {
      const Node u = queue[q];
      for (size_t k = 0; k < arcs(u); ++k) {
        const Node v = head(u, k);
        if (level_[id(v)] >= 0 || residual(u, v) <= kEps) continue;
        level_[id(v)] = level_[id(u)] + 1;
        queue.push_back(v);
      }
    }
    return level_[id(sink_)] >= 0;
  }

  // Pushes up to `limit` from u towards the sink along arcs that lead one level further; returns what it pushed.
  double push(const Node& u, double limit) {
    if (u == sink_) return limit;
    double pushed = 0;
    for (size_t& k = arc_[id(u)]; k < arcs(u); ++k) {
      const Node v = head(u, k);
      if (level_[id(v)] != level_[id(u)] + 1) continue;
      const double r = residual(u, v);
      if (r <= kEps) continue;
      const double d = push(v, std::min(limit - pushed, r));
      if (d <= 0) continue;
      flow(u, v) += v.l > u.l ? d : -d;
      pushed += d;
      if (limit - pushed <= kEps) return pushed;  // this arc may have capacity left: it stays the current one
    }
    level_[id(u)] = -1;  // every arc is used up: no later search of this phase need come here
    return pushed;
  }

  std::vector<std::vector<double>> cap_, flow_;  // per edge layer l = 0..m-1: [n[l], n[l+1]]
  std::vector<size_t> n_, first_;
  std::vector<int> level_;
  std::vector<size_t> arc_;  // each node's current arc
  Node sink_{0, 0};
};

// The maximum flow from input token j to token i after m layers, where edges[l] = A'_{l+1}^T holds the capacities
// out of each token of layer l (row = from, column = to). It runs on the part of the graph that matters: the nodes
// that the source reaches and that reach the sink through edges of positive capacity (a maximum flow splits into
// source-to-sink paths, and no other node lies on one). Causal attention keeps only the tokens j..i of each
// layer; dense attention keeps them all.
double token_flow(const std::vector<MatD>& edges, size_t m, size_t j, size_t i) {
  const size_t T = static_cast<size_t>(edges[0].rows());
  auto edge = [&](size_t l, size_t from, size_t to) { return edges[l].data()[from * T + to] > 0; };
  // from[l][k]: (l, k) is reached from (0, j); to[l][k]: (l, k) reaches (m, i).
  std::vector<std::vector<char>> from(m + 1, std::vector<char>(T, 0)), to = from;
  from[0][j] = 1;
  to[m][i] = 1;
  for (size_t l = 1; l <= m; ++l)
    for (size_t b = 0; b < T; ++b)
      for (size_t c = 0; c < T && !from[l][b]; ++c) from[l][b] = from[l - 1][c] && edge(l - 1, c, b);
  for (size_t l = m; l-- > 0;)
    for (size_t c = 0; c < T; ++c)
      for (size_t b = 0; b < T && !to[l][c]; ++b) to[l][c] = to[l + 1][b] && edge(l, c, b);
  // The kept tokens of each layer, and the capacities between them.
  std::vector<std::vector<size_t>> keep(m + 1);
  for (size_t l = 0; l <= m; ++l)
    for (size_t k = 0; k < T; ++k)
      if (from[l][k] && to[l][k]) keep[l].push_back(k);
  if (keep[0].empty()) return 0;  // no path from j to i
  std::vector<size_t> n;
  std::vector<std::vector<double>> cap;
  for (size_t l = 0; l <= m; ++l) n.push_back(keep[l].size());
  for (size_t l = 0; l < m; ++l) {
    std::vector<double> c;
    c.reserve(n[l] * n[l + 1]);
    for (size_t lo : keep[l])
      for (size_t hi : keep[l + 1]) c.push_back(edges[l].data()[lo * T + hi]);
    cap.push_back(std::move(c));
  }
  return LayeredFlow(std::move(cap), std::move(n)).max_flow(0, 0);
}

}  // namespace

int64_t max_flow_tokens(int64_t layers) {
  // 12 · 48^4 units of work (about a second in WebAssembly); at least 2 tokens, whatever the depth.
  const double budget = 12.0 * 48 * 48 * 48 * 48;
  return std::max<int64_t>(2, static_cast<int64_t>(std::floor(std::pow(budget / static_cast<double>(std::max<int64_t>(layers, 1)), 0.25) + 1e-9)));
}

Status attention_rollout(const std::vector<Tensor>& attentions, const RolloutOptions& options, Tensor* out) {
  std::vector<MatD> a;
  ATTN_TRY(residual_attention(attentions, options, &a));
  const int64_t L = static_cast<int64_t>(a.size()), T = a[0].rows();
  *out = Tensor({L, T, T});
  MatD r = a[0];
  for (int64_t l = 0; l < L; ++l) {
    if (l > 0) r = a[static_cast<size_t>(l)] * r;
    MatMap(out->ptr() + l * T * T, T, T) = r.cast<float>();
  }
  return Status();
}

Status attention_flow(const std::vector<Tensor>& attentions, const FlowOptions& options, Tensor* out) {
  std::vector<MatD> a;
  ATTN_TRY(residual_attention(attentions, options, &a));
  const int64_t L = static_cast<int64_t>(a.size()), T = a[0].rows();
  if (options.layer < -1 || options.layer >= L)
    return Status::error("layer " + std::to_string(options.layer) + " does not exist: the attentions have " +
                         indices(L, "layer") + ", or -1 for the last");
  const int64_t layers = options.layer < 0 ? L : options.layer + 1;  // the layers the flow crosses
  if (T > max_flow_tokens(layers))
    return Status::error("attention flow through " + std::to_string(layers) + " layer" + (layers > 1 ? "s" : "") +
                         " takes at most " + std::to_string(max_flow_tokens(layers)) + " tokens, and there are " +
                         std::to_string(T) + ": it solves a maximum-flow problem for every pair of tokens, too slow " +
                         "beyond that (rollout has no such limit)");
  const size_t m = static_cast<size_t>(layers);
  std::vector<MatD> edges;
  for (const MatD& x : a) edges.push_back(x.transpose());
  MatD f(T, T);
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = 0; j < T; ++j) f(i, j) = token_flow(edges, m, static_cast<size_t>(j), static_cast<size_t>(i));
  if (options.normalize) normalize_rows(f);
  *out = Tensor({T, T});
  out->mat(T) = f.cast<float>();
  return Status();
}

}  // namespace attn
