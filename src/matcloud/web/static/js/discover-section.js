// DISCOVER section pages: the scatter plot (plotly scattergl: smooth with 70,000 points), the
// filters and search that update plot and table together, the sortable table (pages come
// from the server), and clicks on a point that open the material's ID card.
//
// The page's state lives in its URL (filters, search, sort, page, axes), so every view can be
// shared. Without JavaScript the form still filters (a GET of this page) and the table shows.

import { waitForPlotly } from "./viewers.js";

const config = JSON.parse(document.getElementById("discover-section").textContent);
const form = document.getElementById("discover-controls");
const plot = document.getElementById("discover-plot");
const status = document.getElementById("discover-status");
const table = document.getElementById("discover-rows");
const pageLabel = document.getElementById("discover-page");
const columns = Object.fromEntries(config.columns.map((c) => [c.name, c]));
const shown = config.columns.filter((c) => c.type !== "file" && c.type !== "node");
const CATEGORY_COLOURS = ["#1d4ed8", "#dc2626", "#0f7b6c", "#d97706", "#7c3aed", "#334155", "#db2777", "#65a30d"];
const SIZE = 25;
const state = { sort: null, page: 1 };
let pointsRequest = 0;
let rowsRequest = 0;

const query = window.discoverQuery; // discover-early.js
const filterParams = () => query.filters(form);

function axes() {
  const value = (axis) => form.querySelector(`[data-axis="${axis}"]`)?.value || "";
  const log = (axis) => Boolean(form.querySelector(`[data-log="${axis}"]`)?.checked);
  return { x: value("x"), y: value("y"), color: value("color"), logX: log("x"), logY: log("y") };
}

