// The explorer's "PyTorch" script (and <attn-view>'s): the model the page shows, written as a PyTorch module,
// loading its weights from the .safetensors file the page uses, and run on the ids of the current text. It prints
// the attention weights the heatmap shows and the model's output (the next-token top 5, the tags, the translation).
//
// The module follows the engine's TransformerModel (engine/models/model.h): the same parameter names, so the
// engine's file loads with load_state_dict, and PyTorch's own layers (nn.TransformerEncoderLayer, ...), which the
// engine's layers mirror (engine/layers/transformer_layers.h). The class is written for the model's config: a
// decoder-only model's script has no encoder-decoder branches. Pure functions, no DOM: tests/web/pytorch-models.test.ts
// builds these scripts in Node, runs them with PyTorch and compares every number they print with the engine's.
import { pyNumber, pyString, scriptFooter, scriptHeader } from './pytorch';
import { AGREES } from './pytorch-scripts';

/** The models the explorer's script covers: the three trained ones, the untrained one and a lab model. */
export type ScriptModel = 'lm' | 'tagger' | 'dates' | 'untrained' | 'lab';
export type ViewName = 'self' | 'encoder' | 'decoder' | 'cross';

/** The engine's model config (Model.config), as the worker reports it. */
export type EngineConfig = Record<string, unknown>;

export interface ModelScriptInput {
  model: ScriptModel;
  /** "the language model": the model in a sentence. */
  title: string;
  config: EngineConfig;
  /** What the model reads, by id (the language model: <bos> first; encoder-decoder models: the source). */
  ids: number[];
  /** The tokens of those ids as text, for comments and printed tables. */
  tokens: string[];
  view: ViewName;
  /** 0-based layer; head 0-based or 'mean'. */
  layer: number;
  head: number | 'mean';
  /** The weights as a local file name and, for the shipped models, where the page serves it. */
  weights: ScriptFile;
  /** The shipped tokenizer (language model, date translator): to write predicted ids as text. */
  tokenizer?: ScriptFile;
  /** A lab model: the text of every token id (Run.nextBatch().vocab), and its task's name. */
  vocab?: string[];
  task?: string;
  /** Models that generate: the most tokens greedy decoding writes. */
  maxNew?: number;
  /** Untrained models: the seed their weights were drawn with (a comment). */
  seed?: number;
}

export interface ScriptFile {
  name: string;
  url?: string;
}

/** The special tokens of every model here (engine/train/tasks.h, and the shipped tokenizers). */
const BOS = 1;
const EOS = 2;

/** The 12 universal tags, in the tagger's output order (models/catalog.ts TAGS). */
const TAGGER_TAGS = ['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', '.', 'X'];

/** The longest answer greedy decoding writes for a lab task, + 1 for <eos> (engine/train/tasks.cpp max_answer). */
export function labMaxNew(task: { name?: string; max_len?: number }): number {
  const maxLen = Number(task.max_len ?? 10);
  const answer = task.name === 'dates' ? 10 : task.name === 'summarize' ? 5 : task.name === 'repeat' ? 2 * maxLen : maxLen;
  return answer + 1;
}

/** A lab model's input ids from the labels of its last forward (Run.infer's labels.src, which a decoder-only model
 * continues with <bos> and the answer) and the run's vocabulary. */
export function labInputIds(labels: string[], vocab: string[], arch: string): number[] {
  const input = arch === 'decoder' ? labels.slice(0, Math.max(0, labels.indexOf('<bos>'))) : labels;
  return input.map((l) => vocab.indexOf(l));
}

/** The weights file name the script expects (and the page's download gives). */
export function weightsFileName(model: ScriptModel, settings?: Record<string, unknown>, run?: string): string {
  if (model === 'untrained' && settings)
    return `untrained-d${settings.d_model}-h${settings.nhead}-l${settings.num_layers}-ff${settings.dim_feedforward}-seed${settings.seed}.safetensors`;
  if (model === 'lab') return `lab-${(run ?? 'run').replace(/[^\w-]/g, '_')}.safetensors`;
  return `${model}.safetensors`;
}

