"""A DALL-E-style text-to-image model: image tokens, text tokens, one transformer.

The method of Ramesh et al. (2021), at a small scale:

1. **a discrete image tokenizer**: a `VQVAE` turns every image into a grid of
   code indices and decodes such grids back to images;
2. **an autoregressive transformer over text tokens followed by image
   tokens**: a `TextImageTransformer` learns ``p(image codes | caption)``;
3. **generation**: sample image codes for a prompt, decode them.

Captions are token ids of a `kgen.text.WordTokenizer` (word level; its
vocabulary is saved with the model as ``vocabulary.txt``). kgen's
demonstrations caption Fashion-MNIST and the digits with their class names
and attributes measured on each image (`kgen.text.attribute_captions`:
"small dark trouser"), not with human descriptions: the model learns to
follow such prompts, which is the method, not DALL-E's scale.
"""

import os

import keras
import numpy as np

from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.models.base import is_placeholder_targets
from kgen.models.discrete.stages import StagedModel
from kgen.models.discrete.token_transformer import TextImageTransformer
from kgen.models.discrete.vq_vae import VQVAE
from kgen.models.discrete.vq_vae2 import prior_seeds
from kgen.text.prompts import prompt_ids
from kgen.text.tokenizer import WordTokenizer
from kgen.validation import check_positive_int, to_numpy

__all__ = ["DALLE", "dalle"]

VOCABULARY_FILE = "vocabulary.txt"


