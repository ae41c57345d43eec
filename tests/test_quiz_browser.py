"""The quiz page as a learner meets it: saved, opened in headless Chromium with the network
off, answered with the keyboard, and read back from what the page shows (the colour of the
answer box, the diagnosis, the score). Screenshots at 1280×800 are saved in the test's
temporary folder."""

from __future__ import annotations

import pytest
from conftest import course_values
from test_stepping_browser import _errors, _open, _state, browser  # noqa: F401  (a fixture)

import microgrid as mg
from microgrid import Value
from microgrid.view.names import node_names


def _course():
    return course_values()[0]


def _quiz(driver):
    return driver.execute_script("""
        const root = document.querySelector(".mg-step");
        const box = root.querySelector(".mg-quiz");
        const input = box.querySelector(".mg-quiz-input");
        return {asking: root.getAttribute("data-asking"), verdict: root.getAttribute("data-quiz"),
                ask: box.querySelector(".mg-quiz-ask").textContent,
                feedback: box.querySelector(".mg-quiz-feedback").textContent,
                score: box.querySelector(".mg-quiz-score").textContent,
                background: getComputedStyle(input).backgroundColor,
                colour: getComputedStyle(box.querySelector(".mg-quiz-feedback")).color,
                disabled: input.disabled};
    """)


def _answer(driver, text):
    box = driver.find_element("css selector", ".mg-quiz-input")
    box.send_keys(text + "\n")


def _next(driver):
    driver.find_element("css selector", ".mg-next").click()


def test_a_right_and_a_wrong_answer_and_the_score(browser, tmp_path):  # noqa: F811
    J = _course()
    steps = mg.backward_steps(J)
    page = tmp_path / "quiz.html"
    mg.step_through(J, quiz=True).save(page)
    assert _open(browser, page) == [page.resolve().as_uri()]  # nothing else is fetched
    browser.set_window_size(1280, 800)
    quiz = _quiz(browser)
    assert quiz["asking"] is None and "Score: 0 / 0 right (5 questions)" == quiz["score"]
    # walk the forward pass and the seed; the first backward step is asked, not shown
    for _ in range(20):
        if _quiz(browser)["asking"] is not None:
            break
        _next(browser)
    quiz = _quiz(browser)
    first = steps[0]
    asked_at = int(quiz["asking"])
    assert _state(browser)["step"] == asked_at - 1  # the step before it is what shows
    assert quiz["ask"] == "dJ/dv += dJ/dJ · ∂J/∂v = ?"
    _next(browser)  # stepping on is refused until it is answered
    assert _state(browser)["step"] == asked_at - 1
    browser.find_element("css selector", ".mg-quiz-input").send_keys("2")
    _next(browser)  # what was typed stays
    assert browser.find_element("css selector", ".mg-quiz-input").get_attribute("value") == "2"
    browser.find_element("css selector", ".mg-prev").click()  # back, and on again: asked again
    assert _quiz(browser)["asking"] is None and _state(browser)["step"] == asked_at - 2
    _next(browser)
    _next(browser)
    assert _quiz(browser)["asking"] == str(asked_at) and _quiz(browser)["ask"].endswith("= ?")
    assert browser.find_element("css selector", ".mg-quiz-row").is_displayed()
    browser.find_element("css selector", ".mg-quiz-input").clear()
    browser.save_screenshot(str(tmp_path / "asking.png"))

    _answer(browser, "3")  # right: green, and the step is shown
    quiz = _quiz(browser)
    assert quiz["verdict"] == "right" and quiz["feedback"].startswith("✓ right: dJ/dv += ")
    assert quiz["background"] == "rgb(218, 251, 225)" and quiz["colour"] == "rgb(26, 127, 55)"
    assert _state(browser)["step"] == asked_at and quiz["disabled"]
    assert first.contribution == 3.0
    browser.save_screenshot(str(tmp_path / "right.png"))

    _next(browser)  # dJ/da += dJ/dv · ∂v/∂a: answer with the sign flipped
    quiz = _quiz(browser)
    assert quiz["ask"].startswith("dJ/d") and quiz["asking"] is not None
    right = next(s for s in steps if f"dJ/d{s.node.label} +=" in quiz["ask"]).contribution
    _answer(browser, f"{-right:g}")
    quiz = _quiz(browser)
    assert quiz["verdict"] == "wrong" and quiz["feedback"].startswith("✗ the sign is flipped")
    assert quiz["background"] == "rgb(255, 235, 233)" and quiz["colour"] == "rgb(207, 34, 46)"
    assert "Score: 1 / 2 right" in quiz["score"]
    browser.save_screenshot(str(tmp_path / "wrong.png"))

    # the rest: a missing factor, not a number (asked again), then right answers
    _next(browser)
    ask = _quiz(browser)["ask"]
    step = next(s for s in steps if f"dJ/d{s.node.label} +=" in ask)
    _answer(browser, "abc")
    quiz = _quiz(browser)
    assert quiz["feedback"] == "Type a number, such as -0.25." and quiz["asking"] is not None
    browser.find_element("css selector", ".mg-quiz-input").clear()
    _answer(browser, f"{step.local:g}" if step.upstream != 1 else f"{step.contribution:g}")
    while True:
        _next(browser)
        quiz = _quiz(browser)
        if quiz["asking"] is None:
            break
        ask = quiz["ask"]
        step = next(s for s in steps if f"dJ/d{s.node.label} +=" in ask)
        _answer(browser, f"{step.contribution:g}")
    browser.find_element("css selector", ".mg-last").click()
    quiz = _quiz(browser)
    assert _state(browser)["phase"] == "end"
    assert quiz["score"] == "Final score: 3 / 5 right", quiz
    browser.save_screenshot(str(tmp_path / "score.png"))
    assert _errors(browser) == []


