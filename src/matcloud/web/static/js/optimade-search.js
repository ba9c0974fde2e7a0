// The structure search page (/optimade/search): the periodic-table picker, and 3D previews.
//
// The filter box is the source of truth. The picker (elements, HAS ALL/ONLY/ANY, the nelements
// and nsites ranges) writes a filter into it as the person clicks, and reads a filter typed
// there back when it is one the picker could have written; the grammar is the server's
// (matcloud.optimade.views.Picker), so both agree on every filter. Without this script the
// same buttons submit the form and the server composes the filter.
//
// A row's "3D" button fetches that structure from the OPTIMADE API (only then: the page carries
// no coordinates) and shows it with WEAS in a row below; one preview is open at a time, so a
// page of results never holds more than one WebGL context.

import { hasWebGL } from "./viewers.js";

const WEAS_URL = new URL("../vendor/weas/index.mjs", import.meta.url).href;
const MODES = { all: "HAS ALL", only: "HAS ONLY", any: "HAS ANY" };
const RANGES = ["nelements", "nsites"];
const ELEMENTS_CLAUSE =
  /^elements\s+HAS(?:\s+(ALL|ONLY|ANY))?\s+("[A-Za-z]{1,3}"(?:\s*,\s*"[A-Za-z]{1,3}")*)$/;
const RANGE_CLAUSE = /^(nelements|nsites)\s*(>=|<=|=)\s*(\d{1,7})$/;

// -- the picker's filters (the same as Picker in views.py) ------------------------------------

function compose(state) {
  const parts = [];
  if (state.elements.length) {
    const values = [...state.elements].sort().map((symbol) => `"${symbol}"`);
    parts.push(`elements ${MODES[state.mode]} ${values.join(",")}`);
  }
  for (const name of RANGES) {
    const [low, high] = state[name];
    if (low !== null && low === high) {
      parts.push(`${name}=${low}`);
      continue;
    }
    if (low !== null) parts.push(`${name}>=${low}`);
    if (high !== null) parts.push(`${name}<=${high}`);
  }
  return parts.join(" AND ");
}

/** The picker state that writes `text`, or null when the filter says more than that. */
function parse(text, known) {
  const state = { elements: [], mode: "all", nelements: [null, null], nsites: [null, null] };
  text = text.trim();
  if (!text) return state;
  let sawElements = false;
  for (const clause of text.split(/\s+AND\s+/)) {
    let match = ELEMENTS_CLAUSE.exec(clause);
    if (match) {
      const symbols = [...match[2].matchAll(/"([A-Za-z]{1,3})"/g)].map((m) => m[1]);
      if (sawElements || !symbols.every((s) => known.has(s))) return null;
      if (!match[1] && symbols.length > 1) return null;
      if (new Set(symbols).size !== symbols.length) return null;
      sawElements = true;
      state.elements = symbols.sort();
      state.mode = (match[1] || "ALL").toLowerCase();
      continue;
    }
    match = RANGE_CLAUSE.exec(clause);
    if (!match) return null;
    const [, name, operator, value] = match;
    const slots = operator === "=" ? [0, 1] : operator === ">=" ? [0] : [1];
    for (const slot of slots) {
      if (state[name][slot] !== null) return null;
      state[name][slot] = Number(value);
    }
  }
  return state;
}

function number(input) {
  const text = input.value.trim();
  return /^\d{1,7}$/.test(text) ? Math.min(Number(text), 1_000_000) : null;
}

// -- the picker in the page -------------------------------------------------------------------

