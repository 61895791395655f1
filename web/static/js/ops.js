// The operator page: recent executions, filterable, and one execution's
// history as a timeline with its upload's failure or renditions. It reads
// only the server's /ops/api routes, which hold the credentials; nothing
// here can sign a request.

import { readableCause, formatDuration } from "./ops-format.js";

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

let nextToken = "";

async function loadExecutions(append) {
  const status = $("#status-filter").value;
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  if (append && nextToken) params.set("nextToken", nextToken);
  const body = $("#executions tbody");
  try {
    const page = await getJSON(`/ops/api/executions?${params}`);
    showError($("#list-error"), null);
    if (!append) body.replaceChildren();
    for (const e of page.executions) body.append(executionRow(e));
    nextToken = page.nextToken || "";
    $("#more").hidden = !nextToken;
    $("#no-executions").hidden = body.children.length > 0;
  } catch (err) {
    showError($("#list-error"), err);
  }
  document.documentElement.dataset.ready = "true";
}

function executionRow(e) {
  const tr = el("tr");
  tr.className = "execution";
  tr.dataset.status = e.status;
  tr.dataset.upload = e.uploadId || "";
  tr.append(
    el("td", when(e.startDate)),
    el("td", e.status, `status-${e.status}`),
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

$("#status-filter").addEventListener("change", () => loadExecutions(false));
$("#refresh").addEventListener("click", () => loadExecutions(false));
$("#more").addEventListener("click", () => loadExecutions(true));
window.addEventListener("hashchange", route);
loadExecutions(false);
route();
