// <token-chips>: the tokens as chips that can be edited (click or Enter), inserted (+), deleted (x or Delete)
// and reordered (drag, or Alt+Left / Alt+Right). Every change fires `chip-edit` with the operation
// (state/store.ts applies it to the text). With `tags`, each chip shows a label under it (the tagger's output).
// Tokens the tokenizer adds ([CLS], [SEP], </s>: `special`) are shown by name, dashed, and cannot be edited.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ChipEdit } from '../state/store';

@customElement('token-chips')
export class TokenChips extends LitElement {
  @property({ attribute: false }) tokens: string[] = [];
  /** Index of the query row the heatmap highlights, to echo it on the chips. */
  @property({ type: Number }) highlight = -1;
  @property({ type: Boolean }) truncated = false;
  @property({ type: Number }) max = 512;
  /** Optional labels under the chips (one per token), e.g. part-of-speech tags with their probability. */
  @property({ attribute: false }) tags?: { tag: string; prob: number; continues?: boolean }[];
  /** Per token: added by the tokenizer, not typed (a fixed chip). */
  @property({ attribute: false }) special?: boolean[];

  @state() private editing = -1;
  @state() private dragFrom = -1;
  @state() private dropAt = -1;

  private emit(edit: ChipEdit, focus?: number) {
    this.dispatchEvent(new CustomEvent<ChipEdit>('chip-edit', { detail: edit, bubbles: true, composed: true }));
    if (focus !== undefined) this.updateComplete.then(() => setTimeout(() => this.focusChip(focus), 0));
  }

  private focusChip(i: number) {
    this.renderRoot.querySelector<HTMLElement>(`[data-index="${i}"] .chip-text`)?.focus();
  }

  private startEdit(i: number) {
    this.editing = i;
    this.updateComplete.then(() => {
      const input = this.renderRoot.querySelector<HTMLInputElement>('input.chip-input');
      input?.focus();
      input?.select();
    });
  }

  private commit(i: number, value: string) {
    if (this.editing !== i) return;
    this.editing = -1;
    if (value.trim() === this.tokens[i]) return;
    this.emit(value.trim() === '' ? { op: 'delete', index: i } : { op: 'edit', index: i, text: value }, Math.max(0, i));
  }

  private removeAt(i: number) {
    this.emit({ op: 'delete', index: i }, Math.min(i, this.tokens.length - 2));
  }

  private insertAfter(i: number) {
    if (this.tokens.length >= this.max) return;
    this.pendingEdit = i + 1;
    this.emit({ op: 'insert', after: i, text: 'new' });
  }

  private move(from: number, to: number) {
    if (from === to || to < 0 || to > this.tokens.length - 1) return;
    this.emit({ op: 'move', from, to }, to);
  }

  /** After an insert, the new chip opens for editing once it exists. */
  private pendingEdit = -1;

  override updated() {
    if (this.pendingEdit >= 0 && this.pendingEdit < this.tokens.length && this.tokens[this.pendingEdit] === 'new') {
      const i = this.pendingEdit;
      this.pendingEdit = -1;
      this.startEdit(i);
    }
  }

  private onChipKey(ev: KeyboardEvent, i: number) {
    if (this.special?.[i]) {
      if (ev.key === 'ArrowLeft') this.focusChip(Math.max(0, i - 1));
      else if (ev.key === 'ArrowRight') this.focusChip(Math.min(this.tokens.length - 1, i + 1));
      else return;
      ev.preventDefault();
      return;
    }
    if (ev.altKey && ev.key === 'ArrowLeft') this.move(i, i - 1);
    else if (ev.altKey && ev.key === 'ArrowRight') this.move(i, i + 1);
    else if (ev.key === 'Delete' || ev.key === 'Backspace') this.removeAt(i);
    else if (ev.key === 'Enter' || ev.key === 'F2') this.startEdit(i);
    else if (ev.key === 'Insert' || ev.key === '+') this.insertAfter(i);
    else if (ev.key === 'ArrowLeft') this.focusChip(Math.max(0, i - 1));
    else if (ev.key === 'ArrowRight') this.focusChip(Math.min(this.tokens.length - 1, i + 1));
    else return;
    ev.preventDefault();
  }

