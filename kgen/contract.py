"""What a kgen model is, declared in one place: data convention and capabilities.

Every model class states

- ``data_kind``: the pixel (or token) convention of the data it trains on and
  returns, one of ``"unit"`` (floats in [0, 1]), ``"signed"`` (floats in
  [-1, 1]), ``"integer"`` (levels in ``[0, num_levels - 1]``) or ``"real"``
  (unbounded floats: points of a 1-D or 2-D density);
- ``capabilities``: a frozenset of `Capability` values, the verbs it answers;

and every instance exposes ``data_convention`` (a `DataConvention`: kind,
shape of one example, number of levels) and ``num_classes`` (``None`` for an
unconditional model). The command line, the callbacks, the picture writers
and ``kgen.evaluation`` read these and nothing else: none of them guesses what
a model is from the methods it happens to have.

The protocols below (`Sampler`, `ExactLikelihood`, ...) write down the
signature each capability promises. They are ``runtime_checkable`` so that
the conformance tests can verify that every declared capability is backed by
its methods; library code never uses them to *discover* capabilities.
"""

import enum
import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Capability",
    "DataConvention",
    "DATA_KINDS",
    "ExactLikelihood",
    "LikelihoodBound",
    "LatentDecoder",
    "Encoder",
    "Sampler",
    "TextToImage",
    "Translator",
    "capabilities_of",
    "data_convention_of",
    "has_capability",
    "require_capability",
]

DATA_KINDS = ("unit", "signed", "integer", "real")


