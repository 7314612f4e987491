/* IKM Dekon: defaults that follow what the user picks in a form, read from data attributes the server
 * writes on the options (programs/forms/workspace.py); nothing is inline (the Content Security Policy
 * forbids inline scripts). Without JavaScript the server does the same on save: a blank unit takes the
 * product type's usual one, a blank recipient type the recipient partner's.
 *
 * - A product type's option names its units, the usual first (data-units); the unit list of the same form
 *   (the select whose options carry data-product-types) shows only those, and the usual one is chosen
 *   when the current unit does not fit.
 * - A recipient partner's option names its recipient type (data-recipient-type); picking the partner sets
 *   the form's recipient type (the select named ...recipient_type).
 * Listeners are on the document, so forms loaded later (htmx) behave the same.
 */
(function () {
  "use strict";

  function chosen(select) {
    return select.options[select.selectedIndex] || null;
  }

  function unitSelectOf(form) {
    var option = form && form.querySelector("select option[data-product-types]");
    return option ? option.parentElement : null;
  }

  function narrowUnits(productSelect, keepValid) {
    var form = productSelect.form;
    var units = unitSelectOf(form);
    if (!units) return;
    var option = chosen(productSelect);
    var allowed = option && option.getAttribute("data-units");
    var list = allowed ? allowed.split(" ") : null;
    Array.prototype.forEach.call(units.options, function (unit) {
      if (!unit.value) return;
      var fits = !list || list.indexOf(unit.value) !== -1;
      unit.hidden = !fits;
      unit.disabled = !fits;
    });
    if (list && (list.indexOf(units.value) === -1 || (!keepValid && !units.value))) {
      units.value = list[0];
    }
  }

  function setRecipientType(partnerSelect) {
    var option = chosen(partnerSelect);
    var kind = option && option.getAttribute("data-recipient-type");
    var target = partnerSelect.form && partnerSelect.form.querySelector('select[name$="recipient_type"]');
    if (kind && target) target.value = kind;
  }

  function isProductType(element) {
    return element instanceof HTMLSelectElement && element.querySelector("option[data-units]") !== null;
  }

  document.addEventListener("change", function (event) {
    var element = event.target;
    if (isProductType(element)) narrowUnits(element, false);
    if (element instanceof HTMLSelectElement && element.hasAttribute("data-sets-recipient-type")) {
      setRecipientType(element);
    }
  });

  function prepare(root) {
    Array.prototype.forEach.call(root.querySelectorAll("select"), function (select) {
      if (isProductType(select) && select.value) narrowUnits(select, true);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    prepare(document);
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) prepare(event.target);
  });
})();
