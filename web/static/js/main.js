// The upload page: choose images, watch each conversion live, download the
// renditions. Everything here follows docs/protocol.md; see docs/web.md for
// the choices the protocol leaves to the client.

import { Connection } from "./connection.js";
import { acceptAttribute, checkFile, declaredType, formatBytes, requestName, typeNames } from "./files.js";
import { postFile } from "./upload.js";
import { Watchlist, parseWatchFragment, watchFragment } from "./watchlist.js";

const TERMINAL = new Set(["succeeded", "failed"]);
const TOKEN_ERRORS = new Set(["InvalidToken", "TokenExpired"]);
const PARALLEL_UPLOADS = 3;
const LINK_MARGIN_MS = 30000; // refresh presigned links this long before they expire

const $ = (sel) => document.querySelector(sel);
const ui = {
  drop: $("#drop"),
  input: $("#file-input"),
  limits: $("#limits"),
  list: $("#uploads"),
  empty: $("#empty"),
  clear: $("#clear"),
  announcer: $("#announcer"),
  connection: $("#connection"),
  connectionText: $("#connection .connection-text"),
  pageError: $("#page-error"),
};

let config = null;
let conn = null;
const watchlist = new Watchlist();
/** Every row: local key → item. Items with a grant are also in byUpload. */
const items = new Map();
const byUpload = new Map();
let nextKey = 1;

/**
 * An item is one row: a file being uploaded here, or an upload watched
 * through its grant (after a reload, or from another tab).
 */
function newItem(name, size) {
  const item = {
    key: `u${nextKey++}`,
    name,
    size,
    uploadId: "",
    token: "",
    record: null, // the status record with the highest version seen
    links: null,
    posted: false, // this tab saw S3 accept the file
    progress: null, // upload fraction while this tab uploads; null when unknown
    resumed: false, // restored from sessionStorage or a #watch link
    localError: null, // {code, message, rejected} when the client stopped it
    subscribing: false,
    spoken: "",
    el: null,
  };
  items.set(item.key, item);
  item.el = buildRow(item);
  ui.list.append(item.el);
  render(item);
  return item;
}

function buildRow(item) {
  const li = document.createElement("li");
  li.className = "upload";
  li.dataset.key = item.key;
  li.innerHTML = `
    <div class="upload-head">
      <span class="upload-name"></span>
      <span class="upload-size"></span>
    </div>
    <div class="upload-progress">
      <label for="progress-${item.key}">Upload</label>
      <progress id="progress-${item.key}" max="100"></progress>
      <span class="upload-percent" aria-hidden="true"></span>
    </div>
    <p class="upload-status"></p>
    <div class="upload-result" hidden>
      <img class="upload-thumb" alt="">
      <ul class="upload-downloads" aria-label="Downloads"></ul>
    </div>
    <p class="upload-actions" hidden><a class="upload-watch" target="_blank" rel="noopener">Watch in another tab</a></p>`;
  li.querySelector(".upload-name").textContent = item.name;
  li.querySelector(".upload-thumb").alt = `Thumbnail of ${item.name}`;
  li.querySelector(".upload-downloads").setAttribute("aria-label", `Downloads for ${item.name}`);
  return li;
}

/** The state shown for an item and the words for it. */
function describe(item) {
  if (item.localError) {
    return { state: item.localError.rejected ? "rejected" : "failed", text: `failed: ${item.localError.message}` };
  }
  const r = item.record;
  const state = r ? r.state : "waiting";
  switch (state) {
    case "waiting":
      if (item.posted) return { state: "uploaded", text: "uploaded" };
      if (item.resumed && item.progress === null && watchlist.get(item.uploadId)?.posted === false) {
        return { state: "waiting", text: "waiting (the upload was interrupted by a reload; choose the file again)" };
      }
      return { state: "waiting", text: "waiting" };
    case "uploaded":
    case "converting":
      return { state, text: state };
    case "retrying":
      return { state, text: `retrying (attempt ${r.attempt || 2})` };
    case "succeeded":
      return { state, text: "done" };
    case "failed":
      return { state, text: `failed: ${r.error?.message || "The conversion failed."}` };
    default:
      return { state, text: state };
  }
}

