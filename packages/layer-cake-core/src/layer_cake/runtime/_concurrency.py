# cython: annotation_typing=False
"""Concurrency helpers (api-core §10): GetResponse, Concurrently, Sequentially, Delay.

All four are stateless machines hosted on the loop: a spool runs one ``GetResponse`` per
request, so none of them may cost a thread. Each ends by ``complete``; the parent learns the
outcome from its ``Returned``. Messages are told apart by their return address where the
type alone is ambiguous: a ``Stop`` from the parent aborts, a ``T1`` from the timer service
times out, and the same types from anyone else are ordinary replies.

Deviation (measured): a ``GetResponse`` without ``seconds``, created while no object-level
log is selected, is a ``_Request``: an address of its own that behaves as the machine seen
from outside (the same ``Returned`` for every outcome, the same order of sends through the
run queue) without a machine made, started, dispatched to twice and unwound per request.
A server that relays each HTTP request through one (the seed's demo) spent 325k
instructions a request, 299k after. With ``seconds``, or with the lifecycle entries of
``--debug-level=OBJECT`` wanted, it is the machine.
"""

from __future__ import annotations

from ..types._message import Unknown
from ..types._portable import Any, VectorOf, install
from ._bind import bind_stateless
from ._dispatch import machine_deliver
from ._dispatch import run_queue as RUN
from ._log import LOG
from ._machine import Dispatching, Point, Stateless, launch_machine, make_machine
from ._messages import _LEVELS, T1, Aborted, Faulted, Returned, Start, Stop, TimedOut
from ._object import TABLE, TIMER_ADDRESS, Agent, _undeliverable

__all__ = ["GetResponse", "Concurrently", "Sequentially", "CreateFrame", "Delay"]

_RESULTS = install(VectorOf(Any()))  # return type of Concurrently and Sequentially


class CreateFrame:
    """An item of ``Concurrently``/``Sequentially``: create ``object_type(*args, **kw)``."""

    __slots__ = ("args", "kw", "object_type")

    def __init__(self, object_type: object, *args: object, **kw: object) -> None:
        self.object_type = object_type
        self.args = args
        self.kw = kw


# GetResponse -------------------------------------------------------------------------------------


class GetResponse(Point, Stateless):
    """Send ``request`` to ``server_address``; end with the first message received (re-cast),
    ``TimedOut(T1)`` after ``seconds``, or ``Aborted()`` on ``Stop`` from the parent."""

    def __init__(
        self, request: object, server_address: object, seconds: float | None = None
    ) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.request = request
        self.server_address = server_address
        self.seconds = seconds
        self.sent = False


def GetResponse_Start(self: GetResponse, message: object) -> None:
    if self.sent:  # a server that answers with Start
        self.complete(self._received)
    self.sent = True
    self.send(self.request, self.server_address)
    if self.seconds is not None:
        self.start(T1, self.seconds)


def GetResponse_T1(self: GetResponse, message: object) -> None:
    self.complete(TimedOut(T1) if self.return_address == TIMER_ADDRESS else self._received)


def GetResponse_Stop(self: GetResponse, message: object) -> None:
    self.complete(Aborted() if self.return_address == self.parent_address else self._received)


def GetResponse_Unknown(self: GetResponse, message: object) -> None:
    self.complete(self._received)  # the message as received: cast values keep their type


bind_stateless(GetResponse, (Start, T1, Stop, Unknown))


class _Request(Agent):
    """A ``GetResponse`` without ``seconds`` or lifecycle entries: nothing of a machine.

    Its request goes out from the run queue, where the machine's ``Start`` would have been,
    so sends keep their order. Until then anything delivered to it queues behind the request
    (a ``Stop`` from the parent still aborts after the request went out, as on the machine);
    after, ``deliver`` (any thread) takes the first message off the table, atomically, and
    ends with it, or with ``Aborted()`` for the parent's ``Stop``. Whatever comes later
    finds no one at the address (undeliverable, counted), as after a machine's end.
    """

    def __init__(self, request: object, server_address: object) -> None:
        self._agent_init()
        self.request = request
        self.server_address = server_address
        self.sent = False

    def deliver(self, message: object, to: tuple, back: tuple) -> None:
        if self.sent:
            self._answer(message, to, back)
        else:  # behind the request in the run queue (counted and bounded as a machine's)
            machine_deliver(self, message, to, back)

    def receive(self, message: object, to: tuple, back: tuple) -> None:
        """From the run queue: the request to send, or what arrived before it went out."""
        if message is not _SEND:
            self._pending -= 1
            self._answer(message, to, back)
        elif not self._ended:
            self.sent = True
            try:
                self.send(self.request, self.server_address)
            except BaseException as e:  # as a machine's handler that raised
                if TABLE.pop(self.object_address, None) is not None:
                    self._handler_raised(e)

    def _answer(self, message: object, to: tuple, back: tuple) -> None:
        if TABLE.pop(self.object_address, None) is None:
            _undeliverable(None, message, to)  # ended already
            return
        stop = type(message) is Stop and back == self.parent_address
        self.end(Aborted() if stop else message)

    # A send that raised ends it as a machine's handler that raised: the same fault and entry.
    _handler_raised = Dispatching._handler_raised
    _fault = Dispatching._fault


_SEND = object()  # the run queue's word to a _Request: send the request now
_OBJECT = _LEVELS[-1]  # USER_LOG.OBJECT, read once
_SPEC = GetResponse.__lc_object__  # type: ignore[attr-defined]