/** The attention module of a view, by its state_dict name (= the engine's trace name), and whether it is causal. */
export function attentionModule(c: EngineConfig, view: ViewName, layer: number): { name: string; causal: boolean } {
  if (view === 'cross') return { name: `decoder.layers.${layer}.multihead_attn`, causal: false };
  if (view === 'decoder') return { name: `decoder.layers.${layer}.self_attn`, causal: true };
  const decoderOnly = c.arch === 'decoder';
  return { name: `${decoderOnly ? 'decoder' : 'encoder'}.layers.${layer}.self_attn`, causal: decoderOnly || c.causal === true };
}

// ------------------------------------------------------------------------------------------------- pieces

/** A Python literal of a config value. */
function pyValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyNumber(v);
  return pyString(String(v));
}

/** The model keys of a config (a lab model's also carries its task and name), as a Python dict, a few per line. */
export function configLiteral(c: EngineConfig): string {
  const keys = Object.keys(c).filter((k) => k !== 'task' && k !== 'name');
  const items = keys.map((k) => `${pyString(k)}: ${pyValue(c[k])}`);
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 4) lines.push(`    ${items.slice(i, i + 4).join(', ')},`);
  return `config = {\n${lines.join('\n')}\n}`;
}

export const READ_SAFETENSORS = [
  'def read_safetensors(path):',
  '    """A .safetensors file: 8 bytes (n, little-endian), n bytes of JSON (each tensor\'s dtype, shape and byte range),',
  '    then the tensors\' bytes. The engine computes in float32, so every tensor is read as float32."""',
  '    with open(path, "rb") as f:',
  '        data = f.read()',
  '    n = struct.unpack("<Q", data[:8])[0]',
  '    header = json.loads(data[8:8 + n])',
  '    header.pop("__metadata__", None)  # the engine keeps the config there',
  '    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}',
  '    tensors = {}',
  '    for name, t in header.items():',
  '        begin, end = t["data_offsets"]',
  '        raw = bytearray(data[8 + n + begin:8 + n + end])  # a writable copy, as torch.frombuffer wants',
  '        tensors[name] = torch.frombuffer(raw, dtype=dtypes[t["dtype"]]).reshape(t["shape"]).float()',
  '    return tensors',
].join('\n');

const FETCH = [
  'def fetch(path, url):',
  '    """The file the page serves, downloaded once next to this script."""',
  '    if not os.path.exists(path):',
  '        print(f"downloading {url} to {path}")',
  '        urllib.request.urlretrieve(url, path)',
].join('\n');

const READ_VOCAB = [
  'def read_vocab(path):',
  '    """id -> the token\'s text, from the tokenizer\'s tokenizer.json (Hugging Face\'s format)."""',
  '    with open(path, encoding="utf-8") as f:',
  '        tokenizer = json.load(f)',
  '    vocab = {i: s for s, i in tokenizer["model"]["vocab"].items()}',
  '    if (tokenizer.get("decoder") or {}).get("type") != "ByteLevel":',
  '        return vocab  # one character per token',
  "    # Byte-level BPE (GPT-2's): each byte is stored as one printable character; undo that, then read UTF-8.",
  '    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]',
  '    others = [b for b in range(256) if b not in printable]',
  '    byte_of = {chr(b): b for b in printable}',
  '    byte_of.update({chr(256 + i): b for i, b in enumerate(others)})',
  '    return {i: bytes(byte_of[ch] for ch in s).decode("utf-8", errors="replace") for i, s in vocab.items()}',
].join('\n');

export const SINUSOIDAL = [
  'def sinusoidal_positions(L, E):',
  '    """PE(pos, 2i) = sin(pos / 10000^(2i / E)), PE(pos, 2i+1) = cos(...): computed in float64 and rounded to float32, as',
  '    the engine does (engine/ops/embedding.cpp sinusoidal_encoding)."""',
  '    pos = torch.arange(L, dtype=torch.float64)[:, None]',
  '    angle = pos / 10000 ** (torch.arange(0, E, 2, dtype=torch.float64) / E)',
  '    pe = torch.zeros(L, E, dtype=torch.float64)',
  '    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)',
  '    return pe.float().to(device)',
].join('\n');

