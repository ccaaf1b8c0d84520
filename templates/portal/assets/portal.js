/* meshcomply portal: table filters. No network, no eval, no HTML from data: rows are only
   shown or hidden by comparing their data-* attributes and text with the chosen values. */
(function () {
  "use strict";

  function setup(form) {
    var table = document.getElementById(form.getAttribute("data-mc-filter"));
    if (!table || !table.tBodies.length) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var output = form.querySelector("output");
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });

    function apply() {
      var wanted = [];
      Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
        if (select.value) wanted.push([select.name, select.value]);
      });
      var input = form.querySelector("input[name=text]");
      var needle = input ? input.value.trim().toLowerCase() : "";
      var shown = 0;
      rows.forEach(function (row, index) {
        var visible = wanted.every(function (pair) {
          var have = (row.getAttribute("data-" + pair[0]) || "").split(" ");
          return have.indexOf(pair[1]) !== -1;
        }) && (!needle || texts[index].indexOf(needle) !== -1);
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      if (output) output.textContent = shown + " of " + rows.length + " rows";
    }

    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.classList.add("mc-filters--ready");
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-mc-filter]"), setup);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // Material's page-load observable
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
