"""RBM: a Bernoulli–Bernoulli restricted Boltzmann machine trained by contrastive divergence.

Binary visible units v (V,) and hidden units h (H,), weights W (H, V), biases b (V,), c (H,):

    E(v, h) = −bᵀv − cᵀh − hᵀW v                      p(v, h) = exp(−E(v, h)) / Z
    F(v)    = −log Σ_h exp(−E(v, h)) = −bᵀv − Σ_j softplus(c_j + W_j·v)   (free energy)
    p(h_j = 1 | v) = σ(c_j + W_j·v)                   p(v_i = 1 | h) = σ(b_i + Σ_j W_ji h_j)

The log-likelihood gradient is a difference of two expectations (Hinton 2002):

    ∂ log p(v) / ∂W = ⟨p(h|v) vᵀ⟩_data − ⟨h vᵀ⟩_model      (likewise b with v, c with p(h|v))

Contrastive divergence CD-k replaces the model expectation by the statistics of a sample reached
by k steps of block Gibbs sampling (v → h → v′ …) started at the data; persistent CD (PCD-k,
Tieleman 2008) keeps ``persistent_chains`` Gibbs chains running from one update to the next
instead. Since ∂F(v)/∂W = −p(h|v) vᵀ, the CD update is the negative gradient of

    L = mean_data F(v) − mean_sample F(v⁻)          (v⁻ held constant: :meth:`free_energy_gap`)

so the usual optimisers can follow it. Every random draw comes from the library's generator
(``backend.generator``), so ``ns.manual_seed`` fixes samples and training.
"""

from __future__ import annotations

from typing import Any

from .. import backend, creation
from .._tensor import Tensor
from ..nn import functional as F
from ..nn import init
from ..nn.module import Module
from ..nn.parameter import Parameter

# images are scored in chunks so that the (chunk, V, H) pseudo-likelihood term stays small
_PSEUDO_LIKELIHOOD_ELEMENTS = 2**24


