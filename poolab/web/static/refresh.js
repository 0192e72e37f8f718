// The command post's page updates itself: every data-refresh seconds it fetches the
// page again and swaps in the new <main>, keeping the scroll position. When the server
// stops answering, the header says so (and the old figures stay, marked stale).
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-refresh"), 10);
  if (!(seconds > 0)) return;
  var busy = false;

  function update() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var main = fresh.getElementById("live");
        var stamp = fresh.getElementById("updated");
        if (!main || !stamp) throw new Error("not a campaign page");
        document.getElementById("live").replaceWith(document.importNode(main, true));
        document.getElementById("updated").replaceWith(document.importNode(stamp, true));
        document.body.classList.remove("stale");
      })
      .catch(function () {
        document.body.classList.add("stale");
      })
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(update, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) update();
  });
})();
