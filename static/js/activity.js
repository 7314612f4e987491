/* The activity page's bulk entry (templates/programs/bulk_*.html); loaded by activity_detail.html, nothing
 * inline (the Content Security Policy forbids inline scripts). Without JavaScript every form still works:
 * quantities are typed row by row, boxes ticked one by one. The unit list that follows the product type and
 * the recipient type that follows the partner are static/js/forms.js's, for the grids as for single forms.
 *
 * - button[data-fill-all]: copies the first quantity of that form to every row.
 * - input[data-check-all]: ticks every checkbox named by its value in the same form.
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement) || !target.matches("input[data-check-all]")) return;
    var name = target.getAttribute("data-check-all");
    target.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = target.checked;
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof HTMLElement && event.target.closest("button[data-fill-all]");
    if (!button) return;
    var form = document.getElementById(button.getAttribute("data-fill-all"));
    var inputs = form ? form.querySelectorAll("input.bulk-quantity") : [];
    if (!inputs.length) return;
    var first = inputs[0].value;
    inputs.forEach(function (input) { input.value = first; });
  });
})();
