"""GAN models: training behaviour, sampling, EMA, clipping, input checks."""

import keras
import numpy as np
import pytest

from kgen.callbacks import NonFiniteLossError
from kgen.data import ring_of_gaussians
from kgen.models import (
    GAN,
    WGAN,
    ConditionalGAN,
    dcgan,
    dcgan_networks,
    mlp_networks,
)


def _compile(model, lr=1e-3):
    model.compile(
        d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
    )
    return model


def _images(n=16, shape=(8, 8, 1), seed=0):
    return (
        np.random.default_rng(seed).uniform(-1, 1, size=(n,) + shape).astype("float32")
    )


def _small_dcgan(**kwargs):
    return _compile(dcgan((8, 8, 1), latent_dim=4, base_filters=2, seed=0, **kwargs))


def test_ring_of_gaussians_mode_coverage():
    keras.utils.set_random_seed(0)
    x, centres = ring_of_gaussians(2048, seed=0)
    g, d = mlp_networks(2, 8, hidden_units=32, num_layers=2)
    model = GAN(g, d, 8, seed=0)
    model.compile(
        d_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
        steps_per_execution=1 if keras.config.backend() == "torch" else 8,
    )

    def coverage():
        samples = model.sample(2000, seed=1)
        distance = np.linalg.norm(samples[:, None] - centres[None], axis=-1)
        near = distance.min(axis=1) < 0.5  # modes are 1.53 apart, std 0.05
        counts = np.bincount(distance.argmin(axis=1)[near], minlength=8)
        return near.mean(), int(np.sum(counts >= 20))  # >= 1% of samples

    near_before, _ = coverage()
    model.fit(x, batch_size=128, epochs=50, verbose=0)
    near, modes = coverage()
    assert near_before < 0.2
    assert modes >= 6, f"only {modes} of 8 modes covered"
    assert near > 0.5, f"only {near:.0%} of samples near a mode"


def test_wgan_clipping_bounds_every_critic_weight_after_fit():
    g, d = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = _compile(WGAN(g, d, 3, clip_value=0.05, n_critic=2, seed=0), lr=0.1)
    # Start far outside the bound so that an unclipped update would show.
    d.set_weights([w * 0 + 1.0 for w in d.get_weights()])
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    flat = np.concatenate([w.ravel() for w in d.get_weights()])
    assert np.max(np.abs(flat)) <= 0.05 + 1e-6
    assert np.isclose(np.max(np.abs(flat)), 0.05)  # the bound is reached
    # The generator is not clipped.
    g_flat = np.concatenate([w.ravel() for w in g.get_weights()])
    assert np.max(np.abs(g_flat)) > 0.05


def test_ema_follows_the_exponential_moving_average_recursion():
    g, d = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = _compile(GAN(g, d, 3, ema_decay=0.75, seed=0), lr=0.05)
    w0 = [np.array(v) for v in g.get_weights()]
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)  # one generator update
    w1 = g.get_weights()
    for ema, before, after in zip(model.ema_variables, w0, w1):
        expected = 0.75 * before + 0.25 * after
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ema), expected, atol=1e-6)
    # Sampling uses the averaged weights, not the raw ones.
    z = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    raw = keras.ops.convert_to_numpy(g(z))
    assert not np.allclose(model.decode(z), raw)


def test_sample_is_reproducible_in_range_and_batched():
    model = _small_dcgan()
    a = model.sample(4, seed=3, batch_size=2)
    b = model.sample(4, seed=3)
    c = model.sample(4, seed=4, batch_size=2)
    assert a.shape == (4, 8, 8, 1) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert not np.allclose(a, c)
    assert a.min() >= -1.0 and a.max() <= 1.0


