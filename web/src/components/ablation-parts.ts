// The head-ablation panel, shared by <attn-ablation> and the explorer's Ablation display: the layers × heads grid of
// toggles per attention kind, zero or mean ablation, the model's output with every head and without the heads
// switched off, the size of the change, and "Rank heads". It draws an AblationResult (engine/ablation.ts, the
// worker's 'ablation' call, which its host makes) and says what the reader asks for with events, which its host
// turns into state: ablation-off (detail: the heads to switch off), ablation-mode ('zero' | 'mean'), ablation-rank
// (boolean), ablation-rank-head (a head clicked in the ranking). Also the `off` syntax ("2.3,4.1", the translator's
// "e1.2,d2.1,c1.3"), used by the widget's attribute and the explorer's URL. And which ablation the model shown has
// and how it is asked of the worker (ablationTargetOf, requestAblation), for the explorer and <attn-view>.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { AblationModel, AblationResult, GroupInfo, HeadGroup, HeadRef, Outcome } from '../engine/ablation';
import type { CallArgs, CallResult } from '../engine/calls';
import type { HfInfo } from '../engine/protocol';
import type { ModelId } from '../models/catalog';
import { STATS_TEXTS } from '../models/hf';
import type { MatrixExport } from '../export/export';
import { percent } from '../text/format';
import { srOnlyStyles } from './sr-only';

export const MODELS: AblationModel[] = ['lm', 'tagger', 'dates'];
/** What the panel measures: a shipped model's output, or a Hugging Face BERT's [MASK]s ('mlm'; their GPT-2 is
 * measured as 'lm', their Marian as 'dates'). */
export type PanelModel = AblationModel | 'mlm' | 'lab';
const PREFIX: Record<HeadGroup, string> = { self: '', encoder: 'e', decoder: 'd', cross: 'c' };
const GROUP_OF: Record<string, HeadGroup> = { e: 'encoder', d: 'decoder', c: 'cross' };
/** The attention kinds of each model, before the engine has said how many layers and heads they have (a lab run's
 * depend on its architecture). */
const GROUPS: Record<PanelModel, HeadGroup[]> = {
  lm: ['self'], tagger: ['self'], dates: ['encoder', 'decoder', 'cross'], mlm: ['self'], lab: ['self', 'encoder', 'decoder', 'cross'],
};

/** "2.3" / "c1.2" for a head (1-based), as the `off` attribute writes it. */
export function headKey(h: HeadRef): string {
  return `${PREFIX[h.group]}${h.layer + 1}.${h.head + 1}`;
}

/** The `off` attribute read for a model: the heads it names (0-based), and a note for each entry it cannot use. */
export function parseOff(value: string, model: PanelModel, groups?: GroupInfo[]): { heads: HeadRef[]; notes: string[] } {
  const heads: HeadRef[] = [];
  const notes: string[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([edc]?)(\d+)\.(\d+)$/i.exec(raw);
    const group: HeadGroup | undefined = m ? (m[1] ? GROUP_OF[m[1].toLowerCase()] : 'self') : undefined;
    const kinds = groups?.map((g) => g.group) ?? GROUPS[model];
    if (!m || !group || !kinds.includes(group)) {
      notes.push(kinds.includes('cross')
        ? `off: "${raw}" is not a head of ${model === 'dates' ? 'the translator' : 'this model'} (write e1.2, d1.2 or c1.2: encoder, decoder or cross-attention, layer.head).`
        : `off: "${raw}" is not a head (write layer.head, e.g. 2.3).`);
      continue;
    }
    const head = { group, layer: Number(m[2]) - 1, head: Number(m[3]) - 1 };
    const g = groups?.find((x) => x.group === group);
    if (head.layer < 0 || head.head < 0 || (g && (head.layer >= g.layers || head.head >= g.heads))) {
      notes.push(`off: "${raw}" is outside the model${g ? ` (${g.layers} layers of ${g.heads} heads)` : ''}.`);
      continue;
    }
    if (!heads.some((h) => headKey(h) === headKey(head))) heads.push(head);
  }
  return { heads, notes };
}

// ------------------------------------------------------------------------------- which ablation, asked of the worker
/**
 * What the Ablation display of the model shown measures and how the worker computes it, shared by the explorer and
 * <attn-view>: a shipped model ('ablation', ablation.ts), a lab run ('labAblation', lab-ablation.ts) or a Hugging
 * Face checkpoint ('hfAblation', hf-ablation.ts). panel: what the panel measures; tag: whose results they are (a host
 * shows a result only for its model's tag); meanLabel, maskToken: the panel's mean-label and mask-token.
 */
export type AblationTarget = { panel: PanelModel; tag: string; meanLabel: string; maskToken: string } & (
  | { kind: 'shipped'; model: AblationModel }
  | { kind: 'lab'; run: string }
  | { kind: 'hf'; hf: string });
/** Why a model has no Ablation display: 'model' (the untrained model: no output to compare; a model not loaded yet),
 * 'lstm' (a lab LSTM: no attention heads), 'no-head' (a BertModel: no head to predict with). */
