// The upload page: choose images, watch each conversion live, download the
// renditions. Everything here follows docs/protocol.md; see docs/web.md for
// the choices the protocol leaves to the client. This file wires the page
// together; uploads.js moves files, history.js keeps the list, view.js
// draws a row, announce.js speaks.

import { Announcer } from "./announce.js";
import { Connection } from "./connection.js";
import { acceptAttribute, formatBytes, previewable, typeNames } from "./files.js";
import { History } from "./history.js";
import { droppedFiles, pastedFiles } from "./pick.js";
import { Uploads } from "./uploads.js";
import { FINISHED, buildRow, describe, renderRow } from "./view.js";
import { parseWatchFragment } from "./watchlist.js";

const TOKEN_ERRORS = new Set(["InvalidToken", "TokenExpired"]);
const LINK_MARGIN_MS = 30000; // fetch fresh links this long before they expire
const DEFAULT_HEARTBEAT_S = 25;

const $ = (sel) => document.querySelector(sel);
const ui = {
  drop: $("#drop"),
  input: $("#file-input"),
  refile: $("#refile-input"),
  limits: $("#limits"),
  list: $("#uploads"),
  empty: $("#empty"),
  clear: $("#clear"),
  total: $("#total"),
  totalText: $("#total .total-text"),
  totalBar: $("#total progress"),
  connection: $("#connection"),
  connectionText: $("#connection .connection-text"),
  pageError: $("#page-error"),
};

const tabId = crypto.randomUUID();
const history = new History(tabId);
const announcer = new Announcer($("#announcer"));
let config = null;
let conn = null;
let uploads = null;
const rows = new Map(); // key → <li>
const spoken = new Map(); // key → the phase last announced
const previews = new Map(); // key → object URL of the local file
const linkRequests = new Set(); // keys whose fresh links are on the way
const linkFailures = new Map(); // key → when `links` last failed, so a failure is not retried on every render
const LINK_RETRY_MS = 30000;
const subscribing = new Set(); // uploadIds with a subscribe in flight

/** What this tab may do with a row, by its phase. */
function controlsFor(entry, phase) {
  const can = new Set();
  const mine = uploads.hasFile(entry.key);
  if (phase === "queued" || phase === "waiting" || phase === "uploading") can.add("cancel");
  if ((phase === "failed" || phase === "cancelled") && mine) can.add("retry");
  if (phase === "interrupted") can.add("refile");
  if (phase !== "queued" && phase !== "waiting" && phase !== "uploading") can.add("remove");
  if (entry.token && (phase === "done" || phase === "failed") && entry.record) can.add("delete");
  return can;
}

function previewFor(entry) {
  const file = uploads.file(entry.key);
  if (!file) return null;
  if (!previewable(file)) return { label: (file.name.split(".").pop() || "file").toUpperCase().slice(0, 5) };
  if (!previews.has(entry.key)) previews.set(entry.key, URL.createObjectURL(file));
  return { url: previews.get(entry.key) };
}

/** Brings the list in line with the history: rows in the order the files
 * were added (so focus order follows the list), one per entry. */
function renderAll() {
  const entries = history.all();
  const keys = new Set(entries.map((e) => e.key));
  for (const [key, li] of rows) {
    if (keys.has(key)) continue;
    li.remove();
    rows.delete(key);
    spoken.delete(key);
    if (previews.has(key)) URL.revokeObjectURL(previews.get(key));
    previews.delete(key);
  }
  let prev = null;
  for (const e of entries) {
    let li = rows.get(e.key);
    if (!li) {
      li = buildRow(e.key);
      rows.set(e.key, li);
    }
    if (li.previousElementSibling !== prev || li.parentElement !== ui.list) {
      if (prev) prev.after(li);
      else ui.list.prepend(li);
    }
    prev = li;
    renderEntry(e);
  }
  ui.empty.hidden = entries.length > 0;
  ui.clear.hidden = !entries.some((e) => FINISHED.has(rowPhase(e)));
  renderTotal();
}

function rowPhase(entry) {
  return rows.get(entry.key)?.dataset.phase || "";
}

function renderEntry(entry) {
  const li = rows.get(entry.key);
  if (!li) return;
  const live = uploads.live(entry.key);
  const d = renderRow(li, entry, { live, can: controlsFor(entry, describe(entry, live).phase), preview: previewFor(entry) });
  speak(entry, d);
  if (d.phase === "done") ensureLinks(entry);
}

/**
 * speak announces a row's change of phase: every change for a lone file;
 * in a batch only failures, one by one, and a summary at most every 2 s.
 * Refusals are announced by uploads.js when they happen. A row seen for the
 * first time (after a reload, from another tab) is not announced.
 */
