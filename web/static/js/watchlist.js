// The grants this tab holds, kept in sessionStorage so that a reload (or a
// duplicated tab, which copies sessionStorage) subscribes again to every
// upload it was watching. Tokens stay in the tab's session: they are never
// put in localStorage or sent anywhere but the gateway.

const KEY = "thumbflow.watch.v1";

/** Entries: {uploadId, token, watchUntil, name, size, posted, uploadExpiresAt}. */
export class Watchlist {
  constructor(storage = window.sessionStorage) {
    this.storage = storage;
    this.entries = new Map();
    let saved = [];
    try {
      saved = JSON.parse(storage.getItem(KEY) || "[]");
    } catch {
      saved = [];
    }
    const now = Date.now();
    for (const e of Array.isArray(saved) ? saved : []) {
      if (!e || typeof e.uploadId !== "string" || typeof e.token !== "string") continue;
      if (e.watchUntil && Date.parse(e.watchUntil) <= now) continue; // the token no longer works
      this.entries.set(e.uploadId, e);
    }
    this.save();
  }

  all() {
    return [...this.entries.values()];
  }

  get(uploadId) {
    return this.entries.get(uploadId);
  }

  /** Adds or updates an entry; fields not given are kept. */
  put(entry) {
    this.entries.set(entry.uploadId, { ...this.entries.get(entry.uploadId), ...entry });
    this.save();
  }

  remove(uploadId) {
    this.entries.delete(uploadId);
    this.save();
  }

  save() {
    try {
      this.storage.setItem(KEY, JSON.stringify(this.all()));
    } catch (err) {
      // Storage full or disabled: watching still works until a reload.
      console.warn("thumbflow: cannot keep uploads across reloads:", err);
    }
  }
}

/** The #watch fragment another tab opens to watch the same upload:
 * #watch=<uploadId>&token=<token>&name=<name>. */
export function watchFragment(entry) {
  const p = new URLSearchParams({ watch: entry.uploadId, token: entry.token });
  if (entry.name) p.set("name", entry.name);
  if (entry.watchUntil) p.set("until", entry.watchUntil);
  return `#${p}`;
}

/** Reads a #watch fragment; null when there is none. */
export function parseWatchFragment(hash) {
  if (!hash || hash.length < 2) return null;
  const p = new URLSearchParams(hash.slice(1));
  const uploadId = p.get("watch");
  const token = p.get("token");
  if (!uploadId || !token) return null;
  return { uploadId, token, name: p.get("name") || "", watchUntil: p.get("until") || "", posted: true };
}
