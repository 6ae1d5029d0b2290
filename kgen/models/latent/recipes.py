"""Command-line recipes of the autoencoder and VAE family.

The VAE recipes use decoders of the discrete data (a discretized logistic
per sub-pixel) with 17 levels by default (option ``num_levels``): the
embedded digits' own grey levels, as in the autoregressive recipes, so that
their bits/dim (an IWAE bound) is a likelihood of the digits as stored and
comparable with the autoregressive models' exact bits/dim.
"""

from kgen.recipes import Recipe, adam, register_recipe

# The digits' 17 grey levels (see kgen.data.quantize); 8-bit data: 256.
DEFAULT_NUM_LEVELS = 17


def _build_mlp_vae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models.latent.vae import mlp_vae

    model = mlp_vae(image_shape, seed=seed, **options)
    model.compile(optimizer=adam(learning_rate))
    return model


def _build_conv_vae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models.latent.vae import conv_vae

    model = conv_vae(image_shape, seed=seed, **options)
    model.compile(optimizer=adam(learning_rate))
    return model


def _build_mlp_autoencoder(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models.latent.autoencoder import mlp_autoencoder

    model = mlp_autoencoder(image_shape, **options)
    model.compile(optimizer=adam(learning_rate))
    return model


def _build_conditional_vae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models.latent.conditional_vae import conditional_mlp_vae

    model = conditional_mlp_vae(image_shape, num_classes, seed=seed, **options)
    model.compile(optimizer=adam(learning_rate))
    return model


_DISCRETE_DECODER = {
    "likelihood": "discretized_logistic",
    "num_levels": DEFAULT_NUM_LEVELS,
}

for _recipe in (
    Recipe(
        "vae",
        "fully connected VAE (Kingma & Welling), discretized logistic decoder "
        "(17 levels), 8-d latent",
        _build_mlp_vae,
        epochs=100,
        batch_size=64,
        learning_rate=2e-3,
        options={"latent_dim": 8, "hidden_units": (256,), **_DISCRETE_DECODER},
    ),
    Recipe(
        "conv_vae",
        "convolutional VAE, discretized logistic decoder (17 levels), 16-d latent "
        "(sides divisible by 4)",
        _build_conv_vae,
        epochs=30,
        batch_size=64,
        learning_rate=1e-3,
        options={"latent_dim": 16, "filters": (32, 64), **_DISCRETE_DECODER},
    ),
    Recipe(
        "autoencoder",
        "fully connected deterministic autoencoder, L2 loss, 16-d code",
        _build_mlp_autoencoder,
        epochs=50,
        batch_size=64,
        learning_rate=1e-3,
        options={"code_dim": 16, "hidden_units": (256,)},
    ),
    Recipe(
        "conditional_vae",
        "class-conditional fully connected VAE (Sohn et al.), discretized logistic "
        "decoder (17 levels), 8-d latent",
        _build_conditional_vae,
        epochs=100,
        batch_size=64,
        learning_rate=2e-3,
        options={"latent_dim": 8, "hidden_units": (256,), **_DISCRETE_DECODER},
    ),
):
    register_recipe(_recipe)
