// The plan builder: a client of the v1 API with the PT's session (CSRF header on writes).
// Everything a person typed is put on the page with textContent, never as HTML.
(function () {
  "use strict";
  var root = document.querySelector("[data-plan-builder]");
  var configNode = document.getElementById("plan-builder-config");
  if (!root || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var DOSE_KEYS = ["sets", "reps", "hold_seconds", "duration_seconds", "rest_seconds",
    "times_per_day", "target_rpe", "side", "note", "load"];
  var NUMBER_KEYS = ["sets", "reps", "hold_seconds", "duration_seconds", "rest_seconds",
    "times_per_day", "target_rpe"];
  var EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];

  var state = { items: [], plan: null };
  var $ = function (selector) { return document.querySelector(selector); };
  var list = root.querySelector("[data-items]");
  var itemTemplate = document.querySelector("[data-item-template]");
  var previewTimer = null;
  var previewTicket = 0;

  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = window.exerciseTracker.csrfToken();
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  // --- items ------------------------------------------------------------------------------

  function fromServer(item) {
    var copy = { id: item.id || null, exercise: item.exercise.id, name: item.exercise.name,
      days_of_week: (item.days_of_week || EVERY_DAY).slice(), label: item.label || "" };
    DOSE_KEYS.forEach(function (key) { copy[key] = item[key] === undefined ? null : item[key]; });
    return copy;
  }

  function toRequest(item) {
    var out = { exercise: item.exercise, days_of_week: item.days_of_week.slice() };
    if (item.id) out.id = item.id;
    DOSE_KEYS.forEach(function (key) {
      var value = item[key];
      if (value === undefined) return;
      if (key === "note" || key === "load") { out[key] = value || ""; return; }
      out[key] = value === "" ? null : value;
    });
    return out;
  }

  function render() {
    list.textContent = "";
    state.items.forEach(function (item, index) { list.appendChild(renderItem(item, index)); });
    var count = state.items.length;
    root.querySelector("[data-item-count]").textContent = count ? "(" + count + ")" : "";
    root.querySelector("[data-empty]").hidden = count > 0;
  }

  function field(node, name) { return node.querySelector('[data-f="' + name + '"]'); }

  function renderItem(item, index) {
    var node = itemTemplate.content.firstElementChild.cloneNode(true);
    node.dataset.index = String(index);
    field(node, "number").textContent = index + 1 + ".";
    field(node, "name").textContent = item.name;
    field(node, "dose-label").textContent = item.label || "";
    field(node, "label-up").textContent = " " + item.name;
    field(node, "label-down").textContent = " " + item.name;
    field(node, "label-remove").textContent = " " + item.name;
    var picture = field(node, "picture");
    var url = config.pictures[String(item.exercise)];
    if (url) { picture.src = url; picture.alt = item.name; } else { picture.remove(); }
    node.querySelector('[data-move="-1"]').disabled = index === 0;
    node.querySelector('[data-move="1"]').disabled = index === state.items.length - 1;
    node.querySelectorAll("[data-dose]").forEach(function (input) {
      var key = input.dataset.dose;
      var value = item[key];
      input.value = value === null || value === undefined ? "" : String(value);
      input.id = "item-" + index + "-" + key;
    });
    node.querySelectorAll("[data-day]").forEach(function (box) {
      box.checked = item.days_of_week.indexOf(Number(box.dataset.day)) !== -1;
    });
    return node;
  }

  function indexOf(element) {
    var li = element.closest("li.plan-item");
    return li ? Number(li.dataset.index) : -1;
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var index = indexOf(button);
    if (index < 0) return;
    if (button.dataset.move) {
      var to = index + Number(button.dataset.move);
      if (to < 0 || to >= state.items.length) return;
      var moved = state.items.splice(index, 1)[0];
      state.items.splice(to, 0, moved);
      render();
      // Keep the keyboard on the moved exercise: on the same button, or on the other move
      // button once it reaches the top or the bottom (never on Remove, which Enter would press).
      var moves = list.children[to].querySelectorAll("[data-move]");
      var same = button.dataset.move === "-1" ? moves[0] : moves[1];
      (same.disabled ? (same === moves[0] ? moves[1] : moves[0]) : same).focus();
      announce(moved.name + " is now exercise " + (to + 1) + " of " + state.items.length + ".");
    } else if (button.hasAttribute("data-remove")) {
      var removed = state.items.splice(index, 1)[0];
      render();
      announce(removed.name + " removed.");
      // Focus the exercise now in that place (a move button, not Remove: a second Enter must
      // not remove another one), else the list's heading.
      var next = list.children[Math.min(index, state.items.length - 1)];
      var target = next && next.querySelector("[data-move]:not(:disabled)");
      (target || root.querySelector("#items-h")).focus();
    }
    schedulePreview();
  });

  list.addEventListener("input", function (event) {
    var input = event.target;
    var index = indexOf(input);
    if (index < 0) return;
    var item = state.items[index];
    if (input.dataset.dose) {
      var key = input.dataset.dose;
      item[key] = NUMBER_KEYS.indexOf(key) !== -1
        ? (input.value === "" ? null : Number(input.value))
        : input.value;
    } else if (input.dataset.day !== undefined) {
      var days = [];
      input.closest("li").querySelectorAll("[data-day]").forEach(function (box) {
        if (box.checked) days.push(Number(box.dataset.day));
      });
      item.days_of_week = days;
    }
    schedulePreview();
  });

  function addExercise(card) {
    return api("GET", config.api.exercises + card.id + "/").then(function (result) {
      var dose = (result.ok && result.data && result.data.dose) || {};
      var item = { id: null, exercise: card.id, name: card.name, days_of_week: EVERY_DAY.slice() };
      DOSE_KEYS.forEach(function (key) { item[key] = dose[key] === undefined ? null : dose[key]; });
      item.note = "";
      item.load = "";
      state.items.push(item);
      render();
      schedulePreview();
      announce(card.name + " added as exercise " + state.items.length + ".");
    });
  }

  // --- warnings and estimate --------------------------------------------------------------

  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 300);
  }

  function preview() {
    var ticket = ++previewTicket;
    var body = { member: config.member, items: state.items.map(toRequest) };
    if (state.plan) body.plan = state.plan.id;
    api("POST", config.api.preview, body).then(function (result) {
      if (ticket !== previewTicket) return;
      showItemErrors(result.ok ? {} : (result.data && result.data.errors) || {});
      if (result.ok) {
        showSummary(result.data.warnings, result.data.estimated_minutes);
        showLabels(result.data.labels || []);
      }
    });
  }

  function showSummary(warnings, minutes) {
    root.querySelector("[data-estimate]").textContent =
      state.items.length ? "about " + minutes + " min" : "—";
    var box = root.querySelector("[data-warnings]");
    box.textContent = "";
    (warnings || []).forEach(function (warning) {
      var li = document.createElement("li");
      li.className = "warning";
      li.textContent = "Warning: " + warning.message;
      box.appendChild(li);
    });
  }

  // The dose in the words the member will read (the server words it: one wording everywhere).
  function showLabels(labels) {
    list.querySelectorAll("li.plan-item").forEach(function (li, index) {
      if (labels[index] === undefined || !state.items[index]) return;
      state.items[index].label = labels[index];
      field(li, "dose-label").textContent = labels[index];
    });
  }

  function showItemErrors(errors) {
    list.querySelectorAll("li.plan-item").forEach(function (li, index) {
      var prefix = "items[" + index + "]";
      var messages = [];
      li.querySelectorAll("[data-dose]").forEach(function (input) {
        var key = prefix + "." + input.dataset.dose;
        input.setAttribute("aria-invalid", errors[key] ? "true" : "false");
        if (errors[key]) messages.push(input.dataset.dose.replace("_", " ") + ": " + errors[key].join(" "));
      });
      Object.keys(errors).forEach(function (key) {
        if ((key === prefix || key.indexOf(prefix + ".") === 0) &&
            !li.querySelector('[data-dose="' + key.slice(prefix.length + 1) + '"]')) {
          messages.push(errors[key].join(" "));
        }
      });
      var p = field(li, "errors");
      p.textContent = messages.join(" ");
      p.hidden = messages.length === 0;
    });
  }

  // --- library search ---------------------------------------------------------------------

  var searchForm = root.querySelector("[data-library-search]");
  var results = root.querySelector("[data-library-results]");
  var searchTimer = null;
  var searchTicket = 0;

  function search() {
    var params = new URLSearchParams();
    new FormData(searchForm).forEach(function (value, key) { if (value) params.set(key, value); });
    params.set("page_size", "12");
    var ticket = ++searchTicket;
    results.setAttribute("aria-busy", "true");
    api("GET", config.api.exercises + "?" + params.toString()).then(function (result) {
      if (ticket !== searchTicket) return;
      results.removeAttribute("aria-busy");
      results.textContent = "";
      var cards = (result.ok && result.data.results) || [];
      if (!cards.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "No exercises match.";
        results.appendChild(none);
      }
      cards.forEach(function (card) {
        var li = document.createElement("li");
        li.className = "library-result";
        if (card.thumbnail) {
          var img = document.createElement("img");
          img.src = card.thumbnail;
          img.alt = card.thumbnail_alt_text || card.name;
          img.width = 56; img.height = 56;
          li.appendChild(img);
        }
        var name = document.createElement("span");
        name.className = "result-name";
        name.textContent = card.name;
        li.appendChild(name);
        var add = document.createElement("button");
        add.type = "button";
        add.className = "btn btn-small btn-secondary";
        add.textContent = "Add";
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " " + card.name;
        add.appendChild(hidden);
        add.addEventListener("click", function () { addExercise(card); });
        li.appendChild(add);
        results.appendChild(li);
      });
    });
  }

  searchForm.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(search, 250);
  });
  searchForm.addEventListener("change", search);
  searchForm.addEventListener("submit", function (event) { event.preventDefault(); search(); });

  // --- templates --------------------------------------------------------------------------

  var useTemplate = root.querySelector("[data-use-template]");
  var templatePick = root.querySelector("#plan-template");
  var criteria = root.querySelector("[data-template-criteria]");
  if (templatePick && criteria) {
    // The chosen template's progression criteria: when to move the member on.
    templatePick.addEventListener("change", function () {
      var text = templatePick.options[templatePick.selectedIndex].getAttribute("data-criteria") || "";
      criteria.querySelector("span").textContent = text;
      criteria.hidden = !text;
    });
  }
  if (useTemplate) {
    useTemplate.addEventListener("click", function () {
      var id = root.querySelector("#plan-template").value;
      api("GET", config.api.templates + id + "/").then(function (result) {
        if (!result.ok) return;
        // Template items become new items of this plan (no `id`).
        state.items = result.data.items.map(function (item) {
          var copy = fromServer(item);
          copy.id = null;
          return copy;
        });
        setLessons(result.data.lessons);
        var title = root.querySelector("#plan-title");
        if (!title.value) title.value = result.data.name.split(":")[0] + " home program";
        render();
        schedulePreview();
        announce("Template " + result.data.name + " applied: " + state.items.length + " exercises.");
      });
    });
  }

  // --- saving and revisions ---------------------------------------------------------------

  // --- lessons ----------------------------------------------------------------------------

  var lessonBoxes = Array.prototype.slice.call(root.querySelectorAll("[data-lesson]"));
  function setLessons(ids) {
    var wanted = (ids || []).map(String);
    lessonBoxes.forEach(function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
  }
  function chosenLessons() {
    return lessonBoxes.filter(function (box) { return box.checked; }).map(function (box) {
      return Number(box.value);
    });
  }

  function announce(text) {
    var saved = root.querySelector("[data-saved]");
    saved.textContent = text;
    saved.hidden = false;
  }

  function showErrors(data) {
    var box = root.querySelector("[data-errors]");
    var errors = (data && data.errors) || {};
    var lines = [];
    Object.keys(errors).forEach(function (key) {
      if (key.indexOf("items[") !== 0) lines.push(key + ": " + errors[key].join(" "));
    });
    if (!lines.length && data && data.detail) lines.push(data.detail);
    box.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
    box.hidden = lines.length === 0;
    showItemErrors(errors);
    ["title", "start_date", "status", "reason", "note_to_member", "goals"].forEach(function (name) {
      var input = root.querySelector('[name="' + name + '"]');
      if (input) input.setAttribute("aria-invalid", errors[name] ? "true" : "false");
    });
  }

  function loadPlan(plan) {
    state.plan = plan;
    state.items = plan.items.map(fromServer);
    setLessons(plan.lessons);
    $("#plan-title").value = plan.title;
    $("#plan-start").value = plan.start_date;
    $("#plan-status").value = plan.status;
    $("#plan-note").value = plan.note_to_member || "";
    $("#plan-goals").value = plan.goals || "";
    var revision = document.querySelector("[data-plan-revision]");
    if (revision) revision.textContent = String(plan.revision);
    render();
    showSummary(plan.warnings, plan.estimated_minutes);
  }

  function loadRevisions() {
    if (!state.plan) return;
    api("GET", config.api.plans + state.plan.id + "/revisions/?page_size=100").then(function (result) {
      if (!result.ok) return;
      var box = root.querySelector("[data-revisions]");
      box.textContent = "";
      result.data.results.forEach(function (revision) {
        var li = document.createElement("li");
        li.className = "revision";
        var head = document.createElement("p");
        var strong = document.createElement("strong");
        strong.textContent = "Revision " + revision.number;
        head.appendChild(strong);
        var when = new Date(revision.created_at);
        head.appendChild(document.createTextNode(
          " · " + when.toLocaleString() + " · " + (revision.author_name || "") + " · " + (revision.reason || "")));
        li.appendChild(head);
        var changes = document.createElement("ul");
        (revision.changes || []).forEach(function (change) {
          var c = document.createElement("li");
          c.textContent = typeof change === "string" ? change : (change.text || JSON.stringify(change));
          changes.appendChild(c);
        });
        li.appendChild(changes);
        // What the PT was warned of when saving (kept items included).
        (revision.warnings || []).forEach(function (warning) {
          var w = document.createElement("p");
          w.className = "small muted revision-warning";
          w.textContent = "Saved with the warning: " + warning.message;
          li.appendChild(w);
        });
        box.appendChild(li);
      });
      root.querySelector("[data-revisions-card]").hidden = false;
    });
  }

  root.querySelector("[data-save]").addEventListener("click", function () {
    var button = this;
    var body = {
      title: $("#plan-title").value,
      start_date: $("#plan-start").value,
      status: $("#plan-status").value,
      note_to_member: $("#plan-note").value,
      goals: $("#plan-goals").value,
      reason: $("#plan-reason").value,
      items: state.items.map(toRequest),
      lessons: chosenLessons(),
    };
    var request;
    if (state.plan) {
      request = api("PATCH", config.api.plans + state.plan.id + "/", body);
    } else {
      body.member = config.member;
      request = api("POST", config.api.plans, body);
    }
    button.disabled = true;
    request.then(function (result) {
      button.disabled = false;
      if (!result.ok) { showErrors(result.data); return; }
      showErrors({});
      var created = !state.plan;
      loadPlan(result.data);
      $("#plan-reason").value = "";
      $("#plan-reason").required = true;
      button.textContent = "Save as a new revision";
      root.querySelectorAll("[data-handout]").forEach(function (handout) {
        handout.href = config.api.plans + result.data.id + "/handout.pdf";
        handout.hidden = false;
      });
      if (created) {
        window.history.replaceState(null, "", "/plans/" + result.data.id + "/edit/");
        var heading = document.querySelector("h1");
        if (heading) heading.textContent = "Adjust the plan for " + config.memberName;
        // From now on every save is a revision, and a revision needs its reason.
        document.querySelector('label[for="plan-reason"]').textContent = "Reason for this change";
        $("#plan-reason").placeholder = "e.g. Progressing: pain settled";
        var status = root.querySelector("#plan-status");
        ["paused", "completed"].forEach(function (value) {
          if (!status.querySelector('option[value="' + value + '"]')) {
            var option = document.createElement("option");
            option.value = value;
            option.textContent = value.charAt(0).toUpperCase() + value.slice(1);
            status.appendChild(option);
          }
        });
        status.value = result.data.status;
      }
      announce("Saved: revision " + result.data.revision + ".");
      loadRevisions();
    });
  });

  // --- start ------------------------------------------------------------------------------

  if (config.plan) {
    api("GET", config.api.plans + config.plan + "/").then(function (result) {
      if (result.ok) { loadPlan(result.data); loadRevisions(); }
    });
  } else {
    $("#plan-start").value = config.today;
    render();
  }
  search();
  root.setAttribute("data-ready", "");
})();