export type NoAblation = { none: 'model' | 'lstm' | 'no-head' };

/** The model shown, as its host knows it: its id, the lab run's id and loaded config, the Hugging Face model loaded. */
export interface AblationSource {
  model: ModelId;
  run?: string;
  config?: Record<string, unknown>;
  hf?: HfInfo;
}

/** The Ablation display's target for the model shown, or why it has none. */
export function ablationTargetOf(m: AblationSource): AblationTarget | NoAblation {
  if ((MODELS as string[]).includes(m.model)) {
    const model = m.model as AblationModel;
    return { kind: 'shipped', model, panel: model, tag: model, meanLabel: 'outputs its mean over held-out texts', maskToken: '[MASK]' };
  }
  if (m.model === 'lab' && m.run) {
    if (m.config?.arch === 'lstm') return { none: 'lstm' };
    return { kind: 'lab', run: m.run, panel: 'lab', tag: `lab:${m.run}`, meanLabel: 'outputs its mean over the run’s held-out examples', maskToken: '[MASK]' };
  }
  const hf = m.model === 'hf' ? m.hf : undefined;
  if (!hf) return { none: 'model' };
  if (hf.family !== 'gpt2' && hf.family !== 'marian' && !hf.lmHead) return { none: 'no-head' };
  const panel = hf.family === 'gpt2' ? 'lm' : hf.family === 'marian' ? 'dates' : 'mlm';
  return { kind: 'hf', hf: hf.key, panel, tag: `hf:${hf.key}`, maskToken: hf.maskToken || '[MASK]',
    meanLabel: `outputs its mean over the ${STATS_TEXTS.length} built-in sentences${panel === 'dates' ? ' and their translations' : ''}` };
}

/** Why `name` has no Ablation display (NoAblation), and `choose`: how the reader picks another model there. */
export function ablationNotice(name: string, why: NoAblation['none'], choose: string) {
  if (why === 'no-head')
    return html`<span dir="auto">${name}</span> has no masked-language-model head (its files are a BertModel’s): there is no
      output to compare with heads switched off. Open a checkpoint with its head (…ForMaskedLM), a GPT-2 or a Marian model.`;
  return html`Switching heads off works on the shipped models: the language model, the tagger and the date translator
    (their held-out texts give the heads’ means), on the lab’s transformer runs and on Hugging Face checkpoints. Not for
    <span dir="auto">${name}</span>${why === 'lstm' ? ', an LSTM: it has no attention heads' : ''}; ${choose}.`;
}

/** What the display asks for: the text, the heads switched off, what a removed head outputs, and the ranking. */
export interface AblationAsk {
  text: string;
  removed: HeadRef[];
  mode: 'zero' | 'mean';
  rank: boolean;
}
type AblationCall = 'ablation' | 'labAblation' | 'hfAblation';
/** The host's worker call (its own key: a newer call replaces a waiting one). */
export type AblationCaller = <N extends AblationCall>(name: N, args: CallArgs<N>) => Promise<CallResult<N>>;

/**
 * Asks the worker for `target`'s ablation: `show` receives the result, unless `current()` says a newer request
 * replaced this one. A Hugging Face ranking comes in parts, one layer's heads per call (GPT-2 small: 144 heads, each a
 * forward pass), so that the worker answers other requests in between: `show` receives the ranking as it grows, with
 * how far it has got. Rejects as the call does (Superseded: a newer call replaced it).
 */
export async function requestAblation(call: AblationCaller, target: AblationTarget, ask: AblationAsk,
  show: (r: AblationResult) => void, current: () => boolean = () => true): Promise<void> {
  if (target.kind !== 'hf') {
    const r = await (target.kind === 'shipped' ? call('ablation', { ...ask, model: target.model }) : call('labAblation', { ...ask, run: target.run }));
    if (current()) show(r);
    return;
  }
  const { rank, ...args } = ask;
  const part = (p: { rankFrom?: number; rankCount?: number }) => call('hfAblation', { ...args, hf: target.hf, ...p });
  const base = await part({});
  if (!current()) return;
  show(base);
  if (!rank || !base.tokens.length) return;
  const total = base.groups.reduce((n, g) => n + g.layers * g.heads, 0);
  const step = base.groups[0].heads;
  const ranking: NonNullable<AblationResult['ranking']> = [];
  for (let from = 0; from < total; from += step) {
    const r = await part({ rankFrom: from, rankCount: step });
    if (!current()) return;
    ranking.push(...(r.ranking ?? []));
    show({ ...base, ranking: [...ranking].sort((x, y) => y.change - x.change), rankProgress: r.rankProgress });
  }
}

