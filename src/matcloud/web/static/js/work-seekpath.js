// SeeK-path results: the Brillouin zone in 3D (plotly), with the high-symmetry points, the
// suggested path (and, dashed, the extra segments needed without time-reversal symmetry) and
// the reciprocal vectors. The data is the page's JSON (#bz-data); without JavaScript the
// tables of the page say the same.

import { waitForPlotly } from "./viewers.js";

function edges(faces) {
  // each face is a closed polygon; draw its outline once (shared edges twice is harmless)
  const x = [], y = [], z = [];
  for (const face of faces) {
    for (const point of [...face, face[0]]) {
      x.push(point[0]); y.push(point[1]); z.push(point[2]);
    }
    x.push(null); y.push(null); z.push(null);
  }
  return { x, y, z };
}

function segments(pairs, points) {
  const x = [], y = [], z = [];
  for (const [start, end] of pairs) {
    for (const label of [start, end]) {
      const p = points[label];
      x.push(p[0]); y.push(p[1]); z.push(p[2]);
    }
    x.push(null); y.push(null); z.push(null);
  }
  return { x, y, z };
}

async function drawZone() {
  const holder = document.getElementById("bz-plot");
  const status = document.querySelector(".bz-status");
  const source = document.getElementById("bz-data");
  if (!holder || !source) return;
  try {
    const data = JSON.parse(source.textContent);
    const Plotly = await waitForPlotly();
    const tri = data.zone.triangles_vertices;
    const [ti, tj, tk] = [[], [], []];
    for (const [a, b, c] of data.zone.triangles) { ti.push(a); tj.push(b); tk.push(c); }
    const labels = Object.keys(data.points);
    const pointsFrom = (names) => names.filter((n) => data.points[n]);
    const traces = [
      {
        type: "mesh3d", name: "zone", hoverinfo: "skip", opacity: 0.18, color: "#2a6fdb",
        x: tri.map((v) => v[0]), y: tri.map((v) => v[1]), z: tri.map((v) => v[2]),
        i: ti, j: tj, k: tk, flatshading: true, showscale: false,
      },
      { type: "scatter3d", mode: "lines", name: "zone edges", hoverinfo: "skip",
        line: { color: "#2a6fdb", width: 2 }, ...edges(data.zone.faces) },
      { type: "scatter3d", mode: "lines", name: "path",
        line: { color: "#d9480f", width: 7 }, hoverinfo: "skip", ...segments(data.path, data.points) },
    ];
    if (data.extra && data.extra.length) {
      traces.push({ type: "scatter3d", mode: "lines", name: "without time reversal",
        line: { color: "#d9480f", width: 4, dash: "dash" }, hoverinfo: "skip",
        ...segments(data.extra, data.points) });
    }
    const shown = pointsFrom(labels);
    traces.push({
      type: "scatter3d", mode: "markers+text", name: "high-symmetry points",
      x: shown.map((n) => data.points[n][0]), y: shown.map((n) => data.points[n][1]),
      z: shown.map((n) => data.points[n][2]), text: shown.map((n) => data.labels[n]),
      textposition: "top center", marker: { size: 4, color: "#111" },
      hovertemplate: "%{text}<br>(%{x:.4f}, %{y:.4f}, %{z:.4f}) 1/Å<extra></extra>",
    });
    data.reciprocal.forEach((b, n) => {
      traces.push({ type: "scatter3d", mode: "lines+text", name: `b${n + 1}`, hoverinfo: "skip",
        x: [0, b[0]], y: [0, b[1]], z: [0, b[2]], text: ["", `b${n + 1}`],
        line: { color: "#2b8a3e", width: 3 }, textfont: { color: "#2b8a3e" } });
    });
    const axis = { visible: false, showspikes: false };
    await Plotly.newPlot(holder, traces, {
      margin: { l: 0, r: 0, t: 0, b: 0 }, showlegend: false, height: 460,
      scene: { xaxis: axis, yaxis: axis, zaxis: axis, aspectmode: "data",
        camera: { eye: { x: 1.4, y: 1.1, z: 0.8 } } },
    }, { displaylogo: false, responsive: true });
    holder.classList.add("bz-ready");
    status.textContent = `${shown.length} high-symmetry points · drag to rotate, scroll to zoom.`;
  } catch (error) {
    status.textContent = `The 3D Brillouin zone cannot be shown here (${error.message}); the tables below give the same points.`;
  }
}

drawZone();