function isTerminal(item) {
  return !!item.localError || (item.record && TERMINAL.has(item.record.state));
}

function render(item) {
  const el = item.el;
  const { state, text } = describe(item);
  el.dataset.state = state;
  if (item.uploadId) el.dataset.uploadId = item.uploadId;
  el.querySelector(".upload-size").textContent = item.size ? formatBytes(item.size) : "";
  el.querySelector(".upload-status").textContent = text;

  const progress = el.querySelector("progress");
  const percent = el.querySelector(".upload-percent");
  let fraction = item.progress;
  if (item.posted || (item.record && item.record.state !== "waiting")) fraction = 1;
  if (item.localError?.rejected) fraction = 0;
  if (fraction === null) {
    progress.removeAttribute("value"); // indeterminate: another tab is uploading
    percent.textContent = "";
  } else {
    const pct = Math.round(fraction * 100);
    progress.value = pct;
    progress.textContent = `${pct}%`;
    percent.textContent = `${pct}%`;
  }

  renderResult(item);

  const actions = el.querySelector(".upload-actions");
  const entry = item.uploadId && watchlist.get(item.uploadId);
  actions.hidden = !entry;
  if (entry) el.querySelector(".upload-watch").href = watchFragment(entry);

  if (text !== item.spoken) {
    item.spoken = text;
    announce(`${item.name}: ${text}`);
  }
  ui.empty.hidden = items.size > 0;
  ui.clear.hidden = ![...items.values()].some(isTerminal);
}

function renderResult(item) {
  const box = item.el.querySelector(".upload-result");
  const r = item.record;
  if (!r || r.state !== "succeeded" || !item.links) {
    box.hidden = true;
    return;
  }
  const renditions = Array.isArray(r.renditions) ? r.renditions : [];
  const urls = item.links.renditions || {};
  const thumb = renditions.find((x) => x.name === "thumb") ||
    [...renditions].sort((a, b) => a.width * a.height - b.width * b.height)[0];
  const img = box.querySelector(".upload-thumb");
  if (thumb && urls[thumb.name]) {
    if (img.dataset.rendition !== thumb.name || !img.getAttribute("src")) {
      img.dataset.rendition = thumb.name;
      img.width = thumb.width;
      img.height = thumb.height;
      img.src = urls[thumb.name];
    }
    img.hidden = false;
  } else {
    img.hidden = true;
  }
  const list = box.querySelector(".upload-downloads");
  list.replaceChildren();
  for (const rd of renditions) {
    const li = document.createElement("li");
    const label = `${rd.name} (${rd.width}×${rd.height}${rd.bytes ? ", " + formatBytes(rd.bytes) : ""})`;
    if (urls[rd.name]) {
      const a = document.createElement("a");
      a.href = urls[rd.name];
      a.target = "_blank";
      a.rel = "noopener";
      a.download = `${stem(item.name)}-${rd.name}${extension(rd.contentType)}`;
      a.dataset.rendition = rd.name;
      a.textContent = label;
      a.addEventListener("click", (ev) => refreshLinkOnClick(ev, item, rd.name));
      li.append(a);
    } else {
      li.textContent = label;
    }
    list.append(li);
  }
  box.hidden = false;
}

function stem(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : name || "image";
}

function extension(contentType) {
  return { "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp" }[contentType] || "";
}

/** Presigned links live an hour; a click on a stale one gets a fresh one first. */
async function refreshLinkOnClick(ev, item, name) {
  const expires = Date.parse(item.links?.expiresAt || "");
  if (!expires || expires - LINK_MARGIN_MS > Date.now()) return;
  ev.preventDefault();
  const tab = window.open("", "_blank"); // opened now, while the click still counts as a user gesture
  await subscribe(item);
  const url = item.links?.renditions?.[name];
  if (tab && url) tab.location = url;
  else if (tab) tab.close();
}

