// radbridge's web console: signs in with an API token (kept for this tab
// only) and reads and acts through /api/v1 and /metrics. Every value from
// the server reaches the page as text (textContent), never as markup.
"use strict";

const state = { token: sessionStorage.getItem("radbridge-token"), who: null, timer: null, view: 0, lastCount: null };
const rank = { viewer: 0, reviewer: 1, operator: 2, phi: 3 };
const may = (role) => state.who && rank[state.who.role] >= rank[role];

// el("td", {title: "PID-3"}, "text", child, ...): an element with attributes and children.
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}
const link = (href, text) => el("a", { href }, text);
function table(headers, rows) {
  return el("table", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h))),
            ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c)))));
}
function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
}

async function api(path, options = {}) {
  const r = await fetch("/api/v1/" + path, {
    ...options,
    headers: { Authorization: "Bearer " + state.token, ...(options.body ? { "Content-Type": "application/json" } : {}) },
  });
  const body = await r.json().catch(() => ({ error: "no JSON from the server" }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
const post = (path, body) => api(path, { method: "POST", body: body ? JSON.stringify(body) : undefined });

// One button that runs `act` and shows its outcome next to itself.
function action(label, act) {
  const note = el("span", { class: "note" });
  const button = el("button", { type: "button", onclick: async () => {
    button.disabled = true;
    try { note.className = "ok"; note.textContent = " " + (await act()); }
    catch (e) { note.className = "error"; note.textContent = " " + e.message; button.disabled = false; }
  } }, label);
  return el("span", {}, button, note);
}

// ---- pages

async function dashboard() {
  const [destinations, dead, metrics] = await Promise.all([
    api("destinations"), api("dead-letters?limit=1000"), fetch("/metrics").then((r) => r.text()),
  ]);
  const m = parseMetrics(metrics);
  const sum = (name, filter = () => true) =>
    m.filter((s) => s.name === name && filter(s.labels)).reduce((a, s) => a + s.value, 0);
  const acks = [...new Set(m.filter((s) => s.name === "radbridge_messages_received_total").map((s) => s.labels.ack))];
  // Throughput: messages received per minute since the previous refresh.
  const received = sum("radbridge_messages_received_total");
  const now = Date.now();
  const last = state.lastCount;
  state.lastCount = { received, at: now };
  const perMinute = last && now > last.at ? ((received - last.received) * 60000 / (now - last.at)).toFixed(1) : "-";
  const tiles = el("div", { class: "tiles" },
    tile("messages/min", perMinute),
    tile("messages received", received),
    ...acks.map((a) => tile("ACK " + a, sum("radbridge_messages_received_total", (l) => l.ack === a))),
    tile("jobs done", sum("radbridge_jobs_total", (l) => l.outcome === "done")),
    tile("jobs failed", sum("radbridge_jobs_total", (l) => l.outcome === "failed")),
    tile("dead letters", dead.dead_letters.length));
  const ttn = [...new Set(m.filter((s) => s.name === "radbridge_time_to_notification_seconds_bucket")
    .map((s) => s.labels.destination + "/" + s.labels.output))].map((key) => {
    const [destination, output] = key.split("/");
    const buckets = m.filter((s) => s.name === "radbridge_time_to_notification_seconds_bucket" &&
                                    s.labels.destination === destination && s.labels.output === output);
    return [destination, output, quantile(buckets, 0.5), quantile(buckets, 0.95)];
  });
  return [el("h1", {}, "Dashboard"), tiles,
    el("h2", {}, "Destinations"),
    table(["destination", "pending", "oldest (s)", "dead letters", "last attempt", "last failure", "state", ""],
      destinations.destinations.map((d) => [d.name, String(d.pending), d.oldest_pending_seconds.toFixed(1),
        String(d.dead_letters), d.last_attempt_at ? `${d.last_outcome} ${d.last_attempt_at}` : "never",
        d.last_error ? `${d.last_failure_at}: ${d.last_error}` : "",
        d.paused ? `paused by ${d.paused.by}: ${d.paused.reason}` : "running",
        may("operator") ? pauseButton(d) : ""])),
    el("h2", {}, "Time to notification (trigger received to result delivered)"),
    table(["destination", "output", "p50 (s) ≤", "p95 (s) ≤"], ttn)];
}
function tile(label, value) { return el("div", { class: "tile" }, el("b", {}, String(value)), label); }
function pauseButton(d) {
  if (d.paused) return action("Resume", async () => { await post(`destinations/${encodeURIComponent(d.name)}/resume`); return "resumed"; });
  const reason = el("input", { placeholder: "reason", "aria-label": `reason to pause ${d.name}` });
  return el("span", {}, reason, action("Pause", async () => {
    await post(`destinations/${encodeURIComponent(d.name)}/pause`, { reason: reason.value });
    return "paused";
  }));
}

// Prometheus text: [{name, labels, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}
// The upper bound of the bucket holding quantile q of a cumulative histogram.
function quantile(buckets, q) {
  const sorted = buckets.map((b) => ({ le: Number(b.labels.le === "+Inf" ? Infinity : b.labels.le), n: b.value }))
    .sort((a, b) => a.le - b.le);
  const total = sorted.length ? sorted[sorted.length - 1].n : 0;
  if (total === 0) return "-";
  const hit = sorted.find((b) => b.n >= q * total);
  return hit.le === Infinity ? "> last bucket" : String(hit.le);
}

async function messages(query) {
  const fields = ["control_id", "type", "interface", "ack", "status", ...(may("phi") ? ["mrn", "accession"] : [])];
  const inputs = Object.fromEntries(fields.map((f) => [f, el("input", { name: f, value: query.get(f) ?? "" })]));
  const form = el("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [f, i] of Object.entries(inputs)) if (i.value) q.set(f, i.value);
    location.hash = "#/messages?" + q.toString();
  } }, ...fields.map((f) => el("label", {}, f.replace("_", " "), inputs[f])), el("button", { type: "submit" }, "Search"));
  const found = await api("messages?" + query.toString());
  return [el("h1", {}, "Messages"), form,
    table(["id", "received", "interface", "type", "control id", "sender", "status", "ACK"],
      found.messages.map((m) => [link(`#/messages/${m.id}`, String(m.id)), m.received_at, m.interface, m.type,
        m.control_id, `${m.sending_application}^${m.sending_facility}`, m.status, m.ack]))];
}

async function message(id) {
  const m = await api("messages/" + id);
  const parts = [el("h1", {}, `Message ${m.id}: ${m.type} ${m.control_id}`),
    table(["received", "interface", "sender", "status", "ACK", "bytes"],
      [[m.received_at, m.interface, `${m.sending_application}^${m.sending_facility}`, m.status, m.ack, String(m.bytes)]]),
    el("h2", {}, "Jobs"),
    table(["job", "route", "study", "status", "acuity"],
      m.jobs.map((j) => [String(j.id), j.route, link(`#/studies/${encodeURIComponent(j.study_key)}`, j.study_key),
        j.status, j.acuity || "-"]))];
  if (m.hl7 !== undefined) parts.push(el("h2", {}, "HL7 (hover a field for its path)"), hl7View(m.hl7),
                                      el("h2", {}, "ACK sent"), hl7View(m.ack_hl7));
  else parts.push(el("p", {}, "The message's text and patient data need the phi role."));
  return parts;
}
// One line per segment; each field a span titled with its path (PID-3, MSH-9).
function hl7View(text) {
  const box = el("div", { class: "hl7" });
  for (const segment of text.split(/\r\n|\r|\n/).filter(Boolean)) {
    const fields = segment.split("|");
    const name = fields[0];
    const line = el("div", {}, el("span", { title: name }, name));
    fields.slice(1).forEach((f, i) => {
      const n = name === "MSH" ? i + 2 : i + 1;  // MSH-1 is the field separator itself
      line.append("|", el("span", { title: `${name}-${n}` }, f));
    });
    box.append(line);
  }
  return box;
}

async function study(key) {
  const trail = await api("studies/" + encodeURIComponent(key));
  const parts = [el("h1", {}, "Study " + trail.study_key)];
  for (const j of trail.jobs) {
    const events = [[j.created_at, `job ${j.id} on route ${j.route} (${j.mode}) started by message ${j.control_id}`]];
    if (j.readiness) events.push([j.readiness.since, `readiness: series ${j.readiness.series_uid}, ${j.readiness.instances} instances`]);
    for (const x of j.inferences) {
      events.push([x.at, `inference ${x.model} ${x.version} (sha256 ${x.sha256.slice(0, 12)}…): ` +
        x.findings.map((f) => `${f.display || f.label} ${f.present === undefined ? f.value + " " + (f.unit || "") : f.present ? "present" : "absent"}`).join(", ")]);
    }
    if (j.finished_at) events.push([j.finished_at, `job ${j.status}${j.acuity ? ", acuity " + j.acuity : ""}${j.failure ? " (" + j.failure + ")" : ""}`]);
    for (const o of j.outputs) {
      for (const d of o.deliveries) {
        events.push([d.at, `${o.output} ${o.revision === "original" ? "" : o.revision + " "}to ${o.destination}, attempt ${d.attempt}: ${d.outcome}${d.error ? " (" + d.error + ")" : ""}`]);
      }
    }
    if (j.cancelled_by) events.push(["", `${j.withdrawn ? "results withdrawn" : "cancelled"} by message ${j.cancelled_by}`]);
    for (const f of trail.feedback.filter((x) => x.route === j.route)) {
      events.push([f.recorded_at, `${f.source === "report" ? `${f.report_status} report` : `${f.author}`}: ` +
        `${f.finding} ${f.verdict ?? f.value}${f.comment ? " (" + f.comment + ")" : ""}${f.superseded_at ? ", superseded" : ""}`]);
    }
    events.sort((a, b) => (a[0] || "~").localeCompare(b[0] || "~"));
    parts.push(el("h2", { class: j.acuity === "critical" ? "critical" : null }, `Job ${j.id}: ${j.status}`),
      el("ol", { class: "timeline" }, ...events.map(([at, text]) => el("li", {}, el("time", {}, at), text))),
      table(["output", "destination", "identity", "status", "attempts", "last error"],
        j.outputs.map((o) => [o.output, o.destination, o.identity, o.status, String(o.attempts), o.last_error || ""])));
    if (j.status === "done" && may("reviewer")) parts.push(feedbackForm(trail, j));
  }
  return parts;
}
// A reviewer's verdict on each present/absent finding of a done job.
function feedbackForm(trail, job) {
  const findings = job.inferences.flatMap((x) => x.findings).filter((f) => f.present !== undefined);
  if (!findings.length) return el("span");
  return el("div", { class: "feedback" }, el("h2", {}, `Your verdict on job ${job.id}`),
    table(["finding", "AI", "comment", ""], findings.map((f) => {
      const comment = el("input", { placeholder: "comment (optional)", "aria-label": `comment on ${f.label}` });
      const give = (verdict) => action(verdict === "agree" ? "Agree" : "Disagree", async () => {
        const body = { route: job.route, finding: f.label, verdict };
        if (comment.value) body.comment = comment.value;
        const done = await post(`studies/${encodeURIComponent(trail.study_key)}/feedback`, body);
        return `recorded: ${done.verdict}`;
      });
      return [f.display || f.label, f.present ? "present" : "absent", comment, el("span", {}, give("agree"), " ", give("disagree"))];
    })));
}

async function worklist() {
  const w = await api("worklist");
  return [el("h1", {}, "Worklist: most urgent first, then by arrival"),
    table(["acuity", "study", "route", "mode", "status", "arrived"],
      w.studies.map((s) => [el("span", { class: s.acuity === "critical" ? "critical" : null }, s.acuity || "pending"),
        link(`#/studies/${encodeURIComponent(s.study_key)}`, s.study_key), s.route, s.mode, s.status, s.arrived_at]))];
}

async function deadLetters() {
  const d = await api("dead-letters");
  return [el("h1", {}, "Dead letters"),
    table(["id", "destination", "output", "identity", "attempts", "last error", "since", ""],
      d.dead_letters.map((x) => [String(x.id), x.destination, x.output, x.identity, String(x.attempts), x.last_error,
        x.created_at, may("operator") ? deadLetterActions(x) : ""]))];
}
function deadLetterActions(x) {
  const reason = el("input", { placeholder: "reason to discard", "aria-label": `reason to discard ${x.id}` });
  return el("span", {},
    action("Requeue", async () => { await post(`dead-letters/${x.id}/requeue`); return "requeued"; }), " ",
    reason, action("Discard", async () => { await post(`dead-letters/${x.id}/discard`, { reason: reason.value }); return "discarded"; }));
}

async function routes() {
  const r = await api("routes");
  return [el("h1", {}, "Routes"),
    table(["route", "mode", "mapping's mode", "last change", ""],
      r.routes.map((x) => [x.name, el("b", {}, x.mode), x.mapping_mode,
        x.changes.length ? `${x.changes[0].mode} by ${x.changes[0].changed_by} at ${x.changes[0].changed_at}: ${x.changes[0].reason}` : "",
        may("operator") ? modeSwitch(x) : ""]))];
}
function modeSwitch(route) {
  const mode = el("select", { "aria-label": `mode of ${route.name}` },
    ...["silent", "assist", "active"].map((m) => el("option", m === route.mode ? { selected: "" } : {}, m)));
  const reason = el("input", { placeholder: "reason", "aria-label": `reason to change ${route.name}` });
  return el("span", {}, mode, reason, action("Switch", async () => {
    const done = await post(`routes/${encodeURIComponent(route.name)}/mode`, { mode: mode.value, reason: reason.value });
    return "now " + done.mode;
  }));
}

async function validation(query) {
  const known = (await api("routes")).routes.map((r) => r.name);
  const route = query.get("route") || known[0] || "";
  const inputs = {
    route: el("select", { name: "route" }, ...known.map((n) => el("option", n === route ? { selected: "" } : {}, n))),
    model: el("input", { name: "model", value: query.get("model") ?? "" }),
    since: el("input", { name: "since", type: "date", value: query.get("since") ?? "" }),
  };
  const form = el("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [f, i] of Object.entries(inputs)) if (i.value) q.set(f, i.value);
    location.hash = "#/validation?" + q.toString();
  } }, ...Object.keys(inputs).map((f) => el("label", {}, f, inputs[f])), el("button", { type: "submit" }, "Show"));
  if (!route) return [el("h1", {}, "Validation"), el("p", {}, "This engine runs no routes.")];
  const asked = new URLSearchParams({ route });
  if (query.get("model")) asked.set("model", query.get("model"));
  if (query.get("since")) asked.set("since", query.get("since"));
  const report = await api("report?" + asked.toString());
  const parts = [el("h1", {}, `Validation of ${report.route} against the radiologists`), form];
  if (!report.groups.length) parts.push(el("p", {}, "No done jobs."));
  for (const g of report.groups) {
    parts.push(el("h2", { class: g.verdict === "accepted" ? "ok" : g.verdict === "not accepted" ? "critical" : null },
      `${g.model} ${g.version}, ${g.mode}: ${g.verdict}`),
      el("p", {}, `${g.studies} studies, ${g.with_feedback} with feedback; order to result p50 ` +
        `${seconds(g.order_to_result_ms.p50)}, to first delivery p50 ${seconds(g.order_to_delivery_ms.p50)}`),
      ...g.reasons.map((r) => el("p", { class: "note" }, r)));
    for (const f of g.findings) {
      parts.push(el("h2", {}, f.label),
        el("div", { class: "plots" }, confusionGrid(f), rocPlot(f), weeklyPlot(f)),
        table(["measure", "estimate", "95% CI", "of"], ["sensitivity", "specificity", "ppv", "npv"].map((k) =>
          f[k] ? [k.toUpperCase().length === 3 ? k.toUpperCase() : k, f[k].estimate.toFixed(2),
                  `${f[k].lower.toFixed(2)}-${f[k].upper.toFixed(2)}`, `${f[k].hits} of ${f[k].total}`]
               : [k, "undefined", "", ""])));
    }
    for (const v of g.values) {
      parts.push(el("p", {}, v.pairs ? `${v.label}: ${v.pairs} pairs, mean difference (AI - radiologist) ` +
        `${v.mean_difference.toFixed(2)} ${v.unit}, limits of agreement ${v.lower_limit.toFixed(2)} to ` +
        `${v.upper_limit.toFixed(2)} ${v.unit}` : `${v.label}: no study with both values`));
    }
  }
  parts.push(...await driftSection(route));
  return parts;
}
// The route's drift monitors: each model's features against its first studies, and its weekly positive rate.
async function driftSection(route) {
  let drift;
  try { drift = await api("drift?route=" + encodeURIComponent(route)); }
  catch (e) { return [el("h2", {}, "Drift"), el("p", { class: "note" }, e.message)]; }
  const number = (x) => (x === null ? "-" : Number(x.toPrecision(4)).toString());
  const parts = [el("h2", {}, `Drift: the last ${drift.rules.window_days} days against the first ` +
                                `${drift.rules.reference_studies} studies`)];
  for (const m of drift.models) {
    parts.push(el("h2", { class: m.state === "drift" ? "critical" : null }, `${m.model}: ${m.state}`),
      el("div", { class: "plots" },
        table(["feature", "reference", "last days", "score", "threshold"],
          m.features.map((f) => [f.feature, number(f.reference), number(f.current),
            el("span", { class: f.over ? "critical" : null }, number(f.score)), number(f.threshold)])),
        weeklyRate(m)));
  }
  return parts;
}
function weeklyRate(m) {
  const weeks = m.weeks.filter((w) => w.positive_rate !== null);
  const width = Math.max(160, 36 * weeks.length + 40), base = 130;
  const plot = svg("svg", { width, height: 160, role: "img", "aria-label": `weekly positive rate of ${m.model}` },
    svg("text", { x: 4, y: 12, "font-size": 11 }, "positive rate by week"),
    svg("line", { x1: 30, y1: base, x2: width - 4, y2: base, stroke: "#8a99a8" }));
  const at = (w, i) => `${44 + 36 * i},${base - w.positive_rate * 100}`;
  if (weeks.length) plot.append(svg("polyline", { points: weeks.map(at).join(" "), fill: "none", stroke: "#16324f", "stroke-width": 2 }));
  weeks.forEach((w, i) => {
    const [cx, cy] = at(w, i).split(",");
    plot.append(svg("circle", { cx, cy, r: 3, fill: "#16324f" }, svg("title", {}, `week of ${w.week}: ${w.studies} studies`)),
      svg("text", { x: cx, y: base + 14, "text-anchor": "middle", "font-size": 9 }, w.week.slice(5)));
  });
  return plot;
}
const seconds = (ms) => (ms === undefined ? "-" : (ms / 1000).toFixed(1) + " s");

