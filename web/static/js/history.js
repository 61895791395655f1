// The upload history: the session lives on the client (docs/protocol.md:
// the grant is the session), so every grant, and every file the page
// refused, is kept in localStorage until it expires, and every tab of the
// browser shows the same list. A new browser session finds it again.
//
// localStorage rather than IndexedDB: the list is small (a few KB per
// hundred rows), and a synchronous read-modify-write of one key keeps two
// tabs from overwriting each other's rows. BroadcastChannel tells the
// other tabs what changed, including upload progress, which is never
// written to storage.

const KEY = "thumbflow.history.v1";
const CHANNEL = "thumbflow.history";
/** How long a row without a token (refused by the page) is kept. */
export const REFUSED_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * An entry: {key, name, size, type, createdAt, expiresAt, owner, phase,
 * uploadId, token, watchUntil, record, links, error}. phase is what the
 * page did: "queued", "waiting" (the grant was refused for now,
 * TooManyGrants; asked again at retryAt), "uploading", "posted" (S3 stored the file),
 * "cancelled", "rejected" (refused before asking), "failed" (the grant or
 * the POST was refused) or "interrupted" (the tab went away mid-upload).
 * record is the server's status record with the highest version seen.
 */
export class History extends EventTarget {
  constructor(tabId, { storage = window.localStorage, now = () => Date.now() } = {}) {
    super();
    this.tabId = tabId;
    this.storage = storage;
    this.now = now;
    this.entries = new Map();
    /** owns(key) says whether this tab holds the file of key and is
     * uploading it; the page sets it. */
    this.owns = () => false;
    for (const e of this.read()) this.entries.set(e.key, e);
    this.prune();
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
    this.channel?.addEventListener("message", (ev) => this.receive(ev.data));
  }

  all() {
    return [...this.entries.values()].sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : 1));
  }

  get(key) {
    return this.entries.get(key);
  }

  byUpload(uploadId) {
    return uploadId ? this.all().find((e) => e.uploadId === uploadId) : undefined;
  }

  /** Adds or updates an entry (fields not given are kept) in every tab. */
  put(entry) {
    const stored = this.read();
    const i = stored.findIndex((e) => e.key === entry.key);
    const merged = { ...(i >= 0 ? stored[i] : this.entries.get(entry.key)), ...entry };
    if (i >= 0) stored[i] = merged;
    else stored.push(merged);
    this.write(stored);
    this.entries.set(merged.key, merged);
    this.post({ type: "put", entry: merged });
    this.changed(merged.key);
    return merged;
  }

  remove(key) {
    this.write(this.read().filter((e) => e.key !== key));
    this.entries.delete(key);
    this.post({ type: "remove", key });
    this.changed(key);
  }

  /** Tells the other tabs how far an upload got; not stored. */
  progress(key, loaded, total, rate) {
    this.post({ type: "progress", key, loaded, total, rate });
  }

  /** Asks the tab that owns key to do something (e.g. cancel). */
  ask(key, what) {
    this.post({ type: "ask", key, what });
  }

  /** Finds which of keys a live tab still uploads: resolves with the set
   * of keys some tab answered for within waitMs. */
  whoOwns(keys, waitMs = 600) {
    if (!this.channel || keys.length === 0) return Promise.resolve(new Set());
    const id = `${this.tabId}-${Math.random()}`;
    const found = new Set();
    const listen = (ev) => {
      if (ev.data?.type === "owned" && ev.data.id === id) for (const k of ev.data.keys) found.add(k);
    };
    this.channel.addEventListener("message", listen);
    this.post({ type: "who", id, keys });
    return new Promise((resolve) =>
      setTimeout(() => {
        this.channel.removeEventListener("message", listen);
        resolve(found);
      }, waitMs));
  }

  /** Drops rows whose token has expired (they can no longer be watched)
   * and refused rows older than REFUSED_TTL_MS. */
  prune() {
    const now = this.now();
    const live = (e) => !(e.expiresAt && e.expiresAt <= now);
    const stored = this.read();
    if (stored.every(live) && [...this.entries.values()].every(live)) return;
    this.write(stored.filter(live));
    for (const e of [...this.entries.values()]) {
      if (!live(e)) {
        this.entries.delete(e.key);
        this.changed(e.key);
      }
    }
  }

  receive(msg) {
    if (!msg || typeof msg !== "object") return;
    switch (msg.type) {
      case "put":
        this.entries.set(msg.entry.key, msg.entry);
        this.changed(msg.entry.key);
        break;
      case "remove":
        this.entries.delete(msg.key);
        this.changed(msg.key);
        break;
      case "progress":
        this.dispatchEvent(new CustomEvent("progress", { detail: msg }));
        break;
      case "ask":
        this.dispatchEvent(new CustomEvent("ask", { detail: msg }));
        break;
      case "who": {
        const mine = msg.keys.filter((k) => this.owns(k));
        if (mine.length) this.post({ type: "owned", id: msg.id, keys: mine });
        break;
      }
    }
  }

  changed(key) {
    this.dispatchEvent(new CustomEvent("change", { detail: key }));
  }

  post(msg) {
    try {
      this.channel?.postMessage(msg);
    } catch (err) {
      console.warn("thumbflow: cannot tell the other tabs:", err);
    }
  }

  read() {
    try {
      const v = JSON.parse(this.storage.getItem(KEY) || "[]");
      return Array.isArray(v) ? v.filter((e) => e && typeof e.key === "string") : [];
    } catch {
      return [];
    }
  }

  write(list) {
    try {
      this.storage.setItem(KEY, JSON.stringify(list));
    } catch (err) {
      // Storage full or disabled: the list still works until a reload.
      console.warn("thumbflow: cannot keep the upload history:", err);
    }
  }
}