function announce(text) {
  // One polite live region for the whole page, as screen readers expect.
  ui.announcer.textContent = text;
}

/** Keeps the record with the highest version; pushes can come out of order or twice. */
function applyRecord(item, record) {
  if (!record || typeof record !== "object") return;
  const v = Number(record.version) || 0;
  if (item.record && v <= (Number(item.record.version) || 0)) return;
  item.record = record;
}

async function subscribe(item) {
  if (!item.uploadId || !item.token || item.subscribing) return;
  item.subscribing = true;
  try {
    const msg = await conn.request({ action: "subscribe", uploadId: item.uploadId, token: item.token });
    applyRecord(item, msg.status);
    if (msg.links) item.links = msg.links;
    if (msg.links) watchlist.put({ uploadId: item.uploadId, links: msg.links });
  } catch (err) {
    if (TOKEN_ERRORS.has(err.code)) {
      item.localError = { code: err.code, message: err.message };
      watchlist.remove(item.uploadId);
    } else {
      console.warn(`thumbflow: subscribe ${item.uploadId}: ${err.code}: ${err.message}; retrying`);
      setTimeout(() => !isTerminal(item) && subscribe(item), 5000);
    }
  } finally {
    item.subscribing = false;
    render(item);
  }
}

function adopt(item, grant) {
  item.uploadId = grant.uploadId;
  item.token = grant.token;
  item.links = grant.links || null;
  byUpload.set(item.uploadId, item);
  watchlist.put({
    uploadId: grant.uploadId,
    token: grant.token,
    watchUntil: grant.watchUntil,
    name: item.name,
    size: item.size,
    posted: false,
    uploadExpiresAt: grant.upload?.expiresAt || "",
  });
}

// A small pool so that dropping 50 images does not open 50 uploads at once.
let active = 0;
const queue = [];
function runLimited(task) {
  return new Promise((resolve, reject) => {
    const start = () => {
      active++;
      task().then(resolve, reject).finally(() => {
        active--;
        queue.shift()?.();
      });
    };
    if (active < PARALLEL_UPLOADS) start();
    else queue.push(start);
  });
}

async function uploadFile(item, file, type) {
  let retried = false;
  for (;;) {
    let grant;
    try {
      const msg = await conn.request({ action: "upload", name: requestName(item.name), type, size: file.size });
      grant = msg.grant;
      if (!grant?.uploadId || !grant?.upload?.url) throw Object.assign(new Error("The server sent an incomplete grant."), { code: "InternalError" });
    } catch (err) {
      item.localError = { code: err.code, message: err.message };
      render(item);
      return;
    }
    adopt(item, grant);
    item.progress = 0;
    render(item);
    try {
      await postFile(grant.upload, file, type, (f) => {
        item.progress = f;
        render(item);
      });
    } catch (err) {
      // An expired grant (a long queue, a sleeping laptop) is worth one new grant.
      const expired = Date.parse(grant.upload.expiresAt || "") <= Date.now();
      watchlist.remove(item.uploadId);
      byUpload.delete(item.uploadId);
      if (err.code === "AccessDenied" && expired && !retried) {
        retried = true;
        item.uploadId = "";
        item.record = null;
        continue;
      }
      item.localError = { code: err.code, message: err.message };
      render(item);
      return;
    }
    item.posted = true;
    watchlist.put({ uploadId: item.uploadId, posted: true });
    render(item);
    return;
  }
}

function addFiles(fileList) {
  if (!config) return;
  for (const file of fileList) {
    const item = newItem(file.name, file.size);
    const problem = checkFile(file, config);
    if (problem) {
      item.localError = { ...problem, rejected: true };
      render(item);
      continue;
    }
    const type = declaredType(file);
    runLimited(() => uploadFile(item, file, type)).catch((err) => {
      item.localError = { code: "InternalError", message: `The upload failed: ${err.message}` };
      render(item);
    });
  }
}

