// Phonon visualiser results: the dispersion (plotly), one curve per branch as the server
// connected them; clicking a branch at a q-point fetches that mode's displacements and
// animates it in 3D (WEAS) in a supercell, with amplitude, speed, repetitions and arrows.
// The data is the page's JSON (#phonon-data); without JavaScript the tables say the same.

import { hasWebGL, waitForPlotly } from "./viewers.js";

const WEAS_URL = new URL("../vendor/weas/index.mjs", import.meta.url).href;
const UNITS = { THz: 1, "cm-1": null, meV: 4.135667696923859 };
const COLORS = ["#1f5f8b", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490"];

const data = JSON.parse(document.getElementById("phonon-data").textContent);
const plotDiv = document.getElementById("dispersion-plot");
const viewer = document.getElementById("mode-viewer");
const info = document.querySelector("[data-testid=mode-info]");
const controls = document.querySelector(".mode-controls");
const state = { unit: "THz", branch: null, iq: null, mode: null, editor: null, weas: null, plotted: false };

function factor(unit) {
  return unit === "cm-1" ? data.thz_to_cm1 : UNITS[unit];
}

/** x, y and q indices of one branch, with a gap (null) at each jump of the path. */
function branchLine(values, scale) {
  const x = [], y = [], q = [];
  const starts = new Set();
  const d = data.path.distances;
  for (let i = 1; i < d.length; i += 1) if (data.path.jumps.includes(d[i]) && d[i] === d[i - 1]) starts.add(i);
  values.forEach((value, i) => {
    if (starts.has(i)) { x.push(d[i]); y.push(null); q.push(null); }
    x.push(d[i]); y.push(value * scale); q.push(i);
  });
  return { x, y, q };
}

function traces() {
  const scale = factor(state.unit);
  const lines = data.branches.map((values, branch) => {
    const { x, y, q } = branchLine(values, scale);
    return {
      x, y, customdata: q, type: "scatter", mode: "lines", name: `branch ${branch + 1}`,
      line: { color: COLORS[branch % COLORS.length], width: 2 },
      hovertemplate: `branch ${branch + 1}<br>%{y:.3f} ${state.unit}<extra></extra>`,
    };
  });
  const marker = { x: [], y: [], type: "scatter", mode: "markers", hoverinfo: "skip", showlegend: false,
    marker: { size: 12, color: "rgba(0,0,0,0)", line: { color: "#111", width: 2 } } };
  if (state.branch !== null) {
    marker.x.push(data.path.distances[state.iq]);
    marker.y.push(data.branches[state.branch][state.iq] * scale);
  }
  return [...lines, marker];
}

function layout() {
  const ticks = data.path.ticks;
  const yLabel = { THz: "Frequency (THz)", "cm-1": "Frequency (cm⁻¹)", meV: "Energy (meV)" }[state.unit];
  return {
    margin: { l: 60, r: 10, t: 10, b: 40 },
    showlegend: false,
    hovermode: "closest",
    xaxis: { tickvals: ticks.map((t) => t.x), ticktext: ticks.map((t) => t.label), showgrid: true,
      gridcolor: "#999", zeroline: false, range: [0, data.path.distances.at(-1)] },
    yaxis: { title: { text: yLabel }, zeroline: true, zerolinecolor: "#bbb" },
    shapes: data.path.jumps.map((x) => ({ type: "line", x0: x, x1: x, yref: "paper", y0: 0, y1: 1,
      line: { color: "#111", width: 2 } })),
  };
}

async function loadWeas() {
  if (!state.weas) state.weas = await import(WEAS_URL);
  return state.weas;
}

function crystal(weas) {
  const s = data.structure;
  return new weas.Atoms({ symbols: s.symbols, positions: s.cartesian, cell: s.lattice, pbc: [true, true, true] });
}

function settings() {
  const form = new FormData(controls);
  const n = Number(form.get("repeat"));
  return {
    amplitude: Number(form.get("amplitude")),
    frameDuration: Math.round(220 / Number(form.get("speed"))),
    repeat: [n, n, n],
    arrows: form.get("arrows") === "on",
  };
}

let modeDocument = null;

async function animate() {
  if (!modeDocument || !state.editor) return;
  const weas = await loadWeas();
  const chosen = settings();
  const avr = state.editor.avr;
  // fromPhononMode re-initialises the vector fields without taking the previous arrows out
  // of the scene: take them out first
  avr.VFManager.clearMeshes();
  avr.VFManager.show = chosen.arrows;
  avr.fromPhononMode({
    atoms: crystal(weas),
    eigenvectors: modeDocument.displacements,
    amplitude: chosen.amplitude,
    factor: 1.5,
    nframes: 30,
    kpoint: modeDocument.q,
    repeat: chosen.repeat,
    color: "#d4380d",
    radius: 0.08,
  });
  avr.VFManager.show = chosen.arrows; // fromPhononMode always adds them: shown or hidden
  avr.frameDuration = chosen.frameDuration;
  // what is shown, for people's scripts and the browser tests
  Object.assign(viewer.dataset, {
    mode: `${state.iq}:${state.mode}`,
    atoms: String(avr.atoms.positions.length),
    amplitude: String(chosen.amplitude),
    frameDuration: String(chosen.frameDuration),
    arrows: String(avr.VFManager.show),
    visibleArrows: String(visibleArrows(state.editor)),
  });
}

function visibleArrows(editor) {
  let count = 0;
  editor.tjs.scene.traverse((object) => {
    if (object.userData && object.userData.type === "arrow" && object.visible) count += 1;
  });
  return count;
}

async function choose(branch, iq, known = null) {
  state.branch = branch;
  state.iq = iq;
  state.mode = data.order[iq][branch];
  if (known) {
    modeDocument = known;
  } else {
    const url = data.modes.replace("{q}", iq).replace("{mode}", state.mode);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`the mode did not load (HTTP ${response.status})`);
    modeDocument = await response.json();
  }
  const q = modeDocument.q.map((x) => x.toFixed(4)).join(", ");
  info.textContent = `Branch ${branch + 1} at q = (${q}): ${modeDocument.frequency_thz.toFixed(3)} THz ` +
    `(${modeDocument.frequency_cm1.toFixed(1)} cm⁻¹)`;
  info.dataset.branch = String(branch);
  info.dataset.qpoint = String(iq);
  if (state.plotted) window.Plotly.react(plotDiv, traces(), layout());
  await animate();
}

