"""Command-line recipes of the diffusion family: ``ddpm`` and ``conditional_ddpm``.

Both build a `DiffusionModel` on a `diffusion_unet` sized for the image
(two halvings for 28x28: 28 -> 14 -> 7, attention at 7x7), the linear
schedule of Ho et al. with ``T = 1000``, epsilon prediction and an EMA of
the weights. ``conditional_ddpm`` adds labels with 10% label dropout, so
``kgen sample MODEL --option guidance_scale=2`` samples with
classifier-free guidance.
"""

from kgen.recipes import Recipe, adam, register_recipe

_UNET_OPTIONS = (
    "base_filters",
    "channel_multipliers",
    "num_res_blocks",
    "attention_resolutions",
    "num_heads",
    "num_groups",
    "dropout",
)


def _build_ddpm(conditional):
    def build(image_shape, num_classes, *, learning_rate, seed, **options):
        from kgen.models.diffusion import DiffusionModel, diffusion_unet

        unet_options = {k: options.pop(k) for k in _UNET_OPTIONS if k in options}
        classes = num_classes if conditional else None
        variance_type = options.get("variance_type", "fixed_small")
        network = diffusion_unet(
            image_shape,
            num_classes=classes,
            learned_variance=variance_type == "learned_range",
            seed=seed,
            **unet_options,
        )
        if not conditional:
            options.pop("label_dropout", None)
        model = DiffusionModel(network, num_classes=classes, seed=seed, **options)
        model.compile(optimizer=adam(learning_rate))
        return model

    return build


_DEFAULTS = {
    "base_filters": 32,
    "channel_multipliers": (1, 2, 2),
    "num_res_blocks": 1,
    "num_groups": 8,
    "schedule": "linear",
    "num_timesteps": 1000,
    "prediction_type": "epsilon",
    "ema_decay": 0.999,
}


for _recipe in (
    Recipe(
        "ddpm",
        "DDPM (Ho et al.): U-Net, linear schedule T=1000, epsilon, EMA; "
        "sample with --option sampler=ddim --option steps=50",
        _build_ddpm(conditional=False),
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        options=dict(_DEFAULTS),
    ),
    Recipe(
        "conditional_ddpm",
        "class-conditional DDPM, 10% label dropout: classifier-free guidance "
        "(--option guidance_scale=2)",
        _build_ddpm(conditional=True),
        epochs=20,
        batch_size=64,
        learning_rate=2e-4,
        options={**_DEFAULTS, "label_dropout": 0.1},
    ),
):
    register_recipe(_recipe)
