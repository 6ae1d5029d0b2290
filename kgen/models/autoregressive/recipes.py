"""Command-line recipes of the autoregressive family.

17 levels by default (option ``num_levels``): the embedded digits' own grey
levels, so that the default recipes model the digits exactly as stored.
"""

from kgen.recipes import Recipe, adam, register_recipe


def _build_autoregressive(class_name, conditional=False):
    """A build function for one of the autoregressive model classes.

    ``num_levels`` comes from the options (the data are quantized to the
    model's declared levels); ``num_classes`` is passed only when
    ``conditional``.
    """

    def build(image_shape, num_classes, *, learning_rate, seed, **options):
        from kgen.models import autoregressive

        model = getattr(autoregressive, class_name)(
            image_shape, num_classes=num_classes if conditional else None, **options
        )
        model.compile(optimizer=adam(learning_rate))
        return model

    return build


def _autoregressive_recipe(name, description, class_name, conditional=False, **options):
    return Recipe(
        name,
        description,
        _build_autoregressive(class_name, conditional),
        epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        options={"num_levels": 17, **options},
    )


for _recipe in (
    _autoregressive_recipe(
        "pixelcnn",
        "PixelCNN (van den Oord et al.), masked convolutions A/B, softmax per sub-pixel",
        "PixelCNN",
        filters=32,
        num_layers=5,
    ),
    _autoregressive_recipe(
        "gated_pixelcnn",
        "Gated PixelCNN, vertical and horizontal stacks (no blind spot), fast sampling",
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
        "PixelRNN (van den Oord et al.), Row LSTM or Diagonal BiLSTM (option cell=)",
        "PixelRNN",
        cell="row_lstm",
        num_layers=2,
        hidden_units=32,
    ),
):
    register_recipe(_recipe)
