"""Change / neutral / sustain talk from a fine-tuned top of all-MiniLM-L6-v2, with dialogue context.

Why: frozen sentence vectors + a linear head plateau at macro-F1 ~0.52 on AnnoMI; MI talk type
depends on what was said before (a bare "yeah" answers a question about quitting). Fine-tuning
the whole encoder does not fit on two CPU cores, so the lower layers stay frozen (their states are
computed once per input and cached during training) and only the top ``tuned_layers`` transformer
layers + a linear head are trained. Only those layers and the head ship (safetensors, float16);
they run on top of the packaged encoder's frozen lower layers.

Input: a sentence pair of at most ``max_tokens`` word pieces, ``[CLS] utterance [SEP] context
[SEP]``: the utterance (capped at ``utterance_max_tokens``), then the last turns of the
conversation, oldest first, each prefixed ``other:`` or ``self:`` (the interviewer/therapist vs
the person whose talk is scored), truncated from the left to ``context_max_tokens`` so the most
recent turns stay. Without
turns the input is the single utterance (``[CLS] utterance [SEP]``, the same word pieces the
valence encoder reads, so its lower layers are shared). The head reads the mean of the top
layer's states over the utterance's own tokens: the context informs them through attention only.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

STANCE_FILE = Path(__file__).resolve().parents[1] / "data" / "text_stance.safetensors"
SELF_TAG, OTHER_TAG = "self:", "other:"


@dataclass(frozen=True)
class StanceInput:
    """How utterances become encoder inputs (part of the shipped model: stored in its metadata)."""

    context_turns: int = 10  # preceding turns (both speakers) kept before left truncation
    max_tokens: int = 128  # word pieces of the whole input incl. [CLS]/[SEP]
    utterance_max_tokens: int = 96  # the utterance's own cap when context follows
    context_max_tokens: int = 48  # the most recent context pieces kept (~2-3 MI turns): the
    # lower layers run once per input on two shared CPU cores, so context length is paid for


def context_text(turns: Sequence[tuple[bool, str]], n_turns: int) -> str:
    """The last ``n_turns`` turns as one string; ``turns`` = (is_self, text), oldest first."""
    if n_turns <= 0:
        return ""
    parts = [f"{SELF_TAG if me else OTHER_TAG} {str(t).strip()}" for me, t in list(turns)[-n_turns:] if str(t).strip()]
    return " ".join(parts)


def pair_ids(tokenizer, utterance: str, context: str, cfg: StanceInput) -> tuple[list[int], list[int], int]:
    """(input_ids, token_type_ids, n_a) where the first ``n_a`` tokens are [CLS] utterance [SEP]."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    u = tokenizer(utterance, add_special_tokens=False, verbose=False)["input_ids"]
    room_u = cfg.utterance_max_tokens - 2 if context.strip() else cfg.max_tokens - 2
    u = u[:room_u]
    ids = [cls, *u, sep]
    n_a = len(ids)
    if context.strip():
        room = min(cfg.context_max_tokens, cfg.max_tokens - n_a - 1)
        c = tokenizer(context, add_special_tokens=False, verbose=False)["input_ids"][-room:] if room > 0 else []
        if c:
            ids = ids + c + [sep]
    return ids, [0] * n_a + [1] * (len(ids) - n_a), n_a


# ---------------------------------------------------------------------------------------------
# the tuned top: BERT layers written out (weights load from the packaged BertLayer state dict)


def _torch():
    import torch

    return torch


