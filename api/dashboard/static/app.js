// Switchboard dashboard: plain JavaScript against the public HTTP api.
// The api key lives in sessionStorage only; /dashboard/#key=<key> signs in
// (the fragment never reaches the server and is removed at once).
"use strict";

const KEY = "switchboard.key";
const MAX_EVENTS = 50;
const $ = (sel) => document.querySelector(sel);

const state = {
  sessions: new Map(),   // id → session (the /api/v1 shape)
  events: new Map(),     // id → recent envelopes, newest first
  selected: null,
  stream: null,          // AbortController of the event stream
  qrURL: null,
};

// ---- sign in ----

function takeKeyFromFragment() {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function key() { return sessionStorage.getItem(KEY); }

async function signIn(k) {
  sessionStorage.setItem(KEY, k);
  try {
    await loadSessions();
  } catch (e) {
    sessionStorage.removeItem(KEY);
    notify(e.message, true);
    return;
  }
  $("#signin").hidden = true;
  $("#app").hidden = false;
  $("#signout").hidden = false;
  notify("");
  startStream();
}

function signOut() {
  sessionStorage.removeItem(KEY);
  if (state.stream) state.stream.abort();
  location.reload();
}

// ---- api ----

class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + key() } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  const text = await resp.text();
  const data = text ? JSON.parse(text) : {};
  if (!resp.ok) {
    const err = data.error || {};
    throw new APIError(resp.status, err.code || "error", err.message || resp.statusText);
  }
  return data;
}

const sessionPath = (id) => "/api/v1/sessions/" + encodeURIComponent(id);

async function loadSessions() {
  const data = await api("GET", "/api/v1/sessions?limit=1000");
  state.sessions.clear();
  for (const s of data.sessions || []) state.sessions.set(s.id, s);
  renderTable();
}

async function refreshSession(id) {
  try {
    const data = await api("GET", sessionPath(id));
    state.sessions.set(id, data.session || data);
  } catch (e) {
    if (e.status !== 404) throw e;
    state.sessions.delete(id);
    if (state.selected === id) closeDetail();
  }
  renderTable();
  if (state.selected === id) renderDetail();
}

// ---- live events (SSE over fetch, so that the key goes in a header) ----

async function startStream() {
  const ctl = new AbortController();
  state.stream = ctl;
  let backoff = 1000;
  while (!ctl.signal.aborted) {
    try {
      const resp = await fetch("/api/v1/events", { headers: { Authorization: "Bearer " + key() }, signal: ctl.signal });
      if (!resp.ok) throw new Error("event stream: " + resp.status);
      setLive(true);
      backoff = 1000;
      // Catch up on what changed while the stream was down.
      await loadSessions();
      await readStream(resp.body.getReader());
    } catch (e) {
      if (ctl.signal.aborted) return;
    }
    setLive(false);
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 15000);
  }
}

async function readStream(reader) {
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
      if (data) onEvent(JSON.parse(data));
    }
  }
}

function onEvent(ev) {
  const list = state.events.get(ev.session) || [];
  list.unshift(ev);
  list.length = Math.min(list.length, MAX_EVENTS);
  state.events.set(ev.session, list);
  if (ev.type === "qr" && state.selected === ev.session) loadQR();
  if (ev.type === "pair_code" && state.selected === ev.session && ev.data && ev.data.code) {
    $("#pair-code").value = ev.data.code;
  }
  refreshSession(ev.session).catch((e) => notify(e.message, true));
}

function setLive(on) {
  const el = $("#live");
  el.textContent = on ? "live" : "offline";
  el.classList.toggle("on", on);
}

// ---- rendering ----

function text(v) { return v === null || v === undefined || v === "" ? "—" : String(v); }
function when(unix) { return unix ? new Date(unix * 1000).toLocaleString() : "—"; }

function renderTable() {
  const body = $("#sessions tbody");
  body.replaceChildren();
  const ids = [...state.sessions.keys()].sort();
  for (const id of ids) {
    const s = state.sessions.get(id);
    const tr = document.createElement("tr");
    tr.dataset.id = id;
    if (id === state.selected) tr.classList.add("selected");
    const cells = [id, s.name, null, s.phone_number, s.push_name, when(s.last_connected_at)];
    cells.forEach((v, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      if (i === 2) {
        td.className = "status " + s.status;
        td.dataset.field = "status";
        td.textContent = s.status;
      } else {
        td.textContent = text(v);
      }
      tr.appendChild(td);
    });
    const open = document.createElement("button");
    open.type = "button";
    open.className = "secondary";
    open.textContent = "Open";
    open.setAttribute("aria-label", "Open session " + id);
    open.addEventListener("click", () => openDetail(id));
    const td = document.createElement("td");
    td.appendChild(open);
    tr.appendChild(td);
    body.appendChild(tr);
  }
  $("#empty").hidden = ids.length > 0;
}

