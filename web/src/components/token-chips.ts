// <token-chips>: the tokens as chips that can be edited (click or Enter), inserted (+), deleted (x or Delete)
// and reordered (drag, or Alt+Left / Alt+Right). Every change fires `tokens-change` with the new list.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

@customElement('token-chips')
export class TokenChips extends LitElement {
  @property({ attribute: false }) tokens: string[] = [];
  /** Index of the query row the heatmap highlights, to echo it on the chips. */
  @property({ type: Number }) highlight = -1;
  @property({ type: Boolean }) truncated = false;
  @property({ type: Number }) max = 512;

  @state() private editing = -1;
  @state() private dragFrom = -1;
  @state() private dropAt = -1;

  private emit(tokens: string[], focus?: number) {
    this.dispatchEvent(new CustomEvent('tokens-change', { detail: tokens, bubbles: true, composed: true }));
    if (focus !== undefined) this.updateComplete.then(() => this.focusChip(focus));
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
    const v = value.trim();
    const next = [...this.tokens];
    if (v === '') next.splice(i, 1);
    else next[i] = v;
    this.emit(next, Math.min(i, next.length - 1));
  }

  private removeAt(i: number) {
    const next = [...this.tokens];
    next.splice(i, 1);
    this.emit(next, Math.min(i, next.length - 1));
  }

  private insertAfter(i: number) {
    if (this.tokens.length >= this.max) return;
    const next = [...this.tokens];
    next.splice(i + 1, 0, 'new');
    this.emit(next);
    this.updateComplete.then(() => this.startEdit(i + 1));
  }

  private move(from: number, to: number) {
    if (from === to || to < 0 || to > this.tokens.length - 1) return;
    const next = [...this.tokens];
    const [t] = next.splice(from, 1);
    next.splice(to, 0, t);
    this.emit(next, to);
  }

  private onChipKey(ev: KeyboardEvent, i: number) {
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
      <ol class="chips" aria-label="Tokens" @drop=${this.onDrop}>
        ${this.tokens.map(
          (t, i) => html`<li
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
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'token-chips': TokenChips;
  }
}
