// EXPLORE node pages: the provenance graph (cytoscape, vendored as a classic script).
//
// The graph starts from the page's node with its inputs (left) and outputs (right), as served by
// /explore/{archive}/graph/{uuid}.json. A click on a neighbour adds that node's own neighbours
// (its inputs one column to its left, its outputs one to its right); a double click opens its
// page; a "+N more" vertex leads to the full table. Labels come from an untrusted archive: they
// are drawn on the canvas or set with textContent, never parsed as HTML.
(function () {
  "use strict";

  const box = document.getElementById("graph");
  if (!box) return;
  const status = box.querySelector(".graph-status");
  const selected = document.getElementById("graph-selected");
  const COLUMN = 250;
  const ROW = 64;
  const MAX_NODES = 600;
  const MAX_FIT_ZOOM = 1.3;
  const CLICK_DELAY = 260; // a second click within this is a double click: no expansion

  function say(text) {
    if (status) status.textContent = text;
  }

  if (typeof window.cytoscape !== "function") {
    say("The graph could not load; the tables below list the same links.");
    return;
  }

  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const KIND = {
    data: { color: colour("--kind-data", "#2563eb"), shape: "ellipse" },
    calculation: { color: colour("--kind-calculation", "#d97706"), shape: "round-rectangle" },
    workflow: { color: colour("--kind-workflow", "#7c3aed"), shape: "round-hexagon" },
    process: { color: colour("--kind-process", "#64748b"), shape: "round-rectangle" },
    other: { color: colour("--kind-other", "#64748b"), shape: "ellipse" },
    more: { color: colour("--kind-more", "#94a3b8"), shape: "round-rectangle" },
  };
  const ink = colour("--ink", "#1b2430");
  const paper = colour("--paper", "#ffffff");

  const centre = box.dataset.centre;
  let seq = 0;
  const expanded = new Set();
  let cy = null;

  function nodeData(vertex, column, anchor) {
    const kind = KIND[vertex.kind] ? vertex.kind : "other";
    const label = String(vertex.label || vertex.type || "");
    return {
      group: "nodes",
      data: {
        id: vertex.id,
        label,
        kind,
        type: vertex.type || "",
        process: vertex.process || "",
        url: vertex.url || "",
        graph: vertex.graph || "",
        state: vertex.state || "",
        count: vertex.count || 0,
        column,
        anchor,
        seq: seq++,
        width: Math.min(220, Math.max(56, label.length * 7.2 + 24)),
        color: KIND[kind].color,
        shape: KIND[kind].shape,
      },
    };
  }

  function style() {
    return [
      {
        selector: "node",
        style: {
          shape: "data(shape)",
          width: "data(width)",
          height: 34,
          "background-color": paper,
          "border-width": 2.5,
          "border-color": "data(color)",
          label: "data(label)",
          color: ink,
          "font-size": 12,
          "text-valign": "center",
          "text-halign": "center",
          "text-wrap": "ellipsis",
          "text-max-width": "data(width)",
        },
      },
      { selector: "node[kind = 'data']", style: { "background-color": "data(color)", "background-opacity": 0.12 } },
      { selector: "node[kind = 'calculation'], node[kind = 'workflow']", style: { "background-color": "data(color)", "background-opacity": 0.18 } },
      { selector: "node[kind = 'more']", style: { "border-style": "dashed", color: colour("--ink-soft", "#4a5566") } },
      { selector: "node[state = 'excepted'], node[state = 'killed']", style: { "border-color": "#b42318" } },
      { selector: "node.centre", style: { "border-width": 5, "font-weight": "bold" } },
      { selector: "node.expanded", style: { "border-style": "double", "border-width": 5 } },
      { selector: "node:selected", style: { "overlay-color": colour("--focus", "#ffbf47"), "overlay-opacity": 0.35, "overlay-padding": 5 } },
      {
        selector: "edge",
        style: {
          width: 1.6,
          "curve-style": "bezier",
          "line-color": "#94a3b8",
          "target-arrow-color": "#94a3b8",
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.9,
          label: "data(label)",
          "font-size": 10,
          color: colour("--ink-soft", "#4a5566"),
          "text-background-color": paper,
          "text-background-opacity": 0.85,
          "text-background-padding": 2,
          "text-rotation": "autorotate",
        },
      },
      { selector: "edge[type = 'create'], edge[type = 'return']", style: { "line-color": "#16a34a", "target-arrow-color": "#16a34a" } },
      { selector: "edge[type ^= 'call']", style: { "line-style": "dashed", "line-color": "#7c3aed", "target-arrow-color": "#7c3aed" } },
      { selector: "edge[type = 'more']", style: { "line-style": "dotted", "target-arrow-shape": "none", label: "" } },
    ];
  }

  /** Columns left to right; within a column, near the node that brought each in. */
  function arrange(animate) {
    const columns = new Map();
    cy.nodes().forEach((node) => {
      const column = node.data("column");
      if (!columns.has(column)) columns.set(column, []);
      columns.get(column).push(node);
    });
    const anchorY = (node) => {
      const anchor = node.data("anchor") && cy.getElementById(node.data("anchor"));
      return anchor && anchor.nonempty() ? anchor.position("y") : 0;
    };
    const positions = {};
    for (const [column, nodes] of columns) {
      nodes.sort((a, b) => anchorY(a) - anchorY(b) || a.data("seq") - b.data("seq"));
      const middle = nodes.reduce((sum, node) => sum + anchorY(node), 0) / nodes.length;
      nodes.forEach((node, index) => {
        positions[node.id()] = { x: column * COLUMN, y: middle + (index - (nodes.length - 1) / 2) * ROW };
      });
    }
    const layout = cy.layout({
      name: "preset",
      positions: (node) => positions[node.id()],
      animate: Boolean(animate),
      animationDuration: 300,
      fit: true,
      padding: 30,
    });
    layout.one("layoutstop", () => {
      if (cy.zoom() > MAX_FIT_ZOOM) {
        cy.zoom(MAX_FIT_ZOOM); // a lone node is not blown up to fill the box
        cy.center();
      }
    });
    layout.run();
  }

  function add(body, origin) {
    const base = origin ? cy.getElementById(origin).data("column") : 0;
    const added = [];
    const side = new Map();
    for (const edge of body.edges) {
      if (edge.target === body.centre) side.set(edge.source, -1);
      else if (edge.source === body.centre) side.set(edge.target, 1);
    }
    for (const vertex of body.nodes) {
      if (cy.getElementById(vertex.id).nonempty()) continue;
      if (cy.nodes().length + added.length >= MAX_NODES) break;
      const offset = vertex.id === body.centre ? 0 : side.get(vertex.id) || 1;
      added.push(nodeData(vertex, base + offset, body.centre));
    }
    for (const more of body.more || []) {
      if (cy.getElementById(more.id).nonempty()) continue;
      const offset = more.direction === "in" ? -1 : 1;
      added.push(nodeData({ ...more, kind: "more" }, base + offset, body.centre));
    }
    cy.add(added);
    const edges = [];
    for (const edge of body.edges) {
      if (cy.getElementById(edge.id).nonempty()) continue;
      if (cy.getElementById(edge.source).empty() || cy.getElementById(edge.target).empty()) continue;
      edges.push({ group: "edges", data: { ...edge, label: String(edge.label || "") } });
    }
    for (const more of body.more || []) {
      const [source, target] = more.direction === "in" ? [more.id, more.of] : [more.of, more.id];
      const id = `edge-${more.id}`;
      if (cy.getElementById(id).empty() && cy.getElementById(more.id).nonempty()) {
        edges.push({ group: "edges", data: { id, source, target, label: "", type: "more" } });
      }
    }
    cy.add(edges);
    expanded.add(body.centre);
    cy.getElementById(body.centre).addClass("expanded");
    box.dataset.nodes = String(cy.nodes().length);
    return added.length;
  }

  async function fetchGraph(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function describe(node) {
    if (!selected) return;
    selected.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = node.data("label");
    selected.append(strong, ` · ${node.data("type") || node.data("kind")}`);
    if (node.data("process")) selected.append(` · ${node.data("process")}`);
    if (node.data("state")) selected.append(` · ${node.data("state")}`);
    if (node.data("url")) {
      const link = document.createElement("a");
      link.href = node.data("url");
      link.textContent = node.data("kind") === "more" ? "See the table" : "Open its page";
      selected.append(" · ", link);
    }
  }

  async function expand(node) {
    const id = node.id();
    if (node.data("kind") === "more") {
      window.location.href = node.data("url");
      return;
    }
    if (expanded.has(id) || !node.data("graph")) return;
    if (cy.nodes().length >= MAX_NODES) {
      say(`The graph shows ${MAX_NODES} nodes at most; open a node's page to go on from there.`);
      return;
    }
    box.dataset.state = "loading";
    try {
      const added = add(await fetchGraph(node.data("graph")), id);
      arrange(true);
      if (selected && !added) selected.append(" · no further neighbours");
    } catch (error) {
      say(`The neighbours did not load (${error.message}).`);
    }
    box.dataset.state = "ready";
  }

  async function start() {
    box.dataset.state = "loading";
    say("Loading the graph…");
    let body;
    try {
      body = await fetchGraph(box.dataset.url);
    } catch (error) {
      say(`The graph did not load (${error.message}); the tables below list the same links.`);
      box.dataset.state = "failed";
      return;
    }
    if (cy) cy.destroy();
    box.replaceChildren();
    expanded.clear();
    cy = window.cytoscape({
      container: box,
      style: style(),
        minZoom: 0.15,
      maxZoom: 3,
      boxSelectionEnabled: false,
    });
    window.matcloudGraph = cy; // for the browser tests, and for the curious in the console
    add(body, null);
    cy.getElementById(centre).addClass("centre");
    box.classList.toggle("graph-lonely", cy.nodes().length < 2);
    cy.resize();
    arrange(false);
    if (selected) {
      selected.textContent = cy.nodes().length > 1 ? "" : "This node has no links to other nodes.";
    }

    let pending = null;
    cy.on("tap", "node", (event) => {
      const node = event.target;
      describe(node);
      clearTimeout(pending);
      pending = setTimeout(() => expand(node), CLICK_DELAY);
    });
    cy.on("dbltap", "node", (event) => {
      clearTimeout(pending);
      const url = event.target.data("url");
      if (url) window.location.href = url;
    });
    box.dataset.state = "ready";
  }

  document.getElementById("graph-fit")?.addEventListener("click", () => cy && cy.fit(undefined, 30));
  document.getElementById("graph-reset")?.addEventListener("click", () => start());
  start();
})();
