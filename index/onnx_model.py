"""The int8 ONNX copy of the packaged MiniLM that the fast embedding backend runs.

Owns: making that copy from the packaged weights, offline and once (at set-up by `make`, or on
first use), and finding it again. The recipe: export the packaged model with eager attention to
ONNX (opset 17), fuse it with onnxruntime's BERT optimiser (attention, embedding layer norm), undo
two of its fusions that are slow on CPU (see `unfuse_slow_ops`), then quantise the weights of every
MatMul and Attention node to int8, per channel, with activations quantised dynamically. A second
copy, for one text per run, computes attention without the mask and without onnxruntime's
per-head QAttention kernel (see `single_text_variant`). Nothing is downloaded.
Does not: encode text (index.embedding does).

    .venv/bin/python -m index.onnx_model          # make the copy now (about 15 s; needs torch)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

RECIPE = "eager-export-opset17+ort-bert-fusion+unfused-skip-ln-bias-gelu+dynamic-int8-per-channel(MatMul,Attention)+single:split-attention/4"
CACHE_VARIABLE = "QA_MODEL_CACHE"
REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Where prepared model files live: $QA_MODEL_CACHE, else .cache/models/ in the repository."""
    return Path(os.environ.get(CACHE_VARIABLE) or REPO_ROOT / ".cache" / "models")


def onnx_model_path(*, single: bool = False) -> Path:
    """The file the int8 backend loads; its name carries the source weights' hash and the recipe.

    single: the copy for one text per run (no attention mask), else the one for padded batches.
    """
    from index.embedding import model_identity

    weights = model_identity("torch-fp32").weights_sha256[:16]
    return cache_dir() / f"minilm-l6-int8-{weights}-r{RECIPE.rsplit('/', 1)[1]}{'-single' if single else ''}.onnx"


def ensure_onnx_model(*, single: bool = False, quiet: bool = False) -> Path:
    """An int8 ONNX model's path (see onnx_model_path), making both copies first unless both are there."""
    path = onnx_model_path(single=single)
    if path.is_file() and onnx_model_path(single=not single).is_file():
        return path
    if not quiet:
        print(f"preparing the int8 embedding model once ({onnx_model_path().name}; about 15 s)...", file=sys.stderr,
              flush=True)
    export_int8(onnx_model_path(), onnx_model_path(single=True))
    if CACHE_VARIABLE not in os.environ:  # the repository's own cache: drop copies made by older recipes
        keep = {onnx_model_path().name, onnx_model_path(single=True).name}
        for old in cache_dir().glob("minilm-l6-int8-*.onnx"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
    return path


def export_int8(target: Path, single_target: Path) -> None:
    """Export, fuse and quantise the packaged model into `target`, and its single-text copy into
    `single_target` (each written atomically, the single-text copy first)."""
    import logging
    import warnings

    from index.embedding import model_dir, set_offline_mode

    set_offline_mode()
    try:
        import onnx
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers import optimizer
        from transformers import AutoModel
    except ImportError as e:
        raise ImportError(f"making the int8 model needs {e.name}; run `make chat` or "
                          "`.venv/bin/pip install -r requirements.txt`") from e

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    bert = AutoModel.from_pretrained(str(model_dir()), local_files_only=True, attn_implementation="eager").eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as work:
        fp32, fused = Path(work) / "fp32.onnx", Path(work) / "fused.onnx"
        example = torch.ones(2, 16, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHiddenState(bert), (example, example, torch.zeros_like(example)), str(fp32),
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                            "last_hidden_state": axes})
            config = bert.config
            model = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=config.num_attention_heads,
                                             hidden_size=config.hidden_size, opt_level=1, use_gpu=False)
            unfuse_slow_ops(model.model)
            model.save_model_to_file(str(fused))
            partial = Path(work) / "int8.onnx"
            root = logging.getLogger()
            level, root.level = root.level, logging.ERROR  # the quantiser's advice to pre-process does not apply
            try:
                quantize_dynamic(str(fused), str(partial), weight_type=QuantType.QInt8, per_channel=True,
                                 op_types_to_quantize=["MatMul", "Attention"],
                                 extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            finally:
                root.level = level
            single = Path(work) / "single.onnx"
            model = onnx.load(str(partial))
            single_text_variant(model)
            onnx.save(model, str(single))
        os.replace(single, single_target)
        os.replace(partial, target)


def unfuse_slow_ops(model) -> None:
    """Replace the fused SkipLayerNormalization and BiasGelu nodes by plain ops, in place.

    onnxruntime 1.31's CPU kernels for these two are slow: SkipLayerNormalization took 318 us on
    113 x 384 floats against 60 us for Add + LayerNormalization, and BiasGelu 268 us on 113 x 1536
    against 150 us for Add + Gelu (one thread, this machine). Together they were a third of a
    passage's time. The bias Add comes straight after its MatMul, so that onnxruntime folds it into
    the quantised MatMul at load. The arithmetic is the same; only rounding differs.
    """
    from onnx import helper

    graph = model.graph
    used = {name for node in graph.node for name in node.input} | {out.name for out in graph.output}
    nodes = []
    for node in graph.node:
        if node.op_type == "SkipLayerNormalization":
            x, skip, gamma, beta, bias = (list(node.input) + [""] * 5)[:5]
            epsilon = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-12)
            if any(out and out in used for out in node.output[1:3]):
                raise ValueError(f"{node.name}: its mean or variance output is used; cannot unfuse it")
            if bias:
                nodes.append(helper.make_node("Add", [x, bias], [node.name + "_biased"], name=node.name + "_bias"))
                x = node.name + "_biased"
            summed = node.output[3] if len(node.output) > 3 and node.output[3] in used else node.name + "_sum"
            nodes.append(helper.make_node("Add", [x, skip], [summed], name=node.name + "_skip"))
            nodes.append(helper.make_node("LayerNormalization", [summed, gamma] + ([beta] if beta else []),
                                          [node.output[0]], name=node.name + "_norm", axis=-1, epsilon=epsilon))
        elif node.op_type == "BiasGelu":
            nodes.append(helper.make_node("Add", list(node.input), [node.name + "_biased"], name=node.name + "_bias"))
            nodes.append(helper.make_node("Gelu", [node.name + "_biased"], list(node.output), name=node.name + "_gelu",
                                          domain="com.microsoft"))
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)


