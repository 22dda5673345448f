// An open conversation stays current without a reload: the page asks for its messages every
// few seconds with If-None-Match, and the server answers 304 (no body) while nothing changed.
// When the tab is hidden it asks less and less often (up to once a minute) and asks again at
// once when the tab comes back. New messages from the other side are announced politely
// through the page's status region. Without JavaScript the page works as it is (reload).
(function () {
  "use strict";
  var root = document.querySelector("[data-conversation]");
  if (!root || !window.fetch) return;
  var list = root.querySelector("[data-message-list]");
  var live = root.querySelector("[data-live]");
  var url = root.getAttribute("data-poll-url");
  var readUrl = root.getAttribute("data-read-url");
  var VISIBLE_MS = Number(root.getAttribute("data-poll-seconds") || 3) * 1000;
  var HIDDEN_MAX_MS = 60000;
  var etag = root.getAttribute("data-etag") || "";
  var delay = VISIBLE_MS;
  var timer = null;
  var inFlight = false;

  function known() {
    var ids = {};
    list.querySelectorAll("[data-message-id]").forEach(function (item) {
      ids[item.getAttribute("data-message-id")] = true;
    });
    return ids;
  }

  function announce(items) {
    var texts = [];
    items.forEach(function (item) {
      var who = item.getAttribute("data-author-name") || "Your care team";
      var body = item.querySelector("[data-message-text]");
      texts.push("New message from " + who + ": " + (body ? body.textContent.trim() : ""));
    });
    if (texts.length && live) live.textContent = texts.join(" ");
  }

  function markRead() {
    if (!readUrl) return;
    var token = window.exerciseTracker && window.exerciseTracker.csrfToken();
    fetch(readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token || "", "X-Requested-With": "fetch" },
    }).catch(function () {});
  }

  function apply(html) {
    var before = known();
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("[data-message-list]");
    if (!fresh) return;
    var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    list.innerHTML = fresh.innerHTML;
    var arrived = [];
    var unreadFromOthers = false;
    list.querySelectorAll("[data-message-id]").forEach(function (item) {
      var theirs = item.getAttribute("data-own") !== "1";
      if (theirs && !before[item.getAttribute("data-message-id")]) arrived.push(item);
      if (theirs && item.getAttribute("data-unread") === "1") unreadFromOthers = true;
    });
    announce(arrived);
    if (unreadFromOthers && !document.hidden) markRead();
    if (arrived.length && atBottom) {
      var last = arrived[arrived.length - 1];
      if (last.scrollIntoView) last.scrollIntoView({ block: "nearest" });
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function poll() {
    if (inFlight) return schedule();
    inFlight = true;
    var headers = { "X-Requested-With": "fetch" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { credentials: "same-origin", headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("poll " + response.status);
        etag = response.headers.get("ETag") || etag;
        return response.text();
      })
      .then(function (html) {
        if (html !== null) apply(html);
        delay = document.hidden ? Math.min(delay * 2, HIDDEN_MAX_MS) : VISIBLE_MS;
      })
      .catch(function () {
        // Offline or the server is busy: wait longer, never give up.
        delay = Math.min(delay * 2, HIDDEN_MAX_MS);
      })
      .then(function () {
        inFlight = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    // Messages that arrived while the tab was hidden are read now that it is shown.
    if (list.querySelector('[data-own="0"][data-unread="1"]')) markRead();
    delay = VISIBLE_MS;
    clearTimeout(timer);
    poll();
  });

  // The withdraw buttons' confirmation, and the reply templates' "use" buttons, work on the
  // list as it is now (the list is replaced when messages arrive).
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("[data-withdraw]")) {
      if (!window.confirm("Withdraw this message? Your care team will no longer see it.")) {
        event.preventDefault();
      }
    }
  });

  schedule();
})();

// Reply templates: "Use template" fills the reply at once (without JavaScript the page reloads
// with the template's text in the reply).
(function () {
  "use strict";
  var form = document.querySelector("[data-template-form]");
  var text = document.getElementById("msg-text");
  if (!form || !text) return;
  form.addEventListener("submit", function (event) {
    var option = form.querySelector("select").selectedOptions[0];
    if (!option) return;
    event.preventDefault();
    text.value = option.getAttribute("data-text") || "";
    text.focus();
  });
})();
