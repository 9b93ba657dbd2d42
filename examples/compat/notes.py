"""A notes tool written for layer-cake 0.1's documented API; it runs unchanged here.

Sub-commands (an ``object_table``; the main object receives the sub-command tuple and calls
it itself, as 0.1 programs do):

    python notes.py store milk eggs --folder=notes     write one Note file per word
    python notes.py recall milk eggs --folder=notes    read them back (a raw list result)
    python notes.py encode hello                       a Note as CodecJson text
    python notes.py queue c a b --ticks=2              a machine saves notes until its timer
                                                       has ticked twice, then handles them
"""

import layer_cake as lc


class Note:
    def __init__(self, text: str = None, count: int = 0):
        self.text = text
        self.count = count


lc.bind(Note)


# A machine with a timer and save(): notes wait until the timer has ticked enough -------------


class Queue(lc.Point, lc.Stateless):
    def __init__(self, ticks: int = 2, seconds: float = 0.05):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.ticks = ticks
        self.seconds = seconds
        self.ticked = 0
        self.handled = []


def Queue_Start(self, message):
    self.start(lc.T1, self.seconds, repeating=True)


def Queue_T1(self, message):
    self.ticked += 1
    if self.ticked == self.ticks:
        self.cancel(lc.T1)
        self.send(lc.Ack(), self.object_address)  # after the replays that follow this tick


def Queue_Note(self, message):
    if self.ticked < self.ticks:
        self.save(message)  # replayed after the next fresh message to this machine
        return
    self.handled.append(message.text)


def Queue_Ack(self, message):
    self.complete(message=sorted(self.handled))


def Queue_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Queue, (lc.Start, lc.T1, Note, lc.Ack, lc.Stop))


# Sub-commands -------------------------------------------------------------------------------------


def store(self, word, remainder, folder: str = "notes"):
    f = lc.Folder(folder)
    for i, w in enumerate(word):
        lc.write_to_file(Note(w, i), f.path + "/" + w, encoding=lc.CodecJson)
    return len(word)


def recall(self, word, remainder, folder: str = "notes"):
    f = lc.Folder(folder)
    texts = []
    for w in word:
        note = lc.read_from_file(lc.UserDefined(Note), f.path + "/" + w)
        texts.append(f"{note.text}:{note.count}")
    return texts


def encode(self, word, remainder):
    codec = lc.CodecJson()
    return codec.encode(Note(" ".join(word), len(word)), lc.UserDefined(Note))


def queue(self, word, remainder, ticks: int = 2):
    q = self.create(Queue, ticks=ticks)
    for w in word:
        self.send(Note(w), q)
    m, _ = self.select(lc.Returned)
    return m.message


for f in (store, recall, encode, queue):
    lc.bind(f)


def notes(self, *word, verbose: bool = False):
    if not word:
        return lc.Faulted("no sub-command", "store, recall, encode or queue")
    sub_command, function, kw, remainder = word[0]
    if verbose:
        self.console("Running", sub_command=sub_command)
    return function(self, word[1:], remainder, **kw)


lc.bind(notes)

if __name__ == "__main__":
    lc.create(notes, object_table=[store, recall, encode, queue])
