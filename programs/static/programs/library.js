// The library's filter form answers as you type or choose. Without this file the same form
// still works: it is a plain GET form with a submit button.
(function () {
  "use strict";
  var form = document.querySelector("[data-library-filters]");
  var results = document.querySelector("[data-library-results]");
  if (!form || !results || !window.fetch || !window.DOMParser) return;

  var timer = null;
  var latest = 0;

  function query() {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (key) {
      if (!params.get(key)) params.delete(key);
    });
    return params.toString();
  }

  function refresh() {
    window.clearTimeout(timer); // one request for what the form says now
    var qs = query();
    var url = form.action + (qs ? "?" + qs : "");
    var ticket = ++latest;
    results.setAttribute("aria-busy", "true");
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (ticket !== latest) return; // a newer search is on its way
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-library-results]");
        if (fresh) {
          results.innerHTML = fresh.innerHTML;
          window.history.replaceState(null, "", url);
        }
      })
      .catch(function () {
        form.submit(); // fall back to a full page load
      })
      .finally(function () {
        if (ticket === latest) results.removeAttribute("aria-busy");
      });
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.type === "search") {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target && event.target.tagName === "SELECT") refresh();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
  });
  form.setAttribute("data-live", ""); // answers as you type from now on
})();
