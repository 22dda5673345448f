/* Today page: log a session through the API; keep it on the phone while offline, send it when
   the connection is back. A log's client_id is made once (the form's hidden field) and sent as
   the Idempotency-Key too, so a resend after a lost answer can never store a second session.
   Without this script the form posts to the page, which logs it the same way. No build step. */
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

  // Live numbers beside the sliders.
  ["pain_before", "pain_after", "rpe"].forEach(function (id) {
    var input = document.getElementById(id), out = document.getElementById(id + "_out");
    if (input && out) input.addEventListener("input", function () { out.textContent = input.value; });
  });

  function build(skipped) {
    var entries = [], names = [];
    var cards = form.querySelectorAll("[data-plan-item]");
    if (!skipped) {
      cards.forEach(function (card) {
        if (!card.querySelector("[data-role=done]").checked) return;
        var entry = { plan_item: parseInt(card.getAttribute("data-plan-item"), 10) };
        card.querySelectorAll("[data-field]").forEach(function (input) {
          var field = input.getAttribute("data-field"), v = num(input);
          if (field === "duration_minutes") entry.duration_seconds_done = typeof v === "number" ? v * 60 : v;
          else entry[field] = v;
        });
        var fb = card.querySelector("input[type=radio]:checked");
        entry.feedback = fb ? fb.value : null;
        entries.push(entry);
        names.push(card.querySelector(".ex-name").textContent);
      });
    }
    var status = skipped || !entries.length ? "skipped" : (entries.length === cards.length ? "completed" : "partial");
    return {
      names: names,
      body: {
        client_id: idField.value,
        date: form.getAttribute("data-date"),
        status: status,
        pain_before: status === "skipped" ? null : num(document.getElementById("pain_before")),
        pain_after: status === "skipped" ? null : num(document.getElementById("pain_after")),
        rpe: status === "skipped" ? null : num(document.getElementById("rpe")),
        notes: document.getElementById("notes").value,
        entries: entries
      }
    };
  }

  function markDone(body) {
    body.entries.forEach(function (e) {
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
          say(item.body.status === "skipped" ? "Noted: you skipped today. Rest well." : "Session logged. Well done!");
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
    var built = build(skipped);
    var list = load();
    list.push({ key: built.body.client_id, body: built.body, names: built.names, saved_at: new Date().toISOString() });
    save(list);
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
