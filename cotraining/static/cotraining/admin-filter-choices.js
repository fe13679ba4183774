// A search box over long lists of boxes to tick in the Wagtail admin (the workshop's trainers):
// typing part of a name keeps the matching people in view; ticked ones always stay visible.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(list) {
    if (list.dataset.filterReady) return;
    list.dataset.filterReady = "1";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "w-mb-2";
    input.placeholder = list.dataset.filterPlaceholder || "";
    input.setAttribute("aria-label", list.dataset.filterPlaceholder || "");
    input.setAttribute("aria-controls", list.id);
    list.parentNode.insertBefore(input, list);
    input.addEventListener("input", function () {
      var query = fold(input.value.trim());
      list.querySelectorAll("label").forEach(function (label) {
        var box = label.querySelector("input");
        var shown = !query || (box && box.checked) || fold(label.textContent).indexOf(query) !== -1;
        var row = label.closest("div") === list ? label : label.closest("div") || label;
        row.hidden = !shown;
      });
    });
  }

  function init() {
    document.querySelectorAll("input[data-filter-placeholder]").forEach(function (box) {
      var list = box.closest("[id]:not(input)");
      if (list) {
        list.dataset.filterPlaceholder = box.dataset.filterPlaceholder;
        enhance(list);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