  private onInputKey(ev: KeyboardEvent, i: number) {
    const input = ev.target as HTMLInputElement;
    if (ev.key === 'Enter') this.commit(i, input.value);
    else if (ev.key === 'Escape') {
      this.editing = -1;
      this.updateComplete.then(() => this.focusChip(i));
    } else return;
    ev.preventDefault();
  }

  // Drag and drop (pointer users); the keyboard has Alt+arrows.
  private onDragStart(ev: DragEvent, i: number) {
    this.dragFrom = i;
    ev.dataTransfer?.setData('text/plain', this.tokens[i]);
    if (ev.dataTransfer) ev.dataTransfer.effectAllowed = 'move';
  }

  private onDragOver(ev: DragEvent, i: number) {
    if (this.dragFrom < 0) return;
    ev.preventDefault();
    const rect = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    this.dropAt = ev.clientX < rect.left + rect.width / 2 ? i : i + 1;
  }

  private onDrop(ev: DragEvent) {
    ev.preventDefault();
    const from = this.dragFrom;
    let to = this.dropAt;
    this.dragFrom = this.dropAt = -1;
    if (from < 0 || to < 0) return;
    if (to > from) to -= 1;
    this.move(from, to);
  }

  private onDragEnd() {
    this.dragFrom = this.dropAt = -1;
  }

  override render() {
    return html`
      <ol class="chips ${this.tags ? 'tagged' : ''}" aria-label="Tokens" @drop=${this.onDrop}>
        ${this.tokens.map((t, i) => this.special?.[i]
          ? html`<li class="chip special ${i === this.highlight ? 'hl' : ''}" data-index=${i}>
              <span class="idx" aria-hidden="true">${i}</span>
              <span class="chip-text" tabindex="-1" dir="ltr" title="Added by the tokenizer: not part of your text"
                aria-label="Token ${i}: ${t}, added by the tokenizer" @keydown=${(e: KeyboardEvent) => this.onChipKey(e, i)}>${t}</span>
            </li>`
          : html`<li
            class="chip ${i === this.highlight ? 'hl' : ''} ${i === this.dragFrom ? 'dragging' : ''} ${this.dropAt === i ? 'drop-before' : ''} ${this.dropAt === i + 1 && i === this.tokens.length - 1 ? 'drop-after' : ''}"
            data-index=${i}
            draggable=${this.editing === i ? 'false' : 'true'}
            @dragstart=${(e: DragEvent) => this.onDragStart(e, i)}
            @dragover=${(e: DragEvent) => this.onDragOver(e, i)}
            @dragend=${this.onDragEnd}
          >
            <span class="idx" aria-hidden="true">${i}</span>
            ${this.editing === i
              ? html`<input
                  class="chip-input"
                  dir="auto"
                  aria-label="Edit token ${i}"
                  .value=${t}
                  size=${Math.max(2, Math.min(24, [...t].length + 1))}
                  maxlength="100"
                  @keydown=${(e: KeyboardEvent) => this.onInputKey(e, i)}
                  @blur=${(e: FocusEvent) => this.commit(i, (e.target as HTMLInputElement).value)}
                />`
              : html`<button
                  class="chip-text"
                  dir="auto"
                  title="Click to edit · Alt+←/→ to move · Delete to remove · + to insert after"
                  aria-label="Token ${i}: ${t}. Enter to edit, Alt+arrows to move, Delete to remove, plus to insert after."
                  @click=${() => this.startEdit(i)}
                  @keydown=${(e: KeyboardEvent) => this.onChipKey(e, i)}
                >${t}</button>`}
            <button class="chip-btn ins" aria-label="Insert a token after ${t}" title="Insert after" @click=${() => this.insertAfter(i)}>+</button>
            <button class="chip-btn del" aria-label="Delete token ${t}" title="Delete" @click=${() => this.removeAt(i)}>×</button>
            ${this.tags?.[i]
              ? html`<span
                  class="tag tag-${tagClass(this.tags[i].tag)} ${this.tags[i].continues ? 'cont' : ''}"
                  title="${this.tags[i].tag}: ${(100 * this.tags[i].prob).toFixed(1)}%${this.tags[i].continues
                    ? ' (this token continues the word before it; the word is tagged by its first token)'
                    : ''}"
                  >${this.tags[i].tag}</span
                >`
              : nothing}
          </li>`,
        )}
        ${this.tokens.length < this.max
          ? html`<li class="add"><button class="chip-btn add-btn" @click=${() => this.insertAfter(this.tokens.length - 1)}>+ token</button></li>`
          : nothing}
      </ol>
      ${this.truncated ? html`<p class="note" role="status">Only the first ${this.max} tokens are used.</p>` : nothing}
    `;
  }

