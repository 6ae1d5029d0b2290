import torch


def input_gradients(fn, x):
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        y = fn(x).sum()
        (grad,) = torch.autograd.grad(y, x, create_graph=True)
    return grad


def compile_function(fn):
    def run(*args, **kwargs):
        with torch.no_grad():
            return fn(*args, **kwargs)

    return run


def multi_optimizer_train_step(model, data):
    logs = {}
    for phase in model.training_phases(data):
        # Gradients accumulate in `.grad`; clear every variable of the model,
        # since a phase's loss may also reach variables it does not update.
        for variable in model.trainable_variables:
            variable.value.grad = None
        loss, phase_logs = phase.loss_fn()
        phase.optimizer.scale_loss(loss).backward()
        grads = [
            torch.zeros_like(v.value) if v.value.grad is None else v.value.grad
            for v in phase.variables
        ]
        with torch.no_grad():
            phase.optimizer.apply(grads, phase.variables)
            if phase.after is not None:
                phase.after()
        logs.update({k: v.detach() for k, v in phase_logs.items()})
    for variable in model.trainable_variables:
        variable.value.grad = None
    with torch.no_grad():
        model.optimizer.iterations.assign_add(1)
        return model.update_training_metrics(logs)
