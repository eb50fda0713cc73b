// <attn-matrix>: a small matrix as a table of numbers, for computing by hand. Three modes:
//   show     read-only values (3 decimals shown; the exact value in the cell's title)
//   edit     every cell is an input; a bad entry (not a number, empty, NaN, ±Infinity, |x| > 1e6) is flagged on
//            that cell with the reason and is NOT sent on, so the rest keeps its last good values
//   answer   blank inputs for an exercise; check() marks each cell right or wrong against the expected values
// Events: `matrix-edit` {row, col, value} for each valid edit in edit mode.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

export const MAX_ABS_INPUT = 1e6;

/** A typed number: "1", "-0.5", ".5", "1e-3", "−2" (Unicode minus), "1,5" (decimal comma). Errors say why. */
export function parseCell(text: string): { value: number } | { error: string } {
  const t = text.trim().replace(/\u2212/g, '-').replace(/^(-?\d*),(\d+)$/, '$1.$2');
  if (t === '') return { error: 'empty: type a number' };
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return { error: `"${text.trim().slice(0, 12)}" is not a number` };
  const value = Number(t);
  if (!Number.isFinite(value)) return { error: 'too large' };
  if (Math.abs(value) > MAX_ABS_INPUT) return { error: `keep it within ±${MAX_ABS_INPUT.toExponential(0)}` };
  return { value };
}

/** 3 decimals, no "-0.000". */
export function formatCell(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  const s = v.toFixed(3);
  return (s === '-0.000' ? '0.000' : s).replace('-', '−');
}

/** "W_Q" -> W<sub>Q</sub>: matrix names as they are written in the lesson. */
function subscripted(name: string) {
  const at = name.indexOf('_');
  return at < 0 ? name : html`${name.slice(0, at)}<sub>${name.slice(at + 1)}</sub>`;
}

@customElement('attn-matrix')
export class AttnMatrix extends LitElement {
  @property() name = '';
  @property() shape = ''; // e.g. "3 × 2", shown under the name
  @property({ attribute: false }) values: number[][] = [];
  @property({ attribute: false }) rowLabels: string[] = [];
  @property({ attribute: false }) colLabels: string[] = [];
  @property() mode: 'show' | 'edit' | 'answer' = 'show';
  /** Cells to draw as masked (−∞ in a mask, or a masked weight): [row][col]. */
  @property({ attribute: false }) masked?: boolean[][];