  static override styles = css`
    :host { display: block; }
    .chips { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; max-height: 220px; overflow: auto; }
    .chip {
      display: inline-flex;
      align-items: center;
      gap: 2px;
      padding: 2px 3px 2px 6px;
      border-radius: 8px;
      background: var(--chip-bg, #efedf8);
      border: 1px solid var(--chip-border, #dcd8f0);
      font-size: 13.5px;
      position: relative;
    }
    .chip.special { background: transparent; border-style: dashed; color: var(--muted, #666); padding-right: 7px; }
    .chip.special .chip-text { cursor: default; font-size: 12.5px; }
    .chip.hl { background: var(--accent-soft, #ddd4ff); border-color: var(--accent, #5b3cc4); }
    .chip.dragging { opacity: 0.4; }
    .chip.drop-before { box-shadow: -3px 0 0 var(--accent, #5b3cc4); }
    .chip.drop-after { box-shadow: 3px 0 0 var(--accent, #5b3cc4); }
    .idx { font-size: 10px; color: var(--muted, #777); margin-right: 3px; font-variant-numeric: tabular-nums; }
    .chip-text {
      all: unset;
      cursor: text;
      padding: 1px 2px;
      border-radius: 4px;
      max-width: 16em;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: pre;
      unicode-bidi: isolate;
    }
    .chip-text:focus-visible, .chip-btn:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .chip-input { font: inherit; padding: 0 3px; border: 1px solid var(--accent, #5b3cc4); border-radius: 4px; background: var(--panel, #fff); color: inherit; }
    .chip-btn {
      all: unset;
      cursor: pointer;
      width: 18px;
      height: 18px;
      line-height: 18px;
      text-align: center;
      border-radius: 5px;
      color: var(--muted, #777);
      font-size: 14px;
    }
    .chip-btn:hover { background: rgba(0, 0, 0, 0.08); color: var(--fg, #222); }
    .chip .ins { opacity: 0; }
    .chip:hover .ins, .chip:focus-within .ins { opacity: 1; }
    .add-btn { width: auto; padding: 2px 8px; border: 1px dashed var(--chip-border, #cfcae6); border-radius: 8px; font-size: 12.5px; height: auto; line-height: 1.5; }
    .note { margin: 6px 0 0; font-size: 12.5px; color: var(--warn, #8a5a00); }
    .chips.tagged { row-gap: 24px; padding-bottom: 20px; max-height: 260px; }
    .tag {
      position: absolute;
      left: 50%;
      top: calc(100% + 3px);
      transform: translateX(-50%);
      font-size: 10.5px;
      font-weight: 650;
      letter-spacing: 0.03em;
      padding: 0 5px;
      border-radius: 4px;
      background: var(--tag-bg, #e7e4f5);
      color: var(--fg, #333);
      white-space: nowrap;
    }
    .tag-noun { background: #dbeafe; color: #1e3a8a; }
    .tag-verb { background: #fee2e2; color: #7f1d1d; }
    .tag-adj { background: #dcfce7; color: #14532d; }
    .tag-adv { background: #fef9c3; color: #713f12; }
    .tag-pron { background: #f3e8ff; color: #581c87; }
    .tag-det, .tag-adp, .tag-conj, .tag-prt { background: #e5e7eb; color: #1f2937; }
    .tag-num { background: #ffedd5; color: #7c2d12; }
    /* A continuation (the word is tagged by its first token): lighter and dashed, its text as readable as the others'. */
    .tag.cont { font-weight: 400; background: #fff; outline: 1px dashed currentColor; outline-offset: -1px; }
  `;
}

function tagClass(tag: string) {
  return tag === '.' ? 'punct' : tag.toLowerCase();
}

declare global {
  interface HTMLElementTagNameMap {
    'token-chips': TokenChips;
  }
}