class Capability(str, enum.Enum):
    """The verbs a model can answer. A model declares the ones it has.

    Each value names what the verbs mean in *every* family:

    - ``SAMPLE``: ``sample(num_samples, *, seed=None, conditions=None,
      batch_size=...)`` returns new data as NumPy in the model's convention.
    - ``EXACT_LIKELIHOOD``: ``log_prob(x, conditions=None)`` is the exact
      log-likelihood of the discrete data, per example, in nats, and
      ``bits_per_dim(x)`` is ``-log_prob / (D ln 2)`` per example.
    - ``LIKELIHOOD_BOUND``: ``elbo(x)`` is a lower bound on log p(x) per
      example (nats); ``bits_per_dim(x, num_samples=...)`` is an *upper
      bound* on the discrete data's -log p(x) / (D ln 2) per example, from an
      estimator with ``num_samples`` samples (importance samples of a VAE's
      IWAE bound, sampled terms of a diffusion bound; ``None``: the model's
      default), and ``likelihood_estimator(num_samples)`` names it. Families
      may offer more (VAEs: ``iwae_log_likelihood``).
    - ``ENCODE``: ``encode(x)`` returns a dict of named NumPy arrays with at
      least ``"latent"`` (what ``decode`` takes); ``reconstruct(x)`` decodes
      it.
    - ``DECODE``: ``decode(latents)`` maps latent vectors to data (GAN
      generators, VAE and autoencoder decoders): the one name for
      latent -> data.
    - ``LATENT_TRAVERSAL``: ``interpolate``, ``traverse`` and ``edit`` move
      through a continuous latent space.
    - ``COMPLETE``: ``complete(x, num_given_rows)`` samples the rest of
      partially given data (autoregressive models).
    - ``FAST_SAMPLING``: ``sample(..., method="fast")`` uses a cached sampler
      that draws the same data as ``method="naive"``.
    - ``DISCRETE_CODES``: ``encode_to_indices(x)`` / ``decode_indices(codes)``
      (vector-quantized models).
    - ``TRANSLATE``: ``translate(x, *, direction="a_to_b", batch_size=...)``
      maps images of one domain to the other (image-to-image translation:
      Pix2Pix, CycleGAN); such a model trains on pairs of images side by
      side (``data_shape`` is the pair) and does not sample new data.
    - ``TEXT_TO_IMAGE``: ``generate(prompts, num_images_per_prompt=1, *,
      seed=None, batch_size=...)`` returns images for text prompts as NumPy
      in the model's convention, ``num_images_per_prompt`` rows per prompt in
      the prompts' order (``len(prompts) * num_images_per_prompt`` in all).
    """

    SAMPLE = "sample"
    EXACT_LIKELIHOOD = "exact_likelihood"
    LIKELIHOOD_BOUND = "likelihood_bound"
    ENCODE = "encode"
    DECODE = "decode"
    LATENT_TRAVERSAL = "latent_traversal"
    COMPLETE = "complete"
    FAST_SAMPLING = "fast_sampling"
    DISCRETE_CODES = "discrete_codes"
    TRANSLATE = "translate"
    TEXT_TO_IMAGE = "text_to_image"

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class DataConvention:
    """The data a model trains on and returns.

    Attributes:
        kind: ``"unit"`` (floats in [0, 1]), ``"signed"`` (floats in [-1, 1]),
            ``"integer"`` (levels ``0 .. num_levels - 1``) or ``"real"``
            (unbounded floats, e.g. 2-D points).
        shape: the shape of one example, e.g. ``(28, 28, 1)`` for images,
            ``(7, 7)`` for a grid of codes, ``(2,)`` for points.
        num_levels: for ``"integer"``, the number of levels. For ``"unit"``
            and ``"signed"``, the number of levels of the discrete data the
            floats stand for (``256`` for 8-bit images: ``k / 255``), which
            is what a likelihood in bits/dim is measured against; ``None``
            for continuous data (points of a 2-D density).
    """

    kind: str
    shape: tuple
    num_levels: int | None = None

    def __post_init__(self):
        if self.kind not in DATA_KINDS:
            raise ValueError(
                f"kind must be one of {DATA_KINDS}; received {self.kind!r}."
            )
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if self.kind == "integer" and self.num_levels is None:
            raise ValueError("An 'integer' data convention needs num_levels.")
        if self.kind == "real" and self.num_levels is not None:
            raise ValueError("A 'real' data convention is continuous: num_levels=None.")
        if self.num_levels is not None:
            if isinstance(self.num_levels, bool) or int(self.num_levels) < 2:
                raise ValueError(
                    f"num_levels must be an integer >= 2 or None; received "
                    f"{self.num_levels!r}."
                )
            object.__setattr__(self, "num_levels", int(self.num_levels))

    @property
    def value_range(self):
        """``(low, high)``: (0, 1), (-1, 1), (0, L - 1), or None for ``"real"``."""
        if self.kind == "real":
            return None
        if self.kind == "integer":
            return (0, self.num_levels - 1)
        return (-1.0, 1.0) if self.kind == "signed" else (0.0, 1.0)

    @property
    def is_image(self):
        """Whether one example is an ``(H, W, C)`` image."""
        return len(self.shape) == 3

    @property
    def num_dims(self):
        """Sub-pixels (or tokens, coordinates) per example."""
        return int(math.prod(self.shape))

    def from_uint8(self, images):
        """Convert 8-bit images (``kgen.data.load``'s output) to this convention.

        ``"integer"``: quantized to ``num_levels`` levels; ``"unit"`` /
        ``"signed"``: quantized to ``num_levels`` levels (when set) and
        scaled to [0, 1] or [-1, 1].
        """
        from kgen.data import transforms

        if self.kind == "real":
            raise ValueError("A 'real' data convention holds points, not images.")
        images = np.asarray(images)
        levels = self.num_levels or 256
        if self.kind == "integer":
            return transforms.quantize(images, levels).astype("int32")
        unit = transforms.quantize(images, levels).astype("float32") / (levels - 1)
        return unit if self.kind == "unit" else 2.0 * unit - 1.0

    def to_uint8(self, x):
        """Data in this convention as 8-bit pictures (for grids and reports)."""
        x = np.asarray(x)
        if self.kind == "real":
            raise ValueError("A 'real' data convention holds points, not images.")
        low, high = self.value_range
        scaled = (x.astype("float64") - low) / (high - low)
        return np.clip(np.round(scaled * 255.0), 0, 255).astype("uint8")

    def describe(self):
        """One line, e.g. ``"integer levels in [0, 16] (17 levels), shape (8, 8, 1)"``."""
        if self.kind == "real":
            return f"real-valued points, shape {self.shape}"
        if self.kind == "integer":
            text = f"integer levels in [0, {self.num_levels - 1}] ({self.num_levels} levels)"
        else:
            low, high = self.value_range
            text = f"floats in [{low:g}, {high:g}]"
            if self.num_levels:
                text += f" on a grid of {self.num_levels} levels"
        return f"{text}, shape {self.shape}"


