// DISCOVER ID cards: the structure in 3D (WEAS) and the band structure (plotly), each read
// from the platform (the structure as JSON from the section's API, the bands from the
// BandsData node's page in EXPLORE). Whatever fails, the card's table and links stay.

import { hasWebGL, waitForPlotly } from "./viewers.js";

const WEAS_URL = new URL("../vendor/weas/index.mjs", import.meta.url).href;

async function structure() {
  const box = document.getElementById("card-structure");
  const status = document.getElementById("structure-status");
  if (!box) return;
  if (!hasWebGL()) {
    status.textContent = "This browser has no WebGL: the 3D view is off; the downloads below work.";
    return;
  }
  try {
    const response = await fetch(box.dataset.source);
    const data = await response.json();
    if (!response.ok) throw new Error(data.detail || response.statusText);
    const weas = await import(WEAS_URL);
    box.hidden = false;
    const atoms = new weas.Atoms({ symbols: data.symbols, positions: data.positions, cell: data.lattice, pbc: data.pbc });
    const editor = new weas.WEAS({ domElement: box, atoms, viewerConfig: { _modelStyle: 1 }, guiConfig: { controls: { enabled: false } } });
    editor.render();
    box.dataset.atoms = String(data.symbols.length);
    status.textContent = `${data.formula}: ${data.symbols.length} atoms. Drag to rotate, scroll to zoom.`;
  } catch (error) {
    box.hidden = true;
    status.textContent = `The 3D view could not be shown: ${error.message}`;
  }
}

async function bands() {
  const box = document.getElementById("card-bands");
  const status = document.getElementById("bands-status");
  if (!box) return;
  try {
    const response = await fetch(`${box.dataset.node}.json`);
    const page = await response.json();
    const panel = (page.panels || []).find((p) => p.kind === "bands");
    if (!panel || !panel.plot) throw new Error(panel?.note || "the node has no band energies");
    const data = panel.plot;
    const Plotly = await waitForPlotly();
    const traces = data.series.map((s) => ({
      x: data.x, y: s.y, type: "scatter", mode: "lines", showlegend: false,
      line: { color: s.spin ? "#dc2626" : "#1d4ed8", width: 1.5 },
      hovertemplate: `band ${s.band + 1}: %{y:.3f}<extra></extra>`,
    }));
    const layout = {
      margin: { l: 60, r: 12, t: 8, b: 36 },
      font: { family: "system-ui, sans-serif", size: 12 },
      xaxis: { range: [data.x[0], data.x[data.x.length - 1]], showgrid: false, tickmode: "array",
        tickvals: data.ticks.map((t) => t.x), ticktext: data.ticks.map((t) => t.label) },
      yaxis: { title: { text: data.y_title }, zeroline: false },
      shapes: data.ticks.map((t) => ({ type: "line", xref: "x", yref: "paper", x0: t.x, x1: t.x, y0: 0, y1: 1, line: { color: "#94a3b8", width: 1, dash: "dot" } })),
    };
    await Plotly.newPlot(box, traces, layout, { responsive: true, displaylogo: false });
    box.dataset.ready = "true";
    status.textContent = `${data.series.length} bands along ${data.ticks.map((t) => t.label).filter(Boolean).join("–")}.`;
  } catch (error) {
    status.textContent = `The band structure could not be drawn: ${error.message}`;
  }
}

structure();
bands();
