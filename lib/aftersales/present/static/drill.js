/* Drill-down in a Parts or Labour page: a click (or Enter) on a row of Activity, Departments,
   Sales types / Labour types or Operators lists that row's documents under the grid, and a click on
   a document lists its lines of that row. No kernel, no network: the documents and lines come from
   the page's JSON (`script.as-drill`, written by present/drill.py) as shown text; this script finds
   them by the row's first cell and shows or filters them — it never sums. Text is only ever written
   with textContent. */
(function () {
  "use strict";
  if (window.asDrillSetup) { window.asDrillSetup(); return; }
  var data = null;
  var bound = {};

  function element(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function load() {
    var node = document.querySelector("script.as-drill");
    if (!node) return null;
    var parsed = null;
    try { parsed = JSON.parse(node.textContent); } catch (err) { return null; }
    node.parentNode.removeChild(node);  // read once, as grid.js does with its rows: the page keeps no data block
    return parsed;
  }
  // The row of `body` an event happened in (not a row of a table inside it).
  function rowOf(target, body) {
    var row = target && target.closest ? target.closest("tr") : null;
    return row && row.parentNode === body ? row : null;
  }
  function activate(body, open) {
    body.addEventListener("click", function (e) {
      var row = rowOf(e.target, body);
      if (row) open(row);
    });
    body.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" && e.key !== " ") return;
      var row = rowOf(e.target, body);
      if (row) { e.preventDefault(); open(row); }
    });
  }
  // A sortable, searchable table (grid.js) of `columns` ([label, 1 when a number]) and rows of text.
  function table(cls, columns, rows) {
    var t = element("table", "as-grid " + cls);
    var head = t.createTHead().insertRow();
    columns.forEach(function (c) {
      head.appendChild(element("th", c[1] ? "as-num" : "as-text", c[0]));
    });
    var body = t.createTBody();
    rows.forEach(function (r) {
      var tr = body.insertRow();
      if (r.cls) tr.className = r.cls;
      r.cells.forEach(function (text, i) {
        var td = tr.insertCell();
        td.textContent = text;
        if (!columns[i][1]) td.className = "as-text";
      });
      if (r.doc !== undefined) { tr.setAttribute("data-doc", String(r.doc)); tr.tabIndex = 0; }
    });
    var wide = element("div", "as-wide");
    wide.appendChild(t);
    return wide;
  }
  function keyText(text) { return text === "" ? "(empty)" : text; }

  // The lines of document `doc` that belong to row `key` of grid `name`, under the documents.
  function showLines(panel, name, key, doc, shown) {
    var old = panel.querySelector(".as-drill-lines");
    if (old) old.parentNode.removeChild(old);
    var grid = data.grids[name];
    var place = data.lines.keys.indexOf(name);
    var n = data.lines.keys.length;
    var rows = [];
    (data.lines.rows[doc] || []).forEach(function (line) {
      if (line[1 + place] !== key) return;
      var cells = [];
      for (var j = 0; j < n; j++) cells.push(data.grids[data.lines.keys[j]].keys[line[1 + j]] || "");
      rows.push({ cls: data.classes[line[0]], cells: cells.concat(line.slice(1 + n)) });
    });
    var box = element("div", "as-drill-lines");
    var all = data.documents.rows[doc][6];
    var head = "Document " + shown[0] + " (" + [shown[4], shown[3]].filter(Boolean).join(" · ") + "): "
      + (all === shown[5] ? "its " + all + (all === "1" ? " line" : " lines") : shown[5] + " of its " + all + " lines, those of "
         + grid.label + " " + keyText(grid.keys[key]));
    box.appendChild(element("h5", "as-drill-title", head));
    box.appendChild(table("as-drill-line-table", data.lines.columns, rows));
    panel.appendChild(box);
    if (window.asGridSetup) window.asGridSetup();
    box.scrollIntoView({ block: "nearest" });
  }

  // The panel of a grid row's documents, just under the grid.
  function open(name, grid, tableEl, row) {
    var text = row.cells.length ? row.cells[0].textContent : "";
    var key = grid.index.has(text) ? grid.index.get(text) : -1;
    close(tableEl, false);
    var panel = element("div", "as-drill-panel");
    panel.setAttribute("role", "region");
    var title = grid.label + " " + keyText(text) + ": its documents";
    panel.setAttribute("aria-label", title);
    var bar = element("div", "as-drill-head");
    var heading = element("h4", "as-drill-title", title);
    heading.tabIndex = -1;
    var shut = element("button", "as-drill-close", "Close");
    shut.type = "button";
    shut.setAttribute("aria-label", "Close the documents of " + grid.label + " " + keyText(text));
    shut.addEventListener("click", function () { close(tableEl, true); });
    bar.appendChild(heading);
    bar.appendChild(shut);
    panel.appendChild(bar);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(tableEl, true); }
    });
    var entries = key >= 0 ? grid.docs[key] : [];
    if (key >= 0 && grid.notes[key]) panel.appendChild(element("div", "as-note", grid.notes[key]));
    var partial = false;
    var rows = entries.map(function (entry) {
      var doc = typeof entry === "number" ? entry : entry[0];
      var shown = data.documents.rows[doc].slice();
      var cls = data.classes[shown[0]];
      if (typeof entry !== "number") {  // the row's share of the document: its lines, net and profit
        partial = true;
        cls = data.classes[entry[1]];
        shown.splice(6, shown.length - 6, entry[2], entry[3], entry[4]);
      }
      return { cls: cls, cells: shown.slice(1), doc: doc };
    });
    if (partial) panel.appendChild(element("div", "as-drill-hint", data.partial));
    if (!rows.length) {
      if (!(key >= 0 && grid.notes[key])) panel.appendChild(element("div", "as-missing", "No document of this row is held in this page."));
    } else {
      var wide = table("as-drill-docs", data.documents.columns, rows);
      panel.appendChild(wide);
      var body = wide.querySelector("tbody");
      var byDoc = {};
      rows.forEach(function (r) { byDoc[r.doc] = r.cells; });
      activate(body, function (tr) {
        Array.prototype.forEach.call(body.rows, function (r) { r.classList.remove("as-drill-on"); });
        tr.classList.add("as-drill-on");
        var doc = Number(tr.getAttribute("data-doc"));
        showLines(panel, name, key, doc, byDoc[doc]);
      });
    }
    var anchor = tableEl.parentNode.classList.contains("as-wide") ? tableEl.parentNode : tableEl;
    anchor.parentNode.insertBefore(panel, anchor.nextSibling);
    tableEl._asDrill = { panel: panel, row: row };
    Array.prototype.forEach.call(tableEl.tBodies[0].rows, function (r) { r.classList.remove("as-drill-on"); });
    row.classList.add("as-drill-on");
    row.setAttribute("aria-expanded", "true");
    if (window.asGridSetup) window.asGridSetup();
    heading.focus({ preventScroll: true });
    panel.scrollIntoView({ block: "nearest" });
  }
  function close(tableEl, refocus) {
    var open = tableEl._asDrill;
    if (!open) return;
    if (open.panel.parentNode) open.panel.parentNode.removeChild(open.panel);
    open.row.classList.remove("as-drill-on");
    open.row.setAttribute("aria-expanded", "false");
    tableEl._asDrill = null;
    if (refocus) open.row.focus();
  }

  function setup() {
    if (!data) data = load();
    if (!data) return;
    Object.keys(data.grids).forEach(function (name) {
      var tableEl = document.getElementById("grid-" + name);
      if (!tableEl || !tableEl.tBodies[0]) return;
      var grid = data.grids[name];
      if (!grid.index) {
        grid.index = new Map();
        grid.keys.forEach(function (k, i) { if (!grid.index.has(k)) grid.index.set(k, i); });
      }
      var body = tableEl.tBodies[0];
      Array.prototype.forEach.call(body.rows, function (r) {
        if (r.tabIndex !== 0) r.tabIndex = 0;
        if (!r.hasAttribute("aria-expanded")) r.setAttribute("aria-expanded", "false");
      });
      if (bound[name] === tableEl) return;
      bound[name] = tableEl;
      tableEl.classList.add("as-drillable");
      tableEl.setAttribute("title", "Click a row (or press Enter on it) to list its documents");
      activate(body, function (row) { open(name, grid, tableEl, row); });
    });
  }
  window.asDrillSetup = setup;
  // the grids come after the page's scripts: set up once they are all there
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
