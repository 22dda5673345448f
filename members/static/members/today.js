/* Today page: log a session through the API; keep it on the phone while offline, send it when
   the connection is back. Each log gets its own client_id and Idempotency-Key once, so a resend
   after a lost answer can never store a second session. No build step. */
(function () {
  "use strict";
  var form = document.getElementById("log-form");
  if (!form || !window.fetch || !window.localStorage || !window.JSON) return;

  var QUEUE = "movedaily.unsent-sessions";
  var statusBox = document.getElementById("log-status");
  var errorBox = document.getElementById("log-errors");
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
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return m ? decodeURIComponent(m[1]) : (field ? field.value : "");
  }
  function say(text, pending) {
    statusBox.textContent = text;
    statusBox.classList.toggle("pending", !!pending);
  }
  function showErrors(errors) {
    var lines = [];
    Object.keys(errors || {}).forEach(function (k) { lines.push(k + ": " + errors[k].join(" ")); });
    errorBox.textContent = lines.length ? "Please check: " + lines.join("; ") : "";
    errorBox.hidden = !lines.length;
  }
  function num(input) {
    if (!input || input.value === "") return null;
    var n = parseInt(input.value, 10);
    return isNaN(n) ? null : n;
  }

  // Live numbers beside the sliders.
  ["pain_before", "pain_after", "rpe"].forEach(function (id) {
    var input = document.getElementById(id), out = document.getElementById(id + "_out");
    if (input && out) input.addEventListener("input", function () { out.textContent = input.value; });
  });

  function build(skipped) {
    var entries = [];
    if (!skipped) {
      form.querySelectorAll("[data-plan-item]").forEach(function (card) {
        if (!card.querySelector("[data-role=done]").checked) return;
        var entry = { plan_item: parseInt(card.getAttribute("data-plan-item"), 10) };
        card.querySelectorAll("[data-field]").forEach(function (input) {
          var field = input.getAttribute("data-field"), v = num(input);
          if (field === "duration_minutes") entry.duration_seconds_done = v === null ? null : v * 60;
          else entry[field] = v;
        });
        var fb = card.querySelector("input[type=radio]:checked");
        entry.feedback = fb ? fb.value : "";
        entries.push(entry);
      });
    }
    var total = form.querySelectorAll("[data-plan-item]").length;
    var status = skipped || !entries.length ? "skipped" : (entries.length === total ? "completed" : "partial");
    return {
      client_id: uuid(),
      date: form.getAttribute("data-date"),
      status: status,
      pain_before: skipped ? null : num(document.getElementById("pain_before")),
      pain_after: skipped ? null : num(document.getElementById("pain_after")),
      rpe: skipped ? null : num(document.getElementById("rpe")),
      notes: document.getElementById("notes").value,
      entries: entries
    };
  }

  function markDone(body) {
    body.entries.forEach(function (e) {
      var n = form.querySelector('[data-plan-item="' + e.plan_item + '"] .done-n');
      if (n) n.textContent = String(parseInt(n.textContent, 10) + 1);
    });
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
        "X-CSRFToken": csrf()
      },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        sending = false;
        if (response.ok) {
          save(load().filter(function (x) { return x.key !== item.key; }));
          markDone(item.body);
          showErrors({});
          say(item.body.status === "skipped" ? "Noted: you skipped today. Rest well." : "Session logged. Well done!");
          return flush();
        }
        if (response.status === 400) {
          // The server will never take this one: hand it back to the form to fix.
          save(load().filter(function (x) { return x.key !== item.key; }));
          say("");
          showErrors(data.errors);
          return null;
        }
        if (response.status === 401 || response.status === 403) {
          say("Saved on this phone. Please sign in again to send it.", true);
          return null;
        }
        say("Saved on this phone, will send when the server answers.", true);
        return null;
      });
    }).catch(function () {
      sending = false;
      say("Saved on this phone, will send when you are back online.", true);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var skipped = !!(event.submitter && event.submitter.value === "skipped");
    var body = build(skipped);
    // One key per log, made once: every resend of this log is the same request.
    var list = load();
    list.push({ key: body.client_id, body: body, saved_at: new Date().toISOString() });
    save(list);
    if (!navigator.onLine) {
      say("Saved on this phone, will send when you are back online.", true);
      return;
    }
    say("Sending…", true);
    flush();
  });

  window.addEventListener("online", function () { flush(); });
  if (load().length) {
    if (navigator.onLine) flush();
    else say("Saved on this phone, will send when you are back online.", true);
  }
})();
