import gzip

import numpy as np
import pytest

from kgen import data


def test_read_hand_written_idx_file(tmp_path):
    # magic 0x00000803 (unsigned byte, 3 dims), dims 2 x 2 x 3, then 12 bytes
    payload = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(12))
    path = tmp_path / "tiny-idx3-ubyte"
    path.write_bytes(payload)
    array = data.read_idx(path)
    assert array.dtype == np.uint8 and array.shape == (2, 2, 3)
    np.testing.assert_array_equal(array, np.arange(12).reshape(2, 2, 3))


def test_read_gzip_and_big_endian_int32(tmp_path):
    payload = (
        bytes([0, 0, 0x0C, 1, 0, 0, 0, 2])
        + (258).to_bytes(4, "big")
        + (-1).to_bytes(4, "big", signed=True)
    )
    path = tmp_path / "ints.gz"
    path.write_bytes(gzip.compress(payload))
    np.testing.assert_array_equal(data.read_idx(path), [258, -1])


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32"])
def test_write_then_read_round_trip(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "uint8":
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a.gz", "a"):
        path = data.write_idx(tmp_path / name, array)
        back = data.read_idx(path)
        assert back.dtype == array.dtype
        np.testing.assert_array_equal(back, array)


def test_truncated_file_gives_clear_error(tmp_path):
    header = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(header + bytes(100))
    with pytest.raises(ValueError, match=r"shape \(2, 28, 28\).*holds 100 bytes"):
        data.read_idx(path)


def test_bad_magic_and_type_give_clear_errors(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04 something else")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(path)
    path.write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ValueError, match="unknown IDX type code 0x42"):
        data.read_idx(path)


def test_corrupt_gzip_gives_clear_error(tmp_path):
    blob = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.read_idx(path)
