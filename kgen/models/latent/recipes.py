"""Command-line recipes of the autoencoder and VAE family."""

from kgen.recipes import Recipe, adam, register_recipe


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


for _recipe in (
    Recipe(
        "vae",
        "fully connected VAE (Kingma & Welling), Bernoulli decoder, 8-d latent",
        _build_mlp_vae,
        epochs=100,
        batch_size=64,
        learning_rate=2e-3,
        options={"latent_dim": 8, "hidden_units": (256,), "likelihood": "bernoulli"},
    ),
    Recipe(
        "conv_vae",
        "convolutional VAE, Bernoulli decoder, 16-d latent (sides divisible by 4)",
        _build_conv_vae,
        epochs=30,
        batch_size=64,
        learning_rate=1e-3,
        options={"latent_dim": 16, "filters": (32, 64), "likelihood": "bernoulli"},
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
        "class-conditional fully connected VAE (Sohn et al.), 8-d latent",
        _build_conditional_vae,
        epochs=100,
        batch_size=64,
        learning_rate=2e-3,
        options={"latent_dim": 8, "hidden_units": (256,)},
    ),
):
    register_recipe(_recipe)
