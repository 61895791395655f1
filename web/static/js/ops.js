// The operator page: recent executions, filterable, and one execution's
// history as a timeline with its upload's failure or renditions. It reads
// only the server's /ops/api routes, which hold the credentials; nothing
// here can sign a request.

import { readableCause, formatDuration } from "./ops-format.js";
import { renderChart } from "./ops-chart.js";

const $ = (sel) => document.querySelector(sel);

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

async function getJSON(url) {
  const resp = await fetch(url, { cache: "no-store" });
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // an empty or non-JSON answer: reported below
  }
  if (!resp.ok) throw new Error((body && body.error) || `${resp.status} ${resp.statusText}`);
  return body;
}

function showError(node, err) {
  node.textContent = err ? String(err.message || err) : "";
  node.hidden = !err;
}

function when(iso) {
  return iso ? new Date(iso).toISOString().replace("T", " ").replace("Z", " UTC") : "";
}

// The list is the window's executions as /ops/api/stats returns them
// (classified, with the totals computed from the same rows on the
// server); the filters then narrow what is listed, never the totals.
let rows = [];

async function loadExecutions() {
  try {
    const since = $("#window-filter").value;
    const page = await getJSON(`/ops/api/stats?since=${encodeURIComponent(since)}`);
    showError($("#list-error"), null);
    rows = page.executions;
    renderTotals(page.totals);
    renderChart($("#chart"), rows);
    renderCodes(rows);
    renderList();
  } catch (err) {
    showError($("#list-error"), err);
  }
  document.documentElement.dataset.ready = "true";
}

function renderTotals(t) {
  const dl = $("#totals");
  dl.replaceChildren();
  const add = (key, label, value) => {
    const div = el("div");
    div.dataset.total = key;
    div.append(el("dt", label), el("dd", value));
    dl.append(div);
  };
  add("uploads", "Uploads", t.uploads);
  add("succeeded", "Succeeded", t.succeeded);
  add("userRejections", "User rejections", t.userRejections);
  add("systemFailures", "System failures", t.systemFailures);
  add("p50", "Conversion p50", formatDuration(t.p50Ms) || "-");
  add("p95", "Conversion p95", formatDuration(t.p95Ms) || "-");
}

function renderCodes(list) {
  const select = $("#code-filter");
  const current = select.value;
  const codes = [...new Set(list.map((e) => e.code).filter(Boolean))].sort();
  select.replaceChildren(el("option", "All"));
  select.firstChild.value = "";
  for (const c of codes) select.append(el("option", c));
  select.value = codes.includes(current) ? current : "";
}

function renderList() {
  const status = $("#status-filter").value;
  const kind = $("#kind-filter").value;
  const code = $("#code-filter").value;
  const body = $("#executions tbody");
  body.replaceChildren();
  for (const e of rows) {
    if (status && e.status !== status) continue;
    if (kind && e.kind !== kind) continue;
    if (code && e.code !== code) continue;
    body.append(executionRow(e));
  }
  $("#no-executions").hidden = body.children.length > 0;
}

function executionRow(e) {
  const tr = el("tr");
  tr.className = "execution";
  tr.dataset.status = e.status;
  tr.dataset.upload = e.uploadId || "";
  tr.dataset.arn = e.executionArn;
  tr.append(
    el("td", when(e.startDate)),
    el("td", e.status, `status-${e.status}`),
    el("td", e.kind || "-", e.kind ? `kind-${e.kind}` : ""),
    el("td", e.code || "-"),
    el("td", formatDuration(e.durationMs), "num"),
    el("td", e.uploadId || "-"),
  );
  const link = el("a", e.name);
  link.href = `#arn=${encodeURIComponent(e.executionArn)}`;
  const td = el("td");
  td.append(link);
  tr.append(td);
  return tr;
}

async function showExecution(arn) {
  const detail = $("#detail");
  detail.hidden = false;
  detail.dataset.loaded = "";
  try {
    const d = await getJSON(`/ops/api/execution?arn=${encodeURIComponent(arn)}`);
    showError($("#detail-error"), null);
    renderDetail(d);
  } catch (err) {
    showError($("#detail-error"), err);
  }
  detail.dataset.loaded = "true";
  // Opened in view, with focus on it, so keyboard and screen-reader
  // users land where the content appeared.
  detail.scrollIntoView({ block: "start" });
  $("#detail-heading").focus({ preventScroll: true });
}