function watchFrames() {
  // marks the viewer once frames advance: what the browser test and the bench wait for
  let last = null;
  (function tick() {
    const avr = state.editor && state.editor.avr;
    if (avr && avr.isPlaying && last !== null && avr.currentFrame !== last) {
      if (!viewer.dataset.firstFrame) viewer.dataset.firstFrame = String(Math.round(performance.now()));
      viewer.dataset.frames = String(Number(viewer.dataset.frames || 0) + 1);
    }
    last = avr ? avr.currentFrame : null;
    requestAnimationFrame(tick);
  })();
}

async function startViewer() {
  const status = document.getElementById("viewer-status");
  try {
    if (!hasWebGL()) throw new Error("this browser has no WebGL");
    const weas = await loadWeas();
    viewer.hidden = false;
    state.editor = new weas.WEAS({
      domElement: viewer,
      atoms: crystal(weas),
      viewerConfig: { modelStyle: 1, backgroundColor: "#ffffff" },
      guiConfig: { controls: { enabled: false }, timeline: { enabled: false },
        legend: { enabled: true, position: "bottom-right" },
        buttons: { enabled: true, fullscreen: true, undo: false, redo: false, download: true, measurement: false } },
    });
    state.editor.render();
    status.hidden = true;
    watchFrames();
  } catch (error) {
    viewer.hidden = true;
    status.textContent = `No 3D animation: ${error.message}.`;
  }
}

function failed(error) {
  info.textContent = `This mode cannot be shown: ${error.message}.`;
}

async function main() {
  const plotStatus = document.getElementById("plot-status");
  // the animation does not wait for plotly: the first mode came with the page
  const first = data.initial;
  const started = startViewer().then(() => choose(first.branch, first.qpoint, first)).catch(failed);
  try {
    const Plotly = await waitForPlotly();
    await Plotly.newPlot(plotDiv, traces(), layout(), { responsive: true, displaylogo: false });
    state.plotted = true;
    plotStatus.hidden = true;
    plotDiv.on("plotly_click", (event) => {
      const point = event.points.find((p) => p.curveNumber < data.branches.length && p.customdata !== null);
      if (point) choose(point.curveNumber, point.customdata).catch(failed);
    });
  } catch (error) {
    plotStatus.textContent = `No interactive dispersion: ${error.message}.`;
    return;
  }
  await started;
  window.Plotly.react(plotDiv, traces(), layout());
  document.querySelectorAll("input[name=unit]").forEach((input) => input.addEventListener("change", () => {
    state.unit = input.value;
    window.Plotly.react(plotDiv, traces(), layout());
  }));
  controls.addEventListener("change", () => animate());
  controls.addEventListener("submit", (event) => event.preventDefault());
}

main();
