"""The example smoke tests run as on a fresh machine on one backend.

`make test` runs the suite once per backend. On FRESH_MACHINE_BACKEND every
example test runs without the Debian Fashion-MNIST package and without
Keras's data set cache (KGEN_DEBIAN_DATASETS_DIR and KERAS_HOME point at
empty directories; kgen reads both at every load) and with downloads made to
fail, so the quick modes must fall back to their stand-ins; on the other
backends they use whatever the machine has. On a machine with the package one
`make test` thus runs the examples both ways at no extra cost; on one without
it, every backend uses the stand-ins. `../shared/tools/fresh-machine-test`
checks the same with the package's folder really hidden.

Each example's end-to-end quick run (its ``test_*_example_quick``) runs on
the fresh-machine backend and on one of the two compiling backends, half of
the examples on each (``QUICK_RUN_BACKENDS``): compiling a script's dozen
tiny models took a third of the JAX and TensorFlow runs of the suite, and
every model and sampler an example uses is tested on all three backends by
its own tests. ``KGEN_EXAMPLE_BACKENDS=all`` runs every example everywhere.
"""

import os

import keras
import pytest

from kgen.data import datasets

FRESH_MACHINE_BACKEND = "torch"

#: test module -> the backends its quick run uses besides FRESH_MACHINE_BACKEND
QUICK_RUN_BACKENDS = {
    "test_advanced_gans.py": ("tensorflow",),
    "test_autoencoders_and_vaes.py": ("jax",),
    "test_autoregressive_models.py": ("jax",),
    "test_diffusion.py": ("tensorflow",),
    "test_gans.py": ("tensorflow",),
    "test_using_densities.py": ("jax",),
    "test_vq_vae_and_dalle.py": ("jax",),
}


@pytest.fixture(autouse=True)
def _quick_run_backends(request):
    """Skip an example's quick run on the backends it is not assigned."""
    if not request.node.name.endswith("_example_quick"):
        return
    module = os.path.basename(str(request.node.fspath))
    if module not in QUICK_RUN_BACKENDS:
        pytest.fail(f"give {module} its backends in QUICK_RUN_BACKENDS ({__file__})")
    backends = (FRESH_MACHINE_BACKEND, *QUICK_RUN_BACKENDS[module])
    backend = keras.config.backend()
    if backend not in backends and os.environ.get("KGEN_EXAMPLE_BACKENDS") != "all":
        pytest.skip(
            f"{module}'s quick run is on {' and '.join(backends)} "
            "(KGEN_EXAMPLE_BACKENDS=all runs it on every backend)"
        )


def _hide_local_data_sets(monkeypatch, directory):
    """Make kgen see no Debian package, an empty Keras cache and no network."""
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(directory / "debian"))
    monkeypatch.setenv("KERAS_HOME", str(directory / "keras"))

    def no_download(name):
        raise AssertionError(f"a test tried to download {name!r}")

    monkeypatch.setattr(datasets, "_keras_load_data", no_download)


@pytest.fixture(autouse=True)
def fresh_machine(tmp_path_factory, monkeypatch):
    """True when this test runs as on a fresh machine (see the module doc)."""
    hidden = keras.config.backend() == FRESH_MACHINE_BACKEND
    if hidden:
        _hide_local_data_sets(monkeypatch, tmp_path_factory.mktemp("fresh_machine"))
    return hidden


@pytest.fixture
def no_local_data_sets(tmp_path, monkeypatch):
    """As on a fresh machine on every backend; returns the directory whose
    ``debian`` and ``keras`` subdirectories kgen looks in (both absent)."""
    _hide_local_data_sets(monkeypatch, tmp_path)
    return tmp_path
