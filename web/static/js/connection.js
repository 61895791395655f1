// The WebSocket side of docs/protocol.md: requests matched to answers by
// requestId, status pushes as events, and a socket that comes back after a
// drop (idle timeout, 2-hour limit, network change) with backoff.

/** Backoff for reconnects: exponential, capped, with jitter so that many
 * tabs dropped by one gateway restart do not all come back at once. */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  // "Equal jitter": at least half the ceiling, so delays still grow.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** An error answer from the server (or a local stand-in for one).
 * retryAfter is the seconds to wait before asking again, for the refusals
 * that clear with time (TooManyGrants); 0 for the others. */
export class ProtocolError extends Error {
  constructor(code, message, retryAfter = 0) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const REQUEST_TIMEOUT_MS = 30000;

/**
 * Connection keeps one socket to the gateway.
 *
 * Events (EventTarget):
 *   "status"  detail: status record pushed by the server
 *   "state"   detail: "connecting" | "open" | "waiting" | "idle"; with
 *             this.retryAt set while waiting
 *   "open"    after every (re)connect, before queued requests are sent:
 *             the place to subscribe again to everything still watched.
 *
 * wanted() says whether a dropped socket should come back on its own; when
 * it says no and nothing is in flight the socket stays down until the next
 * request.
 *
 * heartbeatMs > 0 sends a `ping` whenever the socket has been silent that
 * long, and treats a second silent interval as a dead connection: a server
 * that died without closing the TCP connection, or a laptop that slept,
 * would otherwise look "Connected" until the user acts. everOpened tells a
 * first connection from a reconnection.
 */
export class Connection extends EventTarget {
  constructor(url, { wanted = () => true, baseMs = 500, capMs = 30000, heartbeatMs = 0 } = {}) {
    super();
    this.heartbeatMs = heartbeatMs;
    this.heartbeat = null;
    this.lastFrame = 0;
    this.pinged = false;
    this.everOpened = false;
    this.url = url;
    this.wanted = wanted;
    this.baseMs = baseMs;
    this.capMs = capMs;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.nextId = 1;
    /** requestId → {msg, resolve, reject, timer, sent} */
    this.pending = new Map();
  }

  /** Opens the socket if it is not open or opening already. */
  connect() {
    if (this.ws || this.retryTimer) return;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      // A malformed URL in config.json: nothing will ever work.
      this.failAll(new ProtocolError("BadConfig", `The WebSocket URL ${JSON.stringify(this.url)} is not valid: ${err.message}`));
      this.setState("idle");
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.everOpened = true;
      this.startHeartbeat(ws);
      this.setState("open");
      this.dispatchEvent(new Event("open"));
      for (const [id, p] of this.pending) {
        if (!p.sent) this.transmit(id, p);
      }
    });
    ws.addEventListener("message", (ev) => {
      if (this.ws !== ws) return;
      this.lastFrame = Date.now();
      this.pinged = false;
      this.receive(ev.data);
    });
    ws.addEventListener("close", (ev) => {
      if (ev.code === 1009) console.warn("thumbflow: the gateway refused a message as too large (1009)");
      this.lost(ws);
    });
  }

  /** Gives up on ws and schedules the next socket. */
  lost(ws) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearInterval(this.heartbeat);
    this.heartbeat = null;
    try {
      ws.close();
    } catch {
      // Already closed.
    }
    // Answers to requests on the old socket will never come: send them
    // again on the next socket (every action is safe to repeat).
    for (const p of this.pending.values()) p.sent = false;
    this.scheduleReconnect();
  }

  startHeartbeat(ws) {
    clearInterval(this.heartbeat);
    this.lastFrame = Date.now();
    this.pinged = false;
    if (!(this.heartbeatMs > 0)) return;
    this.heartbeat = setInterval(() => {
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastFrame < this.heartbeatMs * 0.9) return;
      if (this.pinged) {
        this.lost(ws); // a whole interval without an answer to the ping
        return;
      }
      this.pinged = true;
      ws.send(JSON.stringify({ action: "ping", requestId: `hb${this.nextId++}` }));
    }, this.heartbeatMs);
  }

  scheduleReconnect() {
    if (this.pending.size === 0 && !this.wanted()) {
      this.setState("idle");
      return;
    }
    const delay = backoffDelay(this.attempt++, { baseMs: this.baseMs, capMs: this.capMs });
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.setState("waiting");
  }

  /** Reconnects now instead of waiting out the backoff (e.g. "Retry now", back online). */
  reconnectNow() {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.connect();
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  /** Sends msg with a fresh requestId and resolves with the direct answer;
   * rejects with a ProtocolError for an `error` answer. */
  request(msg) {
    const id = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const p = { msg, resolve, reject, sent: false, timer: null };
      p.timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ProtocolError("Timeout", "The server did not answer in time. Check your connection and try again."));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, p);
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.transmit(id, p);
      else this.connect();
    });
  }

  transmit(id, p) {
    p.sent = true;
    this.ws.send(JSON.stringify({ ...p.msg, requestId: id }));
  }

  receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn("thumbflow: ignoring a frame that is not JSON", data);
      return;
    }
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "pong") return;
    if (msg.type === "status") {
      if (msg.status) this.dispatchEvent(new CustomEvent("status", { detail: msg.status }));
      return;
    }
    const p = msg.requestId !== undefined ? this.pending.get(msg.requestId) : undefined;
    if (!p) {
      if (msg.type === "error") console.warn(`thumbflow: server error ${msg.code}: ${msg.message}`);
      return;
    }
    this.pending.delete(msg.requestId);
    clearTimeout(p.timer);
    if (msg.type === "error") p.reject(new ProtocolError(msg.code || "InternalError", msg.message || "The server reported an error.", Number(msg.retryAfter) || 0));
    else p.resolve(msg);
  }

  failAll(err) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }

  /** Closes the socket as if the network dropped it (used by tests and "reconnect"). */
  drop() {
    if (this.ws) this.ws.close(4000, "client drop");
  }

  /** Closes the socket for good (the page is going away). */
  close() {
    this.wanted = () => false;
    this.failAll(new ProtocolError("Closed", "The page closed its connection."));
    if (this.ws) this.lost(this.ws);
  }
}
