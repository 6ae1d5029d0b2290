import math

import keras
import numpy as np

from kgen.losses import mean_bits_per_dim, nats_to_bits_per_dim


def test_uniform_over_256_levels_is_8_bits_per_dim():
    num_dims = 28 * 28
    log_p = num_dims * -math.log(256)
    assert math.isclose(nats_to_bits_per_dim(log_p, num_dims), 8.0, rel_tol=1e-12)


def test_bits_per_dim_is_mean_over_batch():
    log_p = np.array([-10.0, -30.0], dtype="float32")
    value = float(keras.ops.convert_to_numpy(mean_bits_per_dim(log_p, 5)))
    assert math.isclose(value, 20.0 / (5 * math.log(2)), rel_tol=1e-6)
