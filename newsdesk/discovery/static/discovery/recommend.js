// newsdesk discovery: swaps this reader's own recommendations into the cached
// page's "Recommended" block. Without it (or when the server answers 204) the
// block keeps the list every reader gets.
(function () {
  "use strict";
  var block = document.querySelector('[data-block="recommended"]');
  if (!block || !window.fetch || !window.DOMParser) return;
  var story = document.querySelector("[data-article-id]");
  var params = new URLSearchParams();
  if (story) params.set("article", story.getAttribute("data-article-id"));
  // Articles the page's other blocks show are not recommended again.
  var seen = {}, ids = [];
  var links = document.querySelectorAll("[data-block] a[href]");
  for (var i = 0; i < links.length && ids.length < 100; i++) {
    if (block.contains(links[i])) continue;
    var m = links[i].pathname.match(/^\/news\/([0-9]{1,18})\//);
    if (m && !seen[m[1]]) { seen[m[1]] = 1; ids.push(m[1]); }
  }
  if (ids.length) params.set("exclude", ids.join(","));

  fetch("/discovery/recommended?" + params, { credentials: "same-origin" })
    .then(function (r) { return r.status === 200 ? r.text() : ""; })
    .then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      var list = doc.querySelector("ol");
      var old = block.querySelector("ol, .empty");
      if (!list || !old) return;
      // Never shorter than the list it replaces: nothing below moves up.
      block.style.minHeight = block.offsetHeight + "px";
      old.replaceWith(list);
      var title = block.querySelector("h2");
      if (title) title.textContent = "Recommended for you";
      var why = doc.querySelector(".why-these");
      if (why && !block.querySelector(".why-these")) block.appendChild(why);
    })
    .catch(function () { /* the shared list stays */ });
})();
