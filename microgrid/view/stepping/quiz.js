/* Quiz mode of the step-through page: each backward step is asked before it is shown.
 *
 * The page calls microgridQuiz(root, data, show) once; it returns the hook the page calls
 * before showing step k: false keeps step k hidden (the quiz then shows step k - 1 and asks
 * for step k's number). Every number and sentence comes from data.frames[k].quiz, which
 * Python wrote from the engine's records; this script only compares numbers.
 */
function microgridQuiz(root, data, show) {
  "use strict";
  var frames = data.frames;
  var strings = data.strings || {};
  function _(message, fields) {  // as the page's: a sentence in the page's language
    var text = strings[message] || message;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return fields && name in fields ? String(fields[name]) : m;
    });
  }
  var tol = data.quizTol;
  var results = {};  // step -> {value, ok, text}
  var total = 0;
  for (var i = 0; i < frames.length; i++) { if (frames[i].quiz) { total++; } }

  var box = document.createElement("div");
  box.className = "mg-quiz";
  box.innerHTML = '<div class="mg-quiz-row"><span class="mg-quiz-ask"></span>' +
    '<input class="mg-quiz-input" type="text" inputmode="decimal" autocomplete="off">' +
    '<button type="button" class="mg-quiz-check"></button></div>' +
    '<div class="mg-quiz-feedback" aria-live="polite"></div><div class="mg-quiz-score"></div>';
  box.querySelector(".mg-quiz-input").setAttribute("aria-label", _("your answer"));
  box.querySelector(".mg-quiz-check").textContent = _("check");
  var caption = root.querySelector(".mg-step-caption");
  if (caption && caption.parentNode) { caption.parentNode.insertBefore(box, caption.nextSibling); }
  else { root.insertBefore(box, root.firstChild); }
  var row = box.querySelector(".mg-quiz-row");
  var ask = box.querySelector(".mg-quiz-ask");
  var input = box.querySelector(".mg-quiz-input");
  var button = box.querySelector(".mg-quiz-check");
  var feedback = box.querySelector(".mg-quiz-feedback");
  var score = box.querySelector(".mg-quiz-score");
  var pending = null;

  function near(a, b) { return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)); }
  function right() {
    var n = 0;
    for (var k in results) { if (results[k].ok) { n++; } }
    return n;
  }
  function answered() { return Object.keys(results).length; }
  function setScore(end) {
    box.classList.toggle("mg-quiz-done", !!end);
    score.textContent = end ? _("Final score: {right} / {total} right", {right: right(), total: total})
      : _("Score: {right} / {answered} right ({total} questions)",
          {right: right(), answered: answered(), total: total});
  }
  function state(kind) {
    box.classList.toggle("mg-quiz-right", kind === "right");
    box.classList.toggle("mg-quiz-wrong", kind === "wrong");
    root.setAttribute("data-quiz", kind || "");
  }

  function grade(q, typed) {
    if (near(typed, q.answer)) { return {ok: true, text: "\u2713 " + _("right: {line}", {line: q.line})}; }
    for (var j = 0; j < q.slips.length; j++) {
      var s = q.slips[j];
      if (near(typed, s[0])) {
        return {ok: false, kind: s[1],
                text: "\u2717 " + _("{slip}. The step: {line}", {slip: s[2], line: q.line})};
      }
    }
    if (Math.abs(typed - q.answer) <= 0.01 * Math.abs(q.answer)) {
      return {ok: false, kind: "rounding", text: "\u2717 " + _(
        "close, but outside the tolerance (±{tol} · max(1, |answer|)): keep more digits. The step: {line}",
        {tol: tol, line: q.line})};
    }
    return {ok: false, kind: "other", text: "\u2717 " + _("not quite. The step: {line}", {line: q.line})};
  }

  function submit() {
    if (pending === null) { return; }
    var text = input.value.replace(/\u2212/g, "-").trim();
    var typed = text === "" ? NaN : Number(text);
    if (!isFinite(typed)) {
      feedback.textContent = _("Type a number, such as -0.25.");
      return;
    }
    var k = pending;
    var r = grade(frames[k].quiz, typed);
    r.value = text;
    results[k] = r;
    pending = null;
    show(k);
  }
  button.addEventListener("click", submit);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); submit(); }
    e.stopPropagation();  // typing is not stepping
  });

  function asking(k) {
    var q = frames[k].quiz;
    pending = k;
    box.hidden = false;
    state("");
    root.setAttribute("data-asking", String(k));
    row.hidden = false;
    ask.textContent = q.ask;
    input.disabled = false;
    button.disabled = false;
    input.value = "";
    feedback.textContent = "";
    setScore(false);
    input.focus({preventScroll: true});
  }

  function reveal(k) {
    root.removeAttribute("data-asking");
    var r = results[k];
    row.hidden = !r;
    if (r) {
      ask.textContent = frames[k].quiz.ask;
      input.value = r.value;
      input.disabled = true;
      button.disabled = true;
      feedback.textContent = r.text;
      state(r.ok ? "right" : "wrong");
    } else {
      feedback.textContent = frames[k].phase === "end" ? "" :
        _("Each backward step is asked before it is shown: type its number, then Enter.");
      state("");
    }
    setScore(frames[k].phase === "end");
  }

  // the hook: step k is shown only once every question up to it is answered
  return function (k) {
    for (var j = 0; j <= k; j++) {
      if (frames[j].quiz && !(j in results)) {
        var again = pending === j, typed = input.value;
        show(j - 1);  // the state just before the step asked about
        asking(j);
        if (again) { input.value = typed; }  // asked again: keep what was typed
        return false;
      }
    }
    pending = null;
    reveal(k);
    return true;
  };
}
