"""Named training recipes used by the ``kgen`` command line.

A recipe says how to build a compiled model for an image shape and a number
of classes, which pixel convention its data need, and sensible defaults for
training. ``kgen train NAME`` and ``kgen demo`` look recipes up in `RECIPES`.

Adding a recipe is one entry (model families add theirs in this file)::

    RECIPES["tiny_pixelcnn"] = Recipe("tiny_pixelcnn", "PixelCNN, 2 masked layers",
                                      _build_autoregressive("PixelCNN"),
                                      data_kind="integer",
                                      options={"num_levels": 17, "num_layers": 2})

where the build function has the signature
``build(image_shape, num_classes, *, learning_rate, seed, **options)`` and
returns a **compiled** model; ``options`` are the recipe's own keyword
arguments (``kgen train NAME --option latent_dim=2``). Import model code
inside the build function, so that listing recipes stays cheap.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

DATA_KINDS = ("unit", "signed", "integer")


@dataclass(frozen=True)
class Recipe:
    """How to build and train one kind of model from the command line.

    Attributes:
        name: registry key, e.g. ``"vae"``.
        description: one line for ``kgen list``.
        build: ``build(image_shape, num_classes, *, learning_rate, seed,
            **options)`` returning a compiled model.
        data_kind: pixel convention of the training data: ``"unit"`` (floats
            in [0, 1]: VAEs, autoencoders), ``"signed"`` (floats in [-1, 1]:
            GANs, diffusion) or ``"integer"`` (levels in
            ``[0, num_levels - 1]``: autoregressive models).
        epochs: default number of epochs.
        batch_size: default batch size.
        learning_rate: default learning rate.
        conditional: whether ``fit`` receives the class labels as ``y``
            (and ``sample`` is given ``conditions=``).
        options: default recipe options, overridable with ``--option``.
    """

    name: str
    description: str
    build: Callable
    data_kind: str = "unit"
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    conditional: bool = False
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.data_kind not in DATA_KINDS:
            raise ValueError(
                f"data_kind must be one of {DATA_KINDS}; received {self.data_kind!r}."
            )

    def levels(self, options=None):
        """Pixel levels for ``data_kind="integer"``: the ``num_levels`` option.

        The recipe's default, overridden by ``--option num_levels=...``; 256
        when the recipe has none.
        """
        merged = {**self.options, **(options or {})}
        return int(merged.get("num_levels", 256))

    def build_model(
        self, image_shape, num_classes, *, learning_rate=None, seed=0, **options
    ):
        """Build the compiled model: recipe defaults overridden by ``options``."""
        merged = {**self.options, **options}
        return self.build(
            tuple(int(s) for s in image_shape),
            int(num_classes),
            learning_rate=self.learning_rate
            if learning_rate is None
            else learning_rate,
            seed=seed,
            **merged,
        )


def _optimizer(name, **kwargs):
    # One fresh optimizer per call: each network of a GAN needs its own.
    def make(learning_rate):
        import keras

        return getattr(keras.optimizers, name)(learning_rate, **kwargs)

    return make


_adam = _optimizer("Adam")


def _build_mlp_vae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models import mlp_vae

    model = mlp_vae(image_shape, seed=seed, **options)
    model.compile(optimizer=_adam(learning_rate))
    return model


def _build_conv_vae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models import conv_vae

    model = conv_vae(image_shape, seed=seed, **options)
    model.compile(optimizer=_adam(learning_rate))
    return model


def _build_mlp_autoencoder(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models import mlp_autoencoder

    model = mlp_autoencoder(image_shape, **options)
    model.compile(optimizer=_adam(learning_rate))
    return model


def _build_conditional_vae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models import conditional_mlp_vae

    model = conditional_mlp_vae(image_shape, num_classes, seed=seed, **options)
    model.compile(optimizer=_adam(learning_rate))
    return model


def _build_dcgan_family(class_name, optimizer, conditional=False, **network_options):
    """A build function for a GAN class on ``dcgan_networks``.

    ``latent_dim`` and ``base_filters`` (and ``conditioning`` for a
    conditional GAN) come from the recipe options; the other options go to
    the model class. Both networks get their own optimizer from
    ``optimizer(learning_rate)``.
    """

    def build(image_shape, num_classes, *, learning_rate, seed, **options):
        from kgen import models

        options = dict(options)
        latent_dim = options.pop("latent_dim")
        network_kwargs = dict(network_options)
        class_args = ()
        if conditional:
            network_kwargs["num_classes"] = num_classes
            network_kwargs["conditioning"] = options.pop("conditioning", "projection")
            class_args = (num_classes,)
        generator, discriminator = models.dcgan_networks(
            image_shape, latent_dim, options.pop("base_filters"), **network_kwargs
        )
        model = getattr(models, class_name)(
            generator, discriminator, latent_dim, *class_args, seed=seed, **options
        )
        model.compile(
            d_optimizer=optimizer(learning_rate), g_optimizer=optimizer(learning_rate)
        )
        return model

    return build


_build_dcgan = _build_dcgan_family("GAN", _optimizer("Adam", beta_1=0.5))
_build_wgan_gp = _build_dcgan_family(
    "WGANGP",
    _optimizer("Adam", beta_1=0.0, beta_2=0.9),
    discriminator_normalization="layer",
)
_build_wgan = _build_dcgan_family(
    "WGAN", _optimizer("RMSprop"), discriminator_normalization=None
)
_build_conditional_gan = _build_dcgan_family(
    "ConditionalGAN", _optimizer("Adam", beta_1=0.5), conditional=True
)


def _build_autoregressive(class_name, conditional=False):
    """A build function for one of the autoregressive model classes.

    ``num_levels`` comes from the options (the data are quantized to it);
    ``num_classes`` is passed only when ``conditional``.
    """

    def build(image_shape, num_classes, *, learning_rate, seed, **options):
        from kgen import models

        model = getattr(models, class_name)(
            image_shape, num_classes=num_classes if conditional else None, **options
        )
        model.compile(optimizer=_adam(learning_rate))
        return model

    return build


def _autoregressive_recipe(name, description, class_name, conditional=False, **options):
    # 17 levels by default: the digits' own grey levels (option num_levels)
    return Recipe(
        name,
        description,
        _build_autoregressive(class_name, conditional),
        data_kind="integer",
        epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        conditional=conditional,
        options={"num_levels": 17, **options},
    )


RECIPES = {
    "vae": Recipe(
        "vae",
        "fully connected VAE (Kingma & Welling), Bernoulli decoder, 8-d latent",
        _build_mlp_vae,
        data_kind="unit",
        epochs=100,
        batch_size=64,
        learning_rate=2e-3,
        options={"latent_dim": 8, "hidden_units": (256,), "likelihood": "bernoulli"},
    ),
    "conv_vae": Recipe(
        "conv_vae",
        "convolutional VAE, Bernoulli decoder, 16-d latent (sides divisible by 4)",
        _build_conv_vae,
        data_kind="unit",
        epochs=30,
        batch_size=64,
        learning_rate=1e-3,
        options={"latent_dim": 16, "filters": (32, 64), "likelihood": "bernoulli"},
    ),
    "autoencoder": Recipe(
        "autoencoder",
        "fully connected deterministic autoencoder, L2 loss, 16-d code",
        _build_mlp_autoencoder,
        data_kind="unit",
        epochs=50,
        batch_size=64,
        learning_rate=1e-3,
        options={"code_dim": 16, "hidden_units": (256,)},
    ),
    "conditional_vae": Recipe(
        "conditional_vae",
        "class-conditional fully connected VAE (Sohn et al.), 8-d latent",
        _build_conditional_vae,
        data_kind="unit",
        epochs=100,
        batch_size=64,
        learning_rate=2e-3,
        conditional=True,
        options={"latent_dim": 8, "hidden_units": (256,)},
    ),
    "dcgan": Recipe(
        "dcgan",
        "DCGAN (Radford et al.), non-saturating loss, pixels in [-1, 1] (sides divisible by 4)",
        _build_dcgan,
        data_kind="signed",
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        options={"latent_dim": 32, "base_filters": 32},
    ),
    "wgan_gp": Recipe(
        "wgan_gp",
        "WGAN-GP (Gulrajani et al.), DCGAN networks with a layer-norm critic, 5 critic steps",
        _build_wgan_gp,
        data_kind="signed",
        epochs=20,
        batch_size=64,
        learning_rate=1e-4,
        options={"latent_dim": 32, "base_filters": 32, "n_critic": 5},
    ),
    "wgan": Recipe(
        "wgan",
        "WGAN (Arjovsky et al.), weight clipping at 0.01, RMSprop, 5 critic steps",
        _build_wgan,
        data_kind="signed",
        epochs=20,
        batch_size=64,
        learning_rate=5e-5,
        options={"latent_dim": 32, "base_filters": 32, "clip_value": 0.01},
    ),
    "conditional_gan": Recipe(
        "conditional_gan",
        "class-conditional DCGAN with a projection discriminator",
        _build_conditional_gan,
        data_kind="signed",
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        conditional=True,
        options={"latent_dim": 32, "base_filters": 32, "conditioning": "projection"},
    ),
    **{
        recipe.name: recipe
        for recipe in (
            _autoregressive_recipe(
                "pixelcnn",
                "PixelCNN (van den Oord et al.), masked convolutions A/B, softmax "
                "per sub-pixel",
                "PixelCNN",
                filters=32,
                num_layers=5,
            ),
            _autoregressive_recipe(
                "gated_pixelcnn",
                "Gated PixelCNN, vertical and horizontal stacks (no blind spot), "
                "fast sampling",
                "GatedPixelCNN",
                filters=32,
                num_layers=6,
            ),
            _autoregressive_recipe(
                "conditional_gated_pixelcnn",
                "class-conditional Gated PixelCNN (labels bias every gate)",
                "GatedPixelCNN",
                conditional=True,
                filters=32,
                num_layers=6,
            ),
            _autoregressive_recipe(
                "pixelcnn_pp",
                "PixelCNN++ (Salimans et al.), discretized logistic mixture, two scales",
                "PixelCNNPlusPlus",
                num_filters=32,
                num_resnet=1,
                num_scales=2,
                num_logistic_mix=5,
                dropout_rate=0.0,
            ),
            _autoregressive_recipe(
                "pixelrnn",
                "PixelRNN (van den Oord et al.), Row LSTM or Diagonal BiLSTM "
                "(option cell=)",
                "PixelRNN",
                cell="row_lstm",
                num_layers=2,
                hidden_units=32,
            ),
        )
    },
}


def get(name):
    """The recipe called ``name``; a ``ValueError`` lists the valid names."""
    if name not in RECIPES:
        raise ValueError(
            f"Unknown model {name!r}. Choose one of: {', '.join(sorted(RECIPES))}."
        )
    return RECIPES[name]
