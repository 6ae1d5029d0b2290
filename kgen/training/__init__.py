"""Training machinery shared by model families.

`MultiNetworkModel` is the base of every model made of several networks with
one optimizer each (GANs today; CycleGAN and StyleGAN2 next): named networks,
an `OptimizerGroup` that carries every optimizer's state, saving, training
phases (including phases that run every N steps), and loss scaling for mixed
precision and distribution. The per-backend step it runs lives in
``kgen.backend``.
"""

from kgen.training.multi_network import MultiNetworkModel, OptimizerGroup

__all__ = ["MultiNetworkModel", "OptimizerGroup"]
