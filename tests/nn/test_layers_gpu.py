"""The core layers on a GPU give what they give on the CPU (skipped without CuPy and a GPU)."""

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ns.cuda.is_available(), reason="needs CuPy and a GPU"),
]


def _run(device, x, t):
    ns.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.LayerNorm(6),
                          nn.Linear(6, 3)).double().to(device)
    emb = nn.Embedding(5, 4, padding_idx=0).double().to(device)
    inputs = ns.tensor(x, device=device, requires_grad=True)
    hidden = model(inputs + emb(ns.tensor(t % 5, device=device)))
    loss = F.cross_entropy(hidden, ns.tensor(t % 3, device=device), label_smoothing=0.1)
    loss = loss + F.binary_cross_entropy_with_logits(hidden, ns.tensor(x[:, :3], device=device))
    loss.backward()
    grads = [p.grad.cpu().numpy() for p in [*model.parameters(), *emb.parameters()]]
    return loss.item(), grads, inputs.grad.cpu().numpy()


def test_layers_and_losses_match_the_cpu(rng):
    x, t = rng.uniform(0, 1, (8, 4)), rng.integers(0, 15, 8)
    cpu_loss, cpu_grads, cpu_input_grad = _run("cpu", x, t)
    gpu_loss, gpu_grads, gpu_input_grad = _run("cuda", x, t)
    np.testing.assert_allclose(gpu_loss, cpu_loss, rtol=1e-10)
    np.testing.assert_allclose(gpu_input_grad, cpu_input_grad, rtol=1e-8, atol=1e-10)
    for ours, reference in zip(gpu_grads, cpu_grads):
        np.testing.assert_allclose(ours, reference, rtol=1e-8, atol=1e-10)


def test_dropout_on_the_gpu_keeps_dtype_and_scale():
    x = ns.ones(1000, device="cuda")
    y = F.dropout(x, 0.25)
    values = y.cpu().numpy()
    assert y.dtype == ns.float32 and str(y.device) == "cuda:0"
    assert abs((values == 0).mean() - 0.25) < 0.06
    np.testing.assert_allclose(values[values != 0], 1 / 0.75, rtol=1e-6)