export const CAUSAL = [
  'def causal_mask(L):',
  '    """True above the diagonal: a token may not look at the tokens after it."""',
  '    return torch.ones(L, L, dtype=torch.bool, device=device).triu(1)',
].join('\n');

const ACTIVATIONS: Record<string, string> = {
  relu: '"relu"',
  gelu: '"gelu"',
  gelu_tanh: 'lambda x: F.gelu(x, approximate="tanh")',
  silu: 'F.silu',
};

/** The module class, written for this config (engine/models/model.h, with PyTorch's layers). */
export function modelClass(c: EngineConfig): string {
  const arch = String(c.arch);
  const seq2seq = arch === 'encoder-decoder';
  const learned = c.positional === 'learned';
  const sinusoidal = c.positional === 'sinusoidal';
  const stack = arch === 'decoder' ? 'decoder' : 'encoder';
  const hasHead = Number(c.head_size) > 0;
  // A LayerNorm after each stack when the config has final_norm (engine/models/transformer.h).
  const norm = c.final_norm ? ', norm=nn.LayerNorm(E, eps=c["layer_norm_eps"])' : '';
  const about =
    arch === 'decoder'
      ? 'ids -> embed + positions -> a stack of encoder layers with a causal mask (GPT-style) -> head.'
      : arch === 'encoder'
        ? `ids -> embed + positions -> nn.TransformerEncoder${c.causal ? ' (with a causal mask)' : ''}${hasHead ? ' -> head' : ''}.`
        : 'src -> embed + positions -> nn.TransformerEncoder -> memory; tgt -> tgt_embed + positions -> nn.TransformerDecoder -> head.';
  const lines = [
    'class AttnModel(nn.Module):',
    `    """The engine's TransformerModel (engine/models/model.h) for this config, from PyTorch's own modules:`,
    `    ${about}`,
    '    Every attribute has the engine\'s parameter name, so the engine\'s state_dict loads as it is."""',
    '',
    '    def __init__(self, c):',
    '        super().__init__()',
    '        E = self.d_model = c["d_model"]',
    '        self.embed = nn.Embedding(c["vocab_size"], E)  # embed.weight: one vector per token id',
  ];
  if (learned) lines.push('        self.pos_embed = nn.Embedding(c["max_len"], E)  # pos_embed.weight: learned positions');
  const layerArgs = [
    'd_model=E, nhead=c["nhead"], dim_feedforward=c["dim_feedforward"], dropout=c["dropout"],',
    `activation=${ACTIVATIONS[String(c.activation)] ?? pyString(String(c.activation))}, layer_norm_eps=c["layer_norm_eps"], batch_first=True, norm_first=c["norm_first"]`,
  ];
  if (c.bias === false) layerArgs.push('bias=False  # no biases: PyTorch 2.1 or later');
  const layer = '        layer = dict(';
  lines.push(
    '        # engine/layers/transformer_layers.h mirrors nn.TransformerEncoderLayer and nn.TransformerDecoderLayer: the same',
    '        # sub-modules, names and order (self_attn, linear1, linear2, norm1, norm2, ...). engine/models/transformer.h',
    '        # mirrors nn.TransformerEncoder and nn.TransformerDecoder: N copies of the layer, the same masks for each.',
    `${layer}${layerArgs.join(`\n${' '.repeat(layer.length)}`)})`,
  );
  if (arch === 'decoder')
    lines.push('        # A decoder-only model is a stack of encoder layers run with a causal mask; the engine names it "decoder".');
  const encoderStack = `        self.${stack} = nn.TransformerEncoder(`;
  lines.push(
    `${encoderStack}nn.TransformerEncoderLayer(**layer), c["num_layers"]${norm},`,
    `${' '.repeat(encoderStack.length)}enable_nested_tensor=False)  # (a fast path for padded batches: not needed)`,
  );
  if (seq2seq) {
    lines.push('        self.tgt_embed = nn.Embedding(c["tgt_vocab_size"] or c["vocab_size"], E)  # the output side\'s tokens');
    if (learned) lines.push('        self.tgt_pos_embed = nn.Embedding(c["max_len"], E)');
    lines.push(`        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer), c["num_decoder_layers"]${norm})`);
  }
  if (hasHead) {
    lines.push(`        self.head = nn.Linear(E, c["head_size"])  # ${arch === 'encoder' ? 'a score per label' : 'a score per next token'}`);
    if (c.tie_embeddings)
      lines.push(
        `        self.head.weight = self.${seq2seq ? 'tgt_embed' : 'embed'}.weight  # tied (Press & Wolf 2017): the head reads the embedding table`,
      );
  }
  // engine: TransformerModel::embed_tokens.
  const scale = c.scale_embedding ? ' * math.sqrt(self.d_model)' : '';
  const positions = learned ? ' + positions.weight[:L]' : sinusoidal ? ' + sinusoidal_positions(L, self.d_model)' : '';
  lines.push(
    '',
    `    def embed_tokens(self, table${learned ? ', positions' : ''}, ids):`,
    `        """engine: TransformerModel::embed_tokens. The token vectors${scale ? ' times √d_model (as in Vaswani et al.)' : ''}${positions ? ', plus the positions' : ''}."""`,
    ...(positions ? ['        L = ids.shape[1]'] : []),
    `        return table(ids)${scale}${positions}`,
  );
  const src = learned ? 'self.embed, self.pos_embed' : 'self.embed';
  const padding = Number(c.pad_id ?? -1) >= 0 ? ["        # (The engine also hides <pad> keys, id pad_id, from attention: one text has none, so no padding mask.)"] : [];
  if (seq2seq) {
    const tgt = learned ? 'self.tgt_embed, self.tgt_pos_embed' : 'self.tgt_embed';
    lines.push(
      '',
      '    def forward(self, src, tgt):  # src [1, S], tgt [1, T] -> logits [1, T, head_size]',
      ...padding,
      `        memory = self.encoder(self.embed_tokens(${src}, src)${c.causal ? ', mask=causal_mask(src.shape[1])' : ''})`,
      `        h = self.decoder(self.embed_tokens(${tgt}, tgt), memory, tgt_mask=causal_mask(tgt.shape[1]))`,
      '        return self.head(h)',
    );
  } else {
    const causal = arch === 'decoder' || c.causal === true;
    const run = `self.${stack}(self.embed_tokens(${src}, ids)${causal ? ', mask=causal_mask(ids.shape[1])' : ''})`;
    lines.push(
      '',
      `    def forward(self, ids):  # ids [1, L] -> ${hasHead ? 'logits [1, L, head_size]' : "the last layer's output [1, L, d_model] (no head)"}`,
      ...padding,
      ...(hasHead ? [`        return self.head(${run})`] : [`        return ${run}`]),
    );
  }
  return lines.join('\n');
}

