"""A module of the greeter's own: it must travel with the image (``layer-cake script``)."""


def phrase(word: str, count: int) -> str:
    return " ".join([word] * count)