function setUpPicker(form) {
  const box = form.querySelector("#optimade-filter");
  const table = form.querySelector(".pt");
  if (!box || !table) return;
  const buttons = [...table.querySelectorAll(".pt-el")];
  const known = new Set(buttons.map((b) => b.value));
  const radios = [...form.querySelectorAll('input[name="mode"]')];
  const range = (name, end) => form.querySelector(`input[name="${name}_${end}"]`);
  const chosen = form.querySelector("#picker-selected");
  const note = form.querySelector("#picker-note");

  const read = () => ({
    elements: buttons.filter((b) => b.getAttribute("aria-pressed") === "true").map((b) => b.value),
    mode: (radios.find((r) => r.checked) || { value: "all" }).value,
    nelements: [number(range("nelements", "min")), number(range("nelements", "max"))],
    nsites: [number(range("nsites", "min")), number(range("nsites", "max"))],
  });
  const describe = (elements) => {
    chosen.textContent = elements.length
      ? `Chosen: ${[...elements].sort().join(", ")}`
      : "No element chosen.";
  };
  const show = (state) => {
    const on = new Set(state.elements);
    for (const b of buttons) b.setAttribute("aria-pressed", String(on.has(b.value)));
    for (const r of radios) r.checked = r.value === state.mode;
    for (const name of RANGES) {
      range(name, "min").value = state[name][0] ?? "";
      range(name, "max").value = state[name][1] ?? "";
    }
    describe(state.elements);
  };
  const write = () => {
    const state = read();
    box.value = compose(state);
    box.removeAttribute("aria-invalid");
    note.hidden = true;
    describe(state.elements);
  };

  table.addEventListener("click", (event) => {
    const button = event.target.closest(".pt-el");
    if (!button) return;
    event.preventDefault(); // no JavaScript: a submit button the server toggles
    const pressed = button.getAttribute("aria-pressed") === "true";
    button.setAttribute("aria-pressed", String(!pressed));
    write();
  });
  for (const input of [...radios, ...form.querySelectorAll(".picker-range input")]) {
    input.addEventListener("input", write);
  }
  form.querySelector(".picker-apply").addEventListener("click", (event) => {
    event.preventDefault();
    write();
    form.requestSubmit();
  });
  form.querySelector(".picker-clear").addEventListener("click", (event) => {
    event.preventDefault();
    show(parse("", known));
    box.value = "";
    note.hidden = true;
    box.focus();
  });
  box.addEventListener("input", () => {
    // as the server renders it: a filter the picker cannot say leaves the picker empty
    const state = parse(box.value, known);
    note.hidden = state !== null;
    show(state || parse("", known));
  });

  // A narrow screen scrolls the table sideways: bring the chosen elements into view.
  const wrap = table.closest(".pt-wrap");
  const firstChosen = buttons.find((b) => b.getAttribute("aria-pressed") === "true");
  if (wrap && firstChosen && wrap.scrollWidth > wrap.clientWidth) {
    const offset = firstChosen.getBoundingClientRect().left - wrap.getBoundingClientRect().left;
    wrap.scrollLeft = Math.max(0, offset - wrap.clientWidth / 2);
  }

  // One tab stop for the whole table; the arrow keys move between elements as they are laid out.
  const at = (b) => [Number(b.dataset.row), Number(b.dataset.col)];
  let current = buttons.find((b) => b.getAttribute("aria-pressed") === "true") || buttons[0];
  for (const b of buttons) b.tabIndex = b === current ? 0 : -1;
  const move = (to) => {
    current.tabIndex = -1;
    current = to;
    current.tabIndex = 0;
    current.focus();
  };
  table.addEventListener("focusin", (event) => {
    const b = event.target.closest(".pt-el");
    if (b && b !== current) {
      current.tabIndex = -1;
      current = b;
      current.tabIndex = 0;
    }
  });
  table.addEventListener("keydown", (event) => {
    const [row, col] = at(current);
    const inRow = (r) => buttons.filter((b) => at(b)[0] === r);
    const nearest = (r) => {
      const candidates = inRow(r);
      if (!candidates.length) return null;
      return candidates.reduce((a, b) =>
        Math.abs(at(b)[1] - col) < Math.abs(at(a)[1] - col) ? b : a,
      );
    };
    const rows = [...new Set(buttons.map((b) => at(b)[0]))].sort((a, b) => a - b);
    const index = rows.indexOf(row);
    let to = null;
    if (event.key === "ArrowRight") to = inRow(row).find((b) => at(b)[1] > col);
    else if (event.key === "ArrowLeft") to = inRow(row).reverse().find((b) => at(b)[1] < col);
    else if (event.key === "ArrowDown" && index < rows.length - 1) to = nearest(rows[index + 1]);
    else if (event.key === "ArrowUp" && index > 0) to = nearest(rows[index - 1]);
    else if (event.key === "Home") to = inRow(row)[0];
    else if (event.key === "End") to = inRow(row).at(-1);
    else return;
    event.preventDefault();
    if (to) move(to);
  });
}

// -- submitting: the page's own URL, without the picker's fields -------------------------------

function setUpForm(form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    const filter = form.elements.filter.value.trim();
    if (filter) params.set("filter", filter);
    if (form.elements.sort.value) params.set("sort", form.elements.sort.value);
    const limit = form.elements.page_limit.value;
    if (limit !== form.dataset.defaultLimit) params.set("page_limit", limit);
    const query = params.toString();
    window.location.assign(form.action + (query ? `?${query}` : ""));
  });
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
  // a filter the API rejected: put the caret where the parser stopped
  const box = form.elements.filter;
  const position = Number(box.dataset.errorPosition || 0);
  if (position > 0) {
    box.focus();
    const index = Math.min(position - 1, box.value.length);
    box.setSelectionRange(index, index);
  }
}

// -- 3D previews ------------------------------------------------------------------------------

/** The element a site shows: its species' main element (disordered sites have several). */
function mainSymbol(species, known) {
  if (!species) return null;
  let best = null;
  let weight = -1;
  species.chemical_symbols.forEach((symbol, i) => {
    const share = (species.concentration || [])[i] ?? 1;
    if (known[symbol] && share > weight) {
      best = symbol;
      weight = share;
    }
  });
  return best;
}

