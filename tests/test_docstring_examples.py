"""Every ``>>>`` example in kgen's docstrings runs, on every backend.

The examples are collected with the standard library's ``doctest`` finder
from every module of the package and run one test each, with Keras's global
seed fixed. Outputs are compared as doctest does (``NORMALIZE_WHITESPACE``
and ``ELLIPSIS`` on). An example that cannot run here (one that writes files
in the working directory, say) must be rewritten, not skipped.

The docstrings' example sections are headed ``Examples:``, the name the
Google-style parser of the documentation site knows; under any other name
the ``>>>`` lines render as nested quotes (see also ``tests/check_site.py``,
which inspects the built site).
"""

import doctest
import importlib
import os
import pkgutil
import re

import keras
import pytest

import kgen

_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules():
    names = ["kgen"]
    for info in pkgutil.walk_packages(kgen.__path__, prefix="kgen."):
        names.append(info.name)
    return [importlib.import_module(name) for name in sorted(names)]


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    seen, found = set(), []
    for module in _modules():
        for test in finder.find(module):
            # a name re-exported by a package is found again there
            key = (test.filename, test.lineno)
            if test.examples and key not in seen:
                seen.add(key)
                found.append(test)
    return sorted(found, key=lambda t: t.name)


EXAMPLES = _examples()


def test_there_are_examples():
    assert len(EXAMPLES) > 40


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda t: t.name)
def test_docstring_example_runs(example, tmp_path, monkeypatch):
    # examples that write files write them into a fresh directory
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    example.globs = dict(example.globs)
    report = []
    result = runner.run(example, out=report.append)
    assert result.failed == 0, "".join(report)


_SECTION = re.compile(r"^(\s*)(Example|Usage|Doctest)s?:\s*$")


def test_example_sections_are_google_sections():
    """``Examples:`` with its body indented below it, as the parser needs.

    The docs' Google-style parser knows ``Examples:`` (not ``Example:``) and
    reads a section's body only when it follows on the next line, indented
    one level deeper; anything else renders ``>>>`` lines as quotes.
    """
    wrong = []
    root = os.path.dirname(kgen.__file__)
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            with open(path) as handle:
                lines = handle.read().splitlines()
            for number, line in enumerate(lines):
                match = _SECTION.match(line)
                if not match:
                    continue
                indent = len(match.group(1))
                following = lines[number + 1] if number + 1 < len(lines) else ""
                body_indent = len(following) - len(following.lstrip())
                if (
                    line.strip() != "Examples:"
                    or not following.strip()
                    or body_indent <= indent
                ):
                    wrong.append(f"{os.path.relpath(path, root)}:{number + 1}")
    assert not wrong, f"write 'Examples:' with an indented body: {wrong}"