class BertBlock(_torch().nn.Module):
    """One post-LayerNorm BERT encoder layer (self-attention + GELU feed-forward)."""

    def __init__(self, hidden: int, heads: int, inner: int, eps: float, dropout: float):
        torch = _torch()
        super().__init__()
        nn = torch.nn
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden), nn.Linear(hidden, hidden),
                                            nn.Linear(hidden, hidden))
        self.attn_out, self.attn_norm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=eps)
        self.inner, self.out = nn.Linear(hidden, inner), nn.Linear(inner, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=eps)
        self.drop = nn.Dropout(dropout)

    # names in transformers' BertLayer state dict -> ours
    HF_NAMES = {
        "attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
        "attention.output.dense": "attn_out", "attention.output.LayerNorm": "attn_norm",
        "intermediate.dense": "inner", "output.dense": "out", "output.LayerNorm": "out_norm",
    }

    def load_hf(self, state: dict) -> None:
        mine = {}
        for k, v in state.items():
            mod, _, param = k.rpartition(".")
            if mod in self.HF_NAMES:
                mine[f"{self.HF_NAMES[mod]}.{param}"] = v
        self.load_state_dict(mine, strict=True)

    def kv(self, h):
        """Keys and values of every position (b, s, d) each."""
        return self.key(h), self.value(h)

    def attend(self, q_in, k, v, key_mask):
        """Outputs for the positions of ``q_in`` (b, q, d) attending over keys/values (b, s, d)."""
        torch = _torch()
        b, s, d = k.shape
        hd = d // self.heads

        def split(x):
            return x.view(b, x.shape[1], self.heads, hd).transpose(1, 2)

        bias = torch.zeros(b, 1, 1, s, dtype=k.dtype, device=k.device).masked_fill(~key_mask[:, None, None, :], -1e4)
        a = torch.nn.functional.scaled_dot_product_attention(
            split(self.query(q_in)), split(k), split(v), attn_mask=bias,
            dropout_p=self.drop.p if self.training else 0.0)
        a = a.transpose(1, 2).reshape(b, q_in.shape[1], d)
        h = self.attn_norm(q_in + self.drop(self.attn_out(a)))
        f = self.out(torch.nn.functional.gelu(self.inner(h)))
        return self.out_norm(h + self.drop(f))

    def forward(self, h, key_mask, n_query: int | None = None):
        """h (b, s, d); key_mask (b, s) bool, True for real tokens.

        ``n_query``: compute outputs for the first ``n_query`` positions only (all positions
        still serve as keys/values) — the last layer only needs the utterance's tokens.
        """
        k, v = self.kv(h)
        return self.attend(h if n_query is None else h[:, :n_query], k, v, key_mask)


class StanceNet(_torch().nn.Module):
    """Tuned top layers + dropout + linear head over the utterance tokens' mean state."""

    def __init__(self, config, tuned_layers: int, dropout: float = 0.1):
        torch = _torch()
        super().__init__()
        self.blocks = torch.nn.ModuleList(
            BertBlock(config.hidden_size, config.num_attention_heads, config.intermediate_size,
                      config.layer_norm_eps, dropout) for _ in range(tuned_layers))
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(config.hidden_size, 3)

    def forward(self, h, key_mask, utt_mask):
        n_query = int(utt_mask.sum(1).max())  # the utterance comes first: later tokens only inform
        for i, blk in enumerate(self.blocks):
            h = blk(h, key_mask, n_query if i == len(self.blocks) - 1 else None)
        return self.pool(h, utt_mask[:, :n_query])

    def forward_kv(self, q_in, k, v, key_mask, utt_mask):
        """One tuned block from precomputed (frozen-projection) keys/values: the training path."""
        return self.pool(self.blocks[-1].attend(q_in, k, v, key_mask), utt_mask)

    def pool(self, h, utt_mask):
        m = utt_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(self.drop(pooled))


def net_from_encoder(hf_model, tuned_layers: int, dropout: float = 0.1) -> StanceNet:
    """A StanceNet whose blocks start as copies of the encoder's top ``tuned_layers`` layers."""
    net = StanceNet(hf_model.config, tuned_layers, dropout)
    layers = hf_model.encoder.layer
    for blk, layer in zip(net.blocks, layers[len(layers) - tuned_layers:]):
        blk.load_hf(layer.state_dict())
    return net


# ---------------------------------------------------------------------------------------------
# lower (frozen) states


