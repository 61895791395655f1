// Where files come from besides the file picker: a drop (of files, or of
// folders, whose image files are taken) and a paste from the clipboard.

import { looksLikeImage } from "./files.js";

/** The files of a drop. Folders are walked (with their subfolders) and
 * only their images kept: a folder's other files are not the user's
 * choice, unlike a file dropped on its own, which is checked and, if
 * need be, refused with a reason. */
export async function droppedFiles(dataTransfer) {
  if (!dataTransfer) return [];
  const entries = [...(dataTransfer.items || [])]
    .filter((it) => it.kind === "file")
    .map((it) => it.webkitGetAsEntry?.())
    .filter(Boolean);
  if (!entries.some((e) => e.isDirectory)) return [...(dataTransfer.files || [])];
  const out = [];
  for (const entry of entries) {
    if (entry.isDirectory) out.push(...(await folderImages(entry)));
    else out.push(await fileOf(entry));
  }
  return out;
}

async function folderImages(dir) {
  const files = [];
  const reader = dir.createReader();
  // readEntries answers in chunks (100 in Chromium) until it answers none.
  for (;;) {
    const chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (chunk.length === 0) break;
    for (const entry of chunk) {
      if (entry.isDirectory) files.push(...(await folderImages(entry)));
      else {
        const f = await fileOf(entry);
        if (looksLikeImage(f)) files.push(f);
      }
    }
  }
  return files;
}

function fileOf(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** The files of a paste: a copied image arrives as a file named
 * "image.png"; it gets a name with the time so rows can be told apart. */
export function pastedFiles(clipboardData) {
  const files = [...(clipboardData?.files || [])];
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return files.map((f, i) =>
    f.name && f.name !== "image.png" ? f : new File([f], `pasted-${stamp}${files.length > 1 ? "-" + (i + 1) : ""}.${(f.type.split("/")[1] || "png").replace("jpeg", "jpg")}`, { type: f.type }));
}
