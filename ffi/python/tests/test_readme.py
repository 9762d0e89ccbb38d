"""Every Python block of the README runs as written (issue 26: the README's snippets are
tested, the Python ones too)."""

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_python_blocks():
    assert blocks(), "no ```python block found in README.md"


def test_every_readme_python_block_runs():
    for code in blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
        assert out.getvalue(), f"the block printed nothing:\n{code}"
