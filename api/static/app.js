// chartproof coder workspace: vanilla JS, no build step. Talks to the /v1 API with the API key from
// localStorage (X-API-Key). Chart text is only ever put in the page with textContent, never as HTML.
"use strict";

const KEY_STORAGE = "chartproof.apiKey";

const state = {
  chart: null,        // the chart as sent / stored (chart.schema.json)
  result: null,       // the CodingResult
  record: null,       // the audit record, when known
  selected: null,     // the code whose evidence is highlighted
  marks: new Map(),   // code -> {state: "pending"|"accepted"|"rejected"|"edited", replacement}
  threadId: null,
  threadChart: null,  // the chart the chat thread was created with
  busy: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// -- API ------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function authHeaders() {
  const key = localStorage.getItem(KEY_STORAGE);
  return key ? { "X-API-Key": key } : {};
}

async function request(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await problemOf(response);
  return response;
}

async function api(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

async function problemOf(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch (_) {
    problem = { title: response.statusText };
  }
  return new ApiError(response.status, problem);
}

// -- feedback ----------------------------------------------------------------------------------------

function showError(error) {
  const banner = $("error-banner");
  let message = error instanceof ApiError ? error.message : `Something went wrong: ${error.message || error}`;
  if (error instanceof ApiError && error.status === 401) {
    message = `${message}. Enter a valid API key at the top right.`;
    $("api-key").focus();
  }
  banner.textContent = message;
  banner.hidden = false;
}

function clearError() {
  $("error-banner").hidden = true;
  $("error-banner").textContent = "";
}

let toastTimer = null;
function toast(message) {
  const node = $("toast");
  node.textContent = message;
  node.classList.add("visible");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => node.classList.remove("visible"), 3500);
}

function setBusy(busy, label) {
  state.busy = busy;
  const button = $("code-button");
  button.disabled = busy;
  button.textContent = busy ? label || "Working…" : "Code it";
  document.body.classList.toggle("busy", busy);
}

// -- the chart ---------------------------------------------------------------------------------------

function spansOf(code) {
  const suggestion = state.result && state.result.codes.find((c) => c.code === code);
  if (!suggestion) return [];
  return suggestion.evidence
    .map((ev) => [ev.start, ev.end])
    .filter(([s, e]) => Number.isInteger(s) && Number.isInteger(e) && e > s)
    .sort((a, b) => a[0] - b[0]);
}

