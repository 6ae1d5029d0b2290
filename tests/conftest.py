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