def test_dcgan_networks_follow_the_guidelines():
    g, d = dcgan_networks((28, 28, 1), latent_dim=16, base_filters=4)
    assert g.output_shape == (None, 28, 28, 1)
    assert d.output_shape == (None, 1)
    # Batch norm in G except the output; none on D's input layer.
    assert not isinstance(g.layers[-1], keras.layers.BatchNormalization)
    assert g.layers[-1].activation.__name__ == "tanh"
    d_types = [type(layer) for layer in d.layers]
    first_conv = d_types.index(keras.layers.Conv2D)
    assert keras.layers.BatchNormalization not in d_types[: first_conv + 2]
    assert keras.layers.BatchNormalization in d_types
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert all(layer.strides == (2, 2) for layer in convs)
    assert keras.layers.MaxPooling2D not in d_types
    with pytest.raises(ValueError, match="divisible by 4"):
        dcgan_networks((30, 30, 1))


def test_conditional_gan_samples_follow_their_labels():
    # Class 0 lives around (-1, -1), class 1 around (1, 1).
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 128).astype("int32")
    centres = np.where(labels[:, None] == 0, -1.0, 1.0)
    x = (centres + 0.1 * rng.normal(size=(256, 2))).astype("float32")
    g, d = mlp_networks(2, 4, hidden_units=16, num_layers=1, num_classes=2)
    model = _compile(ConditionalGAN(g, d, 4, 2, seed=0), lr=5e-3)

    def separation():
        s0 = model.sample(200, seed=0, conditions=np.zeros(200, "int32"))
        s1 = model.sample(200, seed=0, conditions=1)
        return float(np.mean(s1 - s0))

    before = separation()
    model.fit(x, labels, batch_size=32, epochs=15, verbose=0)
    after = separation()
    assert after > 1.0 and after > before + 0.5, (before, after)


def test_nan_loss_stops_training_with_a_clear_message():
    g, _ = mlp_networks(2, 3, hidden_units=4, num_layers=1)
    d = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1),
            # log(0) * 0 = NaN: the forced failure.
            keras.layers.Lambda(lambda t: keras.ops.log(t * 0.0) * 0.0),
        ]
    )
    model = _compile(GAN(g, d, 3, seed=0))
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    with pytest.raises(NonFiniteLossError, match="d_loss"):
        model.fit(x, batch_size=8, epochs=1, verbose=0)


# -- bad input --------------------------------------------------------------


def test_fit_rejects_images_outside_signed_range():
    model = _small_dcgan()
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        model.fit(_images() * 255.0, batch_size=8, epochs=1, verbose=0)


def test_fit_rejects_integer_images_and_wrong_shapes():
    model = _small_dcgan()
    with pytest.raises(ValueError, match="float pixel values"):
        model.fit((_images() > 0).astype("uint8"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"\(batch, 8, 8, 1\)"):
        model.fit(_images(shape=(8, 8, 3)), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="channel axis"):
        model.fit(_images()[..., 0], batch_size=8, verbose=0)


def test_vector_data_checks_shape_and_finiteness():
    g, d = mlp_networks(2, 3, hidden_units=4, num_layers=1)
    model = _compile(GAN(g, d, 3))
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model.fit(np.zeros((8, 3), "float32"), verbose=0)
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.full((8, 2), np.nan, "float32"), verbose=0)


