// Progressive enhancement only: every page works without this file.
"use strict";
document.documentElement.classList.add("js");
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("[data-copy]");
  if (!b) return;
  var input = document.getElementById(b.getAttribute("data-copy"));
  if (!input || !navigator.clipboard) return;
  navigator.clipboard.writeText(input.value || input.textContent).then(function () { b.textContent = "Copied"; });
});
document.addEventListener("DOMContentLoaded", function () {
  var err = document.getElementById("form-error");
  if (err) err.focus();
});
