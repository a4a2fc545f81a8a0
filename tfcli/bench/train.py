"""`bench --train`: one timed training step (forward, backward, optimizer step, zero_grad),
its FLOPs and bytes (counted on the meta device) and the memory check before building.

The step's loss and optimizer are tfcli.analysis.flops.train's, so the FLOPs the bench
divides by are exactly what `tfcli flops MODEL --train` prints for the same input.
"""

from __future__ import annotations

from tfcli.bench.memory import MemoryEstimate

# optimizer state per parameter, in parameters' worth (AdamW: two moments; SGD without momentum: none)
OPTIMIZER_STATES = {"adamw": 2, "sgd": 0}


def training_estimate(inference: MemoryEstimate, optimizer: str) -> MemoryEstimate:
    """The inference estimate plus gradients and optimizer state, one parameter's bytes each.

    Activations kept for the backward are not estimated here (the forward's peak stands in
    for them); a step that does not fit ends as an OOM row, as a forward's does."""
    weights = inference.weights * (2 + OPTIMIZER_STATES[optimizer])
    return MemoryEstimate(weights, inference.activations, inference.attention)


def step_flops(meta_model, meta_inputs: dict, optimizer: str, name: str) -> int:
    """FLOPs of one step: FlopCounterMode's forward and backward, the optimizer by convention."""
    from tfcli.analysis.flops.train import count_torch_train

    trainable = sum(p.numel() for p in {id(p): p for p in meta_model.parameters() if p.requires_grad}.values())
    return count_torch_train(name, meta_model, meta_inputs, optimizer, False, trainable).total_flops


def step_traffic(meta_model, meta_inputs: dict, optimizer: str, name: str) -> int:
    """Bytes one step moves (tfcli.bench.roofline's convention), counted on the meta device."""
    from tfcli.bench.roofline import traffic_bytes

    return traffic_bytes(meta_model, meta_inputs, training_step(meta_model, meta_inputs, optimizer, name),
                         param_reads=2)


def training_step(model, inputs: dict, optimizer: str, name: str):
    """A function running one step: loss of the forward, backward, optimizer.step(),
    zero_grad (gradients freed, as training loops do)."""
    import torch

    from tfcli.analysis.flops.train import make_optimizer, no_trainable_forward, training_loss

    opt = make_optimizer(model, optimizer)

    def step():
        with torch.enable_grad():
            loss = training_loss(model(**inputs))
            if loss is None:
                raise no_trainable_forward(name)
            loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step
