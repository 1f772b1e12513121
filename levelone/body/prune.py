"""A TensorFlow Lite model cut down to the outputs its caller reads.

An interpreter runs every operator of a model, whether or not anything reads the outputs they
lead to. MediaPipe's pose landmark model computes five outputs and :mod:`levelone.body.pose` reads
three: the other two, a 256 x 256 segmentation mask and world landmarks, were half of every call
(``benchmarks/pose_prune.py``). :func:`keep_outputs` rewrites the model (in memory, from the
installed file) with only the operators the kept outputs depend on. Everything kept is computed
by the same operators on the same weights, so those outputs are the same, bit for bit
(``tests/levelone/body/test_prune.py``).
"""
from __future__ import annotations

from typing import Iterable


def _needed(operators: list, outputs: Iterable[int]) -> list[int]:
    """Indices (in order) of the operators that ``outputs`` (tensor indices) depend on."""
    producer = {int(t): k for k, op in enumerate(operators) for t in op.outputs}
    needed: set[int] = set()
    todo = [int(t) for t in outputs]
    while todo:
        k = producer.get(todo.pop())
        if k is None or k in needed:  # a model input, a constant, or already followed
            continue
        needed.add(k)
        todo.extend(int(t) for t in operators[k].inputs if t >= 0)  # -1: an optional input left out
    return sorted(needed)


def operator_count(model: bytes) -> int:
    """Operators in ``model``'s first subgraph: what an interpreter runs on every call."""
    from ai_edge_litert import schema_py_generated as schema

    return schema.Model.GetRootAsModel(model, 0).Subgraphs(0).OperatorsLength()


def keep_outputs(model: bytes, shapes: Iterable[tuple[int, ...]]) -> bytes:
    """``model`` (a ``.tflite`` flatbuffer with one subgraph) with only the outputs whose shapes
    (without the batch axis) are in ``shapes``, in the model's order, and the operators they need.

    Raises ValueError when a shape matches no output, or the model has several subgraphs.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    tree = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    if len(tree.subgraphs) != 1:
        raise ValueError(f"expected one subgraph, found {len(tree.subgraphs)}")
    graph = tree.subgraphs[0]
    wanted = {tuple(int(d) for d in s) for s in shapes}
    kept = [int(t) for t in graph.outputs if tuple(int(d) for d in graph.tensors[t].shape[1:]) in wanted]
    found = {tuple(int(d) for d in graph.tensors[t].shape[1:]) for t in kept}
    if found != wanted:
        raise ValueError(f"no output of shape {sorted(wanted - found)}")
    graph.operators = [graph.operators[k] for k in _needed(graph.operators, kept)]
    graph.outputs = kept
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
