/* Sort, search and page the workbook's grids in an exported page, with no kernel and no network. */
(function () {
  "use strict";
  var PAGE = 25;
  function cellValue(td) {
    var v = td.getAttribute("data-v");
    if (v === null) return td.textContent;
    if (v === "") return null;
    var n = Number(v);
    return isNaN(n) ? v : n;
  }
  function compare(a, b) {
    if (a === null && b === null) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }
  function setup(table) {
    if (table.getAttribute("data-ready")) return;
    table.setAttribute("data-ready", "1");
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var state = { rows: rows, shown: rows, page: 0, col: -1, dir: 1 };
    var bar = document.createElement("div");
    bar.className = "as-bar";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Search this table";
    search.className = "as-search";
    var info = document.createElement("span");
    info.className = "as-info";
    var prev = document.createElement("button");
    prev.textContent = "Previous";
    prev.className = "as-prev";
    var next = document.createElement("button");
    next.textContent = "Next";
    next.className = "as-next";
    bar.appendChild(search);
    bar.appendChild(info);
    bar.appendChild(prev);
    bar.appendChild(next);
    table.parentNode.insertBefore(bar, table);
    function draw() {
      var pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
      if (state.page >= pages) state.page = pages - 1;
      var first = state.page * PAGE;
      while (body.firstChild) body.removeChild(body.firstChild);
      state.shown.slice(first, first + PAGE).forEach(function (r) { body.appendChild(r); });
      var paged = state.shown.length > PAGE;
      prev.style.display = next.style.display = paged ? "" : "none";
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      info.textContent = state.shown.length === state.rows.length
        ? state.rows.length + " rows" + (paged ? ", page " + (state.page + 1) + " of " + pages : "")
        : state.shown.length + " of " + state.rows.length + " rows" + (paged ? ", page " + (state.page + 1) + " of " + pages : "");
    }
    search.addEventListener("input", function () {
      var q = search.value.toLowerCase();
      state.shown = state.rows.filter(function (r) { return r.textContent.toLowerCase().indexOf(q) >= 0; });
      state.page = 0;
      draw();
    });
    prev.addEventListener("click", function () { state.page -= 1; draw(); });
    next.addEventListener("click", function () { state.page += 1; draw(); });
    var heads = table.tHead ? table.tHead.rows[table.tHead.rows.length - 1].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      th.classList.add("as-sortable");
      th.title = "Sort by this column";
      th.addEventListener("click", function () {
        state.dir = state.col === i ? -state.dir : 1;
        state.col = i;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        var key = function (r) { return cellValue(r.cells[i]); };
        state.rows.sort(function (a, b) { return state.dir * compare(key(a), key(b)); });
        state.shown.sort(function (a, b) { return state.dir * compare(key(a), key(b)); });
        state.page = 0;
        draw();
      });
    });
    draw();
  }
  function all() { Array.prototype.forEach.call(document.querySelectorAll("table.as-grid"), setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  window.asGridSetup = all;
})();
