// Reminder settings: "Every day / Weekdays / Weekends" buttons over each set of day boxes.
// Without JavaScript the boxes work as they are; these are buttons, so keyboards reach them.
(function () {
  "use strict";
  var PRESETS = [
    ["Every day", [0, 1, 2, 3, 4, 5, 6]],
    ["Weekdays", [0, 1, 2, 3, 4]],
    ["Weekends", [5, 6]],
  ];
  document.querySelectorAll("fieldset[data-days]").forEach(function (fieldset) {
    var boxes = fieldset.querySelectorAll('input[type="checkbox"]');
    var bar = document.createElement("div");
    bar.className = "presets";
    PRESETS.forEach(function (preset) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-secondary";
      button.textContent = preset[0];
      button.addEventListener("click", function () {
        boxes.forEach(function (box) {
          box.checked = preset[1].indexOf(Number(box.value)) !== -1;
        });
      });
      bar.appendChild(button);
    });
    var legend = fieldset.querySelector("legend");
    legend.insertAdjacentElement("afterend", bar);
  });
})();