/** WEAS atoms from an OPTIMADE structure's attributes. */
function atomsOf(attributes, weas) {
  const species = new Map((attributes.species || []).map((s) => [s.name, s]));
  const symbols = [];
  const positions = [];
  (attributes.species_at_sites || []).forEach((name, i) => {
    const symbol = mainSymbol(species.get(name), weas.elementAtomicNumbers);
    if (symbol) {
      symbols.push(symbol);
      positions.push(attributes.cartesian_site_positions[i]);
    }
  });
  if (!symbols.length) throw new Error("no atoms to show");
  const lattice = attributes.lattice_vectors || [null, null, null];
  const cell = lattice.map((v) =>
    Array.isArray(v) && v.every((x) => typeof x === "number") ? v : [0, 0, 0],
  );
  const dims = attributes.dimension_types || [0, 0, 0];
  const pbc = [0, 1, 2].map((i) => Boolean(dims[i]) && cell[i].some((x) => x !== 0));
  return new weas.Atoms({ symbols, positions, cell, pbc });
}

let weasPromise = null;
const loadWeas = () => {
  weasPromise = weasPromise || import(WEAS_URL);
  return weasPromise;
};

async function render(figure, url) {
  const viewer = figure.querySelector(".structure-viewer");
  const status = figure.querySelector(".structure-status");
  try {
    if (!hasWebGL()) throw new Error("this browser has no WebGL");
    const response = fetch(url, { headers: { Accept: "application/json" } });
    const [weas, answer] = await Promise.all([loadWeas(), response]);
    if (!answer.ok) throw new Error(`the structure did not load (HTTP ${answer.status})`);
    const body = await answer.json();
    const atoms = atomsOf(body.data.attributes, weas);
    if (!figure.isConnected) return; // closed while loading
    viewer.hidden = false;
    const editor = new weas.WEAS({
      domElement: viewer,
      atoms: [atoms],
      viewerConfig: { modelStyle: 1, backgroundColor: "#ffffff" },
      guiConfig: {
        controls: { enabled: false },
        timeline: { enabled: false },
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
      editor.tjs.updateCameraAndControls({ direction: [0.35, -0.5, 1] });
    } catch {
      // another WEAS version keeps its default view
    }
    editor.render();
    const count = atoms.symbols.length;
    const sites = body.data.attributes.species_at_sites.length;
    const note = count < sites ? ` (${sites - count} vacant or unknown sites left out)` : "";
    status.textContent = `${count} atom${count === 1 ? "" : "s"}${note} · drag to rotate, scroll to zoom.`;
    figure.classList.add("structure-ready");
  } catch (error) {
    viewer.hidden = true;
    viewer.replaceChildren();
    status.textContent = `The 3D view is not available: ${error.message}.`;
    figure.classList.add("structure-failed");
  }
}

function setUpPreviews() {
  const table = document.querySelector("#structures");
  if (!table) return;
  let open = null;
  const close = () => {
    if (!open) return;
    for (const canvas of open.row.querySelectorAll("canvas")) {
      // free the GPU context now rather than whenever the garbage collector gets to it
      const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
      gl?.getExtension("WEBGL_lose_context")?.loseContext();
    }
    open.row.remove();
    open.button.setAttribute("aria-expanded", "false");
    open.button.classList.remove("is-open");
    open = null;
  };
  let counter = 0;
  for (const button of table.querySelectorAll(".preview-button")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const same = open && open.button === button;
      close();
      if (same) return;
      const tr = button.closest("tr");
      const row = document.createElement("tr");
      row.className = "preview-row";
      const cell = document.createElement("td");
      cell.colSpan = tr.children.length;
      counter += 1;
      cell.id = `structure-preview-${counter}`;
      const figure = document.createElement("figure");
      figure.className = "file-preview structure-panel";
      const viewer = document.createElement("div");
      viewer.className = "structure-viewer";
      viewer.setAttribute("role", "img");
      viewer.setAttribute("aria-label", `3D view of ${button.dataset.formula}`);
      viewer.hidden = true;
      const status = document.createElement("p");
      status.className = "structure-status";
      status.setAttribute("role", "status");
      status.textContent = "Loading the 3D view…";
      figure.append(viewer, status);
      cell.append(figure);
      row.append(cell);
      tr.after(row);
      button.setAttribute("aria-controls", cell.id);
      button.setAttribute("aria-expanded", "true");
      button.classList.add("is-open");
      open = { button, row };
      render(figure, button.dataset.src);
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && open && open.row.contains(document.activeElement)) {
      const { button } = open;
      close();
      button.focus();
    }
  });
}

const form = document.querySelector("#structure-search");
if (form) {
  setUpPicker(form);
  setUpForm(form);
}
setUpPreviews();
