// EXPLORE node pages: plots with plotly (vendored as a classic script).
//
// Each `.plot[data-plot]` names the <script type="application/json"> block holding its data
// (written by the server with Jinja's HTML-safe `tojson`): a band structure (x = distance along
// the k-path, ticks at the high-symmetry points), y against x for XyData, or one 1D array
// against its index. Without plotly the text in the box says so and the tables remain.
(function () {
  "use strict";

  const boxes = document.querySelectorAll(".plot[data-plot]");
  if (!boxes.length) return;
  const SPIN_COLOURS = ["#1d4ed8", "#dc2626"];
  const SERIES_COLOURS = ["#1d4ed8", "#dc2626", "#0f7b6c", "#d97706", "#7c3aed", "#334155"];
  const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function baseLayout(xTitle, yTitle) {
    return {
      margin: { l: 64, r: 16, t: 12, b: 52 },
      paper_bgcolor: "#ffffff",
      plot_bgcolor: "#ffffff",
      font: { family: "system-ui, sans-serif", size: 12, color: "#1b2430" },
      xaxis: { title: { text: xTitle }, zeroline: false, showline: true, mirror: true, linecolor: "#94a3b8" },
      yaxis: { title: { text: yTitle }, zeroline: false, showline: true, mirror: true, linecolor: "#94a3b8", gridcolor: "#eef1f5" },
      legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 1, xanchor: "right" },
      hovermode: "closest",
    };
  }

  function bands(box, data) {
    const traces = data.series.map((series, index) => ({
      x: data.x,
      y: series.y,
      type: "scatter",
      mode: data.x.length > 1 ? "lines" : "markers",
      line: { color: SPIN_COLOURS[series.spin % 2], width: 1.6 },
      name: data.spins > 1 ? (series.spin === 0 ? "spin up" : "spin down") : "bands",
      legendgroup: `spin${series.spin}`,
      showlegend: data.spins > 1 && index === data.series.findIndex((s) => s.spin === series.spin),
      hovertemplate: `band ${series.band + 1}: %{y:.4f}<extra></extra>`,
    }));
    const layout = baseLayout(data.ticks.length ? "" : data.x_title, data.y_title);
    const first = data.x[0];
    const last = data.x[data.x.length - 1];
    layout.xaxis.range = [first, last];
    layout.xaxis.showgrid = false;
    if (data.ticks.length) {
      layout.xaxis.tickmode = "array";
      layout.xaxis.tickvals = data.ticks.map((t) => t.x);
      layout.xaxis.ticktext = data.ticks.map((t) => t.label);
      layout.xaxis.tickfont = { size: 14 };
      layout.shapes = data.ticks.map((t) => ({
        type: "line",
        xref: "x",
        yref: "paper",
        x0: t.x,
        x1: t.x,
        y0: 0,
        y1: 1,
        line: { color: "#94a3b8", width: 1, dash: "dot" },
      }));
    }
    return [traces, layout];
  }

  function xy(box, data) {
    const withUnits = (name, units) => (units ? `${name} (${units})` : name);
    const traces = data.series.map((series, index) => ({
      x: data.x,
      y: series.y,
      type: "scatter",
      mode: "lines",
      name: withUnits(series.name, series.units),
      line: { color: SERIES_COLOURS[index % SERIES_COLOURS.length], width: 1.8 },
    }));
    const units = [...new Set(data.series.map((s) => s.units).filter(Boolean))];
    const yTitle = data.series.length === 1 ? withUnits(data.series[0].name, data.series[0].units) : units.join(", ");
    return [traces, baseLayout(withUnits(data.x_name, data.x_units), yTitle)];
  }

  function array(box, data) {
    const traces = [{
      y: data.y,
      type: "scatter",
      mode: data.y.length > 200 ? "lines" : "lines+markers",
      name: data.name,
      line: { color: SERIES_COLOURS[0], width: 1.6 },
    }];
    return [traces, baseLayout("index", data.name)];
  }

  const KINDS = { bands, xy, array };

  for (const box of boxes) {
    const status = box.querySelector(".plot-status");
    try {
      if (!window.Plotly) throw new Error("plotly did not load");
      const source = document.getElementById(box.dataset.source);
      const data = JSON.parse(source.textContent);
      const draw = KINDS[box.dataset.plot];
      if (!draw) throw new Error(`no plot of kind ${box.dataset.plot}`);
      const [traces, layout] = draw(box, data);
      if (status) status.remove();
      window.Plotly.newPlot(box, traces, layout, CONFIG).then(() => box.classList.add("plot-ready"));
    } catch (error) {
      if (status) status.textContent = `The plot is not available (${error.message}).`;
      box.classList.add("plot-failed");
    }
  }
})();