def pad_batch(seqs: Sequence[list[int]], pad: int = 0):
    torch = _torch()
    n = max(len(s) for s in seqs)
    out = torch.full((len(seqs), n), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out


class LowerEncoder:
    """The packaged encoder's embeddings + first ``layer`` layers (frozen), as BertBlocks."""

    def __init__(self, hf_model, layer: int):
        cfg = hf_model.config
        self.embeddings = hf_model.embeddings
        self.blocks = []
        for src in hf_model.encoder.layer[:layer]:
            blk = BertBlock(cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, cfg.layer_norm_eps, 0.0)
            blk.load_hf(src.state_dict())
            self.blocks.append(blk.eval())

    def __call__(self, ids, types, key_mask):
        h = self.embeddings(input_ids=ids, token_type_ids=types)
        for blk in self.blocks:
            h = blk(h, key_mask)
        return h


def lower_states(hf_model, ids: Sequence[list[int]], types: Sequence[list[int]], layer: int,
                 batch_size: int = 32, dtype=None, lower: LowerEncoder | None = None) -> list:
    """Hidden states after the first ``layer`` layers, one (len, d) tensor per input (no padding)."""
    torch = _torch()
    dtype = dtype or torch.float16
    lower = lower or LowerEncoder(hf_model, layer)
    lengths = np.array([len(s) for s in ids])
    order = np.argsort(-lengths, kind="stable")
    out: list = [None] * len(ids)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            x = pad_batch([ids[i] for i in idx])
            t = pad_batch([types[i] for i in idx])
            mask = (pad_batch([[1] * len(ids[i]) for i in idx])).bool()
            hs = lower(x, t, mask)
            for j, i in enumerate(idx):
                out[i] = hs[j, : lengths[i]].to(dtype).clone()
    return out


def collate(states: Sequence, n_a: Sequence[int]):
    """Pad ragged (len, d) states -> (h, key_mask, utt_mask) float32 tensors."""
    torch = _torch()
    n = max(int(s.shape[0]) for s in states)
    d = int(states[0].shape[1])
    h = torch.zeros(len(states), n, d)
    key = torch.zeros(len(states), n, dtype=torch.bool)
    utt = torch.zeros(len(states), n, dtype=torch.bool)
    for i, (s, a) in enumerate(zip(states, n_a)):
        h[i, : s.shape[0]] = s.float()
        key[i, : s.shape[0]] = True
        utt[i, :a] = True
    return h, key, utt


def predict_logits(net: StanceNet, states: Sequence, n_a: Sequence[int], batch_size: int = 64) -> np.ndarray:
    torch = _torch()
    if not len(states):
        return np.zeros((0, 3))
    lengths = np.array([int(s.shape[0]) for s in states])
    order = np.argsort(-lengths, kind="stable")
    out = np.zeros((len(states), 3))
    net.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            h, key, utt = collate([states[i] for i in idx], [n_a[i] for i in idx])
            out[idx] = net(h, key, utt).double().numpy()
    return out


# ---------------------------------------------------------------------------------------------
# training


@dataclass(frozen=True)
class TuneConfig:
    """What is trained and how. ``tune``: "layer" = the encoder's top layer (query, attention
    output, feed-forward, LayerNorms; its key/value projections stay the packaged ones, so every
    input's keys/values are computed once) + the head; "layers" = the top ``tuned_layers``
    layers whole (key/value included; 6 = every layer, the word embeddings stay frozen) + the
    head, trained on the frozen part's states (:func:`state_items`); "head" = the head alone on
    the frozen encoder (the ablation)."""

    tune: str = "layer"
    tuned_layers: int = 1  # layers trained with tune="layers" (the others: 1)
    epochs: int = 4  # at most; the best epoch on the inner split is kept
    batch_size: int = 32
    lr_layer: float = 1e-4  # AdamW, linear decay after a 10% warm-up
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    dropout: float = 0.1
    context_dropout: float = 0.25  # share of training examples shown without their context
    inner_share: float = 0.15  # sessions of the training part held out for early stopping


    @property
    def n_layers(self) -> int:
        """Encoder layers above the frozen states (the tuned net's blocks)."""
        return self.tuned_layers if self.tune == "layers" else 1

    @property
    def uses_kv(self) -> bool:
        """Training on :func:`kv_items` (frozen key/value projections) rather than :func:`state_items`."""
        return self.tune != "layers"


def state_items(states: Sequence, n_a: Sequence[int]) -> list:
    """Per input: (frozen states (len, d), utterance length) — the training input of tune="layers"."""
    return [(s, int(a)) for s, a in zip(states, n_a)]


def kv_items(net: StanceNet, states: Sequence, n_a: Sequence[int]) -> list:
    """Per input: (utterance states (n_a, d), keys (len, d), values (len, d)) in float16, with the
    top block's frozen key/value projections — what training needs from the frozen part."""
    torch = _torch()
    blk = net.blocks[-1]
    out = []
    with torch.inference_mode():
        for s, a in zip(states, n_a):
            h = s.float()[None]
            k, v = blk.kv(h)
            out.append((s[:a].to(torch.float16), k[0].to(torch.float16), v[0].to(torch.float16)))
    return out


def collate_kv(items: Sequence):
    torch = _torch()
    nq = max(int(q.shape[0]) for q, _, _ in items)
    ns = max(int(k.shape[0]) for _, k, _ in items)
    d = int(items[0][0].shape[1])
    q = torch.zeros(len(items), nq, d)
    k = torch.zeros(len(items), ns, d)
    v = torch.zeros(len(items), ns, d)
    key = torch.zeros(len(items), ns, dtype=torch.bool)
    utt = torch.zeros(len(items), nq, dtype=torch.bool)
    for i, (qi, ki, vi) in enumerate(items):
        q[i, : qi.shape[0]], utt[i, : qi.shape[0]] = qi.float(), True
        k[i, : ki.shape[0]], v[i, : ki.shape[0]], key[i, : ki.shape[0]] = ki.float(), vi.float(), True
    return q, k, v, key, utt


def predict_kv(net: StanceNet, items: Sequence, batch_size: int = 64) -> np.ndarray:
    torch = _torch()
    out = np.zeros((len(items), 3))
    if not len(items):
        return out
    order = np.argsort([-int(k.shape[0]) for _, k, _ in items], kind="stable")
    net.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = net.forward_kv(*collate_kv([items[i] for i in idx])).double().numpy()
    return out


def _item_len(item) -> int:
    """Word pieces of one training input: kv items (q, k, v) or state items (states, n_a)."""
    return int(item[1].shape[0]) if len(item) == 3 else int(item[0].shape[0])


def batch_logits(net: StanceNet, items: Sequence, cfg: TuneConfig):
    """Logits of a batch of :func:`kv_items` or :func:`state_items` (as ``cfg`` trains on)."""
    if cfg.uses_kv:
        return net.forward_kv(*collate_kv(items))
    return net(*collate([s for s, _ in items], [a for _, a in items]))


def predict_items(net: StanceNet, items: Sequence, cfg: TuneConfig, batch_size: int = 64) -> np.ndarray:
    if cfg.uses_kv:
        return predict_kv(net, items, batch_size)
    return predict_logits(net, [s for s, _ in items], [a for _, a in items], batch_size)


def train_net(hf_model, train_ctx: Sequence, train_plain: Sequence, y: np.ndarray,
              val: tuple[Sequence, np.ndarray], cfg: TuneConfig, seed: int, class_w: np.ndarray, metric,
              log=None) -> tuple[StanceNet, dict]:
    """Fit on :func:`kv_items` (:func:`state_items` for tune="layers") of the training rows (with
    context, and without for context dropout; ``train_plain`` may be empty); keep the epoch with
    the best ``metric`` on ``val``.
    Returns the net at its best epoch and the validation metric per epoch (the learning curve).
    """
    torch = _torch()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = net_from_encoder(hf_model, cfg.n_layers, cfg.dropout)
    blk = net.blocks[-1]
    if cfg.tune == "layers":
        layer_params = [p for b in net.blocks for p in b.parameters()]
    else:
        frozen = {id(p) for p in (*blk.key.parameters(), *blk.value.parameters())}
        layer_params = [p for p in blk.parameters() if id(p) not in frozen] if cfg.tune == "layer" else []
        for p in blk.parameters():
            p.requires_grad_(any(p is q for q in layer_params))
    groups = [{"params": list(net.head.parameters()), "lr": cfg.lr_head}]
    if layer_params:
        groups.append({"params": layer_params, "lr": cfg.lr_layer})
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    n = len(y)
    steps = cfg.epochs * math.ceil(n / cfg.batch_size)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.as_tensor(class_w, dtype=torch.float32))
    yt = torch.as_tensor(y, dtype=torch.long)
    lengths = np.array([_item_len(it) for it in train_ctx])
    best = (-1.0, None, -1)
    history = []
    for epoch in range(cfg.epochs):
        net.train()
        # batches of similar length (less padding), in random order
        perm = rng.permutation(n)
        batches = []
        for c in range(0, n, cfg.batch_size * 20):
            ch = perm[c : c + cfg.batch_size * 20]
            ch = ch[np.argsort(-lengths[ch], kind="stable")]
            batches += [ch[i : i + cfg.batch_size] for i in range(0, len(ch), cfg.batch_size)]
        for bi in rng.permutation(len(batches)):
            idx = batches[bi]
            plain = (rng.random(len(idx)) < cfg.context_dropout) if len(train_plain) else np.zeros(len(idx), bool)
            items = [train_plain[i] if p else train_ctx[i] for i, p in zip(idx, plain)]
            opt.zero_grad()
            loss = loss_fn(batch_logits(net, items, cfg), yt[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 1.0)
            opt.step()
            sched.step()
        score = metric(val[1], predict_items(net, val[0], cfg).argmax(1))
        history.append(round(float(score), 4))
        if log:
            log(f"  epoch {epoch + 1}: inner macro-F1 {score:.4f}")
        if score > best[0]:
            best = (score, {k: v.detach().clone() for k, v in net.state_dict().items()}, epoch + 1)
    net.load_state_dict(best[1])
    net.eval()
    return net, {"inner_macro_f1_per_epoch": history, "best_epoch": best[2]}


# ---------------------------------------------------------------------------------------------
# the shipped model


@dataclass
class StanceModel:
    """Tuned top layers + head + decision offsets, applied on the packaged encoder's lower states.

    ``offset`` / ``offset_plain``: additive logit offsets (change, neutral, sustain) tuned for
    macro-F1 on the inner split, with context / on the single utterance.
    """

    net: StanceNet
    inputs: StanceInput
    lower_layer: int  # the packaged encoder's layers below the tuned ones
    offset: np.ndarray
    offset_plain: np.ndarray

    def save(self, path: str | Path, extra: dict[str, str] | None = None) -> Path:
        import json

        from safetensors.torch import save_file

        from codebook.atomic import atomic_path

        torch = _torch()
        tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in self.net.state_dict().items()}
        tensors["offset"] = torch.as_tensor(self.offset, dtype=torch.float32)
        tensors["offset_plain"] = torch.as_tensor(self.offset_plain, dtype=torch.float32)
        meta = {"inputs": json.dumps(asdict(self.inputs)), "tuned_layers": str(len(self.net.blocks)),
                "lower_layer": str(self.lower_layer), **(extra or {})}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=meta)
        return Path(path)

    @classmethod
    def load(cls, hf_model, path: str | Path = STANCE_FILE) -> "StanceModel":
        import json

        from safetensors import SafetensorError, safe_open

        from codebook.errors import InputError

        path = Path(path)
        if not path.is_file():
            raise InputError(path, "stance model file not found")
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                t = {k: f.get_tensor(k) for k in f.keys()}
            k, lower = int(meta["tuned_layers"]), int(meta["lower_layer"])
            if lower + k != hf_model.config.num_hidden_layers:
                raise ValueError(f"{lower} + {k} layers do not make the packaged encoder's "
                                 f"{hf_model.config.num_hidden_layers}")
            inputs = StanceInput(**json.loads(meta["inputs"]))
            net = StanceNet(hf_model.config, k)
            offset, plain = t.pop("offset").double().numpy(), t.pop("offset_plain").double().numpy()
            net.load_state_dict({n: v.float() for n, v in t.items()}, strict=True)
        except (KeyError, OSError, ValueError, RuntimeError, SafetensorError) as err:
            raise InputError(path, f"not a stance model file ({err})") from err
        net.eval()
        return cls(net, inputs, lower, offset, plain)

    def logits(self, encoder, texts: Sequence[str], contexts: Sequence[str], states: Sequence | None = None,
               batch_size: int = 32) -> np.ndarray:
        """Offset logits (n, 3) for non-empty ``texts`` with their context strings ("" = none).

        ``states``: lower states the encoder already computed for single texts (None where not);
        they stand in for the utterance-only input when it is the same word pieces.
        """
        tok = encoder.tokenizer
        pairs = [pair_ids(tok, t, c, self.inputs) for t, c in zip(texts, contexts)]
        st: list = [None] * len(texts)
        for i, (ids, _, _) in enumerate(pairs):
            s = states[i] if states is not None else None
            if s is not None and not contexts[i].strip() and s.shape[0] == len(ids):
                st[i] = s
        todo = [i for i, s in enumerate(st) if s is None]
        if todo:
            if getattr(self, "_lower", None) is None:
                self._lower = LowerEncoder(encoder.model, self.lower_layer)
            done = lower_states(encoder.model, [pairs[i][0] for i in todo], [pairs[i][1] for i in todo],
                                self.lower_layer, batch_size, dtype=_torch().float32, lower=self._lower)
            for i, s in zip(todo, done):
                st[i] = s
        out = predict_logits(self.net, st, [p[2] for p in pairs], max(1, batch_size))
        has = np.array([bool(c.strip()) for c in contexts], dtype=bool)
        return out + np.where(has[:, None], self.offset, self.offset_plain)