function speak(entry, d) {
  const before = spoken.get(entry.key);
  spoken.set(entry.key, d.phase);
  if (before === undefined || before === d.phase || d.phase === "queued" || d.phase === "rejected") return;
  const inBatch = uploads.batch.has(entry.key) && uploads.batch.size > 1;
  if (!inBatch) {
    announcer.say(`${entry.name}: ${d.phase === "uploading" || d.phase === "processing" ? d.phase : d.text}`);
    return;
  }
  if (d.phase === "failed") announcer.say(`${entry.name} ${d.text}`);
  announcer.summary(batchSummary);
}

function batchCounts() {
  const c = { total: 0, done: 0, failed: 0, cancelled: 0, waiting: 0, loaded: 0, size: 0, active: 0 };
  for (const key of uploads.batch) {
    const e = history.get(key);
    if (!e) continue;
    c.total++;
    const d = describe(e, uploads.live(key));
    if (d.phase === "done") c.done++;
    else if (d.phase === "failed" || d.phase === "rejected" || d.phase === "interrupted") c.failed++;
    else if (d.phase === "cancelled") c.cancelled++;
    else c.active++;
    if (d.phase === "waiting") c.waiting++;
    if (d.phase !== "rejected" && d.phase !== "cancelled") {
      c.size += e.size || 0;
      c.loaded += (e.size || 0) * (d.fraction ?? 0);
    }
  }
  return c;
}

function batchSummary() {
  const c = batchCounts();
  if (c.total < 2) return "";
  let s = `${c.done} of ${c.total} done`;
  if (c.failed) s += `, ${c.failed} failed`;
  if (c.cancelled) s += `, ${c.cancelled} cancelled`;
  if (c.waiting) s += `, ${c.waiting} waiting: too many uploads from this address`;
  return s;
}

/** The total progress line, for batches of two files or more. */
function renderTotal() {
  const c = batchCounts();
  ui.total.hidden = c.total < 2;
  if (c.total < 2) return;
  const pct = c.size ? Math.floor((c.loaded / c.size) * 100) : 100;
  ui.totalBar.value = pct;
  const rate = uploads.totalRate();
  const parts = [batchSummary()];
  if (c.active) parts.push(`${pct}% of ${formatBytes(c.size)} uploaded`);
  if (c.active && rate) parts.push(rate);
  const text = parts.join(" · ");
  if (ui.totalText.textContent !== text) ui.totalText.textContent = text;
}

/** A finished row needs links that save the file; they come from `links`
 * (the grant's do not carry the file's name) and are fetched again when
 * they have expired, by the page itself. */
async function ensureLinks(entry, { force = false } = {}) {
  const fresh = entry.links && Date.parse(entry.links.expiresAt || "") - LINK_MARGIN_MS > Date.now();
  if ((fresh && !force) || !entry.token || linkRequests.has(entry.key) || !conn) return entry.links;
  if (!force && Date.now() - (linkFailures.get(entry.key) || 0) < LINK_RETRY_MS) return entry.links;
  linkRequests.add(entry.key);
  try {
    const msg = await conn.request({ action: "links", uploadId: entry.uploadId, token: entry.token, name: entry.name });
    linkFailures.delete(entry.key);
    const e = history.get(entry.key);
    if (e && msg.links) return history.put({ key: e.key, links: msg.links }).links;
  } catch (err) {
    linkFailures.set(entry.key, Date.now());
    console.warn(`thumbflow: links for ${entry.uploadId}: ${err.code}: ${err.message}`);
    if (TOKEN_ERRORS.has(err.code) && history.get(entry.key)) {
      history.put({ key: entry.key, notice: `The download links cannot be renewed: ${err.message}` });
    }
  } finally {
    linkRequests.delete(entry.key);
  }
  return history.get(entry.key)?.links;
}

/** A click on a download whose link has expired waits for a fresh one. */
async function onDownloadClick(ev, key) {
  const a = ev.target.closest("a.download");
  const entry = history.get(key);
  if (!a || !entry) return;
  if (Date.parse(entry.links?.expiresAt || "") - LINK_MARGIN_MS > Date.now()) return;
  ev.preventDefault();
  const links = await ensureLinks(entry, { force: true });
  const url = links?.renditions?.[a.dataset.rendition];
  if (url) location.assign(url); // an attachment: the browser saves it and stays here
}

