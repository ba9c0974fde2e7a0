// DISCOVER section pages: ask for the plot's first points while plotly (3.5 MB) is still
// being loaded and parsed. Runs as a classic script right after the filter form, builds the
// same URL as discover-section.js (the form's filters as restored from the page's URL, then
// the axes) and leaves the answer for it in window.discoverFirstPoints.
(function () {
  "use strict";
  const form = document.getElementById("discover-controls");
  const config = document.getElementById("discover-plot");
  if (!form || !config) return;
  const given = new URLSearchParams(location.search);
  for (const element of form.elements) {
    if (element.name && given.has(element.name)) {
      if (element.type === "checkbox") element.checked = true;
      else element.value = given.get(element.name);
    }
  }
  const params = new URLSearchParams();
  for (const element of form.elements) {
    if (!element.name || element.name.startsWith("plot_") || element.name.startsWith("log_")) continue;
    if (element.value !== "" && element.value != null) params.set(element.name, element.value);
  }
  const axis = (name) => form.querySelector(`[data-axis="${name}"]`)?.value || "";
  const axes = [axis("x"), axis("y"), axis("color")].filter(Boolean);
  if (axes.length < 2) return;
  params.set("axes", axes.join(","));
  const url = new URL(`${config.dataset.pointsApi}?${params}`, location.href).href;
  window.discoverFirstPoints = {
    url,
    answer: fetch(url).then(async (response) => ({ ok: response.ok, body: await response.json() })),
  };
})();
