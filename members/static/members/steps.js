/* An exercise's steps sit behind a tap on a phone (<details>); on a wide screen there is room,
   so they start open. No build step. */
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 48rem)").matches) return;
  document.querySelectorAll("details[data-role=steps]").forEach(function (d) { d.open = true; });
})();
