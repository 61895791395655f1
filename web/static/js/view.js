// One row of the upload list: what a history entry means to the user
// (describe) and its DOM (buildRow, renderRow). No state lives here: the
// page passes in the entry, the live progress and what this tab can do.

import { formatBytes } from "./files.js";

const PROCESSING = new Set(["uploaded", "converting", "retrying"]);
const SERVER_STATES = new Set(["uploaded", "converting", "retrying", "succeeded", "failed"]);

/** The phases a user lives: each is announced once. */
export const FINISHED = new Set(["done", "failed", "rejected", "cancelled", "interrupted"]);

/**
 * describe says where an entry stands: state (the row's data-state: the
 * server's state once it has one, else what the page did), phase (queued,
 * waiting, uploading, processing, done, failed, rejected, cancelled, interrupted),
 * the status line, and the fraction uploaded (null: unknown).
 */
export function describe(entry, live) {
  // (waiting: the server refused the grant for now, TooManyGrants, and the
  // page asks again at entry.retryAt.)
  const r = entry.record;
  if (r && SERVER_STATES.has(r.state) && entry.phase !== "cancelled") {
    if (PROCESSING.has(r.state)) {
      const what = r.state === "retrying" ? `retrying (attempt ${r.attempt || 2})` : r.state;
      return { state: r.state, phase: "processing", text: `processing: ${what}`, fraction: 1 };
    }
    if (r.state === "succeeded") return { state: "succeeded", phase: "done", text: "done", fraction: 1 };
    return { state: "failed", phase: "failed", text: `failed: ${r.error?.message || "The conversion failed."}`, fraction: 1 };
  }
  switch (entry.phase) {
    case "queued":
      return { state: "queued", phase: "queued", text: "queued", fraction: 0 };
    case "waiting": {
      const s = Math.max(0, Math.ceil(((entry.retryAt || 0) - Date.now()) / 1000));
      const when = s > 0 ? `retrying in ${s} s` : "retrying now";
      return { state: "waiting", phase: "waiting", text: `waiting: too many uploads from this address; ${when}`, fraction: 0 };
    }
    case "uploading": {
      const f = live && live.total > 0 ? live.loaded / live.total : null;
      return { state: "uploading", phase: "uploading", text: f === null ? "uploading" : `uploading ${Math.floor(f * 100)}%`, fraction: f };
    }
    case "posted":
      return { state: "uploaded", phase: "processing", text: "processing: uploaded", fraction: 1 };
    case "cancelled":
      return { state: "cancelled", phase: "cancelled", text: "cancelled", fraction: 0 };
    case "rejected":
      return { state: "rejected", phase: "rejected", text: `not uploaded: ${entry.error?.message || "refused"}`, fraction: 0 };
    case "interrupted":
      return {
        state: "interrupted", phase: "interrupted", fraction: 0,
        text: "interrupted: the page was closed during the upload, so the file did not arrive. Choose the file again to upload it.",
      };
    default:
      return { state: "failed", phase: "failed", text: `failed: ${entry.error?.message || "The upload failed."}`, fraction: 0 };
  }
}

/** "1.2 MB/s, 3 s left" for an upload in progress; "" until known. */
export function rateText(rate) {
  if (!rate || !(rate.bytesPerSecond > 0)) return "";
  const s = Math.ceil(rate.secondsLeft);
  const left = s >= 90 ? `${Math.round(s / 60)} min left` : `${s} s left`;
  return `${formatBytes(Math.round(rate.bytesPerSecond))}/s, ${left}`;
}

const CONTROLS = [
  ["cancel", "Cancel"],
  ["retry", "Upload again"],
  ["refile", "Choose the file again"],
  ["remove", "Remove"],
  ["delete", "Delete from the server"],
];

