"""report.html: built from the output files, self-contained, and inert whatever the data says."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from _hostile import FORMULA, HOSTILE_IDS, SCRIPT, write_outputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sybilgraph
from sybilgraph.errors import InputError
from sybilgraph.export.outputs import Outputs, read_outputs
from sybilgraph.export.report import SCORE_BARS, render_report, write_report

#: Every tag the report emits; anything else in a page came from the data.
EMITTED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "main",
    "nav", "a", "section", "div", "b", "span", "table", "thead", "tbody", "tr", "th", "td",
    "details", "summary", "footer", "svg", "rect", "line", "text", "g",
}  # fmt: skip
EMITTED_ATTRS = {
    "lang", "charset", "http-equiv", "content", "name", "id", "class", "href", "xmlns",
    "viewbox", "width", "height", "role", "aria-label", "x", "y", "x1", "y1", "x2", "y2",
    "text-anchor",
}  # fmt: skip


class _Page(HTMLParser):
    """Collects the tags, attributes, text and style blocks of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def hostile_page(hostile_out: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    dest = tmp_path_factory.mktemp("page") / "report.html"
    return write_report(hostile_out, dest).read_text(encoding="utf-8")


def test_no_tag_or_attribute_from_the_data_survives(hostile_page: str) -> None:
    page = _parse(hostile_page)
    assert set(page.tags) <= EMITTED_TAGS
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert {name for name, _ in page.attrs} <= EMITTED_ATTRS
    # Links only jump within the page.
    assert all(v is not None and v.startswith("#") for k, v in page.attrs if k == "href")
    assert len(page.styles) == 1


def test_hostile_values_are_shown_as_text(hostile_page: str) -> None:
    text = "".join(_parse(hostile_page).text)
    # Account ids in the members table, the card and the template in the evidence table; the
    # CSV writer's formula guard (a leading ') is kept, as the files say.
    for value in (SCRIPT, '"><img src=x onerror=alert(1)>', "'" + FORMULA):
        assert value in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_page
    assert "<script" not in hostile_page


def test_csp_forbids_everything_but_the_one_hashed_style(hostile_page: str) -> None:
    page = _parse(hostile_page)
    csp = next(v for k, v in page.attrs if k == "content" and v and "default-src" in v)
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    digest = base64.b64encode(hashlib.sha256(page.styles[0].encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"
    # Nothing to fetch: no source attributes, and the style block loads nothing either.
    assert not {name for name, _ in page.attrs} & {"src", "srcset", "data", "action", "style"}
    assert "url(" not in page.styles[0]
    assert "@import" not in page.styles[0]


def test_page_content(hostile_out: Path, hostile_page: str) -> None:
    out = read_outputs(hostile_out)
    text = " ".join(_parse(hostile_page).text)
    top = out.clusters.row(0, named=True)
    assert top["summary"] in text
    assert f"{top['n_accounts']:,}" in text
    for stage in out.summary["stages"]:
        assert stage["stage"] in text
    assert "Every input row was used." in text
    assert hostile_page.count('class="bar-flag"') == out.clusters.filter("flagged").height
    # The timeline shows the ring's sign-up day with its count in the bar's tooltip.
    day = out.members.get_column("created_at").min()
    assert isinstance(day, dt.datetime)
    assert f"{day.date().isoformat()}: 30 accounts created" in text


def test_csv_and_parquet_outputs_give_the_same_page(
    population: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    analysis = sybilgraph.analyze(*population)
    csv_dir = write_outputs(analysis, tmp_path / "csv", "csv")
    pq_dir = write_outputs(analysis, tmp_path / "pq", "parquet")
    from_csv = render_report(read_outputs(csv_dir)).replace("from CSV files", "")
    from_parquet = render_report(read_outputs(pq_dir)).replace("from PARQUET files", "")
    assert from_csv.replace("sybilgraph report: csv", "X") == from_parquet.replace(
        "sybilgraph report: pq", "X"
    )


def test_report_is_deterministic_and_replaces_atomically(hostile_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(hostile_out, out)
    first = write_report(out).read_bytes()
    second = write_report(out).read_bytes()
    assert first == second
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_rejects_are_listed(hostile_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(hostile_out, out)
    pl.DataFrame(
        {"source": ["events.csv"], "row": [7], "reason": ["null account_id"], "column": [SCRIPT]}
    ).write_csv(out / "rejects.csv")
    summary = json.loads((out / "summary.json").read_text())
    summary["rejects_by_reason"] = {"null account_id": 1}
    (out / "summary.json").write_text(json.dumps(summary))
    page = write_report(out).read_text()
    text = " ".join(_parse(page).text)
    assert "null account_id" in text
    assert "events.csv" in text
    assert "<script" not in page


def test_top_controls_the_detailed_sections(hostile_out: Path, tmp_path: Path) -> None:
    none = write_report(hostile_out, tmp_path / "none.html", top=0).read_text()
    one = write_report(hostile_out, tmp_path / "one.html", top=1).read_text()
    assert 'id="cluster-1"' not in none
    assert 'id="cluster-1"' in one


def test_not_an_output_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not a 'sybilgraph analyze' output.*clusters\.csv"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_missing_column_is_named(hostile_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(hostile_out, out)
    pl.read_csv(out / "evidence.csv").drop("share").write_csv(out / "evidence.csv")
    with pytest.raises(InputError, match=r"evidence\.csv lacks share"):
        write_report(out)


def test_empty_run(tmp_path: Path) -> None:
    events = pl.DataFrame({"account_id": ["a", "b", "c"], "device_id": ["d1", "d2", "d3"]})
    out = sybilgraph.analyze(events).write(tmp_path / "out")
    page = write_report(out).read_text()
    assert "No clusters were reported in this run." in page
    assert set(_parse(page).tags) <= EMITTED_TAGS


# -- property: any strings in any column ----------------------------------------------------
_texts = st.text(min_size=1, max_size=30)


@st.composite
def _outputs(draw: st.DrawFn) -> Outputs:
    ids = draw(st.lists(_texts, min_size=0, max_size=60, unique=True))
    n = len(ids)
    scores = sorted(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)), reverse=True)
    start = dt.datetime(2025, 4, 22, tzinfo=dt.UTC)
    clusters = pl.DataFrame(
        {
            "rank": list(range(1, n + 1)),
            "cluster_id": ids,
            "score": scores,
            "flagged": [s >= 0.5 for s in scores],
            "n_accounts": [3] * n,
            "n_events": [9] * n,
            "first_seen": [start] * n,
            "last_seen": [start] * n,
            "signal_types": [draw(_texts) for _ in ids],
            "summary": [draw(_texts) for _ in ids],
        },
        schema_overrides={"rank": pl.Int64, "n_accounts": pl.Int64, "n_events": pl.Int64},
    )
    accounts = [draw(_texts) for _ in range(3)]
    offsets = draw(st.lists(st.integers(0, 400), min_size=3, max_size=3))
    members = pl.DataFrame(
        {
            "account_id": [a for _ in ids for a in accounts],
            "cluster_id": [c for c in ids for _ in accounts],
            "member_score": [0.5] * 3 * n,
            "n_events": [3] * 3 * n,
            "created_at": [start + dt.timedelta(days=d) for _ in ids for d in offsets],
            "first_seen": [start] * 3 * n,
            "last_seen": [start] * 3 * n,
        }
    )
    value = draw(_texts)
    evidence = pl.DataFrame(
        {
            "cluster_id": ids,
            "signal_type": [draw(_texts) for _ in ids],
            "signal_value": [value] * n,
            "accounts_in_cluster": [3] * n,
            "accounts_total": [4] * n,
            "share": [0.75] * n,
            "weight": [0.5] * n,
        },
        schema_overrides={"accounts_in_cluster": pl.Int64, "accounts_total": pl.Int64},
    )
    summary = {"version": draw(_texts), "settings": {"review_threshold": 0.5}, "counts": {}}
    return Outputs(Path(draw(_texts)), "csv", clusters, members, evidence, pl.DataFrame(), summary)


@given(outputs=_outputs(), top=st.integers(0, 12))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_strings_render_inert(outputs: Outputs, top: int) -> None:
    page = render_report(outputs, top=top)
    parsed = _parse(page)
    assert set(parsed.tags) <= EMITTED_TAGS
    assert {name for name, _ in parsed.attrs} <= EMITTED_ATTRS
    n = outputs.clusters.height
    assert page.count('<rect class="bar') == min(n, SCORE_BARS)
    assert page.count('<section id="cluster-') == min(n, top)


def test_hostile_ids_reach_the_members_table(hostile_page: str) -> None:
    text = "".join(_parse(hostile_page).text)
    assert HOSTILE_IDS["ring-004"] in text
