/* Maison commune: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function enhance(root) {
    // Show-password checkboxes are hidden until JavaScript can make them work.
    root.querySelectorAll("[data-show-password]").forEach(function (box) {
      var label = box.closest("label");
      if (label) { label.hidden = false; }
      if (box.dataset.ready) { return; }
      box.dataset.ready = "1";
      box.addEventListener("change", function () {
        var input = document.getElementById(box.dataset.showPassword);
        if (input) { input.type = box.checked ? "text" : "password"; }
      });
    });
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.ready) { return; }
      button.dataset.ready = "1";
      button.addEventListener("click", function () { window.print(); });
    });
    // A form with errors: bring the reader to the summary first.
    var summary = root.querySelector("#error-summary");
    if (summary && root === document) { summary.focus(); }
  }

  // Trembling hands tap twice: a submitted form's buttons are disabled for a few seconds
  // (after the browser has read the pressed button's name and value).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) { return; }
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      }, 4000);
    }, 0);
  });

  // The display settings swapped in by htmx carry the new look: apply it to the page.
  function applyDisplay() {
    var settings = document.getElementById("display-settings");
    if (!settings || !settings.dataset.textSize) { return; }
    var html = document.documentElement;
    html.classList.remove("text-0", "text-1", "text-2");
    html.classList.add("text-" + settings.dataset.textSize);
    var contrast = settings.dataset.contrast === "1";
    html.classList.toggle("contrast", contrast);
    var scheme = document.querySelector('meta[name="color-scheme"]');
    if (scheme) { scheme.content = contrast ? "dark" : "light"; }
  }

  // A swap that replaced the button just pressed gives the focus back to its new copy.
  var pressed = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[id]") : null;
    pressed = button ? button.id : null;
  }, true);

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:after:swap", function (event) {
    enhance(event.target || document);
    applyDisplay();
    var active = document.activeElement;
    if (pressed && (!active || active === document.body)) {
      var again = document.getElementById(pressed);
      if (again) { again.focus(); }
    }
  });
  // A 5xx is not swapped (see htmx-config): say so in the live region.
  ["htmx:response:error", "htmx:error"].forEach(function (name) { document.addEventListener(name, function () {
    var status = document.getElementById("live-status");
    if (status) { status.textContent = document.documentElement.dataset.errorMessage || ""; }
  }); });
})();
