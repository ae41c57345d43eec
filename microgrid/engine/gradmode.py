"""Grad mode: whether the ops you run record a graph, as PyTorch's ``no_grad`` works.

The mode belongs to the running thread (and asyncio task): it is a ``contextvars`` variable, so
one thread inside ``no_grad()`` never changes what another thread records, and a new thread
starts recording. Every ``with`` block and every call of a decorated function saves and
restores the mode it found, so nesting, recursion and exceptions always leave it as it was; on
a generator function (async too) the decorator covers the body, each time it resumes.

Node creation asks ``blocks_open`` first, one read of this module's attribute: while no block
is open anywhere (the usual case) every thread records, and only while some block is open does
it ask ``is_grad_enabled()``, which reads the context variable.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .i18n import _

F = TypeVar("F", bound=Callable[..., Any])

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("microgrid_grad_enabled",
                                                                 default=True)
blocks_open = 0  # grad-mode blocks in effect now, in all threads together; 0: all record
_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread right now (False inside ``no_grad()``)."""
    return not blocks_open or _enabled.get()


is_recording = is_grad_enabled  # the name microgrid used first


def _set(mode: bool) -> contextvars.Token[bool]:
    """Open a block of ``mode`` in this thread; ``_restore`` closes it."""
    global blocks_open
    with _lock:
        blocks_open += 1
    return _enabled.set(mode)


def _restore(token: contextvars.Token[bool]) -> None:
    global blocks_open
    _enabled.reset(token)
    with _lock:
        blocks_open -= 1


class _NoParentheses(type):
    """``with no_grad:`` (the class, not an instance) gets a line naming the fix."""

    def __enter__(cls) -> None:
        args = "True/False" if cls.__name__ == "set_grad_enabled" else ""
        raise TypeError(_("use `with mg.{name}({args}):`, with parentheses (`with mg.{name}:` "
                          "names the class, not a block)", name=cls.__name__, args=args))

    def __exit__(cls, *exc: object) -> None:  # pragma: no cover - __enter__ raised
        return None


class _GradMode(metaclass=_NoParentheses):
    """A block (``with``) or a decorator that runs code with recording on or off."""

    _mode = True

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> _GradMode:
        self._tokens.append(_set(self._mode))
        return self

    def __exit__(self, *exc: object) -> None:
        _restore(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        """Decorate ``fn``: every call runs in a fresh block of this mode."""
        return _decorate(fn, self._mode)


class _Block(_GradMode):
    """A grad-mode block without arguments, usable as ``@block`` without parentheses too."""

    def __new__(cls, fn: Any = None) -> Any:
        if fn is not None:  # @no_grad without parentheses
            if not callable(fn):
                raise TypeError(_("{name}() takes no arguments; use `with mg.{name}():` or "
                                  "`@mg.{name}()`", name=cls.__name__))
            return _decorate(fn, cls._mode)
        return super().__new__(cls)

    def __init__(self, fn: Any = None) -> None:
        super().__init__()


class no_grad(_Block):
    """Ops inside record no graph: results are leaves. For parameter updates and evaluation.

    ``with mg.no_grad(): ...`` or ``@mg.no_grad()`` (``@mg.no_grad`` too). It holds for this
    thread only, nests, and restores what it found even when the block raises. Inside it,
    ``backward()`` of a graph built before still works, and ``grad(..., create_graph=True)``
    still records the derivative's graph, as in PyTorch.
    """

    _mode = False


class enable_grad(_Block):
    """Record a graph inside, even within ``no_grad()``: PyTorch's ``enable_grad``."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Recording on (True) or off (False), as PyTorch's ``set_grad_enabled``.

    Called alone it switches this thread's mode until switched again; as ``with
    set_grad_enabled(flag):`` or a decorator it holds for the block or each call only.
    """

    def __init__(self, mode: bool) -> None:
        if type(mode) is not bool:
            raise TypeError(_("set_grad_enabled() takes True or False, not {kind}",
                              kind=type(mode).__name__))
        super().__init__()
        self._mode = mode
        self._tokens.append(_set(mode))  # takes effect now, like PyTorch's

    def __enter__(self) -> set_grad_enabled:
        if not self._tokens:  # entered again after a first block ended
            self._tokens.append(_set(self._mode))
        return self

    def __call__(self, fn: F) -> F:
        if self._tokens:  # as a decorator it must not change the mode of the code around it
            _restore(self._tokens.pop())
        return _decorate(fn, self._mode)


# code flags, read directly: importing inspect is slow
_GENERATOR, _COROUTINE, _ASYNC_GENERATOR = 0x20, 0x80, 0x200


def _decorate(fn: F, mode: bool) -> F:
    flags = getattr(getattr(fn, "__code__", None), "co_flags", 0)
    if flags & _GENERATOR:
        return functools.wraps(fn)(_generator(fn, mode))  # type: ignore[return-value]
    if flags & _ASYNC_GENERATOR:
        return functools.wraps(fn)(_async_generator(fn, mode))  # type: ignore[return-value]
    if flags & _COROUTINE:
        @functools.wraps(fn)
        async def coroutine(*args: Any, **kwargs: Any) -> Any:
            token = _set(mode)
            try:
                return await fn(*args, **kwargs)
            finally:
                _restore(token)

        return coroutine  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        token = _set(mode)  # a fresh block per call: recursion and threads restore correctly
        try:
            return fn(*args, **kwargs)
        finally:
            _restore(token)

    return call  # type: ignore[return-value]


def _generator(fn: Callable[..., Any], mode: bool) -> Callable[..., Any]:
    """A generator function whose body runs in ``mode`` each time it resumes, and whose
    caller runs in its own mode in between (a ``yield`` leaves the block, PyTorch's way)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gen = fn(*args, **kwargs)

        def resume(method: Callable[..., Any], *arg: Any) -> Any:
            token = _set(mode)
            try:
                return method(*arg)
            finally:
                _restore(token)

        try:
            request = resume(gen.send, None)
            while True:
                try:
                    response = yield request
                except GeneratorExit:
                    resume(gen.close)
                    raise
                except BaseException as exc:  # thrown in by the caller: the body sees it
                    request = resume(gen.throw, exc)
                else:
                    request = resume(gen.send, response)
        except StopIteration as stop:  # the body returned
            return stop.value

    return wrapper


def _async_generator(fn: Callable[..., Any], mode: bool) -> Callable[..., Any]:
    """``_generator`` for an async generator function (``async def`` with ``yield``): its body
    runs in ``mode`` each time it resumes, up to its next ``yield``, awaits included."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        gen = fn(*args, **kwargs)

        async def resume(method: Callable[..., Any], *arg: Any) -> Any:
            token = _set(mode)
            try:
                return await method(*arg)
            finally:
                _restore(token)

        try:
            request = await resume(gen.asend, None)
            while True:
                try:
                    response = yield request
                except GeneratorExit:
                    await resume(gen.aclose)
                    raise
                except BaseException as exc:  # thrown in by the caller: the body sees it
                    request = await resume(gen.athrow, exc)
                else:
                    request = await resume(gen.asend, response)
        except StopAsyncIteration:  # the body ended
            return

    return wrapper
