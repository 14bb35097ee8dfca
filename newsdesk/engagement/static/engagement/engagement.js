// newsdesk engagement: counts the view once the page is really shown, and
// updates reactions in place. The page works without it (form POST + <noscript> pixel).
(function () {
  "use strict";
  var box = document.querySelector("[data-engagement]");
  if (!box) return;
  var beacon = box.getAttribute("data-beacon");
  var form = box.querySelector("form");
  var status = box.querySelector("[role=status]");

  function cookie(name) {
    var m = document.cookie.match("(?:^|; )" + name + "=([^;]*)");
    return m ? decodeURIComponent(m[1]) : "";
  }

  function send() {
    if (!(navigator.sendBeacon && navigator.sendBeacon(beacon))) {
      fetch(beacon, { method: "POST", keepalive: true, credentials: "same-origin" });
    }
  }

  function show(state) {
    var buttons = form.querySelectorAll("button[name=kind]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i], n = state.counts[b.value] || 0, c = b.querySelector(".count");
      b.setAttribute("aria-pressed", state.mine === b.value ? "true" : "false");
      c.textContent = n;
      c.setAttribute("data-count", n);
    }
    var views = document.querySelector(".views[data-views]");
    if (views && state.views > +views.getAttribute("data-views")) {
      views.setAttribute("data-views", state.views);
      views.textContent = state.views.toLocaleString() + " view" + (state.views === 1 ? "" : "s");
    }
  }

  function load() {
    return fetch(box.getAttribute("data-state"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) { show(s); return s; });
  }

  if (beacon) {
    // A prerendered page is not a view until the reader actually opens it.
    if (document.prerendering) {
      document.addEventListener("prerenderingchange", send, { once: true });
    } else {
      send();
    }
  }
  // The page is shared by every reader (and by caches): its counts may be a
  // minute old and it cannot know this reader's own reaction. Ask for both
  // once the reactions are on screen (at once if this reader has reacted).
  var loaded = null;
  function ensure() { return loaded || (loaded = load()); }
  if (cookie("newsdesk_reacted") || !window.IntersectionObserver) {
    ensure();
  } else {
    var watch = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        watch.disconnect();
        ensure();
      }
    });
    watch.observe(box);
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !window.fetch) return;
    event.preventDefault();
    // No CSRF token: the server checks the Origin the browser sends. The
    // state request first gives a new reader their cookie.
    ensure().catch(function () {}).then(function () {
      var body = new FormData(form);
      body.set("kind", button.value);
      return fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.error || "Could not save your reaction.");
        show(data);
        status.textContent = data.mine ? "Reaction saved." : "Reaction removed.";
      });
    }).catch(function (e) {
      status.textContent = e.message || "Could not save your reaction.";
    });
  });
})();
