// The iframe form of a widget: embed.html?w=attn-by-hand&tokens=...&theme=dark builds that widget with those
// attributes, fills the frame, and keeps the query string in step with the widget's state, so the URL always
// reproduces what the reader sees. It also tells the page around it how tall it is, whenever that changes
// ({type: 'attn-embed-size', height} by postMessage): web/public/embed-resize.js, on the course page, sets the
// frame to that height so it never scrolls inside itself.
import { WIDGETS } from './registry';

export function mountFromQuery() {
  const q = new URLSearchParams(location.search);
  const tag = q.get('w') ?? '';
  const main = document.querySelector('main') ?? document.body;
  if (!WIDGETS.some((w) => w.tag === tag)) {
    const p = document.createElement('p');
    p.className = 'embed-error';
    p.textContent = tag
      ? `Unknown widget "${tag}". Known widgets: ${WIDGETS.map((w) => w.tag).join(', ')}.`
      : `Name a widget in the URL, e.g. ?w=${WIDGETS[0]?.tag ?? 'attn-by-hand'}.`;
    main.append(p);
    return;
  }
  const el = document.createElement(tag);
  for (const [k, v] of q) if (k !== 'w') el.setAttribute(k, v);
  syncUrl(el, { w: tag });
  main.append(el);
  reportHeight(main as HTMLElement);
  const title = WIDGETS.find((w) => w.tag === tag)!.title;
  document.title = `${title} · attn`;
  // Named after its widget: on a course page with several frames (or the gallery), each frame's main landmark
  // is told apart from the page's own.
  main.setAttribute('aria-label', title);
}

/** Keeps the page's query string equal to the widget's state (after `fixed` parameters such as w=...). */
export function syncUrl(el: HTMLElement, fixed: Record<string, string> = {}) {
  el.addEventListener('widget-state', (ev) => {
    const state = (ev as CustomEvent<Record<string, string>>).detail;
    const next = new URLSearchParams({ ...fixed, ...state });
    const theme = el.getAttribute('theme');
    if (theme) next.set('theme', theme);
    history.replaceState(null, '', `?${next}`);
  });
}

/** Posts the content's height to the embedding page now and at every change (nothing when not in a frame). */
function reportHeight(content: HTMLElement) {
  if (window.parent === window) return;
  let last = -1;
  const post = () => {
    const height = Math.ceil(content.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'attn-embed-size', height }, '*'); // a height says nothing private
  };
  new ResizeObserver(post).observe(content);
  post();
}