/** x with `digits` decimals and a real minus sign; what rounds to zero is written 0 (never −0.000). */
const fixed = (x: number, digits: number) => {
  const t = Math.abs(x).toFixed(digits);
  return Number(t) === 0 ? t : `${x < 0 ? '−' : ''}${t}`;
};
const signed = (x: number, digits = 1) => {
  const t = fixed(x, digits);
  return Number(Math.abs(x).toFixed(digits)) === 0 || t.startsWith('−') ? t : `+${t}`;
};
const points = (x: number) => `${signed(100 * x)} points`;
/** A token in a sentence: in quotes, spaces at its ends left out. */
const quoted = (token: string) => `“${token.trim() || show(token)}”`;
const headName = (h: HeadRef) => `${h.group === 'self' ? '' : `${h.group} · `}layer ${h.layer + 1} · head ${h.head + 1}`;

@customElement('attn-ablation-panel')
export class AttnAblationPanel extends LitElement {
  @property({ attribute: false }) result?: AblationResult;
  /** The heads switched off (the result may still be for the previous set while the engine computes). */
  @property({ attribute: false }) heads: HeadRef[] = [];
  @property() model: PanelModel = 'lm';
  @property() mode: 'zero' | 'mean' = 'zero';
  /** What a head replaced by its mean outputs, as the mode's label says it. */
  @property({ attribute: 'mean-label' }) meanLabel = 'outputs its mean over held-out texts';
  /** The [MASK] token's name ('mlm'). */
  @property({ attribute: 'mask-token' }) maskToken = '[MASK]';
  @property({ type: Boolean }) rank = false;
  /** What clicking a head in the ranking does, as the ranking's legend says it. */
  @property() rankClick = 'Click a head to switch it off or on.';

  private emit(name: string, detail: unknown) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  private setOff(heads: HeadRef[]) {
    this.emit('ablation-off', heads);
  }

  private toggle(h: HeadRef) {
    this.setOff(toggled(this.heads, h));
  }

  // ------------------------------------------------------------------------------------------------ the grid
  /** Arrow keys move between the toggles of one grid (roving focus); Space and Enter toggle (they are buttons). */
  private onGridKey(e: KeyboardEvent, g: GroupInfo) {
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[e.key] ?? (e.key === 'Home' ? [0, -99] : e.key === 'End' ? [0, 99] : undefined);
    const from = (e.target as HTMLElement).closest<HTMLButtonElement>('button.head');
    if (!move || !from) return;
    e.preventDefault();
    const layer = Math.max(0, Math.min(g.layers - 1, Number(from.dataset.layer) + move[0]));
    const head = Math.max(0, Math.min(g.heads - 1, Number(from.dataset.head) + move[1]));
    const next = this.renderRoot.querySelector<HTMLButtonElement>(`button.head[data-group="${g.group}"][data-layer="${layer}"][data-head="${head}"]`);
    from.tabIndex = -1;
    if (next) {
      next.tabIndex = 0;
      next.focus();
    }
  }

  private renderGrid(g: GroupInfo, off: Set<string>, rankOf: Map<string, number>) {
    const maxRank = Math.max(1e-12, ...[...rankOf.values()].map((v) => Math.abs(v)));
    return html`<div class="grid-block">
      <p class="grid-title">${g.title}</p>
      <table class="grid" @keydown=${(e: KeyboardEvent) => this.onGridKey(e, g)} aria-label=${`${g.title}: heads, on or off`}>
        <thead><tr><th scope="col"><span class="sr-only">Layer</span></th>${Array.from({ length: g.heads }, (_, h) => html`<th scope="col">H${h + 1}</th>`)}</tr></thead>
        <tbody>
          ${Array.from({ length: g.layers }, (_, l) => html`<tr>
            <th scope="row">L${l + 1}</th>
            ${Array.from({ length: g.heads }, (_, h) => {
              const ref = { group: g.group, layer: l, head: h };
              const key = headKey(ref);
              const on = !off.has(key);
              const r = rankOf.get(key);
              return html`<td><button class="head ${on ? 'on' : 'off'}" data-group=${g.group} data-layer=${l} data-head=${h}
                tabindex=${l === 0 && h === 0 ? 0 : -1} aria-pressed=${on ? 'true' : 'false'}
                title=${`Layer ${l + 1}, head ${h + 1}: ${on ? 'on (click to switch off)' : 'off (click to switch on)'}${r === undefined ? '' : `; removed alone it changes the output by ${r.toFixed(4)}`}`}
                @click=${() => this.toggle(ref)}>
                <span class="sr-only">Layer ${l + 1}, head ${h + 1}:</span>
                <span class="state">${on ? 'on' : 'off'}</span>
                ${r === undefined ? nothing : html`<span class="heat" data-w=${Math.max(0, r) / maxRank}></span>`}
              </button></td>`;
            })}
          </tr>`)}
        </tbody>
      </table>
    </div>`;
  }

  // ---------------------------------------------------------------------------------------------- the output
  /** The likeliest tokens with bars. */
  private nextList(next: Extract<Outcome, { kind: 'lm' }>['next'], which: string) {
    return html`<ol class="next" data-which=${which}>
      ${next.map((n) => html`<li data-token=${n.token} data-prob=${n.prob}>
        <span class="tok">${show(n.token)}</span><span class="bar"><span data-w=${n.prob}></span></span><span class="num">${percent(n.prob)}</span></li>`)}
    </ol>`;
  }