/** The engine's teaching settings for the scores (scaled=false, a temperature), on PyTorch's attention. */
function scoreScaling(c: EngineConfig): string[] {
  const scaled = c.scaled !== false;
  const T = Number(c.temperature ?? 1);
  if (scaled && T === 1) return [];
  const dk = Number(c.d_model) / Number(c.nhead);
  const factor = `${scaled ? '1.0' : `math.sqrt(${dk})`}${T !== 1 ? ` / ${pyNumber(T)}` : ''}`;
  return [
    '',
    `# nn.MultiheadAttention always divides the scores by √d_k. This model ${scaled ? '' : 'leaves them unscaled (scaled=False)'}${!scaled && T !== 1 ? ' and ' : ''}${T !== 1 ? `divides them by a temperature of ${pyNumber(T)}` : ''}:`,
    '# multiplying every query projection (the first d_model rows of in_proj) by this factor gives exactly that.',
    `factor = ${factor}`,
    'with torch.no_grad():',
    '    for module in model.modules():',
    '        if isinstance(module, nn.MultiheadAttention):',
    '            module.in_proj_weight[:module.embed_dim] *= factor',
    '            module.in_proj_bias[:module.embed_dim] *= factor',
  ];
}

const CATCH_ATTENTION = [
  '# The attention weights. The layers ask their attention modules for no weights (need_weights=False), so a forward',
  "# hook keeps each module's inputs of the last forward pass, and attention() asks the module again, with weights.",
  '# (No torch.no_grad() below: under it PyTorch may run a layer as one fused kernel, which skips the hooks.)',
  'inputs = {}',
  'for name, module in model.named_modules():',
  '    if isinstance(module, nn.MultiheadAttention):',
  '        module.register_forward_hook(lambda module, args, out, name=name: inputs.update({name: args}))',
  '',
  '',
  'def attention(name, causal, average=False):',
  '    """The weights [H, rows, cols] of attention module `name` in the last forward pass (average: their mean over the',
  '    heads [rows, cols], nn.MultiheadAttention\'s average_attn_weights=True)."""',
  '    query, key, value = inputs[name]',
  '    mask = causal_mask(query.shape[1]) if causal else None',
  '    return model.get_submodule(name)(query, key, value, attn_mask=mask, average_attn_weights=average)[1][0]',
].join('\n');

