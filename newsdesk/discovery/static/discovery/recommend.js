// newsdesk discovery: swaps this reader's own recommendations into the cached
// page's "Recommended" block. Without it (or when the server answers 204) the
// block keeps the list every reader gets, minus what this browser has opened.
(function () {
  "use strict";
  var KEY = "newsdesk_read", KEEP = 200;
  var block = document.querySelector('[data-block="recommended"]');
  var story = document.querySelector(".story[data-article-id]");
  var preview = document.querySelector(".preview-banner");

  // Articles opened in this browser, newest last. The server learns reads from
  // the beacon, but a read can wait in another process's write buffer: this
  // list keeps such a read out of the block meanwhile. It never leaves the browser.
  function opened() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  var read = opened();
  if (story && !preview) {
    var id = story.getAttribute("data-article-id");
    read = read.filter(function (x) { return x !== id; }).concat([id]).slice(-KEEP);
    try { localStorage.setItem(KEY, JSON.stringify(read)); } catch (e) { /* private mode */ }
  }
  if (!block) return;

  function idOf(link) {
    var m = link.pathname.match(/^\/news\/([0-9]{1,18})\//);
    return m ? m[1] : null;
  }
  function dropRead(root) {
    var items = root.querySelectorAll("li");
    for (var i = 0; i < items.length; i++) {
      var a = items[i].querySelector("a[href]");
      if (a && read.indexOf(idOf(a)) !== -1) items[i].remove();
    }
  }
  dropRead(block);
  if (!window.fetch || !window.DOMParser) return;

  var params = new URLSearchParams();
  if (story) params.set("article", story.getAttribute("data-article-id"));
  // Articles shown elsewhere on the page are not recommended again.
  var seen = {}, ids = [];
  var links = document.querySelectorAll("main a[href]");
  for (var i = 0; i < links.length && ids.length < 100; i++) {
    if (block.contains(links[i])) continue;
    var found = idOf(links[i]);
    if (found && !seen[found]) { seen[found] = 1; ids.push(found); }
  }
  if (ids.length) params.set("exclude", ids.join(","));

  fetch("/discovery/recommended?" + params, { credentials: "same-origin" })
    .then(function (r) { return r.status === 200 ? r.text() : ""; })
    .then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      var list = doc.querySelector("[data-personal]");
      var old = block.querySelector("ol, .empty");
      if (!list || !old) return;
      dropRead(list);
      // Never shorter than the list it replaces: nothing below moves up.
      block.style.minHeight = block.offsetHeight + "px";
      old.replaceWith(list);
      var title = block.querySelector("h2");
      if (title) title.textContent = list.getAttribute("data-title") || "Recommended";
      var why = doc.querySelector(".why-these");
      if (why && !block.querySelector(".why-these")) block.appendChild(why);
    })
    .catch(function () { /* the shared list stays */ });
})();
