// The widgets' colours, set on each widget's host so they work inside any course page. `theme="light"` or
// `theme="dark"` forces one; the default follows the reader's system setting. A course page can override the
// colours from outside with --attn-panel, --attn-fg, --attn-muted, --attn-border, --attn-accent, ...:
// attn-by-hand { --attn-accent: teal; }.
import { css } from 'lit';

export const themeStyles = css`
  :host {
    --w-bg: var(--attn-panel, #ffffff);
    --w-fg: var(--attn-fg, #1d1d24);
    --w-muted: var(--attn-muted, #5f5d6e);
    --w-border: var(--attn-border, #e2dfee);
    --w-accent: var(--attn-accent, #5b3cc4);
    --w-accent-soft: var(--attn-accent-soft, #e3dcff);
    --w-on-accent: var(--attn-on-accent, #ffffff);
    --w-focus: var(--attn-focus, #8f7cf0);
    --w-input-bg: var(--attn-input-bg, #ffffff);
    --w-chip-bg: var(--attn-chip-bg, #f0eefa);
    --w-error: var(--attn-error, #9b1c1c);
    --w-error-bg: var(--attn-error-bg, #fde8e8);
    --w-ok: #166534;
    --w-ok-bg: #dcfce7;
    --w-code-bg: #f3f1fa;
    display: block;
    color: var(--w-fg);
    background: var(--w-bg);
    border: 1px solid var(--w-border);
    border-radius: 12px;
    padding: 14px 16px;
    font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color-scheme: light;
  }
  :host([theme='dark']) {
    --w-bg: #1b1a23;
    --w-fg: #ecebf3;
    --w-muted: #a3a0b5;
    --w-border: #2f2d3b;
    --w-accent: #9d88ff;
    --w-accent-soft: #3a3260;
    --w-on-accent: #14121c;
    --w-focus: #b3a4ff;
    --w-input-bg: #15141c;
    --w-chip-bg: #26243a;
    --w-error: #ffb4b4;
    --w-error-bg: #3b1a1f;
    --w-ok: #86efac;
    --w-ok-bg: #14321f;
    --w-code-bg: #23212e;
    --attn-masked-color: #3b3a48;
    --attn-hatch-color: #6c6a80;
    color-scheme: dark;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      --w-bg: var(--attn-panel, #1b1a23);
      --w-fg: var(--attn-fg, #ecebf3);
      --w-muted: var(--attn-muted, #a3a0b5);
      --w-border: var(--attn-border, #2f2d3b);
      --w-accent: var(--attn-accent, #9d88ff);
      --w-accent-soft: var(--attn-accent-soft, #3a3260);
      --w-on-accent: var(--attn-on-accent, #14121c);
      --w-focus: var(--attn-focus, #b3a4ff);
      --w-input-bg: var(--attn-input-bg, #15141c);
      --w-chip-bg: var(--attn-chip-bg, #26243a);
      --w-error: var(--attn-error, #ffb4b4);
      --w-error-bg: var(--attn-error-bg, #3b1a1f);
      --w-ok: #86efac;
      --w-ok-bg: #14321f;
      --w-code-bg: #23212e;
      --attn-masked-color: #3b3a48;
      --attn-hatch-color: #6c6a80;
      color-scheme: dark;
    }
  }
  /* The heatmap renderer reads the page's names. */
  :host {
    --panel: var(--w-bg);
    --fg: var(--w-fg);
    --muted: var(--w-muted);
    --border: var(--w-border);
    --accent: var(--w-accent);
    --accent-soft: var(--w-accent-soft);
    --on-accent: var(--w-on-accent);
    --focus: var(--w-focus);
    --chip-bg: var(--w-chip-bg);
    --input-bg: var(--w-input-bg);
    --attn-bg: var(--w-bg);
  }
  button,
  select,
  input {
    font: inherit;
    color: inherit;
  }
  button {
    background: var(--w-input-bg);
    border: 1px solid var(--w-border);
    border-radius: 7px;
    padding: 3px 10px;
    cursor: pointer;
  }
  button:hover {
    border-color: var(--w-accent);
  }
  button[aria-pressed='true'] {
    background: var(--w-accent);
    border-color: var(--w-accent);
    color: var(--w-on-accent);
  }
  :focus-visible {
    outline: 2px solid var(--w-focus);
    outline-offset: 2px;
  }
  .muted {
    color: var(--w-muted);
  }
  .formula {
    font-family: 'STIX Two Math', 'Cambria Math', 'Latin Modern Math', serif;
    font-size: 15px;
  }
`;
