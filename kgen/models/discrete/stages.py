"""Stage-by-stage training of two-stage models (a tokenizer, then priors).

A two-stage model (``VQVAE2``, ``DALLE``) is made of saved kgen models, each
compiled with its own optimizer and trained by its own ``fit``: first the
image tokenizer on the images, then the prior(s) on the tokenizer's codes.
``StagedModel`` holds what they share: ``compile`` (one optimizer per
stage), ``fit`` (the stages in order, each a plain ``fit`` of its model),
the merged history, and saving (every stage's optimizer travels with the
file, because every stage is a compiled model inside it).
"""

import keras

from kgen.models.base import GenerativeModel, _is_array_like

__all__ = ["StagedModel"]


def _fresh_optimizer(optimizer):
    """A new optimizer like ``optimizer`` (a name, config dict or instance)."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return type(optimizer).from_config(optimizer.get_config())
    return keras.optimizers.get(optimizer)


class StagedModel(GenerativeModel):
    """Base of models trained stage by stage (see the module).

    Subclasses set ``stages`` (names of the attributes holding the stage
    models, in training order) and implement ``_stage_data(stage, x, y,
    state)`` returning ``(inputs, targets)`` for that stage's ``fit``
    (``state`` is a dict the stages may share, e.g. the codes of the
    images).

    Examples:
        `VQVAE2` is a staged model with one optimizer per stage; then
        ``model.fit(x, epochs={"tokenizer": 5})`` would train the tokenizer
        alone, for 5 epochs.

        >>> import keras
        >>> from kgen.models import StagedModel, conv_vqvae2
        >>> model = conv_vqvae2((8, 8, 1), num_embeddings=8, embedding_dim=4,
        ...                     filters=8, bottom_halvings=1, num_residual_blocks=1,
        ...                     prior_filters=8, prior_layers=2, seed=0)
        >>> isinstance(model, StagedModel), model.stages
        (True, ('tokenizer', 'top_prior', 'bottom_prior'))
        >>> model.compile(optimizer="adam",
        ...               optimizers={"tokenizer": keras.optimizers.SGD(0.01)})
        >>> {stage: type(o).__name__ for stage, o in model.network_optimizers.items()}
        {'tokenizer': 'SGD', 'top_prior': 'Adam', 'bottom_prior': 'Adam'}
    """

    stages = ()
    supports_sample_weight = True

    # ------------------------------------------------------------- compile
    def compile(self, optimizer="adam", *, optimizers=None, **kwargs):
        """Compile every stage with its own optimizer.

        Args:
            optimizer: the optimizer of every stage not in ``optimizers``: a
                name, a config or an instance (copied once per stage: an
                optimizer holds the state of the variables it trains).
            optimizers: ``{stage: optimizer}`` for chosen stages.
            **kwargs: passed to every stage's ``compile`` (e.g.
                ``jit_compile``).

        Raises:
            ValueError: for an unknown stage name.
        """
        optimizers = dict(optimizers or {})
        unknown = set(optimizers) - set(self.stages)
        if unknown:
            raise ValueError(
                f"optimizers has unknown stages {sorted(unknown)}; the stages of "
                f"{type(self).__name__} are {list(self.stages)}."
            )
        for stage in self.stages:
            chosen = optimizers.get(stage, optimizer)
            getattr(self, stage).compile(optimizer=_fresh_optimizer(chosen), **kwargs)
        self.compiled = True

    @property
    def network_optimizers(self):
        """``{stage: optimizer}`` of the compiled stages."""
        return {
            stage: getattr(self, stage).optimizer
            for stage in self.stages
            if getattr(getattr(self, stage), "optimizer", None) is not None
        }

    def get_compile_config(self):
        # Each stage saves and restores its own compile config (it is a
        # compiled model inside this one); this records only that all were.
        if not self.compiled:
            return None
        return {"stages": list(self.stages)}

    def compile_from_config(self, config):
        self.compiled = all(getattr(self, s).compiled for s in self.stages)

    # ----------------------------------------------------------------- fit
    def _stage_data(self, stage, x, y, state):
        raise NotImplementedError

    def fit(
        self,
        x=None,
        y=None,
        *,
        epochs=1,
        stages=None,
        sample_weight=None,
        callbacks=None,
        **kwargs,
    ):
        """Train the stages in order, each with its own ``fit``.

        Args:
            x: the training images.
            y: the stage's targets (class labels, captions: see the model).
            epochs: epochs of every stage, or ``{stage: epochs}`` (a stage
                missing from the dict is skipped).
            stages: the stages to train (default all, in order); e.g. only
                the priors of a model whose tokenizer is trained.
            sample_weight: per-example weights, passed to every stage.
            callbacks: passed to every stage's ``fit``.
            **kwargs: passed to every stage's ``fit`` (``batch_size``,
                ``verbose``, ``shuffle``...).

        Returns:
            A ``keras.callbacks.History`` whose ``history`` holds every
            stage's logs, prefixed with the stage's name (e.g.
            ``"tokenizer_loss"``, ``"top_prior_bits_per_dim"``).

        Raises:
            ValueError: for unknown stages, uncompiled stages, bad data or
                unsupported arguments.
        """
        if kwargs.get("validation_data") is not None or kwargs.get("validation_split"):
            raise ValueError(
                f"{type(self).__name__}.fit trains its stages one after the other; "
                "validate each stage with its own fit (e.g. "
                "model.tokenizer.fit(x, validation_data=...))."
            )
        stages = list(self.stages if stages is None else stages)
        unknown = [s for s in stages if s not in self.stages]
        if unknown:
            raise ValueError(
                f"Unknown stages {unknown}; the stages of {type(self).__name__} "
                f"are {list(self.stages)}."
            )
        for stage in stages:
            if not getattr(self, stage).compiled:
                raise ValueError(
                    f"The {stage} stage is not compiled; call "
                    f"{type(self).__name__}.compile(...) first."
                )
        if isinstance(epochs, dict):
            unknown = set(epochs) - set(self.stages)
            if unknown:
                raise ValueError(
                    f"epochs has unknown stages {sorted(unknown)}; the stages are "
                    f"{list(self.stages)}."
                )
            stages = [s for s in stages if s in epochs]
        if _is_array_like(x):
            self.check_data(x, y)
        history = keras.callbacks.History()
        history.history = {}
        state = {}
        for stage in stages:
            model = getattr(self, stage)
            inputs, targets = self._stage_data(stage, x, y, state)
            logs = model.fit(
                inputs,
                targets,
                epochs=epochs[stage] if isinstance(epochs, dict) else epochs,
                sample_weight=sample_weight,
                callbacks=callbacks,
                **kwargs,
            ).history
            for key, values in logs.items():
                history.history[f"{stage}_{key}"] = list(values)
        return history

    def evaluate(self, *args, **kwargs):
        raise ValueError(
            f"{type(self).__name__} is trained stage by stage; evaluate a stage "
            "with its own evaluate (e.g. model.tokenizer.evaluate(x)), or use "
            "kgen.evaluation.evaluate_model(model, x)."
        )
