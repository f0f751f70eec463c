// The signaling connection (docs/signaling.md): JSON messages over one WebSocket.

export class Signaling {
  #socket = null;
  #handlers = new Map();
  #waiters = [];

  connect() {
    return new Promise((resolve, reject) => {
      this.#socket = new WebSocket(`wss://${location.host}/ws`);
      this.#socket.addEventListener('open', () => resolve());
      this.#socket.addEventListener('error', () => reject(new Error('cannot reach the server')));
      this.#socket.addEventListener('message', (event) => this.#dispatch(event.data));
      this.#socket.addEventListener('close', (event) => this.#emit('close', { code: event.code, reason: event.reason }));
    });
  }

  send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push(handler);
  }

  /** Resolves with the next message of one of `types` (an error for `request` rejects). */
  next(types, request) {
    return new Promise((resolve, reject) => this.#waiters.push({ types, request, resolve, reject }));
  }

  close() {
    this.#socket?.close(1000, 'left');
  }

  #dispatch(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    // Only the server answers requests: a message relayed from another participant
    // (it carries `from`) never resolves one.
    const waiter = message.from ? undefined : this.#waiters.find((w) => w.types.includes(message.type) ||
      (message.type === 'error' && message.request === w.request));
    if (waiter) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      if (message.type === 'error') waiter.reject(Object.assign(new Error(message.message), { code: message.code, retryAfter: message.retryAfter }));
      else waiter.resolve(message);
    }
    this.#emit(message.type, message);
  }

  #emit(type, message) {
    for (const handler of this.#handlers.get(type) ?? []) handler(message);
  }
}
