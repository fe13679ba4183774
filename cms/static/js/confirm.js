/*
 * Ask before sending a form that cannot be undone: <form data-confirm="Question ?"
 * data-confirm-detail="…" data-confirm-yes="Oui, …">. The question opens the page's DSFR modal
 * (templates/includes/confirm_modal.html); "yes" sends the form with confirm=1, closing the
 * modal sends nothing. Without this script the server asks on a page of its own
 * (cotraining/confirmation.py). No inline script or handler: it runs under a strict CSP.
 */
(function () {
  "use strict";
  var modal = document.getElementById("ep-confirm-modal");
  if (!modal) {
    return;
  }
  var title = document.getElementById("ep-confirm-modal-title");
  var detail = document.getElementById("ep-confirm-modal-detail");
  var yes = document.getElementById("ep-confirm-modal-yes");
  var defaultYes = yes.textContent;
  var pending = null;

  function send(form) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "confirm";
    field.value = "1";
    form.appendChild(field);
    form.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-confirm]")) {
      return;
    }
    event.preventDefault();
    if (!window.dsfr) {
      // The DSFR script did not load: the browser's own dialog still asks.
      if (window.confirm(form.dataset.confirm)) {
        send(form);
      }
      return;
    }
    pending = form;
    title.textContent = form.dataset.confirm;
    detail.textContent = form.dataset.confirmDetail || "";
    detail.hidden = !form.dataset.confirmDetail;
    yes.textContent = form.dataset.confirmYes || defaultYes;
    window.dsfr(modal).modal.disclose();
  });

  yes.addEventListener("click", function () {
    if (pending) {
      yes.disabled = true;
      send(pending);
    }
  });

  // A page restored from the back-forward cache must answer again.
  window.addEventListener("pageshow", function () {
    yes.disabled = false;
    pending = null;
  });

  modal.addEventListener("dsfr.conceal", function () {
    if (!yes.disabled) {
      pending = null;
    }
  });
})();
