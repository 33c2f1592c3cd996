// The admin dashboard (/admin on the control port): sign-in with the admin token, server
// health, live plots of the metrics history, and the events panel. Bundled with uPlot into
// web/assets/admin.js and admin.css (npm run build).
//
// The token is kept in sessionStorage only (this tab, until it closes or the admin signs out)
// and sent as "Authorization: Bearer" on every data request; a 401 at any time brings back the
// sign-in form.
import { EventsPanel } from "./admin_events.js";
import { Plots } from "./admin_plots.js";

const TOKEN_KEY = "throng-admin-token";
const EVENTS_EVERY_MS = 10_000;  // the list also changes when another admin edits it
const MIN_POLL_MS = 1000;

const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const state = { token: null, timer: null, plots: null, events: null, server: null,
                lastEvents: 0, generation: 0 };
window.admin = state;  // for the browser test

async function request(path, { method = "GET", body, token = state.token } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new ApiError(response.status, text || `HTTP ${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}

// Every request made while signed in: a 401 means the token is gone or changed.
async function api(path, options) {
  try {
    return await request(path, options);
  } catch (error) {
    if (error.status === 401) {
      signOut("The server no longer accepts this token (was it changed?). Sign in again.");
    }
    throw error;
  }
}

// --- signing in and out ---------------------------------------------------------------

function showSignIn(message = "") {
  $("signin").hidden = false;
  $("dashboard").hidden = true;
  $("sign-out").hidden = true;
  $("signin-error").textContent = message;
  $("server-facts").textContent = "";
  setHealth("signed out", "offline");
  $("token").focus();
}

async function signIn(token) {
  $("signin-error").textContent = "";
  let server;
  try {
    server = await request("/api/server", { token });
  } catch (error) {
    $("token").setAttribute("aria-invalid", "true");
    $("signin-error").textContent = error.status === 401
      ? "That token is not the admin token of this server."
      : error.status === 404  // web/ is also the public port's web root
        ? "The dashboard works on the control port (control.port), not on the public one."
        : `Could not reach the server: ${error.message}`;
    $("token").select();
    return;
  }
  $("token").removeAttribute("aria-invalid");
  $("token").value = "";
  sessionStorage.setItem(TOKEN_KEY, token);
  state.token = token;
  start(server);
}

function signOut(message = "") {
  state.generation++;  // stops the poll loop of this sign-in
  clearTimeout(state.timer);
  state.plots?.destroy();
  state.plots = null;
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

// --- the dashboard --------------------------------------------------------------------

function setHealth(text, kind) {
  $("health").textContent = text;
  $("health").className = `badge ${kind}`;
}

function duration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(seconds)} s`;
}

function showServer(server) {
  state.server = server;
  $("fact-uptime").textContent = duration(server.uptime_seconds);
  $("fact-version").textContent = server.version;
  $("fact-workers").textContent = String(server.workers);
  $("fact-viewers").textContent = String(server.viewers);
  $("fact-streams").textContent = String(server.streams.length);
  let host = server.public_url;
  try {
    host = new URL(server.public_url).host;
  } catch { /* shown as configured */ }
  $("server-facts").textContent = `${host} · up ${duration(server.uptime_seconds)}`;
  state.events.setServer(server);
}

// /healthz is what a load balancer sees: "ok", or 503 "draining" during shutdown.
async function checkHealth() {
  try {
    const response = await fetch("/healthz", { cache: "no-store" });
    const text = (await response.text()).trim();
    $("fact-health").textContent = response.ok ? text : `${text} (HTTP ${response.status})`;
    setHealth(response.ok ? "healthy" : text || "unhealthy", response.ok ? "ok" : "warn");
  } catch {
    $("fact-health").textContent = "unreachable";
    setHealth("unreachable", "offline");
  }
}

function start(server) {
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  $("sign-out").hidden = false;
  state.plots = new Plots($("plots"), api);
  state.plots.setWindow(Number($("window").value));
  showServer(server);
  state.lastEvents = 0;
  const generation = ++state.generation;
  const period = Math.max(MIN_POLL_MS, server.sample_interval_ms);
  $("plots-status").textContent = `a sample every ${period / 1000} s`;

  const tick = async () => {
    if (generation !== state.generation) return;
    if (!document.hidden) {
      const jobs = [state.plots.update(), api("/api/server").then(showServer), checkHealth()];
      if (Date.now() - state.lastEvents >= EVENTS_EVERY_MS) {
        state.lastEvents = Date.now();
        jobs.push(state.events.refresh());
      }
      const results = await Promise.allSettled(jobs);
      if (generation !== state.generation) return;  // signed out meanwhile
      const failed = results.find((r) => r.status === "rejected");
      $("plots-status").textContent = failed
        ? `last update failed: ${failed.reason.message}`
        : `a sample every ${period / 1000} s · ${state.plots.size} in view`;
    }
    state.timer = setTimeout(tick, period);
  };
  tick();
}

// Asks with the page's own dialog (keyboard: Escape or Cancel says no).
function confirmDialog(text, okLabel) {
  const dialog = $("confirm");
  const opener = document.activeElement;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      opener?.focus?.();
      resolve(dialog.returnValue === "ok");
    }, { once: true });
  });
}

state.events = new EventsPanel({
  list: $("event-list"), status: $("events-status"), form: $("create-form"), api,
  confirm: confirmDialog,
});
$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("token").value.trim();
  if (!token) {
    $("signin-error").textContent = "Enter the admin token.";
    $("token").focus();
    return;
  }
  signIn(token);
});
$("sign-out").addEventListener("click", () => signOut("Signed out."));
$("window").addEventListener("change", () => {
  state.plots?.setWindow(Number($("window").value));
  state.plots?.update().catch(() => {});
});

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
else showSignIn();
