// Build a partial plotly.js bundle with only what DISCOVER's pages draw: the core (with its
// SVG `scatter` trace, used for band structures and phonon dispersions) and `scattergl`, the
// WebGL scatter that keeps 70,000 points smooth. 1.5 MB instead of the full 4.8 MB bundle:
// the browser parses a third as much before the section page can draw.
//
// Run by `make vendor`: node web/plotly-scattergl.js OUTFILE. The esbuild settings are those
// of plotly.js's own esbuild-config.js (the GLSL shaders, the inline CSS, Node's stream and
// buffer for the browser).

const path = require("path");
const esbuild = require("esbuild");
const { environmentPlugin } = require("esbuild-plugin-environment");
const { glsl } = require("esbuild-plugin-glsl");
const InlineCSSPlugin = require("esbuild-plugin-inline-css");

const outfile = process.argv[2];
if (!outfile) {
  console.error("usage: node web/plotly-scattergl.js OUTFILE");
  process.exit(2);
}

esbuild
  .build({
    stdin: {
      contents:
        "var Plotly = require('plotly.js/lib/core');\n" +
        "Plotly.register([require('plotly.js/lib/scattergl')]);\n" +
        "module.exports = Plotly;\n",
      resolveDir: path.join(__dirname, ".."),
    },
    outfile,
    format: "iife",
    globalName: "Plotly",
    bundle: true,
    minify: true,
    legalComments: "eof",
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: "@plotly/regl", stream: "stream-browserify" },
    define: { global: "window", "define.amd": "false" },
    target: "es2016",
    logLevel: "warning",
  })
  .catch(() => process.exit(1));
