// A questionnaire sent back with errors: move focus to the list of them (screen readers read it).
(function () {
  var errors = document.getElementById("q-errors");
  if (errors) errors.focus();
})();