  private renderLm(before: Extract<Outcome, { kind: 'lm' }>, after: Extract<Outcome, { kind: 'lm' }>, change: number) {
    const list = (o: typeof before, which: string) => this.nextList(o.next, which);
    const top = before.next[0];
    if (!this.result?.removed.length) return html`<h3>The next token, with every head</h3>${list(before, 'before')}${this.hint()}`;
    return html`<div class="pair">
        <div><h3>With every head</h3>${list(before, 'before')}</div>
        <div><h3>${this.withoutTitle()}</h3>${list(after, 'after')}</div>
      </div>
      ${top ? html`<p class="change" data-change=${change}>P(${quoted(top.token)}), the full model's first choice:
        ${percent(before.top)} → <strong>${percent(after.top)}</strong> (${points(-change)})</p>` : nothing}`;
  }

  /** BERT's [MASK]s: each one's fillers with every head and without the heads off, and the change of the first. */
  private renderMlm(before: Extract<Outcome, { kind: 'mlm' }>, after: Extract<Outcome, { kind: 'mlm' }>, r: AblationResult) {
    const mask = this.maskToken;
    if (!before.masks.length)
      return html`<p class="muted mlm-none">There is no ${mask} in the text, so there is no prediction to compare: type ${mask} where a word
        should go (e.g. “The capital of France is ${mask}.”).</p>`;
    const off = r.removed.length > 0;
    return html`${before.masks.map((b, n) => {
      const a = after.masks[n];
      const top = b.next[0];
      return html`<div class="mask" data-position=${b.position}>
        <h3>${mask} (token ${b.position})${off ? '' : ', with every head'}</h3>
        ${off ? html`<div class="pair">
            <div><h3>With every head</h3>${this.nextList(b.next, 'before')}</div>
            <div><h3>${this.withoutTitle()}</h3>${this.nextList(a.next, 'after')}</div>
          </div>
          <p class="change" data-change=${b.top - a.top}>P(${quoted(top.token)}), the full model's first choice:
            ${percent(b.top)} → <strong>${percent(a.top)}</strong> (${points(a.top - b.top)})</p>` : this.nextList(b.next, 'before')}
      </div>`;
    })}
    ${off && before.masks.length > 1 ? html`<p class="change total" data-change=${r.change}>On average over the ${before.masks.length} ${mask}s:
      <strong>${points(-r.change)}</strong></p>` : nothing}
    ${off ? nothing : this.hint()}`;
  }

  private renderTagger(before: Extract<Outcome, { kind: 'tagger' }>, after: Extract<Outcome, { kind: 'tagger' }>, r: AblationResult) {
    return html`<table class="tags">
        <thead><tr><th scope="col">Token</th><th scope="col">Tag, every head</th><th scope="col">${this.withoutTitle()}</th>
          <th scope="col">P(original tag)</th></tr></thead>
        <tbody>${r.tokens.map((t, i) => {
          const b = before.tags[i];
          const a = after.tags[i];
          const changed = a.tag !== b.tag;
          return html`<tr class=${changed ? 'changed' : ''} data-before=${b.tag} data-after=${a.tag} data-original=${a.original}>
            <td class="tok">${show(t)}</td><td>${b.tag} <span class="muted">${percent(b.prob)}</span></td>
            <td>${a.tag}${changed ? html` <span class="flag">changed</span>` : nothing}</td>
            <td>${percent(b.original)} → ${percent(a.original)} <span class="muted">(${points(a.original - b.original)})</span></td></tr>`;
        })}</tbody>
      </table>
      <p class="change" data-change=${r.change} data-changed=${r.changedTags ?? 0}>${r.changedTags ?? 0} of ${r.tokens.length} tags change; the original
        tags' probability changes by <strong>${points(-r.change)}</strong> on average.</p>`;
  }

  private renderDates(before: Extract<Outcome, { kind: 'dates' }>, after: Extract<Outcome, { kind: 'dates' }>, change: number) {
    if (!this.result?.removed.length)
      return html`<dl class="dates"><dt>The translation, with every head</dt><dd class="out" data-which="before">${before.text || '(nothing)'}</dd></dl>
        <p class="muted" data-before=${before.logprob}>Its log-probability: ${fixed(before.logprob, 3)} (the probability ${percent(Math.exp(before.logprob))}).</p>${this.hint()}`;
    return html`<dl class="dates">
        <dt>With every head</dt><dd class="out" data-which="before">${before.text || '(nothing)'}</dd>
        <dt>${this.withoutTitle()}</dt><dd class="out" data-which="after">${after.text ? '' : '(nothing)'}${marked(Array.from(before.text), Array.from(after.text), '')}</dd>
      </dl>
      <p class="change" data-change=${change} data-before=${before.logprob} data-after=${after.logprob}>log P(“${before.text}”), the full model's
        translation: ${fixed(before.logprob, 3)} → <strong>${fixed(after.logprob, 3)}</strong> (${signed(-change, 3)} nats; the probability
        ${percent(Math.exp(before.logprob))} → ${percent(Math.exp(after.logprob))})</p>`;
  }