def single_text_variant(model) -> None:
    """Rewrite every QAttention node for runs of one unpadded text, in place.

    onnxruntime's CPU QAttention multiplies the quantised input by the Q, K and V weights as 36
    separate products, one per head, each 32 columns wide, before its fp32 attention. Here each node
    becomes three int8 products 384 columns wide (MatMulIntegerToFloat, sharing the node's
    quantised input) and the attention itself in plain ops: scores Q.K^T / sqrt(head size) by
    FusedMatMul, whose batch transposes read the heads in place, Softmax, the weighted sum of V,
    and one Transpose back. Same arithmetic without the mask, which one unpadded text does not need;
    about 4% faster per passage (13.2 ms against 13.7 ms on one core, 300 passages, interleaved).
    The first op squeezes the batch axis, so this copy refuses a batch of more than one text.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    extra, nodes = [], []

    def constant(name: str, value) -> str:
        if name not in weights:
            weights[name] = numpy_helper.from_array(np.asarray(value), name)
            extra.append(weights[name])
        return name

    for node in graph.node:
        if node.op_type != "QAttention":
            nodes.append(node)
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        inputs = list(node.input) + [""] * 9
        if set(attributes) - {"num_heads"} or inputs[8]:
            raise ValueError(f"{node.name}: attributes {sorted(attributes)} or a past state; cannot rewrite it")
        x, w, bias, x_scale, w_scale, _mask, x_zero, w_zero = inputs[:8]
        heads = attributes["num_heads"]
        arrays = {tensor: numpy_helper.to_array(weights[tensor]) for tensor in (w, w_scale, w_zero, bias)}
        hidden = arrays[w].shape[1] // 3
        head_size = hidden // heads
        name = node.name
        squeezed = name + "_x"
        nodes.append(helper.make_node("Squeeze", [x, constant("single_axis0", np.array([0], np.int64))],
                                      [squeezed], name=name + "_squeeze"))
        per_head = constant(f"single_heads_{heads}x{head_size}", np.array([0, heads, head_size], np.int64))
        parts = {}
        for i, part in enumerate("qkv"):
            columns = slice(i * hidden, (i + 1) * hidden)
            sliced = []
            for tensor in (w, w_scale, w_zero, bias):
                array = arrays[tensor]
                array = array[:, columns] if array.ndim == 2 else array[columns] if array.size > 1 else array
                sliced.append(constant(f"{tensor}_{part}", np.ascontiguousarray(array)))
            nodes.append(helper.make_node("MatMulIntegerToFloat",
                                          [squeezed, sliced[0], x_scale, sliced[1], x_zero, sliced[2], sliced[3]],
                                          [f"{name}_{part}_flat"], name=f"{name}_{part}", domain="com.microsoft"))
            parts[part] = f"{name}_{part}_heads"  # (tokens, heads, head size)
            nodes.append(helper.make_node("Reshape", [f"{name}_{part}_flat", per_head], [parts[part]],
                                          name=f"{name}_{part}_reshape"))
        nodes += [
            helper.make_node("FusedMatMul", [parts["q"], parts["k"]], [name + "_scores"], name=name + "_scores",
                             domain="com.microsoft", alpha=float(1 / np.sqrt(head_size)),
                             transBatchA=1, transBatchB=1, transB=1),
            helper.make_node("Softmax", [name + "_scores"], [name + "_probs"], name=name + "_softmax", axis=-1),
            helper.make_node("FusedMatMul", [name + "_probs", parts["v"]], [name + "_context"],
                             name=name + "_context", domain="com.microsoft", transBatchB=1),
            helper.make_node("Transpose", [name + "_context"], [name + "_tokens"], name=name + "_transpose",
                             perm=[1, 0, 2]),
            helper.make_node("Reshape", [name + "_tokens", constant(f"single_out_{hidden}",
                                                                    np.array([1, -1, hidden], np.int64))],
                             list(node.output[:1]), name=name + "_out"),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept = [tensor for tensor in list(graph.initializer) + extra if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.onnx_model",
                                     description="Make the int8 ONNX copy of the packaged embedding model that the "
                                                 "default (onnx-int8) backend runs, if it is not there yet. `make` "
                                                 "does this at set-up; indexing does it on first use otherwise.")
    parser.add_argument("--force", action="store_true", help="make it again even if it exists")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    path = onnx_model_path()
    if args.force:
        for old in (path, onnx_model_path(single=True)):
            old.unlink(missing_ok=True)
    started = time.perf_counter()
    existed = path.is_file() and onnx_model_path(single=True).is_file()
    ensure_onnx_model(quiet=args.quiet)
    if not args.quiet:
        how = "already there" if existed else f"made in {time.perf_counter() - started:.1f} s"
        print(f"int8 embedding model: {path} ({path.stat().st_size / 1e6:.1f} MB, {how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