def test_conditional_gan_label_errors():
    g, d = dcgan_networks((8, 8, 1), latent_dim=4, base_filters=2, num_classes=3)
    model = _compile(ConditionalGAN(g, d, 4, 3))
    x = _images(8)
    with pytest.raises(ValueError, match="class-conditional"):
        model.fit(x, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 2\] \(3 classes\)"):
        model.fit(x, np.full(8, 3), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="one label per example"):
        model.fit(x, np.zeros(5, "int32"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="class-conditional"):
        model.sample(2)
    with pytest.raises(ValueError, match="class-conditional"):
        model.decode(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="3 classes"):
        model.sample(2, conditions=[0, 7])


def test_argument_and_usage_errors():
    g, d = mlp_networks(2, 3, hidden_units=4, num_layers=1)
    with pytest.raises(ValueError, match="loss must be one of"):
        GAN(g, d, 3, loss="bce")
    with pytest.raises(ValueError, match="n_critic"):
        GAN(g, d, 3, n_critic=0)
    with pytest.raises(ValueError, match="ema_decay"):
        GAN(g, d, 3, ema_decay=1.5)
    with pytest.raises(ValueError, match="clip_value"):
        GAN(g, d, 3, clip_value=-1.0)
    model = GAN(g, d, 3)
    with pytest.raises(ValueError, match="compile"):
        model.fit(np.zeros((8, 2), "float32"), verbose=0)
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="same optimizer object"):
        model.compile(d_optimizer=optimizer, g_optimizer=optimizer)
    with pytest.raises(ValueError, match="d_optimizer="):
        model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="unconditional"):
        model.sample(2, conditions=[0, 1])
    with pytest.raises(ValueError, match="positive integer"):
        model.sample(0)
    with pytest.raises(ValueError, match=r"\(batch, 3\)"):
        model.decode(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="critic_batches"):
        GAN(g, d, 3, critic_batches="same")
    with pytest.raises(ValueError, match="num_classes"):
        GAN(g, d, 3, num_classes=0)
    assert not hasattr(model, "generate")  # decode is the one latent -> data verb


# -- the contract: one sampling stream, one conditioning, no sample weights --


def test_sampling_between_fit_calls_does_not_change_training():
    # sample(seed=None) draws from the model's own sampling stream; had it
    # used the training noise stream, the second fit would draw other noise.
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    weights = []
    for sample_in_between in (False, True):
        keras.utils.set_random_seed(0)
        g, d = mlp_networks(2, 3, hidden_units=8, num_layers=1)
        model = _compile(GAN(g, d, 3, seed=0), lr=1e-2)
        model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
        if sample_in_between:
            first = model.sample(16)
            assert not np.allclose(first, model.sample(16))  # the stream advances
            model.sample(4, seed=7)
            model.decode(np.zeros((3, 3), "float32"))
        model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_num_classes_on_gan_is_what_conditional_gan_is():
    g, d = mlp_networks(2, 4, hidden_units=8, num_layers=1, num_classes=3)
    conditional = GAN(g, d, 4, num_classes=3, seed=0)
    assert conditional.num_classes == 3 and conditional.conditional
    clone = ConditionalGAN.from_config(conditional.get_config())
    assert clone.num_classes == 3
    clone.set_weights(conditional.get_weights())
    z = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    labels = np.array([0, 1, 2, 1, 0])
    np.testing.assert_allclose(
        conditional.decode(z, labels), clone.decode(z, labels), atol=1e-6
    )
    # one label for all examples
    np.testing.assert_allclose(
        conditional.decode(z, 2), conditional.decode(z, np.full(5, 2)), atol=1e-6
    )
    with pytest.raises(ValueError, match="class-conditional"):
        conditional.sample(2, seed=0)
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalGAN(g, d, 4, None)


def test_sample_weight_and_unexpected_labels_are_refused():
    g, d = mlp_networks(2, 3, hidden_units=4, num_layers=1)
    model = _compile(GAN(g, d, 3, seed=0))
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    with pytest.raises(ValueError, match="cannot use sample_weight"):
        model.fit(x, sample_weight=np.ones(8), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="unconditional"):
        model.fit(x, np.zeros(8, "int32"), batch_size=8, verbose=0)

    class Batches(keras.utils.PyDataset):
        def __init__(self, items):
            super().__init__()
            self.items = items

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return self.items

    # Datasets are checked in the step (a new model each: on JAX an error
    # raised while fit traces the step leaves the model's variables purged).
    for batch, message in (
        ((x, None, np.ones(8, "float32")), "cannot use sample_weight"),
        ((x, np.zeros(8, "int32")), "unconditional"),
    ):
        model = _compile(GAN(*mlp_networks(2, 3, hidden_units=4, num_layers=1), 3))
        with pytest.raises(ValueError, match=message):
            model.fit(Batches(batch), verbose=0)