def capabilities_of(model):
    """The declared capabilities of a model (or model class), a frozenset."""
    return frozenset(getattr(model, "capabilities", frozenset()))


def has_capability(model, capability):
    """Whether ``model`` declares ``capability`` (a `Capability` or its value)."""
    return Capability(capability) in capabilities_of(model)


def require_capability(model, capability, purpose):
    """Raise a ``ValueError`` unless ``model`` declares ``capability``.

    Args:
        model: a kgen model.
        capability: a `Capability`.
        purpose: what needs it, for the message (e.g. ``"bits/dim"``).
    """
    capability = Capability(capability)
    if capability not in capabilities_of(model):
        declared = ", ".join(sorted(c.value for c in capabilities_of(model)))
        raise ValueError(
            f"{purpose} needs a model with the {capability.value!r} capability; "
            f"{type(model).__name__} declares {declared or 'none'}."
        )


def data_convention_of(model):
    """``model.data_convention``, with a clear error for non-kgen models."""
    convention = getattr(model, "data_convention", None)
    if not isinstance(convention, DataConvention):
        raise ValueError(
            f"{type(model).__name__} does not declare a data convention; kgen "
            "models derive from kgen.models.GenerativeModel, which provides "
            "data_convention."
        )
    return convention


# --------------------------------------------------------------- protocols
# The signatures behind each capability. The conformance tests check that a
# model declaring a capability satisfies its protocol.


@runtime_checkable
class Sampler(Protocol):
    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=None):
        """New data, NumPy, in the model's convention."""


@runtime_checkable
class ExactLikelihood(Protocol):
    def log_prob(self, x, conditions=None, *, batch_size=None):
        """Exact log p(x) per example, nats."""

    def bits_per_dim(self, x, conditions=None, *, batch_size=None):
        """-log p(x) / (D ln 2) per example."""


@runtime_checkable
class LikelihoodBound(Protocol):
    def elbo(self, x, conditions=None, *, seed=None, batch_size=None):
        """A lower bound on log p(x) per example, nats."""

    def bits_per_dim(
        self, x, conditions=None, *, num_samples=None, seed=None, batch_size=None
    ):
        """An upper bound on -log p(x) / (D ln 2) per example."""

    def likelihood_estimator(self, num_samples=None):
        """A name for how ``bits_per_dim`` is obtained."""


@runtime_checkable
class Encoder(Protocol):
    def encode(self, x, conditions=None, *, batch_size=None):
        """Named NumPy outputs with at least ``"latent"``."""

    def reconstruct(self, x, conditions=None, *, batch_size=None):
        """``decode(encode(x)["latent"])``."""


@runtime_checkable
class LatentDecoder(Protocol):
    def decode(self, latents, conditions=None, *, batch_size=None):
        """Data from latent vectors."""


@runtime_checkable
class Translator(Protocol):
    def translate(self, x, *, direction="a_to_b", batch_size=None):
        """Images of the other domain, NumPy, in the model's convention."""


@runtime_checkable
class TextToImage(Protocol):
    def generate(self, prompts, num_images_per_prompt=1, *, seed=None, batch_size=None):
        """Images for text prompts, NumPy, in the model's convention."""


PROTOCOLS = {
    Capability.SAMPLE: Sampler,
    Capability.EXACT_LIKELIHOOD: ExactLikelihood,
    Capability.LIKELIHOOD_BOUND: LikelihoodBound,
    Capability.ENCODE: Encoder,
    Capability.DECODE: LatentDecoder,
    Capability.TRANSLATE: Translator,
    Capability.TEXT_TO_IMAGE: TextToImage,
}
