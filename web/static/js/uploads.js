// Moving files: the queue (at most PARALLEL_UPLOADS POSTs at once), the
// grant, the presigned POST with progress, cancel, upload again and
// choose-the-file-again. The files themselves live only in this tab's
// memory; everything else is written to the history, which every tab shows.

import { checkFile, declaredType, requestName } from "./files.js";
import { REFUSED_TTL_MS } from "./history.js";
import { RateMeter, postFile } from "./upload.js";
import { rateText } from "./view.js";

const PARALLEL_UPLOADS = 3;
// A TooManyGrants refusal (docs/protocol.md) is waited out: the row shows
// the wait, counting down each second, and asks again after retryAfter plus
// up to GRANT_JITTER_MS, so the files refused together do not all ask again
// in the same instant.
const GRANT_JITTER_MS = 1000;
const TICK_MS = 1000;

export class Uploads {
  constructor({ conn, history, config, announcer, tabId, changed }) {
    Object.assign(this, { conn, history, config, announcer, tabId, changed });
    this.files = new Map(); // key → File, while this tab lives
    this.queue = []; // keys waiting for a slot
    this.busy = new Set(); // keys between leaving the queue and the end of the POST
    this.xfers = new Map(); // key → {abort}
    this.waits = new Map(); // key → {timer, tick}: refused a grant for now, asking again later
    this.progress = new Map(); // key → {loaded, total, rate}, this tab's and other tabs'
    this.batch = new Set(); // the keys of the current batch, for the total line
    history.owns = (key) => this.owns(key);
  }

  hasFile(key) {
    return this.files.has(key);
  }

  file(key) {
    return this.files.get(key);
  }

  live(key) {
    return this.progress.get(key);
  }

  /** Whether this tab is uploading key (or about to). */
  owns(key) {
    return this.busy.has(key) || this.queue.includes(key) || this.waits.has(key);
  }

  /** Whether key is still on its way to done or failed. */
  moving(key) {
    const e = this.history.get(key);
    return this.owns(key) || (!!e && (e.phase === "posted" || e.phase === "uploading" || e.phase === "waiting") && !terminal(e));
  }

  /** Bytes are on their way: closing the tab now would lose them. */
  inFlight() {
    return this.xfers.size > 0;
  }

  /** The sum of the current uploads' speeds and the longest time left. */
  totalRate() {
    let bytesPerSecond = 0;
    let secondsLeft = 0;
    for (const key of this.batch) {
      const r = this.progress.get(key)?.rate;
      if (!r) continue;
      bytesPerSecond += r.bytesPerSecond;
      secondsLeft = Math.max(secondsLeft, r.secondsLeft);
    }
    return bytesPerSecond > 0 ? rateText({ bytesPerSecond, secondsLeft }) : "";
  }

  /** Adds chosen, dropped or pasted files: a new batch when nothing of the
   * last one is still moving. Every refusal is announced on its own. */
  add(files) {
    if (files.length === 0) return;
    if (![...this.batch].some((k) => this.moving(k))) this.batch.clear();
    const now = Date.now();
    for (const [i, file] of files.entries()) {
      const key = crypto.randomUUID();
      this.files.set(key, file);
      this.batch.add(key);
      const problem = checkFile(file, this.config);
      const entry = {
        key, name: file.name || "image", size: file.size, type: declaredType(file), createdAt: now + i / 1000,
        expiresAt: now + REFUSED_TTL_MS, owner: this.tabId, phase: problem ? "rejected" : "queued",
        error: problem || null,
      };
      this.history.put(entry);
      if (problem) this.announcer.say(`${entry.name} not uploaded: ${problem.message}`);
      else this.enqueue(key);
    }
  }

  enqueue(key) {
    this.queue.push(key);
    this.pump();
  }

  pump() {
    while (this.busy.size < PARALLEL_UPLOADS && this.queue.length > 0) {
      const key = this.queue.shift();
      this.busy.add(key);
      this.run(key)
        .catch((err) => this.fail(key, "InternalError", `The upload failed: ${err.message}`))
        .finally(() => {
          this.busy.delete(key);
          this.pump();
        });
    }
  }

  /** Asks for a grant and posts the file; one new grant if S3 says the
   * first expired (a long queue, a sleeping laptop). */
  async run(key) {
    for (let attempt = 0; ; attempt++) {
      const file = this.files.get(key);
      const e = this.history.get(key);
      if (!file || !e || e.phase !== "queued") return;
      let grant;
      try {
        const msg = await this.conn.request({ action: "upload", name: requestName(e.name), type: e.type, size: file.size });
        grant = msg.grant;
        if (!grant?.uploadId || !grant?.upload?.url) throw Object.assign(new Error("The server sent an incomplete grant."), { code: "InternalError" });
      } catch (err) {
        if (this.history.get(key)?.phase !== "queued") return;
        if (err.code === "TooManyGrants") this.wait(key, err);
        else this.fail(key, err.code, err.message);
        return;
      }
      if (this.history.get(key)?.phase !== "queued") return; // cancelled or removed meanwhile
      this.history.put({
        key, uploadId: grant.uploadId, token: grant.token, watchUntil: grant.watchUntil,
        expiresAt: Date.parse(grant.watchUntil) || Date.now() + REFUSED_TTL_MS, phase: "uploading", record: null, links: null, error: null,
      });
      const meter = new RateMeter();
      const xfer = postFile(grant.upload, file, e.type, (loaded, total) => {
        const p = { loaded, total, rate: meter.add(loaded, total) };
        this.progress.set(key, p);
        this.history.progress(key, p.loaded, p.total, p.rate);
        this.changed(key);
      });
      this.xfers.set(key, xfer);
      try {
        await xfer.done;
        this.history.put({ key, phase: "posted" });
        return;
      } catch (err) {
        const expired = Date.parse(grant.upload.expiresAt || "") <= Date.now();
        if (err.code === "Aborted") return; // cancel() wrote the row's new phase
        if (err.code === "AccessDenied" && expired && attempt === 0) {
          this.history.put({ key, phase: "queued", uploadId: "", token: "" });
          continue;
        }
        this.fail(key, err.code, err.message);
        return;
      } finally {
        this.xfers.delete(key);
        this.progress.delete(key);
        this.changed(key);
      }
    }
  }

