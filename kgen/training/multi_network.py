"""The multi-network training base: named networks, one optimizer each.

A model made of several networks that are trained against, or alongside,
each other (a GAN's generator and discriminator; CycleGAN's two generators
and two discriminators; StyleGAN2 with its lazily regularized phases)
derives from `MultiNetworkModel`. The base class owns everything about
training such a model that is not the model's own objective:

- **named networks, one optimizer each.** A subclass declares
  ``network_names`` (e.g. ``("generator", "discriminator")``) and sets an
  attribute of each name to the network (any ``keras.layers.Layer``);
  ``compile(optimizers={"generator": ..., "discriminator": ...})`` gives each
  its optimizer (``network_optimizers`` maps the names back to them).
- **all optimizer state carried on every backend.** The optimizers sit in an
  `OptimizerGroup` set as ``model.optimizer``: JAX's ``fit`` threads only
  ``model.optimizer.variables`` through its compiled state, so a second
  optimizer kept beside it would be reset every step. Variables are matched
  to optimizers by object identity, never by path (paths change after a
  ``.keras`` reload).
- **saving.** ``get_compile_config``/``compile_from_config`` rebuild every
  optimizer, built on its network's variables, before the weights load, so
  that a ``.keras`` file restores all optimizer state and training resumes
  with the same next step.
- **training phases.** ``training_phases(data)`` returns the step as a list
  of ``kgen.backend.Phase``/``JointPhase`` objects; a phase with ``every=N``
  runs only on steps where ``iterations % N == 0`` (lazy regularization).
  ``kgen.backend.multi_optimizer_train_step`` runs them on each backend.
- **loss scaling.** Under the ``mixed_float16`` policy each optimizer is
  wrapped in a ``LossScaleOptimizer`` and each loss is scaled by its own
  optimizer; under ``tf.distribute`` each phase's loss is divided by the
  number of replicas (whose gradients are summed). Trackers get the
  unscaled values.
- **callbacks.** ``model.optimizer.optimizers`` lists every optimizer, which
  is what Keras's ``LearningRateScheduler`` and ``ReduceLROnPlateau`` look
  for: a schedule reaches every network's optimizer.

A subclass provides ``network_names``, the networks, ``training_phases(data)``
and the trackers in ``metrics``; the default ``update_training_metrics``
updates every tracker whose name is a logged key.
"""

import copy

import keras
from keras import ops

from kgen import backend
from kgen.models.base import GenerativeModel

__all__ = ["MultiNetworkModel", "OptimizerGroup"]

# keras.Model.compile arguments a multi-network model keeps (and saves).
_COMPILE_KWARGS = ("run_eagerly", "jit_compile", "steps_per_execution")


class OptimizerGroup(keras.optimizers.Optimizer):
    """Holds several optimizers so that ``fit`` carries all of their state.

    Its ``variables`` are its own ``iterations`` (one per training step)
    followed by every member's variables. It never applies gradients itself:
    the multi-optimizer step (``kgen.backend.multi_optimizer_train_step``)
    applies each member to its own variables, which the model assigns by
    object identity (not by variable path, which changes after a ``.keras``
    reload). It saves only its own counter; each member is saved by the
    model that owns it (``MultiNetworkModel.network_optimizers``).

    Keras's learning-rate callbacks (``LearningRateScheduler``,
    ``ReduceLROnPlateau``) update every optimizer listed in ``optimizers``.

    Args:
        optimizers: list of built or unbuilt ``keras.optimizers.Optimizer``.
        name: optimizer name.
    """

    def __init__(self, optimizers, name="optimizer_group"):
        super().__init__(learning_rate=0.0, name=name)
        self._members = list(optimizers)

    @property
    def optimizers(self):
        """The member optimizers, in order."""
        return list(self._members)

    @property
    def variables(self):
        variables = self._variables[:]
        for optimizer in self._members:
            variables.extend(optimizer.variables)
        return variables

    def build(self, var_list):
        if self.built:
            return
        # Members are built by the model on their own variables.
        super().build([])

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "OptimizerGroup does not apply gradients; apply each member "
            "optimizer to its own variables (see "
            "kgen.backend.multi_optimizer_train_step)."
        )

    def finalize_variable_values(self, var_list):
        pass

    def save_own_variables(self, store):
        for i, variable in enumerate(self._variables):
            store[str(i)] = ops.convert_to_numpy(variable)

    def load_own_variables(self, store):
        if len(store.keys()) != len(self._variables):
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])


