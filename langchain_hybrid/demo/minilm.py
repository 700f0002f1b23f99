"""all-MiniLM-L6-v2's forward pass in numpy: BERT encoder, mean pooling, L2 normalisation.

The demo needs one small sentence encoder and must not pull PyTorch (6 GB installed) to
run it. This module is the whole model: the six-layer BERT of `transformers.BertModel`
(post-layer-norm, exact erf GELU, absolute positions, token type 0) followed by what the
model's sentence-transformers config asks for (`1_Pooling/config.json`: mean of the token
vectors under the attention mask; `modules.json`: `Normalize`). The weights come from a
`model.safetensors` file as float32 arrays; tokenisation is the model's own
`tokenizer.json`, run by the `tokenizers` package (see `langchain_hybrid.demo.model`).

Everything here is pure array math: no file, no tokenizer, no threads of its own.
`tests/unit_tests/test_demo_minilm.py` checks the result against all-MiniLM-L6-v2 vectors
that sentence-transformers computed (cosine >= 0.999 for every text checked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "HIDDEN",
    "BertConfig",
    "embed",
    "encoder_layers",
    "gelu",
    "layer_norm",
    "mean_pool",
    "prepare_weights",
]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

HIDDEN: Final = 384
"""Width of all-MiniLM-L6-v2's vectors."""


# Abramowitz and Stegun 7.1.26's coefficients a1..a5.
_A: Final = tuple(
    np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
)


@dataclass(frozen=True)
class BertConfig:
    """The shape of the encoder, from the model's `config.json`.

    Example:
        ```python
        BertConfig(layers=6, heads=12)
        ```
    """

    layers: int = 6
    heads: int = 12
    layer_norm_eps: float = 1e-12


def gelu(x: FloatArray) -> FloatArray:
    """BERT's exact GELU, `x * (1 + erf(x / sqrt(2))) / 2`.

    numpy has no `erf`; this is Abramowitz and Stegun's formula 7.1.26 (absolute error
    below 1.5e-7, about float32's resolution for these activations).

    Example:
        >>> import numpy as np
        >>> [round(float(v), 4) for v in gelu(np.array([-1.0, 0.0, 1.0], dtype=np.float32))]
        [-0.1587, 0.0, 0.8413]
    """
    z = x * np.float32(1 / np.sqrt(2.0))
    sign = np.sign(z)
    a = np.abs(z)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    erf = sign * (np.float32(1.0) - poly * np.exp(-a * a))
    return np.asarray(np.float32(0.5) * x * (np.float32(1.0) + erf), dtype=np.float32)


def layer_norm(x: FloatArray, weight: FloatArray, bias: FloatArray, eps: float) -> FloatArray:
    """Normalise the last axis to mean 0 and variance 1, then scale and shift.

    Example:
        >>> import numpy as np
        >>> ones = np.ones(2, dtype=np.float32)
        >>> layer_norm(np.array([[1.0, 3.0]], np.float32), ones, 0 * ones, 1e-12).tolist()
        [[-1.0, 1.0]]
    """
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + eps) * weight + bias, dtype=np.float32)


def prepare_weights(weights: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """The same arrays, each Linear weight laid out so that `weight.T` is C-contiguous.

    `x @ weight.T` is the hot product; BLAS multiplies a contiguous right-hand side about
    twice as fast (0.9 ms instead of 1.9 ms for one query's intermediate layer). The
    values and shapes do not change.

    Example:
        ```python
        weights = prepare_weights(safetensors.numpy.load_file("model.safetensors"))
        ```
    """
    return {
        name: np.ascontiguousarray(array.T).T
        if array.ndim == 2 and name.startswith("encoder.")  # noqa: PLR2004 - a matrix
        else array
        for name, array in weights.items()
    }


def _linear(x: FloatArray, weights: Mapping[str, FloatArray], name: str) -> FloatArray:
    # PyTorch stores a Linear layer's weight as (out, in). One 2-D product: numpy's matmul
    # over a (batch, tokens, in) stack calls BLAS per text, six times slower.
    weight = weights[f"{name}.weight"]
    flat = x.reshape(-1, x.shape[-1]) @ weight.T + weights[f"{name}.bias"]
    return np.asarray(flat.reshape(*x.shape[:-1], weight.shape[0]), dtype=np.float32)


def _softmax(x: FloatArray) -> FloatArray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float32)


