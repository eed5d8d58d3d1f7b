"""The README's example runs as printed and reaches the accuracy it promises."""

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    after = text.split("<!-- readme-example -->", 1)[1]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_readme_starts_with_the_two_commands():
    lines = [line for line in README.read_text().splitlines() if line.startswith(".venv") or "pip install" in line]
    assert "nnscratch train" in lines[0] and "pytest" in lines[1]


def test_readme_example_reaches_97_percent():
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(readme_example(), str(README), "exec"), {"__name__": "readme"})
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", output.getvalue()).group(1))
    assert accuracy >= 0.97
