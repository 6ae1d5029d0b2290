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
