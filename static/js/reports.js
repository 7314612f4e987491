/* IKM Dekon reports: charts (Chart.js) and the province map (Leaflet).
 *
 * Page data arrives in <script type="application/json"> blocks written by Django's json_script filter;
 * nothing here is inline in the page (the Content Security Policy forbids inline scripts and styles).
 * Every number drawn here is also in a table on the same page.
 */
(function () {
  "use strict";

  var PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var NO_DATA = "#e9ecef";
  var COLORS = { blue: "#0d6efd", grey: "#6c757d", orange: "#fd7e14", green: "#198754", red: "#dc3545" };
  var integer = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
  var decimal = new Intl.NumberFormat("id-ID", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function pageData(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function format(value, kind) {
    if (value === null || value === undefined) return "–";
    if (kind === "money") return "Rp " + integer.format(value);
    if (kind === "percent") return decimal.format(value) + " %";
    return integer.format(value);
  }

  /* Rupiah in short: 1,2 M (miliar), 350 jt (juta), 2,1 T (triliun). */
  function compact(value, kind) {
    var prefix = kind === "money" ? "Rp " : "";
    var abs = Math.abs(value);
    if (kind === "percent") return new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 }).format(value) + " %";
    if (abs >= 1e12) return prefix + decimal.format(value / 1e12) + " T";
    if (abs >= 1e9) return prefix + decimal.format(value / 1e9) + " M";
    if (abs >= 1e6) return prefix + integer.format(value / 1e6) + " jt";
    if (abs >= 1e3 && kind !== "money") return integer.format(value / 1e3) + " rb";
    return prefix + integer.format(value);
  }

  function bindPrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* Chart.js draws on canvas at the screen size; redraw at the printed size so charts stay sharp. */
  function resizeOnPrint() {
    window.addEventListener("beforeprint", function () {
      Object.values(Chart.instances).forEach(function (chart) { chart.resize(); });
    });
  }

  // --- National recap: a bar chart and a map of the chosen figure ---------------------------------------

  function recap() {
    var data = pageData("recap-data");
    var canvas = document.getElementById("recap-chart");
    if (!data || !canvas) return;
    var select = document.getElementById("recap-figure");
    var printed = document.getElementById("recap-figure-print");
    var figures = {};
    data.figures.forEach(function (figure) {
      figures[figure.key] = figure;
      var option = document.createElement("option");
      option.value = figure.key;
      option.textContent = figure.label;
      select.appendChild(option);
    });
    select.value = data["default"];

    var chart = new Chart(canvas, {
      type: "bar",
      data: { labels: data.rows.map(function (r) { return r.name; }), datasets: [{ data: [], backgroundColor: COLORS.blue }] },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return format(ctx.parsed.x, figures[select.value].kind); } } },
        },
        scales: {
          x: { beginAtZero: true, ticks: { callback: function (v) { return compact(v, figures[select.value].kind); } } },
          y: { ticks: { autoSkip: false, font: { size: 10 } } },
        },
      },
    });
    var map = provinceMap(document.getElementById("recap-map"), data);

    function show() {
      var figure = figures[select.value];
      chart.data.datasets[0].data = data.rows.map(function (r) { return r[figure.key]; });
      chart.data.datasets[0].label = figure.label;
      chart.update();
      if (printed) printed.textContent = figure.label;
      map.paint(figure);
    }
    select.addEventListener("change", show);
    show();
  }

  /* The value a map shape shows: the sum over the provinces it draws (absorption from the summed money). */
  function shapeValue(codes, rowsByCode, figure) {
    var rows = codes.map(function (c) { return rowsByCode[c]; }).filter(Boolean);
    if (!rows.length) return { value: null, names: [] };
    var names = rows.map(function (r) { return r.name; });
    if (figure.key === "absorption_pct") {
      var realised = 0, pagu = 0;
      rows.forEach(function (r) { realised += r.realised || 0; pagu += r.current_pagu || 0; });
      return { value: pagu ? (realised * 100) / pagu : null, names: names };
    }
    var sum = 0, any = false;
    rows.forEach(function (r) { if (r[figure.key] !== null && r[figure.key] !== undefined) { sum += r[figure.key]; any = true; } });
    return { value: any ? sum : null, names: names };
  }

  function classBreaks(values) {
    var max = Math.max.apply(null, values.concat([0]));
    var min = Math.min.apply(null, values.concat([max]));
    var step = (max - min) / PALETTE.length;
    return { min: min, max: max, step: step };
  }

  function classOf(value, breaks) {
    if (value === null) return -1;
    if (!breaks.step) return PALETTE.length - 1;
    return Math.min(PALETTE.length - 1, Math.floor((value - breaks.min) / breaks.step));
  }

  function provinceMap(element, data) {
    var noop = { paint: function () {} };
    if (!element || typeof L === "undefined") return noop;
    var rowsByCode = {};
    data.rows.forEach(function (r) { rowsByCode[r.code] = r; });
    var map = L.map(element, { zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Batas: Natural Earth (domain publik)");
    map.setView([-2.5, 118], 4);
    var layer = null;
    var current = null;
    var legend = document.getElementById("recap-map-classes");

    function paintLegend(figure, breaks, present) {
      if (!legend) return;
      legend.textContent = "";
      function item(css, text) {
        var li = document.createElement("li");
        li.className = "list-inline-item me-3";
        var swatch = document.createElement("span");
        swatch.className = "map-swatch " + css;
        li.appendChild(swatch);
        li.appendChild(document.createTextNode(text));
        legend.appendChild(li);
      }
      var title = document.createElement("li");
      title.className = "list-inline-item fw-semibold me-3";
      title.textContent = figure.label + ":";
      legend.appendChild(title);
      if (present) {
        PALETTE.forEach(function (_color, i) {
          var low = breaks.min + breaks.step * i;
          var high = i === PALETTE.length - 1 ? breaks.max : breaks.min + breaks.step * (i + 1);
          item("map-c" + i, compact(low, figure.kind) + " – " + compact(high, figure.kind));
        });
      }
      item("map-none", "tanpa data");
    }

    function paint(figure) {
      current = figure;
      if (!layer) return;
      var values = [];
      layer.eachLayer(function (shape) {
        shape.shown = shapeValue(shape.feature.properties.codes, rowsByCode, figure);
        if (shape.shown.value !== null) values.push(shape.shown.value);
      });
      var breaks = classBreaks(values);
      layer.eachLayer(function (shape) {
        var index = classOf(shape.shown.value, breaks);
        shape.setStyle({ fillColor: index < 0 ? NO_DATA : PALETTE[index] });
        var tip = document.createElement("div");
        var name = document.createElement("strong");
        name.textContent = shape.shown.names.length ? shape.shown.names.join(" + ") : shape.feature.properties.source_name;
        tip.appendChild(name);
        tip.appendChild(document.createElement("br"));
        tip.appendChild(document.createTextNode(format(shape.shown.value, figure.kind)));
        shape.unbindTooltip();
        shape.bindTooltip(tip, { sticky: true });
      });
      paintLegend(figure, breaks, values.length > 0);
    }

    fetch(element.dataset.geojson, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (geojson) {
        layer = L.geoJSON(geojson, {
          style: function () { return { color: "#ffffff", weight: 0.8, fillOpacity: 0.9, fillColor: NO_DATA }; },
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        element.dataset.ready = "1";
        if (current) paint(current);
      })
      .catch(function (error) {
        element.textContent = "Peta tidak dapat dimuat (" + error.message + "). Angkanya ada di tabel.";
      });
    return { paint: paint };
  }

  // --- Province report: cumulative realisation against pagu and the quarterly benchmarks -----------------

  function monthly() {
    var data = pageData("monthly-data");
    var canvas = document.getElementById("monthly-chart");
    if (!data || !canvas) return;
    var months = data.months;
    new Chart(canvas, {
      type: "line",
      data: {
        labels: months.map(function (m) { return m.label; }),
        datasets: [
          { label: "Realisasi kumulatif", data: months.map(function (m) { return m.cumulative; }), borderColor: COLORS.blue, backgroundColor: COLORS.blue, tension: 0.1 },
          { label: "Pagu terkini", data: months.map(function () { return data.pagu; }), borderColor: COLORS.grey, borderDash: [6, 4], pointRadius: 0 },
          {
            label: data.benchmark_label,
            data: months.map(function (m) { return m.benchmark_amount; }),
            borderColor: COLORS.orange,
            backgroundColor: COLORS.orange,
            spanGaps: true,
            pointStyle: "rect",
            pointRadius: 5,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + format(ctx.parsed.y, "money"); } } } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return compact(v, "money"); } } } },
      },
    });
  }

  // --- Covid-19 response: by product type and by recipient --------------------------------------------------

  function covid() {
    var data = pageData("covid-data");
    if (!data) return;
    var products = document.getElementById("covid-products-chart");
    var recipients = document.getElementById("covid-recipients-chart");
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + format(ctx.parsed.y, "int"); } } } },
      scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return compact(v, "int"); } } } },
    };
    if (products) {
      new Chart(products, {
        type: "bar",
        data: {
          labels: data.products.map(function (p) { return p.product; }),
          datasets: [
            { label: "Diproduksi", data: data.products.map(function (p) { return p.produced; }), backgroundColor: COLORS.blue },
            { label: "Dipesan", data: data.products.map(function (p) { return p.ordered; }), backgroundColor: COLORS.orange },
            { label: "Diserahkan", data: data.products.map(function (p) { return p.handed_over; }), backgroundColor: COLORS.green },
          ],
        },
        options: options,
      });
    }
    if (recipients) {
      new Chart(recipients, {
        type: "bar",
        data: {
          labels: data.recipients.map(function (r) { return r.recipient; }),
          datasets: [{ label: "Diserahkan", data: data.recipients.map(function (r) { return r.handed_over; }), backgroundColor: COLORS.green }],
        },
        options: Object.assign({}, options, { plugins: Object.assign({}, options.plugins, { legend: { display: false } }) }),
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindPrintButtons();
    if (typeof Chart !== "undefined") {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      resizeOnPrint();
      recap();
      monthly();
      covid();
    }
  });
})();