/** Keeps the record with the highest version; pushes come out of order or twice. */
function applyRecord(record) {
  if (!record || typeof record !== "object") return;
  const entry = history.byUpload(record.uploadId);
  if (!entry) return;
  const v = Number(record.version) || 0;
  if (entry.record && v <= (Number(entry.record.version) || 0)) return;
  if (v === 0 && entry.record) return;
  history.put({ key: entry.key, record });
}

async function subscribe(entry) {
  if (!entry.uploadId || !entry.token || subscribing.has(entry.uploadId)) return;
  subscribing.add(entry.uploadId);
  try {
    const msg = await conn.request({ action: "subscribe", uploadId: entry.uploadId, token: entry.token });
    applyRecord(msg.status);
  } catch (err) {
    if (TOKEN_ERRORS.has(err.code)) {
      history.put({ key: entry.key, phase: "failed", error: { code: err.code, message: err.message }, token: "" });
    } else {
      console.warn(`thumbflow: subscribe ${entry.uploadId}: ${err.code}: ${err.message}; retrying`);
      setTimeout(() => subscribe(history.get(entry.key) || {}), 5000);
    }
  } finally {
    subscribing.delete(entry.uploadId);
  }
}

/** Every unfinished row with a token, after every (re)connect. */
function resubscribeAll() {
  for (const e of history.all()) {
    const terminal = e.record && (e.record.state === "succeeded" || e.record.state === "failed");
    if (e.token && !terminal && e.phase !== "cancelled") subscribe(e);
  }
}

async function onControl(ev) {
  const b = ev.target.closest("button[data-action]");
  const li = ev.target.closest("li.upload");
  if (!b || !li) return;
  const key = li.dataset.key;
  const entry = history.get(key);
  if (!entry) return;
  switch (b.dataset.action) {
    case "cancel":
      uploads.cancel(key);
      break;
    case "retry":
      uploads.retry(key);
      break;
    case "refile":
      ui.refile.dataset.key = key;
      ui.refile.click();
      break;
    case "remove":
      removeRow(key);
      break;
    case "delete":
      await deleteFromServer(entry, b);
      break;
  }
}

/** Removes a row and keeps focus in the list: on the next row's first
 * control, or the drop zone when the list is empty. */
function removeRow(key) {
  const li = rows.get(key);
  const next = li?.nextElementSibling || li?.previousElementSibling;
  const hadFocus = li?.contains(document.activeElement);
  uploads.forget(key);
  history.remove(key);
  if (hadFocus) (next?.querySelector("button:not([hidden]), a") || ui.drop).focus();
}

