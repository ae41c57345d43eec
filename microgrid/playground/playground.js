/* The playground page: an editor, Run/Stop/link, and the results of the last line.
 *
 * Python runs in worker.js; this script only sends the code and shows what comes back: the SVG
 * Graphviz drew, explain's text, the step-through page (the same page step_through() saves, in
 * a frame) and the printed output. Stop ends the worker and starts a fresh one.
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  // {language: [[title, code], ...]}: the same index is the same example in every language
  var examples = JSON.parse($("examples").textContent);

  // --- the language: ?lang=zh in the address, else the browser's, else English --------------
  var catalogs = JSON.parse($("strings").textContent);  // {language: {English: translation}}
  var NAMES = { en: "English", zh: "中文" };
  function pick(code) {
    code = String(code || "").toLowerCase().split(/[-_]/)[0];
    return Object.prototype.hasOwnProperty.call(catalogs, code) ? code : null;
  }
  var lang = pick(new URLSearchParams(location.search).get("lang")) ||
    (navigator.languages || [navigator.language]).map(pick).filter(Boolean)[0] || "en";
  // a sentence in the page's language, its {name} placeholders filled after the look-up
  function _(message, fields) {
    var text = (catalogs[lang] || {})[message] || message;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return fields && name in fields ? String(fields[name]) : m;
    });
  }
  function label() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : lang;
    document.title = _("microgrid playground");
    document.querySelector("h1").textContent = _("microgrid playground");
    $("example-label").textContent = _("example");
    $("example").setAttribute("aria-label", _("example"));
    $("run").textContent = "\u25B6 " + _("Run");
    $("run").title = _("run the code (Ctrl+Enter)");
    $("stop").textContent = "\u25A0 " + _("Stop");
    $("stop").title = _("stop the running code");
    $("link").textContent = _("link");
    $("link").title = _("put the code in the address bar, to share as a link");
    $("lang").setAttribute("aria-label", _("language"));
    $("lang").title = _("language");
    $("code").setAttribute("aria-label", _("Python code"));
    $("hint").textContent = _("Ctrl+Enter runs. The last line's value is drawn, explained and stepped through when it is a Value. Everything runs in this page: Python (Pyodide) and Graphviz as WebAssembly, microgrid as it is installed anywhere.");
    var words = { graph: _("Graph"), explain: _("Explain"), step: _("Step through"),
                  output: _("Output") };
    var buttons = document.querySelectorAll(".tabs button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].textContent = words[buttons[i].getAttribute("data-tab")];
    }
  }
  var chooser = $("lang");
  Object.keys(catalogs).forEach(function (code) {
    var option = document.createElement("option");
    option.value = code;
    option.textContent = NAMES[code] || code;
    chooser.appendChild(option);
  });
  chooser.value = lang;
  chooser.addEventListener("change", function () {
    var shown = exampleShown();  // an example stays the same example, in the new language
    lang = chooser.value;
    if (shown !== "") { code.value = exampleList()[shown][1]; }
    titleExamples();
    var url = new URL(location.href);
    url.searchParams.set("lang", lang);  // a shared link keeps the language
    history.replaceState(null, "", url.href);
    document.body.setAttribute("data-lang", lang);
    label();
    if (ready && running === null) { runCode(); } else { pendingRun = true; }
  });
  document.body.setAttribute("data-lang", lang);
  label();
  var code = $("code"), run = $("run"), stop = $("stop"), status = $("status");
  var worker = null, ready = false, running = null, runs = 0, pendingRun = false;
  var opened = performance.now();
  // what the tests and the curious read: when Python was ready, and each run's times
  window.microgridPlayground = { readyMs: null, phases: null, runs: [] };

  // --- examples and the shared link --------------------------------------------------------
  var select = $("example");
  function exampleList() { return examples[lang] || examples.en; }
  exampleList().forEach(function (pair, i) {
    var option = document.createElement("option");
    option.value = String(i);
    select.appendChild(option);
  });
  function titleExamples() {
    exampleList().forEach(function (pair, i) { select.options[i].textContent = pair[0]; });
  }
  titleExamples();
  // the index of the example the editor holds, in the page's language; "" when none
  function exampleShown() {
    var list = exampleList();
    for (var i = 0; i < list.length; i++) { if (list[i][1] === code.value) { return String(i); } }
    return "";
  }
  // shown while the code is not an example's (edited, or opened from a link); not offered
  var neutral = document.createElement("option");
  neutral.value = "";
  neutral.textContent = "\u2014";
  neutral.disabled = neutral.hidden = true;
  select.appendChild(neutral);
  function showExample() { select.value = exampleShown(); }
  select.addEventListener("change", function () {
    code.value = exampleList()[+select.value][1];
    runCode();
  });

  function encode(text) {
    var bytes = new TextEncoder().encode(text), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decode(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { bytes[i] = s.charCodeAt(i); }
    return new TextDecoder().decode(bytes);
  }
  function fromLink() {
    var m = /^#code=([A-Za-z0-9_-]*)$/.exec(location.hash);
    if (!m) { return null; }
    try { return decode(m[1]); } catch (e) { return null; }
  }
  $("link").addEventListener("click", function () {
    history.replaceState(null, "", "#code=" + encode(code.value));
    var done = function () {
      setStatus(_("link in the address bar (and copied): opening it runs this code"));
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(location.href).then(done, function () {
        setStatus(_("link in the address bar: opening it runs this code"));
      });
    } else { done(); }
  });

  var linked = fromLink();
  if (linked !== null) {
    code.value = linked;
    showExample();
    pendingRun = true;
  } else {
    code.value = exampleList()[0][1];
    pendingRun = true;  // the first example runs as soon as Python is ready
  }

  // --- the editor ---------------------------------------------------------------------------
  code.addEventListener("input", showExample);
  code.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      runCode();
    } else if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey) {
      e.preventDefault();
      var s = code.selectionStart;
      code.setRangeText("    ", s, code.selectionEnd, "end");
    }
  });
  run.addEventListener("click", runCode);
  stop.addEventListener("click", function () {
    if (running === null) { return; }
    var seconds = ((performance.now() - running.start) / 1000).toFixed(1);
    var printed = running.streamed ? $("output").textContent : "";
    running = null;
    startWorker();
    clearResults(_("no results: the run was stopped"));
    if (printed) {
      $("output").textContent = printed;
      document.querySelector('.tabs [data-tab="output"]').classList.remove("empty");
      selectTab("output");
    }
    showError({ line: _("stopped after {seconds} s: the run was ended and Python restarted",
                        { seconds: seconds }), traceback: "" });
  });

  // --- tabs ---------------------------------------------------------------------------------
  var tabs = document.querySelectorAll(".tabs button");
  function selectTab(name) {
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i].getAttribute("data-tab") === name;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      document.querySelector('[data-pane="' + tabs[i].getAttribute("data-tab") + '"]').hidden = !on;
    }
    document.body.setAttribute("data-tab", name);
  }
  for (var i = 0; i < tabs.length; i++) {
    tabs[i].addEventListener("click", function () { selectTab(this.getAttribute("data-tab")); });
  }

  // --- the worker ---------------------------------------------------------------------------
  function setState(state) {
    document.body.setAttribute("data-state", state);
    run.disabled = state !== "ready";
    stop.disabled = state !== "running";
  }
  function setStatus(text) { status.textContent = text; }

  function startWorker() {
    if (worker) { worker.terminate(); }
    ready = false;
    setState("loading");
    setStatus(_("starting Python…"));
    var started = performance.now();
    worker = new Worker("worker.js", { type: "module" });
    worker.onmessage = function (e) {
      var m = e.data;
      if (m.type === "ready") {
        ready = true;
        if (window.microgridPlayground.readyMs === null) {
          window.microgridPlayground.readyMs = performance.now() - opened;
          window.microgridPlayground.phases = m.phases;
        }
        setState("ready");
        setStatus(_("Python ready in {seconds} s",
                    { seconds: ((performance.now() - started) / 1000).toFixed(1) }));
        if (pendingRun) { pendingRun = false; runCode(); }
      } else if (m.type === "failed") {
        setState("failed");
        setStatus(_("Python could not start"));
        showError({ line: _("the playground could not start Python: {message}",
                            { message: m.message }), traceback: "" });
      } else if (m.type === "output" && running !== null && m.id === running.id) {
        if (!running.streamed) { running.printed = ""; running.streamed = true; }
        running.printed += m.text;  // what a long run has printed so far
        $("output").textContent = terminal(running.printed);
        if (document.body.getAttribute("data-tab") !== "output") { selectTab("output"); }
      } else if (m.type === "result" && running !== null && m.id === running.id) {
        show(m);
      } else if (m.type === "crashed" && running !== null && m.id === running.id) {
        running = null;
        startWorker();
        clearResults(_("no results: Python failed"));
        showError({ line: _("Python itself failed ({message}); it was restarted: try a smaller graph",
                            { message: m.message }), traceback: "" });
      }
    };
    worker.onerror = function (e) {
      setState("failed");
      setStatus(_("Python could not start"));
      showError({ line: _("the playground's worker failed: {message}",
                          { message: e.message || _("unknown error") }), traceback: "" });
    };
  }

  function runCode() {
    if (!ready) { pendingRun = true; return; }
    if (running !== null) { return; }
    runs += 1;
    running = { id: runs, start: performance.now() };
    setState("running");
    setStatus(_("running…"));
    worker.postMessage({ id: runs, code: code.value, lang: lang });
  }

  // --- results ------------------------------------------------------------------------------
  // a pane that holds one line instead of a result: a refusal, or a placeholder
  function note(pane, kind, line) {
    pane.textContent = "";
    var p = document.createElement("p");
    p.className = kind;
    p.textContent = line;
    pane.appendChild(p);
  }
  function refused(pane, line) { note(pane, "refused", line); }
  // printed text as a terminal shows it: after a carriage return a line is drawn again (tqdm's
  // progress bar, fit(progress=True)), so only its last drawing stays
  function terminal(text) {
    return text.split("\n").map(function (line) {
      var drawings = line.split("\r").filter(function (part) { return part !== ""; });
      return drawings.length ? drawings[drawings.length - 1] : "";
    }).join("\n");
  }
  function placeholder(pane, text) { note(pane, "placeholder", text); }
  function clearResults(why) {
    ["graph", "explain", "step", "output"].forEach(function (id) { placeholder($(id), why); });
    $("value").hidden = true;
    for (var i = 0; i < tabs.length; i++) { tabs[i].classList.add("empty"); }
  }
  function showError(error) {
    var box = $("error");
    box.textContent = "";
    if (!error) { box.hidden = true; return; }
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = error.line;
    details.appendChild(summary);
    if (error.traceback) {
      var pre = document.createElement("pre");
      pre.textContent = error.traceback;
      details.appendChild(pre);
    }
    box.appendChild(details);
    box.hidden = false;
  }

  // half as big again as draw's picture, as the step-through shows it, for a room's screen;
  // CSS keeps it within the pane
  function enlarge(svg) {
    if (!svg) { return; }
    ["width", "height"].forEach(function (name) {
      var m = /^([\d.]+)pt$/.exec(svg.getAttribute(name) || "");
      if (m) { svg.setAttribute(name, (parseFloat(m[1]) * 1.5) + "pt"); }
    });
  }

  function show(m) {
    var received = performance.now();
    var took = received - running.start;
    running = null;
    setState("ready");
    showError(m.error);
    var value = $("value");
    value.hidden = m.repr === null;
    value.textContent = m.repr === null ? "" : "→ " + m.repr;

    var graph = $("graph"), explain = $("explain"), step = $("step");
    var none = m.error ? _("no graph: the code raised an error")
      : _("the last line is not a Value: end the code with one (e.g. J) to see its graph");
    if (m.graph && m.graph.svg) {
      graph.innerHTML = m.graph.svg;
      enlarge(graph.querySelector("svg"));
    }
    else if (m.graph) { refused(graph, m.graph.error); }
    else { placeholder(graph, none); }
    if (m.explain && m.explain.text !== undefined) { explain.textContent = m.explain.text; }
    else if (m.explain) { refused(explain, m.explain.error); }
    else { placeholder(explain, none); }
    step.textContent = "";
    if (m.step && m.step.html) {
      var frame = document.createElement("iframe");
      frame.setAttribute("sandbox", "allow-scripts");
      frame.setAttribute("title", _("step through the forward and backward pass"));
      frame.srcdoc = m.step.html;
      step.appendChild(frame);
    } else if (m.step) { refused(step, m.step.error); }
    else { placeholder(step, none); }
    var output = $("output");
    output.textContent = terminal(m.output);
    if (!m.output) { placeholder(output, _("(nothing printed)")); }

    var filled = { graph: !!(m.graph && m.graph.svg), explain: !!(m.explain && m.explain.text),
                   step: !!(m.step && m.step.html), output: !!m.output };
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].classList.toggle("empty", !filled[tabs[i].getAttribute("data-tab")]);
    }
    var current = document.body.getAttribute("data-tab") || "graph";
    if (!filled[current]) {
      selectTab(["graph", "output", "explain", "step"].filter(function (k) { return filled[k]; })[0]
                || (m.graph ? "graph" : "output"));
    }
    var shown = performance.now() - received;
    var times = { total: took + shown, python: m.ms.run, draw: m.ms.graph || 0,
                  explain: m.ms.explain || 0, step: m.ms.step || 0, worker: m.ms.worker,
                  show: shown };
    window.microgridPlayground.runs.push(times);
    var spent = { total: Math.round(times.total), python: Math.round(times.python),
                  drawing: Math.round(times.draw + times.step) };
    setStatus(m.error ? _("raised an error in {total} ms (Python {python} ms, drawing {drawing} ms)", spent)
      : _("done in {total} ms (Python {python} ms, drawing {drawing} ms)", spent));
    document.body.setAttribute("data-runs", String(window.microgridPlayground.runs.length));
  }

  window.addEventListener("hashchange", function () {
    var text = fromLink();
    if (text !== null && text !== code.value) { code.value = text; showExample(); runCode(); }
  });
  selectTab("graph");
  startWorker();
})();
