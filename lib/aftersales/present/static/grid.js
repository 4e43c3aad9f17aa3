/* Sort, search and page the pack's grids in an exported page: no kernel, no network.
   Every row stays in the page; rows off the current page are hidden on screen only,
   so a printed page shows them all. Cell text is only ever read, never written as markup. */
(function () {
  "use strict";
  if (window.asGridSetup) { window.asGridSetup(); return; }
  var SIZES = [25, 100, 0];  // rows per page; 0 = all
  var SEARCH_FROM = 10;       // grids with more rows than this get the search box and pager
  // Text sorts as people read it: accents with their letter, W9 before W10.
  var collator = window.Intl ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }) : null;

  function number(text) {
    var t = text.replace(/,/g, "").trim();
    if (t === "") return null;
    var n = Number(t);
    return isNaN(n) ? t : n;
  }
  function compare(a, b) {
    if (a === b) return 0;
    if (a === null) return 1;   // empty cells last, whatever the direction
    if (b === null) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return collator ? collator.compare(a, b) : (a < b ? -1 : 1);
  }
  // Search reads text as people type it: without case or accents ("cordoba" finds "Córdoba").
  function fold(text) {
    var t = String(text);
    if (t.normalize) t = t.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    return t.toLowerCase();
  }
  function element(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // The rows past the first page come as JSON of their shown text, right after the table.
  function addRows(table, body) {
    var data = table.nextElementSibling;
    if (!data || !data.classList.contains("as-rows")) return;
    var more = data.nextElementSibling;
    if (more && more.classList.contains("as-more")) more.parentNode.removeChild(more);
    var parsed = JSON.parse(data.textContent);
    data.parentNode.removeChild(data);
    var fragment = document.createDocumentFragment();
    parsed.rows.forEach(function (values) {
      var tr = document.createElement("tr");
      var cls = parsed.classes[values[0]];
      if (cls) tr.className = cls;
      for (var i = 1; i < values.length; i++) {
        var td = document.createElement("td");
        td.textContent = values[i];
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    });
    body.appendChild(fragment);
  }

  function setup(table) {
    if (table.getAttribute("data-ready") || table.classList.contains("as-static")) return;
    var body = table.tBodies[0];
    if (!body || !table.tHead) return;
    table.setAttribute("data-ready", "1");
    addRows(table, body);
    var rows = Array.prototype.slice.call(body.rows);
    var texts = rows.map(function (r) { return fold(r.textContent); });
    // The totals row counts every row of the table: it is hidden while a search leaves some out.
    var foot = table.tFoot;
    rows.forEach(function (r, i) { r._asIndex = i; });
    var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
    var keys = [];  // per column, the sort values of the rows by their first place (made on first use)
    var state = { shown: rows, page: 0, size: SIZES[0], col: -1, dir: 1 };

    var bar = element("div", "as-bar");
    var search = element("input", "as-search");
    search.type = "search";
    search.placeholder = "Search this table";
    search.setAttribute("aria-label", "Search this table");
    var info = element("span", "as-info");
    var prev = element("button", "as-prev", "Previous");
    var next = element("button", "as-next", "Next");
    prev.type = next.type = "button";
    var size = element("select", "as-size");
    size.setAttribute("aria-label", "Rows per page");
    SIZES.forEach(function (n) {
      var o = element("option", "", n ? n + " rows a page" : "all rows");
      o.value = String(n);
      size.appendChild(o);
    });
    var pager = element("span", "as-pager");
    pager.appendChild(prev);
    pager.appendChild(next);
    pager.appendChild(size);
    bar.appendChild(search);
    bar.appendChild(info);
    bar.appendChild(pager);
    var anchor = table.parentNode.classList.contains("as-wide") ? table.parentNode : table;
    if (rows.length > SEARCH_FROM) anchor.parentNode.insertBefore(bar, anchor);  // short grids only sort

    // Show the current page of the shown rows; after a sort or a search (`reorder`) the rows
    // are also put in their new order, those left out by the search last and hidden.
    function draw(reorder) {
      var n = state.shown.length, per = state.size || n || 1;
      var pages = Math.max(1, Math.ceil(n / per));
      if (state.page >= pages) state.page = pages - 1;
      if (state.page < 0) state.page = 0;
      var first = state.page * per, last = Math.min(n, first + per);
      state.shown.forEach(function (r, i) {
        var off = i < first || i >= last;
        if (off !== r.classList.contains("as-off")) r.classList.toggle("as-off", off);
      });
      if (reorder) {
        var fragment = document.createDocumentFragment();
        var kept = {};
        state.shown.forEach(function (r) { kept[r._asIndex] = true; r.classList.remove("as-out"); fragment.appendChild(r); });
        rows.forEach(function (r) {
          if (!kept[r._asIndex]) { r.classList.add("as-out"); fragment.appendChild(r); }
        });
        body.appendChild(fragment);
      }
      var paged = rows.length > SIZES[0];
      pager.style.display = paged ? "" : "none";
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      var filtered = n !== rows.length;
      if (foot) foot.style.display = filtered ? "none" : "";
      table.classList.toggle("as-filtered", filtered);
      var what = (filtered ? n + " of " : "") + rows.length + (rows.length === 1 ? " row" : " rows");
      if (filtered && foot) what += " · totals row hidden while searching (it counts every row)";
      if (n > per) what += " · showing " + (first + 1) + "–" + last + " (page " + (state.page + 1) + " of " + pages + ")";
      info.textContent = what;
    }
    function sortValues(i) {
      if (!keys[i]) {
        var numeric = heads[i].classList.contains("as-num");
        var values = new Array(rows.length);  // by each row's place in the page, whatever the order now
        rows.forEach(function (r) {
          var cell = r.cells[i];
          var text = cell ? cell.textContent : "";
          values[r._asIndex] = numeric ? number(text) : (text.trim() === "" ? null : text);
        });
        keys[i] = values;
      }
      return keys[i];
    }
    function sortBy(i) {
      state.dir = state.col === i ? -state.dir : 1;
      state.col = i;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      heads[i].setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      var values = sortValues(i), dir = state.dir;
      var order = function (a, b) {
        var x = values[a._asIndex], y = values[b._asIndex];
        if (x === null || y === null) return compare(x, y) || a._asIndex - b._asIndex;
        return dir * compare(x, y) || a._asIndex - b._asIndex;
      };
      rows.sort(order);
      state.shown = state.shown.slice().sort(order);
      state.page = 0;
      draw(true);
    }
    search.addEventListener("input", function () {
      var q = fold(search.value.trim());
      state.shown = q ? rows.filter(function (r) { return texts[r._asIndex].indexOf(q) >= 0; }) : rows.slice();
      state.page = 0;
      draw(true);
    });
    prev.addEventListener("click", function () { state.page -= 1; draw(); });
    next.addEventListener("click", function () { state.page += 1; draw(); });
    size.addEventListener("change", function () { state.size = Number(size.value); state.page = 0; draw(); });
    Array.prototype.forEach.call(heads, function (th, i) {
      th.classList.add("as-sortable");
      th.title = "Sort by this column";
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(i); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(i); }
      });
    });
    state.shown = rows.slice();
    draw();
  }

  // A table wider than its box scrolls sideways under its first column (the style sheet keeps it in
  // place): while it is wider, the box is marked (`as-overflow`, a faded right edge until the last
  // column is in view, `as-at-end`) and a line above it says so. Sizes are only read, never set.
  var watcher = window.ResizeObserver ? new ResizeObserver(function (seen) {
    seen.forEach(function (s) { var box = s.target._asBox || s.target; if (box._asHint) measure(box); });
  }) : null;
  function measure(box) {
    var over = box.scrollWidth > box.clientWidth + 1;
    var end = !over || box.scrollLeft + box.clientWidth >= box.scrollWidth - 1;
    if (over !== box.classList.contains("as-overflow")) box.classList.toggle("as-overflow", over);
    if (end !== box.classList.contains("as-at-end")) box.classList.toggle("as-at-end", end);
    if (box._asHint.hidden === over) box._asHint.hidden = !over;
  }
  function cue(box) {
    if (!box._asHint) {
      var hint = element("div", "as-scroll-hint", "More columns: scroll the table sideways \u2192");
      hint.hidden = true;
      box.parentNode.insertBefore(hint, box);
      box._asHint = hint;
      box.addEventListener("scroll", function () { measure(box); }, { passive: true });
      if (watcher) {
        watcher.observe(box);
        var table = box.querySelector("table");
        if (table) { table._asBox = box; watcher.observe(table); }
      }
    }
    measure(box);
  }
  function cues() { Array.prototype.forEach.call(document.querySelectorAll(".as-wide"), cue); }

  function all() {
    Array.prototype.forEach.call(document.querySelectorAll("table.as-grid"), setup);
    cues();
  }
  window.asGridSetup = all;
  window.addEventListener("resize", cues);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  all();
})();
