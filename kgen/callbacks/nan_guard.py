import math

import keras


class NonFiniteLossError(FloatingPointError):
    """Raised when a loss or metric becomes NaN or infinite during training."""


class StopOnNaN(keras.callbacks.Callback):
    """Stop training as soon as *any* logged loss or metric is NaN or infinite.

    Keras's ``TerminateOnNaN`` reads only ``logs["loss"]``; models that log
    ``d_loss``/``g_loss`` or ``kl_loss`` separately are never checked by it.
    kgen models add this callback to ``fit`` automatically.

    Args:
        raise_error: if True (default), raise ``NonFiniteLossError`` with the
            names and values of the offending entries; if False, only set
            ``model.stop_training`` and print the message.
    """

    # Only reads the logs, so Keras may run it off the training thread on
    # backends that allow that (JAX): the step does not wait for the check,
    # and a non-finite value raises at the next batch or at the epoch's end.
    async_safe = True

    def __init__(self, raise_error=True):
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {}
        for key, value in (logs or {}).items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number):
                bad[key] = number
        if not bad:
            return
        listing = ", ".join(f"{k}={v}" for k, v in bad.items())
        message = (
            f"Training stopped at epoch {self._epoch + 1}, batch {batch + 1}: "
            f"non-finite values in the training logs ({listing}). Common causes: "
            "a learning rate that is too high, inputs outside the range the model "
            "expects, or a log of zero in a custom loss."
        )
        self.model.stop_training = True
        if self.raise_error:
            raise NonFiniteLossError(message)
        print(message)
