/* The step-through page of microgrid: shows the frames Python prepared, one at a time.
 *
 * The page knows nothing of derivatives. Every number and every line of text comes from the
 * JSON block beside the picture, which Python wrote from the engine's own records of the
 * forward and backward pass. A frame holds what changes at that step (a node's data, a node's
 * grad, the edges and nodes to highlight, the line of the derivation); the state at step k is
 * the start plus the changes of frames 0..k, so any step can be shown directly (slider, End).
 *
 * The parts, each a function below: reading the picture (readGraph), working out and drawing a
 * frame (stateAt, renderFrame), keeping what the frame highlights in view (follow), the zoom
 * (fit, zoomTo, and the wheel and drag handlers) and the controls (play, buttons, keys).
 */
function microgridStepThrough(root) {
  "use strict";
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector(".mg-step-data").textContent);
  var strings = data.strings || {};
  // a sentence in the page's language (Python put the translations in data.strings), its
  // {name} placeholders filled after the look-up, so a translation may reorder them
  function _(message, fields) {
    var text = strings[message] || message;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return fields && name in fields ? String(fields[name]) : m;
    });
  }
  var frames = data.frames;
  var view = root.querySelector(".mg-step-graph");
  var svg = view.querySelector("svg");
  var standalone = root.getAttribute("data-standalone") === "true";
  var graph = readGraph(svg);
  var ui = {
    slider: root.querySelector(".mg-slider"),
    counter: root.querySelector(".mg-counter"),
    phase: root.querySelector(".mg-phase"),
    line: root.querySelector(".mg-line"),
    play: root.querySelector(".mg-play"),
    zoom: root.querySelector(".mg-zoom-level")
  };
  ui.slider.max = String(frames.length - 1);
  var at = 0;
  var timer = null;
  var natural = {w: parseFloat(svg.getAttribute("data-width")) || svg.getBBox().width,
                 h: parseFloat(svg.getAttribute("data-height")) || svg.getBBox().height};
  var MIN_FIT = 0.6;  // fitting never shrinks text below 60% of its size: past that, pan
  var scale = 1;
  var fitted = true;  // the zoom follows the window until the reader zooms by hand

  // --- the picture ------------------------------------------------------------------------

  // each Value's record: its group, its name, data and grad texts, and the width of the cell
  // each text sits in (from the record's outline and the lines between its fields)
  function readGraph(svg) {
    var nodes = {}, edges = {};
    var groups = svg.querySelectorAll("g.node[data-node]");
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i];
      var n = {g: g, data: g.querySelector("text.mg-data"), grad: g.querySelector("text.mg-grad")};
      n.dataCell = cellWidth(g, n.data);
      n.gradCell = cellWidth(g, n.grad);
      nodes[g.getAttribute("data-node")] = n;
    }
    var edgeGroups = svg.querySelectorAll("g.edge[data-edge]");
    for (i = 0; i < edgeGroups.length; i++) {
      edges[edgeGroups[i].getAttribute("data-edge")] = edgeGroups[i];
    }
    return {nodes: nodes, edges: edges, all: svg.querySelectorAll("g.node")};
  }

  function cellWidth(g, text) {
    if (!text) { return Infinity; }
    var box = g.querySelector("polygon").getBBox();
    var x = parseFloat(text.getAttribute("x"));
    var left = box.x, right = box.x + box.width;
    var lines = g.querySelectorAll("polyline");
    for (var i = 0; i < lines.length; i++) {
      var b = lines[i].getBBox();
      if (b.width > 0.5) { continue; }  // a line across the record: it bounds no width
      if (b.x < x) { left = Math.max(left, b.x); } else { right = Math.min(right, b.x); }
    }
    return right - left;
  }

  // a text wider than its cell (a font wider than Graphviz measured) is squeezed into it
  function setText(el, text, cell, changed, unknown) {
    if (!el) { return; }
    el.textContent = text;
    el.removeAttribute("textLength");
    el.removeAttribute("lengthAdjust");
    var room = cell - 4;
    if (room > 0 && el.getComputedTextLength() > room) {
      el.setAttribute("textLength", String(room));
      el.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
    el.classList.toggle("mg-changed", !!changed);
    el.classList.toggle("mg-unknown", !!unknown);
  }

  // --- frames -----------------------------------------------------------------------------

  // each node's texts at step k: the start, plus the changes of frames 0..k
  function stateAt(k) {
    var s = {data: {}, grad: {}, exact: {}, known: {}, zero: {}};
    var key;
    for (key in data.start.data) { s.data[key] = data.start.data[key]; }
    for (key in data.start.grad) { s.grad[key] = data.start.grad[key]; }
    for (var j = 0; j <= k; j++) {
      var p = frames[j];
      for (key in p.data || {}) { s.data[key] = p.data[key]; s.known[key] = true; }
      for (key in p.zero || {}) { s.grad[key] = p.zero[key]; s.zero[key] = true; }
      for (key in p.grad || {}) { s.grad[key] = p.grad[key]; delete s.zero[key]; }
      for (key in p.exact || {}) { s.exact[key] = p.exact[key]; }
    }
    return s;
  }

  var beforeShow = null;  // a hook (the quiz): returns false to keep step k hidden for now
  function renderFrame(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    if (beforeShow && beforeShow(k) === false) { stop(); return; }
    at = k;
    var s = stateAt(k);
    var f = frames[k];
    var key, i;
    for (key in graph.nodes) {
      var n = graph.nodes[key];
      var unknownData = data.start.unknown.indexOf(key) >= 0 && !s.known[key];
      setText(n.data, s.data[key], n.dataCell, f.data && key in f.data, unknownData);
      // a node used more than once shows its running sum in its grad cell at that step
      var note = f.note && f.note[key];
      setText(n.grad, note || s.grad[key], n.gradCell, f.grad && key in f.grad,
              s.grad[key] === data.start.grad[key] || s.zero[key]);
      if (n.grad) { n.grad.classList.toggle("mg-note", !!note); }
      if (key in s.exact) { n.g.setAttribute("data-grad", s.exact[key]); }
      else { n.g.removeAttribute("data-grad"); }
    }
    for (i = 0; i < graph.all.length; i++) {
      var name = graph.all[i].getAttribute("data-node");
      graph.all[i].classList.toggle("mg-focus", name !== null && name === f.focus);
      graph.all[i].classList.toggle("mg-from", name !== null && name === f.from);
    }
    var active = {};
    for (i = 0; i < (f.edges || []).length; i++) { active[f.edges[i]] = true; }
    for (key in graph.edges) { graph.edges[key].classList.toggle("mg-active", !!active[key]); }
    root.setAttribute("data-phase", f.phase);
    root.setAttribute("data-step", String(k));
    ui.phase.textContent = f.title;
    ui.line.textContent = f.line;
    ui.slider.value = String(k);
    ui.counter.textContent = _("step {k} / {n}", {k: k, n: frames.length - 1});
    follow();
  }

  // the caption is as tall as its longest line needs, at every step, so the picture below it
  // never jumps up and down while stepping
  function reserveCaption() {
    var caption = root.querySelector(".mg-step-caption");
    caption.style.minHeight = "";
    var before = [ui.phase.textContent, ui.line.textContent];
    var tallest = 0;
    for (var k = 0; k < frames.length; k++) {
      ui.phase.textContent = frames[k].title;
      ui.line.textContent = frames[k].line;
      tallest = Math.max(tallest, caption.getBoundingClientRect().height);
    }
    ui.phase.textContent = before[0];
    ui.line.textContent = before[1];
    caption.style.boxSizing = "border-box";
    caption.style.minHeight = tallest + "px";
  }

  // --- keeping the step in view -----------------------------------------------------------

  // what the frame highlights: the focused node first (it must be seen), then the node the
  // gradient comes from and the edges between
  function highlighted() {
    var out = [];
    var focus = svg.querySelector("g.mg-focus");
    if (focus) { out.push(focus); }
    var more = svg.querySelectorAll("g.mg-from, g.edge.mg-active");
    for (var i = 0; i < more.length; i++) { out.push(more[i]); }
    return out;
  }

  function union(elements) {
    var box = null;
    for (var i = 0; i < elements.length; i++) {
      var r = elements[i].getBoundingClientRect();
      if (!box) { box = {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }
      else {
        box = {left: Math.min(box.left, r.left), top: Math.min(box.top, r.top),
               right: Math.max(box.right, r.right), bottom: Math.max(box.bottom, r.bottom)};
      }
    }
    return box;
  }

  // scroll the picture (never the page) so the highlighted parts are inside it, with a margin;
  // when they don't all fit, the focused node wins
  function follow() {
    var parts = highlighted();
    if (!parts.length) { return; }
    var port = view.getBoundingClientRect();
    var pad = 24;
    var want = union(parts);
    if (want.right - want.left > port.width - 2 * pad ||
        want.bottom - want.top > port.height - 2 * pad) {
      want = union(parts.slice(0, 1));
    }
    var dx = 0, dy = 0;
    if (want.left < port.left + pad) { dx = want.left - port.left - pad; }
    else if (want.right > port.right - pad) { dx = want.right - port.right + pad; }
    if (want.top < port.top + pad) { dy = want.top - port.top - pad; }
    else if (want.bottom > port.bottom - pad) { dy = want.bottom - port.bottom + pad; }
    // centre what must move into view, so the next steps nearby need no scroll
    if (dx) { dx += ((want.left + want.right) - (port.left + port.right)) / 2 - dx; }
    if (dy) { dy += ((want.top + want.bottom) - (port.top + port.bottom)) / 2 - dy; }
    view.scrollLeft += dx;
    view.scrollTop += dy;
  }

  // --- zoom -------------------------------------------------------------------------------

  function room() {
    var width = view.clientWidth - 8;
    // alone the page gives the picture the rest of the window; in a notebook 70% of it
    var height = standalone ? view.clientHeight - 8 : Math.round(window.innerHeight * 0.7);
    return {w: Math.max(width, 50), h: Math.max(height, 50)};
  }

  // the largest size up to the natural one at which the whole picture shows, but never so
  // small that the text can't be read
  function fitScale() {
    var r = room();
    return Math.max(MIN_FIT, Math.min(1, r.w / natural.w, r.h / natural.h));
  }

  // zoom to s, keeping the point under (cx, cy) (client coordinates) where it is
  function zoomTo(s, cx, cy) {
    s = Math.max(0.2, Math.min(4, s));
    var port = view.getBoundingClientRect();
    if (cx === undefined) { cx = port.left + port.width / 2; cy = port.top + port.height / 2; }
    var x = (view.scrollLeft + cx - port.left) / scale;
    var y = (view.scrollTop + cy - port.top) / scale;
    scale = s;
    svg.style.width = (natural.w * s) + "px";
    svg.style.height = (natural.h * s) + "px";
    if (!standalone) { view.style.maxHeight = room().h + "px"; }
    view.scrollLeft = x * s - (cx - port.left);
    view.scrollTop = y * s - (cy - port.top);
    ui.zoom.textContent = Math.round(s * 100) + "%";
    root.setAttribute("data-zoom", s.toFixed(3));
  }

  function fit() {
    fitted = true;
    zoomTo(fitScale());
    follow();
  }

  function zoomBy(factor, cx, cy) {
    fitted = false;
    zoomTo(scale * factor, cx, cy);
  }

  // ctrl + wheel (and a touchpad's pinch, which arrives as one) zooms at the pointer; the
  // wheel alone scrolls the picture as usual
  view.addEventListener("wheel", function (e) {
    if (!e.ctrlKey) { return; }
    e.preventDefault();
    zoomBy(Math.exp(-e.deltaY * 0.002), e.clientX, e.clientY);
  }, {passive: false});

  // drag the picture to pan it
  var drag = null;
  view.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || e.pointerType === "touch") { return; }
    drag = {x: e.clientX, y: e.clientY, left: view.scrollLeft, top: view.scrollTop};
    view.setPointerCapture(e.pointerId);
    view.classList.add("mg-dragging");
  });
  view.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    view.scrollLeft = drag.left - (e.clientX - drag.x);
    view.scrollTop = drag.top - (e.clientY - drag.y);
  });
  function endDrag() { drag = null; view.classList.remove("mg-dragging"); }
  view.addEventListener("pointerup", endDrag);
  view.addEventListener("pointercancel", endDrag);

  var width = root.clientWidth;
  function refit() {
    if (root.clientWidth !== width) { width = root.clientWidth; reserveCaption(); }
    if (fitted) { fit(); } else { follow(); }
  }
  if (window.ResizeObserver) { new ResizeObserver(refit).observe(standalone ? view : root); }
  else { window.addEventListener("resize", refit); }

  // --- controls ---------------------------------------------------------------------------

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    ui.play.textContent = "\u25B6 " + _("play");
    ui.play.setAttribute("aria-label", _("play"));
  }
  function start() {
    if (at >= frames.length - 1) { renderFrame(0); }
    ui.play.textContent = "\u2016 " + _("pause");
    ui.play.setAttribute("aria-label", _("pause"));
    timer = setInterval(function () {
      if (at >= frames.length - 1) { stop(); } else { renderFrame(at + 1); }
    }, data.interval);
  }
  function toggle() { if (timer === null) { start(); } else { stop(); } }
  function go(k) { stop(); renderFrame(k); }

  function on(cls, action) {
    root.querySelector(cls).addEventListener("click", action);
  }
  on(".mg-first", function () { go(0); });
  on(".mg-prev", function () { go(at - 1); });
  on(".mg-next", function () { go(at + 1); });
  on(".mg-last", function () { go(frames.length - 1); });
  on(".mg-zoom-in", function () { zoomBy(1.25); });
  on(".mg-zoom-out", function () { zoomBy(0.8); });
  on(".mg-zoom-fit", fit);
  ui.play.addEventListener("click", toggle);
  ui.slider.addEventListener("input", function () { go(parseInt(ui.slider.value, 10)); });

  function onKey(e) {
    if (e.target && e.target.tagName === "INPUT") { return; }  // the slider moves itself
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var k = e.key;
    if (k === "ArrowRight") { go(at + 1); }
    else if (k === "ArrowLeft") { go(at - 1); }
    else if (k === "Home") { go(0); }
    else if (k === "End") { go(frames.length - 1); }
    else if (k === " " || k === "Spacebar") { toggle(); }
    else if (k === "+" || k === "=") { zoomBy(1.25); }
    else if (k === "-") { zoomBy(0.8); }
    else if (k === "0") { fit(); }
    else { return; }
    e.preventDefault();
  }
  // alone on its page the arrows work anywhere; inside a notebook only once the widget has focus
  if (standalone) {
    document.addEventListener("keydown", onKey);
  } else {
    root.addEventListener("keydown", onKey);
    root.addEventListener("click", function (e) {
      if (!e.target || e.target.tagName !== "INPUT") { root.focus({preventScroll: true}); }
    });
  }
  reserveCaption();
  fit();
  if (data.quiz && typeof microgridQuiz === "function") {
    beforeShow = microgridQuiz(root, data, renderFrame);
  }
  renderFrame(0);
}
