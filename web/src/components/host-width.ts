// HostWidth: a Lit reactive controller that knows its host's content width in CSS pixels and renders the host
// again when it changes (by more than 2 px, so that a scrollbar coming and going does not loop).
//   private width = new HostWidth(this);   ...   this.width.value
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class HostWidth implements ReactiveController {
  /** 0 until the host is laid out. */
  value = 0;
  private readonly observer: ResizeObserver;

  constructor(private readonly host: ReactiveControllerHost & Element) {
    this.observer = new ResizeObserver(([entry]) => {
      const w = Math.floor(entry.contentRect.width);
      if (Math.abs(w - this.value) <= 2) return;
      this.value = w;
      host.requestUpdate();
    });
    host.addController(this);
  }

  hostConnected() {
    this.observer.observe(this.host);
  }

  hostDisconnected() {
    this.observer.disconnect();
  }
}
