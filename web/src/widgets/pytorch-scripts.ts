// Each widget's "PyTorch" script (the button in its header, widget-base.ts), as a pure function of what the
// widget sends to the engine and, where the engine drew random numbers (dropout masks) or carried state from
// earlier steps (optimizers), of what it returned. No DOM: tests/web/pytorch.test.ts builds these scripts in Node,
// runs them with PyTorch and compares every number they print with the engine's.
import type { StepParam, Tensor } from '../../../engine/bindings/attn';
import { pyBoolTensor, pyNumber, pySetting, pyString, pyTensor, scriptFooter, scriptHeader } from './pytorch';
import { multiheadSetup } from './seeded-inputs';
import { blockStages, type BlockStage } from './seeded-layers';
import type { OptimizerOptions } from './train-step-setup';

type Data = ArrayLike<number>;
type Matrix = number[][];
interface T {
  data: Data;
  shape: number[];
}

/** `name = {"key": torch.tensor(...), ...}`: a state_dict, by PyTorch's names. */
function stateDict(name: string, params: Record<string, T>): string {
  const entries = Object.entries(params).map(([k, t]) => `    ${pyString(k)}: ${pyTensor(t.data, t.shape, 6 + pyString(k).length)},`);
  return `${name} = {\n${entries.join('\n')}\n}`;
}

const flat = (m: Matrix) => m.flat();
const shapeOf = (m: Matrix) => [m.length, m[0]?.length ?? 0];
const pyWords = (w: string[]) => `[${w.map(pyString).join(', ')}]`;

/** A check printed by the script: "... agrees: True" (the tests fail on "agrees: False"). */
export const AGREES = [
  'def agrees(what, a, b):',
  '    print(f"{what} agrees: {torch.allclose(a, b, atol=1e-5, rtol=1e-5)}")',
  '',
].join('\n');

// ------------------------------------------------------------------------------------------- by hand

export interface ByHandSetup {
  tokens: string[];
  d: number;
  input: 'x' | 'qkv';
  /** input "x": X [L, d] and the projections [d, d] as the lesson writes them (Q = X W_Q). */
  x: Matrix;
  wq: Matrix;
  wk: Matrix;
  wv: Matrix;
  wo: Matrix;
  /** input "qkv": Q, K, V [L, d]. */
  q: Matrix;
  k: Matrix;
  v: Matrix;
  scaled: boolean;
  temperature: number;
  /** True where query i may NOT look at key j, or undefined (no mask). */
  blocked?: boolean[][];
  proj: boolean;
}

const transpose = (m: Matrix): Matrix => m[0].map((_, j) => m.map((r) => r[j]));
const identity = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

/** <attn-by-hand>'s engine call: nn.MultiheadAttention (one head, no biases) from X, or SDPA from Q, K, V. */
export function byHandCall(s: ByHandSetup) {
  const L = s.tokens.length;
  const d = s.d;
  const common = { scaled: s.scaled, temperature: s.temperature };
  if (s.input === 'x') {
    // nn.MultiheadAttention computes q = x W^T with W = in_proj_weight[0:E]; the lesson writes Q = X W_Q.
    const inProj = [...transpose(s.wq), ...transpose(s.wk), ...transpose(s.wv)].flat();
    const outProj = s.proj ? transpose(s.wo).flat() : identity(d).flat();
    return {
      name: 'mha' as const,
      args: {
        embed_dim: d,
        num_heads: 1,
        bias: false,
        batch_first: true,
        params: { in_proj_weight: { data: inProj, shape: [3 * d, d] }, 'out_proj.weight': { data: outProj, shape: [d, d] } },
        query: { data: s.x.flat(), shape: [1, L, d] },
        attn_mask: s.blocked ? { data: s.blocked.flat(), shape: [L, L], dtype: 'bool' as const } : undefined,
        trace: true,
        ...common,
      },
    };
  }
  const allowed = s.blocked?.map((r) => r.map((b) => !b)); // SDPA's boolean mask: true = may attend
  return {
    name: 'sdpa' as const,
    args: {
      query: { data: s.q.flat(), shape: [L, d] },
      key: { data: s.k.flat(), shape: [L, d] },
      value: { data: s.v.flat(), shape: [L, d] },
      attn_mask: allowed ? { data: allowed.flat(), shape: [L, L], dtype: 'bool' as const } : undefined,
      ...common,
    },
  };
}

