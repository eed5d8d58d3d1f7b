"""Forecaster (models/forecaster.py): equal to the same network in PyTorch, autoregressive
multi-step forecasts, learning a sine, and its input checks."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_module
from nnscratch.models.forecaster import Forecaster
from nnscratch.optim import Adam


class TorchForecaster(torch.nn.Module):
    def __init__(self, hidden, layers, cell, residual):
        super().__init__()
        recurrent = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        self.rnn = recurrent(1, hidden, layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)
        self.residual = residual

    def forward(self, x):
        hidden, _ = self.rnn(x)
        out = self.head(hidden)
        return out + x if self.residual else out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("residual", [True, False])
def test_one_step_predictions_equal_pytorch(cell, residual):
    ours = Forecaster(1, 5, 2, cell=cell, residual=residual)
    theirs = TorchForecaster(5, 2, cell, residual)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 6, 1))
    check_module(ours, theirs, [x], call=lambda module, x: module(x)[0] if isinstance(
        module, Forecaster) else module(x))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forecast_feeds_each_prediction_back(cell):
    model = Forecaster(1, 7, cell=cell).eval()
    past = ns.randn(4, 9)
    forecast = model.forecast(past, 5)
    assert forecast.shape == (4, 5)
    # the same numbers recomputed from scratch: read past + forecasts so far, take the last
    sequence = past.numpy()
    for step in range(5):
        predictions, _ = model(ns.tensor(sequence))
        np.testing.assert_allclose(forecast.numpy()[:, step], predictions.numpy()[:, -1], rtol=1e-5,
                                   atol=1e-6)
        sequence = np.concatenate([sequence, predictions.numpy()[:, -1:]], axis=1)
    assert model.forecast(past.unsqueeze(-1), 2).shape == (4, 2, 1)
    assert not forecast.requires_grad


def test_learns_a_sine_well_enough_to_forecast_it():
    t = np.arange(400, dtype=np.float32)
    wave = np.sin(2 * np.pi * t / 16).astype(np.float32)
    starts = np.arange(0, 300, 3)
    windows = np.stack([wave[s:s + 40] for s in starts])
    model = Forecaster(1, 16, residual=False)
    optimizer = Adam(model.parameters(), lr=0.02)
    inputs, targets = ns.tensor(windows[:, :-1]), ns.tensor(windows[:, 1:])
    for _ in range(150):
        predictions, _ = model(inputs)
        loss = ns.nn.functional.mse_loss(predictions, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.01
    model.eval()
    past = ns.tensor(wave[340:372][None])
    forecast = model.forecast(past, 8).numpy()[0]
    assert np.mean((forecast - wave[372:380]) ** 2) < 0.05  # a mean guess would score ~0.5


def test_errors_name_the_shapes():
    model = Forecaster(2, 4)
    with pytest.raises(ValueError, match=r"\(batch, time, 2\).*\(3, 4, 1\)"):
        model(ns.zeros(3, 4, 1))
    with pytest.raises(ValueError, match="horizon"):
        Forecaster().forecast(ns.zeros(1, 3), 0)
    with pytest.raises(ValueError, match="cell"):
        Forecaster(cell="rnn2")
    with pytest.raises(ValueError, match="hidden_size"):
        Forecaster(hidden_size=0)
