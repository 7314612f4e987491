/* The activity page's bulk entry (templates/programs/bulk_*.html); loaded by activity_detail.html, nothing
 * inline (the Content Security Policy forbids inline scripts). Without JavaScript every form still works:
 * all units are offered, the server sets the recipient type from the partner, quantities are typed row by row.
 *
 * - select[data-units]: the product type's units (Unit.of_product_type, the usual first) narrow the unit list
 *   named by data-unit-select, and its first is selected.
 * - select[data-type-select]: a partner's option carries its recipient type (data-recipient-type); choosing it
 *   sets the recipient type list named by data-type-select.
 * - button[data-fill-all]: copies the first quantity of that form to every row.
 * - input[data-check-all]: ticks every checkbox named by its value in the same form.
 */
(function () {
  "use strict";

  var allUnits = {};

  function narrowUnits(typeSelect) {
    var unitSelect = document.getElementById(typeSelect.getAttribute("data-unit-select"));
    if (!unitSelect) return;
    if (!allUnits[unitSelect.id]) {
      allUnits[unitSelect.id] = Array.prototype.map.call(unitSelect.options, function (o) {
        return { value: o.value, text: o.text };
      });
    }
    var units = JSON.parse(typeSelect.getAttribute("data-units"))[typeSelect.value];
    var previous = unitSelect.value;
    var options = allUnits[unitSelect.id].filter(function (o) {
      return !units ? true : units.indexOf(o.value) !== -1;
    });
    if (units) {
      options.sort(function (a, b) { return units.indexOf(a.value) - units.indexOf(b.value); });
    }
    unitSelect.innerHTML = "";
    options.forEach(function (o) { unitSelect.add(new Option(o.text, o.value)); });
    var keep = units && units.indexOf(previous) !== -1 && previous !== "";
    unitSelect.value = keep ? previous : (units ? units[0] : previous);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.matches("select[data-units]")) {
      narrowUnits(target);
    } else if (target.matches("select[data-type-select]")) {
      var option = target.options[target.selectedIndex];
      var type = option && option.getAttribute("data-recipient-type");
      var typeSelect = document.getElementById(target.getAttribute("data-type-select"));
      if (type && typeSelect) typeSelect.value = type;
    } else if (target.matches("input[data-check-all]")) {
      var name = target.getAttribute("data-check-all");
      target.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
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

  document.querySelectorAll("select[data-units]").forEach(function (select) {
    if (select.value) narrowUnits(select);
  });
})();