/** Watches an upload this tab did not start: from sessionStorage or a #watch link. */
function watch(entry) {
  let item = byUpload.get(entry.uploadId);
  if (!item) {
    item = newItem(entry.name || `upload ${entry.uploadId.slice(0, 8)}`, entry.size || 0);
    item.uploadId = entry.uploadId;
    item.token = entry.token;
    item.resumed = true;
    item.links = entry.links || null;
    byUpload.set(item.uploadId, item);
  }
  if (!watchlist.get(entry.uploadId)) watchlist.put(entry);
  render(item);
  subscribe(item);
}

function watchFromFragment() {
  const entry = parseWatchFragment(location.hash);
  if (!entry) return;
  // The token should not linger in the address bar or the history.
  history.replaceState(null, "", location.pathname + location.search);
  watch(entry);
}

function clearFinished() {
  for (const item of [...items.values()]) {
    if (!isTerminal(item)) continue;
    item.el.remove();
    items.delete(item.key);
    if (item.uploadId) {
      byUpload.delete(item.uploadId);
      watchlist.remove(item.uploadId);
    }
  }
  ui.empty.hidden = items.size > 0;
  ui.clear.hidden = true;
  announce("Finished uploads cleared");
  ui.drop.focus();
}

function showConnection(state) {
  ui.connection.dataset.connection = state;
  const words = {
    open: "Connected",
    connecting: "Connecting…",
    waiting: `Reconnecting in ${Math.max(1, Math.round((conn.retryAt - Date.now()) / 1000))} s…`,
    idle: "Idle",
  };
  ui.connectionText.textContent = words[state] || state;
}

function showPageError(message) {
  ui.pageError.textContent = message;
  ui.pageError.hidden = false;
}

function wireDropZone() {
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
    addFiles([...ui.input.files]);
    ui.input.value = ""; // choosing the same file again is a new upload
  });
  for (const type of ["dragenter", "dragover"]) {
    ui.drop.addEventListener(type, (ev) => {
      ev.preventDefault();
      ui.drop.classList.add("over");
    });
  }
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  ui.drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    ui.drop.classList.remove("over");
    addFiles([...(ev.dataTransfer?.files || [])]);
  });
  // A file dropped beside the zone must not navigate away from the uploads.
  window.addEventListener("dragover", (ev) => ev.preventDefault());
  window.addEventListener("drop", (ev) => ev.preventDefault());
}

function describeLimits() {
  const max = config.maxBytes > 0 ? ` up to ${formatBytes(config.maxBytes)} each` : "";
  ui.limits.textContent = `${typeNames(config.types)} images${max}`;
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
  };
}

async function start() {
  wireDropZone();
  ui.clear.addEventListener("click", clearFinished);
  try {
    config = await loadConfig();
  } catch (err) {
    showPageError(`This page cannot reach its server configuration (${err.message}). Reload to try again.`);
    ui.limits.textContent = "Unavailable";
    return;
  }
  ui.input.accept = acceptAttribute(config);
  ui.drop.setAttribute("aria-disabled", "false");
  describeLimits();

  conn = new Connection(config.websocketUrl, {
    wanted: () => [...byUpload.values()].some((i) => !isTerminal(i)),
  });
  conn.addEventListener("state", (ev) => showConnection(ev.detail));
  conn.addEventListener("status", (ev) => {
    const item = byUpload.get(ev.detail.uploadId);
    if (!item) return;
    applyRecord(item, ev.detail);
    render(item);
  });
  // After every reconnect: subscribe again to everything still in flight.
  conn.addEventListener("open", () => {
    for (const item of byUpload.values()) {
      if (!isTerminal(item)) subscribe(item);
    }
  });
  window.addEventListener("online", () => conn.reconnectNow());
  setInterval(() => conn.state === "waiting" && showConnection("waiting"), 1000);

  for (const entry of watchlist.all()) watch(entry);
  watchFromFragment();
  window.addEventListener("hashchange", watchFromFragment);
  conn.connect();
  document.documentElement.dataset.ready = "true";
}

start();
