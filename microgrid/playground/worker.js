/* The playground's Python: Pyodide in a Web Worker, so a run that never ends can be stopped by
 * ending the worker, and the page stays responsive meanwhile.
 *
 * It loads Pyodide and Graphviz (both WebAssembly, from this folder), installs the wheels the
 * build put in wheels/ (microgrid's own, graphviz's and tqdm's), hands graphviz's rendering to
 * viz-js, and then runs microgrid.playground.runner.run(code) for each message. Nothing is
 * fetched from outside this folder.
 */
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance } from "./viz/viz.js";

const here = (path) => new URL(path, import.meta.url).href;
const started = performance.now();

const phases = {};  // milliseconds since the worker started, when each part was ready
const mark = (name) => (value) => { phases[name] = performance.now() - started; return value; };

async function setUp() {
  const [pyodide, viz, config] = await Promise.all([
    loadPyodide({ indexURL: here("./pyodide/"), stdout: () => {}, stderr: () => {} })
      .then(mark("pyodide")),
    instance().then(mark("viz")),
    fetch(here("./playground.json")).then((r) => r.json()),
  ]);
  for (const wheel of config.wheels) {
    const data = await fetch(here("./wheels/" + wheel)).then((r) => r.arrayBuffer());
    pyodide.unpackArchive(data, "wheel");
  }
  // the renderer: DOT to SVG by Graphviz compiled to WebAssembly instead of the dot program
  self.microgridRender = (source, format, engine) => {
    const result = viz.render(source, { format: format, engine: engine || "dot" });
    if (result.status !== "success") {
      throw new Error(result.errors.map((e) => e.message).join("; ") || "Graphviz failed");
    }
    return result.output;
  };
  mark("wheels")();
  const runner = pyodide.pyimport("microgrid.playground.runner");
  runner.use_renderer(self.microgridRender);
  runner.without_threads();
  pyodide.runPython("import microgrid, microgrid.view.draw, microgrid.view.explain, " +
                    "microgrid.view.stepping");  // imported now, not on the first Run
  mark("imports")();
  return runner;
}

const ready = setUp();
ready.then(
  () => postMessage({ type: "ready", phases: phases }),
  (e) => postMessage({ type: "failed", message: String(e && e.message || e) }));

self.onmessage = async (event) => {
  const runner = await ready;
  const start = performance.now();
  let result;
  try {
    const id = event.data.id;
    const stream = (text) => postMessage({ type: "output", id: id, text: text });
    result = JSON.parse(runner.run(event.data.code, stream, event.data.lang || null));
  } catch (e) {  // Pyodide itself failed (out of memory, its stack): this worker is done
    postMessage({ type: "crashed", id: event.data.id, message: String(e && e.message || e) });
    return;
  }
  result.type = "result";
  result.id = event.data.id;
  result.ms.worker = performance.now() - start;
  postMessage(result);
};
