// <lab-batch>: the data as the model gets it. One training batch of the run, exactly the one its next step
// trains on (Run.nextBatch): the inputs padded to the batch's longest, the decoder's input shifted for teacher
// forcing, and the targets, with the positions that carry no loss marked. Opened on demand; Refresh takes the
// next batch again while the run trains. Blocks are separated by an empty cell (no inline styles: strict CSP).
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { LabStore, RunRecord } from './lab-store';
import type { RunBatch } from './protocol';

const ROWS = 8;

@customElement('lab-batch')
export class LabBatch extends LitElement {
  @property({ attribute: false }) store!: LabStore;
  @property({ attribute: false }) run!: RunRecord;
  @state() private batch?: RunBatch & { step: number };
  @state() private error = '';
  @state() private loading = false;
  private open = false;
  private shownRun = '';

  override willUpdate() {
    if (this.run.id !== this.shownRun) {
      this.shownRun = this.run.id;
      this.batch = undefined;
      this.error = '';
      if (this.open) void this.fetch();
    }
  }

  private async fetch() {
    const id = this.run.id;
    this.loading = true;
    try {
      const step = this.run.steps.at(-1) ?? 0;
      const b = await this.store.batch(id);
      if (id === this.run.id) {
        this.batch = { ...b, step };
        this.error = '';
      }
    } catch (e) {
      if (id === this.run.id) this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  private toggled(e: Event) {
    this.open = (e.target as HTMLDetailsElement).open;
    if (this.open && !this.batch) void this.fetch();
  }

  /** One row of one block: the tokens of example r, padding and unscored positions faded. */
  private cells(ids: Int32Array, r: number, len: number, b: RunBatch, scored: boolean) {
    const out = [];
    for (let t = 0; t < len; t++) {
      const id = ids[r * len + t];
      const label = b.vocab[id] ?? String(id);
      if (scored && id === b.ignore_index) out.push(html`<td class="off" title="no loss here">·</td>`);
      else if (id === 0 && label === '<pad>') out.push(html`<td class="pad" title="padding">pad</td>`);
      else out.push(html`<td class=${label.startsWith('<') ? 'special' : ''}>${label}</td>`);
    }
    return out;
  }

  private renderBatch(b: RunBatch & { step: number }) {
    const encdec = b.T > 0;
    const rows = Math.min(ROWS, b.B);
    let real = 0;
    for (const id of b.src) if (id !== 0) real++;
    const share = b.src.length ? real / b.src.length : 0;
    const outLen = encdec ? b.T : b.S;
    const blocks = encdec
      ? [
          { title: 'Encoder input', ids: b.src, len: b.S, scored: false },
          { title: 'Decoder input: <bos> + answer', ids: b.tgt, len: b.T, scored: false },
          { title: 'Target: answer + <eos>', ids: b.targets, len: b.T, scored: true },
        ]
      : [
          { title: 'Sequence: input <bos> answer', ids: b.src, len: b.S, scored: false },
          { title: 'Target: the next token, scored on the answer only', ids: b.targets, len: b.S, scored: true },
        ];
    return html`
      <p class="about" data-batch=${`${b.B}x${b.S}x${b.T}`}>
        ${b.step < this.run.config.steps ? `The batch of step ${b.step + 1}` : 'A batch of the training data'}: <strong>${b.B}</strong> examples from the training part, drawn with 15 other batches
        and sorted by input length, so each batch is padded only to its own longest input:
        <strong>${b.S}</strong> tokens in${encdec ? html`, <strong>${b.T}</strong> out` : nothing};
        ${Math.round(100 * share)}% of the input cells are tokens, the rest padding.
        ${encdec
          ? html`Teacher forcing: the decoder reads the true answer shifted right by one (<code>&lt;bos&gt;</code> first) and
              is scored on each next token.`
          : html`One causal sequence: the model reads the input, <code>&lt;bos&gt;</code> and the answer, and at every
              position is scored on the next token, but only where that token is part of the answer.`}
        Positions marked · carry no loss.</p>
      <div class="scroll">
        <table aria-label="The first ${rows} examples of the batch, as token ids turned back into symbols">
          <thead><tr><th scope="col">#</th>${blocks.map((k) => html`<td class="gap"></td><th scope="colgroup" colspan=${k.len} class="block">${k.title}</th>`)}</tr></thead>
          <tbody>
            ${Array.from({ length: rows }, (_, r) => html`<tr><th scope="row">${r + 1}</th>${blocks.map((k) =>
              html`<td class="gap"></td>${this.cells(k.ids, r, k.len, b, k.scored)}`)}</tr>`)}
          </tbody>
        </table>
      </div>
      <p class="muted">${b.B > rows ? `${rows} of ${b.B} rows shown. ` : ''}Shapes: input [${b.B}, ${b.S}]${
        encdec ? `, decoder input [${b.B}, ${b.T}]` : ''}, targets [${b.B}, ${outLen}], as the engine's loss reads them.</p>`;
  }

  override render() {
    return html`<details @toggle=${(e: Event) => this.toggled(e)}>
      <summary>The data: one training batch, as the model gets it</summary>
      <div class="body">
        <button data-action="refresh-batch" ?disabled=${this.loading} @click=${() => this.fetch()}
          title="The batch the next training step will use">${this.batch ? 'Refresh' : 'Show'}</button>
        ${this.error ? html`<p class="problem" role="alert">${this.error}</p>` : nothing}
        ${this.batch ? this.renderBatch(this.batch) : this.loading ? html`<p class="muted">Drawing the batch…</p>` : nothing}
      </div>
    </details>`;
  }

  static override styles = css`
    :host { display: block; margin: 10px 0 4px; }
    summary { cursor: pointer; font-size: 13px; font-weight: 600; }
    summary:focus-visible, button:focus-visible { outline: 2px solid var(--w-focus); outline-offset: 2px; }
    .body { padding: 6px 0 0; }
    .about { font-size: 12.5px; margin: 6px 0; max-width: 900px; }
    .muted { color: var(--w-muted); font-size: 12px; margin: 4px 0 0; }
    .problem { color: var(--w-error); background: var(--w-error-bg); padding: 4px 10px; border-radius: 8px; font-size: 13px; }
    button { font: inherit; font-size: 12.5px; padding: 3px 10px; border-radius: 7px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    button:disabled { opacity: 0.5; }
    code { font: 12px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
    .scroll { overflow-x: auto; }
    table { border-collapse: separate; border-spacing: 2px; font: 12px ui-monospace, monospace; }
    th { font: 600 11.5px system-ui, sans-serif; color: var(--w-muted); text-align: left; padding: 2px 4px; white-space: nowrap; }
    th.block { border-bottom: 2px solid var(--w-border); }
    td.gap { min-width: 6px; padding: 0; background: none; }
    td { min-width: 18px; padding: 2px 4px; text-align: center; background: var(--w-code-bg); border-radius: 4px; }
    td.pad { background: none; color: var(--w-muted); opacity: 0.6; font-size: 10.5px; border: 1px dashed var(--w-border); }
    td.off { background: none; color: var(--w-muted); }
    td.special { color: var(--w-accent); font-weight: 600; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-batch': LabBatch;
  }
}
