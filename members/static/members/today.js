/* Today page: log a session through the API; keep it on the phone while offline, send it when
   the connection is back. A log's client_id is made once (the form's hidden field) and sent as
   the Idempotency-Key too, so a resend after a lost answer can never store a second session.
   Without this script the form posts to the page, which logs it the same way. No build step.
   Honest logging: nothing is chosen for the member. Each exercise is marked done, partly or
   skipped (sets and reps come from the dose once it is marked done), pain before and after are
   answered before anything is sent, and after a painful session (the PT's pain-spike rule, from
   the page) the member reads what to do now instead of "Well done!". */
(function () {
  "use strict";
  var form = document.getElementById("log-form");
  if (!form || !window.fetch || !window.localStorage || !window.JSON) return;

  var QUEUE = "movedaily.unsent-sessions";
  var RETRY_MS = 30000;
  var statusBox = document.getElementById("log-status");
  var errorBox = document.getElementById("log-errors");
  var idField = form.querySelector("[data-role=client-id]");
  var api = form.getAttribute("data-api");
  var sending = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load() { try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (e) { return []; } }
  function save(list) { localStorage.setItem(QUEUE, JSON.stringify(list)); }
  function drop(key) { save(load().filter(function (x) { return x.key !== key; })); }
  function say(text, pending) {
    statusBox.textContent = text;
    statusBox.classList.toggle("pending", !!pending);
  }
  function showErrors(errors, names) {
    var lines = [];
    Object.keys(errors || {}).forEach(function (field) {
      // entries[2].reps_done -> "Glute bridge, reps done"
      var m = field.match(/^entries\[(\d+)\]\.?(.*)$/);
      var label = m ? (names[+m[1]] || "Exercise") + (m[2] ? ", " + m[2].replace(/_/g, " ") : "")
                    : field.replace(/_/g, " ");
      lines.push(label + ": " + [].concat(errors[field]).join(" "));
    });
    errorBox.textContent = lines.length ? "Please check: " + lines.join("; ") : "";
    errorBox.hidden = !lines.length;
    if (lines.length && errorBox.scrollIntoView) errorBox.scrollIntoView({ block: "center" });
  }
  function num(input) {
    if (!input || input.value === "") return null;
    var n = Number(input.value);
    return Math.floor(n) === n ? n : input.value;
  }

  var advice = document.getElementById("pain-advice");
  var cards = form.querySelectorAll("[data-plan-item]");
  var lastSent = null;  // the key of the log this form last queued

  function radioValue(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : null;
  }
  function statusOf(card) {
    var checked = card.querySelector("[data-role=status]:checked");
    return checked ? checked.value : null;
  }
  function fillFromDose(card) {
    // Only once the member says "done": the dose is what they did, and they may change it.
    card.querySelectorAll("[data-dose]").forEach(function (input) {
      if (input.value === "") input.value = input.getAttribute("data-dose");
    });
  }
  cards.forEach(function (card) {
    card.addEventListener("change", function (event) {
      if (event.target.getAttribute("data-role") === "status" && event.target.value === "done") fillFromDose(card);
      if (event.target.getAttribute("data-role") === "status") card.querySelector("[data-role=status-group]").classList.remove("missing");
    });
  });
  form.querySelectorAll("[data-role=pain]").forEach(function (group) {
    group.addEventListener("change", function () { group.classList.remove("missing"); });
  });

  // "I did everything as prescribed": every exercise marked done, by the member's own tap.
  var allDone = form.querySelector("[data-testid=all-done]");
  if (allDone) {
    allDone.addEventListener("click", function (event) {
      event.preventDefault();
      cards.forEach(function (card) {
        var done = card.querySelector('[data-role=status][value="done"]');
        done.checked = true;
        card.querySelector("[data-role=status-group]").classList.remove("missing");
        fillFromDose(card);
      });
      var pain = document.getElementById("pain_before");
      if (pain && pain.scrollIntoView) pain.scrollIntoView({ block: "start" });
      var first = pain && pain.querySelector("input");
      if (first && !radioValue("pain_before")) first.focus({ preventScroll: true });
    });
  }

  function sessionStatus(statuses) {
    if (statuses.length && statuses.every(function (s) { return s === "done"; })) return "completed";
    if (statuses.every(function (s) { return s === "skipped"; })) return "skipped";
    return "partial";
  }

  // What the member has not answered yet: [label, element to show] pairs.
  function unanswered() {
    var missing = [];
    var anyDone = false;
    cards.forEach(function (card) {
      var status = statusOf(card);
      if (!status) missing.push([card.querySelector(".ex-name").textContent + ": choose Done, Partly or Skipped.", card.querySelector("[data-role=status-group]")]);
      if (status && status !== "skipped") anyDone = true;
    });
    if (radioValue("pain_before") === null) missing.push(["Pain before: choose a number (0 means no pain).", document.getElementById("pain_before")]);
    if (anyDone && radioValue("pain_after") === null) missing.push(["Pain after: choose a number (0 means no pain).", document.getElementById("pain_after")]);
    return missing;
  }

  function build(skipped) {
    var entries = [], names = [], statuses = [];
    if (!skipped) {
      cards.forEach(function (card) {
        var status = statusOf(card);
        var entry = { plan_item: parseInt(card.getAttribute("data-plan-item"), 10), status: status };
        statuses.push(status);
        if (status !== "skipped") {
          card.querySelectorAll("[data-field]").forEach(function (input) {
            var field = input.getAttribute("data-field"), v = num(input);
            if (field === "duration_minutes") entry.duration_seconds_done = typeof v === "number" ? v * 60 : v;
            else entry[field] = v;
          });
          var fb = card.querySelector(".feedback input[type=radio]:checked");
          entry.feedback = fb ? fb.value : null;
        }
        entries.push(entry);
        names.push(card.querySelector(".ex-name").textContent);
      });
    }
    var status = skipped ? "skipped" : sessionStatus(statuses);
    var pain = function (name) { var v = radioValue(name); return v === null ? null : parseInt(v, 10); };
    return {
      names: names,
      body: {
        client_id: idField.value,
        date: form.getAttribute("data-date"),
        status: status,
        pain_before: skipped ? null : pain("pain_before"),
        pain_after: skipped ? null : pain("pain_after"),
        rpe: skipped ? null : pain("rpe"),
        notes: document.getElementById("notes").value,
        entries: entries
      }
    };
  }

  // The PT's pain-spike rule, handed over by the page (members.rules.safety).
  function painful(body) {
    if (!advice || body.status === "skipped" || body.pain_after === null) return false;
    var after = parseInt(advice.getAttribute("data-spike-after"), 10);
    var rise = parseInt(advice.getAttribute("data-spike-rise"), 10);
    return body.pain_after >= after || (body.pain_before !== null && body.pain_after - body.pain_before >= rise);
  }
  function showAdvice() {
    advice.hidden = false;
    if (advice.scrollIntoView) advice.scrollIntoView({ block: "start" });
    advice.focus({ preventScroll: true });
  }

  function markDone(body) {
    body.entries.forEach(function (e) {
      if (e.status === "skipped") return;
      var n = form.querySelector('[data-plan-item="' + e.plan_item + '"] .done-n');
      if (n) n.textContent = String(parseInt(n.textContent, 10) + 1);
    });
  }

  function waiting() {
    say(navigator.onLine ? "Saved on this phone; it will be sent when the server answers."
                         : "Saved on this phone; it will be sent when you are back online.", true);
  }

  function flush() {
    if (sending) return Promise.resolve();
    var list = load();
    if (!list.length) return Promise.resolve();
    sending = true;
    var item = list[0];
    return fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": item.key,
        "X-CSRFToken": window.exerciseTracker.csrfToken()
      },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        sending = false;
        if (response.ok) {
          drop(item.key);
          markDone(item.body);
          showErrors({}, []);
          if (item.key === lastSent) { form.reset(); lastSent = null; }
          if (item.body.status === "skipped") say("Noted: you skipped today. Rest well.");
          else if (painful(item.body)) { say("Session logged."); showAdvice(); }
          else say("Session logged. Well done!");
          return flush();
        }
        if (response.status === 400 || response.status === 409) {
          // 400: the server will never take this one; hand it back to the form to fix.
          // 409: this session is already stored (or being stored by another tab).
          drop(item.key);
          if (response.status === 409) { say("This session was already logged."); return flush(); }
          say("");
          showErrors(data.errors, item.names || []);
          return flush();
        }
        if (response.status === 401 || response.status === 403) {
          say("Saved on this phone. Please sign in again to send it.", true);
          return null;
        }
        waiting();
        return null;
      });
    }).catch(function () {
      sending = false;
      waiting();
    });
  }

  var buttons = form.querySelectorAll("button[type=submit]");
  function hold(on) { buttons.forEach(function (b) { b.disabled = on; }); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var skipped = !!(event.submitter && event.submitter.value === "skipped");
    if (!skipped) {
      var missing = unanswered();
      form.querySelectorAll(".missing").forEach(function (el) { el.classList.remove("missing"); });
      if (missing.length) {
        missing.forEach(function (m) { m[1].classList.add("missing"); });
        errorBox.textContent = "Please answer: " + missing.map(function (m) { return m[0]; }).join(" ");
        errorBox.hidden = false;
        var first = missing[0][1];
        if (first.scrollIntoView) first.scrollIntoView({ block: "center" });
        var input = first.querySelector("input");
        if (input) input.focus({ preventScroll: true });
        return;
      }
    }
    var built = build(skipped);
    var list = load();
    list.push({ key: built.body.client_id, body: built.body, names: built.names, saved_at: new Date().toISOString() });
    save(list);
    lastSent = built.body.client_id;
    // The queued log keeps its id for every resend; the next log from this page is a new one.
    idField.value = uuid();
    showErrors({}, []);
    hold(true);
    if (!navigator.onLine) { waiting(); window.setTimeout(function () { hold(false); }, 1500); return; }
    say("Sending…", true);
    flush().then(function () { hold(false); });
  });

  window.addEventListener("online", function () { flush(); });
  window.setInterval(function () { if (navigator.onLine && load().length) flush(); }, RETRY_MS);
  if (load().length) {
    if (navigator.onLine) flush(); else waiting();
  }
})();
