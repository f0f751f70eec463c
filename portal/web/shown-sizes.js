// Tells the router how tall each received video is on the screen (docs/signaling.md,
// media.view), so that it sends no simulcast layer larger than the picture needs: a small
// tile gets the small layer and leaves the bandwidth to the others.

const SETTLE_MS = 500;    // a resize settles before it is reported
const MAX_HEIGHT = 4320;

export class ShownSizes {
  #send;
  #observer;
  #elements = new Map(); // track id -> video element
  #sent = '';
  #timer = null;

  /** `send(message)` sends a signaling message. */
  constructor(send) {
    this.#send = send;
    this.#observer = new ResizeObserver(() => this.#schedule());
  }

  observe(trackId, element) {
    this.#elements.set(trackId, element);
    this.#observer.observe(element);
    this.#schedule();
  }

  forget(trackId) {
    const element = this.#elements.get(trackId);
    this.#elements.delete(trackId);
    if (element && ![...this.#elements.values()].includes(element)) this.#observer.unobserve(element);
    this.#schedule();
  }

  close() {
    this.#observer.disconnect();
    clearTimeout(this.#timer);
  }

  #schedule() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#report(), SETTLE_MS);
  }

  #report() {
    const heights = {};
    for (const [trackId, element] of this.#elements) {
      // In device pixels (a sharp picture on a dense screen needs more); a hidden one needs
      // the smallest layer, not "unknown" (0).
      const pixels = Math.round(element.clientHeight * (window.devicePixelRatio || 1));
      heights[trackId] = Math.min(MAX_HEIGHT, Math.max(1, pixels));
    }
    const text = JSON.stringify(heights);
    if (text === this.#sent || this.#elements.size === 0) return;
    this.#sent = text;
    this.#send({ type: 'media.view', heights });
  }
}
