/* Hold, duration and rest timers on the today page (members/_timer.html): Start, Pause or
   Resume, and Reset; a count you can see, and a polite live region that says when the count
   starts, pauses, goes on, every 10 seconds (every minute for longer counts) and when it is
   done; a buzz where the phone can. No network: it only counts, and never fills in or sends
   the log (the member says what they did). No build step. */
(function () {
  "use strict";

  var TICK_MS = 200;

  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function spoken(seconds) {
    if (seconds >= 60 && seconds % 60 === 0) {
      var m = seconds / 60;
      return m + (m === 1 ? " minute" : " minutes");
    }
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  function buzz(pattern) {
    if (typeof navigator.vibrate === "function") {
      try { navigator.vibrate(pattern); } catch (e) { /* not allowed here: the words suffice */ }
    }
  }

  function Timer(root) {
    this.root = root;
    this.kind = root.getAttribute("data-kind");          // hold, duration or rest
    this.work = parseInt(root.getAttribute("data-work"), 10) || 0;
    this.rest = parseInt(root.getAttribute("data-rest"), 10) || 0;
    if (this.kind === "rest") { this.work = 0; }
    this.count = root.querySelector("[data-role=timer-count]");
    this.phaseText = root.querySelector("[data-role=timer-phase]");
    this.say = root.querySelector("[data-role=timer-say]");
    this.go = root.querySelector("[data-role=timer-go]");
    this.reset = root.querySelector("[data-role=timer-reset]");
    this.interval = null;
    var self = this;
    this.go.addEventListener("click", function () { self.toggle(); });
    this.reset.addEventListener("click", function () { self.startOver(true); });
    this.startOver(false);
    root.hidden = false;
  }

  Timer.prototype.firstPhase = function () { return this.work ? "work" : "rest"; };
  Timer.prototype.total = function () { return this.phase === "work" ? this.work : this.rest; };

  Timer.prototype.what = function () {
    if (this.phase === "rest") return "Rest";
    return this.kind === "hold" ? "Hold" : "Exercise";
  };

  Timer.prototype.startOver = function (announce) {
    this.stopTicking();
    this.phase = this.firstPhase();
    this.state = "ready";
    this.left = this.total() * 1000;
    this.lastSaid = null;
    this.draw();
    if (announce) this.announce("Reset. " + this.readyWords());
  };

  Timer.prototype.readyWords = function () {
    var total = spoken(this.total());
    if (this.phase === "rest") return "Ready to rest for " + total + ".";
    return this.kind === "hold" ? "Ready to hold for " + total + "." : "Ready for " + total + ".";
  };

  Timer.prototype.seconds = function () { return Math.max(0, Math.ceil(this.left / 1000)); };

  Timer.prototype.draw = function () {
    this.count.textContent = clock(this.seconds());
    var labels = { ready: "Start", running: "Pause", paused: "Resume", done: "Start again" };
    var label = labels[this.state];
    if (this.state === "ready" && this.phase === "rest" && this.work) label = "Start rest";
    this.go.textContent = label;
    var phases = {
      ready: this.readyWords(),
      running: this.phase === "rest" ? "Resting" : (this.kind === "hold" ? "Holding" : "Going"),
      paused: "Paused",
      done: "Done"
    };
    this.phaseText.textContent = phases[this.state];
    this.root.setAttribute("data-state", this.state);
  };

  Timer.prototype.announce = function (words) { this.say.textContent = words; };

  Timer.prototype.toggle = function () {
    if (this.state === "running") { this.pause(); return; }
    if (this.state === "done") { this.startOver(false); }
    var resuming = this.state === "paused";
    buzz(40);
    this.announce(resuming ? "Going on: " + spoken(this.seconds()) + " left."
                           : this.what() + " started: " + spoken(this.seconds()) + ".");
    this.run();
  };

  Timer.prototype.run = function () {
    this.state = "running";
    this.endAt = Date.now() + this.left;
    this.lastSaid = this.seconds();
    this.draw();
    var self = this;
    this.interval = window.setInterval(function () { self.tick(); }, TICK_MS);
  };

  Timer.prototype.pause = function () {
    this.left = Math.max(0, this.endAt - Date.now());
    this.stopTicking();
    this.state = "paused";
    this.draw();
    this.announce("Paused: " + spoken(this.seconds()) + " left.");
  };

  Timer.prototype.stopTicking = function () {
    if (this.interval !== null) { window.clearInterval(this.interval); this.interval = null; }
  };

  Timer.prototype.tick = function () {
    this.left = Math.max(0, this.endAt - Date.now());
    var s = this.seconds();
    if (s === 0) { this.finish(); return; }
    this.count.textContent = clock(s);
    // Not every second: a screen reader would talk over the member's count.
    var every = this.total() > 120 ? 60 : 10;
    if (s !== this.lastSaid && s % every === 0) {
      this.lastSaid = s;
      this.announce(spoken(s) + " left.");
    }
  };

  Timer.prototype.finish = function () {
    this.stopTicking();
    this.left = 0;
    buzz([200, 100, 200]);
    if (this.phase === "work" && this.rest) {
      // Between sets: the rest counts down by itself, so a member holding a stretch need not
      // reach for the phone twice.
      this.phase = "rest";
      this.left = this.rest * 1000;
      this.state = "ready";
      this.announce((this.kind === "hold" ? "Hold done. " : "Done. ") +
                    "Rest for " + spoken(this.rest) + " now.");
      this.run();
      return;
    }
    if (this.phase === "rest" && this.work) {
      this.phase = "work";
      this.left = this.work * 1000;
      this.state = "ready";
      this.draw();
      this.announce("Rest done. Start the next one when you are ready.");
      return;
    }
    this.state = "done";
    this.draw();
    this.announce(this.phase === "rest" ? "Rest done. Start your next set when you are ready."
                                        : (this.kind === "hold" ? "Hold done." : "Done."));
  };

  document.querySelectorAll("[data-role=timer]").forEach(function (root) { new Timer(root); });
})();
