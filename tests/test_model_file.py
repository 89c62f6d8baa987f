"""Model files are data, never code."""

import json
import pickle
import zipfile

import pytest
import torch

import synthgen
from synthgen.errors import ModelFileError
from synthgen.io import MODEL_FORMAT_VERSION, load_model_file


class _Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_payload_in_a_model_file_never_runs(tmp_path):
    marker = tmp_path / "PWNED"
    # a plain pickle named like a model
    p1 = tmp_path / "evil.safetensors"
    p1.write_bytes(pickle.dumps(_Payload(marker)))
    # a torch.save zip (pickle inside)
    p2 = tmp_path / "evil2.safetensors"
    torch.save({"x": _Payload(marker)}, p2)
    assert zipfile.is_zipfile(p2)
    for p in (p1, p2):
        with pytest.raises(ModelFileError):
            synthgen.load(p)
    assert not marker.exists()


def test_pickle_inside_metadata_is_only_text(fitted, tmp_path):
    from safetensors.torch import save_file

    marker = tmp_path / "PWNED"
    path = fitted.save(tmp_path / "m.safetensors")
    tensors, doc = load_model_file(path)
    doc["history"] = pickle.dumps(_Payload(marker)).hex()  # smuggled in as a string
    save_file(tensors, str(path), metadata={"synthgen": json.dumps(doc)})
    synthgen.load(path)  # loads fine: the field is just a string nobody unpickles
    assert not marker.exists()


def test_corrupted_file_gives_clear_error(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.safetensors")
    data = bytearray(path.read_bytes())
    data[10:60] = b"\x00" * 50
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted"):
        synthgen.load(path)


def test_truncated_file(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.safetensors")
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ModelFileError):
        synthgen.load(path)


def test_other_format_version_is_refused(fitted, tmp_path):
    from safetensors.torch import save_file

    path = fitted.save(tmp_path / "m.safetensors")
    tensors, doc = load_model_file(path)
    doc["format_version"] = MODEL_FORMAT_VERSION + 1
    save_file(tensors, str(path), metadata={"synthgen": json.dumps(doc)})
    with pytest.raises(ModelFileError, match="format version"):
        synthgen.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        synthgen.load(tmp_path / "nope.safetensors")


def test_file_holds_history_schema_and_versions(fitted, tmp_path):
    _, doc = load_model_file(fitted.save(tmp_path / "m.safetensors"))
    assert doc["history"] and doc["schema"]["columns"]
    assert doc["synthgen_version"] == synthgen.__version__ and doc["torch_version"]


def test_save_is_atomic(fitted, tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"previous model")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("safetensors.torch.save_file", boom)
    with pytest.raises(RuntimeError):
        fitted.save(path)
    assert path.read_bytes() == b"previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