/** The lines that print the attention the heatmap shows. */
function showAttention(s: ModelScriptInput): string[] {
  const { name, causal } = attentionModule(s.config, s.view, s.layer);
  const what = s.head === 'mean' ? 'the mean of the heads' : `head ${s.head + 1}`;
  const pick = s.head === 'mean' ? '' : `[${s.head}]`;
  return [
    `# The heatmap: ${VIEW_TITLES[s.view]}, layer ${s.layer + 1}, ${what}; each row sums to 1.`,
    `show("attention", attention(${pyString(name)}, causal=${causal ? 'True' : 'False'}${s.head === 'mean' ? ', average=True' : ''})${pick})`,
  ];
}

const VIEW_TITLES: Record<ViewName, string> = {
  self: 'self-attention (rows: queries, columns: keys)',
  encoder: 'encoder self-attention (rows: queries, columns: keys)',
  decoder: 'decoder self-attention, causal (rows: queries, columns: keys)',
  cross: 'cross-attention (rows: the output tokens being written, columns: the input)',
};

/** Python's list of the tokens, a few to a line. */
function tokensLiteral(tokens: string[]): string {
  const items = tokens.map(pyString);
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    if (line && line.length + it.length > 100) {
      lines.push(line);
      line = '';
    }
    line += `${it}, `;
  }
  if (line) lines.push(line);
  return `tokens = [\n${lines.map((l) => `    ${l.trimEnd()}`).join('\n')}\n]`;
}

function idsLiteral(name: string, ids: number[]): string {
  const lines: string[] = [];
  for (let i = 0; i < ids.length; i += 20) lines.push(ids.slice(i, i + 20).join(', '));
  return `${name} = torch.tensor([[${lines.join(',\n' + ' '.repeat(name.length + 18))}]], device=device)`;
}

const GREEDY_SEQ2SEQ = [
  'def greedy(src, max_new):',
  '    """Greedy decoding, as the engine\'s greedy_seq2seq (engine/train/decode.cpp): from <bos>, append the most likely',
  '    next token until <eos> or max_new tokens, running the decoder over the whole prefix each time."""',
  '    out = []',
  '    while len(out) < min(max_new, config["max_len"] - 1):',
  '        next_id = int(model(src, torch.tensor([[BOS] + out], device=device))[0, -1].argmax())',
  '        if next_id == EOS:',
  '            return out, True',
  '        out.append(next_id)',
  '    return out, False',
].join('\n');