async function deleteFromServer(entry, button) {
  button.disabled = true;
  try {
    await conn.request({ action: "delete", uploadId: entry.uploadId, token: entry.token });
    announcer.say(`${entry.name} deleted from the server`);
    removeRow(entry.key);
  } catch (err) {
    history.put({ key: entry.key, notice: `Not deleted: ${err.message}` });
    announcer.say(`${entry.name} not deleted: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

function clearFinished() {
  for (const e of history.all()) {
    if (FINISHED.has(rowPhase(e))) {
      uploads.forget(e.key);
      history.remove(e.key);
    }
  }
  announcer.say("Finished uploads cleared");
  ui.drop.focus();
}

function showConnection(state) {
  const shown = state === "open" ? "open" : state === "idle" ? "idle" : conn.everOpened || conn.attempt > 0 ? "reconnecting" : "connecting";
  ui.connection.dataset.connection = shown;
  const words = { open: "Connected", connecting: "Connecting…", reconnecting: "Reconnecting…", idle: "Not connected" };
  if (ui.connectionText.textContent !== words[shown]) ui.connectionText.textContent = words[shown];
}

function showPageError(message) {
  ui.pageError.textContent = message;
  ui.pageError.hidden = false;
}

function wireInputs() {
  const open = () => {
    if (config) ui.input.click();
  };
  ui.drop.addEventListener("click", open);
  ui.drop.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      open();
    }
  });
  ui.input.addEventListener("change", () => {
    uploads.add([...ui.input.files]);
    ui.input.value = ""; // choosing the same file again is a new upload
  });
  ui.refile.addEventListener("change", () => {
    const file = ui.refile.files[0];
    if (file && ui.refile.dataset.key) uploads.refile(ui.refile.dataset.key, file);
    ui.refile.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    ui.drop.addEventListener(type, (ev) => {
      ev.preventDefault();
      ui.drop.classList.add("over");
    });
  }
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  ui.drop.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    ui.drop.classList.remove("over");
    if (config) uploads.add(await droppedFiles(ev.dataTransfer));
  });
  document.addEventListener("paste", (ev) => {
    const files = pastedFiles(ev.clipboardData);
    if (!config || files.length === 0) return;
    ev.preventDefault();
    uploads.add(files);
  });
  // A file dropped beside the zone must not navigate away from the uploads.
  window.addEventListener("dragover", (ev) => ev.preventDefault());
  window.addEventListener("drop", (ev) => ev.preventDefault());
  ui.list.addEventListener("click", (ev) => {
    const li = ev.target.closest("li.upload");
    if (ev.target.closest("a.download") && li) onDownloadClick(ev, li.dataset.key);
    else onControl(ev);
  });
  ui.list.addEventListener("error", (ev) => {
    // A thumbnail whose link expired while the page slept.
    const li = ev.target.closest?.("li.upload");
    if (ev.target.classList?.contains("upload-thumb") && li) ensureLinks(history.get(li.dataset.key) || {}, { force: true });
  }, true);
  ui.clear.addEventListener("click", clearFinished);
}

async function loadConfig() {
  const res = await fetch("config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json answered HTTP ${res.status}`);
  const c = await res.json();
  if (!c || typeof c.websocketUrl !== "string" || !c.websocketUrl) throw new Error("config.json has no websocketUrl");
  return {
    websocketUrl: c.websocketUrl,
    maxBytes: Number(c.maxBytes) || 0,
    types: Array.isArray(c.types) ? c.types : [],
    renditions: Array.isArray(c.renditions) ? c.renditions : [],
    heartbeatMs: (Number(c.heartbeatSeconds) || DEFAULT_HEARTBEAT_S) * 1000,
  };
}

/** A #watch=<id>&token=… link (from another browser or device) adds the
 * upload to the history and is removed from the address bar at once: the
 * token is a capability. */
function watchFromFragment() {
  const w = parseWatchFragment(location.hash);
  if (!w) return;
  window.history.replaceState(null, "", location.pathname + location.search);
  if (history.byUpload(w.uploadId)) return;
  const until = Date.parse(w.watchUntil) || Date.now() + 24 * 3600e3;
  subscribe(history.put({
    key: crypto.randomUUID(), name: w.name || `upload ${w.uploadId.slice(0, 8)}`, size: 0, createdAt: Date.now(),
    expiresAt: until, phase: "posted", uploadId: w.uploadId, token: w.token, watchUntil: w.watchUntil,
  }));
}

async function start() {
  try {
    config = await loadConfig();
  } catch (err) {
    showPageError(`This page cannot reach its server configuration (${err.message}). Reload to try again.`);
    ui.limits.textContent = "Unavailable";
    return;
  }
  ui.input.accept = acceptAttribute(config);
  ui.refile.accept = ui.input.accept;
  ui.drop.setAttribute("aria-disabled", "false");
  const max = config.maxBytes > 0 ? ` up to ${formatBytes(config.maxBytes)} each` : "";
  ui.limits.textContent = `${typeNames(config.types)} images${max}. You can also paste an image or drop a folder.`;

  conn = new Connection(config.websocketUrl, { heartbeatMs: config.heartbeatMs });
  uploads = new Uploads({ conn, history, config, announcer, tabId, changed: (key) => renderEntryOrAll(key) });
  wireInputs();
  conn.addEventListener("state", (ev) => showConnection(ev.detail));
  conn.addEventListener("status", (ev) => applyRecord(ev.detail));
  conn.addEventListener("open", resubscribeAll);
  window.addEventListener("online", () => conn.reconnectNow());
  history.addEventListener("change", () => renderAll());
  history.addEventListener("progress", (ev) => {
    uploads.remoteProgress(ev.detail);
    renderEntryOrAll(ev.detail.key);
  });
  history.addEventListener("ask", (ev) => ev.detail.what === "cancel" && uploads.owns(ev.detail.key) && uploads.cancel(ev.detail.key));
  window.addEventListener("beforeunload", (ev) => {
    if (!uploads.inFlight()) return;
    ev.preventDefault();
    ev.returnValue = ""; // older browsers need it set to show the prompt
  });
  window.addEventListener("pagehide", () => uploads.interruptAll());
  setInterval(() => {
    history.prune();
    for (const e of history.all()) if (rowPhase(e) === "done") ensureLinks(e);
  }, 60000);

  renderAll();
  await uploads.findInterrupted();
  watchFromFragment();
  window.addEventListener("hashchange", watchFromFragment);
  conn.connect();
  document.documentElement.dataset.ready = "true";
}

function renderEntryOrAll(key) {
  const e = history.get(key);
  if (e && rows.has(key)) {
    renderEntry(e);
    renderTotal();
  } else renderAll();
}

start();