  /** A lab run's answer (a date's characters, a toy task's numbers, or an encoder's label per input position), the
   * symbols that change marked, and log P(the full model's answer). */
  private renderLab(before: Extract<Outcome, { kind: 'lab' }>, after: Extract<Outcome, { kind: 'lab' }>, change: number) {
    const what = before.labels ? 'labels' : 'answer';
    const sep = before.spaced ? ' ' : '';
    const text = before.output.join(sep);
    const logprob = html`log P(“${text}”), the full model's ${what}`;
    if (!this.result?.removed.length)
      return html`<dl class="dates"><dt>The ${what}, with every head</dt><dd class="out" data-which="before">${text || '(nothing)'}</dd></dl>
        <p class="muted" data-before=${before.logprob}>${logprob}: ${fixed(before.logprob, 3)} (the probability ${percent(Math.exp(before.logprob))}).</p>${this.hint()}`;
    const same = before.output.filter((c, i) => after.output[i] === c).length;
    const changed = Math.max(before.output.length, after.output.length) - same;
    return html`<dl class="dates">
        <dt>With every head</dt><dd class="out" data-which="before">${text || '(nothing)'}</dd>
        <dt>${this.withoutTitle()}</dt><dd class="out" data-which="after">${after.output.length ? '' : '(nothing)'}${marked(before.output, after.output, sep)}</dd>
      </dl>
      <p class="change" data-change=${change} data-before=${before.logprob} data-after=${after.logprob} data-changed=${changed}>${changed} of
        ${before.output.length} ${before.labels ? 'labels' : 'symbols'} change${after.finished === before.finished ? '' : after.finished ? '; it now ends by itself' : '; it no longer ends by itself'}.
        ${logprob}: ${fixed(before.logprob, 3)} → <strong>${fixed(after.logprob, 3)}</strong> (${signed(-change, 3)} nats; the probability
        ${percent(Math.exp(before.logprob))} → ${percent(Math.exp(after.logprob))})</p>`;
  }

  private hint() {
    return html`<p class="muted hint">Switch heads off in the grid${this.rank ? ', or click a ranked head,' : ''} to see what changes${this.rank ? '' : ', or rank the heads'}.</p>`;
  }

  private withoutTitle() {
    const n = this.result?.removed.length ?? 0;
    return n ? `Without ${n === 1 ? 'that head' : `those ${n} heads`}${this.mode === 'mean' ? ' (their means)' : ''}` : 'Without (no head off)';
  }

  private renderRanking(r: AblationResult) {
    if (!r.ranking) return nothing;
    const unit = this.model === 'dates' ? 'nats of log P(translation)' : this.model === 'lm' ? 'points of P(first choice)'
      : this.model === 'mlm' ? `points of P(first choice), on average over the ${this.maskToken}s`
      : this.model === 'lab' ? 'nats of log P(answer)' : 'points of P(original tag), on average';
    const value = (x: number) => (this.model === 'dates' || this.model === 'lab' ? fixed(x, 3) : fixed(100 * x, 1));
    const max = Math.max(1e-12, ...r.ranking.map((x) => Math.abs(x.change)));
    const off = new Set(r.removed.map(headKey));
    const p = r.rankProgress;
    const running = p && p.done < p.total;
    return html`<section role="group" class="ranking" aria-label="Heads ranked by the change their removal makes" aria-busy=${running ? 'true' : 'false'}>
      ${running ? html`<p class="rank-progress" role="status">Removing each head alone: ${p.done} of ${p.total} done…
        <progress max=${p.total} .value=${p.done} aria-label="Heads ranked"></progress></p>` : nothing}
      <h3>Heads ranked: each removed alone${this.mode === 'mean' ? ' (replaced by its mean)' : ''}, the drop in ${unit}</h3>
      <p class="muted legend">Grey bars: removing that head makes the full model's answer likelier. The bar under each head of the grid is
        its drop. ${this.rankClick}</p>
      <ol>${r.ranking.map(({ head, change }) => html`<li data-head=${headKey(head)} data-change=${change} class=${off.has(headKey(head)) ? 'is-off' : ''}>
        <button class="rank-head" aria-pressed=${off.has(headKey(head)) ? 'false' : 'true'} @click=${() => this.emit('ablation-rank-head', head)}>${headName(head)}${off.has(headKey(head)) ? ' (off)' : ''}</button>
        <span class="bar ${change < 0 ? 'neg' : ''}"><span data-w=${Math.abs(change) / max}></span></span>
        <span class="num">${value(change)}</span></li>`)}</ol>
    </section>`;
  }