const GREEDY_LM = [
  'def greedy(prompt, max_new):',
  '    """Greedy decoding, as the engine\'s greedy_lm (engine/train/decode.cpp): append the most likely next token until',
  '    <eos>, max_new tokens or the longest sequence the model reads."""',
  '    seq, out = list(prompt), []',
  '    while len(out) < max_new and len(seq) < config["max_len"]:',
  '        next_id = int(model(torch.tensor([seq], device=device))[0, -1].argmax())',
  '        if next_id == EOS:',
  '            return out, True',
  '        out.append(next_id)',
  '        seq.append(next_id)',
  '    return out, False',
].join('\n');

/** The lines that run the model on the text and print its output. */
function runAndShow(s: ModelScriptInput): string[] {
  const c = s.config;
  const arch = String(c.arch);
  const text = (ids: string) => (s.task === 'dates' ? `"".join(VOCAB[i] for i in ${ids}).replace("␣", " ")` : `" ".join(VOCAB[i] for i in ${ids})`);
  switch (s.model) {
    case 'lm':
      return [
        'logits = model(ids)  # [1, L, V]: a score for every next token, after each position',
        '# The next token after the text: softmax of the last position\'s scores (in float64, as the page computes it).',
        'probs = torch.softmax(logits[0, -1].double(), dim=-1)',
        'top = probs.topk(5)',
        'for p, i in zip(top.values.tolist(), top.indices.tolist()):',
        '    print(f"{vocab[i]!r:>16} {p:.4f}")',
        'show("next-token probabilities", top.values)',
        'show("next-token ids", top.indices)',
      ];
    case 'tagger':
      return [
        `TAGS = [${TAGGER_TAGS.map(pyString).join(', ')}]`,
        'logits = model(ids)  # [1, L, 12]: a score for each tag, at each token',
        'probs = torch.softmax(logits[0].double(), dim=-1)  # in float64, as the page computes it',
        'best = probs.max(dim=-1)',
        "# A word's tag is its first token's (the page fades the tags of tokens that continue a word).",
        'for token, p, t in zip(tokens, best.values.tolist(), best.indices.tolist()):',
        '    print(f"{token!r:>16} {TAGS[t]:>5} {p:.4f}")',
        'show("tag probabilities", best.values)',
        'show("tag ids", best.indices)',
      ];
    case 'dates':
      return [
        `out, finished = greedy(ids, max_new=${s.maxNew ?? 12})`,
        'print("translation:", "".join(vocab[i] for i in out), "" if finished else "(no <eos> within the limit)")',
        'show("output ids", torch.tensor(out))',
        'show("finished", torch.tensor(float(finished)))',
      ];
    case 'lab':
      if (arch === 'encoder')
        return [
          'logits = model(ids)  # [1, L, symbols]: one answer symbol per input position',
          'out = logits[0].argmax(dim=-1).tolist()',
          `print("answer:", ${text('out')})`,
          'show("output ids", torch.tensor(out))',
        ];
      return [
        arch === 'decoder'
          ? `out, finished = greedy(ids[0].tolist() + [BOS], max_new=${s.maxNew})  # the input, then <bos> (the separator)`
          : `out, finished = greedy(ids, max_new=${s.maxNew})`,
        `print("answer:", ${text('out')}, "" if finished else "(no <eos> within the limit)")`,
        'show("output ids", torch.tensor(out))',
        'show("finished", torch.tensor(float(finished)))',
      ];
    case 'untrained':
      return [
        'output = model(ids)  # [1, L, d_model]: no head, the last layer\'s output',
        'show("output", output[0])',
        '',
        '# A deep model is a stack of blocks: nn.TransformerEncoder runs its layers in turn, each reading the output of',
        '# the one before. The same by hand:',
        'x = model.embed_tokens(model.embed, ids)',
        'for i, layer in enumerate(model.encoder.layers):',
        `    x = layer(x${c.causal ? ', src_mask=causal_mask(x.shape[1])' : ''})`,
        '    print(f"layer {i + 1} output: {tuple(x.shape)}")',
        'agrees("the layers one after the other", x, output)',
        '',
      ];
  }
}