  @state() private texts: string[][] = [];
  @state() private errors: string[][] = [];
  @state() private marks: ('right' | 'wrong' | '')[][] = [];

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('values') || changed.has('mode')) {
      const fresh = this.values.map((r) => r.map((v) => (this.mode === 'answer' ? '' : String(v))));
      // Keep what the user is typing in edit mode: only reset cells without an error.
      if (this.mode === 'edit' && this.texts.length === fresh.length && this.texts[0]?.length === fresh[0]?.length)
        this.texts = fresh.map((r, i) => r.map((t, j) => (this.errors[i]?.[j] ? this.texts[i][j] : t)));
      else {
        this.texts = fresh;
        this.errors = fresh.map((r) => r.map(() => ''));
      }
      if (changed.has('mode') || this.marks.length !== fresh.length) this.marks = fresh.map((r) => r.map(() => ''));
    }
  }

  /** Answer mode: marks each cell against `expected` (abs tolerance, or relative for large values). */
  check(expected: number[][], tol = 0.01): { right: number; total: number } {
    let right = 0;
    let total = 0;
    this.marks = expected.map((row, i) =>
      row.map((v, j) => {
        total++;
        const p = parseCell(this.texts[i]?.[j] ?? '');
        const ok = 'value' in p && Math.abs(p.value - v) <= Math.max(tol, tol * Math.abs(v));
        if (ok) right++;
        return ok ? 'right' : 'wrong';
      }),
    );
    return { right, total };
  }

  private onInput(i: number, j: number, ev: Event) {
    const text = (ev.target as HTMLInputElement).value;
    this.texts = this.texts.map((r, a) => (a === i ? r.map((t, b) => (b === j ? text : t)) : r));
    if (this.mode === 'answer') {
      this.marks = this.marks.map((r, a) => (a === i ? r.map((m, b) => (b === j ? '' : m)) : r));
      return;
    }
    const p = parseCell(text);
    this.errors = this.errors.map((r, a) => (a === i ? r.map((e, b) => (b === j ? ('error' in p ? p.error : '') : e)) : r));
    if ('value' in p)
      this.dispatchEvent(new CustomEvent('matrix-edit', { detail: { row: i, col: j, value: p.value }, bubbles: true, composed: true }));
  }

  override render() {
    const rows = this.values.length;
    const cols = this.values[0]?.length ?? 0;
    const firstError = this.errors.flat().find((e) => e);
    return html`<figure>
      <figcaption><span class="name">${subscripted(this.name)}</span>${this.shape ? html` <span class="shape">${this.shape}</span>` : nothing}</figcaption>
      <table class=${this.mode} aria-label="${this.name} ${rows} by ${cols}">
        ${this.colLabels.length
          ? html`<thead><tr><td class="corner"></td>${this.colLabels.slice(0, cols).map((c) => html`<th scope="col" dir="auto">${c}</th>`)}</tr></thead>`
          : nothing}
        <tbody>
          ${this.values.map(
            (row, i) => html`<tr>
              ${this.rowLabels.length ? html`<th scope="row" dir="auto">${this.rowLabels[i] ?? ''}</th>` : nothing}
              ${row.map((v, j) => {
                const masked = this.masked?.[i]?.[j];
                if (this.mode === 'show')
                  return html`<td class=${masked ? 'masked' : ''} title=${String(v)}>${formatCell(v)}</td>`;
                const err = this.errors[i]?.[j];
                const mark = this.marks[i]?.[j];
                return html`<td class="in ${err ? 'bad' : ''} ${mark}">
                  <input
                    inputmode="decimal"
                    autocomplete="off"
                    spellcheck="false"
                    .value=${this.texts[i]?.[j] ?? ''}
                    aria-label="${this.name} row ${i + 1} column ${j + 1}"
                    aria-invalid=${err || mark === 'wrong' ? 'true' : 'false'}
                    title=${err || (mark === 'wrong' ? 'not quite' : mark === 'right' ? 'right' : '')}
                    @input=${(e: Event) => this.onInput(i, j, e)}
                  />
                </td>`;
              })}
            </tr>`,
          )}
        </tbody>
      </table>
      ${firstError ? html`<p class="err" role="alert">${firstError}</p>` : nothing}
    </figure>`;
  }

  static override styles = css`
    :host { display: inline-block; vertical-align: top; }
    figure { margin: 0; }
    figcaption { font-size: 13px; margin-bottom: 4px; }
    .name { font-weight: 700; font-family: 'STIX Two Math', 'Cambria Math', serif; font-size: 15px; }
    .shape { color: var(--w-muted, #666); font-size: 12px; }
    table { border-collapse: separate; border-spacing: 2px; font-variant-numeric: tabular-nums; font-size: 13px; }
    th { font-weight: 500; color: var(--w-muted, #666); font-size: 12px; padding: 0 4px; max-width: 80px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    td { min-width: 52px; text-align: right; padding: 3px 6px; background: var(--w-code-bg, #f3f1fa); border-radius: 5px; }
    td.corner { min-width: 0; background: none; } /* above the row labels: no header of its own */
    td.masked { color: var(--w-muted, #888); background: repeating-linear-gradient(135deg, transparent 0 4px, rgba(127, 127, 140, 0.25) 4px 6px); }
    td.in { padding: 0; background: none; }
    input { width: 60px; box-sizing: border-box; text-align: right; font: inherit; padding: 3px 5px; border: 1px solid var(--w-border, #ccc); border-radius: 5px; background: var(--w-input-bg, #fff); color: var(--w-fg, #111); }
    td.bad input, td.wrong input { border-color: var(--w-error, #b91c1c); background: var(--w-error-bg, #fde8e8); }
    td.right input { border-color: var(--w-ok, #166534); background: var(--w-ok-bg, #dcfce7); }
    .err { color: var(--w-error, #b91c1c); font-size: 12px; margin: 4px 0 0; max-width: 260px; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-matrix': AttnMatrix;
  }
}
