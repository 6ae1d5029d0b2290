"""Command-line recipes of the GAN family."""

from kgen.recipes import Recipe, optimizer_factory, register_recipe


def _build_dcgan_family(class_name, optimizer, conditional=False, **network_options):
    """A build function for a GAN class on ``dcgan_networks``.

    ``latent_dim`` and ``base_filters`` (and ``conditioning`` for a
    conditional GAN) come from the recipe options; the other options go to
    the model class. Both networks get their own optimizer from
    ``optimizer(learning_rate)``.
    """

    def build(image_shape, num_classes, *, learning_rate, seed, **options):
        from kgen.models import adversarial

        options = dict(options)
        latent_dim = options.pop("latent_dim")
        network_kwargs = dict(network_options)
        class_args = ()
        if conditional:
            network_kwargs["num_classes"] = num_classes
            network_kwargs["conditioning"] = options.pop("conditioning", "projection")
            class_args = (num_classes,)
        generator, discriminator = adversarial.dcgan_networks(
            image_shape, latent_dim, options.pop("base_filters"), **network_kwargs
        )
        model = getattr(adversarial, class_name)(
            generator, discriminator, latent_dim, *class_args, seed=seed, **options
        )
        model.compile(
            d_optimizer=optimizer(learning_rate), g_optimizer=optimizer(learning_rate)
        )
        return model

    return build


for _recipe in (
    Recipe(
        "dcgan",
        "DCGAN (Radford et al.), non-saturating loss, pixels in [-1, 1] (sides divisible by 4)",
        _build_dcgan_family("GAN", optimizer_factory("Adam", beta_1=0.5)),
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        options={"latent_dim": 32, "base_filters": 32},
    ),
    # The Wasserstein papers' algorithm: a fresh real minibatch of 64 for each
    # of the 5 critic updates (critic_batches="fresh", the default), so a
    # training batch holds 5 x 64 examples; 100 epochs make about as many
    # generator steps as 20 epochs of batch 64 did.
    Recipe(
        "wgan_gp",
        "WGAN-GP (Gulrajani et al.), DCGAN networks with a layer-norm critic, "
        "5 critic steps on fresh minibatches of 64 (batch 320)",
        _build_dcgan_family(
            "WGANGP",
            optimizer_factory("Adam", beta_1=0.0, beta_2=0.9),
            discriminator_normalization="layer",
        ),
        epochs=100,
        batch_size=5 * 64,
        learning_rate=1e-4,
        options={"latent_dim": 32, "base_filters": 32, "n_critic": 5},
    ),
    Recipe(
        "wgan",
        "WGAN (Arjovsky et al.), weight clipping at 0.01, RMSprop, 5 critic steps "
        "on fresh minibatches of 64 (batch 320)",
        _build_dcgan_family(
            "WGAN", optimizer_factory("RMSprop"), discriminator_normalization=None
        ),
        epochs=100,
        batch_size=5 * 64,
        learning_rate=5e-5,
        options={
            "latent_dim": 32,
            "base_filters": 32,
            "clip_value": 0.01,
            "n_critic": 5,
        },
    ),
    Recipe(
        "conditional_gan",
        "class-conditional DCGAN with a projection discriminator",
        _build_dcgan_family(
            "ConditionalGAN", optimizer_factory("Adam", beta_1=0.5), conditional=True
        ),
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        options={"latent_dim": 32, "base_filters": 32, "conditioning": "projection"},
    ),
):
    register_recipe(_recipe)


# -- beyond DCGAN ---------------------------------------------------------------


def _lazy_adam(learning_rate, every, beta_1=0.0, beta_2=0.99):
    """Adam for a network with a lazily regularized phase every ``every`` steps.

    StyleGAN2 (appendix B) scales the learning rate and the betas by
    ``c = every / (every + 1)``: the regularization phase adds one update in
    ``every``, and this keeps the optimizer's effective speed.
    """
    import keras

    c = every / (every + 1.0)
    return keras.optimizers.Adam(
        learning_rate * c, beta_1=beta_1**c, beta_2=beta_2**c, epsilon=1e-8
    )


