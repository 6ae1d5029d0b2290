"""CycleGAN: unpaired image-to-image translation with cycle consistency."""

import keras
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.layers.translation import ImagePool
from kgen.models.adversarial.translation import TranslationModel

__all__ = ["CycleGAN", "cycle_consistency_loss", "identity_loss"]


def _l1(x, y):
    return ops.mean(ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32")))


def cycle_consistency_loss(real_a, real_b, generator_ab, generator_ba):
    """``E|G_BA(G_AB(a)) - a| + E|G_AB(G_BA(b)) - b|`` (mean absolute errors).

    Translating to the other domain and back should give the image back: a
    constraint that makes unpaired translation well posed (many mappings
    fool a discriminator, few are invertible).

    Args:
        real_a: image batch of domain A.
        real_b: image batch of domain B.
        generator_ab: callable (network) A -> B.
        generator_ba: callable (network) B -> A.

    Returns:
        A float32 scalar tensor.

    Examples:
        >>> import numpy as np
        >>> a = np.random.default_rng(0).uniform(-1, 1, (2, 4, 4, 1))
        >>> float(cycle_consistency_loss(a, a, lambda t: t, lambda t: t))
        0.0
    """
    return _l1(generator_ba(generator_ab(real_a)), real_a) + _l1(
        generator_ab(generator_ba(real_b)), real_b
    )


def identity_loss(real_a, real_b, generator_ab, generator_ba):
    """``E|G_BA(a) - a| + E|G_AB(b) - b|``: a generator given an image of its
    target domain should leave it alone (keeps colours and tones).

    Examples:
        >>> import numpy as np
        >>> a = np.zeros((1, 2, 2, 1), "float32")
        >>> float(identity_loss(a, a, lambda t: t + 0.5, lambda t: t))
        0.5
    """
    return _l1(generator_ba(real_a), real_a) + _l1(generator_ab(real_b), real_b)


@kgen_export
class CycleGAN(TranslationModel):
    """CycleGAN (Zhu et al. 2017): two generators, two discriminators.

    ``G_AB`` and ``G_BA`` translate between the domains; ``D_A`` and ``D_B``
    are least-squares (PatchGAN) discriminators of each domain. Four
    networks, four optimizers (``network_names``), one training phase that
    computes everything from one forward pass and updates the four networks
    (``kgen.backend.JointPhase``; the papers' code updates both generators
    and then the discriminators with the samples of that same pass, so the
    order does not change the step):

    - generators: ``E(D_B(G_AB(a)) - 1)^2 + E(D_A(G_BA(b)) - 1)^2 +
      cycle_weight * cycle + identity_weight * cycle_weight * identity``
      (`cycle_consistency_loss`, `identity_loss`);
    - each discriminator: ``(E(D(real) - 1)^2 + E D(fake)^2) / 2`` with the
      fakes drawn from an `kgen.layers.ImagePool` of past generated images.

    Trains on side-by-side pairs ``A | B`` of *unrelated* images of the two
    domains (``fit(pairs)``, e.g. ``kgen.data.load("fashion_tops2bottoms")``)
    or ``fit(a, b)``; ``translate(x, direction="a_to_b" | "b_to_a")``.

    Args:
        generator_ab: network A -> B (``resnet_generator``), tanh output.
        generator_ba: network B -> A.
        discriminator_a: network on A images returning logits (a grid).
        discriminator_b: network on B images.
        cycle_weight: ``lambda`` of the cycle loss (10).
        identity_weight: weight of the identity loss, relative to
            ``cycle_weight`` (0.5; 0 turns it off).
        pool_size: images in each image pool (50; 0: no pool).
        seed: integer seed of the pools' random streams.
        **kwargs: base ``keras.Model`` arguments.

    Raises:
        ValueError: for networks of different shapes or bad options.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import CycleGAN, patchgan_discriminator, resnet_generator
        >>> def generator():
        ...     return resnet_generator((8, 8, 1), base_filters=4, num_downsamples=1,
        ...                             num_residual_blocks=1)
        >>> def discriminator():
        ...     return patchgan_discriminator((8, 8, 1), base_filters=4, num_layers=1)
        >>> model = CycleGAN(generator(), generator(), discriminator(), discriminator())
        >>> model.translate(np.zeros((2, 8, 8, 1), "float32"), direction="b_to_a").shape
        (2, 8, 8, 1)

    References:
        Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017; Mao et al.,
        "Least Squares Generative Adversarial Networks", 2017.
    """

    network_names = (
        "generator_ab",
        "generator_ba",
        "discriminator_a",
        "discriminator_b",
    )
    config_objects = network_names
    directions = ("a_to_b", "b_to_a")

    def __init__(
        self,
        generator_ab,
        generator_ba,
        discriminator_a,
        discriminator_b,
        cycle_weight=10.0,
        identity_weight=0.5,
        pool_size=50,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("cycle_weight", cycle_weight),
            ("identity_weight", identity_weight),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or value < 0
            ):
                raise ValueError(
                    f"{name} must be a non-negative number; received {value!r}."
                )
        self.generator_ab = generator_ab
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_size = pool_size
        self.seed = seed
        shapes = {
            name: (
                tuple(int(s) for s in net.input_shape[1:]),
                tuple(int(s) for s in net.output_shape[1:]),
            )
            for name, net in (
                ("generator_ab", generator_ab),
                ("generator_ba", generator_ba),
            )
        }
        shape = shapes["generator_ab"][0]
        if any(s != (shape, shape) for s in shapes.values()):
            raise ValueError(
                "CycleGAN's generators must map images of one shape to the same "
                f"shape in both directions; received {shapes}."
            )
        self.set_image_shape(shape)
        probe = ops.zeros((1, *shape))
        self.discriminator_a(probe)
        self.discriminator_b(probe)
        self.pool_a = ImagePool(pool_size, seed=seed, name="pool_a")
        self.pool_b = ImagePool(
            pool_size, seed=None if seed is None else seed + 1, name="pool_b"
        )
        self.pool_a.build((None, *shape))
        self.pool_b.build((None, *shape))
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (
                "loss",
                "g_loss",
                "cycle_loss",
                "identity_loss",
                "d_a_loss",
                "d_b_loss",
            )
        }

    @property
    def metrics(self):
        return list(self.trackers.values())

    def training_phases(self, data):
        a, b = self.training_pairs(data)
        optimizers = self.network_optimizers

        def squared(x, target):
            return ops.mean(ops.square(ops.cast(x, "float32") - target))

        def loss_fn():
            fake_b = self.generator_ab(a, training=True)
            fake_a = self.generator_ba(b, training=True)
            cycle = _l1(self.generator_ba(fake_b, training=True), a) + _l1(
                self.generator_ab(fake_a, training=True), b
            )
            adversarial = squared(
                self.discriminator_b(fake_b, training=True), 1.0
            ) + squared(self.discriminator_a(fake_a, training=True), 1.0)
            g_loss = adversarial + self.cycle_weight * cycle
            logs = {"cycle_loss": cycle}
            if self.identity_weight:
                identity = _l1(self.generator_ba(a, training=True), a) + _l1(
                    self.generator_ab(b, training=True), b
                )
                g_loss = g_loss + self.identity_weight * self.cycle_weight * identity
                logs["identity_loss"] = identity
            pooled_a = self.pool_a(ops.stop_gradient(fake_a), training=True)
            pooled_b = self.pool_b(ops.stop_gradient(fake_b), training=True)
            d_a = 0.5 * (
                squared(self.discriminator_a(a, training=True), 1.0)
                + squared(self.discriminator_a(pooled_a, training=True), 0.0)
            )
            d_b = 0.5 * (
                squared(self.discriminator_b(b, training=True), 1.0)
                + squared(self.discriminator_b(pooled_b, training=True), 0.0)
            )
            logs.update({"g_loss": g_loss, "d_a_loss": d_a, "d_b_loss": d_b})
            # the two generators share their objective; each loss is
            # differentiated only with respect to its own network
            return [g_loss, g_loss, d_a, d_b], logs

        return [
            backend.JointPhase(
                loss_fn,
                [
                    (getattr(self, name).trainable_variables, optimizers[name])
                    for name in self.network_names
                ],
            )
        ]

    def update_training_metrics(self, logs, weights=None):
        logs = dict(logs)
        logs["loss"] = logs["g_loss"] + logs["d_a_loss"] + logs["d_b_loss"]
        return super().update_training_metrics(logs, weights)

    def _translate_batch(self, x, direction):
        network = self.generator_ab if direction == "a_to_b" else self.generator_ba
        return network(ops.convert_to_tensor(x, "float32"), training=False)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                name: keras.saving.serialize_keras_object(getattr(self, name))
                for name in self.network_names
            }
        )
        config.update(
            {
                "cycle_weight": self.cycle_weight,
                "identity_weight": self.identity_weight,
                "pool_size": self.pool_size,
                "seed": self.seed,
            }
        )
        return config
