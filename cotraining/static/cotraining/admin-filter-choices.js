// A search box over long lists of boxes to tick in the Wagtail admin (the workshop's trainers):
// typing part of a name keeps the matching people in view; ticked ones always stay visible.
// The editor's panels are drawn by Wagtail's scripts after the page loads, hence the observer.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function rowOf(box, container) {
    var row = box.parentElement;
    return row && row !== container && row.querySelectorAll("input").length === 1 ? row : null;
  }

  function enhance(first) {
    var container = first.closest(".w-field__input") || first.parentElement;
    if (!container || container.dataset.filterReady) return;
    container.dataset.filterReady = "1";
    var boxes = container.querySelectorAll('input[name="' + first.name + '"]');
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = first.dataset.filterPlaceholder;
    input.setAttribute("aria-label", first.dataset.filterPlaceholder);
    input.className = "entrepairs-filter-choices";
    container.insertBefore(input, container.firstChild);
    input.addEventListener("input", function () {
      var query = fold(input.value.trim());
      boxes.forEach(function (box) {
        var label = box.id ? container.querySelector('label[for="' + box.id + '"]') : null;
        var text = label ? label.textContent : "";
        var hidden = !!query && !box.checked && fold(text).indexOf(query) === -1;
        var row = rowOf(box, container);
        [row, box, label].forEach(function (element) {
          if (element) element.hidden = hidden;
        });
      });
    });
  }

  function scan() {
    document.querySelectorAll("input[data-filter-placeholder]").forEach(enhance);
  }

  function start() {
    scan();
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