export function byHandScript(s: ByHandSetup): string {
  const L = s.tokens.length;
  const T = s.temperature;
  const divisor = s.scaled ? (T !== 1 ? `(math.sqrt(d) * ${pySetting(T)})` : 'math.sqrt(d)') : T !== 1 ? pySetting(T) : '';
  const out: string[] = [
    scriptHeader('Attention by hand', [
      s.input === 'x'
        ? 'Scaled dot-product attention step by step, then nn.MultiheadAttention (one head, no biases) in one call.'
        : 'Scaled dot-product attention step by step, then F.scaled_dot_product_attention in one call.',
    ]),
    AGREES,
    `tokens = ${pyWords(s.tokens)}`,
    `d = ${s.d}  # d_model = d_k = d_v`,
  ];
  if (s.input === 'x') {
    out.push(
      `X = ${pyTensor(flat(s.x), shapeOf(s.x))}  # one row per token`,
      `W_Q = ${pyTensor(flat(s.wq), shapeOf(s.wq))}`,
      `W_K = ${pyTensor(flat(s.wk), shapeOf(s.wk))}`,
      `W_V = ${pyTensor(flat(s.wv), shapeOf(s.wv))}`,
      s.proj ? `W_O = ${pyTensor(flat(s.wo), shapeOf(s.wo))}` : `W_O = torch.eye(d, device=device)  # no output projection`,
      '',
      'Q, K, V = X @ W_Q, X @ W_K, X @ W_V',
      'show("Q", Q)',
      'show("K", K)',
      'show("V", V)',
    );
  } else {
    out.push(
      `Q = ${pyTensor(flat(s.q), shapeOf(s.q))}`,
      `K = ${pyTensor(flat(s.k), shapeOf(s.k))}`,
      `V = ${pyTensor(flat(s.v), shapeOf(s.v))}`,
      '',
    );
  }
  out.push(
    'S = Q @ K.T  # every query against every key',
    'show("S", S)',
    divisor ? `S_scaled = S / ${divisor}` : 'S_scaled = S  # no scaling',
    'show("S\'", S_scaled)',
  );
  if (s.blocked) {
    out.push(
      `blocked = ${pyBoolTensor(s.blocked.flat(), [L, L])}  # True: query i may not look at key j`,
      'M = torch.zeros(len(tokens), len(tokens), device=device).masked_fill(blocked, float("-inf"))',
      'show("M", M)',
      'A = torch.softmax(S_scaled + M, dim=-1)  # each row sums to 1; -inf gives exactly 0',
    );
  } else out.push('blocked = None', 'A = torch.softmax(S_scaled, dim=-1)  # each row sums to 1');
  out.push('show("A", A)', 'Z = A @ V', 'show("Z", Z)');
  if (s.input === 'x') {
    if (s.proj) out.push('Y = Z @ W_O', 'show("Y", Y)');
    out.push(
      '',
      '# The same with nn.MultiheadAttention. It stores q = x Wᵀ, so in_proj_weight = [W_Qᵀ; W_Kᵀ; W_Vᵀ].',
      `mha = nn.MultiheadAttention(embed_dim=d, num_heads=1, bias=False, batch_first=True).to(device)`,
      'mha.load_state_dict({"in_proj_weight": torch.cat([W_Q.T, W_K.T, W_V.T]), "out_proj.weight": W_O.T})',
    );
    if (s.scaled && T === 1)
      out.push(
        'Y_mha, A_mha = mha(X[None], X[None], X[None], attn_mask=blocked)',
        `agrees("nn.MultiheadAttention's output", Y_mha[0], Z @ W_O)`,
        `agrees("nn.MultiheadAttention's weights", A_mha[0], A)`,
      );
    else out.push('# (nn.MultiheadAttention always divides by √d_k and has no temperature, so it would differ here.)');
  } else {
    const scale = s.scaled ? `1 / ${divisor}` : `1 / ${divisor || '1'}`;
    out.push(
      '',
      '# The same in one call (PyTorch 2.1 or later has the scale argument). Its boolean mask is True where a query MAY look.',
      'if tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 1):',
      `    Z_sdpa = F.scaled_dot_product_attention(Q, K, V, attn_mask=None if blocked is None else ~blocked, scale=${scale})`,
      '    agrees("F.scaled_dot_product_attention", Z_sdpa, Z)',
    );
  }
  out.push(scriptFooter());
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------ multihead

/** <attn-multihead>'s engine call: nn.MultiheadAttention(d_model, heads) on the seeded inputs, traced. */
export function multiheadCall(words: string[], dModel: number, heads: number, seed: number) {
  const { x, params } = multiheadSetup(words, dModel, seed);
  return {
    embed_dim: dModel,
    num_heads: heads,
    batch_first: true,
    params,
    query: x,
    need_weights: true,
    average_attn_weights: false,
    trace: true,
  };
}

export function multiheadScript(words: string[], dModel: number, heads: number, seed: number): string {
  const { x, params } = multiheadSetup(words, dModel, seed);
  return [
    scriptHeader('Multi-head attention', [
      `nn.MultiheadAttention(${dModel}, ${heads}): d_model split into ${heads} head${heads > 1 ? 's' : ''} of ${dModel / heads}, per-head maps,`,
      'the concatenation and the output projection. The inputs are made up (seeded): written out below.',
    ]),
    AGREES,
    `words = ${pyWords(words)}`,
    `E, H = ${dModel}, ${heads}`,
    `x = ${pyTensor(x.data, x.shape)}  # [1, L, E]: one vector per word (seed ${seed})`,
    '',
    stateDict('state_dict', params),
    'mha = nn.MultiheadAttention(E, H, batch_first=True).to(device)',
    'mha.load_state_dict(state_dict)',
    '',
    'output, weights = mha(x, x, x, need_weights=True, average_attn_weights=False)',
    'show("weights", weights[0])  # [H, L, L]: one attention map per head',
    '',
    '# Inside: project, split d_model into H heads of E // H, attend per head, concatenate, project with W_O.',
    'L, d_k = len(words), E // H',
    'q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)',
    'split = lambda t: t.view(1, L, H, d_k).transpose(1, 2)  # [1, H, L, d_k]',
    'A = torch.softmax(split(q) @ split(k).transpose(-2, -1) / math.sqrt(d_k), dim=-1)',
    'heads = A @ split(v)  # [1, H, L, d_k]',
    'concat = heads.transpose(1, 2).reshape(1, L, E)',
    'show("concat", concat[0])',
    'show("output", output[0])',
    'agrees("out_proj(concat)", mha.out_proj(concat), output)',
    '',
    '',
    '# The same thing as a module of your own: the parameters nn.MultiheadAttention has, and the steps above.',
    'class MultiHeadSelfAttention(nn.Module):',
    '    def __init__(self, d_model, num_heads):',
    '        super().__init__()',
    '        assert d_model % num_heads == 0, "d_model must be divisible by num_heads"',
    '        self.h, self.d_k = num_heads, d_model // num_heads',
    '        self.in_proj = nn.Linear(d_model, 3 * d_model)  # W_Q, W_K, W_V stacked (in_proj_weight)',
    '        self.out_proj = nn.Linear(d_model, d_model)  # W_O',
    '',
    '    def forward(self, x):  # x [B, L, d_model]',
    '        B, L, _ = x.shape',
    '        q, k, v = self.in_proj(x).chunk(3, dim=-1)',
    '        split = lambda t: t.view(B, L, self.h, self.d_k).transpose(1, 2)  # [B, h, L, d_k]',
    '        weights = torch.softmax(split(q) @ split(k).transpose(-2, -1) / math.sqrt(self.d_k), dim=-1)',
    '        heads = weights @ split(v)  # [B, h, L, d_k]',
    '        return self.out_proj(heads.transpose(1, 2).reshape(B, L, -1)), weights',
    '',
    '',
    'mine = MultiHeadSelfAttention(E, H).to(device)',
    'mine.load_state_dict({"in_proj.weight": mha.in_proj_weight, "in_proj.bias": mha.in_proj_bias,',
    '                      "out_proj.weight": mha.out_proj.weight, "out_proj.bias": mha.out_proj.bias})',
    'mine_output, mine_weights = mine(x)',
    'agrees("MultiHeadSelfAttention output", mine_output, output)',
    'agrees("MultiHeadSelfAttention weights", mine_weights, weights)',
    scriptFooter(),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------- masks

/** The masks widget's call (seeded-layers.ts masksCall) as a script; `labels` are the padded words [B][S]. */
export function masksScript(
  labels: string[][],
  call: { embed_dim: number; params: Record<string, T>; query: T; key_padding_mask?: T; is_causal: boolean },
): string {
  const [B, S, E] = call.query.shape;
  const out = [
    scriptHeader('Masks', [
      'Padding and causal masks on a batch of sentences, one nn.MultiheadAttention call (one head, batch_first).',
      'Word vectors and weights are made up (seeded) and written out; a <pad> is a zero vector.',
    ]),
    AGREES,
    `sentences = ${'['}${labels.map(pyWords).join(',\n             ')}]`,
    `x = ${pyTensor(call.query.data, call.query.shape)}  # [B, S, E]`,
    '',
    stateDict('state_dict', call.params),
    `mha = nn.MultiheadAttention(${E}, 1, batch_first=True).to(device)`,
    'mha.load_state_dict(state_dict)',
    '',
  ];
  out.push(
    call.key_padding_mask
      ? `key_padding_mask = ${pyBoolTensor(call.key_padding_mask.data, [B, S])}  # True = a pad: no query may attend to it`
      : 'key_padding_mask = None  # padding mask off',
    call.is_causal
      ? `attn_mask = torch.ones(${S}, ${S}, dtype=torch.bool, device=device).triu(1)  # causal: True above the diagonal = may not look ahead`
      : 'attn_mask = None  # causal mask off',
    'output, weights = mha(x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask,',
    '                      need_weights=True, average_attn_weights=False)  # weights [B, 1, S, S]',
    '# A query whose keys are ALL masked (left padding + causal): softmax of all -inf is 0/0 = NaN in PyTorch\'s',
    '# nn.MultiheadAttention; the engine (like F.scaled_dot_product_attention since 2.5) gives zero weights instead.',
    'weights = torch.nan_to_num(weights, nan=0.0)',
  );
  if (call.key_padding_mask || call.is_causal)
    out.push(
      `hidden = torch.zeros(${B}, 1, ${S}, ${S}, dtype=torch.bool, device=device)`,
      'if key_padding_mask is not None: hidden = hidden | key_padding_mask[:, None, None, :]',
      'if attn_mask is not None: hidden = hidden | attn_mask',
      'M = torch.zeros(hidden.shape, device=device).masked_fill(hidden, float("-inf"))',
      'show("mask", M)  # what is added to the scores: 0 or -inf',
    );
  out.push(
    'show("weights", weights)',
    "# nn.MultiheadAttention's default (average_attn_weights=True) averages the heads: weights [N, L, L], one map per",
    '# sentence, weights[b, i, j] = how much query i of sentence b attends to key j (one head here: the same map).',
    'averaged = mha(x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask, need_weights=True)[1]',
    'print("default weights shape [N, L, L]:", tuple(averaged.shape))',
    'agrees("the head-averaged weights", torch.nan_to_num(averaged, nan=0.0), weights.mean(dim=1))',
    `v = F.linear(x, mha.in_proj_weight[${2 * E}:], mha.in_proj_bias[${2 * E}:])  # the values`,
    'show("heads", weights @ v[:, None])  # weights · V, before out_proj: [B, 1, S, E]',
    scriptFooter(),
  );
  return out.join('\n');
}

// ------------------------------------------------------------------------------------ dropout and norm

interface EncoderCallLike {
  d_model: number;
  nhead: number;
  dim_feedforward: number;
  activation: string;
  layer_norm_eps: number;
  norm_first: boolean;
  params: Record<string, T>;
  src?: T;
}

function encoderLayerCode(c: EncoderCallLike, dropout = 0, activation = 'activation'): string {
  return `nn.TransformerEncoderLayer(d_model=${c.d_model}, nhead=${c.nhead}, dim_feedforward=${c.dim_feedforward}, dropout=${pySetting(dropout)}, activation=${activation},\n` +
    `                                   layer_norm_eps=${pyNumber(c.layer_norm_eps)}, batch_first=True, norm_first=${pySetting(c.norm_first)}).to(device)`;
}

/**
 * <attn-dropout-norm>: dropout on the attention weights (with the engine's drawn mask: the cells it zeroed, read
 * from its weights and `dropped`) and norm1's statistics in nn.TransformerEncoderLayer, pre- or post-norm.
 */
export function dropoutNormScript(
  words: string[],
  sdpa: { query: T; dropout_p: number; seed: number },
  result: { weights: Data; dropped?: Data },
  p: number,
  training: boolean,
  layer: EncoderCallLike,
  layerWords: string[],
): string {
  const [L, d] = sdpa.query.shape;
  const out = [
    scriptHeader('Dropout and layer norm', [
      'Part 1: dropout on the attention weights of F.scaled_dot_product_attention(X, X, X, dropout_p=p).',
      "Part 2: layer norm inside nn.TransformerEncoderLayer (norm1's input and output, per token).",
    ]),
    `words = ${pyWords(words)}`,
    `X = ${pyTensor(sdpa.query.data, sdpa.query.shape)}  # [${L}, ${d}] made-up word vectors`,
    `p = ${pySetting(p)}`,
    '',
    `weights = torch.softmax(X @ X.T / math.sqrt(${d}), dim=-1)`,
    'show("weights", weights)',
  ];
  if (training && sdpa.dropout_p > 0) {
    const w = result.weights;
    const dr = result.dropped ?? w;
    const keep = Array.from(w, (v, i) => !(dr[i] === 0 && v !== 0));
    out.push(
      '# Training mode: nn.Dropout(p) zeroes each weight with probability p and multiplies the survivors by 1 / (1 - p).',
      "# PyTorch's random numbers are not the engine's, so this is the engine's own draw (seed " + sdpa.seed + '), written out:',
      `keep = ${pyBoolTensor(keep, [L, L])}  # False = zeroed`,
      'dropped = weights * keep / (1 - p)  # = nn.Dropout(p)(weights) in training mode, with this mask',
      'show("weights after dropout", dropped)',
      'show("zeroed", (~keep).sum())',
      'print("row sums after dropout (no longer 1):", dropped.sum(-1))',
    );
  } else {
    out.push(
      training
        ? '# p = 0: dropout changes nothing.'
        : '# Eval mode (model.eval()): nn.Dropout is the identity, F.scaled_dot_product_attention gets dropout_p=0.',
      'dropped = F.dropout(weights, p, training=False)',
      'show("weights after dropout", dropped)',
      'show("zeroed", torch.tensor(0))',
    );
  }
  out.push(
    'output = dropped @ X',
    '',
    `# Part 2: ${layer.norm_first ? 'pre-norm: x + Attn(LN(x))' : 'post-norm (PyTorch\'s default): LN(x + Attn(x))'}, seeded weights, dropout 0.`,
    `tokens = ${pyWords(layerWords)}`,
    `src = ${pyTensor(layer.src!.data, layer.src!.shape)}  # [1, L, d]`,
    stateDict('state_dict', layer.params),
    `layer = ${encoderLayerCode(layer, 0, pyString(layer.activation))}`,
    'layer.load_state_dict(state_dict)',
    'layer.eval()',
    'seen = {}',
    'layer.norm1.register_forward_hook(lambda module, inputs, out: seen.update(input=inputs[0][0], out=out[0]))',
    'layer(src)',
    'show("norm1 input", seen["input"])',
    'show("norm1 output", seen["out"])',
    'show("mean before", seen["input"].mean(-1))',
    'show("variance before", seen["input"].var(-1, unbiased=False))  # LayerNorm divides by sqrt(variance + eps)',
    'show("mean after", seen["out"].mean(-1))',
    'show("variance after", seen["out"].var(-1, unbiased=False))',
    scriptFooter(),
  );
  return out.join('\n');
}

// ----------------------------------------------------------------------------------------------- ffn

/** <attn-ffn>: the activation curves with their derivatives (autograd), and one token through linear1, act, linear2. */
export function ffnScript(curveX: Data, layer: EncoderCallLike, words: string[], token: number): string {
  return [
    scriptHeader('Feed-forward network and activations', [
      'ReLU and GELU with their derivatives (by autograd), then the feed-forward half of nn.TransformerEncoderLayer',
      `(linear1 -> activation -> linear2) for token ${token} ("${words[token]}"), with ReLU and with GELU.`,
    ]),
    `x = (-4 + torch.arange(${curveX.length}, dtype=torch.float64, device=device) / 20).float()  # -4, -3.95, ..., 4`,
    'for name, act in [("relu", F.relu), ("gelu", F.gelu)]:  # F.gelu: the exact erf form',
    '    xs = x.clone().requires_grad_()',
    '    y = act(xs)',
    '    y.sum().backward()  # each y_i depends on x_i only, so x.grad is the derivative at each x',
    '    show(f"{name}(x)", y)',
    '    show(f"{name}\'(x)", xs.grad)',
    '',
    `tokens = ${pyWords(words)}`,
    `token = ${token}`,
    `src = ${pyTensor(layer.src!.data, layer.src!.shape)}  # [1, L, d]`,
    stateDict('state_dict', layer.params),
    'for activation in ["relu", "gelu"]:',
    `    layer = ${encoderLayerCode(layer, 0).replace(/\n/g, '\n    ')}`,
    '    layer.load_state_dict(state_dict)',
    '    layer.eval()',
    '    seen = {}',
    '    layer.linear1.register_forward_hook(lambda module, inputs, out: seen.update(pre=out))',
    '    layer.linear2.register_forward_hook(lambda module, inputs, out: seen.update(hidden=inputs[0], output=out))',
    '    layer(src)',
    '    show(f"{activation} ff.pre", seen["pre"][0, token])  # linear1(x): d_model -> dim_feedforward',
    '    show(f"{activation} ff.hidden", seen["hidden"][0, token])  # after the activation',
    '    show(f"{activation} ff.output", seen["output"][0, token])  # linear2: back to d_model',
    scriptFooter(),
  ].join('\n');
}

// --------------------------------------------------------------------------------------------- block

export interface BlockScriptInput {
  layer: 'encoder' | 'decoder';
  words: string[];
  source: string[];
  /** The call made (seeded-layers.ts blockEncoderCall / blockDecoderCall); `seed` seeds the engine's dropout draws. */
  call: EncoderCallLike & { dropout: number; training: boolean; seed: number; src?: T; tgt?: T; memory?: T };
}

/**
 * The names this script shows for a layer: the widget's stages in order (seeded-layers.ts blockStages; an attention's
 * queries, keys and values as "<attention>.q", ".k", ".v"), then "output". All are trace names of the engine, except
 * q, k, v: the script shows them as the widget does, [1, L|S, d_model] with the heads side by side (the trace holds
 * them per head, [1, H, L|S, d_model / H]).
 */
export function blockShown(layer: 'encoder' | 'decoder', normFirst: boolean): string[] {
  const keys = blockStages(layer, normFirst).flatMap((s) => (s.kind === 'qkv' ? ['q', 'k', 'v'].map((w) => `${s.key}.${w}`) : [s.key]));
  return [...keys, 'output'];
}

/**
 * The engine's random generator (engine/core/rng.h, PCG32) and F.dropout drawing from it (engine/ops/dropout.cpp):
 * element i of the input, in row-major order, is zeroed when the next uniform draw is below p (p as float32), the
 * others are multiplied by the float32 1 / (1 - p). `masks` collects each call's mask.
 */
const ENGINE_DROPOUT = [
  'class EngineRandom:',
  '    """The engine\'s random generator (engine/core/rng.h): PCG32, XSH-RR 64/32, seeded as the engine seeds it."""',
  '',
  '    M64 = 2**64 - 1',
  '',
  '    def __init__(self, seed, stream=0x2545F4914F6CDD1D):',
  '        self.state, self.inc = 0, (stream << 1 | 1) & self.M64',
  '        self.next_u32()',
  '        self.state = (self.state + seed) & self.M64',
  '        self.next_u32()',
  '',
  '    def next_u32(self):',
  '        old = self.state',
  '        self.state = (old * 6364136223846793005 + self.inc) & self.M64',
  '        xorshifted = ((old >> 18 ^ old) >> 27) & 0xFFFFFFFF',
  '        rot = old >> 59',
  '        return (xorshifted >> rot | xorshifted << (-rot & 31)) & 0xFFFFFFFF',
  '',
  '    def uniform(self):',
  '        """Uniform in [0, 1) with 53 random bits: 27 from one draw, 26 from the next."""',
  '        hi, lo = self.next_u32() >> 5, self.next_u32() >> 6',
  '        return (hi * 67108864.0 + lo) / 9007199254740992.0',
  '',
  '',
  'def engine_dropout(input, p=0.5, training=True, inplace=False):',
  '    """F.dropout with the engine\'s draws: element i (row-major) is zeroed when the i-th draw is below p."""',
  '    if not training or p == 0:',
  '        return input',
  '    p32 = torch.tensor(p)  # float32, as the engine holds p',
  '    u = torch.tensor([rng.uniform() for _ in range(input.numel())], dtype=torch.float64)',
  '    mask = (u >= p32.double()).float() * (1 / (1 - p32))  # 0 (dropped) or 1 / (1 - p), in float32',
  '    masks.append(mask.view(input.shape))',
  '    return input * masks[-1].to(input.device)',
  '',
  '',
  'def with_weights(forward):',
  '    """An attention\'s forward, asked for its weights: PyTorch 2 then computes them step by step and calls F.dropout',
  '    on them (as 1.13 always does); without weights it fuses attention into one kernel with its own random dropout."""',
  '    return lambda *args, **kwargs: forward(*args, **{**kwargs, "need_weights": True})',
  '',
].join('\n');

/** After the layer's forward pass: the hooks come off, so that the calls after it do not overwrite `seen`. */
const UNHOOK = ['for hook in hooks:  # seen now holds the forward pass: the calls below must not overwrite it', '    hook.remove()'];

export function blockScript(b: BlockScriptInput): string {
  const c = b.call;
  const dec = b.layer === 'decoder';
  const x = (dec ? c.tgt : c.src)!;
  const L = x.shape[1];
  const E = c.d_model;
  const dropoutOn = c.training && c.dropout > 0;
  const attentions = dec ? ['self_attn', 'multihead_attn'] : ['self_attn'];
  const norms = dec ? ['norm1', 'norm2', 'norm3'] : ['norm1', 'norm2'];
  const ctor = dec
    ? `nn.TransformerDecoderLayer(d_model=${c.d_model}, nhead=${c.nhead}, dim_feedforward=${c.dim_feedforward}, dropout=${pySetting(c.dropout)}, activation=${pyString(c.activation)},\n` +
      `                                   layer_norm_eps=${pyNumber(c.layer_norm_eps)}, batch_first=True, norm_first=${pySetting(c.norm_first)}).to(device)`
    : encoderLayerCode(c, c.dropout, pyString(c.activation));
  const out = [
    scriptHeader('A whole Transformer block', [
      `One nn.Transformer${dec ? 'Decoder' : 'Encoder'}Layer taken apart: every intermediate, caught with forward hooks.`,
      'The words are made-up vectors plus sinusoidal positions (written out); the weights are seeded (written out).',
      ...(dropoutOn
        ? [`Training mode with dropout p = ${pySetting(c.dropout)}: the layer runs in train() mode with the engine's dropout masks`, '(replayed below), so every number is the widget\'s.']
        : []),
    ]),
    AGREES,
    `words = ${pyWords(b.words)}`,
    `x = ${pyTensor(x.data, x.shape)}  # [1, L, d_model]: word vector + PE(position)`,
  ];
  if (dec)
    out.push(
      `source = ${pyWords(b.source)}`,
      `memory = ${pyTensor(c.memory!.data, c.memory!.shape)}  # the source sentence after an encoder layer of its own (its output)`,
    );
  out.push(
    '',
    stateDict('state_dict', c.params),
    `layer = ${ctor}`,
    'layer.load_state_dict(state_dict)',
    dropoutOn ? 'layer.train()  # training mode: every dropout is on' : 'layer.eval()  # dropout is the identity',
    '',
    'seen = {}',
    'def keep(name):',
    '    return lambda module, inputs, out: seen.update({name: out[0] if isinstance(out, tuple) else out, name + ".in": inputs[0]})',
    `hooks = [getattr(layer, name).register_forward_hook(keep(name)) for name in [${[...norms, ...attentions, 'linear1', 'linear2'].map(pyString).join(', ')}]]`,
  );
  if (dec) out.push(`causal = torch.ones(${L}, ${L}, dtype=torch.bool, device=device).triu(1)  # True = may not look ahead`);
  const run = dec ? 'output = layer(x, memory, tgt_mask=causal)' : 'output = layer(x)';
  if (dropoutOn) {
    // The order in which the layer draws its masks (engine/layers/transformer_layers.cpp = PyTorch's forward).
    const drawn = [
      'self_attn: attention weights [H, L, L]',
      'dropout1 [1, L, d_model]',
      ...(dec ? ['multihead_attn: attention weights [H, L, S]', 'dropout2 [1, L, d_model]'] : []),
      'dropout: feed-forward hidden [1, L, dim_feedforward]',
      `${dec ? 'dropout3' : 'dropout2'} [1, L, d_model]`,
    ];
    out.push(
      '',
      "# Training mode: each dropout zeroes a number with probability p and multiplies the others by 1 / (1 - p).",
      "# These are the engine's random draws, reproduced, so the numbers match (PyTorch's own generator draws others):",
      '# during the call, F.dropout (which nn.Dropout and the attention weights\' dropout call) draws from the engine\'s.',
      ENGINE_DROPOUT,
      `rng = EngineRandom(seed=${c.seed})  # the widget's dropout seed`,
      'masks = []  # each dropout\'s mask, in the order the layer draws them',
      `drawn = [${drawn.map(pyString).join(',\n         ')}]`,
      `attentions = [${attentions.map((a) => `layer.${a}`).join(', ')}]`,
      'pytorch_dropout, F.dropout = F.dropout, engine_dropout',
      'for attn in attentions:',
      '    attn.forward = with_weights(attn.forward)',
      'try:',
      `    ${run}`,
      'finally:',
      '    F.dropout = pytorch_dropout',
      '    for attn in attentions:',
      '        del attn.forward  # back to nn.MultiheadAttention.forward',
      ...UNHOOK,
      'assert len(masks) == len(drawn), f"the layer called dropout {len(masks)} times, not {len(drawn)}"',
      'for name, mask in zip(drawn, masks):',
      '    print(f"{name}: zeroed {int((mask == 0).sum())} of {mask.numel()}")',
      '',
      "# The widget shows each head's weights before attention dropout, hatching the cells it zeroed",
      `# (0 in masks[0]${dec ? ' and masks[2]' : ''}); asked again in eval mode, the attention modules return exactly those.`,
      'layer.eval()',
    );
  } else out.push(run, ...UNHOOK);
  out.push(
    '',
    '# The layer asks its attention modules for no weights; ask them again, on the inputs they got, per head.',
    `_, self_weights = layer.self_attn(seen["self_attn.in"], seen["self_attn.in"], seen["self_attn.in"], ${dec ? 'attn_mask=causal, ' : ''}average_attn_weights=False)`,
  );
  if (dec) out.push('_, cross_weights = layer.multihead_attn(seen["multihead_attn.in"], memory, memory, average_attn_weights=False)');
  out.push(
    `E = ${E}  # d_model: in_proj_weight holds W_Q, W_K, W_V as rows [0, E), [E, 2E), [2E, 3E)`,
    'def project(attn, inputs, i):',
    '    """q (i = 0), k (1) or v (2) as attn\'s in_proj computes them: [1, T, E], the heads side by side."""',
    '    return F.linear(inputs, attn.in_proj_weight[i * E:(i + 1) * E], attn.in_proj_bias[i * E:(i + 1) * E])',
    '',
    ...blockStages(b.layer, c.norm_first).flatMap((s) => blockShowLines(s, dec, c.norm_first)),
    'show("output", output)',
  );
  if (!dec) {
    // In training mode the stack (eval mode, no dropout) is compared with the layer's output without dropout.
    const ref = dropoutOn ? 'plain' : 'output';
    out.push(
      '',
      '# Stacking blocks (a deep model): nn.TransformerEncoder holds num_layers copies of the layer, and each one reads',
      "# the output of the one before. With copies of these weights, the stack's first layer gives the output above.",
      ...(dropoutOn ? ['plain = layer(x)  # the output above without dropout: the stack runs in eval mode'] : []),
      'stack = nn.TransformerEncoder(layer, num_layers=2).to(device).eval()',
      `agrees("layer 1 of nn.TransformerEncoder(layer, num_layers=2)", stack.layers[0](x), ${ref})`,
      `agrees("layer 2 reads layer 1's output", stack(x), stack.layers[1](${ref}))`,
    );
  }
  out.push(scriptFooter());
  return out.join('\n');
}

/** The script's show() lines for one of the widget's stages, each with the stage's module and formula. */
function blockShowLines(s: BlockStage, dec: boolean, normFirst: boolean): string[] {
  const note = `  # ${s.module}: ${s.formula}`;
  if (s.kind === 'qkv') {
    const kv = s.part === 'cross' ? 'memory' : `seen["${s.key}.in"]`;
    return ['q', 'k', 'v'].map((w, i) => `show("${s.key}.${w}", project(layer.${s.key}, ${i === 0 ? `seen["${s.key}.in"]` : kv}, ${i}))${i === 0 ? note : ''}`);
  }
  if (s.kind === 'weights') return [`show("${s.key}", ${s.part === 'cross' ? 'cross' : 'self'}_weights)  # [1, H, L, ${s.part === 'cross' ? 'S' : 'L'}]: ${s.formula}`];
  const resid = /^resid(\d)$/.exec(s.key);
  const last = dec ? 3 : 2;
  let expr: string;
  if (s.key === 'input') expr = 'x';
  else if (resid) {
    const n = Number(resid[1]);
    // Post-norm: norm n reads resid n; pre-norm: norm n + 1 does, and the last one is the layer's output.
    expr = !normFirst ? `seen["norm${n}.in"]` : n < last ? `seen["norm${n + 1}.in"]` : 'output';
  } else if (s.key.endsWith('.out')) expr = `seen["${s.key.slice(0, -4)}"]`;
  else if (s.key === 'ff.pre') expr = 'seen["linear1"]';
  else if (s.key === 'ff.hidden') expr = 'seen["linear2.in"]';
  else if (s.key === 'ff.output') expr = 'seen["linear2"]';
  else expr = `seen["${s.key.replace('.output', '')}"]`; // an attention's output (before its dropout)
  return [`show("${s.key}", ${expr})${note}`];
}

// --------------------------------------------------------------------------------------------- batch

/**
 * <attn-batch>: the curriculum's Exercise 1 as written (torch.bmm, softmax, torch.bmm) on the widget's batch X
 * [B, L, d], query = key = value = X; `scaled` divides by √d, `mask` [B, 1, L] (True = a word) hides the pads.
 */
export function batchScript(x: T, words: string[][], lengths: number[], scaled: boolean, mask?: T): string {
  const [B, L, d] = x.shape;
  return [
    scriptHeader('Batched attention by hand', [
      `Exercise 1 (self-attention with torch.bmm) on the widget's batch of ${B} sentences, padded to ${L} tokens.`,
      "X holds the widget's made-up word vectors (pads are zero vectors, as nn.Embedding's padding_idx row).",
    ]),
    AGREES,
    `words = [${words.map(pyWords).join(', ')}]`,
    `X = ${pyTensor(x.data, x.shape, 4)}  # [B, L, d] = [${B}, ${L}, ${d}]`,
    ...(mask ? [`mask = ${pyBoolTensor(mask.data, mask.shape)}  # [B, 1, L]: True = a word, False = a pad`] : []),
    '',
    '# The batch as a DataLoader makes it: a Dataset of sentences of different lengths, and a collate_fn that pads',
    '# them with zero vectors to the longest and says which positions are words.',
    'from torch.utils.data import DataLoader, Dataset',
    'from torch.nn.utils.rnn import pad_sequence',
    '',
    'class Sentences(Dataset):',
    '    def __init__(self, vectors):  # one [length, d] tensor per sentence',
    '        self.vectors = vectors',
    '',
    '    def __len__(self):',
    '        return len(self.vectors)',
    '',
    '    def __getitem__(self, i):',
    '        return self.vectors[i]',
    '',
    'def collate(batch):',
    '    lengths = torch.tensor([len(s) for s in batch], device=device)',
    '    padded = pad_sequence(batch, batch_first=True)  # [B, L, d], zeros after each sentence',
    '    words = torch.arange(padded.shape[1], device=device)[None, :] < lengths[:, None]  # [B, L]: True = a word',
    '    return padded, words[:, None, :]  # the mask as [B, 1, L], to broadcast over the queries',
    '',
    `lengths = [${lengths.join(', ')}]  # words in each sentence`,
    `loader = DataLoader(Sentences([X[b, :n] for b, n in enumerate(lengths)]), batch_size=${B}, collate_fn=collate)`,
    'loaded, loaded_mask = next(iter(loader))',
    'agrees("the DataLoader\'s padded batch", loaded, X)',
    ...(mask ? ['agrees("the DataLoader\'s mask", loaded_mask.float(), mask.float())'] : []),
    '',
    'query = key = value = X',
    'scores = torch.bmm(query, key.transpose(1, 2))  # [B, L, d] @ [B, d, L] -> [B, L, L]: one product per sentence',
    'show("scores", scores)',
    ...(scaled ? [`scores = scores / math.sqrt(${d})  # as F.scaled_dot_product_attention does`, 'show("scaled", scores)'] : []),
    ...(mask ? ['scores = scores.masked_fill(~mask, float("-inf"))  # the mask broadcasts over the queries: no one attends to a pad'] : []),
    'weights = F.softmax(scores, dim=-1)  # [B, L, L]: each row sums to 1',
    'show("weights", weights)',
    'output = torch.bmm(weights, value)  # [B, L, L] @ [B, L, d] -> [B, L, d]',
    'show("output", output)',
    scriptFooter(),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------- positional

export function positionalScript(length: number, dModel: number): string {
  return [
    scriptHeader('Positional encodings', [
      'The sinusoidal table of Vaswani et al. and which positions look alike (PE PEᵀ).',
      "(The widget's other parts, a trained model's learned positions and the shuffle experiment on the explorer's",
      'untrained model, need whole models: they are not in this script.)',
    ]),
    `length, d_model = ${length}, ${dModel}`,
    '# PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model)), computed in',
    '# float64 and rounded to float32 (as the engine does: sin of a float32 angle near 500 would be off by ~3e-5).',
    'pos = torch.arange(length, dtype=torch.float64)[:, None]',
    'two_i = torch.arange(0, d_model, 2, dtype=torch.float64)',
    'angle = pos / 10000 ** (two_i / d_model)',
    'pe = torch.zeros(length, d_model, dtype=torch.float64)',
    'pe[:, 0::2] = torch.sin(angle)',
    'pe[:, 1::2] = torch.cos(angle)',
    'pe = pe.float().to(device)',
    'show("PE", pe)  # [length, d_model]: one row per position',
    'show("PE PE^T", pe @ pe.T)  # [length, length]: how alike two positions are',
    scriptFooter(),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------- train step

/**
 * <attn-train-step>: optimizer.step() on the one parameter the widget shows, from its value, its gradient (after
 * clip_grad_norm_) and the optimizer state carried over from the earlier steps.
 */
export function trainStepScript(o: OptimizerOptions, steps: number, p: StepParam, clipCoef: number, gradNorm: number): string {
  const sgd = o.optimizer === 'sgd';
  const shape = p.shape;
  const n = p.before.length;
  // The state before step n, recovered from the engine's state after it (torch.optim's update run backwards):
  // Adam: exp_avg = β1·m + (1 − β1)·g'; SGD: buf = μ·buf + (1 − dampening)·g', g' = grad (+ weight_decay·param).
  const g2 = Float64Array.from({ length: n }, (_, i) => p.grad[i] + (o.optimizer === 'adamw' ? 0 : o.weightDecay * p.before[i]));
  const prev = (after: Data | undefined, beta: number, gain: (i: number) => number) =>
    Float32Array.from({ length: n }, (_, i) => (beta > 0 && after ? (after[i] - gain(i)) / beta : 0));
  const lines = [
    scriptHeader('One training step, taken apart', [
      `optimizer.step() of ${o.optimizer === 'sgd' ? 'torch.optim.SGD' : o.optimizer === 'adam' ? 'torch.optim.Adam' : 'torch.optim.AdamW'} at step ${steps}, on ${p.name} ${JSON.stringify(shape)}.`,
      'Why one parameter and not the whole model: the update of a parameter depends only on its own value, its',
      "gradient and the optimizer's state for it. Writing the tiny model's whole state_dict and replaying the earlier",
      'steps would bury that under thousands of numbers; the gradient below is the one the engine computed by',
      'loss.backward() on the batch (cross-entropy, pads ignored), scaled by clip_grad_norm_.',
    ]),
    `# clip_grad_norm_(model.parameters(), max_norm=${pySetting(o.clip)}): the global norm of every gradient was ${pyNumber(gradNorm)},`,
    '# so every gradient was multiplied by min(1, max_norm / (norm + 1e-6)):',
    o.clip > 0 ? `clip_coef = min(1.0, ${pySetting(o.clip)} / (${pyNumber(gradNorm)} + 1e-6))` : 'clip_coef = 1.0  # clipping off',
    `show("clip_coef", torch.tensor(clip_coef))  # the engine's: ${pyNumber(clipCoef)}`,
    '',
    `param = nn.Parameter(${pyTensor(p.before, shape)})  # ${p.name} before step ${steps}`,
    `param.grad = ${pyTensor(p.grad, shape)}  # its gradient, after clipping`,
  ];
  lines.push(
    sgd
      ? `optimizer = torch.optim.SGD([param], lr=${pySetting(o.lr)}, momentum=${pySetting(o.momentum)}, dampening=${pySetting(o.dampening)}, nesterov=${pySetting(o.nesterov)}, weight_decay=${pySetting(o.weightDecay)})`
      : `optimizer = torch.optim.${o.optimizer === 'adam' ? 'Adam' : 'AdamW'}([param], lr=${pySetting(o.lr)}, betas=(${pySetting(o.beta1)}, ${pySetting(o.beta2)}), eps=${pyNumber(o.eps)}, weight_decay=${pySetting(o.weightDecay)})`,
  );
  if (steps > 1) {
    if (sgd && o.momentum > 0) {
      const buf = prev(p.state.momentum_buffer, o.momentum, (i) => (1 - o.dampening) * g2[i]);
      lines.push(
        `# The momentum buffer after step ${steps - 1} (recovered from the engine's buffer after this step: (buf - (1 - dampening) g) / momentum):`,
        `optimizer.state[param] = {"momentum_buffer": ${pyTensor(buf, shape, 28)}}`,
      );
    } else if (!sgd) {
      const m = prev(p.state.exp_avg, o.beta1, (i) => (1 - o.beta1) * g2[i]);
      const v = prev(p.state.exp_avg_sq, o.beta2, (i) => (1 - o.beta2) * g2[i] * g2[i]).map((x) => Math.max(0, x));
      lines.push(
        `# Adam's state after step ${steps - 1} (recovered from the engine's state after this step: (m - (1 - β) g) / β):`,
        'optimizer.state[param] = {',
        `    "step": torch.tensor(${steps - 1}.0),`,
        `    "exp_avg": ${pyTensor(m, shape, 15)},`,
        `    "exp_avg_sq": ${pyTensor(v, shape, 18)},`,
        '}',
      );
    }
  } else lines.push('# Step 1: the optimizer has no state yet.');
  lines.push(
    '',
    'before = param.detach().clone()',
    'optimizer.step()',
    'show("value", param)  # after the step',
    'show("update", param - before)',
    'state = optimizer.state[param]',
    ...(sgd
      ? [o.momentum > 0 ? 'show("momentum_buffer", state["momentum_buffer"])' : '# (SGD without momentum keeps no state)']
      : ['show("exp_avg", state["exp_avg"])', 'show("exp_avg_sq", state["exp_avg_sq"])']),
    scriptFooter(),
  );
  return lines.join('\n');
}

export type { Tensor };
