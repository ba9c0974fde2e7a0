// What the pages with 3D views and plots share: is there WebGL, and plotly once it loaded
// (plotly.min.js is a classic deferred script; the page modules wait for its global).

export function hasWebGL() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch {
    return false;
  }
}

export function waitForPlotly(timeout = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    (function poll() {
      if (window.Plotly) return resolve(window.Plotly);
      if (Date.now() - started > timeout) return reject(new Error("plotly did not load"));
      setTimeout(poll, 30);
    })();
  });
}