function mergeSpans(spans) {
  const merged = [];
  for (const [start, end] of spans) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

// Evidence offsets are Python str indices (code points); JS strings index UTF-16 units.
function codePointIndex(text) {
  const units = [];
  let unit = 0;
  for (const ch of text) {
    units.push(unit);
    unit += ch.length;
  }
  units.push(unit);
  return (i) => units[Math.min(Math.max(i, 0), units.length - 1)];
}

function renderChart() {
  const view = $("chart-view");
  view.replaceChildren();
  if (!state.chart) {
    view.append(el("span", { class: "placeholder", text: "Paste a chart above or pick one from the review queue." }));
    return;
  }
  const text = state.chart.text;
  const toUnit = codePointIndex(text);
  const spans = state.selected ? mergeSpans(spansOf(state.selected)) : [];
  let cursor = 0;
  let first = null;
  spans.forEach(([start, end], n) => {
    const s = toUnit(start);
    const e = toUnit(end);
    if (s > cursor) view.append(text.slice(cursor, s));
    const mark = el("mark", {
      class: "evidence",
      "data-testid": "evidence-mark",
      "data-code": state.selected,
      title: `Evidence for ${state.selected} (${n + 1} of ${spans.length})`,
      text: text.slice(s, e),
    });
    view.append(mark);
    first = first || mark;
    cursor = e;
  });
  if (cursor < text.length) view.append(text.slice(cursor));
  if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
}

function renderChartMeta() {
  const parts = [];
  const chart = state.chart;
  if (chart) {
    if (chart.id) parts.push(chart.id);
    parts.push(chart.setting || "outpatient");
    if (chart.specialty) parts.push(chart.specialty);
    const patient = chart.patient || {};
    if (patient.age !== undefined && patient.age !== null) parts.push(`${patient.age} y`);
    if (patient.sex) parts.push(patient.sex);
  }
  const auditId = state.result && state.result.meta && state.result.meta.audit_id;
  if (auditId) parts.push(`audit ${auditId.slice(0, 12)}`);
  $("chart-meta").textContent = parts.join(" · ");
  $("chart-meta").dataset.auditId = auditId || "";
}

// -- the codes ---------------------------------------------------------------------------------------

function markOf(code) {
  if (!state.marks.has(code)) state.marks.set(code, { state: "pending", replacement: null });
  return state.marks.get(code);
}

function reasonsFor(code) {
  const reasons = (state.result && state.result.review && state.result.review.reasons) || [];
  return reasons.filter((r) => r.endsWith(`:${code}`) || r.includes(`:${code},`));
}

function findingsFor(code) {
  return ((state.result && state.result.findings) || []).filter((f) => (f.codes || []).includes(code));
}

function confidenceBar(value) {
  const pct = Math.round((Number(value) || 0) * 100);
  const level = pct >= 85 ? "high" : pct >= 60 ? "mid" : "low";
  const fill = el("span", { class: `confidence-fill ${level}` });
  fill.style.width = `${pct}%`;
  return el(
    "div",
    { class: "confidence", "data-testid": "confidence" },
    el("span", {
      class: "confidence-track",
      role: "meter",
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": pct,
      "aria-label": `Confidence ${pct}%`,
    }, fill),
    el("span", { class: "confidence-value", text: `${pct}%` }),
  );
}

function codeCard(suggestion, index) {
  const code = suggestion.code;
  const mark = markOf(code);
  const selected = state.selected === code;
  const principalLabel = state.chart && state.chart.setting === "inpatient" ? "Principal" : "First-listed";
  const findings = findingsFor(code);
  const reasons = reasonsFor(code);

  const select = el(
    "button",
    {
      type: "button",
      class: "code-select",
      "data-testid": "code-select",
      "aria-pressed": selected ? "true" : "false",
      "aria-label": `${code} ${suggestion.description}: show its evidence in the chart`,
      onclick: () => selectCode(code),
    },
    el("span", { class: "code-id", text: code }),
    suggestion.principal ? el("span", { class: "badge badge-principal", "data-testid": "principal-badge", text: principalLabel }) : null,
    suggestion.hcc ? el("span", { class: "badge badge-hcc", text: suggestion.hcc }) : null,
    el("span", { class: "code-desc", text: suggestion.description }),
  );

  const details = el("div", { class: "code-details" });
  details.append(confidenceBar(suggestion.confidence));
  if (suggestion.rationale) details.append(el("p", { class: "rationale", text: suggestion.rationale }));
  const evidence = suggestion.evidence.map((ev) => `“${ev.text}”`).join(" · ");
  details.append(el("p", { class: "evidence-quotes", text: evidence }));
  if (suggestion.guideline_refs && suggestion.guideline_refs.length) {
    details.append(el("p", { class: "refs", text: `Guidelines ${suggestion.guideline_refs.join(", ")}` }));
  }
  if (reasons.length) {
    details.append(el("ul", { class: "chips", "aria-label": "Review reasons" },
      reasons.map((r) => el("li", { class: "chip chip-review", "data-testid": "code-reason", text: r }))));
  }
  if (findings.length) {
    details.append(el("ul", { class: "code-findings" },
      findings.map((f) => el("li", { class: `finding sev-${f.severity}`, "data-testid": "code-finding" },
        el("strong", { text: `${f.severity} · ${f.rule}` }), ` ${f.message}`))));
  }

  const actions = el("div", { class: "code-actions", role: "group", "aria-label": `Decision for ${code}` },
    el("button", {
      type: "button", class: "btn btn-small btn-accept", "data-testid": "code-accept",
      "aria-pressed": mark.state === "accepted" ? "true" : "false",
      onclick: () => setMark(code, mark.state === "accepted" ? "pending" : "accepted"),
    }, "Accept"),
    el("button", {
      type: "button", class: "btn btn-small btn-reject", "data-testid": "code-reject",
      "aria-pressed": mark.state === "rejected" ? "true" : "false",
      onclick: () => setMark(code, mark.state === "rejected" ? "pending" : "rejected"),
    }, "Reject"),
    el("button", {
      type: "button", class: "btn btn-small btn-quiet", "data-testid": "code-edit",
      "aria-expanded": mark.editing ? "true" : "false",
      onclick: () => { mark.editing = !mark.editing; renderCodes(); },
    }, "Edit"),
  );

  const card = el("li", {
    class: `code-card state-${mark.state}${selected ? " selected" : ""}`,
    "data-testid": "code-card",
    "data-code": code,
    "data-state": mark.state,
  }, el("span", { class: "code-rank", "aria-hidden": "true", text: String(index + 1) }), select, details, actions);

  if (mark.state === "edited" && mark.replacement) {
    card.append(el("p", { class: "replacement", "data-testid": "code-replacement", text: `Replaced by ${mark.replacement}` }));
  }
  if (mark.editing) card.append(editForm(code, mark));
  return card;
}

function editForm(code, mark) {
  const input = el("input", {
    type: "text", value: mark.replacement || code, "aria-label": `Replacement code for ${code}`,
    "data-testid": "code-edit-input", spellcheck: "false",
  });
  const form = el("form", { class: "edit-form" }, input,
    el("button", { type: "submit", class: "btn btn-small btn-primary", "data-testid": "code-edit-save" }, "Use code"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = input.value.trim();
    if (!wanted) return;
    try {
      const info = await api(`/v1/codes/${encodeURIComponent(wanted)}`);
      clearError();
      mark.editing = false;
      if (info.code === code) setMark(code, "accepted");
      else {
        mark.replacement = info.code;
        setMark(code, "edited");
        toast(`${code} → ${info.code} ${info.title}${info.billable ? "" : " (not billable)"}`);
      }
    } catch (error) {
      showError(error);
    }
  });
  queueMicrotask(() => input.focus());
  return form;
}

function setMark(code, value) {
  const mark = markOf(code);
  mark.state = value;
  if (value !== "edited") mark.replacement = null;
  renderCodes();
}

function selectCode(code) {
  state.selected = state.selected === code ? null : code;
  renderCodes();
  renderChart();
}

function renderCodes() {
  const list = $("code-list");
  list.replaceChildren();
  const result = state.result;
  const has = Boolean(result);
  for (const id of ["accept-chart", "reject-chart", "submit-review"]) $(id).disabled = !has || state.busy;
  if (!result) return;
  if (!result.codes.length) {
    list.append(el("li", { class: "empty", text: "No codes: nothing in the chart supports a reportable diagnosis." }));
  }
  result.codes.forEach((suggestion, index) => list.append(codeCard(suggestion, index)));
}

function renderReview() {
  const banner = $("review-banner");
  const review = state.result && state.result.review;
  const record = state.record;
  const status = record ? record.status : review ? (review.required ? "pending" : "auto_accepted") : "";
  const pill = $("review-status");
  pill.textContent = status ? status.replace("_", "-") : "";
  pill.className = `status-pill status-${status}`;
  banner.classList.toggle("banner-ok", Boolean(review && !review.required));
  if (review && review.required) {
    banner.replaceChildren(
      el("strong", { text: `Review required · priority ${review.priority}` }),
      el("ul", { class: "chips" }, review.reasons.map((r) => el("li", { class: "chip chip-review", text: r }))),
    );
    banner.hidden = false;
  } else if (review) {
    banner.replaceChildren(el("span", { text: "Safe to auto-accept under the active policy." }));
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

function renderFindings() {
  const findings = (state.result && state.result.findings) || [];
  $("findings-section").hidden = !findings.length;
  $("findings-list").replaceChildren(...findings.map((f) =>
    el("li", { class: `finding sev-${f.severity}` },
      el("strong", { text: `${f.severity} · ${f.rule}` }),
      ` ${f.message}`,
      f.codes && f.codes.length ? el("span", { class: "muted", text: ` (${f.codes.join(", ")})` }) : null,
      f.guideline_ref ? el("span", { class: "muted", text: ` [${f.guideline_ref}]` }) : null)));
}

function renderGaps() {
  const gaps = (state.result && state.result.documentation_gaps) || [];
  $("gaps-section").hidden = !gaps.length;
  $("gaps-list").replaceChildren(...gaps.map((gap) => {
    const copy = el("button", {
      type: "button", class: "btn btn-small btn-quiet", "data-testid": "gap-copy",
      "aria-label": `Copy the provider query about ${gap.topic}`,
      onclick: () => copyText(gap.query).then(() => toast("Query copied")),
    }, "Copy query");
    return el("li", { class: "gap", "data-testid": "gap-item" },
      el("div", { class: "gap-head" }, el("strong", { text: gap.topic }), copy),
      el("blockquote", { class: "gap-query", text: gap.query }));
  }));
}

function renderDecisions() {
  const decisions = (state.record && state.record.decisions) || [];
  $("decisions-section").hidden = !decisions.length;
  $("decision-log").replaceChildren(...decisions.map((d) =>
    el("li", { "data-testid": "decision" },
      el("strong", { text: d.decision }),
      ` by ${d.reviewer}`,
      d.codes ? ` → ${d.codes.join(", ")}` : "",
      d.note ? el("span", { class: "muted", text: ` “${d.note}”` }) : null,
      el("time", { class: "muted", datetime: d.at, text: ` ${new Date(d.at).toLocaleString()}` }))));
}

function renderAll() {
  renderChartMeta();
  renderChart();
  renderReview();
  renderCodes();
  renderFindings();
  renderGaps();
  renderDecisions();
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const area = el("textarea", { class: "sr-only" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

// -- coding, loading, deciding -------------------------------------------------------------------------

function chartFromForm() {
  const raw = $("chart-input").value;
  const trimmed = raw.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        delete parsed.gold;
        return parsed;
      }
    } catch (_) {
      // not JSON after all: code it as note text
    }
  }
  const chart = { text: raw, setting: $("chart-setting").value };
  const specialty = $("chart-specialty").value.trim();
  if (specialty) chart.specialty = specialty;
  const patient = {};
  const age = $("chart-age").value.trim();
  if (age !== "") patient.age = Number(age);
  if ($("chart-sex").value) patient.sex = $("chart-sex").value;
  if (Object.keys(patient).length) chart.patient = patient;
  return chart;
}

function loadRun(chart, result, record) {
  state.chart = chart;
  state.result = result;
  state.record = record || null;
  state.marks = new Map();
  state.selected = null;
  if (state.threadChart !== chart) {
    state.threadId = null;
    state.threadChart = null;
  }
  renderAll();
}

async function codeChart(event) {
  event.preventDefault();
  if (state.busy) return;
  clearError();
  const chart = chartFromForm();
  setBusy(true, "Coding…");
  try {
    const result = await api("/v1/code", { method: "POST", body: chart });
    // The coded chart is what evidence offsets point into: keep the text exactly as sent.
    const coded = chart.text !== undefined ? chart : null;
    let record = null;
    if (!coded && result.meta.audit_id) record = await api(`/v1/audit/${encodeURIComponent(result.meta.audit_id)}`);
    loadRun(coded || (record && record.chart), result, record);
    $("new-chart").open = false;
    toast(`${result.codes.length} code(s) proposed`);
    refreshQueue();
  } catch (error) {
    showError(error);
  } finally {
    setBusy(false);
    renderCodes();
  }
}

async function loadAudit(auditId) {
  clearError();
  try {
    const record = await api(`/v1/audit/${encodeURIComponent(auditId)}`);
    loadRun(record.chart, record.result, record);
    $("new-chart").open = false;
    for (const item of document.querySelectorAll(".queue-item")) {
      item.classList.toggle("current", item.dataset.auditId === auditId);
    }
  } catch (error) {
    showError(error);
  }
}

function decisionFromMarks() {
  const codes = state.result.codes.map((c) => c.code);
  const changed = codes.some((c) => ["rejected", "edited"].includes(markOf(c).state));
  if (!changed) return { decision: "accept" };
  const kept = [];
  for (const code of codes) {
    const mark = markOf(code);
    if (mark.state === "rejected") continue;
    const final = mark.state === "edited" && mark.replacement ? mark.replacement : code;
    if (!kept.includes(final)) kept.push(final);
  }
  return kept.length ? { decision: "edit", codes: kept } : { decision: "reject" };
}

async function decide(body) {
  const auditId = state.result && state.result.meta && state.result.meta.audit_id;
  if (!auditId) {
    showError(new Error("this result has no audit record to decide on"));
    return;
  }
  clearError();
  const note = $("review-note").value.trim();
  if (note) body.note = note;
  try {
    state.record = await api(`/v1/reviews/${encodeURIComponent(auditId)}`, { method: "POST", body });
    $("review-note").value = "";
    renderReview();
    renderDecisions();
    toast(`Decision recorded: ${state.record.status}`);
    refreshQueue();
  } catch (error) {
    showError(error);
  }
}

// -- the review queue -----------------------------------------------------------------------------------

async function refreshQueue() {
  const list = $("queue-list");
  const status = $("queue-status").value;
  try {
    const queue = await api(`/v1/reviews?status=${encodeURIComponent(status)}&limit=100`);
    list.replaceChildren();
    if (!queue.items.length) list.append(el("li", { class: "empty", text: `No ${status} charts.` }));
    const current = state.result && state.result.meta && state.result.meta.audit_id;
    for (const item of queue.items) {
      const label = item.chart_id || item.audit_id.slice(0, 12);
      const button = el("button", {
        type: "button", class: "queue-open", onclick: () => loadAudit(item.audit_id),
        "aria-label": `Open ${label}, priority ${item.priority}`,
      },
      el("span", { class: "queue-title" }, el("strong", { text: label }),
        el("span", { class: "priority", text: `P${item.priority}` })),
      el("span", { class: "muted small", text: [item.setting, item.specialty].filter(Boolean).join(" · ") }),
      item.codes.length ? el("span", { class: "small", text: item.codes.join(" ") }) : null,
      item.reasons.length ? el("span", { class: "chips small" },
        item.reasons.slice(0, 4).map((r) => el("span", { class: "chip chip-review", text: r }))) : null);
      list.append(el("li", {
        class: `queue-item${item.audit_id === current ? " current" : ""}`,
        "data-testid": "queue-item", "data-audit-id": item.audit_id,
      }, button));
    }
  } catch (error) {
    list.replaceChildren(el("li", { class: "empty", text: error.status === 401 ? "Needs an API key." : "Queue unavailable." }));
  }
}

// -- chat ---------------------------------------------------------------------------------------------

async function* serverSentEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseFrame(frame);
      if (event) yield event;
    }
  }
  const tail = parseFrame(buffer.replace(/\r\n/g, "\n").trim());
  if (tail) yield tail;
}