  override render() {
    const r = this.result;
    const heads = this.heads;
    const off = new Set(heads.map(headKey));
    const rankOf = new Map((r?.ranking ?? []).map((x) => [headKey(x.head), x.change]));
    let output: TemplateResult | typeof nothing = nothing;
    if (r && r.tokens.length) {
      const { before, after } = r;
      if (before.kind === 'lm' && after.kind === 'lm') output = this.renderLm(before, after, r.change);
      else if (before.kind === 'tagger' && after.kind === 'tagger') output = this.renderTagger(before, after, r);
      else if (before.kind === 'dates' && after.kind === 'dates') output = this.renderDates(before, after, r.change);
      else if (before.kind === 'mlm' && after.kind === 'mlm') output = this.renderMlm(before, after, r);
      else if (before.kind === 'lab' && after.kind === 'lab') output = this.renderLab(before, after, r.change);
    }
    return html`
      <fieldset class="mode"><legend>A removed head</legend>
        ${(['zero', 'mean'] as const).map((m) => html`<label><input type="radio" name="mode" value=${m} .checked=${this.mode === m}
          @change=${() => this.emit('ablation-mode', m)} /> ${m === 'zero' ? 'outputs zeros' : this.meanLabel}</label>`)}
      </fieldset>
      ${r?.truncated ? html`<p class="muted">${r.truncated}</p>` : nothing}
      <div class="grids">
        ${(r?.groups ?? []).map((g) => this.renderGrid(g, off, rankOf))}
      </div>
      <div class="grid-actions">
        <span class="muted count">${heads.length} of ${(r?.groups ?? []).reduce((n, g) => n + g.layers * g.heads, 0)} heads off</span>
        <button class="all-on" ?disabled=${!heads.length} @click=${() => this.setOff([])}>Switch every head on</button>
        <button class="rank-btn" aria-pressed=${this.rank ? 'true' : 'false'} @click=${() => this.emit('ablation-rank', !this.rank)}>${this.rank ? 'Hide the ranking' : 'Rank heads'}</button>
      </div>
      ${r && !r.tokens.length ? html`<p class="muted">Type a text to see what the model says.</p>` : nothing}
      <section class="output" aria-live="polite">${output}</section>
      ${r ? this.renderRanking(r) : nothing}
    `;
  }

  protected override updated() {
    // Bar widths as styles set from code: the strict CSP forbids inline style attributes.
    for (const el of this.renderRoot.querySelectorAll<HTMLElement>('[data-w]')) el.style.width = `${Math.round(1000 * Number(el.dataset.w)) / 10}%`;
  }

  // The colours are the widgets' (--w-*, widgets/theme.ts): inherited from <attn-ablation>, set from the page's by
  // the explorer (ablationPanelColours).
  static override styles = [
    srOnlyStyles,
    css`
      :host { display: block; }
      .muted { color: var(--w-muted); }
      button:not(.head):not(.rank-head) { font: inherit; font-size: 13px; padding: 3px 10px; border-radius: 7px; border: 1px solid var(--w-border);
        background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
      button:disabled { opacity: 0.5; cursor: default; }
      fieldset.mode { border: 0; padding: 0; margin: 0 0 8px; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; font-size: 13px; }
      fieldset.mode legend { float: left; padding: 0; margin-right: 8px; color: var(--w-muted); }
      .grids { display: flex; flex-wrap: wrap; gap: 10px 24px; }
      .grid-title { margin: 0 0 4px; font-size: 12.5px; font-weight: 600; color: var(--w-muted); }
      table.grid { border-collapse: separate; border-spacing: 3px; font-size: 12px; }
      table.grid th { color: var(--w-muted); font-weight: 500; padding: 0 4px; }
      button.head { position: relative; width: 46px; height: 30px; border-radius: 6px; border: 1px solid var(--w-border); cursor: pointer;
        font-size: 11.5px; overflow: hidden; padding: 0; }
      button.head.on { background: var(--w-accent-soft); color: var(--w-fg); }
      button.head.off { background: repeating-linear-gradient(135deg, var(--w-bg) 0 5px, var(--w-chip-bg) 5px 10px); color: var(--w-muted); text-decoration: line-through; }
      button.head:focus-visible { outline: 2px solid var(--w-focus); outline-offset: 1px; }
      button.head .heat { position: absolute; left: 0; bottom: 0; height: 4px; background: var(--w-accent); }
      .grid-actions { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; margin: 8px 0 12px; font-size: 13px; }
      .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 8px 24px; }
      h3 { font-size: 13.5px; margin: 4px 0 6px; }
      ol.next { list-style: none; padding: 0; margin: 0; max-width: 560px; }
      ol.next li, .ranking li { display: grid; grid-template-columns: minmax(70px, 9em) 1fr 4.2em; gap: 8px; align-items: center; font-size: 13px; padding: 1px 0; }
      .bar { height: 10px; background: var(--w-chip-bg); border-radius: 5px; overflow: hidden; }
      .bar > span { display: block; height: 100%; background: var(--w-accent); }
      .bar.neg > span { background: var(--w-muted); }
      .num { text-align: right; font-variant-numeric: tabular-nums; }
      .tok { font-weight: 600; white-space: pre; unicode-bidi: isolate; }
      .change { margin: 10px 0; font-size: 13.5px; }
      table.tags { border-collapse: collapse; font-size: 13px; }
      table.tags th, table.tags td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid var(--w-border); }
      table.tags tr.changed td { background: var(--w-error-bg); }
      .flag { color: var(--w-error); font-size: 11.5px; font-weight: 600; }
      dl.dates { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; font-size: 13.5px; }
      dl.dates dt { color: var(--w-muted); }
      dl.dates dd { margin: 0; font: 600 16px ui-monospace, monospace; }
      mark { background: var(--w-error-bg); color: var(--w-error); border-radius: 2px; }
      .ranking h3 { margin-top: 14px; }
      .ranking ol { list-style: none; padding: 0; margin: 0; columns: 2 320px; column-gap: 24px; }
      .ranking li { grid-template-columns: minmax(130px, 15em) 1fr 3.6em; break-inside: avoid; }
      button.rank-head { text-align: left; background: none; border: 0; padding: 0; min-height: 24px; color: var(--w-fg); cursor: pointer; font-size: 12.5px; } /* 24 px: a target a finger can hit (WCAG 2.5.8) */
      button.rank-head:hover { text-decoration: underline; }
      .ranking li.is-off button.rank-head { color: var(--w-muted); text-decoration: line-through; }
      .legend, .hint { font-size: 12.5px; margin: 4px 0 8px; }
      .mask + .mask { margin-top: 10px; }
      .rank-progress { font-size: 13px; display: flex; gap: 10px; align-items: center; margin: 6px 0; }
    `,
  ];
}

