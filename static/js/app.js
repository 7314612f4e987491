/* IKM Dekon: what every page shares. Loaded by templates/base.html; nothing is inline in the pages (the
 * Content Security Policy forbids inline scripts).
 *
 * Confirmation: a form with data-confirm="…" asks before it is sent (every delete does). Without JavaScript
 * the form is sent as it is: the server's rules still hold, and the delete is in the history.
 */
(function () {
  "use strict";

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
})();
