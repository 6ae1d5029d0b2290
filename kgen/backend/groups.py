"""Backend-neutral helpers of the multi-optimizer training steps."""


def shared_loss_groups(losses):
    """Indices of ``losses`` grouped by identity, in order of first appearance.

    Updates whose loss is the same tensor (CycleGAN's two generators share
    their objective) need one backward pass for all their variables, not one
    each: the backends differentiate each group once.

    Examples:
        >>> a, b = object(), object()
        >>> shared_loss_groups([a, a, b, a])
        [[0, 1, 3], [2]]
    """
    groups = []
    for index, loss in enumerate(losses):
        for group in groups:
            if losses[group[0]] is loss:
                group.append(index)
                break
        else:
            groups.append([index])
    return groups
