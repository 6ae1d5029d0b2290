"""Load a script of ``examples/`` as a module (for the examples' smoke tests)."""

import importlib.util
import json
import os

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def load_example(name):
    """``examples/<name>.py`` as a fresh module (its ``main`` not yet run)."""
    path = os.path.join(EXAMPLES, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"{name}_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_quick(name, out, figures, capsys):
    """Run ``examples/<name>.py --quick --out OUT``; check its files.

    Every name in ``figures`` and ``results.json`` must be written (and not
    empty), and the saved results name the backend ``main`` returned.

    Returns:
        ``(saved, printed)``: ``results.json`` loaded, and the printed text.
    """
    results = load_example(name).main(["--quick", "--out", str(out)])
    printed = capsys.readouterr().out
    for file_name in (*figures, "results.json"):
        assert os.path.getsize(os.path.join(out, file_name)) > 0, file_name
    with open(os.path.join(out, "results.json")) as handle:
        saved = json.load(handle)
    assert saved["backend"] == results["backend"]
    return saved, printed