def _build_stylegan2(
    image_shape,
    num_classes,
    *,
    learning_rate,
    seed,
    latent_dim,
    mapping_layers,
    base_filters,
    max_filters=256,
    r1_every=16,
    path_length_every=4,
    **options,
):
    from kgen.models import adversarial

    generator, discriminator = adversarial.stylegan2_networks(
        image_shape,
        latent_dim=latent_dim,
        mapping_layers=mapping_layers,
        base_filters=base_filters,
        max_filters=max_filters,
    )
    model = adversarial.StyleGAN2(
        generator,
        discriminator,
        r1_every=r1_every,
        path_length_every=path_length_every,
        seed=seed,
        **options,
    )
    model.compile(
        d_optimizer=_lazy_adam(learning_rate, r1_every),
        g_optimizer=_lazy_adam(learning_rate, path_length_every),
    )
    return model


def _build_biggan(conditional):
    def build(
        image_shape,
        num_classes,
        *,
        learning_rate,
        seed,
        latent_dim,
        base_filters,
        embedding_dim=32,
        max_filters=256,
        attention_resolution=None,
        **options,
    ):
        import keras

        from kgen.models import adversarial

        classes = num_classes if conditional else None
        generator, discriminator = adversarial.biggan_networks(
            image_shape,
            latent_dim=latent_dim,
            num_classes=classes,
            base_filters=base_filters,
            max_filters=max_filters,
            embedding_dim=embedding_dim,
            attention_resolution=attention_resolution,
        )
        model = adversarial.BigGAN(
            generator,
            discriminator,
            latent_dim,
            num_classes=classes,
            seed=seed,
            **options,
        )
        # two time-scale learning rates as in SAGAN/BigGAN: D 4x faster
        model.compile(
            d_optimizer=keras.optimizers.Adam(
                4 * learning_rate, beta_1=0.0, beta_2=0.999
            ),
            g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.999),
        )
        return model

    return build


# words of kgen.text.attribute_captions on Fashion-MNIST and the digits
def _caption_vocabulary():
    from kgen.text import DIGIT_NAMES, FASHION_MNIST_NAMES

    return ["small", "large", "dark", "bright", *FASHION_MNIST_NAMES, *DIGIT_NAMES]


def _build_text_gan(
    image_shape,
    num_classes,
    *,
    learning_rate,
    seed,
    latent_dim,
    text_dim,
    base_filters,
    vocabulary=None,
    max_length=4,
    **options,
):
    from kgen.models import adversarial
    from kgen.text import WordTokenizer

    tokenizer = WordTokenizer(
        vocabulary or _caption_vocabulary(), max_length=max_length
    )
    generator, discriminator = adversarial.text_gan_networks(
        image_shape,
        tokenizer.vocabulary_size,
        tokenizer.max_length,
        latent_dim=latent_dim,
        text_dim=text_dim,
        base_filters=base_filters,
    )
    model = adversarial.TextConditionalGAN(
        generator, discriminator, latent_dim, tokenizer, seed=seed, **options
    )
    make = optimizer_factory("Adam", beta_1=0.5)
    model.compile(d_optimizer=make(learning_rate), g_optimizer=make(learning_rate))
    return model


