import gc
import os
import sys

# Keras reads KERAS_BACKEND at import; the suite runs once per backend with it
# set by the caller (see the Makefile). Nothing here overrides it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The suite's models are tiny: XLA's compile, not the run, is most of a test's
# time on JAX (and in TensorFlow's XLA sampling loops). Unoptimized machine
# code compiles about 1.5x faster (measured: a CycleGAN conformance case 38 s
# -> 20 s); the numbers are the same programs'. Only the tests set this.
_FAST_COMPILE = (
    "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
)
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        f"{os.environ.get('XLA_FLAGS', '')} {_FAST_COMPILE}".strip()
    )
sys.path.insert(0, os.path.dirname(__file__))


def _share_jax_compilations():
    """One on-disk JAX compilation cache for this run's processes.

    Keras compiles a new program for every model object, and many tests build
    the same model again (conformance fits it, reloads it from its ``.keras``
    file and fits again; the contract checks build the conformance cases
    once more): the programs are the same, so XLA's compile of each is done
    once per run. The first process (the pytest-xdist controller) makes the
    directory and removes it at exit; the workers inherit it. A directory set
    by the caller (``JAX_COMPILATION_CACHE_DIR``) is used as it is.
    """
    if os.environ.get("KERAS_BACKEND") != "jax":
        return
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        import atexit
        import shutil
        import tempfile

        directory = tempfile.mkdtemp(prefix="kgen-tests-jax-cache-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ["JAX_COMPILATION_CACHE_DIR"] = directory
    # the suite's programs compile in well under the default 1 s threshold
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


_share_jax_compilations()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

if keras.config.backend() == "torch":
    # On a small shared CPU machine torch's intra-op thread pool spins against
    # the other processes: one thread made tiny GAN steps ~10x faster.
    import torch  # noqa: E402

    torch.set_num_threads(1)


#: JAX on the CPU maps memory for every compiled program (XLA's JIT code);
#: a worker that has run a few hundred tests holds tens of thousands of
#: mappings, and at the kernel's default limit (vm.max_map_count = 65530) the
#: next compile segfaults (seen in CI, late in the JAX run). Above this many
#: mappings the worker drops JAX's compilation caches.
_MAP_LIMIT = 30000
_COLLECT_EVERY = 25
_tests_run = [0]


def _memory_maps():
    try:
        with open("/proc/self/maps", "rb") as handle:
            return sum(1 for _ in handle)
    except OSError:  # not Linux
        return 0


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    # free_memory=False: clear_session's full gc.collect() cost 0.3 s in a new
    # worker and 2 s in one that has run a few hundred tests, before every
    # test: measured, more than half of the whole suite's time. Instead a
    # collection every few tests frees the dead models (and their compiled
    # programs); see pytest_collection_finish for the frozen heap.
    keras.utils.clear_session(free_memory=False)
    _tests_run[0] += 1
    if _tests_run[0] % _COLLECT_EVERY == 0:
        gc.collect()
        if keras.config.backend() == "jax" and _memory_maps() > _MAP_LIMIT:
            import jax

            jax.clear_caches()
            gc.collect()
    keras.utils.set_random_seed(1234)
    yield


def pytest_collection_finish(session):
    # Everything imported so far (TensorFlow, JAX, torch, kgen, the test
    # modules) lives for the whole run: moved out of the collector's
    # generations, it is not scanned again at every automatic collection.
    gc.collect()
    gc.freeze()


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
_SPREAD = {"test_docstring_examples.py", "test_conformance.py"}
# Files whose tests share one object per parameter (test_contract.py builds
# each model once for all its checks): grouped by the parameter's id.
_BY_PARAMETER = {"test_contract.py"}


def pytest_itemcollected(item):
    # marked as each test is collected: pytest-xdist reads the marks in its
    # own collection_modifyitems, which runs before a conftest's
    path = item.nodeid.split("::")[0]
    name = os.path.basename(path)
    if name in _BY_PARAMETER and "[" in item.nodeid:
        parameter = item.nodeid.rsplit("[", 1)[1].rstrip("]")
        item.add_marker(pytest.mark.xdist_group(name=f"{path}[{parameter}]"))
    elif name not in _SPREAD:
        item.add_marker(pytest.mark.xdist_group(name=path))
