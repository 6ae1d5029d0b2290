"""A small three-network model on kgen.training.MultiNetworkModel, for tests.

``ThreeNetworks`` has an ``encoder``, a ``decoder`` and a ``critic`` (one
``Dense`` layer each), one optimizer each, and three phases per step:

1. the encoder's update on the reconstruction loss;
2. the decoder's update on the same loss (it sees the encoder's update);
3. the critic's update, every ``lazy_every`` steps only; it increments the
   non-trainable counter ``lazy_count`` (in its ``after`` hook) and logs
   ``lazy_marker = 1`` (so a tracker that counted skipped steps would show
   less than 1).

Nothing is random: two copies with the same weights train identically,
which the resume and several-devices checks rely on.
"""

import keras
from keras import ops

from kgen.backend import JointPhase, Phase
from kgen.training import MultiNetworkModel


@keras.saving.register_keras_serializable(package="kgen_tests")
class ThreeNetworks(MultiNetworkModel):
    network_names = ("encoder", "decoder", "critic")
    data_kind = "real"
    num_levels = None

    def __init__(self, dim=2, lazy_every=4, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.lazy_every = lazy_every

        def dense(units, name):
            return keras.Sequential(
                [keras.Input((dim,)), keras.layers.Dense(units)], name=name
            )

        self.encoder = dense(dim, "encoder")
        self.decoder = dense(dim, "decoder")
        self.critic = dense(1, "critic")
        self.lazy_count = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="lazy_count"
        )
        self.data_shape = (dim,)
        self.recon_tracker = keras.metrics.Mean(name="recon_loss")
        self.critic_tracker = keras.metrics.Mean(name="critic_loss")
        self.marker_tracker = keras.metrics.Mean(name="lazy_marker")

    @property
    def metrics(self):
        return [self.recon_tracker, self.critic_tracker, self.marker_tracker]

    def training_phases(self, data):
        x, _ = self.unpack_batch(data)
        x = ops.cast(x, self.compute_dtype)
        optimizers = self.network_optimizers

        def recon_loss():
            loss = ops.mean(ops.square(self.decoder(self.encoder(x)) - x))
            loss = ops.cast(loss, "float32")
            return loss, {"recon_loss": loss}

        def critic_loss():
            loss = ops.mean(ops.square(self.critic(self.encoder(x)) - 1.0))
            loss = ops.cast(loss, "float32")
            return loss, {"critic_loss": loss, "lazy_marker": ops.ones((), "float32")}

        def count():
            self.lazy_count.assign(self.lazy_count + 1.0)

        return [
            Phase(recon_loss, self.encoder.trainable_variables, optimizers["encoder"]),
            Phase(recon_loss, self.decoder.trainable_variables, optimizers["decoder"]),
            Phase(
                critic_loss,
                self.critic.trainable_variables,
                optimizers["critic"],
                after=count,
                every=self.lazy_every,
            ),
        ]

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "lazy_every": self.lazy_every})
        return config


def points(num=16, dim=2, seed=0):
    import numpy as np

    return np.random.default_rng(seed).normal(size=(num, dim)).astype("float32")


def sgd_optimizers(learning_rate=0.1):
    return {
        name: keras.optimizers.SGD(learning_rate)
        for name in ThreeNetworks.network_names
    }


@keras.saving.register_keras_serializable(package="kgen_tests")
class SharedObjective(MultiNetworkModel):
    """Two networks updated from one loss in one ``JointPhase`` (as CycleGAN's
    generators): ``shared=True`` returns the same loss tensor for both
    updates (one backward pass), ``False`` a copy for the second (two)."""

    network_names = ("first", "second")
    data_kind = "real"
    num_levels = None

    def __init__(self, dim=2, shared=True, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.shared = shared
        self.first = keras.Sequential([keras.Input((dim,)), keras.layers.Dense(dim)])
        self.second = keras.Sequential([keras.Input((dim,)), keras.layers.Dense(dim)])
        self.data_shape = (dim,)
        self.loss_tracker = keras.metrics.Mean(name="joint_loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def training_phases(self, data):
        x, _ = self.unpack_batch(data)

        def losses():
            loss = ops.mean(ops.square(self.second(self.first(x)) - 1.0))
            other = loss if self.shared else loss * 1.0
            return [loss, other], {"joint_loss": loss}

        return [
            JointPhase(
                losses,
                [
                    (self.first.trainable_variables, self.network_optimizers["first"]),
                    (
                        self.second.trainable_variables,
                        self.network_optimizers["second"],
                    ),
                ],
            )
        ]
