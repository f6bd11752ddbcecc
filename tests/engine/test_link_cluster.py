"""The graph stages against a plain networkx computation on small random graphs."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sybilgraph import link_kernel
from sybilgraph.cluster import cluster
from sybilgraph.cluster_kernel import strongest
from sybilgraph.link import Pairs, _interleaved, link
from sybilgraph.link_kernel import (
    NARROW_HUBS,
    Incidence,
    RingGate,
    build_incidence,
    candidate_bound,
    edges_in_value_order,
    hub_table,
    ring_keys,
    widest_small_value,
)
from sybilgraph.settings import Settings
from sybilgraph.weigh import WeightedValues

FAMILIES = ["payment", "network", "content"]


def random_bipartite(seed: int, n_accounts: int, n_values: int, p: float) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    value_family = rng.integers(0, len(FAMILIES), n_values)
    value_weight = rng.uniform(0.1, 0.95, n_values).round(3)
    for a in range(n_accounts):
        for v in range(n_values):
            if rng.random() < p:
                rows.append((a, v, float(value_weight[v]), FAMILIES[value_family[v]]))
    return edge_frame(rows)


def small_hub_case(seed: int) -> tuple[pl.DataFrame, dict[int, str | None], Settings]:
    """40 accounts on 8 values, about half of them on each, so most values are hubs
    (``hub_degree`` 4), with every fifth account in one organisation."""
    edges = random_bipartite(seed, 40, 8, 0.5)
    org = {a: ("o1" if a % 5 == 0 else None) for a in range(40)}
    s = Settings(hub_degree=4, hub_neighbours=2, min_pair_weight=0.5, min_pair_types=1)
    return edges, org, s


def edge_frame(rows: list[tuple[int, int, float, str]]) -> pl.DataFrame:
    """Weighted edges ``account, value, weight, family`` from rows of the four."""
    return pl.DataFrame(
        rows,
        schema={
            "account": pl.UInt32,
            "value": pl.UInt32,
            "weight": pl.Float64,
            "family": pl.String,
        },
        orient="row",
    )


def reference_pairs(edges: pl.DataFrame, org: dict[int, str | None], s: Settings) -> dict:
    """Weighted projection with networkx: noisy-OR of the two strongest values per family,
    summed across families."""
    graph = nx.Graph()
    for a, v, w, f in edges.iter_rows():
        graph.add_node(("a", a))
        graph.add_node(("v", v), weight=w, family=f)
        graph.add_edge(("a", a), ("v", v))
    accounts = sorted(n for n in graph if n[0] == "a")
    out = {}
    for (_, a), (_, b) in itertools.combinations(accounts, 2):
        common = set(graph[("a", a)]) & set(graph[("a", b)])
        if not common:
            continue
        per_family: dict[str, list[float]] = {}
        for node in common:
            per_family.setdefault(graph.nodes[node]["family"], []).append(
                graph.nodes[node]["weight"]
            )
        weight = 0.0
        for values in per_family.values():
            top = [*sorted(values, reverse=True)[:2], 0.0]
            weight += 1 - (1 - top[0]) * (1 - top[1])
        if org.get(a) is not None and org.get(a) == org.get(b):
            weight *= s.org_discount
        if weight >= s.min_pair_weight and len(per_family) >= s.min_pair_types:
            out[(a, b)] = (weight, len(per_family))
    return out


def same(x: tuple[float, int], y: tuple[float, int]) -> bool:
    return math.isclose(x[0], y[0], abs_tol=1e-7) and x[1] == y[1]


def run_link(edges: pl.DataFrame, org: dict[int, str | None], s: Settings) -> dict:
    pairs = linked(edges, org, s).pairs
    return {(a, b): (w, n) for a, b, w, n, _ in pairs.iter_rows()}


def linked(edges: pl.DataFrame, org: dict[int, str | None], s: Settings) -> Pairs:
    degree = edges.group_by("value").len("d")
    e = (
        edges.join(degree, on="value")
        .with_columns(
            (pl.col("d") > s.hub_degree).alias("hub"), pl.col("family").alias("signal_type")
        )
        .drop("d")
    )
    org_frame = pl.DataFrame(
        {"account": list(org), "org_id": list(org.values())},
        schema={"account": pl.UInt32, "org_id": pl.String},
    )
    return link(WeightedValues(e, e, 0), org_frame, s)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.05, 0.4))
def test_link_equals_networkx_projection_without_hubs(seed: int, p: float) -> None:
    edges = random_bipartite(seed, 14, 10, p)
    org = {a: ("org1" if a % 3 == 0 else None) for a in range(14)}
    # A threshold away from any weight that rounding could move across.
    s = Settings(
        hub_degree=1000, min_pair_weight=0.3000001, attach_pair_weight=1.0, min_pair_types=1
    )
    ours = run_link(edges, org, s)
    reference = reference_pairs(edges, org, s)
    assert set(ours) == set(reference)
    assert all(same(ours[k], reference[k]) for k in ours)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_hub_ring_pairs_carry_their_full_projection_weight(seed: int) -> None:
    edges = random_bipartite(seed, 40, 6, 0.5)
    org: dict[int, str | None] = {a: None for a in range(40)}
    s = Settings(
        hub_degree=4,
        hub_neighbours=2,
        min_pair_weight=0.0,
        attach_pair_weight=0.0,
        min_pair_types=1,
    )
    ours = run_link(edges, org, s)
    reference = reference_pairs(edges, org, s)
    # The ring proposes fewer pairs than the full projection, never a pair it does not have,
    # and scores each one on everything the two accounts share.
    assert ours
    assert set(ours) <= set(reference)
    assert all(same(ours[k], reference[k]) for k in ours)
    # Each hub value keeps its accounts connected through the ring.
    ring = nx.Graph(list(ours))
    for value, members in edges.group_by("value").agg(pl.col("account")).iter_rows():
        if len(members) > s.hub_degree:
            assert nx.is_connected(ring.subgraph(members)), value


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 50))
def test_partitioned_link_gives_the_same_pairs(seed: int, rows: int) -> None:
    edges = random_bipartite(seed, 40, 8, 0.4)
    degree = edges.group_by("value").len("d")
    e = (
        edges.join(degree, on="value")
        .with_columns((pl.col("d") > 6).alias("hub"), pl.col("family").alias("signal_type"))
        .drop("d")
    )
    org = pl.DataFrame(
        {"account": list(range(40)), "org_id": ["o1" if a % 5 == 0 else None for a in range(40)]},
        schema={"account": pl.UInt32, "org_id": pl.String},
    )
    s = Settings(hub_degree=6, hub_neighbours=2, min_pair_weight=0.5, min_pair_types=1)
    whole = link(WeightedValues(e, e, 0), org, s)
    split = link(WeightedValues(e, e, 0), org, s, partition_rows=rows)
    assert whole.n_partitions == 1
    assert split.n_partitions > 1
    assert split.pairs.equals(whole.pairs)


def random_pairs(seed: int, n: int, p: float) -> pl.DataFrame:
    g = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    rows = [(min(a, b), max(a, b), float(rng.uniform(0.5, 3.0))) for a, b in g.edges()]
    return pl.DataFrame(
        rows, schema={"a": pl.UInt32, "b": pl.UInt32, "weight": pl.Float64}, orient="row"
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.01, 0.2))
def test_free_merging_joins_linked_groups_within_connected_components(seed: int, p: float) -> None:
    # With merging free, every two linked sub-groups of reportable size share a cluster and a
    # smaller group joins one cluster it links to; no cluster reaches across components. (A
    # small group bridging two large ones joins only one of them, by design, so clusters are
    # not always whole components.)
    pairs = random_pairs(seed, 60, p)
    if pairs.height == 0:
        return
    s = Settings(merge_weight=0.0, merge_links=1)
    result = cluster(pairs, s).membership
    cluster_of = dict(zip(result["account"].to_list(), result["cluster"].to_list(), strict=True))
    sub_of = dict(zip(result["account"].to_list(), result["subgroup"].to_list(), strict=True))
    sub_size = result.group_by("subgroup").len()
    big = set(sub_size.filter(pl.col("len") >= s.min_cluster_size)["subgroup"].to_list())
    graph = nx.Graph([(a, b) for a, b, _ in pairs.iter_rows()])
    for component in nx.connected_components(graph):
        outside = {cluster_of[x] for x in graph.nodes if x not in component}
        assert not {cluster_of[x] for x in component} & outside
    for a, b, _ in pairs.iter_rows():
        if sub_of[a] in big and sub_of[b] in big:
            assert cluster_of[a] == cluster_of[b]
    # A small group moves as a whole, to a cluster one of its members links to.
    for group, members in result.group_by("subgroup").agg("account").iter_rows():
        if group in big:
            continue
        into_big = {cluster_of[y] for x in members for y in graph.neighbors(x) if sub_of[y] in big}
        if into_big:
            assert {cluster_of[x] for x in members} <= into_big
            assert len({cluster_of[x] for x in members}) == 1


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.02, 0.3))
def test_every_linked_account_in_exactly_one_cluster_and_subgroups_nest(
    seed: int, p: float
) -> None:
    pairs = random_pairs(seed, 50, p)
    if pairs.height == 0:
        return
    m = cluster(pairs, Settings()).membership
    linked = set(pairs["a"].to_list()) | set(pairs["b"].to_list())
    assert sorted(m["account"].to_list()) == sorted(linked)
    assert m.group_by("subgroup").agg(pl.col("cluster").n_unique())["cluster"].max() == 1


def test_cluster_is_deterministic_for_a_seed() -> None:
    pairs = random_pairs(3, 200, 0.05)
    one = cluster(pairs, Settings(seed=5)).membership
    two = cluster(pairs, Settings(seed=5)).membership
    assert one.equals(two)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6))
def test_leiden_sees_the_strongest_pairs_of_every_account(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    n = 30
    edges = np.array([(a, b) for a, b in itertools.combinations(range(n), 2) if rng.random() < 0.2])
    if edges.size == 0:
        return
    # Few distinct weights, so that ties (broken by edge index) are common.
    weights = rng.integers(1, 4, edges.shape[0]).astype(np.float64)
    expected: set[int] = set()
    for v in range(n):
        touching = [i for i in range(edges.shape[0]) if v in edges[i]]
        expected |= set(sorted(touching, key=lambda i: (-weights[i], i))[:k])
    assert strongest(edges, weights, n, k).tolist() == sorted(expected)


@pytest.mark.parametrize("leiden_pairs", [0, 4])
def test_two_dense_groups_joined_by_one_link_stay_apart(leiden_pairs: int) -> None:
    rows = [(a, b, 2.0) for a, b in itertools.combinations(range(20), 2)]
    rows += [(a, b, 2.0) for a, b in itertools.combinations(range(20, 40), 2)]
    rows.append((5, 25, 2.0))
    pairs = pl.DataFrame(
        rows, schema={"a": pl.UInt32, "b": pl.UInt32, "weight": pl.Float64}, orient="row"
    )
    m = cluster(pairs, Settings(leiden_pairs=leiden_pairs)).membership
    sizes = sorted(m.group_by("cluster").len()["len"].to_list())
    assert sizes == [20, 20]


@pytest.mark.parametrize(("cells", "leiden_pairs"), [(5, 0), (20, 0), (20, 4)])
def test_cells_of_one_operation_merge_into_one_cluster(cells: int, leiden_pairs: int) -> None:
    # Cells of 10 accounts, fully linked inside, and each account linked to a few accounts of
    # other cells (shared proxies and templates across cells).
    rng = np.random.default_rng(0)
    rows = []
    n = cells * 10
    for c in range(cells):
        members = range(c * 10, c * 10 + 10)
        rows += [(a, b, 3.0) for a, b in itertools.combinations(members, 2)]
    for a in range(n):
        for b in rng.choice(n, 8, replace=False):
            if b // 10 != a // 10:
                rows.append((min(a, int(b)), max(a, int(b)), 1.0))
    pairs = (
        pl.DataFrame(
            rows, schema={"a": pl.UInt32, "b": pl.UInt32, "weight": pl.Float64}, orient="row"
        )
        .group_by("a", "b")
        .agg(pl.col("weight").max())
        .sort("a", "b")
    )
    m = cluster(pairs, Settings(resolution=0.5, leiden_pairs=leiden_pairs)).membership
    assert m["subgroup"].n_unique() > 1
    assert m["cluster"].n_unique() == 1


def _numpy_ring_keys(account: np.ndarray, value: np.ndarray, seed: int) -> np.ndarray:
    def mix(x: np.ndarray) -> np.ndarray:
        z = x.astype(np.uint64, copy=True)
        with np.errstate(over="ignore"):
            z ^= z >> np.uint64(30)
            z *= np.uint64(0xBF58476D1CE4E5B9)
            z ^= z >> np.uint64(27)
            z *= np.uint64(0x94D049BB133111EB)
            z ^= z >> np.uint64(31)
        return z

    a = account.astype(np.uint64)
    v = value.astype(np.uint64)
    with np.errstate(over="ignore"):
        return mix(a * np.uint64(0x9E3779B97F4A7C15) ^ mix(v + np.uint64(seed)))


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 25)), min_size=1, max_size=300),
    st.integers(0, 3),
)
@settings(max_examples=60, deadline=None)
def test_incidence_tables_match_sorted_tables(pairs: list[tuple[int, int]], seed: int) -> None:
    # In the order the encoded edge table holds them: by value, then account.
    edges = pl.DataFrame(
        sorted(set(pairs), key=lambda p: (p[1], p[0])),
        schema={"account": pl.UInt32, "value": pl.UInt32},
        orient="row",
    ).with_columns((pl.col("value") % 4 == 0).alias("hub"))
    assert edges_in_value_order(edges["account"].to_numpy(), edges["value"].to_numpy())
    n_accounts, n_values = 41, 26
    order = np.random.default_rng(seed).permutation(n_accounts)
    rank = np.empty(n_accounts, dtype=np.int64)
    rank[order] = np.arange(n_accounts)
    got = build_incidence(
        edges["account"].to_numpy(),
        edges["value"].to_numpy(),
        edges["hub"].to_numpy(),
        rank,
        n_values,
        seed,
    )
    ranked = edges.with_columns(pl.Series("r", rank[edges["account"].to_numpy()]))
    small = ranked.filter(~pl.col("hub"))
    by_account = small.sort("r", "value")
    assert got.small_values.tolist() == by_account["value"].to_list()
    assert (
        np.diff(got.small_ptr_by_account).tolist()
        == np.bincount(by_account["r"].to_numpy(), minlength=n_accounts).tolist()
    )
    by_value = small.sort("value", "r")
    assert got.small_acc.tolist() == by_value["r"].to_list()
    hubs = ranked.filter(pl.col("hub"))
    keys = _numpy_ring_keys(hubs["account"].to_numpy(), hubs["value"].to_numpy(), seed)
    ring = hubs.with_columns(pl.Series("key", keys)).sort("value", "key", "account")
    assert got.ring_acc.tolist() == ring["r"].to_list()
    assert (
        np.diff(got.ring_ptr).tolist()
        == np.bincount(ring["value"].to_numpy(), minlength=n_values).tolist()
    )
    # Each hub edge, by rank then value, knows its place in its value's ring.
    for start, end, r in zip(
        got.hub_ptr_by_account[:-1], got.hub_ptr_by_account[1:], range(n_accounts), strict=True
    ):
        values = got.hub_values[start:end].tolist()
        assert values == sorted(values)
        for v, pos in zip(values, got.ring_pos[start:end].tolist(), strict=True):
            assert got.ring_acc[got.ring_ptr[v] + pos] == r
    assert got.hub_values.size == hubs.height
    # The candidate bound: per small value, the value's accounts of lower rank; per hub value,
    # both ring neighbours up to k places away.
    k = 2
    lower = small.with_columns(pl.col("r").rank("ordinal").over("value").sub(1).alias("n"))
    ring_d = hubs.group_by("value").agg(pl.len().alias("d"))
    per_hub = hubs.join(ring_d, on="value").select(
        "r", (2 * pl.min_horizontal(pl.lit(k), pl.col("d") // 2)).alias("n")
    )
    want = np.zeros(n_accounts, dtype=np.int64)
    both = pl.concat([lower.select("r", pl.col("n").cast(pl.Int64)), per_hub.cast({"n": pl.Int64})])
    np.add.at(want, both["r"].to_numpy(), both["n"].to_numpy())
    assert candidate_bound(got, k, np.ones(n_accounts, dtype=np.bool_)).tolist() == want.tolist()
    # An account whose ring is closed lists no ring neighbours.
    closed = np.zeros(n_accounts, dtype=np.int64)
    np.add.at(closed, lower["r"].to_numpy(), lower["n"].to_numpy())
    shut = np.zeros(n_accounts, dtype=np.bool_)
    assert candidate_bound(got, k, shut).tolist() == closed.tolist()


def test_ring_keys_are_the_splitmix_formula() -> None:
    rng = np.random.default_rng(5)
    account = rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32)
    value = rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32)
    for seed in (0, 7, 2**40):
        want = _numpy_ring_keys(account, value, seed)
        assert (ring_keys(account, value, seed) == want).all()


@pytest.mark.parametrize(
    ("n_hubs", "dtype"), [(NARROW_HUBS, np.uint16), (NARROW_HUBS + 1, np.int32)]
)
def test_hub_ids_are_16_bit_while_they_fit(n_hubs: int, dtype: type) -> None:
    # One account using every hub value, each hub value on that account alone.
    inc = Incidence(
        small_ptr_by_account=np.zeros(2, dtype=np.int64),
        small_values=np.zeros(0, dtype=np.uint32),
        hub_ptr_by_account=np.array([0, n_hubs], dtype=np.int64),
        hub_values=np.arange(n_hubs, dtype=np.uint32),
        ring_pos=np.zeros(n_hubs, dtype=np.int64),
        small_ptr=np.zeros(n_hubs + 1, dtype=np.int64),
        small_acc=np.zeros(0, dtype=np.uint32),
        ring_ptr=np.arange(n_hubs + 1, dtype=np.int64),
        ring_acc=np.zeros(n_hubs, dtype=np.uint32),
    )
    weight = np.random.default_rng(3).random(n_hubs)
    table = hub_table(inc, weight, np.zeros(n_hubs, np.uint16), np.zeros(n_hubs, np.uint8))
    assert table.ids.dtype == dtype
    # Every value has its own dense id, strongest first.
    assert np.array_equal(np.sort(table.ids.astype(np.int64)), np.arange(n_hubs))
    assert np.array_equal(table.weight, np.sort(weight)[::-1])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_hub_ids_of_either_width_give_the_same_pairs(seed: int) -> None:
    edges, org, s = small_hub_case(seed)
    narrow = run_link(edges, org, s)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(link_kernel, "NARROW_HUBS", 0)
        wide = run_link(edges, org, s)
    assert narrow
    assert wide == narrow


def open_gate(inc: Incidence, *_: object) -> RingGate:
    """A gate that lets every ring neighbour through (in place of ``ring_gate``)."""
    n = inc.hub_ptr_by_account.size - 1
    return RingGate(
        open=np.ones(n, dtype=np.bool_), reach=np.full((n, 1), np.inf), floor=0.0, min_types=0
    )


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    floor=st.sampled_from([0.3, 0.9, 1.3]),
    types=st.integers(1, 3),
)
def test_the_ring_gate_rules_out_only_pairs_that_would_fail(
    seed: int, floor: float, types: int
) -> None:
    edges = random_bipartite(seed, 40, 8, 0.5)
    org = {a: ("o1" if a % 7 == 0 else None) for a in range(40)}
    s = Settings(
        hub_degree=4,
        hub_neighbours=3,
        min_pair_weight=floor,
        attach_pair_weight=floor,
        min_pair_types=types,
    )
    gated = linked(edges, org, s)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sybilgraph.link.ring_gate", open_gate)
        full = linked(edges, org, s)
    assert gated.pairs.equals(full.pairs)
    assert gated.n_candidates <= full.n_candidates


def test_the_ring_gate_skips_neighbours_whose_hub_values_are_too_weak() -> None:
    # Two hub values of one family, each on every account: ring neighbours share them both,
    # one family of weak evidence, so no ring pair can reach two families or a weight of 1.
    rows = [(a, v, 0.2, "network") for a in range(20) for v in range(2)]
    # Two accounts also share a card and a strong network value: their pair passes.
    rows += [(0, 2, 0.9, "payment"), (1, 2, 0.9, "payment"), (0, 3, 0.9, "network")]
    rows += [(1, 3, 0.9, "network")]
    edges = edge_frame(rows)
    org: dict[int, str | None] = {a: None for a in range(20)}
    s = Settings(hub_degree=4, hub_neighbours=2, min_pair_weight=1.0, min_pair_types=2)
    gated = linked(edges, org, s)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sybilgraph.link.ring_gate", open_gate)
        full = linked(edges, org, s)
    assert gated.pairs.equals(full.pairs)
    assert gated.pairs.select("a", "b").rows() == [(0, 1)]
    # The ring proposes each account's neighbours in both hub rings; only the pair that shares
    # small values is scored.
    assert gated.n_candidates == 1
    assert full.n_candidates > 20


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_link_gives_the_same_pairs_whatever_the_order_of_its_edges(seed: int) -> None:
    edges, org, s = small_hub_case(seed)
    in_order = edges.sort("value", "account")
    assert edges_in_value_order(in_order["account"].to_numpy(), in_order["value"].to_numpy())
    shuffled = edges.sample(fraction=1.0, shuffle=True, seed=seed)
    assert run_link(shuffled, org, s) == run_link(in_order, org, s)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_link_gives_the_same_pairs_whatever_the_accounts_ranks(seed: int) -> None:
    # The ranks only say which account of a pair scores it and where the loops find its rows:
    # any numbering gives the same pairs, the one by hub values and widest value included.
    edges, org, s = small_hub_case(seed)
    ranked = linked(edges, org, s)

    def shuffled(_: pl.DataFrame, n_accounts: int, __: int) -> np.ndarray:
        return np.random.default_rng(seed).permutation(n_accounts)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sybilgraph.link._rank_order", shuffled)
        any_order = linked(edges, org, s)
    assert ranked.pairs.height
    assert any_order.pairs.equals(ranked.pairs)
    assert any_order.n_candidates == ranked.n_candidates


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 12)), min_size=1, max_size=200))
@settings(max_examples=60, deadline=None)
def test_widest_small_value_is_the_small_value_with_most_accounts(
    rows: list[tuple[int, int]],
) -> None:
    # Each (account, value) once, in the order drawn; a value is a hub or not on all its edges.
    edges = pl.DataFrame(
        list(dict.fromkeys(rows)), schema=["account", "value"], orient="row"
    ).with_columns((pl.col("value") % 3 == 0).alias("hub"))
    n_accounts, n_values = 32, 13
    got = widest_small_value(
        edges["account"].to_numpy(),
        edges["value"].to_numpy(),
        edges["hub"].to_numpy(),
        n_accounts,
        n_values,
    )
    small = edges.filter(~pl.col("hub"))
    degree = small.group_by("value").len("d")
    best = (
        small.join(degree, on="value")
        .sort("account", pl.col("d"), pl.col("value"), descending=[False, True, False])
        .group_by("account", maintain_order=True)
        .first()
    )
    want = np.full(n_accounts, n_values)
    want[best["account"].to_numpy()] = best["value"].to_numpy()
    assert got.tolist() == want.tolist()


@given(st.integers(0, 50), st.integers(0, 300), st.integers(1, 70), st.integers(1, 20))
def test_interleaved_takes_every_rank_once(lo: int, n: int, stride: int, run: int) -> None:
    got = _interleaved(lo, lo + n, stride=stride, run=run)
    assert sorted(got.tolist()) == list(range(lo, lo + n))
    # Whole runs of consecutive ranks, the last one cut short at the end of the range.
    ranks = got.tolist()
    i = 0
    while i < len(ranks):
        start = ranks[i]
        assert (start - lo) % run == 0
        size = min(run, lo + n - start)
        assert ranks[i : i + size] == list(range(start, start + size))
        i += size
