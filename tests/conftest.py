import os
import sys

# Keras reads KERAS_BACKEND at import; the suite runs once per backend with it
# set by the caller (see the Makefile). Nothing here overrides it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(__file__))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

if keras.config.backend() == "torch":
    # On a small shared CPU machine torch's intra-op thread pool spins against
    # the other processes: one thread made tiny GAN steps ~10x faster.
    import torch  # noqa: E402

    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend {keras.config.backend()}"


_TIMES = os.environ.get("KGEN_TEST_TIMES")


def pytest_runtest_logreport(report):
    # KGEN_TEST_TIMES=FILE appends "seconds phase nodeid" per test phase, as
    # the run goes (to find what makes the suite slow; unset in CI)
    if _TIMES and report.failed:
        with open(_TIMES, "a", encoding="utf-8") as handle:
            handle.write(f"FAILED {report.when} {report.nodeid}\n")
    if _TIMES and report.duration > 0.5:
        with open(_TIMES, "a", encoding="utf-8") as handle:
            handle.write(f"{report.duration:.1f} {report.when} {report.nodeid}\n")


# Test files whose tests are independent and many: pytest-xdist may spread
# them over its workers. Every other file's tests stay on one worker
# (``--dist loadgroup``), so module-scoped fixtures (a trained model, the
# several-devices subprocess) run once.
_SPREAD = {"test_docstring_examples.py", "test_contract.py", "test_conformance.py"}


def pytest_itemcollected(item):
    # marked as each test is collected: pytest-xdist reads the marks in its
    # own collection_modifyitems, which runs before a conftest's
    path = item.nodeid.split("::")[0]
    if os.path.basename(path) not in _SPREAD:
        item.add_marker(pytest.mark.xdist_group(name=path))
