"""Checks shared by the tests that run the `nnscratch` command in a subprocess."""


def assert_usage_error(result, *words):
    """A usage error: exit code 2 and exactly one line on stderr (no traceback) naming ``words``."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