def _request_arguments(
    request: object, server_address: object, seconds: float | None = None
) -> tuple:
    return request, server_address, seconds


def _make(target: object, args: tuple, kw: dict) -> object:
    """``make`` of GetResponse's spec: a ``_Request`` where nothing would tell it apart."""
    if LOG.level > _OBJECT:
        try:
            request, server_address, seconds = _request_arguments(*args, **kw)
        except TypeError:
            pass  # the machine's constructor raises it, in its own name
        else:
            if seconds is None:
                return _Request(request, server_address)
    return make_machine(_SPEC, target, args, kw)


def _launch(agent: object, args: tuple, kw: dict) -> None:
    if type(agent) is _Request:
        RUN.post(agent, _SEND, agent.object_address, agent.parent_address)  # type: ignore[attr-defined]
    else:
        launch_machine(_SPEC, agent)


_SPEC.make = _make
_SPEC.launch = _launch


# Concurrently and Sequentially -------------------------------------------------------------------


def _launch(self: Point, item: object) -> tuple:
    """Start the child for one item: a ``GetResponse`` for ``(request, address)``, else the
    object a ``CreateFrame`` names."""
    if isinstance(item, CreateFrame):
        return self.create(item.object_type, *item.args, **item.kw)
    request, address = item  # type: ignore[misc]
    return self.create(GetResponse, request, address)


def _check_items(items: tuple) -> str | None:
    for i, item in enumerate(items):
        if isinstance(item, CreateFrame):
            continue
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], tuple)):
            return f"item {i} is neither (request, address) nor CreateFrame"
    return None


def _stop_children(self: Point) -> None:
    for address in self.children:  # type: ignore[attr-defined]
        self.send(Stop(), address)


class Concurrently(Point, Stateless):
    """Run every item at once; end with their results in item order (faults in place).

    Each result is the child's value as its ``Returned`` carried it: message instances as
    they are, other values cast, ``(value, portable)``, so they can be forwarded as is.
    """

    def __init__(self, *get: object, seconds: float | None = None) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.items = get
        self.seconds = seconds
        self.results: list = [None] * len(get)
        self.children: dict = {}  # child address -> slot


def Concurrently_Start(self: Concurrently, message: object) -> None:
    problem = _check_items(self.items)
    if problem is not None:
        self.complete(Faulted("unexpected parameters", problem))
    if not self.items:
        self.complete([])
    for slot, item in enumerate(self.items):
        self.children[_launch(self, item)] = slot
    if self.seconds is not None:
        self.start(T1, self.seconds)


def Concurrently_Returned(self: Concurrently, message: Returned) -> None:
    slot = self.children.pop(self.return_address, None)
    if slot is None:
        return
    self.results[slot] = message.message
    if not self.children:
        self.complete(self.results)


def Concurrently_T1(self: Concurrently, message: object) -> None:
    if self.return_address == TIMER_ADDRESS:
        _stop_children(self)
        self.complete(TimedOut(T1))


def Concurrently_Stop(self: Concurrently, message: object) -> None:
    _stop_children(self)
    self.complete(Aborted())


bind_stateless(Concurrently, (Start, Returned, T1, Stop), return_type=_RESULTS)


class Sequentially(Point, Stateless):
    """Run the items one after another; end with the plain list of their results (each as
    its ``Returned`` carried it), or the first fault."""

    def __init__(self, *get: object, seconds: float | None = None) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.items = get
        self.seconds = seconds
        self.results: list = []
        self.children: dict = {}  # the one running child -> its slot


def _next_in_sequence(self: Sequentially) -> None:
    slot = len(self.results)
    if slot == len(self.items):
        self.complete(self.results)
    self.children[_launch(self, self.items[slot])] = slot


def Sequentially_Start(self: Sequentially, message: object) -> None:
    problem = _check_items(self.items)
    if problem is not None:
        self.complete(Faulted("unexpected parameters", problem))
    if self.seconds is not None and self.items:
        self.start(T1, self.seconds)
    _next_in_sequence(self)


def Sequentially_Returned(self: Sequentially, message: Returned) -> None:
    if self.children.pop(self.return_address, None) is None:
        return
    value = message.message
    if isinstance(value, Faulted):
        self.complete(value)
    self.results.append(value)
    _next_in_sequence(self)


def Sequentially_T1(self: Sequentially, message: object) -> None:
    if self.return_address == TIMER_ADDRESS:
        _stop_children(self)
        self.complete(TimedOut(T1))


def Sequentially_Stop(self: Sequentially, message: object) -> None:
    _stop_children(self)
    self.complete(Aborted())


# No return type: the result is a plain list (compat §2.4), typed only when encoded (§2.1).
bind_stateless(Sequentially, (Start, Returned, T1, Stop))


# Delay -------------------------------------------------------------------------------------------


class Delay(Point, Stateless):
    """End with ``TimedOut(T1)`` after ``seconds`` (never, if None); ``Stop`` → ``Aborted()``."""

    def __init__(self, seconds: float | None = None) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.seconds = seconds


def Delay_Start(self: Delay, message: object) -> None:
    if self.seconds is not None:
        self.start(T1, self.seconds)


def Delay_T1(self: Delay, message: object) -> None:
    self.complete(TimedOut(T1))


def Delay_Stop(self: Delay, message: object) -> None:
    self.complete(Aborted())


bind_stateless(Delay, (Start, T1, Stop))