/** For a host that is not a widget: the panel's colours from the page's (styles.css), light and dark. */
export const ablationPanelColours = css`
  attn-ablation-panel { --w-fg: var(--fg); --w-muted: var(--muted); --w-border: var(--border); --w-accent: var(--accent);
    --w-accent-soft: var(--accent-soft); --w-focus: var(--focus); --w-input-bg: var(--input-bg); --w-chip-bg: var(--chip-bg);
    --w-bg: var(--panel); --w-error: var(--error); --w-error-bg: var(--error-bg); }
`;

/** `heads` with h switched: removed if there, added if not. */
export function toggled(heads: HeadRef[], h: HeadRef): HeadRef[] {
  const key = headKey(h);
  return heads.some((x) => headKey(x) === key) ? heads.filter((x) => headKey(x) !== key) : [...heads, h];
}

// ---------------------------------------------------------------------------------------------------- exports
/** A table to export (CSV, JSON): one row per label, text columns, then number columns. */
function table(title: string, rowTitle: string, rowLabels: string[], texts: { title: string; values: string[] }[],
  numbers: { title: string; values: number[] }[]): MatrixExport {
  const cols = numbers.length;
  const matrix = new Float64Array(rowLabels.length * cols);
  numbers.forEach((c, j) => c.values.forEach((x, i) => (matrix[i * cols + j] = x)));
  return { title, matrix, rows: rowLabels.length, cols, rowLabels, colLabels: numbers.map((c) => c.title), rowTitle, colTitle: 'value',
    textColumns: texts, formats: ['csv', 'json'] };
}

/**
 * The outcome the panel shows, as tables: with every head and, with heads off, without them (lm, mlm: the likeliest
 * tokens and their probabilities; tagger: each token's tag, its probability and the original tag's; dates, lab: the
 * answer and log P(the full model's answer)); and with heads off, the change the panel measures (before, after, drop).
 */