function parseFrame(frame) {
  let type = "message";
  const data = [];
  for (const line of frame.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return null;
  let payload;
  try {
    payload = JSON.parse(data.join("\n"));
  } catch (_) {
    payload = { text: data.join("\n") };
  }
  return { type, data: payload };
}

// The assistant writes **bold** for codes: shown as <strong>, everything else as plain text.
function renderRich(node, text) {
  node.replaceChildren(...String(text).split("**").map((part, i) => (i % 2 ? el("strong", { text: part }) : part)));
}

function chatBubble(role, text) {
  const bubble = el("div", { class: `bubble bubble-${role}`, "data-testid": role === "assistant" ? "chat-answer" : "chat-question" });
  const body = el("div", { class: "bubble-text", text: text || "" });
  bubble.append(body);
  $("chat-log").append(bubble);
  bubble.scrollIntoView({ block: "end" });
  return { bubble, body };
}

async function ensureThread() {
  if (state.threadId) return state.threadId;
  const body = state.chart ? { chart: state.chart } : {};
  const auditId = state.result && state.result.meta && state.result.meta.audit_id;
  if (auditId) body.audit_id = auditId;  // the chat talks about, and records decisions on, this coding
  const created = await api("/v1/threads", { method: "POST", body });
  state.threadId = created.thread_id;
  state.threadChart = state.chart;
  return state.threadId;
}

async function postMessage(content, retry = true) {
  const threadId = await ensureThread();
  try {
    return await request(`/v1/threads/${encodeURIComponent(threadId)}/messages`, {
      method: "POST", body: { content },
    });
  } catch (error) {
    if (retry && error instanceof ApiError && error.status === 404) {
      state.threadId = null; // the server forgot the thread (restarted): start a new one
      return postMessage(content, false);
    }
    throw error;
  }
}

async function ask(event) {
  event.preventDefault();
  const input = $("chat-input");
  const content = input.value.trim();
  if (!content) return;
  input.value = "";
  clearError();
  chatBubble("user", content);
  const answer = chatBubble("assistant", "");
  answer.bubble.classList.add("streaming");
  answer.bubble.setAttribute("aria-busy", "true");
  $("chat-send").disabled = true;
  let text = "";
  try {
    const response = await postMessage(content);
    for await (const ev of serverSentEvents(response)) {
      const data = ev.data || {};
      if (ev.type === "token") {
        text += data.text || data.token || data.content || "";
        renderRich(answer.body, text);
      } else if (ev.type === "tool") {
        const line = el("div", { class: `tool-call${data.ok === false ? " failed" : ""}`, "data-testid": "chat-tool" },
          el("span", { class: "tool-name", text: data.name || "tool" }), data.summary ? ` ${data.summary}` : "");
        answer.bubble.insertBefore(line, answer.body);
      } else if (ev.type === "message") {
        if (data.content) {
          text = data.content;
          renderRich(answer.body, text);
        }
        if (data.audit_id) adoptAudit(data.audit_id);
      } else if (ev.type === "error") {
        answer.bubble.append(el("div", { class: "chat-error", text: data.message || "the assistant failed" }));
        if (!data.fallback) break;
      } else if (ev.type === "done") {
        if (data.audit_id) adoptAudit(data.audit_id);
        break;
      }
      answer.bubble.scrollIntoView({ block: "end" });
    }
    if (!text) answer.body.textContent = "(no answer)";
  } catch (error) {
    answer.body.textContent = "";
    answer.bubble.append(el("div", { class: "chat-error", text: error.message }));
    if (error instanceof ApiError && error.status === 401) showError(error);
  } finally {
    answer.bubble.classList.remove("streaming");
    answer.bubble.removeAttribute("aria-busy");
    $("chat-send").disabled = false;
  }
}

// After the assistant recorded a decision, show the audit record it changed if it is this chart's.
async function adoptAudit(auditId) {
  const current = state.result && state.result.meta && state.result.meta.audit_id;
  if (auditId !== current) return;
  try {
    state.record = await api(`/v1/audit/${encodeURIComponent(auditId)}`);
    renderReview();
    renderDecisions();
  } catch (_) {
    // the answer is what matters; the audit view refreshes on the next action
  }
}

// -- start ----------------------------------------------------------------------------------------------

async function showWho() {
  try {
    const health = await api("/healthz");
    $("who").textContent = `${health.knowledge_version}${health.auth ? " · key required" : ""}`;
  } catch (_) {
    $("who").textContent = "";
  }
}

function init() {
  $("api-key").value = localStorage.getItem(KEY_STORAGE) || "";
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
    clearError();
    toast(key ? "API key saved in this browser" : "API key cleared");
    refreshQueue();
  });
  $("chart-form").addEventListener("submit", codeChart);
  $("chat-form").addEventListener("submit", ask);
  $("queue-refresh").addEventListener("click", refreshQueue);
  $("queue-status").addEventListener("change", refreshQueue);
  $("accept-chart").addEventListener("click", () => {
    for (const c of state.result.codes) markOf(c.code).state = "accepted";
    renderCodes();
    decide({ decision: "accept" });
  });
  $("reject-chart").addEventListener("click", () => {
    for (const c of state.result.codes) markOf(c.code).state = "rejected";
    renderCodes();
    decide({ decision: "reject" });
  });
  $("submit-review").addEventListener("click", () => decide(decisionFromMarks()));
  renderAll();
  showWho();
  refreshQueue();
}

document.addEventListener("DOMContentLoaded", init);
