// The db-migrate dashboard's sections, drawn from the API's answers: plain DOM
// (createElement/textContent) for every value; the one HTML inserted as HTML is
// the drift report, rendered and escaped by the server. Used by dashboard.js.
"use strict";

window.DbMigrateRender = (function () {
  const $ = (selector, root) => (root || document).querySelector(selector);

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("data-")) node.setAttribute(key, String(value));
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    return String(iso).replace("T", " ").replace(/\.\d+/, "").replace(/Z$|\+00:00$/, " UTC");
  }

  function ms(value) {
    if (value === null || value === undefined) return "—";
    if (value < 1000) return value + " ms";
    return (value / 1000).toFixed(value < 10000 ? 2 : 1) + " s";
  }

  function hazardList(hazards) {
    if (!hazards || hazards.length === 0) return el("p", { class: "muted small", text: "No hazards." });
    return el("ul", { class: "hazards" }, hazards.map((h) =>
      el("li", { "data-severity": h.severity },
        el("span", { class: "hazard-code", text: h.code }),
        el("span", { class: "severity sev-" + h.severity, text: h.severity }),
        el("span", { text: h.message }))));
  }

  function sqlBlock(statements) {
    const text = (statements || []).map((s) => s.trim().replace(/;?$/, ";")).join("\n\n");
    return el("pre", { class: "sql" }, el("code", { text: text || "-- no statements" }));
  }

  function migrationCard(m) {
    return el("article", { class: "migration", "data-version": m.version },
      el("h3", {}, el("code", { text: m.version }),
        el("span", { class: "muted small", text: (m.statements || []).length + " statement(s)" })),
      m.error ? el("p", { class: "message error", text: m.error }) : null,
      hazardList(m.hazards),
      sqlBlock(m.statements));
  }

  function rowsAtRisk(list) {
    if (!list || list.length === 0) return null;
    return el("div", { class: "message warning rows-at-risk" },
      el("strong", { text: "Rows at risk: " }),
      list.map((r, i) => el("span", {},
        (i ? ", " : ""),
        el("code", { text: r.table + (r.column ? "." + r.column : "") }),
        " (" + r.rows + " row" + (r.rows === 1 ? "" : "s") + ")")));
  }

  function renderPending(pending) {
    const section = $("#pending");
    const body = clear($(".body", section));
    $("[data-count]", section).textContent = String(pending.migrations.length);
    if (pending.migrations.length === 0) {
      body.append(el("p", { class: "empty", text: "No pending migrations: the database is at head." }));
      return;
    }
    body.append(...[rowsAtRisk(pending.rows_at_risk)].filter(Boolean), ...pending.migrations.map(migrationCard));
  }

  function renderHistory(history) {
    const body = clear($("#history .body"));
    const rows = history.migrations;
    if (rows.length === 0) {
      body.append(el("p", { class: "empty", text: "This binary has no migrations." }));
      return;
    }
    const timed = rows.filter((m) => typeof m.duration_ms === "number");
    const slowest = Math.max(1, ...timed.map((m) => m.duration_ms));
    // The 3 slowest stand out (the slowest alone while there are 2 or 3).
    const marked = timed.length > 3 ? 3 : timed.length > 1 ? 1 : 0;
    const slow = new Set(timed.slice().sort((a, b) => b.duration_ms - a.duration_ms).slice(0, marked).map((m) => m.version));
    const list = el("ol", { class: "timeline" });
    for (const m of rows.slice().reverse()) {
      const width = typeof m.duration_ms === "number" ? Math.max(1, Math.round((m.duration_ms / slowest) * 100)) : 0;
      const bar = el("span", { class: "bar" }, el("span", { class: "fill" }));
      bar.firstChild.style.width = width + "%";
      list.append(el("li", { "data-version": m.version, "data-state": m.state, class: slow.has(m.version) ? "slow" : null },
        el("span", { class: "dot", "aria-hidden": "true" }),
        el("div", { class: "what" },
          el("code", { class: "version", text: m.version }),
          el("span", { class: "state small", "data-state": m.state, text: m.state }),
          slow.has(m.version) ? el("span", { class: "slow-tag small", text: "slow" }) : null),
        el("div", { class: "meta small" },
          m.applied_at ? el("span", { class: "applied-at", text: when(m.applied_at) }) : el("span", { class: "muted", text: "not applied" }),
          m.applied_by ? el("span", { class: "applied-by", text: " by " + m.applied_by }) : null),
        el("div", { class: "duration" }, bar, el("span", { class: "ms small", text: ms(m.duration_ms) }))));
    }
    body.append(list);
  }

  function renderDrift(report, behind) {
    const body = clear($("#drift .body"));
    const verdict = $("#drift-verdict");
    const equal = report.headers.get("X-Schema-Equal") === "true";
    verdict.textContent = equal ? "no drift" : "drift";
    verdict.dataset.state = equal ? "ok" : "dirty";
    if (equal) {
      body.append(el("p", { class: "empty agree", text: "Entities and database agree." }));
      return;
    }
    // Rendered and escaped by the server (schema_diff::report::render_body).
    const holder = el("div", { class: "report-holder" });
    holder.innerHTML = report.text;
    if (behind) {
      // Expected differences while migrations are pending: folded away.
      verdict.textContent = "behind head";
      verdict.dataset.state = "pending";
      body.append(el("details", { class: "behind" },
        el("summary", { text: "The database is behind head: the report also shows what the pending migrations will change." }),
        holder));
    } else {
      body.append(holder);
    }
  }

  function renderBackups(backups) {
    const section = $("#backups");
    const body = clear($(".body", section));
    $("[data-count]", section).textContent = String(backups.backups.length);
    if (backups.backups.length === 0) {
      body.append(el("p", { class: "empty", text: "No backups in " + backups.dir + "." }));
      return;
    }
    body.append(el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["Taken", "File", "Version", "Rows", "Size"].map((h) => el("th", { text: h })))),
      el("tbody", {}, backups.backups.map((b) => el("tr", { class: b.file_present ? null : "missing" },
        el("td", { class: "nowrap", text: when(b.created_at) }),
        el("td", {}, el("code", { text: b.file }), b.file_present ? null : el("span", { class: "muted small", text: " (file missing)" })),
        el("td", {}, el("code", { text: b.migration_version || "—" })),
        el("td", { class: "num", text: String((b.tables || []).reduce((n, t) => n + (t.rows || 0), 0)) }),
        el("td", { class: "num", text: (b.size / 1024).toFixed(1) + " KiB" }))))));
  }

  function renderAudit(audit) {
    const body = clear($("#audit .body"));
    if (audit.entries.length === 0) {
      body.append(el("p", { class: "empty", text: "No operation has been recorded yet." }));
      return;
    }
    body.append(el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["When", "Who", "Action", "Target", "Result"].map((h) => el("th", { text: h })))),
      el("tbody", {}, audit.entries.map((e) => el("tr", { "data-action": e.action, "data-result": e.result },
        el("td", { class: "nowrap", text: when(e.at) }),
        el("td", { class: "actor" }, e.actor, el("span", { class: "muted small", text: " " + e.role })),
        el("td", { class: "action nowrap", text: e.action }),
        el("td", {}, el("code", { text: e.target || "" })),
        el("td", { title: e.detail || "" }, el("span", { class: "result", "data-result": e.result, text: e.result })))))));
  }

  /** Reloads every section; a failing section shows its error in place. */

  function previewBody(kind, preview, database) {
    const parts = [];
    if (kind === "backup") {
      parts.push(el("p", {}, "A backup of ", el("code", { text: preview.database }), " at version ",
        el("code", { text: preview.migration_version || "none" }), " will be written to ", el("code", { text: preview.file }), "."));
      parts.push(el("table", { class: "grid compact" },
        el("thead", {}, el("tr", {}, el("th", { text: "Table" }), el("th", { text: "Rows" }))),
        el("tbody", {}, (preview.tables || []).map((t) => el("tr", {}, el("td", {}, el("code", { text: t.name })), el("td", { class: "num", text: String(t.rows) }))))));
      return parts;
    }
    const verb = kind === "upgrade" ? "applied" : "rolled back";
    const count = preview.migrations.length;
    parts.push(el("p", { class: "summary" }, count + " migration" + (count === 1 ? "" : "s") + " will be " + verb + " on ",
      el("code", { text: database }), " (target ", el("code", { text: preview.target }), ")."));
    if (count === 0) parts.push(el("p", { class: "muted", text: "Nothing to do." }));
    if (preview.data_loss && preview.data_loss.length) {
      parts.push(el("div", { class: "message error data-loss" }, el("strong", { text: "Data loss: " }),
        el("ul", {}, preview.data_loss.map((s) => el("li", { text: s })))));
    }
    parts.push(rowsAtRisk(preview.rows_at_risk));
    parts.push(...preview.migrations.map(migrationCard));
    return parts;
  }

  return Object.freeze({
    $, el, clear, when, renderPending, renderHistory, renderDrift, renderBackups, renderAudit, previewBody,
  });
})();
