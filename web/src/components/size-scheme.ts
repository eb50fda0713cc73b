// What a picture drawn on a canvas must follow besides its data: its width (it is laid out to fit) and the colour
// scheme (it reads its colours from CSS when it draws). <attn-lines> and <attn-model-view> use it.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class SizeAndScheme implements ReactiveController {
  /** The host's content width in CSS pixels (0 until it is laid out). */
  width = 0;
  /** Bumped each time the system's colour scheme changes. */
  scheme = 0;

  private readonly resizer = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (Math.abs(w - this.width) <= 1) return;
    this.width = w;
    this.host.requestUpdate();
  });
  private readonly media = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
  private readonly onScheme = () => {
    this.scheme++;
    this.host.requestUpdate();
  };

  constructor(private readonly host: ReactiveControllerHost & Element) {
    host.addController(this);
  }

  hostConnected() {
    this.resizer.observe(this.host);
    this.media?.addEventListener?.('change', this.onScheme);
  }

  hostDisconnected() {
    this.resizer.disconnect();
    this.media?.removeEventListener?.('change', this.onScheme);
  }
}
