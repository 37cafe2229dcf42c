/* Comforts for slow connections, interrupted work and screen readers, none of them needed to use the pages:
   - a form is sent once per click: its submit buttons wait until the answer arrives;
   - two minutes before an idle session would end, a notice offers to stay signed in, so what she
     is typing is not lost to the login page;
   - after a failed submit, focus moves to the summary of what to correct;
   - a secondary form of a page (a <details data-form>) is fetched when she opens it; without a
     script, or if the fetch fails, its link opens the form on a page of its own. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "get").toLowerCase() !== "post") { return; }
    if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-sending", "1");
    // Disabled after the event, so that the button she pressed still sends its name and value.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
  });
  // Back to a page from the browser's history: its buttons work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { form.removeAttribute("data-sending"); });
    document.querySelectorAll("button[aria-busy=true]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });

  document.querySelectorAll("details[data-form]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open || details.getAttribute("data-loaded")) { return; }
      details.setAttribute("data-loaded", "1");
      var request = new XMLHttpRequest();
      request.open("GET", details.getAttribute("data-form") + "?fragment=1");
      request.onload = function () {
        if (request.status !== 200) { details.removeAttribute("data-loaded"); return; }
        var slot = details.querySelector("[data-form-slot]");
        slot.innerHTML = request.responseText;  // the app's own markup, from the same origin
        var first = slot.querySelector("input:not([type=hidden]), select, textarea");
        if (first) { first.focus(); }
      };
      request.onerror = function () { details.removeAttribute("data-loaded"); };
      request.send();
    });
  });

  // After a failed submit the summary of errors takes focus: it is read first, and Tab goes on to
  // its links, each of which leads to the field that fixes it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  var notice = document.getElementById("session-warning");
  if (!notice) { return; }
  var idleSeconds = parseInt(notice.getAttribute("data-idle-seconds"), 10);
  var warnBefore = 120;
  if (!(idleSeconds > warnBefore)) { return; }
  var timer = null;
  var arm = function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { notice.hidden = false; }, (idleSeconds - warnBefore) * 1000);
  };
  notice.querySelector("button").addEventListener("click", function () {
    var request = new XMLHttpRequest();
    request.open("POST", notice.getAttribute("data-keep-alive-url"));
    request.setRequestHeader("X-CSRFToken", notice.getAttribute("data-csrf-token"));
    request.onload = function () {
      if (request.status === 204) { notice.hidden = true; arm(); } else { window.location.reload(); }
    };
    request.send();
  });
  arm();
}());
