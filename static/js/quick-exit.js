/* Quick exit: the survivor or the caseworker leaves this screen at once, for a neutral site.
   Without JavaScript the button is a plain link; with it, the page is blanked first and the
   history entry replaced, so "Back" does not bring the file back on a shared screen. */
(function () {
  "use strict";
  var link = document.querySelector("a.quick-exit");
  if (!link) { return; }
  var leave = function (event) {
    if (event) { event.preventDefault(); }
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    window.location.replace(link.href);
  };
  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    // Escape with no modifier, and not while an input method is composing a word (Arabic keyboards).
    if (event.key === "Escape" && !event.isComposing && !event.ctrlKey && !event.altKey && !event.metaKey) {
      leave(event);
    }
  });
}());
