/* The CSRF token that the API's writes with the session cookie send as X-CSRFToken: the
   csrftoken cookie, else the token of a form on the page. Shared by the pages' scripts (load
   it before them); no build step. */
(function () {
  "use strict";
  window.exerciseTracker = window.exerciseTracker || {};
  window.exerciseTracker.csrfToken = function () {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  };
})();