def _unwrap(optimizer):
    """The optimizer inside a ``LossScaleOptimizer`` (what the config saves)."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def _is_serialized_optimizer(value):
    return isinstance(value, dict) and "class_name" in value


class MultiNetworkModel(GenerativeModel):
    """Base of models made of several named networks, one optimizer each.

    Class attributes a subclass sets (besides those of ``GenerativeModel``):

    - ``network_names``: tuple of the networks' names; the model has an
      attribute of each name holding the network (a ``keras.layers.Layer``,
      usually a ``keras.Model``). May be a property when it depends on the
      instance.

    Methods a subclass provides:

    - ``training_phases(data)``: the list of ``kgen.backend.Phase`` /
      ``JointPhase`` objects of one training step (see
      ``kgen.backend.multi_optimizer_train_step``). Read the batch with
      ``self.unpack_batch(data)``, which rejects sample weights.
    - ``metrics``: the ``keras.metrics.Mean`` trackers; the default
      ``update_training_metrics`` feeds each the logged value of its name.

    Call ``super().__init__(**kwargs)`` first in ``__init__``, then set the
    networks and trackers; nothing in this constructor calls a method a
    subclass overrides. The base marks the model built (there is no
    ``call``).

    Examples:
        >>> import keras
        >>> from keras import ops
        >>> from kgen.backend import Phase
        >>> class TwoNets(MultiNetworkModel):
        ...     network_names = ("first", "second")
        ...     data_kind = "real"
        ...     num_levels = None
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.first = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        ...         self.second = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        ...         self.data_shape = (2,)
        ...         self.loss_tracker = keras.metrics.Mean(name="loss")
        ...     @property
        ...     def metrics(self):
        ...         return [self.loss_tracker]
        ...     def training_phases(self, data):
        ...         x, _ = self.unpack_batch(data)
        ...         def loss_fn(net):
        ...             loss = ops.mean(ops.square(net(x) - x))
        ...             return loss, {"loss": loss}
        ...         return [Phase(lambda: loss_fn(self.first), self.first.trainable_variables,
        ...                       self.network_optimizers["first"]),
        ...                 Phase(lambda: loss_fn(self.second), self.second.trainable_variables,
        ...                       self.network_optimizers["second"], every=2)]
        >>> model = TwoNets()
        >>> model.compile(optimizers={"first": "sgd", "second": "sgd"})
        >>> x = keras.random.normal((8, 2), seed=0)
        >>> _ = model.fit(x, batch_size=2, epochs=1, verbose=0)
        >>> tuple(int(o.iterations) for o in model.network_optimizers.values())
        (4, 2)
    """

    network_names = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._network_optimizers = None
        self._compile_kwargs = {}
        self.built = True

    # ---------------------------------------------------------------- networks
    @property
    def networks(self):
        """``{name: network}`` in the order of ``network_names``."""
        return {name: getattr(self, name) for name in self.network_names}

    @property
    def network_optimizers(self):
        """``{name: optimizer}`` after ``compile`` (``None`` before)."""
        if self._network_optimizers is None:
            return None
        return dict(self._network_optimizers)

    # ----------------------------------------------------------------- compile
    def compile(self, optimizers=None, **kwargs):
        """Configure training with one optimizer per network.

        Args:
            optimizers: ``{network name: optimizer}`` with one entry for each
                name in ``network_names`` (optimizer names such as ``"adam"``
                or instances, every one a different object). ``None`` gives
                every network a new ``Adam`` with Keras's defaults.
            **kwargs: ``run_eagerly``, ``jit_compile`` and
                ``steps_per_execution`` as in ``keras.Model.compile`` (saved
                with the model). The objective is the model's own: no
                ``loss``, ``optimizer`` or ``metrics``.

        Raises:
            ValueError: for a missing or unknown network name, one optimizer
                object given to two networks, or a ``loss``/``optimizer``/
                ``metrics`` keyword.
        """
        name = type(self).__name__
        for key in ("loss", "optimizer", "metrics", "loss_weights"):
            if key in kwargs:
                raise ValueError(
                    f"{name}.compile takes one optimizer per network "
                    f"(optimizers={{name: optimizer}} for {list(self.network_names)})"
                    f"; received {key}=. The training objective is the model's own."
                )
        unknown = set(kwargs) - set(_COMPILE_KWARGS) - {"auto_scale_loss"}
        if unknown:
            raise ValueError(
                f"{name}.compile received unknown arguments {sorted(unknown)}; it "
                f"takes optimizers= and {', '.join(_COMPILE_KWARGS)}."
            )
        names = tuple(self.network_names)
        if not names:
            raise ValueError(
                f"{name} declares no networks: set network_names on the class."
            )
        if optimizers is None:
            optimizers = {n: "adam" for n in names}
        if not isinstance(optimizers, dict):
            raise ValueError(
                f"optimizers must be a dict {{network name: optimizer}} with the "
                f"names {list(names)}; received {type(optimizers).__name__}."
            )
        missing = [n for n in names if n not in optimizers]
        extra = [n for n in optimizers if n not in names]
        if missing or extra:
            raise ValueError(
                f"{name} has the networks {list(names)}, so optimizers needs "
                f"exactly these keys; missing {missing}, unknown {extra}."
            )
        built = {}
        for network_name in names:
            optimizer = keras.optimizers.get(optimizers[network_name])
            for other, previous in built.items():
                if _unwrap(previous) is _unwrap(optimizer):
                    raise ValueError(
                        f"The networks {other!r} and {network_name!r} received the "
                        "same optimizer object; each network needs its own. "
                        "Create one optimizer per network."
                    )
            if self.dtype_policy.name == "mixed_float16" and not isinstance(
                optimizer, keras.optimizers.LossScaleOptimizer
            ):
                # Only compile(optimizer=...) is wrapped automatically; each
                # loss is scaled by its own optimizer in the training step.
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            optimizer.build(getattr(self, network_name).trainable_variables)
            built[network_name] = optimizer
        group = OptimizerGroup(list(built.values()))
        group.build([])
        self._network_optimizers = built
        self._compile_kwargs = {k: kwargs[k] for k in _COMPILE_KWARGS if k in kwargs}
        # Losses are scaled per optimizer in the step, never by Keras.
        kwargs["auto_scale_loss"] = False
        super().compile(optimizer=group, **kwargs)

    def get_compile_config(self):
        if self._network_optimizers is None:
            return None
        config = {
            "optimizers": {
                name: keras.optimizers.serialize(_unwrap(optimizer))
                for name, optimizer in self._network_optimizers.items()
            }
        }
        config.update(self._compile_kwargs)
        return config

    def compile_from_config(self, config):
        # Builds every optimizer on its network, so that their saved state
        # loads afterwards (Keras loads the weights after this call). A deep
        # copy: keras.optimizers.deserialize rewrites the dict it is given.
        config = copy.deepcopy(config)
        if "optimizers" in config:
            config["optimizers"] = {
                name: keras.optimizers.deserialize(value)
                for name, value in config["optimizers"].items()
            }
        for key, value in list(config.items()):
            # Subclass keywords (e.g. GAN's d_optimizer=) of older files.
            if key != "optimizers" and _is_serialized_optimizer(value):
                config[key] = keras.optimizers.deserialize(value)
        self.compile(**config)

    def check_compiled(self):
        """Raise a ``ValueError`` unless ``compile`` has given the optimizers."""
        if self._network_optimizers is None:
            raise ValueError(
                f"Call {type(self).__name__}.compile(...) before fit(): each of "
                f"the networks {list(self.network_names)} needs an optimizer."
            )

    # ---------------------------------------------------------------- training
    def fit(self, *args, **kwargs):
        self.check_compiled()
        return super().fit(*args, **kwargs)

    def train_step(self, *args):
        return backend.multi_optimizer_train_step(self, *args)

    def unpack_batch(self, data):
        """``(x, y)`` of a training batch; sample weights raise a ``ValueError``.

        ``fit(sample_weight=...)`` on arrays is rejected before training; a
        dataset that yields ``(x, y, sample_weight)`` is rejected here, when
        the step is traced.
        """
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        self._check_sample_weight(sample_weight)
        return x, y

    def training_phases(self, data):
        """The phases of one training step: ``kgen.backend.Phase`` objects."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement training_phases(data)."
        )

    def update_training_metrics(self, logs, weights=None):
        """Update the trackers from one step's logs; return their results.

        Every tracker in ``metrics`` whose name is a key of ``logs`` gets that
        value; ``weights`` (from the step: 0.0 or 1.0 for the logs of phases
        with ``every > 1``) weight the update, so a lazily run phase's
        tracker averages the steps on which it ran.
        """
        weights = weights or {}
        for tracker in self.metrics:
            if tracker.name in logs:
                tracker.update_state(
                    logs[tracker.name], sample_weight=weights.get(tracker.name)
                )
        return {m.name: m.result() for m in self.metrics}
