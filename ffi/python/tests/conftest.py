import itertools
import os

import pytest

import rtshm

_counter = itertools.count()


@pytest.fixture
def name(request):
    """A segment name unique to this test run, removed afterwards if a test left it."""
    n = f"pytest-{os.getpid()}-{next(_counter)}-{request.node.name}"[:200]
    yield n
    try:
        rtshm.remove(n)
    except rtshm.NotFoundError:
        pass
