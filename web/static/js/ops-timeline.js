// Turns an execution's history events into timeline rows: each event is
// placed in the state it belongs to and the attempt it was part of, and an
// event that ends something (a state, an attempt, the execution) says how
// long that took. Pure, so it can be tested on its own.

const scheduled = new Set(["LambdaFunctionScheduled", "TaskScheduled", "ActivityScheduled"]);
const attemptEnds = new Set([
  "LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
  "TaskSucceeded", "TaskFailed", "TaskTimedOut",
]);
const executionEnds = new Set(["ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"]);

export function timeline(events, startDate) {
  const start = Date.parse(startDate);
  let state = "", entered = start, attempt = 0, attemptStart = start, attempts = 0;
  const rows = events.map((ev) => {
    const t = Date.parse(ev.time);
    let took = null;
    if (ev.type.endsWith("StateEntered")) {
      state = ev.state || state;
      entered = t;
      attempt = 0;
    } else if (ev.type.endsWith("StateExited")) {
      state = ev.state || state;
      took = t - entered;
    } else if (scheduled.has(ev.type)) {
      attempt++;
      attemptStart = t;
      attempts = Math.max(attempts, attempt);
    }
    if (attemptEnds.has(ev.type)) took = t - attemptStart;
    if (executionEnds.has(ev.type)) took = t - start;
    const inExecution = ev.type.startsWith("Execution");
    return {
      offset: t - start,
      state: inExecution ? "" : state,
      event: ev.type,
      attempt: inExecution ? 0 : attempt,
      took,
      error: ev.error || "",
      cause: readableCause(ev.cause || ""),
    };
  });
  return { rows, attempts };
}

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
