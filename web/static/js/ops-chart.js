// The outcomes chart: stacked bars of succeeded, user rejections and
// system failures per time bucket, as inline SVG (no library, no build
// step). Colours come from ops.css classes, so dark mode applies.

const SVG = "http://www.w3.org/2000/svg";

// buckets splits executions (newest first, with startDate, status and
// kind) into n equal slices of time from the oldest to now.
export function buckets(executions, n, now = Date.now()) {
  const out = Array.from({ length: n }, () => ({ ok: 0, user: 0, system: 0 }));
  if (!executions.length) return out;
  const start = Math.min(...executions.map((e) => Date.parse(e.startDate)));
  const span = Math.max(now - start, 1);
  for (const e of executions) {
    const i = Math.min(n - 1, Math.floor(((Date.parse(e.startDate) - start) / span) * n));
    if (e.status === "SUCCEEDED") out[i].ok++;
    else if (e.kind === "user") out[i].user++;
    else if (e.status !== "RUNNING") out[i].system++;
  }
  return out;
}

export function renderChart(node, executions) {
  const data = buckets(executions, 24);
  const top = Math.max(1, ...data.map((b) => b.ok + b.user + b.system));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 240 40");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const total = data.reduce((s, b) => s + b.ok + b.user + b.system, 0);
  svg.setAttribute("aria-label", `${total} ended executions in 24 slices of the window; the tallest slice has ${top}`);
  data.forEach((b, i) => {
    let y = 40;
    for (const [k, cls] of [["ok", "bar-ok"], ["user", "bar-user"], ["system", "bar-system"]]) {
      if (!b[k]) continue;
      const h = (b[k] / top) * 40;
      y -= h;
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", String(i * 10 + 1));
      r.setAttribute("width", "8");
      r.setAttribute("y", String(y));
      r.setAttribute("height", String(h));
      r.setAttribute("class", cls);
      svg.append(r);
    }
  });
  node.replaceChildren(svg);
}