/** The whole script. */
export function modelScript(s: ModelScriptInput): string {
  const c = s.config;
  const arch = String(c.arch);
  const generates = s.model === 'dates' || (s.model === 'lab' && arch !== 'encoder');
  const about: string[] = [
    `The engine's model (arch "${arch}"${s.task ? `, trained on the ${s.task} task` : ''}) written with PyTorch's modules, run on your text: it`,
    "prints the attention the heatmap shows and the model's output.",
    `Weights: ${s.weights.name}, ${s.weights.url ? `from ${s.weights.url}` : 'from the page\'s "Download weights" (PyTorch panel): save it next to this script.'}`,
  ];
  if (s.tokenizer?.url) about.push(`Tokenizer: ${s.tokenizer.name}, from ${s.tokenizer.url} (to write the ids as text).`);
  if (s.weights.url) about.push('(The panel\'s Download buttons give these files; the script downloads them when they are missing.)');
  if (s.model === 'untrained') about.push(`The weights are random, drawn by the engine from seed ${s.seed ?? 1}: this script reads them, it does not draw them.`);
  const needsSinusoid = c.positional === 'sinusoidal';
  const out: string[] = [
    scriptHeader(capitalized(s.title), about, "the explorer's"),
    'import struct',
    ...(s.weights.url ? ['import urllib.request'] : []),
    '',
    '',
    READ_SAFETENSORS,
    '',
    '',
    ...(s.weights.url ? [FETCH, '', ''] : []),
    ...(s.tokenizer ? [READ_VOCAB, '', ''] : []),
    ...(needsSinusoid ? [SINUSOIDAL, '', ''] : []),
    CAUSAL,
    '',
    '',
    modelClass(c),
    '',
    '',
    configLiteral(c),
    `WEIGHTS = ${pyString(s.weights.name)}`,
  ];
  if (s.weights.url) out.push(`fetch(WEIGHTS, ${pyString(s.weights.url)})`);
  else
    out.push(
      'if not os.path.exists(WEIGHTS):',
      `    raise SystemExit(f"{WEIGHTS} is missing: download it from the page (PyTorch, Download weights), next to this script")`,
    );
  out.push(
    'model = AttnModel(config).to(device)',
    'state_dict = read_safetensors(WEIGHTS)',
  );
  if (c.tie_embeddings && Number(c.head_size) > 0)
    out.push(`state_dict["head.weight"] = state_dict[${pyString(arch === 'encoder-decoder' ? 'tgt_embed.weight' : 'embed.weight')}]  # the file keeps the tied table once`);
  out.push(
    'model.load_state_dict({k: v.to(device) for k, v in state_dict.items()})  # strict: every name and shape must match',
    'model.eval()  # dropout off',
    ...scoreScaling(c),
    '',
    CATCH_ATTENTION,
    '',
    '',
    ...(s.model === 'untrained' ? [AGREES, ''] : []),
  );
  if (s.tokenizer) {
    out.push(`TOKENIZER = ${pyString(s.tokenizer.name)}`);
    if (s.tokenizer.url) out.push(`fetch(TOKENIZER, ${pyString(s.tokenizer.url)})`);
    out.push('vocab = read_vocab(TOKENIZER)');
  }
  if (s.vocab) out.push(`VOCAB = [${s.vocab.map(pyString).join(', ')}]  # the task's tokens, by id`);
  if (generates) out.push(`BOS, EOS = ${BOS}, ${EOS}`, '', '', arch === 'decoder' ? GREEDY_LM : GREEDY_SEQ2SEQ, '', '');
  out.push(
    `# Your text as the ${s.model === 'untrained' ? "page's word splitter and hash" : s.model === 'lab' ? "task's symbols" : 'tokenizer'} turned it into ids${s.model === 'lm' ? ' (<bos> first)' : ''}:`,
    tokensLiteral(s.tokens),
    idsLiteral('ids', s.ids),
    '',
    ...runAndShow(s),
    ...showAttention(s),
    scriptFooter(),
  );
  return out.join('\n');
}

function capitalized(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
