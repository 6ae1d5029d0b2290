"""Backend-neutral log-densities, samplers and KL divergences.

Every function works on ``keras.ops`` tensors, returns values in nats and
reduces nothing unless it says so.
"""

from kgen.distributions.categorical import *
from kgen.distributions.continuous import *
from kgen.distributions.logistic_mixture import *
