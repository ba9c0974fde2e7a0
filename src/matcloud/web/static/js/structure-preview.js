// Landing pages of ARCHIVE records: crystal structures in 3D (WEAS) and the copy buttons.
//
// Each `.structure-preview` figure holds the file's text in a <pre> (the page works without
// JavaScript); this module parses it (or fetches the whole file when the preview was cut) and
// shows the structure in a WEAS viewer above the text. Whatever fails (no WebGL, a file WEAS
// cannot read, the library not loading), the text preview stays and says why.

import { hasWebGL } from "./viewers.js";

const WEAS_URL = new URL("../vendor/weas/index.mjs", import.meta.url).href;
const MAX_FETCH_BYTES = 20 * 1024 * 1024;

/** VASP POSCAR/CONTCAR (VASP 5 with species names, or VASP 4 with names in the comment). */
function parsePOSCAR(text, weas) {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const numbers = (line) => line.split(/\s+/).slice(0, 3).map(Number);
  let scale = Number(lines[1].split(/\s+/)[0]);
  const cell = [numbers(lines[2]), numbers(lines[3]), numbers(lines[4])];
  let row = 5;
  let names = lines[row].split(/\s+/);
  let counts;
  if (names.every((n) => /^\d+$/.test(n))) {
    counts = names.map(Number);
    names = lines[0].split(/\s+/).slice(0, counts.length);
    row += 1;
  } else {
    counts = lines[row + 1].split(/\s+/).map(Number);
    row += 2;
  }
  if (/^s/i.test(lines[row])) row += 1; // Selective dynamics
  const cartesian = /^[ck]/i.test(lines[row]);
  row += 1;
  if (scale < 0) {
    const [a, b, c] = cell;
    const volume = Math.abs(
      a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
        a[2] * (b[0] * c[1] - b[1] * c[0]),
    );
    scale = Math.cbrt(-scale / volume);
  }
  const scaled = cell.map((v) => v.map((x) => x * scale));
  const symbols = [];
  const positions = [];
  names.forEach((name, i) => {
    for (let k = 0; k < counts[i]; k += 1) {
      const p = numbers(lines[row]);
      row += 1;
      if (p.some((x) => Number.isNaN(x))) throw new Error("a position is not a number");
      symbols.push(name.replace(/[^A-Za-z].*$/, ""));
      positions.push(
        cartesian
          ? p.map((x) => x * scale)
          : [0, 1, 2].map((j) => p[0] * scaled[0][j] + p[1] * scaled[1][j] + p[2] * scaled[2][j]),
      );
    }
  });
  if (!symbols.length || scaled.flat().some((x) => Number.isNaN(x))) {
    throw new Error("not a POSCAR file");
  }
  return new weas.Atoms({ symbols, positions, cell: scaled, pbc: [true, true, true] });
}

function parse(format, text, weas) {
  switch (format) {
    case "cif":
      return weas.parseCIF(text);
    case "xyz":
      return weas.parseXYZ(text);
    case "xsf":
      return weas.parseXSF(text);
    case "poscar":
      return parsePOSCAR(text, weas);
    default:
      throw new Error(`no reader for ${format}`);
  }
}

async function fileText(figure) {
  if (figure.dataset.truncated !== "true") {
    return figure.querySelector("pre").textContent;
  }
  const response = await fetch(figure.dataset.src, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the file did not load (HTTP ${response.status})`);
  const length = Number(response.headers.get("content-length") || 0);
  if (length > MAX_FETCH_BYTES) throw new Error("the file is too large to show in 3D");
  return response.text();
}

async function showStructure(figure, loadWeas) {
  const viewer = figure.querySelector(".structure-viewer");
  const status = figure.querySelector(".structure-status");
  const source = figure.querySelector(".structure-source");
  try {
    if (!hasWebGL()) throw new Error("this browser has no WebGL");
    const [weas, text] = await Promise.all([loadWeas(), fileText(figure)]);
    const parsed = parse(figure.dataset.format, text, weas);
    const frames = Array.isArray(parsed) ? parsed : [parsed]; // XYZ may hold a trajectory
    const atoms = frames[0];
    if (!atoms || !atoms.symbols || atoms.symbols.length === 0) {
      throw new Error("no atoms were found in the file");
    }
    viewer.hidden = false;
    const editor = new weas.WEAS({
      domElement: viewer,
      atoms: frames,
      viewerConfig: { modelStyle: 1, backgroundColor: "#ffffff" },
      guiConfig: {
        controls: { enabled: false },
        timeline: { enabled: frames.length > 1 },
        legend: { enabled: true, position: "bottom-right" },
        buttons: {
          enabled: true,
          fullscreen: true,
          undo: false,
          redo: false,
          download: true,
          measurement: false,
        },
      },
    });
    try {
      // a slightly oblique view shows a crystal's depth better than looking down an axis
      editor.tjs.updateCameraAndControls({ direction: [0.35, -0.5, 1] });
    } catch {
      // an older or newer WEAS without this call keeps its default view
    }
    editor.render();
    const count = atoms.symbols.length;
    const steps = frames.length > 1 ? ` · ${frames.length} frames` : "";
    status.textContent = `${count} atom${count === 1 ? "" : "s"}${steps} · drag to rotate, scroll to zoom.`;
    source.open = false;
    figure.classList.add("structure-ready");
  } catch (error) {
    viewer.hidden = true;
    viewer.replaceChildren();
    status.textContent = `The 3D view is not available (${error.message}); the file's text is below.`;
    source.open = true;
    figure.classList.add("structure-failed");
  }
}

function setUpStructures() {
  const figures = document.querySelectorAll(".structure-preview");
  if (!figures.length) return;
  let weasPromise = null;
  const loadWeas = () => {
    weasPromise = weasPromise || import(WEAS_URL);
    return weasPromise;
  };
  for (const figure of figures) {
    figure.querySelector(".structure-status").textContent = "Loading the 3D view…";
    showStructure(figure, loadWeas);
  }
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

function setUpCopyButtons() {
  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".copy-button");
    if (!button) return;
    const from = button.dataset.copyFrom && document.getElementById(button.dataset.copyFrom);
    const text = from ? from.textContent.trim() : button.dataset.copy || "";
    button.dataset.label = button.dataset.label || button.textContent;
    const label = button.dataset.label;
    try {
      await copyText(text);
      button.textContent = "Copied";
      button.classList.add("copied");
    } catch {
      button.textContent = "Copy failed";
    }
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove("copied");
    }, 1600);
  });
}

setUpCopyButtons();
setUpStructures();
