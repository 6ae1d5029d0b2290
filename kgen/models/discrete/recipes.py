"""Command-line recipes of the discrete-latent family: vqvae, vqvae2, dalle.

``vqvae`` trains the tokenizer alone (it reconstructs, it does not sample);
``vqvae2`` and ``conditional_vqvae2`` train the two-level tokenizer and then
its two Gated PixelCNN priors in one command, stage by stage (``--epochs``
is each stage's); ``dalle`` trains a VQ-VAE and then the text-image
transformer on captions (``fit(x, captions)``, captions from
``kgen.text.attribute_captions``). The codebooks are EMA codebooks with
dead-code restarts, the set-up that keeps most codes in use.
"""

from kgen.recipes import Recipe, adam, register_recipe

_CODEBOOK = {"decay": 0.99, "dead_code_threshold": 1.0}


def _build_vqvae(image_shape, num_classes, *, learning_rate, seed, **options):
    from kgen.models.discrete import conv_vqvae

    model = conv_vqvae(image_shape, seed=seed, **options)
    model.compile(optimizer=adam(learning_rate))
    return model


def _build_vqvae2(conditional):
    def build(image_shape, num_classes, *, learning_rate, seed, **options):
        from kgen.models.discrete import conv_vqvae2

        model = conv_vqvae2(
            image_shape, num_classes if conditional else None, seed=seed, **options
        )
        model.compile(optimizer=adam(learning_rate))
        return model

    return build


def _build_dalle(
    image_shape, num_classes, *, learning_rate, seed, vocabulary=None, **options
):
    from kgen.models.discrete import dalle
    from kgen.text.prompts import attribute_caption_vocabulary

    model = dalle(
        image_shape, vocabulary or attribute_caption_vocabulary(), seed=seed, **options
    )
    model.compile(optimizer=adam(learning_rate))
    return model


_VQVAE2_OPTIONS = {
    "num_embeddings": 128,
    "embedding_dim": 16,
    "filters": 32,
    "bottom_halvings": 1,
    "top_halvings": 1,
    "num_residual_blocks": 1,
    "prior_filters": 32,
    "prior_layers": 4,
    **_CODEBOOK,
}

for _recipe in (
    Recipe(
        "vqvae",
        "VQ-VAE (van den Oord et al. 2017): conv encoder, EMA codebook of 128 codes "
        "with dead-code restarts, conv decoder (a tokenizer: encodes and decodes, "
        "does not sample)",
        _build_vqvae,
        epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        options={
            "num_embeddings": 128,
            "embedding_dim": 16,
            "filters": (32, 64),
            "num_residual_blocks": 1,
            **_CODEBOOK,
        },
    ),
    Recipe(
        "vqvae2",
        "VQ-VAE-2 (Razavi et al. 2019): top and bottom code grids, then a Gated "
        "PixelCNN prior over each (the bottom one given the top codes), trained "
        "stage by stage",
        _build_vqvae2(conditional=False),
        epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        options=dict(_VQVAE2_OPTIONS),
    ),
    Recipe(
        "conditional_vqvae2",
        "class-conditional VQ-VAE-2: the top prior takes the labels, the bottom "
        "prior the top codes",
        _build_vqvae2(conditional=True),
        epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        options=dict(_VQVAE2_OPTIONS),
    ),
    Recipe(
        "dalle",
        "DALL-E-style text to image (Ramesh et al. 2021), small scale: VQ-VAE "
        "image tokens, then a causal transformer over [caption words, image "
        "tokens]; fit(x, captions), sample with --prompt",
        _build_dalle,
        epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        options={
            "max_length": 3,
            "num_embeddings": 128,
            "embedding_dim": 16,
            "filters": (32, 64),
            "num_residual_blocks": 1,
            "transformer_dim": 64,
            "num_layers": 2,
            "num_heads": 4,
            "text_dropout": 0.1,
            **_CODEBOOK,
        },
    ),
):
    register_recipe(_recipe)
