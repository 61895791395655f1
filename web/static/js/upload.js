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
 * fetch because only XHR reports upload progress. onProgress gets a
 * fraction from 0 to 1. Resolves when S3 answered 2xx.
 */
export function postFile(upload, file, type, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields || {})) form.append(name, value);
    // The part's own type follows the declared one even when the browser did
    // not know the file's type; the policy checks the Content-Type field.
    const body = file.type === type ? file : new File([file], file.name, { type });
    form.append("file", body, file.name); // last: S3 ignores fields after the file
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      reject(s3Error(xhr.status, xhr.responseText));
    });
    xhr.addEventListener("error", () =>
      reject(new UploadError("NetworkError", "The upload could not reach the storage service. Check your connection and try again.")));
    xhr.addEventListener("timeout", () =>
      reject(new UploadError("NetworkError", "The upload timed out. Check your connection and try again.")));
    xhr.send(form);
  });
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