@kgen_export
class DALLE(StagedModel):
    """Text to image with a VQ-VAE tokenizer and a token transformer.

    Composes three parts (see the module): ``image_tokenizer`` (a `VQVAE`),
    ``transformer`` (a `TextImageTransformer` over its code grid and
    codebook) and ``text_tokenizer`` (a `kgen.text.WordTokenizer` whose
    ``vocabulary_size`` and ``max_length`` the transformer was built for).

    **Training, stage by stage**: ``fit(x, captions)`` trains the image
    tokenizer on the images, then the transformer on ``(its codes,
    caption ids)``; captions are strings (every word in the vocabulary) or
    token ids, one per image. ``epochs`` may differ per stage and
    ``stages=["transformer"]`` trains only the transformer (a tokenizer
    trained before). ``compile`` gives each stage its own optimizer; the
    ``.keras`` file holds both with their optimizers and the vocabulary.

    **Generation**: ``generate(prompts, num_images_per_prompt)`` returns the
    images of each prompt, ``sample(n, captions=...)`` one image per caption
    (without captions: the empty caption, i.e. unconditional samples of a
    model trained with ``text_dropout > 0``). Both take the transformer's
    sampling options: ``temperature``, ``top_k``, ``top_p``,
    ``guidance_scale`` (classifier-free guidance), ``method`` (``"fast"``:
    key/value cache, or ``"naive"``).

    Args:
        image_tokenizer: a `VQVAE`.
        transformer: a `TextImageTransformer` with ``code_grid_shape`` and
            ``num_codes`` of the tokenizer.
        text_tokenizer: a `kgen.text.WordTokenizer`.
        **kwargs: standard model arguments.

    Raises:
        ValueError: when the parts do not fit together (with what to build).

    Examples:
        >>> import numpy as np
        >>> from kgen.models import dalle
        >>> x = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
        >>> captions = ["small dark boot", "large bright bag"] * 4
        >>> model = dalle((8, 8, 1), ["small", "large", "dark", "bright", "boot",
        ...                "bag"], max_length=3, num_embeddings=8, embedding_dim=4,
        ...               filters=(8,), num_residual_blocks=1, transformer_dim=8,
        ...               num_layers=1, num_heads=2, seed=0)
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, captions, epochs=1, verbose=0)
        >>> images = model.generate(["small dark boot", "bag"], num_images_per_prompt=2,
        ...                         seed=0)
        >>> images.shape
        (4, 8, 8, 1)

    References:
        Ramesh et al. "Zero-Shot Text-to-Image Generation", ICML 2021;
        van den Oord et al. "Neural Discrete Representation Learning",
        NeurIPS 2017.
    """

    data_kind = "unit"
    capabilities = frozenset({Capability.SAMPLE, Capability.TEXT_TO_IMAGE})
    stages = ("image_tokenizer", "transformer")
    config_objects = ("image_tokenizer", "transformer", "text_tokenizer")

    def __init__(self, image_tokenizer, transformer, text_tokenizer, **kwargs):
        super().__init__(**kwargs)
        parts = {
            "image_tokenizer": (image_tokenizer, VQVAE),
            "transformer": (transformer, TextImageTransformer),
            "text_tokenizer": (text_tokenizer, WordTokenizer),
        }
        for name, (value, cls) in parts.items():
            if isinstance(value, dict):
                value = keras.saving.deserialize_keras_object(value)
            if not isinstance(value, cls):
                raise ValueError(
                    f"{name} must be a {cls.__module__.split('.')[0]}.{cls.__name__}; "
                    f"received {type(value).__name__}."
                )
            parts[name] = value
        image_tokenizer = parts["image_tokenizer"]
        transformer = parts["transformer"]
        text_tokenizer = parts["text_tokenizer"]
        if (
            tuple(transformer.code_grid_shape) != tuple(image_tokenizer.code_grid_shape)
            or transformer.num_codes != image_tokenizer.num_embeddings
        ):
            raise ValueError(
                f"The transformer models {transformer.code_grid_shape} grids of "
                f"{transformer.num_codes} codes; the image tokenizer gives "
                f"{image_tokenizer.code_grid_shape} grids of "
                f"{image_tokenizer.num_embeddings}. Build it with code_grid_shape="
                f"{image_tokenizer.code_grid_shape}, num_codes="
                f"{image_tokenizer.num_embeddings}."
            )
        if (
            transformer.text_vocabulary_size != text_tokenizer.vocabulary_size
            or transformer.text_length != text_tokenizer.max_length
        ):
            raise ValueError(
                f"The transformer reads {transformer.text_length} ids of "
                f"{transformer.text_vocabulary_size}; the text tokenizer gives "
                f"{text_tokenizer.max_length} ids of {text_tokenizer.vocabulary_size}. "
                "Build it with text_vocabulary_size=tokenizer.vocabulary_size, "
                "text_length=tokenizer.max_length."
            )
        self.image_tokenizer = image_tokenizer
        self.transformer = transformer
        self.text_tokenizer = text_tokenizer
        self.image_shape = image_tokenizer.image_shape
        self.built = True

    # -------------------------------------------------------------- captions
    def caption_ids(self, captions, num_examples=None, *, name="captions"):
        """Token ids ``(num, max_length)`` of captions (strings or ids).

        Strings are checked word by word (`kgen.text.prompts.prompt_ids`:
        unknown words, too many words and empty captions raise); ids are
        checked for shape and range; one string stands for all
        ``num_examples``.
        """
        if isinstance(captions, str) and num_examples is not None:
            captions = [captions] * int(num_examples)
        if (
            isinstance(captions, (list, tuple))
            and captions
            and all(isinstance(c, str) for c in captions)
        ):
            ids = prompt_ids(self.text_tokenizer, captions, name=name)
        elif isinstance(captions, np.ndarray) and captions.dtype.kind in "USO":
            ids = prompt_ids(
                self.text_tokenizer, captions.reshape(-1).tolist(), name=name
            )
        else:
            array = np.asarray(to_numpy(captions))
            ids = self.text_tokenizer.check_ids(array, name=name)
        if num_examples is not None and len(ids) != num_examples:
            raise ValueError(
                f"Expected one caption per example ({num_examples}) or one string "
                f"for all; received {len(ids)} {name}."
            )
        return ids

    def check_data(self, x, y=None):
        x = self.check_x(x)
        if y is None or is_placeholder_targets(y):
            raise ValueError(
                f"{type(self).__name__} trains on images with captions: fit(x, "
                "captions) with strings or token ids, one per image (e.g. "
                "kgen.text.attribute_captions(images, labels, class_names))."
            )
        self.caption_ids(y, len(x))

    def fit(self, x=None, y=None, **kwargs):
        if y is not None and not is_placeholder_targets(y):
            y = self.caption_ids(y, len(x) if hasattr(x, "__len__") else None)
        return super().fit(x, y, **kwargs)

    def _stage_data(self, stage, x, y, state):
        if stage == "image_tokenizer":
            return x, None
        codes = self.image_tokenizer.encode_to_indices(np.asarray(x))
        return codes, y

    # ------------------------------------------------------------ generation
    def _images(self, ids, seed, batch_size, options):
        (transformer_seed,) = prior_seeds(self.sampling_seed_generator(seed), 1)
        codes = self.transformer.sample(
            len(ids),
            seed=transformer_seed,
            captions=ids,
            batch_size=batch_size,
            **options,
        )
        return self.image_tokenizer.decode_indices(codes.astype("int32"))

    def generate(
        self,
        prompts,
        num_images_per_prompt=1,
        *,
        seed=None,
        temperature=1.0,
        top_k=None,
        top_p=None,
        guidance_scale=1.0,
        method="fast",
        batch_size=16,
    ):
        """Images for text prompts (DALL-E's step 3).

        Args:
            prompts: a string or a list of strings; every word must be in the
                vocabulary (``text_tokenizer.vocabulary``), at most
                ``max_length`` words, not empty.
            num_images_per_prompt: images of each prompt.
            seed: integer seed (the same seed gives the same images on one
                backend), or None for the model's own sampling stream.
            temperature, top_k, top_p, guidance_scale, method: of
                `TextImageTransformer.sample`.
            batch_size: sequences sampled together.

        Returns:
            NumPy float32 images in [0, 1], ``(len(prompts) *
            num_images_per_prompt, *image_shape)``: the images of prompt
            ``i`` are rows ``i * n .. (i + 1) * n - 1``.

        Raises:
            ValueError: for empty prompts, too many words, unknown words or
                bad sampling options.
        """
        count = check_positive_int(num_images_per_prompt, "num_images_per_prompt")
        ids = prompt_ids(self.text_tokenizer, prompts, name="prompts")
        ids = np.repeat(ids, count, axis=0)
        options = {
            "temperature": temperature,
            "top_k": top_k,
            "top_p": top_p,
            "guidance_scale": guidance_scale,
            "method": method,
        }
        return self._images(ids, seed, batch_size, options)

    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        captions=None,
        temperature=1.0,
        top_k=None,
        top_p=None,
        guidance_scale=1.0,
        method="fast",
        batch_size=16,
    ):
        """Images for captions, one each; without captions, unconditional ones.

        Args:
            num_samples: number of images.
            seed: integer seed, or None for the model's sampling stream.
            conditions: must be None (captions condition this model).
            captions: one caption per image (strings or token ids), or one
                string for all; None: the empty caption, which stands for
                any image when the transformer was trained with
                ``text_dropout > 0``.
            temperature, top_k, top_p, guidance_scale, method, batch_size:
                as in ``generate``.

        Returns:
            NumPy float32 images in [0, 1], ``(num_samples, *image_shape)``.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        self.check_conditions(conditions, num_samples)
        if captions is None:
            ids = self.transformer.check_captions(None, num_samples, required=True)
        else:
            ids = self.caption_ids(captions, num_samples)
        options = {
            "temperature": temperature,
            "top_k": top_k,
            "top_p": top_p,
            "guidance_scale": guidance_scale,
            "method": method,
        }
        return self._images(ids, seed, batch_size, options)

    # ---------------------------------------------------------------- saving
    def get_config(self):
        config = super().get_config()
        for key in ("image_tokenizer", "transformer", "text_tokenizer"):
            config[key] = keras.saving.serialize_keras_object(getattr(self, key))
        return config

    def save_assets(self, dir_path):
        """Writes the text tokenizer's vocabulary as ``vocabulary.txt``."""
        self.text_tokenizer.save_vocabulary(os.path.join(dir_path, VOCABULARY_FILE))

    def load_assets(self, dir_path):
        """Reads ``vocabulary.txt`` back (the saved vocabulary is the model's)."""
        path = os.path.join(dir_path, VOCABULARY_FILE)
        if os.path.isfile(path):
            self.text_tokenizer = WordTokenizer.from_vocabulary_file(
                path,
                max_length=self.text_tokenizer.max_length,
                lowercase=self.text_tokenizer.lowercase,
            )


