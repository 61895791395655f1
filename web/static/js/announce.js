// What a screen reader hears. A live region whose text is replaced on
// every update loses messages (four refusals at once were heard as one)
// and floods the user (37 announcements for a 16-file batch), so messages
// are appended to a polite log, one node each, and a batch's progress is
// summarised at most once every SUMMARY_MS.

export const SUMMARY_MS = 2000;
const KEEP = 20; // nodes kept in the log; older ones were heard already

export class Announcer {
  constructor(region, { now = () => Date.now() } = {}) {
    this.region = region;
    this.now = now;
    this.lastSummary = -Infinity;
    this.summaryTimer = null;
    this.pendingSummary = null;
  }

  /** Announces text now, as its own message. */
  say(text) {
    const p = document.createElement("p");
    p.textContent = text;
    this.region.append(p);
    while (this.region.childElementCount > KEEP) this.region.firstElementChild.remove();
  }

  /** Announces the batch summary text() at most once every SUMMARY_MS; a
   * call inside the interval schedules one for its end, with the text as
   * it is then. final summaries wait out the interval too. */
  summary(text) {
    this.pendingSummary = text;
    if (this.summaryTimer) return;
    const wait = this.lastSummary + SUMMARY_MS - this.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      this.flush();
    }, wait);
  }

  flush() {
    const text = this.pendingSummary?.();
    this.pendingSummary = null;
    if (!text) return;
    this.lastSummary = this.now();
    this.say(text);
  }
}