def _half_width(image_shape, recipe):
    """One image of the side-by-side pairs the translation recipes train on."""
    height, width, channels = image_shape
    if width % 2:
        raise ValueError(
            f"The {recipe} recipe trains on side-by-side pairs (A | B), so the "
            f"data's width must be even; received image shape {tuple(image_shape)}. "
            "Use a paired data set (e.g. --data edges2fashion)."
        )
    return (height, width // 2, channels)


def _halvings(shape, limit):
    count, height, width = 0, shape[0], shape[1]
    while (
        count < limit and height % 2 == 0 and width % 2 == 0 and min(height, width) > 2
    ):
        height, width, count = height // 2, width // 2, count + 1
    return count


def _build_pix2pix(
    image_shape,
    num_classes,
    *,
    learning_rate,
    seed,
    base_filters,
    num_downsamples=None,
    discriminator_layers=2,
    **options,
):
    from kgen.models import adversarial

    shape = _half_width(image_shape, "pix2pix")
    generator = adversarial.unet_generator(
        shape,
        base_filters=base_filters,
        num_downsamples=num_downsamples,
    )
    discriminator = adversarial.patchgan_discriminator(
        shape,
        condition_shape=shape,
        base_filters=base_filters,
        num_layers=discriminator_layers,
    )
    model = adversarial.Pix2Pix(generator, discriminator, **options)
    make = optimizer_factory("Adam", beta_1=0.5)
    model.compile(d_optimizer=make(learning_rate), g_optimizer=make(learning_rate))
    return model


def _build_cyclegan(
    image_shape,
    num_classes,
    *,
    learning_rate,
    seed,
    base_filters,
    num_downsamples=2,
    num_residual_blocks=6,
    discriminator_layers=2,
    **options,
):
    from kgen.models import adversarial

    shape = _half_width(image_shape, "cyclegan")
    downsamples = min(num_downsamples, _halvings(shape, num_downsamples))

    def generator():
        return adversarial.resnet_generator(
            shape,
            base_filters=base_filters,
            num_downsamples=downsamples,
            num_residual_blocks=num_residual_blocks,
        )

    def discriminator():
        return adversarial.patchgan_discriminator(
            shape, base_filters=base_filters, num_layers=discriminator_layers
        )

    model = adversarial.CycleGAN(
        generator(), generator(), discriminator(), discriminator(), seed=seed, **options
    )
    make = optimizer_factory("Adam", beta_1=0.5)
    model.compile(
        optimizers={name: make(learning_rate) for name in model.network_names}
    )
    return model


for _recipe in (
    Recipe(
        "stylegan2",
        "StyleGAN2 (Karras et al. 2020): mapping network, modulated convolutions "
        "with noise, style mixing, lazy R1 and path-length regularization, EMA "
        "generator; pixels in [-1, 1] (square, sides s * 2**k with 4 <= s < 8)",
        _build_stylegan2,
        epochs=20,
        batch_size=32,
        learning_rate=2e-3,
        options={
            "latent_dim": 64,
            "mapping_layers": 4,
            "base_filters": 32,
            "r1_weight": 1.0,
            "ema_decay": 0.999,
        },
    ),
    Recipe(
        "biggan",
        "unconditional BigGAN (Brock et al. 2019): residual networks, batch norm "
        "conditioned on chunks of z, self-attention, spectral norm, hinge loss, "
        "orthogonal regularization, EMA generator",
        _build_biggan(conditional=False),
        epochs=20,
        batch_size=64,
        learning_rate=1e-4,
        options={"latent_dim": 64, "base_filters": 32},
    ),
    Recipe(
        "conditional_biggan",
        "class-conditional BigGAN: shared class embedding and z chunks condition "
        "every batch norm, projection discriminator (labels from the data set)",
        _build_biggan(conditional=True),
        epochs=20,
        batch_size=64,
        learning_rate=1e-4,
        options={"latent_dim": 64, "base_filters": 32, "embedding_dim": 32},
    ),
    Recipe(
        "text_gan",
        "text-to-image GAN with a matching-aware discriminator (Reed et al. "
        "2016), trained on captions such as 'small dark trouser' (fit(x, "
        "captions); see kgen.text.attribute_captions)",
        _build_text_gan,
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        options={"latent_dim": 32, "text_dim": 32, "base_filters": 32},
    ),
    Recipe(
        "pix2pix",
        "Pix2Pix (Isola et al. 2017): U-Net generator, PatchGAN on (input, "
        "output) pairs, cGAN + 100 L1; trains on side-by-side pairs (--data "
        "edges2fashion or gray2color_patches)",
        _build_pix2pix,
        epochs=20,
        batch_size=16,
        learning_rate=2e-4,
        options={"base_filters": 32},
    ),
    Recipe(
        "cyclegan",
        "CycleGAN (Zhu et al. 2017): two ResNet generators, two least-squares "
        "PatchGANs, cycle and identity losses, image pools; trains on unpaired "
        "side-by-side images (--data fashion_tops2bottoms)",
        _build_cyclegan,
        epochs=20,
        batch_size=16,
        learning_rate=2e-4,
        options={"base_filters": 32},
    ),
):
    register_recipe(_recipe)
