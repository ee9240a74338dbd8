// The db-migrate dashboard: plain JavaScript, no framework, nothing loaded from
// elsewhere (the sections are drawn by render.js). The token lives in sessionStorage only (never a cookie, never the
// URL) and goes out as `Authorization: Bearer` on every API call (under an
// application that authenticates by itself, no token is needed). Every value
// from the API reaches the page as text (createElement/textContent); the one
// HTML inserted as HTML is the drift report, rendered and escaped by the server.
"use strict";

(function () {
  const BASE = document.documentElement.dataset.base || "";
  // `tokens` (db-migrate serve) or `application` (mounted behind the app's own sign-in).
  const TOKEN_KEY = "db-migrate-admin-token";
  const POLL_MS = 400;
  const state = { role: null, appAuth: false, status: null, history: [] };
  let followTimer = null;

  const R = window.DbMigrateRender;
  const { $, el, clear, when } = R;

  class ApiFailure extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /** Calls the API; JSON in and out (or text with `asText`). */
  async function api(path, options) {
    const opts = options || {};
    const headers = {};
    if (token()) headers.Authorization = "Bearer " + token();
    // same-origin: an application that mounts the router may authenticate by
    // its own session; this server itself reads only the Authorization header.
    const init = { method: opts.method || "GET", headers, credentials: "same-origin", cache: "no-store" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await fetch(BASE + "/api" + path, init);
    } catch (e) {
      throw new ApiFailure(0, "network", "The server cannot be reached (" + e.message + ").");
    }
    if (!response.ok) {
      let code = "http_" + response.status;
      let message = response.status + " " + response.statusText;
      let details = null;
      try {
        const body = await response.json();
        if (body && body.error) {
          code = body.error.code || code;
          message = body.error.message || message;
          details = body.error.details || null;
        }
      } catch (_) {
        // not JSON: keep the status line
      }
      if (response.status === 429) {
        const after = response.headers.get("Retry-After");
        if (after) message += " (retry in " + after + " s)";
      }
      const failure = new ApiFailure(response.status, code, message, details);
      if (response.status === 401 && !opts.signingIn) {
        signOut(state.appAuth ? "The application no longer accepts this session." : "Your token was not accepted: sign in again.");
      }
      throw failure;
    }
    if (opts.asText) return { text: await response.text(), headers: response.headers };
    return response.json();
  }

  /** A sentence for a failure, by its status. */
  function describe(failure) {
    switch (failure.status) {
      case 401: return "Not signed in: " + failure.message;
      case 403: return "Not allowed for your role: " + failure.message;
      case 409: return "Refused (" + failure.code + "): " + failure.message;
      case 429: return "Too many failed attempts: " + failure.message;
      default: return failure.message || String(failure);
    }
  }

  function show(node, message, kind) {
    node.textContent = message;
    node.className = "message " + (kind || "");
    node.hidden = !message;
  }

  // ---- Signing in and out -------------------------------------------------

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.role = null;
    state.appAuth = false;
    clearTimeout(followTimer);
    followTimer = null;
    $("#dashboard").hidden = true;
    $("#who").hidden = true;
    $("#sign-in").hidden = false;
    const dialog = $("#confirm");
    if (dialog.open) dialog.close();
    show($("#sign-in-error"), message || "", "error");
    $("#token").value = "";
    $("#token").focus();
  }

  /**
   * Signs in with `given` (a token), with the stored token (`null`), or, when
   * `quiet`, without one (an application that mounts the router and
   * authenticates by itself): a failure then just shows the form.
   */
  async function signIn(given, quiet) {
    if (given) sessionStorage.setItem(TOKEN_KEY, given);
    try {
      const me = await api("/me", { signingIn: true });
      state.appAuth = !token();
      $("#sign-out").hidden = state.appAuth;
      state.role = me.role;
      $("#who-role").textContent = me.role;
      $("#who-role").dataset.role = me.role;
      $("#who-actor").textContent = me.actor;
      $("#sign-in").hidden = true;
      $("#who").hidden = false;
      $("#dashboard").hidden = false;
      show($("#sign-in-error"), "");
    } catch (failure) {
      sessionStorage.removeItem(TOKEN_KEY);
      if (quiet && failure.status === 401) {
        signOut("");
        return;
      }
      $("#sign-in").hidden = false;
      $("#dashboard").hidden = true;
      $("#who").hidden = true;
      const message = failure.status === 401
        ? "This token is not accepted. Check it and try again."
        : describe(failure);
      show($("#sign-in-error"), message, "error");
      return;
    }
    await refreshAll();
  }

  // ---- Sections -------------------------------------------------------------

  function renderOverview(status) {
    const overview = $("#overview");
    const set = (field, value) => { $('[data-field="' + field + '"]', overview).textContent = value; };
    set("backend", { postgres: "PostgreSQL", mysql: "MySQL / MariaDB", sqlite: "SQLite" }[status.backend] || status.backend);
    set("database", status.database);
    set("current", status.current || "none (empty)");
    set("head", status.head || "none");
    set("applied", String(status.applied));
    set("pending", String(status.pending.length));
    const badge = $("#state");
    badge.textContent = { ok: "up to date", pending: "pending migrations", in_progress: "in progress", dirty: "needs repair", unknown_versions: "unknown versions" }[status.state] || status.state;
    badge.dataset.state = status.state;
    const op = status.operation;
    const line = $("#operation");
    line.hidden = !op;
    if (op) {
      const total = op.progress.total === null ? "?" : op.progress.total;
      line.textContent = "Running: " + op.kind + (op.target ? " to " + op.target : "") + " by " + op.actor +
        " since " + when(op.started_at) + ", " + op.progress.done + " of " + total + " done";
    }
    const steps = status.data || [];
    const dataLine = $("#data-steps");
    dataLine.hidden = steps.length === 0;
    dataLine.textContent = steps.map((s) => "Data migration " + s.version + ", step " + s.step + ": " +
      s.percent + "% (" + s.rows_done + " of " + s.rows_total + " rows)").join("; ");
    renderActions(status);
  }

  function renderActions(status) {
    const actions = $("#actions");
    clear(actions);
    if (state.role !== "operator") {
      actions.hidden = true;
      return;
    }
    actions.hidden = false;
    const busy = Boolean(status.operation);
    const upgrade = el("button", { type: "button", class: "button primary", "data-action": "upgrade", disabled: busy || status.pending.length === 0, text: "Upgrade to head" });
    upgrade.addEventListener("click", () => openConfirm("upgrade", "head"));
    const upTo = el("select", { id: "upgrade-target", "aria-label": "Upgrade to version", disabled: status.pending.length === 0 },
      status.pending.map((v) => el("option", { value: v, text: v })));
    const upgradeTo = el("button", { type: "button", class: "button", "data-action": "upgrade-to", disabled: busy || status.pending.length === 0, text: "Upgrade to…" });
    upgradeTo.addEventListener("click", () => openConfirm("upgrade", upTo.value));
    const applied = state.history.filter((m) => m.state === "applied").map((m) => m.version);
    const downTargets = applied.slice(0, -1).reverse();
    const downTo = el("select", { id: "downgrade-target", "aria-label": "Downgrade to", disabled: applied.length === 0 },
      downTargets.map((v) => el("option", { value: v, text: v })),
      el("option", { value: "base", text: "base (roll back everything)" }));
    const downgrade = el("button", { type: "button", class: "button danger", "data-action": "downgrade", disabled: busy || applied.length === 0, text: "Downgrade to…" });
    downgrade.addEventListener("click", () => openConfirm("downgrade", downTo.value));
    const backup = el("button", { type: "button", class: "button", "data-action": "backup", disabled: busy, text: "Back up now" });
    backup.addEventListener("click", () => openConfirm("backup", null));
    actions.append(...[
      el("span", { class: "action-label", text: "Operator" }),
      upgrade,
      status.pending.length > 1 ? el("span", { class: "group" }, upTo, upgradeTo) : null,
      el("span", { class: "group" }, downTo, downgrade),
      backup,
    ].filter(Boolean));
  }

  async function refreshAll() {
    if (!token() && !state.appAuth) return;
    const banner = $("#banner");
    const sections = [
      ["history", () => api("/history"), (h) => { state.history = h.migrations; R.renderHistory(h); }],
      ["status", () => api("/status"), (s) => { state.status = s; renderOverview(s); }],
      ["pending", () => api("/pending"), R.renderPending],
      ["drift", () => api("/drift/report", { asText: true }), (r) => R.renderDrift(r, Boolean(state.status && state.status.pending.length))],
      ["backups", () => api("/backups"), R.renderBackups],
      ["audit", () => api("/audit?limit=50"), R.renderAudit],
    ];
    const results = await Promise.allSettled(sections.map(([, load]) => load()));
    if (!token() && !state.appAuth) return;
    const problems = [];
    results.forEach((result, i) => {
      const [name, , render] = sections[i];
      if (result.status === "fulfilled") render(result.value);
      else problems.push(name + ": " + describe(result.reason));
    });
    show(banner, problems.join(" · "), "error");
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
    // While an operation runs (also one started elsewhere), follow its progress.
    if (state.status && state.status.operation && !followTimer) {
      followTimer = setTimeout(() => { followTimer = null; refreshAll(); }, 2000);
    }
  }

  // ---- Confirmation and operations -----------------------------------------

  const TITLES = { upgrade: "Upgrade", downgrade: "Downgrade", backup: "Back up now" };
  let pendingOperation = null;

  async function openConfirm(kind, target) {
    const dialog = $("#confirm");
    const body = clear($("#confirm-body"));
    const consent = $("#confirm-consent");
    const box = $("#confirm-data-loss");
    const ok = $("#confirm-ok");
    $("#confirm-title").textContent = TITLES[kind] + (target ? " to " + target : "");
    dialog.dataset.kind = kind;
    consent.hidden = true;
    box.checked = false;
    ok.hidden = false;
    ok.disabled = true;
    ok.className = "button " + (kind === "downgrade" ? "danger" : "primary");
    $("#confirm-cancel").hidden = false;
    $("#confirm-close").hidden = true;
    show($("#confirm-status"), "Loading the preview…", "");
    dialog.dataset.phase = "preview";
    if (!dialog.open) dialog.showModal();
    const request = kind === "backup" ? {} : { target };
    try {
      const preview = await api("/" + kind + "/preview", { method: "POST", body: request });
      body.append(...R.previewBody(kind, preview, state.status ? state.status.database : "").flat().filter(Boolean));
      show($("#confirm-status"), "");
      const needsConsent = kind === "downgrade" && preview.loses_data;
      consent.hidden = !needsConsent;
      ok.disabled = needsConsent || (kind !== "backup" && preview.migrations.length === 0);
      box.onchange = () => { ok.disabled = !box.checked; };
      pendingOperation = { kind, target, allowDataLoss: needsConsent };
      dialog.dataset.phase = "ready";
    } catch (failure) {
      show($("#confirm-status"), describe(failure), "error");
      dialog.dataset.phase = "failed";
    }
  }

  async function runConfirmed() {
    const op = pendingOperation;
    if (!op) return;
    pendingOperation = null;
    const dialog = $("#confirm");
    const status = $("#confirm-status");
    $("#confirm-ok").hidden = true;
    $("#confirm-cancel").hidden = true;
    $("#confirm-consent").hidden = true;
    dialog.dataset.phase = "running";
    show(status, "Starting…", "");
    const body = { wait: false };
    if (op.kind !== "backup") body.target = op.target;
    if (op.kind === "downgrade") body.allow_data_loss = op.allowDataLoss && $("#confirm-data-loss").checked;
    try {
      const started = await api("/" + op.kind, { method: "POST", body });
      let operation = started;
      if (started.operation_id && started.state === "running") {
        operation = await follow(started.operation_id, status);
      }
      if (operation.state === "failed") {
        const error = operation.error || {};
        show(status, "Failed (" + (error.code || "error") + "): " + (error.message || ""), "error");
        dialog.dataset.phase = "failed";
      } else {
        show(status, doneMessage(op.kind, operation.result || operation), "success");
        dialog.dataset.phase = "done";
      }
    } catch (failure) {
      show(status, describe(failure), "error");
      dialog.dataset.phase = "failed";
    }
    $("#confirm-close").hidden = false;
    await refreshAll();
  }

  /** Polls an operation until it ends, showing its progress. */
  async function follow(id, status) {
    for (;;) {
      const operation = await api("/operations/" + encodeURIComponent(id));
      if (operation.state !== "running") return operation;
      const p = operation.progress;
      show(status, "Running " + operation.kind + ": " + p.done + " of " + (p.total === null ? "?" : p.total) + " done…", "");
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  function doneMessage(kind, result) {
    if (kind === "backup") return "Backup written: " + (result.file || "");
    const list = kind === "upgrade" ? result.applied : result.rolled_back;
    const timing = (result.migrations || []).map((m) => m.version + " (" + m.duration + ")").join(", ");
    return "Done: " + (list && list.length ? (kind === "upgrade" ? "applied " : "rolled back ") + (timing || list.join(", ")) : "nothing to do") + ".";
  }

  // ---- Start -----------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("#sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const given = $("#token").value.trim();
      $("#token").value = "";
      if (given) signIn(given);
    });
    $("#sign-out").addEventListener("click", () => signOut("Signed out."));
    $("#refresh").addEventListener("click", () => refreshAll());
    $("#confirm-cancel").addEventListener("click", () => { pendingOperation = null; $("#confirm").close(); });
    $("#confirm-close").addEventListener("click", () => $("#confirm").close());
    $("#confirm-ok").addEventListener("click", () => runConfirmed());
    $("#confirm").addEventListener("cancel", (event) => {
      if ($("#confirm").dataset.phase === "running") event.preventDefault();
      else pendingOperation = null;
    });
    if (token()) signIn(null);
    else if (document.documentElement.dataset.auth === "application") signIn(null, true);
    else signOut("");
  });
})();
