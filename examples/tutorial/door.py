"""Guide to machines: a state machine that saves what it cannot handle yet.

    python3 door.py
"""

import layer_cake as lc


class Open:
    """Ask the door to open."""


class Close:
    """Ask the door to close."""


class Enter:
    """Someone walks through; only possible while the door is open."""

    def __init__(self, name: str = ""):
        self.name = name


lc.bind(Open)
lc.bind(Close)
lc.bind(Enter)


class CLOSED:
    pass


class OPENED:
    pass


class Door(lc.Point, lc.StateMachine):
    """Counts who enters. An Enter that arrives while closed is saved, and replayed after the
    next message has been handled - here, once the door has opened."""

    def __init__(self):
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, CLOSED)
        self.entered: list[str] = []


def Door_CLOSED_Start(self, message):
    return CLOSED


def Door_CLOSED_Open(self, message):
    self.console("opening")
    return OPENED


def Door_OPENED_Enter(self, message):
    self.entered.append(message.name)
    return OPENED


def Door_OPENED_Close(self, message):
    self.console("closing")
    self.complete(lc.cast_to(self.entered, lc.def_type(list[str])))


def Door_CLOSED_Stop(self, message):
    self.complete(lc.Aborted())


def Door_OPENED_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(
    Door,
    {
        CLOSED: ((lc.Start, Open, lc.Stop), (Enter,)),  # (handled, saved)
        OPENED: ((Enter, Close, lc.Stop), ()),
    },
)


def visitors(self) -> list[str]:
    door = self.create(Door)
    for message in (Enter("ann"), Enter("bob"), Open(), Close()):
        self.send(message, door)
    m = self.input()
    names, _ = lc.cast_back(m.message)
    return names


lc.bind(visitors)

if __name__ == "__main__":
    lc.create(visitors)