// SVG, built as DOM nodes (presentation attributes only: the console's CSP allows no inline style).
function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function confusionGrid(f) {
  const c = f.confusion;
  const most = Math.max(1, c.true_positive, c.false_positive, c.false_negative, c.true_negative);
  const cell = (x, y, n, agree, label) => [
    svg("rect", { x, y, width: 90, height: 60, fill: agree ? "#1b6e2f" : "#b00020", "fill-opacity": 0.15 + 0.75 * n / most }),
    svg("text", { x: x + 45, y: y + 28, "text-anchor": "middle", "font-size": 20 }, n),
    svg("text", { x: x + 45, y: y + 48, "text-anchor": "middle", "font-size": 11 }, label)];
  return svg("svg", { width: 260, height: 190, role: "img", "aria-label": `confusion table of ${f.label}` },
    svg("text", { x: 170, y: 14, "text-anchor": "middle", "font-size": 12 }, "radiologist"),
    svg("text", { x: 125, y: 30, "text-anchor": "middle", "font-size": 11 }, "positive"),
    svg("text", { x: 215, y: 30, "text-anchor": "middle", "font-size": 11 }, "negative"),
    svg("text", { x: 4, y: 75, "font-size": 11 }, "AI present"),
    svg("text", { x: 4, y: 135, "font-size": 11 }, "AI absent"),
    ...cell(80, 40, c.true_positive, true, "true positive"), ...cell(170, 40, c.false_positive, false, "false positive"),
    ...cell(80, 100, c.false_negative, false, "false negative"), ...cell(170, 100, c.true_negative, true, "true negative"),
    svg("text", { x: 4, y: 182, "font-size": 11 }, `uncertain ${c.uncertain}, no verdict ${c.no_verdict}`));
}
function rocPlot(f) {
  const size = 170, x0 = 35, y0 = 10;
  const at = (p) => `${x0 + p.false_positive_rate * size},${y0 + (1 - p.sensitivity) * size}`;
  const plot = svg("svg", { width: 230, height: 220, role: "img", "aria-label": `ROC of ${f.label}` },
    svg("rect", { x: x0, y: y0, width: size, height: size, fill: "#fff", stroke: "#8a99a8" }),
    svg("line", { x1: x0, y1: y0 + size, x2: x0 + size, y2: y0, stroke: "#c4ced8", "stroke-dasharray": "4 3" }),
    svg("text", { x: x0 + size / 2, y: y0 + size + 28, "text-anchor": "middle", "font-size": 11 }, "false positive rate"),
    svg("text", { x: 12, y: y0 + size / 2, "font-size": 11, transform: `rotate(-90 12 ${y0 + size / 2})`, "text-anchor": "middle" }, "sensitivity"));
  if (!f.roc.length) {
    plot.append(svg("text", { x: x0 + size / 2, y: y0 + size / 2, "text-anchor": "middle", "font-size": 11 },
      "needs positives and negatives"));
    return plot;
  }
  plot.append(svg("polyline", { points: f.roc.map(at).join(" "), fill: "none", stroke: "#16324f", "stroke-width": 2 }));
  for (const p of f.roc) {
    const [cx, cy] = at(p).split(",");
    plot.append(svg("circle", { cx, cy, r: 3, fill: "#16324f" }, svg("title", {}, `threshold ${p.threshold.toFixed(2)}: ` +
      `sensitivity ${p.sensitivity.toFixed(2)}, false positive rate ${p.false_positive_rate.toFixed(2)}`)));
  }
  plot.append(svg("text", { x: x0 + size - 4, y: y0 + size - 6, "text-anchor": "end", "font-size": 12 }, `AUC ${f.auc.toFixed(3)}`));
  return plot;
}
function weeklyPlot(f) {
  const width = Math.max(120, 40 * f.weeks.length + 40), height = 170, base = 140;
  const plot = svg("svg", { width, height, role: "img", "aria-label": `weekly agreement of ${f.label}` },
    svg("text", { x: 4, y: 12, "font-size": 11 }, "agreement by week"),
    svg("line", { x1: 30, y1: base, x2: width - 4, y2: base, stroke: "#8a99a8" }));
  f.weeks.forEach((w, i) => {
    const share = w.total ? w.agree / w.total : 0;
    const h = share * 110;
    plot.append(svg("rect", { x: 36 + 40 * i, y: base - h, width: 28, height: h, fill: "#16324f" },
      svg("title", {}, `week of ${w.week}: ${w.agree} of ${w.total} agree`)),
      svg("text", { x: 50 + 40 * i, y: base - h - 4, "text-anchor": "middle", "font-size": 10 }, `${Math.round(share * 100)}%`),
      svg("text", { x: 50 + 40 * i, y: base + 14, "text-anchor": "middle", "font-size": 9 }, w.week.slice(5)));
  });
  return plot;
}