function outcomeExports(r: AblationResult, o: { mode: 'zero' | 'mean'; maskToken?: string }): MatrixExport[] {
  const out: MatrixExport[] = [];
  const off = r.removed.length > 0;
  const without = `without ${r.removed.map(headKey).join(', ')}${o.mode === 'mean' ? ' (their means)' : ''}`;
  const titled = (what: string) => `${what}, with every head${off ? ` and ${without}` : ''}`;
  /** A column with every head, and one without the heads off (when some are). */
  const both = <T>(name: string, before: T[], after: T[]) => [{ title: `${name}, every head`, values: before },
    ...(off ? [{ title: `${name}, ${without}`, values: after }] : [])];
  const { before, after } = r;
  /** The change the panel measures, with heads off: before, after and the drop. */
  const change = (measures: { name: string; before: number; after: number }[]) => {
    if (off) out.push(table(`The change: ${without}`, 'measure', measures.map((m) => m.name), [],
      [{ title: 'every head', values: measures.map((m) => m.before) }, { title: without, values: measures.map((m) => m.after) },
        { title: 'drop', values: measures.map((m) => m.before - m.after) }]));
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  if (before.kind === 'lm' && after.kind === 'lm') {
    out.push(table(titled(`The next token: the ${before.next.length} likeliest`), 'rank', before.next.map((_, i) => String(i + 1)),
      both('token', before.next.map((n) => n.token), after.next.map((n) => n.token)),
      both('P', before.next.map((n) => n.prob), after.next.map((n) => n.prob))));
    if (before.next[0]) change([{ name: `P(“${before.next[0].token}”), the full model's first choice`, before: before.top, after: after.top }]);
  } else if (before.kind === 'mlm' && after.kind === 'mlm') {
    const mask = o.maskToken ?? '[MASK]';
    const rows = before.masks.flatMap((b, n) => b.next.map((_, i) => ({ b, a: after.masks[n], i })));
    out.push(table(titled(`Each ${mask}: the likeliest fillers`), `${mask} · rank`, rows.map(({ b, i }) => `${mask} (token ${b.position}) · ${i + 1}`),
      both('token', rows.map(({ b, i }) => b.next[i].token), rows.map(({ a, i }) => a?.next[i]?.token ?? '')),
      both('P', rows.map(({ b, i }) => b.next[i].prob), rows.map(({ a, i }) => a?.next[i]?.prob ?? NaN))));
    const each = before.masks.map((b, n) => ({ name: `P(“${b.next[0]?.token ?? ''}”) at ${mask} (token ${b.position})`, before: b.top, after: after.masks[n]?.top ?? NaN }));
    change(each.length > 1 ? [...each, { name: `mean over the ${mask}s`, before: mean(each.map((m) => m.before)), after: mean(each.map((m) => m.after)) }] : each);
  } else if (before.kind === 'tagger' && after.kind === 'tagger') {
    out.push(table(titled('The tags'), 'token', r.tokens, both('tag', before.tags.map((t) => t.tag), after.tags.map((t) => t.tag)),
      [{ title: 'P(tag), every head', values: before.tags.map((t) => t.prob) },
        ...(off ? [{ title: `P(original tag), ${without}`, values: after.tags.map((t) => t.original) }, { title: `P(tag), ${without}`, values: after.tags.map((t) => t.prob) }] : [])]));
    change([{ name: 'P(original tag), the mean over the tokens', before: mean(before.tags.map((t) => t.original)), after: mean(after.tags.map((t) => t.original)) }]);
  } else if ((before.kind === 'dates' && after.kind === 'dates') || (before.kind === 'lab' && after.kind === 'lab')) {
    const text = (x: Outcome) => (x.kind === 'dates' ? x.text : x.kind === 'lab' ? x.output.join(x.spaced ? ' ' : '') : '');
    const what = before.kind === 'dates' ? 'translation' : before.labels ? 'labels' : 'answer';
    const logp = `log P(the full model's ${what})`;
    out.push(table(titled(`The ${what}`), 'heads', ['every head', ...(off ? [without] : [])], [{ title: what, values: [text(before), ...(off ? [text(after)] : [])] }],
      [{ title: logp, values: [before.logprob, ...(off ? [after.logprob] : [])] }]));
    change([{ name: logp, before: before.logprob, after: after.logprob }]);
  }
  return out;
}

/**
 * What the panel shows, as exports (export.ts): the outcome (outcomeExports; none without tokens: the panel asks for
 * a text) and, once computed, the ranking: per attention kind, layers × heads, the drop when that head alone is
 * removed (NaN for a head not ranked yet).
 */
export function ablationExports(r: AblationResult | undefined, o: { mode: 'zero' | 'mean'; maskToken?: string }): MatrixExport[] {
  if (!r) return [];
  const out = r.tokens.length ? outcomeExports(r, o) : [];
  const ranking = r.ranking;
  // The drops are signed (a head whose removal helps has a negative one): a diverging map, symmetric around 0.
  const most = Math.max(1e-12, ...(ranking ?? []).map((x) => Math.abs(x.change)));
  if (ranking)
    for (const g of r.groups)
      out.push({
        title: `${g.title}: change when each head is removed alone`,
        matrix: Float64Array.from({ length: g.layers * g.heads }, (_, k) =>
          ranking.find((x) => x.head.group === g.group && x.head.layer === Math.floor(k / g.heads) && x.head.head === k % g.heads)?.change ?? NaN),
        rows: g.layers, cols: g.heads,
        rowLabels: Array.from({ length: g.layers }, (_, l) => `layer ${l + 1}`),
        colLabels: Array.from({ length: g.heads }, (_, h) => `head ${h + 1}`),
        rowTitle: 'layer', colTitle: 'head', colormap: 'rdbu', domain: [-most, most],
      });
  return out;
}

/** `after`'s symbols, separated by `sep`, each one that differs from `before`'s at its position marked, and a dot for
 * each symbol of `before` past its end (what it no longer writes). */
function marked(before: string[], after: string[], sep: string) {
  const missing = before.length - after.length;
  return html`${after.map((c, i) => html`${i ? sep : ''}${c === before[i] ? c : html`<mark>${c}</mark>`}`)}${missing > 0
    ? html`<mark class="gone" title="symbols it no longer writes">${'·'.repeat(missing)}</mark>` : nothing}`;
}

/** A token as shown: spaces visible, line breaks as ⏎. */
function show(s: string) {
  return s === ' ' ? '␣' : s.replace(/\n/g, '⏎');
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-ablation-panel': AttnAblationPanel;
  }
}