def test_a_node_used_twice_is_asked_for_its_running_sum(browser, tmp_path):  # noqa: F811
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    u = a * b
    u.label = "u"
    J = 2 * (u + b)
    J.label = "J"
    page = tmp_path / "twice.html"
    mg.step_through(J, quiz=True).save(page)
    _open(browser, page)
    browser.find_element("css selector", ".mg-last").click()  # jumps to the first question
    steps = mg.backward_steps(J)
    names = node_names(mg.topological_order(J))
    seen = set()
    while True:
        quiz = _quiz(browser)
        if quiz["asking"] is None:
            _next(browser)
            if _state(browser)["phase"] == "end":
                break
            continue
        if "was" in quiz["ask"]:  # b's second term: forget the sum
            step = [s for s in steps if s.node is b][1]
            assert quiz["ask"].startswith(f"dJ/db was {step.before:g}; now dJ/db = ")
            _answer(browser, f"{step.contribution:g}")
            quiz = _quiz(browser)
            assert quiz["verdict"] == "wrong" and "already holds" in quiz["feedback"]
            seen.add("sum")
        else:
            s = next(s for s in steps if f"dJ/d{names[s.node]} +=" in quiz["ask"]
                     and id(s) not in seen)
            seen.add(id(s))
            _answer(browser, f"{s.contribution:g}")
    assert "sum" in seen
    assert _quiz(browser)["score"].startswith("Final score: ")


def test_the_quiz_data_come_from_the_records():
    J = _course()
    page = mg.step_through(J, quiz=True)
    questions = [f["quiz"] for f in page.frames if "quiz" in f]
    steps = mg.backward_steps(J)
    assert [q["answer"] for q in questions] == [s.contribution for s in steps]
    assert all(q["line"].endswith(f"= {q['shown']}") for q in questions)
    assert '"quiz": true' in page.html() and "microgridQuiz" in page.html()
    plain = mg.step_through(J)
    assert "function microgridQuiz" not in plain.html() and "quiz" not in plain.frames[-2]
    with pytest.raises(TypeError, match="quiz must be True or False"):
        mg.step_through(J, quiz="yes")


def test_a_step_with_an_infinite_number_is_shown_not_asked():
    """IEEE corners: a step whose number is inf is revealed as the engine has it (the page's
    JSON holds no inf), the finite ones are asked."""
    a = Value(0.0, label="a")
    J = a.log() * 2
    J.label = "J"
    page = mg.step_through(J, quiz=True)
    asked = [f["quiz"]["answer"] for f in page.frames if "quiz" in f]
    assert asked == [2.0]
    data = page._data()
    assert "Infinity" not in data and "NaN" not in data and "inf" in data  # a step line shows inf
