// The signaling connection (docs/signaling.md): JSON messages over a WebSocket. The page may
// replace the socket (reconnecting); handlers stay, and only the current socket is listened to.

const PING_INTERVAL_MS = 5000;
const SILENCE_LIMIT_MS = 15000; // nothing heard for this long: the connection is taken for lost

export class Signaling {
  #socket = null;
  #handlers = new Map();
  #waiters = [];
  #lastHeard = 0;
  #heartbeat = null;
  #detached = []; // sockets forgotten while reconnecting, still open

  /** Opens a new socket (the current one, if any, is forgotten: see detach()). Resolves once
   *  it is open; rejects if it cannot be opened. */
  connect() {
    this.detach();
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`wss://${location.host}/ws`);
      this.#socket = socket;
      let opened = false;
      socket.addEventListener('open', () => {
        opened = true;
        this.#lastHeard = Date.now();
        this.#startHeartbeat();
        resolve();
      });
      socket.addEventListener('message', (event) => {
        if (socket !== this.#socket) return;
        this.#lastHeard = Date.now();
        this.#dispatch(event.data);
      });
      socket.addEventListener('close', (event) => {
        if (socket !== this.#socket) return;
        this.#socket = null;
        this.#stopHeartbeat();
        this.#failWaiters();
        if (!opened) reject(new Error('cannot reach the server'));
        else this.#emit('close', { code: event.code, reason: event.reason, lost: event.code === 1006 });
      });
    });
  }

  /** Forgets the current socket without closing it: a close frame would be taken by the
   *  server as leaving. The server closes it when another connection resumes (4409) or
   *  when it falls silent; closeDetached() closes it when the page gives up. */
  detach() {
    this.#stopHeartbeat();
    this.#detached = this.#detached.filter((socket) => socket.readyState !== WebSocket.CLOSED);
    if (this.#socket) this.#detached.push(this.#socket);
    this.#socket = null;
    this.#failWaiters();
  }

  /** Closes the sockets detach() forgot (the person is not coming back on them). */
  closeDetached() {
    for (const socket of this.#detached.splice(0)) {
      try {
        socket.close(1000, 'left');
      } catch { /* already closed */ }
    }
  }

  get open() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (this.open) this.#socket.send(JSON.stringify(message));
  }

  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push(handler);
  }

  /** Resolves with the next message of one of `types` (an error for `request` rejects, and
   *  so does the socket closing). */
  next(types, request) {
    return new Promise((resolve, reject) => this.#waiters.push({ types, request, resolve, reject }));
  }

  /** Sends `message` and resolves with the answer of one of `types`. */
  request(message, types) {
    if (!this.open) return Promise.reject(Object.assign(new Error('not connected'), { code: 'closed' }));
    const answer = this.next(types, message.type);
    this.send(message);
    return answer;
  }

  /** Leaves for good: a close frame (the server takes it as leaving). */
  close() {
    const socket = this.#socket;
    this.detach();
    socket?.close(1000, 'left');
  }

  #startHeartbeat() {
    this.#stopHeartbeat();
    let lastTick = Date.now();
    this.#heartbeat = setInterval(() => {
      if (!this.open) return;
      const now = Date.now();
      // A timer that ran late (a throttled background tab) says nothing about the network.
      if (now - lastTick > 2 * PING_INTERVAL_MS) this.#lastHeard = now;
      lastTick = now;
      if (now - this.#lastHeard > SILENCE_LIMIT_MS) {
        // A dead connection that the browser has not noticed (the network went away).
        this.detach();
        this.#emit('close', { code: 4000, reason: 'silent', lost: true });
        return;
      }
      this.send({ type: 'ping' });
    }, PING_INTERVAL_MS);
  }

  #stopHeartbeat() {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #failWaiters() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(Object.assign(new Error('connection closed'), { code: 'closed' }));
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
