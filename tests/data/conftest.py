import pytest


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    # The data tests use NumPy only: skip the suite-wide Keras session reset
    # (about 0.2 s per test) that tests/conftest.py does for model tests.
    yield
