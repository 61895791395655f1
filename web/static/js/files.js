// Checks a chosen file against the limits in config.json before anything is
// sent, so a too-large or non-image file is refused at once and the server
// never sees it. The server checks the same things again.

const TYPE_BY_EXTENSION = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  jpe: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  avif: "image/avif",
};

const TYPE_NAMES = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/bmp": "BMP",
  "image/tiff": "TIFF",
  "image/webp": "WebP",
  "image/heic": "HEIC",
  "image/heif": "HEIC",
  "image/avif": "AVIF",
};

/** What a refused type is, in words a user knows, when it is a known
 * format; the refusal then says what to do instead of naming a MIME type. */
const KNOWN_FORMATS = {
  "image/heic": "a HEIC photo (the iPhone's default format)",
  "image/heif": "a HEIC photo (the iPhone's default format)",
  "image/avif": "an AVIF image",
  "image/svg+xml": "an SVG drawing",
  "application/pdf": "a PDF document",
};

/** The type to declare: the browser's own File.type, or, when the browser
 * does not know one, a guess from the extension. */
export function declaredType(file) {
  if (file.type) return file.type;
  const dot = file.name.lastIndexOf(".");
  if (dot < 0) return "";
  return TYPE_BY_EXTENSION[file.name.slice(dot + 1).toLowerCase()] || "";
}

/** Human-readable size in the binary units the server's messages use
 * (a 25 MB limit is 25 × 1024 × 1024 bytes), so both say the same number. */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KB`;
  return `${trim(n / (1024 * 1024))} MB`;
}

function trim(x) {
  return x.toFixed(1).replace(/\.0$/, "");
}

/** "JPEG, PNG or WebP" for the accepted types, each name once (HEIC has
 * two MIME types). */
export function typeNames(types) {
  return joinOr([...new Set(types.map((t) => TYPE_NAMES[t] || t))]);
}

/** Returns null when the file may be uploaded, else {code, message} using
 * the codes of docs/protocol.md. */
export function checkFile(file, config) {
  const type = declaredType(file);
  if (!type || !config.types.includes(type)) {
    return { code: "UnsupportedFormat", message: unsupportedMessage(file.name, type, config.types) };
  }
  if (file.size === 0) {
    return { code: "EmptyFile", message: `${file.name} is empty. Choose an image with something in it.` };
  }
  if (config.maxBytes > 0 && file.size > config.maxBytes) {
    return {
      code: "FileTooLarge",
      message: `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(config.maxBytes)}. Choose a smaller image.`,
    };
  }
  return null;
}

function unsupportedMessage(name, type, accepted) {
  const names = typeNames(accepted);
  const kinds = `${/^[AEIOU]/.test(names) ? "an" : "a"} ${names} image`; // "an AVIF, …"
  const choose = `Choose ${kinds}`;
  if (type === "image/heic" || type === "image/heif") {
    return `${name} is ${KNOWN_FORMATS[type]}, which cannot be converted here. Export it as JPEG (on an iPhone: Settings, Camera, Formats, Most Compatible) or choose ${kinds}.`;
  }
  if (KNOWN_FORMATS[type]) return `${name} is ${KNOWN_FORMATS[type]}, which cannot be converted here. ${choose}.`;
  return `${name} is not an image that can be converted here. ${choose}.`;
}

/** Whether a file found in a dropped folder is worth offering: images
 * only, so a folder's .DS_Store or notes are skipped rather than refused. */
export function looksLikeImage(file) {
  const type = declaredType(file);
  return type.startsWith("image/");
}

/** Whether this browser can show the file in an <img> before conversion. */
export function previewable(file) {
  const type = declaredType(file);
  return ["image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/avif"].includes(type);
}

function joinOr(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** The accept attribute for the file input, from the server's list. */
export function acceptAttribute(config) {
  const exts = Object.entries(TYPE_BY_EXTENSION)
    .filter(([, t]) => config.types.includes(t))
    .map(([e]) => `.${e}`);
  return [...config.types, ...exts].join(",");
}

/** The name to send with `upload`: protocol.md allows 1–255 bytes of UTF-8,
 * and the name is only for display, so a longer one is cut at a character
 * boundary rather than refused. */
export function requestName(name) {
  const enc = new TextEncoder();
  if (!name) return "image";
  if (enc.encode(name).length <= 255) return name;
  let out = "";
  let bytes = 0;
  for (const ch of name) {
    const n = enc.encode(ch).length;
    if (bytes + n > 255) break;
    out += ch;
    bytes += n;
  }
  return out;
}
