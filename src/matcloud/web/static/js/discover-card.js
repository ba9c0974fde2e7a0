// DISCOVER ID cards: the structure in 3D (WEAS), the band structure and the phonon dispersion
// (plotly), each read from the platform (the structure as JSON from the section's API, the
// bands and phonons from their BandsData nodes' pages in EXPLORE). Whatever fails, the card's
// table and links stay.

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

// A BandsData node's dispersion (electrons in eV, phonons in THz or another unit), from the
// node's page in EXPLORE, whose "bands" panel holds the series along the path.
async function dispersion(boxId, statusId, what, yTitle) {
  const box = document.getElementById(boxId);
  const status = document.getElementById(statusId);
  if (!box) return;
  try {
    // a node's page in EXPLORE (its "bands" panel), or the section's own reading of a file
    const response = await fetch(box.dataset.source || `${box.dataset.node}.json`);
    const page = await response.json();
    if (!response.ok) throw new Error(page.detail || response.statusText);
    const panel = box.dataset.source ? page : (page.panels || []).find((p) => p.kind === "bands");
    if (!panel || !panel.plot) throw new Error(panel?.note || "the node has no values along a path");
    const data = panel.plot;
    const Plotly = await waitForPlotly();
    const unit = panel.units ? ` (${panel.units})` : "";
    // an energy drawn as zero (the valence band maximum, the Fermi energy), in the bands' unit
    const zero = box.dataset.zero === undefined ? 0 : Number(box.dataset.zero);
    const shifted = zero ? (y) => y.map((v) => (v === null ? null : v - zero)) : (y) => y;
    const traces = data.series.map((s) => ({
      x: data.x, y: shifted(s.y), type: "scatter", mode: "lines", showlegend: false,
      line: { color: s.spin ? "#dc2626" : "#1d4ed8", width: 1.5 },
      hovertemplate: `${what === "phonons" ? "branch" : "band"} ${s.band + 1}: %{y:.3f}${panel.units ? " " + panel.units : ""}<extra></extra>`,
    }));
    const layout = {
      margin: { l: 60, r: 12, t: 8, b: 36 },
      font: { family: "system-ui, sans-serif", size: 12 },
      xaxis: { range: [data.x[0], data.x[data.x.length - 1]], showgrid: false, tickmode: "array",
        tickvals: data.ticks.map((t) => t.x), ticktext: data.ticks.map((t) => t.label) },
      yaxis: { title: { text: yTitle ? `${yTitle}${unit}` : data.y_title }, zeroline: what === "phonons" || Boolean(zero) },
      shapes: data.ticks.map((t) => ({ type: "line", xref: "x", yref: "paper", x0: t.x, x1: t.x, y0: 0, y1: 1, line: { color: "#94a3b8", width: 1, dash: "dot" } })),
    };
    await Plotly.newPlot(box, traces, layout, { responsive: true, displaylogo: false });
    box.dataset.ready = "true";
    const noun = what === "phonons" ? "branches" : "bands";
    const path = data.ticks.map((t) => t.label).filter(Boolean).join("–");
    const zeroNote = zero ? `; E = 0 at the ${box.dataset.zeroTitle} (${zero.toFixed(3)}${panel.units ? " " + panel.units : ""})` : "";
    status.textContent = `${data.series.length} ${noun} along ${path}${zeroNote}.`;
  } catch (error) {
    status.textContent = `The ${what === "phonons" ? "phonon dispersion" : "band structure"} could not be drawn: ${error.message}`;
  }
}

structure();
dispersion("card-bands", "bands-status", "bands", null);
dispersion("card-phonons", "phonons-status", "phonons", "Frequency");
