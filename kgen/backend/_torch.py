import torch

from kgen.backend.groups import shared_loss_groups


def input_gradients(fn, x):
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        y = fn(x).sum()
        (grad,) = torch.autograd.grad(y, x, create_graph=True)
    return grad


def num_replicas():
    return 1


def replica_index():
    return 0


def compile_function(fn, xla=False):
    def run(*args, **kwargs):
        with torch.no_grad():
            return fn(*args, **kwargs)

    return run


def _run_phase(phase):
    """Compute one phase's losses, apply its updates; return its logs."""
    updates = phase.updates
    losses, phase_logs = phase.compute()
    scaled = phase.losses_for_gradients(losses)
    # Every gradient is taken before any update is applied; autograd.grad
    # leaves `.grad` of other variables untouched.
    # Updates that share a loss share its backward pass.
    all_grads = [None] * len(updates)
    groups = shared_loss_groups(scaled)
    for number, group in enumerate(groups):
        variables = [v for i in group for v in updates[i][0]]
        grads = torch.autograd.grad(
            scaled[group[0]],
            [v.value for v in variables],
            retain_graph=number < len(groups) - 1,
            allow_unused=True,
        )
        grads = [
            torch.zeros_like(v.value) if g is None else g
            for g, v in zip(grads, variables)
        ]
        start = 0
        for i in group:
            count = len(updates[i][0])
            all_grads[i] = grads[start : start + count]
            start += count
    with torch.no_grad():
        for grads, (variables, optimizer) in zip(all_grads, updates):
            optimizer.apply(grads, variables)
        if phase.after is not None:
            phase.after()
    return {k: v.detach() for k, v in phase_logs.items()}


def multi_optimizer_train_step(model, data):
    logs, weights = {}, {}
    # Steps done before this one (a Python int: torch runs the step eagerly).
    step = int(model.optimizer.iterations.value)
    for phase in model.training_phases(data):
        if phase.runs_every_step():
            logs.update(_run_phase(phase))
        elif step % phase.every == 0:
            phase_logs = _run_phase(phase)
            logs.update(phase_logs)
            weights.update({k: 1.0 for k in phase_logs})
    with torch.no_grad():
        model.optimizer.iterations.assign_add(1)
        return model.update_training_metrics(logs, weights)


def train_step_then(model, step, after, data):
    logs = step(data)
    with torch.no_grad():
        after()
    return logs
