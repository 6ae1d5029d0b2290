"""The registry of named training recipes, read by the ``kgen`` command line.

A recipe says how to build a compiled model for an image shape and a number
of classes, with sensible training defaults. Each model family registers its
own recipes, in ``kgen/models/<family>/recipes.py``, when the family is
imported (``import kgen`` imports them all)::

    from kgen.recipes import Recipe, register_recipe

    register_recipe(Recipe("tiny_pixelcnn", "PixelCNN, 2 masked layers",
                           build_tiny_pixelcnn, options={"num_layers": 2}))

where the build function has the signature
``build(image_shape, num_classes, *, learning_rate, seed, **options)`` and
returns a **compiled** model; ``options`` are the recipe's own keyword
arguments (``kgen train NAME --option latent_dim=2``).

A recipe does not say what data its model takes: the model does. The command
line builds the model first and converts the data with
``model.data_convention.from_uint8(images)``; it passes labels to ``fit`` when
``model.num_classes`` is set (see ``kgen.contract``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RECIPES", "Recipe", "adam", "get", "optimizer_factory", "register_recipe"]

#: ``{name: Recipe}`` of every registered recipe.
RECIPES = {}


@dataclass(frozen=True)
class Recipe:
    """How to build and train one kind of model from the command line.

    Attributes:
        name: registry key, e.g. ``"vae"``.
        description: one line for ``kgen list``.
        build: ``build(image_shape, num_classes, *, learning_rate, seed,
            **options)`` returning a compiled model. A class-conditional
            recipe builds a model with ``num_classes`` set; an unconditional
            one ignores ``num_classes``.
        epochs: default number of epochs.
        batch_size: default batch size.
        learning_rate: default learning rate.
        options: default recipe options, overridable with ``--option``.
    """

    name: str
    description: str
    build: Callable
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    options: dict = field(default_factory=dict)

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


def register_recipe(recipe):
    """Add ``recipe`` to `RECIPES`; a second recipe of the same name raises."""
    if not isinstance(recipe, Recipe):
        raise ValueError(f"Expected a kgen.recipes.Recipe; received {recipe!r}.")
    if recipe.name in RECIPES and RECIPES[recipe.name] is not recipe:
        raise ValueError(f"A recipe named {recipe.name!r} is already registered.")
    RECIPES[recipe.name] = recipe
    return recipe


def get(name):
    """The recipe called ``name``; a ``ValueError`` lists the valid names."""
    if name not in RECIPES:
        raise ValueError(
            f"Unknown model {name!r}. Choose one of: {', '.join(sorted(RECIPES))}."
        )
    return RECIPES[name]


def optimizer_factory(name, **kwargs):
    """``make(learning_rate)`` returning a new ``keras.optimizers.<name>``.

    One fresh optimizer per call: each network of a multi-network model
    needs its own.
    """

    def make(learning_rate):
        import keras

        return getattr(keras.optimizers, name)(learning_rate, **kwargs)

    return make


adam = optimizer_factory("Adam")