def encoder_layers(
    weights: Mapping[str, FloatArray],
    input_ids: IntArray,
    attention_mask: IntArray,
    config: BertConfig = BertConfig(),
) -> FloatArray:
    """The last hidden state, `(batch, tokens, HIDDEN)`, of `BertModel` for padded ids.

    `weights` are the safetensors arrays by their `transformers` names
    (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, ...).

    Example:
        ```python
        hidden = encoder_layers(weights, np.array([[101, 7592, 102]]), np.ones((1, 3), int))
        hidden.shape  # (1, 3, 384)
        ```
    """
    batch, tokens = input_ids.shape
    head = HIDDEN // config.heads
    x = (
        weights["embeddings.word_embeddings.weight"][input_ids]
        + weights["embeddings.position_embeddings.weight"][:tokens][None, :, :]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(
        x,
        weights["embeddings.LayerNorm.weight"],
        weights["embeddings.LayerNorm.bias"],
        config.layer_norm_eps,
    )
    # Padding positions get a large negative score, so softmax gives them no weight.
    bias = ((1.0 - attention_mask[:, None, None, :]) * np.float32(-1e9)).astype(np.float32)

    def heads(y: FloatArray) -> FloatArray:
        # (batch, tokens, HIDDEN) -> (batch, heads, tokens, head size)
        return np.asarray(y.reshape(batch, tokens, config.heads, head).transpose(0, 2, 1, 3))

    for i in range(config.layers):
        p = f"encoder.layer.{i}"
        q = heads(_linear(x, weights, f"{p}.attention.self.query"))
        k = heads(_linear(x, weights, f"{p}.attention.self.key"))
        v = heads(_linear(x, weights, f"{p}.attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
        context = (_softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, HIDDEN)
        attended = _linear(context, weights, f"{p}.attention.output.dense")
        x = layer_norm(
            attended + x,
            weights[f"{p}.attention.output.LayerNorm.weight"],
            weights[f"{p}.attention.output.LayerNorm.bias"],
            config.layer_norm_eps,
        )
        inner = gelu(_linear(x, weights, f"{p}.intermediate.dense"))
        x = layer_norm(
            _linear(inner, weights, f"{p}.output.dense") + x,
            weights[f"{p}.output.LayerNorm.weight"],
            weights[f"{p}.output.LayerNorm.bias"],
            config.layer_norm_eps,
        )
    return x


def mean_pool(hidden: FloatArray, attention_mask: IntArray) -> FloatArray:
    """Mean of each text's token vectors under its mask, scaled to unit length.

    Example:
        >>> import numpy as np
        >>> hidden = np.array([[[3.0, 4.0], [9.0, 9.0]]], np.float32)
        >>> mean_pool(hidden, np.array([[1, 0]])).tolist()  # the padded token is ignored
        [[0.6000000238418579, 0.800000011920929]]
    """
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (hidden * mask).sum(axis=1)
    # sentence-transformers clamps the token count at 1e-9 and the norm at 1e-12.
    pooled = summed / np.maximum(mask.sum(axis=1), 1e-9)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return np.asarray(pooled / norms, dtype=np.float32)


def embed(
    weights: Mapping[str, FloatArray],
    input_ids: IntArray,
    attention_mask: IntArray,
    config: BertConfig = BertConfig(),
) -> FloatArray:
    """Unit-length sentence vectors `(batch, HIDDEN)` for a padded batch of token ids.

    Example:
        ```python
        embed(weights, np.array([[101, 7592, 102]]), np.ones((1, 3), int)).shape  # (1, 384)
        ```
    """
    return mean_pool(encoder_layers(weights, input_ids, attention_mask, config), attention_mask)
