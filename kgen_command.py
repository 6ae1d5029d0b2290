"""The ``kgen`` console script.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, and importing
``kgen`` imports Keras. So the command's entry point lives here, outside the
``kgen`` package: it sets ``KERAS_BACKEND`` from ``--backend NAME`` (and quiets
TensorFlow's C++ start-up logging) *before* importing kgen, then runs
``kgen.cli.main``. Importing the library never reads ``sys.argv`` or changes
the environment; only this command does.
"""

import os
import sys

_BACKENDS = ("jax", "tensorflow", "torch")


def _backend_in(argv):
    for index, arg in enumerate(argv):
        if arg == "--backend" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


def main(argv=None):
    """Run ``kgen`` with ``argv`` (default ``sys.argv[1:]``); return the status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = _backend_in(argv)
    if name in _BACKENDS and "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = name
    # An unknown name is reported by kgen.cli with the list of backends.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from kgen import cli

    return cli.main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