function syncUrl() {
  const params = filterParams();
  const a = axes();
  params.set("plot_x", a.x);
  params.set("plot_y", a.y);
  if (a.color) params.set("plot_color", a.color);
  if (a.logX) params.set("log_x", "on");
  if (a.logY) params.set("log_y", "on");
  if (state.sort) params.set("sort", state.sort);
  if (state.page > 1) params.set("page", String(state.page));
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function restore() {
  query.restore(form);
  const params = new URLSearchParams(location.search);
  state.sort = params.get("sort");
  state.page = Number(params.get("page") || 1);
}

function label(name) {
  const c = columns[name];
  return c ? `${c.title}${c.unit ? ` (${c.unit})` : ""}` : name;
}

function format(value, column) {
  if (value === null || value === undefined) return "—";
  if (column.type === "number" && typeof value === "number") return Number(value.toPrecision(4)).toString();
  return String(value);
}

async function drawPoints() {
  const a = axes();
  if (!plot || !a.x || !a.y) {
    status.textContent = `${config.total.toLocaleString("en")} materials.`;
    return;
  }
  const mine = ++pointsRequest;
  const url = query.pointsUrl(form, plot);
  // the first points were asked for by discover-early.js, while plotly loaded
  const early = window.discoverFirstPoints;
  window.discoverFirstPoints = null;
  const { ok, body } = early && early.url === url
    ? await early.answer
    : await fetch(url).then(async (r) => ({ ok: r.ok, body: await r.json() }));
  performance.mark("discover-points");
  if (mine !== pointsRequest) return; // a newer request is on its way
  if (!ok) {
    status.textContent = body.detail || "The filter was refused.";
    return;
  }
  const Plotly = await waitForPlotly();
  performance.mark("discover-plotly");
  const marker = { size: body.matched > 5000 ? 4 : 7, opacity: 0.75, color: "#1d4ed8" };
  if (a.color) {
    const values = body[a.color];
    if (columns[a.color].type === "number" || columns[a.color].type === "integer") {
      Object.assign(marker, { color: values, colorscale: "Viridis", showscale: true,
        colorbar: { title: { text: label(a.color), side: "right" }, thickness: 12 } });
    } else {
      const categories = [...new Set(values)];
      marker.color = values.map((v) => CATEGORY_COLOURS[categories.indexOf(v) % CATEGORY_COLOURS.length]);
    }
  }
  const trace = {
    type: "scattergl",
    mode: "markers",
    x: body[a.x],
    y: body[a.y],
    customdata: body.keys,
    marker,
    hovertemplate: `%{customdata}<br>${label(a.x)}: %{x}<br>${label(a.y)}: %{y}<extra></extra>`,
  };
  const layout = {
    margin: { l: 64, r: 16, t: 12, b: 52 },
    font: { family: "system-ui, sans-serif", size: 12, color: "#1b2430" },
    xaxis: { title: { text: label(a.x) }, type: a.logX ? "log" : "linear", zeroline: false },
    yaxis: { title: { text: label(a.y) }, type: a.logY ? "log" : "linear", zeroline: false },
    hovermode: "closest",
    uirevision: `${a.x}|${a.y}`,
  };
  await Plotly.react(plot, [trace], layout, { responsive: true, displaylogo: false });
  if (!plot.dataset.bound) {
    plot.on("plotly_click", (event) => {
      const key = event.points?.[0]?.customdata;
      if (key !== undefined) location.href = `/discover/${config.slug}/${encodeURIComponent(key)}`;
    });
    plot.dataset.bound = "true";
  }
  plot.dataset.points = String(body.matched);
  performance.mark("discover-drawn");
  plot.dataset.ready = "true";
  status.textContent = `${body.matched.toLocaleString("en")} of ${config.total.toLocaleString("en")} materials.`;
}

async function drawRows() {
  const mine = ++rowsRequest;
  const params = filterParams();
  if (state.sort) params.set("sort", state.sort);
  params.set("page", String(state.page));
  params.set("size", String(SIZE));
  const response = await fetch(`${config.api.rows}?${params}`);
  const body = await response.json();
  if (mine !== rowsRequest || !response.ok) return;
  const body_ = table.tBodies[0];
  body_.replaceChildren(
    ...body.rows.map((row) => {
      const tr = document.createElement("tr");
      for (const c of shown) {
        const td = document.createElement("td");
        if (c.type === "number" || c.type === "integer") td.className = "num";
        td.textContent = format(row.values[c.name], c);
        tr.append(td);
      }
      const link = document.createElement("a");
      link.href = row.url;
      link.textContent = "card";
      const td = document.createElement("td");
      td.append(link);
      tr.append(td);
      return tr;
    }),
  );
  const pages = Math.max(1, Math.ceil(body.matched / SIZE));
  pageLabel.textContent = `page ${body.page} of ${pages}`;
  document.querySelector('[data-page="prev"]').disabled = body.page <= 1;
  document.querySelector('[data-page="next"]').disabled = body.page >= pages;
  for (const button of table.querySelectorAll("button.sort")) {
    const name = button.dataset.sort;
    const direction = state.sort === name ? "ascending" : state.sort === `-${name}` ? "descending" : "none";
    button.closest("th").setAttribute("aria-sort", direction);
  }
  table.dataset.page = String(body.page);
}

function refresh({ points = true } = {}) {
  syncUrl();
  const work = [drawRows()];
  if (points) work.push(drawPoints());
  return Promise.all(work).catch((error) => {
    status.textContent = `The plot could not be drawn: ${error.message}`;
  });
}

let timer = null;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    state.page = 1;
    refresh();
  }, 250);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  state.page = 1;
  refresh();
});
form.addEventListener("input", (event) => {
  if (event.target.dataset.axis || event.target.dataset.log) refresh({ points: true });
  else soon();
});
form.addEventListener("reset", () => setTimeout(() => { state.page = 1; refresh(); }, 0));
for (const button of form.querySelectorAll("[data-preset]")) {
  button.addEventListener("click", () => {
    const preset = config.presets[Number(button.dataset.preset)];
    form.querySelector('[data-axis="x"]').value = preset.x;
    form.querySelector('[data-axis="y"]').value = preset.y;
    form.querySelector('[data-axis="color"]').value = preset.color || "";
    form.querySelector('[data-log="x"]').checked = Boolean(preset.log_x);
    form.querySelector('[data-log="y"]').checked = Boolean(preset.log_y);
    refresh();
  });
}
table.addEventListener("click", (event) => {
  const button = event.target.closest("button.sort");
  if (!button) return;
  const name = button.dataset.sort;
  state.sort = state.sort === name ? `-${name}` : name;
  state.page = 1;
  refresh({ points: false });
});
document.querySelector('[data-page="prev"]').addEventListener("click", () => {
  state.page = Math.max(1, state.page - 1);
  refresh({ points: false });
});
document.querySelector('[data-page="next"]').addEventListener("click", () => {
  state.page += 1;
  refresh({ points: false });
});

restore();
refresh();