// ---- navigation

// Each page returns its nodes; only the latest navigation's are shown (a
// slow page finishing after a faster, later one must not cover it).
async function render() {
  clearInterval(state.timer);
  const view = ++state.view;
  const put = (nodes) => { if (view === state.view) show(...nodes); };
  const [path, search] = (location.hash.slice(1) || "/dashboard").split("?");
  const query = new URLSearchParams(search || "");
  const parts = path.split("/").filter(Boolean);
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("current", a.getAttribute("href") === "#/" + parts[0]);
  try {
    if (parts[0] === "messages" && parts[1]) put(await message(parts[1]));
    else if (parts[0] === "messages") put(await messages(query));
    else if (parts[0] === "studies") put(await study(decodeURIComponent(parts[1] || "")));
    else if (parts[0] === "worklist") put(await worklist());
    else if (parts[0] === "dead-letters") put(await deadLetters());
    else if (parts[0] === "routes") put(await routes());
    else if (parts[0] === "validation") put(await validation(query));
    else {
      put(await dashboard());
      // Live, but never under someone typing a reason.
      state.timer = setInterval(() => {
        const typing = [...document.querySelectorAll("main input")].some((i) => i.value || i === document.activeElement);
        if (!typing) dashboard().then(put, () => {});
      }, 5000);
    }
  } catch (e) {
    put([el("p", { class: "error", role: "alert" }, e.message)]);
  }
}

async function signIn(token) {
  state.token = token;
  state.who = await api("session");
  sessionStorage.setItem("radbridge-token", token);
  document.getElementById("nav").hidden = false;
  document.getElementById("who").replaceChildren(`${state.who.name} (${state.who.role}) `,
    el("button", { type: "button", onclick: () => { sessionStorage.clear(); location.hash = ""; location.reload(); } }, "Sign out"));
  window.addEventListener("hashchange", render);
  await render();
}

document.getElementById("sign-in").addEventListener("submit", async (e) => {
  e.preventDefault();
  try { await signIn(document.getElementById("token").value); }
  catch (err) { document.getElementById("sign-in-error").textContent = err.message; }
});
if (state.token) signIn(state.token).catch(() => sessionStorage.clear());
