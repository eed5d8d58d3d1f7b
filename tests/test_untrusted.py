"""untrusted: every way a file can be wrong is one ValueError naming the file, at once."""

import os

import pytest

from nnscratch import untrusted
from nnscratch.untrusted import UntrustedFileError


@pytest.mark.parametrize("kind", ["folder", "fifo", "dev-zero"])
def test_read_bytes_refuses_what_is_not_a_regular_file(tmp_path, kind):
    path = tmp_path / "file.json"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(UntrustedFileError, match="file.json is not a regular file"):
        untrusted.read_bytes(path, max_bytes=100)


def test_json_constants_only_where_allowed(tmp_path):
    path = tmp_path / "record.json"
    path.write_text('{"best": Infinity, "nan": NaN}')
    with pytest.raises(UntrustedFileError, match="record.json"):
        untrusted.read_json_object(path)
    value = untrusted.read_json_object(path, allow_constants=True)
    assert value["best"] == float("inf") and value["nan"] != value["nan"]
    path.write_text("[" * 100_000)
    with pytest.raises(UntrustedFileError, match="too deeply"):
        untrusted.read_json(path, allow_constants=True)