  /** Waits out a TooManyGrants refusal: the row is "waiting" until
   * retryAt, then goes back to the head of the queue. The file leaves its
   * slot meanwhile, so the files already uploading keep going; it can be
   * cancelled or removed like a queued one. */
  wait(key, err) {
    const seconds = Math.max(1, Number(err.retryAfter) || 1);
    const delay = seconds * 1000 + Math.random() * GRANT_JITTER_MS;
    const retryAt = Date.now() + delay;
    this.history.put({ key, phase: "waiting", retryAt, error: { code: err.code, message: err.message } });
    const timer = setTimeout(() => {
      this.stopWaiting(key);
      if (this.history.get(key)?.phase !== "waiting") return;
      this.history.put({ key, phase: "queued", retryAt: 0, error: null });
      this.queue.unshift(key);
      this.pump();
    }, delay);
    const tick = setInterval(() => this.changed(key), TICK_MS); // the countdown
    this.waits.set(key, { timer, tick });
  }

  stopWaiting(key) {
    const w = this.waits.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    clearInterval(w.tick);
    this.waits.delete(key);
  }

  fail(key, code, message) {
    if (!this.history.get(key)) return;
    this.history.put({ key, phase: "failed", error: { code, message } });
  }

  /** Cancels a queued or uploading file: nothing reaches storage, since S3
   * keeps an object only once the whole POST has arrived. Another tab's
   * upload is cancelled by asking that tab. */
  cancel(key) {
    const e = this.history.get(key);
    if (!e) return;
    if (!this.owns(key)) {
      this.history.ask(key, "cancel");
      return;
    }
    this.queue = this.queue.filter((k) => k !== key);
    this.stopWaiting(key);
    this.history.put({ key, phase: "cancelled", retryAt: 0 });
    this.xfers.get(key)?.abort();
  }

  /** Uploads the same file again, with a new grant. */
  retry(key) {
    if (!this.files.has(key) || this.owns(key)) return;
    if (!this.batch.has(key)) this.batch = new Set([key]);
    this.history.put({ key, phase: "queued", uploadId: "", token: "", record: null, links: null, error: null, notice: "", owner: this.tabId });
    this.enqueue(key);
  }

  /** An interrupted row gets its file back from the user. */
  refile(key, file) {
    const problem = checkFile(file, this.config);
    this.files.set(key, file);
    this.batch = new Set([key]);
    this.history.put({
      key, name: file.name, size: file.size, type: declaredType(file), owner: this.tabId, uploadId: "", token: "", record: null,
      links: null, notice: "", phase: problem ? "rejected" : "queued", error: problem || null,
    });
    if (problem) this.announcer.say(`${file.name} not uploaded: ${problem.message}`);
    else this.enqueue(key);
  }

  /** Forgets key in this tab (the row is being removed). */
  forget(key) {
    if (this.owns(key)) this.cancel(key);
    this.files.delete(key);
    this.batch.delete(key);
  }

  remoteProgress(p) {
    if (this.owns(p.key)) return;
    this.progress.set(p.key, { loaded: p.loaded, total: p.total, rate: p.rate });
  }

  /** The tab is going away: its unfinished uploads are interrupted. */
  interruptAll() {
    for (const key of [...this.queue, ...this.busy, ...this.waits.keys()]) {
      const e = this.history.get(key);
      if (e && (e.phase === "queued" || e.phase === "uploading" || e.phase === "waiting")) this.history.put({ key, phase: "interrupted" });
    }
  }

  /** Rows another tab was uploading when it went away without saying so
   * (a crash, a killed browser): no live tab answers for them. */
  async findInterrupted() {
    const candidates = this.history.all().filter((e) => ["queued", "waiting", "uploading"].includes(e.phase) && !this.owns(e.key));
    const owned = await this.history.whoOwns(candidates.map((e) => e.key));
    for (const e of candidates) {
      if (!owned.has(e.key) && ["queued", "waiting", "uploading"].includes(this.history.get(e.key)?.phase)) {
        this.history.put({ key: e.key, phase: "interrupted" });
      }
    }
  }
}

function terminal(e) {
  return e?.record && (e.record.state === "succeeded" || e.record.state === "failed");
}
