// DISCOVER section pages, the part that runs at once (a classic script right after the plot's
// box): the filter form's state as query parameters, shared with discover-section.js as
// window.discoverQuery; and the plot's first points, asked for while plotly (4.8 MB) is still
// being parsed, left for discover-section.js in window.discoverFirstPoints.
(function () {
  "use strict";
  const query = {
    /** Put the page URL's filters back into the form (a shared or reloaded view). */
    restore(form) {
      const given = new URLSearchParams(location.search);
      for (const element of form.elements) {
        if (element.name && given.has(element.name)) {
          if (element.type === "checkbox") element.checked = true;
          else element.value = given.get(element.name);
        }
      }
    },
    /** The form's filters (not its plot settings) as query parameters. */
    filters(form) {
      const params = new URLSearchParams();
      for (const element of form.elements) {
        if (!element.name || element.name.startsWith("plot_") || element.name.startsWith("log_")) continue;
        if (element.value !== "" && element.value != null) params.set(element.name, element.value);
      }
      return params;
    },
    /** The points URL for the form's filters and axes (null without two axes). */
    pointsUrl(form, plot) {
      const axis = (name) => form.querySelector(`[data-axis="${name}"]`)?.value || "";
      const axes = [axis("x"), axis("y"), axis("color")].filter(Boolean);
      if (!plot || axes.length < 2) return null;
      const params = query.filters(form);
      params.set("axes", axes.join(","));
      return new URL(`${plot.dataset.pointsApi}?${params}`, location.href).href;
    },
  };
  window.discoverQuery = query;
  const form = document.getElementById("discover-controls");
  if (!form) return;
  query.restore(form);
  const url = query.pointsUrl(form, document.getElementById("discover-plot"));
  if (url) {
    window.discoverFirstPoints = {
      url,
      answer: fetch(url).then(async (response) => ({ ok: response.ok, body: await response.json() })),
    };
  }
})();