export function buildRow(key) {
  const li = document.createElement("li");
  li.className = "upload";
  li.dataset.key = key;
  li.innerHTML = `
    <div class="upload-media" aria-hidden="true">
      <img class="upload-preview" alt="" hidden>
      <span class="upload-placeholder"></span>
    </div>
    <div class="upload-body">
      <div class="upload-head">
        <span class="upload-name"></span>
        <span class="upload-size"></span>
      </div>
      <div class="upload-progress">
        <progress max="100"></progress>
        <span class="upload-percent" aria-hidden="true"></span>
      </div>
      <p class="upload-status"></p>
      <p class="upload-detail"></p>
      <div class="upload-result" hidden>
        <img class="upload-thumb" alt="">
        <ul class="upload-downloads"></ul>
      </div>
      <div class="upload-controls"></div>
    </div>`;
  const controls = li.querySelector(".upload-controls");
  for (const [action, label] of CONTROLS) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn btn-${action}`;
    b.dataset.action = action;
    b.hidden = true;
    b.append(label, Object.assign(document.createElement("span"), { className: "visually-hidden file-name" }));
    controls.append(b);
  }
  return li;
}

/**
 * renderRow brings li up to date. can lists the controls to show;
 * preview is {url} for a local preview, {label} for a placeholder, or null.
 */
export function renderRow(li, entry, { live, can, preview }) {
  const d = describe(entry, live);
  li.dataset.state = d.state;
  li.dataset.phase = d.phase;
  if (entry.uploadId) li.dataset.uploadId = entry.uploadId;
  else delete li.dataset.uploadId;
  setText(li.querySelector(".upload-name"), entry.name);
  setText(li.querySelector(".upload-size"), entry.size ? formatBytes(entry.size) : "");
  setText(li.querySelector(".upload-status"), d.text);
  const detail = d.phase === "uploading" ? rateText(live?.rate) : entry.notice || "";
  setText(li.querySelector(".upload-detail"), detail);
  for (const s of li.querySelectorAll(".file-name")) setText(s, ` ${entry.name}`);

  const progress = li.querySelector("progress");
  progress.setAttribute("aria-label", `Upload of ${entry.name}`);
  const percent = li.querySelector(".upload-percent");
  li.querySelector(".upload-progress").hidden = d.phase === "rejected" || d.phase === "interrupted";
  if (d.fraction === null) {
    progress.removeAttribute("value");
    setText(percent, "");
  } else {
    const pct = Math.floor(d.fraction * 100);
    if (progress.value !== pct || !progress.hasAttribute("value")) progress.value = pct;
    setText(percent, `${pct}%`);
  }
  for (const b of li.querySelectorAll(".upload-controls button")) b.hidden = !can.has(b.dataset.action);
  const shown = renderResult(li, entry);
  renderPreview(li, shown ? null : preview);
  return d;
}

function renderPreview(li, preview) {
  const img = li.querySelector(".upload-preview");
  const box = li.querySelector(".upload-placeholder");
  const media = li.querySelector(".upload-media");
  media.hidden = !preview;
  if (preview?.url) {
    if (img.getAttribute("src") !== preview.url) img.src = preview.url;
    img.hidden = false;
    box.hidden = true;
  } else {
    img.hidden = true;
    box.hidden = false;
    setText(box, preview?.label || "");
  }
}

/** Shows the thumbnail and download links of a finished upload; reports
 * whether it did. */
function renderResult(li, entry) {
  const box = li.querySelector(".upload-result");
  const r = entry.record;
  if (!r || r.state !== "succeeded" || !entry.links || entry.phase === "cancelled") {
    box.hidden = true;
    return false;
  }
  const renditions = Array.isArray(r.renditions) ? r.renditions : [];
  const urls = entry.links.renditions || {};
  const thumb = renditions.find((x) => x.name === "thumb") ||
    [...renditions].sort((a, b) => a.width * a.height - b.width * b.height)[0];
  const img = box.querySelector(".upload-thumb");
  img.alt = `Thumbnail of ${entry.name}`;
  if (thumb && urls[thumb.name]) {
    if (img.getAttribute("src") !== urls[thumb.name]) {
      img.width = thumb.width;
      img.height = thumb.height;
      img.src = urls[thumb.name];
    }
    img.hidden = false;
  } else {
    img.hidden = true;
  }
  const list = box.querySelector(".upload-downloads");
  list.setAttribute("aria-label", `Downloads for ${entry.name}`);
  const want = renditions.filter((rd) => urls[rd.name]).map((rd) => [rd, urls[rd.name]]);
  const same = list.children.length === want.length &&
    want.every(([rd, url], i) => list.children[i].firstElementChild?.getAttribute("href") === url);
  if (!same) {
    list.replaceChildren(...want.map(([rd, url]) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.className = "download";
      a.href = url;
      a.dataset.rendition = rd.name;
      a.append(`Download ${rd.name} (${rd.width}×${rd.height}${rd.bytes ? ", " + formatBytes(rd.bytes) : ""})`,
        Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: ` of ${entry.name}` }));
      li.append(a);
      return li;
    }));
  }
  box.hidden = false;
  return !img.hidden;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
