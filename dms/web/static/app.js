// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Forms marked data-busy: prevent double submits (big uploads take a while) and say why.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]")) return;
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      button.dataset.label = button.textContent;
      button.disabled = true;
      button.textContent = form.dataset.busy;
    }, 0);
  });
  // Coming back through the browser history: make forms usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      var button = form.querySelector("button[type=submit][disabled]");
      if (!button) return;
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
    });
  });
})();
