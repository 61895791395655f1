// #watch links: a way to hand one upload to another browser or device
// (tabs of the same browser share the history already). The fragment is
// never sent to the server; the page removes it from the address bar.

/** The #watch fragment that watches entry's upload:
 * #watch=<uploadId>&token=<token>&name=<name>&until=<watchUntil>. */
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
  return { uploadId, token, name: p.get("name") || "", watchUntil: p.get("until") || "" };
}
