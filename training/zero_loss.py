"""The Zero loop's loss: AlphaGo Zero's policy and value terms, plus KataGo's auxiliary
targets for a network with pooled heads (goengine.models.nets.PooledHeads).

    total = policy + value + ownership_weight * ownership + score_weight * score
            + reply_weight * reply            (the L2 term is the optimizer's weight decay)

  policy     -pi . log p over full-search samples (playout-cap cheap searches are no target)
  value      (z - v)^2 over all samples
  ownership  per-point cross-entropy of the final owner, (1 + o) / 2 against (1 + tanh) / 2,
             averaged over the board, over samples of scored games (resigned ones have no
             final position)
  score      Huber loss of (score - final margin) / SCORE_SCALE (one unit = 20 points), over
             samples of scored games
  reply      -pi' . log p' with pi' the opponent's next search distribution, where that next
             move was a full search

Each term is a weighted sum with its weight total (`loss_terms`), so that the one-process
trainer takes their ratio and the DistributedDataParallel one (training/ddp.py) can scale each
rank's part by the totals over all ranks.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from goengine.models.nets import SCORE_SCALE

TERMS = ("policy", "value", "ownership", "score", "reply")
LOG_COLUMNS = ["generation", "step", "loss", "policy_loss", "value_loss", "lr",
               "ownership_loss", "score_loss", "reply_loss"]
"""train_log.csv's columns for a network with pooled heads (the first six for one without,
and for logs of runs made before the auxiliary heads)."""


def _cross_entropy(target, logits):
    return -(target * F.log_softmax(logits, dim=1)).sum(1)


def loss_terms(model, batch) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """name -> (weighted sum over the batch, total weight) of each term; a network without
    pooled heads has only the policy and value terms. `batch`: a training.datasets.Batch
    of tensors."""
    ddp = hasattr(model, "module")  # a DistributedDataParallel wrapper
    aux = getattr(model.module if ddp else model, "has_ownership", False)
    out = _ddp_forward_all(model, batch.x, aux) if ddp else model.forward_all(batch.x)
    w = batch.policy_weight
    terms = {"policy": ((w * _cross_entropy(batch.pi, out["policy"])).sum(), w.sum()),
             "value": (((out["value"] - batch.z) ** 2).sum(), torch.as_tensor(float(len(batch.z)), device=w.device))}
    if aux:
        f = batch.final_weight
        target = (1 + batch.ownership) / 2
        own = F.binary_cross_entropy_with_logits(2 * out["ownership_logit"], target, reduction="none")
        terms["ownership"] = ((f * own.mean(dim=(1, 2))).sum(), f.sum())
        score = F.smooth_l1_loss(out["score"] / SCORE_SCALE, batch.score / SCORE_SCALE, reduction="none")
        terms["score"] = ((f * score).sum(), f.sum())
        r = batch.reply_weight
        terms["reply"] = ((r * _cross_entropy(batch.reply, out["reply"])).sum(), r.sum())
    return terms


def _ddp_forward_all(ddp_model, x, aux: bool) -> dict:
    """forward_all through DistributedDataParallel's forward (which syncs the gradients):
    the wrapped module's forward is swapped for forward_all for the call."""
    module = ddp_model.module
    if not aux:
        policy, value = ddp_model(x)
        return {"policy": policy, "value": value}
    plain = module.forward
    module.forward = module.forward_all
    try:
        return ddp_model(x)
    finally:
        module.forward = plain


def combine(parts: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
    """The total loss from each term's mean."""
    return sum(weights.get(name, 1.0) * value for name, value in parts.items())


def loss_weights(config) -> dict[str, float]:
    """The auxiliary terms' weights of a ZeroConfig (policy and value weigh 1)."""
    return {"ownership": config.ownership_weight, "score": config.score_weight, "reply": config.reply_weight}


def zero_losses(model, batch, weights: dict[str, float] | None = None) -> dict[str, torch.Tensor]:
    """Each term's mean over its samples and "loss", their weighted total."""
    parts = {name: total / weight.clamp(min=1) for name, (total, weight) in loss_terms(model, batch).items()}
    return {**parts, "loss": combine(parts, weights or {})}


def log_row(g: int, step: int, losses: dict[str, float], lr: float, columns: list[str]) -> list[str]:
    """One train_log.csv row for `columns` (the log's header: old logs have fewer)."""
    values = {"generation": str(g), "step": str(step), "lr": f"{lr:.5g}",
              **{f"{name}_loss": f"{value:.5f}" for name, value in losses.items() if name != "loss"},
              "loss": f"{losses['loss']:.5f}"}
    return [values.get(c, "") for c in columns]