function openDetail(id) {
  state.selected = id;
  $("#detail").hidden = false;
  $("#pair-code").value = "";
  renderTable();
  renderDetail();
  loadQR();
  $("#detail-title").scrollIntoView({ block: "nearest" });
}

function closeDetail() {
  state.selected = null;
  $("#detail").hidden = true;
  setQR(null);
}

function renderDetail() {
  const s = state.sessions.get(state.selected);
  if (!s) return;
  $("#detail-id").textContent = s.id;
  const st = $("#detail-status");
  st.textContent = s.status;
  st.className = "status " + s.status;
  const ol = $("#events");
  ol.replaceChildren();
  for (const ev of state.events.get(s.id) || []) {
    const li = document.createElement("li");
    const data = ev.data ? { ...ev.data } : {};
    delete data.code; // QR payloads and pair codes are not for the log
    delete data.codes;
    delete data.qr_codes;
    li.textContent = new Date(ev.time).toLocaleTimeString() + "  " + ev.type + "  " + JSON.stringify(data);
    ol.appendChild(li);
  }
  if (s.status === "waiting_for_qr" && $("#qr").hidden) loadQR();
  if (s.status !== "waiting_for_qr" && !$("#qr").hidden) setQR(null, "No QR code while the session is " + s.status + ".");
}

function setQR(blob, note) {
  if (state.qrURL) URL.revokeObjectURL(state.qrURL);
  state.qrURL = blob ? URL.createObjectURL(blob) : null;
  const img = $("#qr");
  img.hidden = !blob;
  if (blob) img.src = state.qrURL; else img.removeAttribute("src");
  $("#qr-note").textContent = note || "";
}

async function loadQR() {
  const id = state.selected;
  if (!id) return;
  const headers = { Authorization: "Bearer " + key() };
  const [meta, png] = await Promise.all([
    fetch(sessionPath(id) + "/qr", { headers }),
    fetch(sessionPath(id) + "/qr?format=png", { headers }),
  ]);
  if (state.selected !== id) return;
  if (meta.ok && png.ok) {
    const codes = (await meta.json()).qr_codes || [];
    // The code the image shows, for tools that play the phone (tests, the simulator).
    $("#qr").dataset.code = codes[0] || "";
    setQR(await png.blob(), "Scan it in WhatsApp → Linked devices. It refreshes by itself.");
  } else {
    const s = state.sessions.get(id);
    delete $("#qr").dataset.code;
    setQR(null, "No QR code" + (s ? " while the session is " + s.status : "") + ".");
  }
}

// ---- actions ----

async function act(action) {
  const id = state.selected;
  if (!id) return;
  const destructive = { logout: "Log out session " + id + "? The phone must link it again.", delete: "Delete session " + id + "? This cannot be undone." };
  if (destructive[action] && !confirm(destructive[action])) return;
  if ((action === "disconnect" || action === "restart") && !confirm(action[0].toUpperCase() + action.slice(1) + " session " + id + "?")) return;
  try {
    if (action === "delete") {
      await api("DELETE", sessionPath(id));
      state.sessions.delete(id);
      closeDetail();
      renderTable();
    } else {
      await api("POST", sessionPath(id) + "/" + action);
      await refreshSession(id);
    }
    notify(action + ": done");
  } catch (e) {
    notify(e.message, true);
  }
}

function notify(msg, isError) {
  const el = $("#notice");
  el.textContent = msg;
  el.classList.toggle("error", !!isError);
}

// ---- wiring ----

document.addEventListener("DOMContentLoaded", () => {
  takeKeyFromFragment();
  $("#signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("#key").value.trim());
  });
  $("#signout").addEventListener("click", signOut);
  $("#create-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {};
    const id = $("#new-id").value.trim();
    const name = $("#new-name").value.trim();
    if (id) body.id = id;
    if (name) body.name = name;
    try {
      const data = await api("POST", "/api/v1/sessions", body);
      const s = data.session;
      state.sessions.set(s.id, s);
      renderTable();
      openDetail(s.id);
      e.target.reset();
      notify("Session " + s.id + " created");
    } catch (err) {
      notify(err.message, true);
    }
  });
  $("#pair-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const data = await api("POST", sessionPath(state.selected) + "/pair", { phone_number: $("#pair-phone").value.trim() });
      $("#pair-code").value = data.code || data.pair_code || "";
    } catch (err) {
      notify(err.message, true);
    }
  });
  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));
  // A QR code expires: fetch a fresh one now and then while it is shown.
  setInterval(() => { if (state.selected && !$("#qr").hidden) loadQR(); }, 10000);
  // A link with #key=… opened on an already loaded page signs in too.
  window.addEventListener("hashchange", () => {
    if (/key=/.test(location.hash)) { takeKeyFromFragment(); signIn(key()); }
  });
  if (key()) signIn(key());
});
