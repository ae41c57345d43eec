/* The step-through page of microgrid: shows the frames Python prepared, one at a time.
 *
 * The page knows nothing of derivatives. Every number and every line of text comes from the
 * JSON block beside the picture, which Python wrote from the engine's own records of the
 * forward and backward pass. A frame holds what changes at that step (a node's data, a node's
 * grad, the edges and nodes to highlight, the line of the derivation); the state at step k is
 * the start plus the changes of frames 0..k, so any step can be shown directly (slider, End).
 */
function microgridStepThrough(root) {
  "use strict";
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector(".mg-step-data").textContent);
  var frames = data.frames;
  var svg = root.querySelector(".mg-step-graph svg");
  var nodes = {};
  var groups = svg.querySelectorAll("g.node[data-node]");
  for (var i = 0; i < groups.length; i++) {
    var g = groups[i];
    nodes[g.getAttribute("data-node")] = {
      g: g,
      name: g.querySelector("text.mg-name"),
      data: g.querySelector("text.mg-data"),
      grad: g.querySelector("text.mg-grad")
    };
  }
  var edges = {};
  var edgeGroups = svg.querySelectorAll("g.edge[data-edge]");
  for (i = 0; i < edgeGroups.length; i++) {
    edges[edgeGroups[i].getAttribute("data-edge")] = edgeGroups[i];
  }
  var allNodes = svg.querySelectorAll("g.node");

  var slider = root.querySelector(".mg-slider");
  var counter = root.querySelector(".mg-counter");
  var phase = root.querySelector(".mg-phase");
  var line = root.querySelector(".mg-line");
  var play = root.querySelector(".mg-play");
  slider.max = String(frames.length - 1);
  var at = 0;
  var timer = null;

  // the names every view shares (labels, else t1 / x1), written into the picture once
  for (var id in data.names) {
    if (nodes[id] && nodes[id].name) { nodes[id].name.textContent = data.names[id]; }
  }

  function setText(el, text, changed, unknown) {
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("mg-changed", !!changed);
    el.classList.toggle("mg-unknown", !!unknown);
  }

  // a running sum (grad 2 → 14 (+12)) is written just above the node's box
  function addNote(n, text) {
    var note = document.createElementNS("http://www.w3.org/2000/svg", "text");
    note.setAttribute("class", "mg-note");
    note.setAttribute("text-anchor", "middle");
    note.setAttribute("x", n.grad.getAttribute("x"));
    note.setAttribute("y", String(n.g.getBBox().y - 5));
    note.textContent = text;
    n.g.appendChild(note);
  }

  var beforeShow = null;  // a hook (the quiz): returns false to keep step k hidden for now
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    if (beforeShow && beforeShow(k) === false) { stop(); return; }
    at = k;
    var dataText = {}, gradText = {}, exact = {}, known = {};
    var key;
    for (key in data.start.data) { dataText[key] = data.start.data[key]; }
    for (key in data.start.grad) { gradText[key] = data.start.grad[key]; }
    for (var j = 0; j <= k; j++) {
      var p = frames[j];
      for (key in p.data || {}) { dataText[key] = p.data[key]; known[key] = true; }
      for (key in p.grad || {}) { gradText[key] = p.grad[key]; }
      for (key in p.exact || {}) { exact[key] = p.exact[key]; }
    }
    var f = frames[k];
    for (key in nodes) {
      var n = nodes[key];
      var unknownData = data.start.unknown.indexOf(key) >= 0 && !known[key];
      setText(n.data, dataText[key], f.data && key in f.data, unknownData);
      setText(n.grad, gradText[key], f.grad && key in f.grad,
              gradText[key] === data.start.grad[key]);
      var old = n.g.querySelector("text.mg-note");
      if (old) { old.parentNode.removeChild(old); }
      if (f.note && f.note[key] && n.grad) { addNote(n, f.note[key]); }
      if (key in exact) { n.g.setAttribute("data-grad", exact[key]); }
      else { n.g.removeAttribute("data-grad"); }
    }
    for (i = 0; i < allNodes.length; i++) {
      var name = allNodes[i].getAttribute("data-node");
      allNodes[i].classList.toggle("mg-focus", name !== null && name === f.focus);
      allNodes[i].classList.toggle("mg-from", name !== null && name === f.from);
    }
    var active = {};
    for (i = 0; i < (f.edges || []).length; i++) { active[f.edges[i]] = true; }
    for (key in edges) { edges[key].classList.toggle("mg-active", !!active[key]); }
    root.setAttribute("data-phase", f.phase);
    root.setAttribute("data-step", String(k));
    phase.textContent = f.title;
    line.textContent = f.line;
    slider.value = String(k);
    counter.textContent = "step " + k + " / " + (frames.length - 1);
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.innerHTML = "&#x25B6; play";
    play.setAttribute("aria-label", "play");
  }
  function start() {
    if (at >= frames.length - 1) { show(0); }
    play.innerHTML = "&#x2016; pause";
    play.setAttribute("aria-label", "pause");
    timer = setInterval(function () {
      if (at >= frames.length - 1) { stop(); } else { show(at + 1); }
    }, data.interval);
  }
  function toggle() { if (timer === null) { start(); } else { stop(); } }

  root.querySelector(".mg-first").addEventListener("click", function () { stop(); show(0); });
  root.querySelector(".mg-prev").addEventListener("click", function () { stop(); show(at - 1); });
  root.querySelector(".mg-next").addEventListener("click", function () { stop(); show(at + 1); });
  root.querySelector(".mg-last").addEventListener("click", function () {
    stop(); show(frames.length - 1);
  });
  play.addEventListener("click", toggle);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });

  function onKey(e) {
    if (e.target && e.target.tagName === "INPUT") { return; }  // the slider moves itself
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var k = e.key;
    if (k === "ArrowRight") { stop(); show(at + 1); }
    else if (k === "ArrowLeft") { stop(); show(at - 1); }
    else if (k === "Home") { stop(); show(0); }
    else if (k === "End") { stop(); show(frames.length - 1); }
    else if (k === " " || k === "Spacebar") { toggle(); }
    else { return; }
    e.preventDefault();
  }
  // alone on its page the arrows work anywhere; inside a notebook only once the widget has focus
  if (root.getAttribute("data-standalone") === "true") {
    document.addEventListener("keydown", onKey);
  } else {
    root.addEventListener("keydown", onKey);
    root.addEventListener("click", function (e) {
      if (!e.target || e.target.tagName !== "INPUT") { root.focus({preventScroll: true}); }
    });
  }
  if (data.quiz && typeof microgridQuiz === "function") {
    beforeShow = microgridQuiz(root, data, show);
  }
  show(0);
}