def dalle(
    image_shape,
    vocabulary,
    max_length=4,
    *,
    num_embeddings=512,
    embedding_dim=64,
    filters=(32, 64),
    num_residual_blocks=2,
    commitment_cost=0.25,
    decay=0.99,
    dead_code_threshold=None,
    kmeans_init=False,
    transformer_dim=128,
    num_layers=4,
    num_heads=4,
    mlp_dim=None,
    dropout=0.0,
    text_dropout=0.1,
    seed=None,
    **kwargs,
):
    """A `DALLE` with a convolutional `VQVAE` and a `TextImageTransformer`.

    Args:
        image_shape: ``(H, W, C)``.
        vocabulary: the caption words (a `kgen.text.WordTokenizer`'s).
        max_length: words per caption.
        num_embeddings, embedding_dim, filters, num_residual_blocks,
            commitment_cost, decay, dead_code_threshold, kmeans_init: of
            ``conv_vqvae``.
        transformer_dim, num_layers, num_heads, mlp_dim, dropout,
            text_dropout: of the `TextImageTransformer` (``transformer_dim``
            is its ``embedding_dim``).
        seed: integer seed of the quantizer and the transformer's noise.
        **kwargs: passed to `DALLE`.

    Returns:
        An uncompiled `DALLE`.
    """
    from kgen.models.discrete.vq_vae import conv_vqvae

    text_tokenizer = WordTokenizer(list(vocabulary), max_length=max_length)
    image_tokenizer = conv_vqvae(
        image_shape,
        num_embeddings,
        embedding_dim,
        filters,
        num_residual_blocks,
        commitment_cost=commitment_cost,
        decay=decay,
        dead_code_threshold=dead_code_threshold,
        kmeans_init=kmeans_init,
        seed=seed,
        name="image_tokenizer",
    )
    transformer = TextImageTransformer(
        image_tokenizer.code_grid_shape,
        image_tokenizer.num_embeddings,
        text_tokenizer.vocabulary_size,
        text_tokenizer.max_length,
        embedding_dim=transformer_dim,
        num_layers=num_layers,
        num_heads=num_heads,
        mlp_dim=mlp_dim,
        dropout=dropout,
        text_dropout=text_dropout,
        seed=seed,
        name="transformer",
    )
    return DALLE(image_tokenizer, transformer, text_tokenizer, **kwargs)
