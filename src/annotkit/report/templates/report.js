// annotkit report: pagination, search, label and language toggles. No network, no libraries.
(function () {
  "use strict";
  var root = document.getElementById("docs");
  if (!root) { return; }
  var docs = Array.prototype.slice.call(root.querySelectorAll(":scope > section.doc"));
  var size = parseInt(root.getAttribute("data-page-size"), 10) || 20;
  var q = document.getElementById("q");
  var labelFilter = document.getElementById("label-filter");
  var statusEl = document.getElementById("status");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var indexRows = Array.prototype.slice.call(document.querySelectorAll("table.index tbody tr"));
  var matches = docs;
  var page = 0;
  var haystack = null;

  function texts() {
    if (haystack === null) {
      haystack = docs.map(function (d) {
        var t = d.querySelector(".text");
        return (d.getAttribute("data-id") + "\n" + (t ? t.textContent : "")).toLowerCase();
      });
    }
    return haystack;
  }

  function show() {
    var pages = Math.max(1, Math.ceil(matches.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    var on = new Set(matches.slice(page * size, (page + 1) * size));
    docs.forEach(function (d) { d.hidden = !on.has(d); });
    statusEl.textContent = matches.length + " of " + docs.length + " documents · page " +
      (page + 1) + " of " + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function filter() {
    var term = q.value.trim().toLowerCase();
    var label = labelFilter.value;
    var hay = term ? texts() : null;
    matches = docs.filter(function (d, i) {
      if (label && (" " + d.getAttribute("data-labels") + " ").indexOf(" " + label + " ") < 0) {
        return false;
      }
      return !term || hay[i].indexOf(term) >= 0;
    });
    indexRows.forEach(function (row) {
      row.hidden = term !== "" && row.getAttribute("data-id").toLowerCase().indexOf(term) < 0;
    });
    page = 0;
    show();
  }

  function go() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (!target || docs.indexOf(target) < 0) { return; }
    if (matches.indexOf(target) < 0) {
      q.value = "";
      labelFilter.value = "";
      matches = docs;
    }
    page = Math.floor(matches.indexOf(target) / size);
    show();
    target.scrollIntoView();
  }

  var timer = null;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(filter, 150);
  });
  labelFilter.addEventListener("change", filter);
  prev.addEventListener("click", function () { page -= 1; show(); root.scrollIntoView(); });
  next.addEventListener("click", function () { page += 1; show(); root.scrollIntoView(); });
  document.getElementById("show-runs").addEventListener("change", function (e) {
    document.body.classList.toggle("runs", e.target.checked);
  });
  Array.prototype.forEach.call(document.querySelectorAll("input.toggle-label"), function (box) {
    box.addEventListener("change", function () {
      document.body.classList.toggle("hide-" + box.value, !box.checked);
    });
  });
  window.addEventListener("hashchange", go);
  show();
  go();
}());