// retry asks the server to start the shown upload's next generation.
async function retry() {
  const button = $("#retry");
  const out = $("#retry-result");
  button.disabled = true;
  try {
    const resp = await fetch("/ops/api/retry", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target: button.dataset.target }),
    });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error || resp.statusText);
    out.textContent = `Retry ${body.outcome}: generation ${body.generation}`;
    out.dataset.outcome = body.outcome;
    loadExecutions();
  } catch (err) {
    out.textContent = `Retry failed: ${err.message || err}`;
    button.disabled = false;
  }
}

function renderDetail(d) {
  const ex = d.execution;
  const summary = $("#summary");
  summary.replaceChildren();
  const add = (k, v, className) => summary.append(el("dt", k), el("dd", v, className));
  add("Execution", ex.executionArn);
  add("Upload", ex.uploadId || "-");
  add("Status", ex.status, `status-${ex.status}`);
  add("Started", when(ex.startDate));
  add("Duration", formatDuration(ex.durationMs));
  add("Conversion attempts", d.attempts);
  if (d.error || d.cause) add("Error", `${d.error}: ${readableCause(d.cause || "")}`, "problem");
  const rec = d.record;
  if (rec) add("Generation", rec.generation || 1);
  const kind = rec && rec.error ? rec.error.kind : "";
  if (kind) add("Kind", kind, `kind-${kind}`);

  // Only a system failure whose record is still failed is offered a
  // retry: a user rejection would fail the same way.
  const button = $("#retry");
  button.hidden = !(rec && rec.state === "failed" && kind === "system");
  button.disabled = false;
  button.dataset.target = ex.uploadId || "";
  $("#retry-result").textContent = "";

  const failure = $("#failure");
  failure.replaceChildren();
  failure.hidden = !d.failure;
  if (d.failure) {
    const f = d.failure;
    failure.append(el("h3", "Failure record"));
    const dl = el("dl");
    const item = (k, v) => dl.append(el("dt", k), el("dd", v));
    item("Code", f.error ? f.error.code : "-");
    item("Message", f.error ? f.error.message : "-");
    item("Attempts", f.attempt);
    item("Failed at", when(f.updatedAt));
    if (f.stepFunctionsError) item("Step Functions error", `${f.stepFunctionsError}: ${readableCause(f.stepFunctionsCause || "")}`);
    failure.append(dl);
  }

  const renditions = $("#renditions");
  renditions.replaceChildren();
  renditions.hidden = !(d.renditions && d.renditions.length);
  if (!renditions.hidden) {
    renditions.append(el("h3", "Renditions"));
    const ul = el("ul");
    for (const r of d.renditions) {
      const li = el("li");
      const label = `${r.name} ${r.width}×${r.height} (${r.bytes} bytes)`;
      if (r.url) {
        const a = el("a", label);
        a.href = r.url;
        li.append(a);
      } else {
        li.textContent = label;
      }
      ul.append(li);
    }
    renditions.append(ul);
  }

  const body = $("#timeline tbody");
  body.replaceChildren();
  for (const r of d.events) {
    const tr = el("tr");
    tr.dataset.event = r.event;
    const cause = readableCause(r.cause || "");
    tr.append(
      el("td", `+${formatDuration(r.offsetMs)}`, "num"),
      el("td", r.state || "-"),
      el("td", r.event),
      el("td", r.attempt || "", "num"),
      el("td", formatDuration(r.durationMs), "num"),
      el("td", r.error ? `${r.error}${cause ? ": " + cause : ""}` : "", r.error ? "problem" : ""),
    );
    body.append(tr);
  }
}

function route() {
  const m = location.hash.match(/^#arn=(.+)$/);
  if (m) showExecution(decodeURIComponent(m[1]));
  else $("#detail").hidden = true;
}

for (const id of ["#status-filter", "#kind-filter", "#code-filter"]) $(id).addEventListener("change", renderList);
$("#window-filter").addEventListener("change", loadExecutions);
$("#refresh").addEventListener("click", loadExecutions);
$("#retry").addEventListener("click", retry);
window.addEventListener("hashchange", route);

// Live refresh: the window is read again every few seconds while the box
// is ticked and the tab is visible; filters and the open detail stay.
const LIVE_MS = 3000;
setInterval(() => {
  if ($("#live").checked && document.visibilityState === "visible") loadExecutions();
}, LIVE_MS);

loadExecutions();
route();
