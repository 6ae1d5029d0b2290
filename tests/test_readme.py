"""The README's Python example runs as written (with fewer epochs)."""

import os
import re

import numpy as np

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def _python_blocks():
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_example_trains_scores_and_saves(tmp_path, monkeypatch, capsys):
    blocks = _python_blocks()
    assert blocks, "README.md has no ```python block"
    code = blocks[0]
    assert "epochs=50" in code
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace("epochs=50", "epochs=2"), "README.md", "exec"), {})
    printed = capsys.readouterr().out.strip().splitlines()
    bits = float(printed[-1])
    # a bound in bits per sub-pixel of 17-level data: finite, positive, and
    # not far above the uniform model's log2(17) = 4.09 after two epochs
    assert np.isfinite(bits) and 0.0 < bits < 6.0
    assert (tmp_path / "samples.png").stat().st_size > 0
    assert (tmp_path / "vae.keras").stat().st_size > 0
