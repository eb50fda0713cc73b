// Lets the widgets' iframes (embed.html) on this page follow the height of their content, so a frame never
// scrolls inside itself. Add it once to a course page that embeds widgets as iframes:
//   <script src="/attn/embed-resize.js" async></script>
// Each frame posts {type: 'attn-embed-size', height} when its content's height changes; this sets the height of
// the iframe that sent it (only an iframe of this page, only a sane number of pixels). No dependencies; it works
// under a strict Content-Security-Policy (the height is set through the CSSOM, not a style attribute).
(() => {
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (!data || data.type !== 'attn-embed-size' || typeof data.height !== 'number' || !Number.isFinite(data.height)) return;
    for (const frame of document.querySelectorAll('iframe')) {
      if (frame.contentWindow !== event.source) continue;
      const height = Math.min(20000, Math.max(40, Math.ceil(data.height)));
      frame.style.height = `${height}px`;
      frame.dataset.attnHeight = String(height); // for tests and for the page's own scripts
      return;
    }
  });
})();
