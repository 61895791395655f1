// Formatting for the operator page. The timeline itself (the state and
// attempt of each event, and what each event ends) is built on the server
// by package ops, the same code as `thumbflow history`; the page only
// shows it.

// readableCause shows a Lambda error's errorMessage rather than its JSON.
export function readableCause(cause) {
  try {
    const v = JSON.parse(cause);
    if (v && typeof v.errorMessage === "string" && v.errorMessage) return v.errorMessage;
  } catch {
    // not JSON: shown as is
  }
  return cause;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms / 1000)} s`;
}
