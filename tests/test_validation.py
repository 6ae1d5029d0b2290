import numpy as np
import pytest

from kgen import validation


def test_unit_images_accept_floats_in_range():
    x = np.linspace(0, 1, 2 * 4 * 4).reshape(2, 4, 4, 1).astype("float32")
    out = validation.check_images(x, "unit", shape=(None, 4, 4, 1))
    assert out.shape == (2, 4, 4, 1)


def test_uint8_where_floats_expected_names_the_fix():
    x = np.zeros((2, 4, 4, 1), dtype="uint8")
    with pytest.raises(
        ValueError, match=r"float pixel values in \[0, 1\].*uint8.*to_unit_float"
    ):
        validation.check_images(x, "unit")


def test_signed_range_violation_reports_received_range():
    x = np.full((1, 2, 2, 1), 3.0, dtype="float32")
    with pytest.raises(
        ValueError, match=r"\[-1, 1\].*received float32 values in \[3, 3\]"
    ):
        validation.check_images(x, "signed")


def test_nan_is_rejected_with_count():
    x = np.zeros((1, 2, 2, 1), dtype="float32")
    x[0, 0, 0, 0] = np.nan
    x[0, 1, 1, 0] = np.inf
    with pytest.raises(ValueError, match="2 NaN or infinite"):
        validation.check_images(x, "unit")


def test_shape_mismatch_suggests_channel_axis():
    with pytest.raises(
        ValueError, match=r"\(batch, 4, 4, 1\).*\(2, 4, 4\).*channel axis"
    ):
        validation.check_images(
            np.zeros((2, 4, 4), "float32"), "unit", shape=(None, 4, 4, 1)
        )


def test_integer_images_range_and_dtype():
    ok = np.array([[[[0], [16]]]], dtype="int64")
    validation.check_images(ok, "integer", num_levels=17)
    with pytest.raises(ValueError, match=r"\[0, 16\].*17 levels"):
        validation.check_images(ok + 1, "integer", num_levels=17)
    with pytest.raises(ValueError, match="integer pixel values"):
        validation.check_images(ok.astype("float32") + 0.5, "integer", num_levels=17)
    # whole numbers stored as floats are accepted
    validation.check_images(ok.astype("float32"), "integer", num_levels=17)


def test_labels():
    assert validation.check_labels(np.array([[1], [2]]), 3).tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"\[0, 2\] \(3 classes\).*\[0, 3\]"):
        validation.check_labels(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="one label per example"):
        validation.check_labels(np.array([0, 1]), 3, num_examples=3)
    with pytest.raises(ValueError, match="integer class indices"):
        validation.check_labels(np.array([0.5]), 3)


def test_positive_int():
    assert validation.check_positive_int(3, "n") == 3
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="positive integer"):
            validation.check_positive_int(bad, "n")
