// The S3 side of docs/protocol.md: a presigned POST of the grant's fields
// and then the file, with upload progress.

/** An upload S3 refused, with S3's error code (AccessDenied, EntityTooLarge…). */
export class UploadError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "UploadError";
    this.code = code;
  }
}

/**
 * postFile sends file to the grant's upload URL. XMLHttpRequest rather than
 * fetch because only XHR reports upload progress. onProgress gets the
 * bytes sent and the total. Returns {done, abort}: done resolves when S3
 * answered 2xx and rejects with an UploadError (code "Aborted" after
 * abort(), when S3 has stored nothing: it stores an object only once the
 * whole form has arrived).
 */
export function postFile(upload, file, type, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields || {})) form.append(name, value);
    // The part's own type follows the declared one even when the browser did
    // not know the file's type; the policy checks the Content-Type field.
    const body = file.type === type ? file : new File([file], file.name, { type });
    form.append("file", body, file.name); // last: S3 ignores fields after the file
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded, ev.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      reject(s3Error(xhr.status, xhr.responseText));
    });
    xhr.addEventListener("abort", () => reject(new UploadError("Aborted", "The upload was cancelled.")));
    xhr.addEventListener("error", () =>
      reject(new UploadError("NetworkError", "The upload could not reach the storage service. Check your connection and try again.")));
    xhr.addEventListener("timeout", () =>
      reject(new UploadError("NetworkError", "The upload timed out. Check your connection and try again.")));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * RateMeter turns progress samples into a speed and a time left, over the
 * last few seconds only, so a stall shows at once and an early burst into
 * the OS's buffers does not promise a finish that will not come.
 */
export class RateMeter {
  constructor(windowMs = 3000, now = () => performance.now()) {
    this.windowMs = windowMs;
    this.now = now;
    this.samples = [];
  }

  /** Records loaded bytes; returns {bytesPerSecond, secondsLeft} or null
   * while there is too little to go on. */
  add(loaded, total) {
    const t = this.now();
    this.samples.push([t, loaded]);
    while (this.samples.length > 2 && t - this.samples[0][0] > this.windowMs) this.samples.shift();
    const [t0, l0] = this.samples[0];
    if (t - t0 < 500 || loaded <= l0) return null;
    const bytesPerSecond = ((loaded - l0) * 1000) / (t - t0);
    return { bytesPerSecond, secondsLeft: Math.max(0, (total - loaded) / bytesPerSecond) };
  }
}

const S3_MESSAGES = {
  AccessDenied: "The storage service refused the upload: the upload permission expired or does not match the file.",
  EntityTooLarge: "The storage service refused the upload: the file is larger than declared.",
  EntityTooSmall: "The storage service refused the upload: the file is smaller than declared.",
};

function s3Error(status, text) {
  let code = "";
  let detail = "";
  try {
    const doc = new DOMParser().parseFromString(text || "", "application/xml");
    code = doc.querySelector("Error > Code")?.textContent?.trim() || "";
    detail = doc.querySelector("Error > Message")?.textContent?.trim() || "";
  } catch {
    // Not XML: fall through to the status line.
  }
  const message = S3_MESSAGES[code] || `The storage service refused the upload (HTTP ${status}${code ? ", " + code : ""}${detail ? ": " + detail : ""}).`;
  return new UploadError(code || `HTTP${status}`, message);
}