def _sigmoid(xp: Any, x: Any) -> Any:
    # σ(x) = ½ (1 + tanh(x/2)): no overflow for large |x|
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def _softplus(xp: Any, x: Any) -> Any:
    # log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)), stable for large |x|
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class RBM(Module):
    """A Bernoulli–Bernoulli RBM with ``visible_size`` and ``hidden_size`` units.

    Parameters: ``weight`` (hidden, visible) ~ N(0, 0.01²) (Hinton's practical guide),
    ``visible_bias`` (visible,) and ``hidden_bias`` (hidden,) zero. With
    ``persistent_chains`` > 0 the buffer ``chain`` (persistent_chains, visible) holds the
    persistent Gibbs chains of PCD (random bits at first; saved in the state dict).

    Visible batches are ``(N, visible)`` with values in [0, 1] (binary data; probabilities are
    accepted where noted), or images ``(N, …)`` that flatten to ``visible`` values.
    """

    def __init__(self, visible_size: int, hidden_size: int, persistent_chains: int = 0) -> None:
        super().__init__()
        for name, value in (("visible_size", visible_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"RBM: {name} must be a positive integer, got {value!r}")
        if not isinstance(persistent_chains, int) or persistent_chains < 0:
            raise ValueError(f"RBM: persistent_chains must be an integer >= 0, got {persistent_chains!r}")
        self.visible_size, self.hidden_size = visible_size, hidden_size
        self.weight = Parameter(creation.empty(hidden_size, visible_size))
        self.visible_bias = Parameter(creation.zeros(visible_size))
        self.hidden_bias = Parameter(creation.zeros(hidden_size))
        init.normal_(self.weight, 0.0, 0.01)
        if persistent_chains:
            bits = backend.generator(backend.CPU).random((persistent_chains, visible_size)) < 0.5
            self.register_buffer("chain", creation.as_tensor(bits.astype(self.weight.dtype)))
        else:
            self.register_buffer("chain", None)

    @property
    def config(self) -> dict[str, int]:
        return {"visible_size": self.visible_size, "hidden_size": self.hidden_size,
                "persistent_chains": 0 if self.chain is None else int(self.chain.shape[0])}

    def _flat(self, v: Any, name: str) -> Any:
        """The array of a visible batch as (N, V)."""
        array = v.array if isinstance(v, Tensor) else v
        if array.ndim < 1 or array.size % self.visible_size or (array.ndim == 1 and array.shape[0] !=
                                                                  self.visible_size):
            raise ValueError(f"RBM.{name}: expected visible units (N, {self.visible_size}) or "
                             f"images that flatten to {self.visible_size} values, got "
                             f"{tuple(array.shape)}")
        return array.reshape(-1, self.visible_size).astype(self.weight.dtype, copy=False)

    def hidden_probabilities(self, v: Any) -> Any:
        """p(h = 1 | v) = σ(c + v Wᵀ): array (N, H)."""
        v = self._flat(v, "hidden_probabilities")
        xp = backend.get_array_module(v)
        return _sigmoid(xp, v @ self.weight.array.T + self.hidden_bias.array)

    def visible_probabilities(self, h: Any) -> Any:
        """p(v = 1 | h) = σ(b + h W): array (N, V)."""
        h = h.array if isinstance(h, Tensor) else h
        xp = backend.get_array_module(h)
        return _sigmoid(xp, h @ self.weight.array + self.visible_bias.array)

    def _bernoulli(self, probabilities: Any) -> Any:
        generator = backend.generator(backend.device_of(probabilities))
        draws = generator.random(probabilities.shape, dtype=probabilities.dtype)
        return (draws < probabilities).astype(probabilities.dtype)

    def sample_hidden(self, v: Any) -> tuple[Any, Any]:
        """``(p(h|v), h)`` with h drawn from those Bernoulli probabilities."""
        probabilities = self.hidden_probabilities(v)
        return probabilities, self._bernoulli(probabilities)

    def sample_visible(self, h: Any) -> tuple[Any, Any]:
        """``(p(v|h), v)`` with v drawn from those Bernoulli probabilities."""
        probabilities = self.visible_probabilities(h)
        return probabilities, self._bernoulli(probabilities)

    def gibbs_step(self, v: Any) -> tuple[Any, Any]:
        """One block Gibbs step v → h → v′: returns ``(p(v′|h), v′)``."""
        _, h = self.sample_hidden(v)
        return self.sample_visible(h)

    def gibbs_chain(self, v: Any, steps: int) -> tuple[Any, Any]:
        """``steps`` Gibbs steps from ``v``: the last ``(p(v|h), v)`` (v itself for 0 steps)."""
        v = self._flat(v, "gibbs_chain")
        probabilities = v
        for _ in range(steps):
            probabilities, v = self.gibbs_step(v)
        return probabilities, v

    def negative_sample(self, v: Any, k: int = 1, persistent: bool = False) -> Any:
        """The visible sample v⁻ of the negative phase: k Gibbs steps from the data (CD-k) or
        from the persistent chains, which are advanced and kept (PCD-k)."""
        if k < 1:
            raise ValueError(f"RBM.negative_sample: k must be >= 1, got {k}")
        if persistent:
            if self.chain is None:
                raise RuntimeError("RBM.negative_sample: persistent CD needs persistent_chains > 0 "
                                   "at construction")
            _, chain = self.gibbs_chain(self.chain.array, k)
            self.chain.array[...] = chain
            return chain.copy()
        return self.gibbs_chain(v, k)[1]

    def statistics(self, v: Any) -> dict[str, Any]:
        """The sufficient statistics of a batch with h replaced by p(h|v), averaged over it:
        ``weight`` ⟨p(h|v) vᵀ⟩ (H, V), ``visible_bias`` ⟨v⟩, ``hidden_bias`` ⟨p(h|v)⟩."""
        v = self._flat(v, "statistics")
        hidden = self.hidden_probabilities(v)
        count = v.shape[0]
        return {"weight": hidden.T @ v / count, "visible_bias": v.mean(axis=0),
                "hidden_bias": hidden.mean(axis=0)}

    def contrastive_divergence(self, v: Any, k: int = 1, persistent: bool = False) -> dict[str, Any]:
        """The CD-k (or PCD-k) estimate of ∂ mean log p(v) / ∂θ for each parameter name:
        data statistics minus those of the negative sample (an ascent direction)."""
        positive = self.statistics(v)
        negative = self.statistics(self.negative_sample(v, k, persistent))
        return {name: positive[name] - negative[name] for name in positive}

    def free_energy(self, v: Any) -> Tensor:
        """F(v) = −bᵀv − Σ_j softplus(c_j + W_j·v) for each row: Tensor (N,), differentiable
        with respect to the parameters."""
        v = creation.as_tensor(self._flat(v, "free_energy"))
        return -(v @ self.visible_bias) - F.softplus(F.linear(v, self.weight, self.hidden_bias)).sum(dim=1)

    def free_energy_gap(self, v: Any, negative: Any) -> Tensor:
        """mean F(v) − mean F(v⁻): its gradient is minus the CD estimate (see the module)."""
        return self.free_energy(v).mean() - self.free_energy(negative).mean()

    forward = free_energy

    def reconstruction(self, v: Any) -> Any:
        """Mean-field reconstruction σ(b + p(h|v) W): array (N, V), no random draw."""
        return self.visible_probabilities(self.hidden_probabilities(v))

    def reconstruction_error(self, v: Any) -> float:
        """Mean squared difference between v and its mean-field reconstruction."""
        v = self._flat(v, "reconstruction_error")
        difference = self.reconstruction(v) - v
        return float((difference * difference).mean())

    def pseudo_likelihood(self, v: Any) -> Any:
        """Exact log pseudo-likelihood Σ_i log p(v_i | v_−i) of each row (N,) (binary v):

            log p(v_i | v_−i) = −softplus(F(v) − F(v̄_i)),   v̄_i = v with bit i flipped
            F(v̄_i) − F(v) = −s_i b_i − Σ_j [softplus(a_j + s_i W_ji) − softplus(a_j)]

        with a = c + W v and s_i = 1 − 2 v_i, for every i at once (in chunks of rows).
        """
        v = self._flat(v, "pseudo_likelihood")
        xp = backend.get_array_module(v)
        weight, bias = self.weight.array, self.visible_bias.array
        chunk = max(1, _PSEUDO_LIKELIHOOD_ELEMENTS // (self.visible_size * self.hidden_size))
        results = []
        for start in range(0, v.shape[0], chunk):
            rows = v[start:start + chunk]
            activation = rows @ weight.T + self.hidden_bias.array  # a: (n, H)
            sign = 1.0 - 2.0 * rows  # s: (n, V)
            flipped = activation[:, None, :] + sign[:, :, None] * weight.T[None]  # a + s_i W_·i: (n, V, H)
            gap = -sign * bias - (_softplus(xp, flipped) - _softplus(xp, activation)[:, None, :]).sum(-1)
            results.append(-_softplus(xp, -gap).sum(axis=1))  # gap = F(v̄_i) − F(v)
        return xp.concatenate(results)

    def sample(self, count: int, steps: int = 1000, start: Any = None) -> Any:
        """Visible probabilities after ``steps`` Gibbs steps from ``start`` (default: random
        bits), (count, V): samples of the model, shown as grey levels."""
        xp = backend.get_array_module(self.weight.array)
        if start is None:
            generator = backend.generator(backend.device_of(self.weight.array))
            start = (generator.random((count, self.visible_size)) < 0.5).astype(self.weight.dtype)
        probabilities, _ = self.gibbs_chain(xp.asarray(start), steps)
        return probabilities

    def extra_repr(self) -> str:
        return f"visible_size={self.visible_size}, hidden_size={self.hidden_size}, " \
               f"persistent_chains={self.config['persistent_chains']}"
