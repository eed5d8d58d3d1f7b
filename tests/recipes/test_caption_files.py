"""`nnscratch caption`'s readers (recipes/caption_files.py): the run folder's captioner.json,
vocab.json and weights checked against each other before a model is built, and the image to
caption read as untrusted input."""

import io
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import nnscratch as ns
from nnscratch.models.captioner import Captioner
from nnscratch.recipes.caption_files import IMAGE_PIXEL_LIMIT, caption_vocab, load_captioning, read_image


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A caption-shapes run folder as the recipe writes it, with an untrained tiny model."""
    folder = tmp_path_factory.mktemp("caption") / "run"
    folder.mkdir()
    vocab = caption_vocab()
    model = Captioner(len(vocab), 8, 16, 1, image_size=16, channels=(2, 4),
                      pad_index=vocab.pad_index, bos_index=vocab.bos_index,
                      eos_index=vocab.eos_index)
    (folder / "captioner.json").write_text(json.dumps(
        {"model": model.config, "decoding": {"beam_size": 2, "length_penalty": 0.0}}))
    vocab.save(folder / "vocab.json")
    ns.save(model.state_dict(), folder / "model.safetensors")
    return folder


def _copy(run, tmp_path):
    import shutil

    shutil.copytree(run, tmp_path / "run")
    return tmp_path / "run"


def test_the_legit_folder_loads_and_captions(run):
    captioning = load_captioning(run)
    captions = captioning.caption(np.zeros((2, 3, 16, 16), np.float32))
    assert len(captions) == 2 and all(isinstance(c, str) for c in captions)
    assert captioning.beam_size == 2


def _mutations():
    config = {"model": Captioner(20, 8, 16, 1, image_size=16, channels=(2, 4)).config,
              "decoding": {"beam_size": 2, "length_penalty": 0.0}}
    return [(section, key) for section in config for key in config[section]]


@settings(max_examples=120, deadline=None)
@given(where=st.sampled_from(_mutations()),
       value=st.sampled_from([None, "x", [], {}, -1, 0, 10**9, 10**10, 2.5, True, [10**9]]))
def test_any_crafted_field_is_refused_naming_the_file_or_still_fits(run, tmp_path_factory,
                                                                   where, value):
    folder = _copy(run, tmp_path_factory.mktemp("case"))
    config = json.loads((folder / "captioner.json").read_text())
    section, key = where
    config[section][key] = value
    (folder / "captioner.json").write_text(json.dumps(config))
    try:
        load_captioning(folder)  # never a TypeError, MemoryError or a model of 10^9 units
    except ValueError as error:
        assert "captioner.json" in str(error) and "\n" not in str(error)


@pytest.mark.parametrize("keep, words", [(10, "vocab.json has 10 tokens but"),
                                         (0, "'tokens' must list 1 to")])
def test_a_vocabulary_that_does_not_match_the_model_is_refused(run, tmp_path, keep, words):
    folder = _copy(run, tmp_path)
    data = json.loads((folder / "vocab.json").read_text())
    data["tokens"] = data["tokens"][:keep]
    data["specials"] = [s for s in data["specials"] if s in data["tokens"]]
    data["unk_token"] = data["unk_token"] if data["unk_token"] in data["tokens"] else None
    (folder / "vocab.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=words):
        load_captioning(folder)


def test_weights_that_do_not_fit_name_the_file_and_key(run, tmp_path):
    folder = _copy(run, tmp_path)
    weights = ns.load(folder / "model.safetensors")
    weights["output.bias"] = ns.zeros(weights["output.bias"].shape[0] + 1)
    weights["extra.weight"] = ns.zeros(2)
    ns.save(weights, folder / "model.safetensors")
    with pytest.raises(ValueError) as caught:
        load_captioning(folder)
    message = str(caught.value)
    assert "model.safetensors" in message and "output.bias" in message and "extra.weight" in message
    assert "\n" not in message


def test_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_captioning(tmp_path / "nowhere")


def _png(array, mode):
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_images_are_read_as_rgb_in_0_1_and_resized_by_nearest_neighbour(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    (tmp_path / "rgb.png").write_bytes(_png(rgb, "RGB"))
    np.testing.assert_allclose(read_image(tmp_path / "rgb.png", 8),
                               rgb.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    grey = rng.integers(0, 256, (4, 4), dtype=np.uint8)
    (tmp_path / "grey.png").write_bytes(_png(grey, "L"))
    upscaled = read_image(tmp_path / "grey.png", 8)  # each pixel twice in each direction
    expected = np.kron(grey, np.ones((2, 2), np.uint8)) / 255.0
    np.testing.assert_allclose(upscaled, np.stack([expected] * 3), rtol=1e-6)
    rgba = np.dstack([rgb, np.full((8, 8), 7, np.uint8)])
    (tmp_path / "rgba.png").write_bytes(_png(rgba, "RGBA"))
    np.testing.assert_allclose(read_image(tmp_path / "rgba.png", 8), rgb.transpose(2, 0, 1) / 255.0,
                               rtol=1e-6)  # alpha dropped


@pytest.mark.parametrize("side", [5_000, 10_000, 40_000])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path, side):
    import struct
    import warnings
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    assert side * side > IMAGE_PIXEL_LIMIT  # 25 M pixels would be 300 MB as float32 RGB
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    (tmp_path / "bomb.png").write_bytes(bomb)
    with warnings.catch_warnings(), pytest.raises(ValueError, match=r"bomb.png .*pixels"):
        warnings.simplefilter("ignore")  # Pillow's own DecompressionBombWarning
        read_image(tmp_path / "bomb.png", 32)


@pytest.mark.parametrize("make, words", [
    (lambda p: os.mkfifo(p), "FIFO"),
    (lambda p: p.symlink_to("/dev/zero"), "device"),
    (lambda p: p.write_bytes(b"GIF89a not an image"), "not an image"),
    (lambda p: p.write_bytes(_png(np.zeros((4, 4, 3), np.uint8), "RGB")[:40]), "not an image"),
])
def test_special_or_broken_image_files_are_one_error_naming_them(tmp_path, make, words):
    path = tmp_path / "image.png"
    make(path)
    with pytest.raises(ValueError, match=words) as caught:
        read_image(path, 32)
    assert "image.png" in str(caught.value)


def test_an_unknown_format_is_named_without_pillows_buffer_repr(tmp_path):
    """Pillow's UnidentifiedImageError names the in-memory buffer ('<_io.BytesIO object at
    0x…>'), which told a user nothing; the line names the file and the fault."""
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(ValueError) as caught:
        read_image(path, 32)
    assert "notes.png is not an image" in str(caught.value) and "BytesIO" not in str(caught.value)
