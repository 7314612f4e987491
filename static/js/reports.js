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
  var HATCH = "url(#map-no-data)";
  /* The standing against the benchmark: its colours (as .standing-* in static/css/app.css). Which province
   * stands where is decided in programs/benchmarks.py: the rows carry it, and the steps arrive in the page's
   * data for the map's merged shapes. */
  var STANDING = { on_track: "#198754", slightly_behind: "#ffc107", behind: "#fd7e14", far_behind: "#dc3545", no_data: NO_DATA };
  var BY_STANDING = { absorption_pct: true, gap_pct: true };
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

    var benchmark = data.benchmark || {};
    var chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.rows.map(function (r) { return r.name; }),
        datasets: [
          { data: [], backgroundColor: COLORS.blue },
          // The benchmark as of the month: a line across the provinces, shown with the absorption only.
          {
            type: "line",
            label: benchmark.label || "",
            data: [],
            borderColor: COLORS.grey,
            borderDash: [6, 4],
            borderWidth: 2,
            pointRadius: 0,
            fill: false,
            hidden: true,
          },
        ],
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: true, labels: { filter: function (item) { return item.datasetIndex === 1 && !item.hidden; } } },
          tooltip: { callbacks: { label: function (ctx) { return (ctx.datasetIndex === 1 ? benchmark.label : format(ctx.parsed.x, figures[select.value].kind)); } } },
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
      var bars = chart.data.datasets[0];
      var line = chart.data.datasets[1];
      bars.data = data.rows.map(function (r) { return r[figure.key]; });
      bars.label = figure.label;
      bars.backgroundColor = BY_STANDING[figure.key]
        ? data.rows.map(function (r) { return STANDING[r.standing] || COLORS.blue; })
        : COLORS.blue;
      line.hidden = !(figure.key === "absorption_pct" && benchmark.pct !== null && benchmark.pct !== undefined);
      line.data = data.rows.map(function () { return benchmark.pct; });
      chart.update();
      if (printed) printed.textContent = figure.label;
      map.paint(figure);
    }
    select.addEventListener("change", show);
    show();
  }

  /* One province's recap (who sees one province): its absorption beside the national average and the
   * benchmark, three bars coloured by their standing (the page's table has the same figures). */
  function comparison() {
    var data = pageData("recap-data");
    var canvas = document.getElementById("comparison-chart");
    if (!data || !data.comparison || !canvas) return;
    var bars = data.comparison.bars;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: bars.map(function (b) { return b.label; }),
        datasets: [{
          label: data.comparison.title,
          data: bars.map(function (b) { return b.pct; }),
          backgroundColor: bars.map(function (b) { return b.standing === "benchmark" ? COLORS.grey : (STANDING[b.standing] || COLORS.blue); }),
        }],
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return format(ctx.parsed.x, "percent"); } } },
        },
        scales: {
          x: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return compact(v, "percent"); } } },
          y: { ticks: { autoSkip: false } },
        },
      },
    });
  }

  /* The value a map shape shows: the sum over the provinces it draws (absorption from the summed money). */
  function shapeValue(codes, rowsByCode, figure, benchmarkPct) {
    var rows = codes.map(function (c) { return rowsByCode[c]; }).filter(Boolean);
    if (!rows.length) return { value: null, names: [], rows: [], absorption: null };
    var names = rows.map(function (r) { return r.name; });
    var realised = 0, pagu = 0;
    rows.forEach(function (r) { realised += r.realised || 0; pagu += r.current_pagu || 0; });
    var absorption = pagu ? (realised * 100) / pagu : null;
    var known = rows.filter(function (r) { return r.standing !== "no_data"; });
    if (figure.key === "absorption_pct" || figure.key === "gap_pct") {
      if (!known.length) absorption = null;
      var value = absorption;
      if (figure.key === "gap_pct" && value !== null) value = value - benchmarkPct;
      return { value: value, names: names, rows: rows, absorption: absorption };
    }
    var sum = 0, any = false;
    rows.forEach(function (r) { if (r[figure.key] !== null && r[figure.key] !== undefined) { sum += r[figure.key]; any = true; } });
    return { value: any ? sum : null, names: names, rows: rows, absorption: absorption };
  }

  /* The step of a gap to the benchmark (points), by the bounds programs/benchmarks.py sent. */
  function stepOf(gap, steps) {
    if (gap === null) return null;
    for (var i = 0; i < steps.length; i++) {
      var step = steps[i];
      if (step.key === "no_data") continue;
      if (step.min_gap === null || gap >= step.min_gap) return step;
    }
    return null;
  }

  /* An SVG pattern of thin diagonal lines for "no data": never a colour of the scale. */
  function addHatch(map) {
    var svg = map.getPanes().overlayPane.querySelector("svg");
    if (!svg || svg.querySelector("#map-no-data")) return;
    var ns = "http://www.w3.org/2000/svg";
    var defs = document.createElementNS(ns, "defs");
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", "map-no-data");
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "6");
    pattern.setAttribute("height", "6");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var back = document.createElementNS(ns, "rect");
    back.setAttribute("width", "6");
    back.setAttribute("height", "6");
    back.setAttribute("fill", "#ffffff");
    var stripe = document.createElementNS(ns, "rect");
    stripe.setAttribute("width", "1.5");
    stripe.setAttribute("height", "6");
    stripe.setAttribute("fill", "#868e96");
    pattern.appendChild(back);
    pattern.appendChild(stripe);
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
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

    /* A figure's colour classes come with the page (programs/reports/views.py map_classes): ranges that
     * read alike once rounded are one class, so the legend never repeats a range. */
    function classesOf(figure) {
      return (data.classes || {})[figure.key] || { classes: [], shapes: {} };
    }

    function paintLegend(figure) {
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
      if (BY_STANDING[figure.key] && data.steps) {
        data.steps.forEach(function (step) {
          if (step.key !== "no_data") item(step.css, step.icon + " " + step.label);
        });
      } else {
        classesOf(figure).classes.forEach(function (c) {
          // A count's class comes as its whole bounds; money's as its label (rounded by the server).
          var text = c.label !== undefined ? c.label : c.low === c.high ? integer.format(c.low) : integer.format(c.low) + " – " + integer.format(c.high);
          item(c.css, text);
        });
      }
      var none = (data.steps || []).filter(function (step) { return step.key === "no_data"; })[0];
      item("standing-no_data", none ? none.label : "Tidak ada data");
    }

    /* The colour of a shape: by its standing for absorption and its gap, else on the figure's own scale;
     * hatched where there is no data (no allocation, no realisation recorded), never the scale's lightest. */
    function fillOf(shape, figure) {
      if (BY_STANDING[figure.key] && data.steps) {
        var rows = shape.shown.rows;
        if (!rows.length || rows.every(function (r) { return r.standing === "no_data"; })) return HATCH;
        if (rows.length === 1) return STANDING[rows[0].standing] || HATCH;
        // A shape drawing several provinces: their summed money against the benchmark.
        // Rounded to two decimals, as programs/benchmarks.gap rounds it, so an edge (-5.00) falls alike.
        var gap = shape.shown.absorption === null ? null : Math.round((shape.shown.absorption - data.benchmark.pct) * 100) / 100;
        var step = stepOf(gap, data.steps);
        return step ? STANDING[step.key] : HATCH;
      }
      var own = classesOf(figure);
      var index = own.shapes[shape.feature.properties.code];
      if (index === undefined || shape.shown.value === null) return HATCH;
      return PALETTE[Number(own.classes[index].css.replace("map-c", ""))];
    }

    function paint(figure) {
      current = figure;
      if (!layer) return;
      layer.eachLayer(function (shape) {
        shape.shown = shapeValue(shape.feature.properties.codes, rowsByCode, figure, (data.benchmark || {}).pct);
      });
      layer.eachLayer(function (shape) {
        shape.setStyle({ fillColor: fillOf(shape, figure) });
        var tip = document.createElement("div");
        var name = document.createElement("strong");
        name.textContent = shape.shown.names.length ? shape.shown.names.join(" + ") : shape.feature.properties.source_name;
        tip.appendChild(name);
        tip.appendChild(document.createElement("br"));
        var text = shape.shown.value === null && BY_STANDING[figure.key] ? "Tidak ada data" : format(shape.shown.value, figure.kind);
        tip.appendChild(document.createTextNode(text));
        shape.unbindTooltip();
        shape.bindTooltip(tip, { sticky: true });
      });
      paintLegend(figure);
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
        addHatch(map);
        map.fitBounds(layer.getBounds());
        // Printed, the map has another size than on screen: fit the whole country again, before and after.
        function refit() {
          map.invalidateSize();
          map.fitBounds(layer.getBounds());
        }
        window.addEventListener("beforeprint", refit);
        window.addEventListener("afterprint", refit);
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
      comparison();
      monthly();
      covid();
    }
  });
})();
