"""compat §3.0, §3.8 and §3.12: INTERNAL (R) names of layer-cake 0.1 are importable stubs. A stub
class can be imported, subclassed and used in ``isinstance``; instantiating it raises
``NotImplementedError('"<name>" is an internal of layer-cake 0.1.1 and is not provided; see
compat.md')``."""

from __future__ import annotations

import pytest

import layer_cake as lc

TEXT = '"{}" is an internal of layer-cake 0.1.1 and is not provided; see compat.md'

CLASSES = ["ApiClientSession", "ApiClientStream", "ApiServerStream", "ObjectDirectory"]


@pytest.mark.parametrize("name", CLASSES)
def test_stub_class_is_exported(name):
    assert name in lc.__all__
    assert isinstance(getattr(lc, name), type)


@pytest.mark.parametrize("name", CLASSES)
def test_instantiating_a_stub_class_is_refused(name):
    with pytest.raises(NotImplementedError) as caught:
        getattr(lc, name)(None)
    assert str(caught.value) == TEXT.format(name)


@pytest.mark.parametrize("name", CLASSES)
def test_a_stub_class_can_be_subclassed_and_tested_against(name):
    stub = getattr(lc, name)

    class Mine(stub):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:  # an old subclass that never called the base
            self.ready = True

    mine = Mine()
    assert isinstance(mine, stub)
    assert not isinstance(object(), stub)


def test_http_internals_in_their_old_module():
    import layer_cake.http as old

    assert old.ApiClientSession is lc.ApiClientSession
    assert old.ApiServerStream is lc.ApiServerStream


def test_object_directory_in_its_old_module():
    import layer_cake.object_directory as old

    assert old.ObjectDirectory is lc.ObjectDirectory
