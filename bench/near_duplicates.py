"""Near-duplicate detection: quality on labelled real-text pairs and speed at 1,000,000 stored
fingerprints, ours (services/ingest/dedup.py + the ingest database's index) beside datasketch's
MinHashLSH in the same run.

Quality: every pair (a, b) is judged through the real lookup: ``a`` is stored in the index, ``b``
is looked up, and the pair counts as a predicted duplicate when ``a`` is among the matches. The
peer gets the same word 3-gram shingles, 128 permutations and MinHashLSH at several thresholds;
the best one is shown.

Speed: one story's whole check (fingerprint its text + look it up) against an index holding
1,000,000 fingerprints: ours in SQLite through ``IngestState.near_duplicates``; the peer's
MinHash (both the usual per-shingle ``update`` and ``update_batch``) plus ``MinHashLSH.query``.

    .venv/bin/python bench/near_duplicates.py [--stored 1000000] [--peer-stored 1000000]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from neardup_pairs import SHARED, build_pairs  # noqa: E402
from sqlalchemy import text  # noqa: E402

from services.ingest import dedup  # noqa: E402
from services.ingest.state import IngestState, PublishedStory  # noqa: E402


def shingles(doc: str) -> list[bytes]:
    words = dedup.normalise_text(doc).split()
    n = dedup.SHINGLE
    return [" ".join(words[i:i + n]).encode() for i in range(max(1, len(words) - n + 1))]


def score(pairs, predicted: list[bool]) -> dict:
    tp = sum(1 for p, y in zip(pairs, predicted, strict=True) if y and p.duplicate)
    fp = sum(1 for p, y in zip(pairs, predicted, strict=True) if y and not p.duplicate)
    fn = sum(1 for p, y in zip(pairs, predicted, strict=True) if not y and p.duplicate)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def by_kind(pairs, predicted) -> dict[str, float]:
    hits = collections.defaultdict(list)
    for p, y in zip(pairs, predicted, strict=True):
        hits[p.kind].append(y == p.duplicate)
    return {k: sum(v) / len(v) for k, v in hits.items()}


def _ids(pairs):
    ids: dict[str, str] = {}
    for p in pairs:
        ids.setdefault(p.a, f"doc{len(ids)}")
    return ids


def ours_quality(pairs, workdir: Path, threshold: float) -> list[bool]:
    state = IngestState(f"sqlite:///{workdir / 'quality.db'}")
    ids = _ids(pairs)
    state.record_published([PublishedStory(canonical_url=sid, story_id=sid, content_hash=sid,
                             fingerprint=dedup.fingerprint(doc)) for doc, sid in ids.items()])
    predicted = []
    for p in pairs:
        found = {sid for sid, _ in state.near_duplicates(dedup.fingerprint(p.b), threshold)}
        predicted.append(ids[p.a] in found)
    state.close()
    return predicted


def peer_quality(pairs, threshold: float) -> list[bool]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    ids = _ids(pairs)
    for doc, sid in ids.items():
        m = MinHash(num_perm=128)
        m.update_batch(shingles(doc))
        lsh.insert(sid, m)
    predicted = []
    for p in pairs:
        m = MinHash(num_perm=128)
        m.update_batch(shingles(p.b))
        predicted.append(ids[p.a] in set(lsh.query(m)))
    return predicted


def build_big_index(path: Path, stored: int, real_docs: list[str]) -> IngestState:
    """``stored`` rows: the real documents plus random fingerprints (band keys and signatures of
    unrelated texts are uniformly distributed, so random rows load the index realistically)."""
    state = IngestState(f"sqlite:///{path}")
    rng = np.random.default_rng(7)
    with state.engine.begin() as conn:
        # indexes are dropped during the bulk load and rebuilt after: the normal way to load a table
        for i in range(dedup.BANDS):
            conn.execute(text(f"DROP INDEX near_index_band{i}"))
        conn.execute(text("DROP INDEX near_index_lead"))
        cols = ", ".join(f"band{i}" for i in range(dedup.BANDS))
        vals = ", ".join(f":b{i}" for i in range(dedup.BANDS))
        sql = text(f"INSERT INTO near_index (story_id, signature, lead, {cols}) VALUES (:s, :sig, :lead, {vals})")
        chunk = 50_000
        for start in range(0, stored - len(real_docs), chunk):
            n = min(chunk, stored - len(real_docs) - start)
            sigs = rng.integers(0, 2**32, (n, dedup.NUM_HASHES), dtype=np.uint64).astype("<u4")
            bands = rng.integers(0, 2**63, (n, dedup.BANDS), dtype=np.int64)
            leads = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
            conn.execute(sql, [{"s": f"bg{start + j}", "sig": sigs[j].tobytes(), "lead": int(leads[j]),
                                **{f"b{i}": int(bands[j, i]) for i in range(dedup.BANDS)}} for j in range(n)])
        for i in range(dedup.BANDS):
            conn.execute(text(f"CREATE INDEX near_index_band{i} ON near_index (band{i})"))
        conn.execute(text("CREATE INDEX near_index_lead ON near_index (lead)"))
    state.record_published([PublishedStory(canonical_url=f"real{i}", story_id=f"real{i}", content_hash=f"real{i}",
                             fingerprint=dedup.fingerprint(d)) for i, d in enumerate(real_docs)])
    return state


def timed(fn, items, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        for it in items:
            t0 = time.perf_counter()
            fn(it)
            out.append(time.perf_counter() - t0)
    return out


def fmt(samples: list[float]) -> str:
    s = sorted(samples)
    return f"median {statistics.median(s) * 1e3:7.3f} ms   p95 {s[int(len(s) * 0.95)] * 1e3:7.3f} ms"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", type=int, default=1_000_000)
    ap.add_argument("--peer-stored", type=int, default=1_000_000)
    args = ap.parse_args()
    if not SHARED.exists():
        print(f"skipped: {SHARED} not found")
        return 0
    pairs = build_pairs()
    counts = collections.Counter(p.duplicate for p in pairs)
    print(f"near-duplicate benchmark: {len(pairs)} labelled pairs ({counts[True]} duplicates, "
          f"{counts[False]} not) from ../shared/data")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = ours_quality(pairs, work, dedup.DEFAULT_THRESHOLD)
        results = [(f"wirewatch (threshold {dedup.DEFAULT_THRESHOLD:.2f} + lead)", ours)]
        for t in (0.3, 0.5, 0.7):
            results.append((f"datasketch MinHashLSH t={t}", peer_quality(pairs, t)))
        print(f"\n{'method':<36} {'precision':>9} {'recall':>7} {'F1':>6} {'FP':>4} {'FN':>4}")
        for name, pred in results:
            s = score(pairs, pred)
            print(f"{name:<36} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>6.4f} {s['fp']:>4} {s['fn']:>4}")
        best_peer = max(results[1:], key=lambda r: score(pairs, r[1])["f1"])
        print("\naccuracy by kind of pair (share judged correctly):")
        ko, kp = by_kind(pairs, ours), by_kind(pairs, best_peer[1])
        for kind in ko:
            print(f"  {kind:<28} ours {ko[kind]:.3f}   {best_peer[0]} {kp[kind]:.3f}")

        # -- speed at scale -----------------------------------------------------------------
        queries = sorted({p.b for p in pairs if p.duplicate} | {p.a for p in pairs}, key=len)[::3]
        words = [len(q.split()) for q in queries]
        print(f"\nspeed: {len(queries)} real texts ({statistics.median(words):.0f} words median) checked "
              f"against {args.stored:,} stored fingerprints (ours, SQLite) / {args.peer_stored:,} (peer)")
        t0 = time.perf_counter()
        big = build_big_index(work / "big.db", args.stored, sorted({p.a for p in pairs}))
        print(f"  built our index in {time.perf_counter() - t0:.0f}s")
        our_fp = timed(dedup.fingerprint, queries, 3)
        our_check = timed(lambda q: big.near_duplicates(dedup.fingerprint(q)), queries, 3)
        big.close()

        from datasketch import LeanMinHash, MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=best_peer_threshold(best_peer[0]), num_perm=128)
        rng = np.random.default_rng(11)
        scheme = MinHash(num_perm=128).scheme
        t0 = time.perf_counter()
        with lsh.insertion_session() as session:
            for start in range(0, args.peer_stored, 100_000):
                hv = rng.integers(0, 2**32 - 1, (min(100_000, args.peer_stored - start), 128), dtype=np.uint64)
                for j in range(len(hv)):
                    session.insert(f"bg{start + j}", LeanMinHash(seed=1, hashvalues=hv[j], scheme=scheme),
                                   check_duplication=False)
        print(f"  built the peer's index in {time.perf_counter() - t0:.0f}s")

        def peer_update(q: str) -> None:
            m = MinHash(num_perm=128)
            for s in shingles(q):
                m.update(s)
            lsh.query(m)

        def peer_batch(q: str) -> None:
            m = MinHash(num_perm=128)
            m.update_batch(shingles(q))
            lsh.query(m)

        peer_u = timed(peer_update, queries, 1)
        peer_b = timed(peer_batch, queries, 3)
        m = MinHash(num_perm=128)
        m.update_batch(shingles(queries[len(queries) // 2]))
        peer_q = timed(lambda _: lsh.query(m), range(2000))

    print(f"\n{'one story, fingerprint + lookup':<44} {'':>0}")
    print(f"  {'wirewatch fingerprint only':<42} {fmt(our_fp)}")
    print(f"  {'wirewatch fingerprint + SQLite lookup':<42} {fmt(our_check)}")
    print(f"  {'peer MinHash.update per shingle + query':<42} {fmt(peer_u)}")
    print(f"  {'peer MinHash.update_batch + query':<42} {fmt(peer_b)}")
    print(f"  {'peer MinHashLSH.query only':<42} {fmt(peer_q)}")
    ours_med = statistics.median(our_check)
    print(f"\nspeed-up (median): {statistics.median(peer_u) / ours_med:.1f}x over the peer's usual per-shingle "
          f"update, {statistics.median(peer_b) / ours_med:.1f}x over its update_batch")
    return 0


def best_peer_threshold(name: str) -> float:
    return float(name.rsplit("=", 1)[1])


if __name__ == "__main__":
    sys.exit(main())