class _SeenBy(keras.layers.Layer):
    """Identity that records which real examples each training call saw.

    Real examples carry their index (>= 0) as their value, generated ones
    are negative. ``seen[k]`` counts the examples of the k-th call that had
    real ones; ``generated`` counts the generated rows of all calls.
    """

    def __init__(self, num_examples, max_calls, **kwargs):
        super().__init__(**kwargs)
        self.num_examples = num_examples
        self.max_calls = max_calls

    def build(self, input_shape):
        zeros = dict(initializer="zeros", trainable=False)
        self.seen = self.add_weight(
            shape=(self.max_calls, self.num_examples), name="seen", **zeros
        )
        self.calls = self.add_weight(shape=(), name="calls", **zeros)
        self.generated = self.add_weight(shape=(), name="generated", **zeros)

    def call(self, x, training=False):
        if not training:
            return x
        from keras import ops

        index = ops.cast(ops.round(x[:, 0]), "int32")
        real = ops.cast(index >= 0, "float32")
        hits = ops.sum(
            ops.one_hot(ops.maximum(index, 0), self.num_examples) * real[:, None],
            axis=0,
        )
        has_real = ops.cast(ops.sum(real) > 0, "float32")
        call = ops.minimum(ops.cast(self.calls, "int32"), self.max_calls - 1)
        row = ops.one_hot(call, self.max_calls)
        self.seen.assign(self.seen + has_real * row[:, None] * hits[None, :])
        self.calls.assign(self.calls + has_real)
        self.generated.assign(self.generated + ops.sum(1.0 - real))
        return x


def _recording_gan(critic_batches, num_examples):
    generator = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(
                1,
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(-1.0),
            ),
        ]
    )
    recorder = _SeenBy(num_examples, max_calls=6)
    critic = keras.Sequential([keras.Input((1,)), recorder, keras.layers.Dense(1)])
    model = GAN(
        generator,
        critic,
        2,
        loss="wasserstein",
        n_critic=3,
        critic_batches=critic_batches,
        seed=0,
    )
    # lr 0 for the generator: its samples stay at -1 (generated).
    model.compile(
        d_optimizer=keras.optimizers.SGD(0.01), g_optimizer=keras.optimizers.SGD(0.0)
    )
    return model, recorder


def _seen(recorder):
    seen = np.asarray(keras.ops.convert_to_numpy(recorder.seen))
    return [
        sorted(np.repeat(np.arange(seen.shape[1]), seen[k].astype(int)).tolist())
        for k in range(int(keras.ops.convert_to_numpy(recorder.calls)))
    ]


def test_fresh_critic_batches_give_each_critic_update_its_own_real_minibatch():
    # Two steps: a batch of 6 (three minibatches of 2, strided: rows i and
    # i + 3) and a short last batch of 2 (fewer rows than critic updates:
    # reused cyclically).
    x = np.arange(8, dtype="float32")[:, None]
    model, recorder = _recording_gan("fresh", 8)
    model.fit(x, batch_size=6, epochs=1, shuffle=False, verbose=0)
    assert _seen(recorder) == [[0, 3], [1, 4], [2, 5], [6], [7], [6]]
    # generated rows: 3 critic updates + 1 generator update of m rows each
    # (m = 2, then 1)
    assert float(keras.ops.convert_to_numpy(recorder.generated)) == 4 * 2 + 4 * 1
    assert int(keras.ops.convert_to_numpy(model.d_optimizer.iterations)) == 6


def test_reused_critic_batches_show_every_critic_update_the_whole_batch():
    x = np.arange(6, dtype="float32")[:, None]
    model, recorder = _recording_gan("reuse", 6)
    model.fit(x, batch_size=6, epochs=1, shuffle=False, verbose=0)
    assert _seen(recorder) == [list(range(6))] * 3
    assert float(keras.ops.convert_to_numpy(recorder.generated)) == 4 * 6
