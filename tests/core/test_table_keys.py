"""Every report table has a stable key, the name of its table in the template: the same table keeps its key when
its number changes (a table left out before it, a phase not yet started), so a template never gets the wrong
table."""

from __future__ import annotations

from pathlib import Path

from sample_data.generator import generate
from thidua.calendar import schedule
from thidua.pipeline import collect
from thidua.plan import Plan, ReportKind, SourceKind
from thidua.reports import build_context, is_table_key
from thidua.rows import Table

ROOT = Path(__file__).resolve().parents[2]


def _contexts(plan: Plan) -> dict[str, dict[str, object]]:
    sample = generate(plan, seed=7, staff=40)
    tables = {s.id: Table.from_cells(s.id, s.name, sample.grids[s.id]) for s in plan.sources}
    registration = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    baseline = collect(plan, tables, schedule(plan, registration).send_at).dataset
    out = {}
    for deadline in plan.deadlines:
        send_at = schedule(plan, deadline).send_at
        out[deadline.id] = build_context(plan, deadline, collect(plan, tables, send_at).dataset, send_at.date(),
                                         baseline if deadline.kind is ReportKind.ANNUAL else None)
    return out


def _keys(context: dict[str, object]) -> list[str]:
    return [str(t["key"]) for t in context["tables"]]  # type: ignore[attr-defined]


def test_every_table_of_every_report_has_a_known_key_once(plan: Plan) -> None:
    for deadline_id, context in _contexts(plan).items():
        keys = _keys(context)
        assert keys and all(is_table_key(k) for k in keys) and len(set(keys)) == len(keys), deadline_id


def test_review_tables_are_keyed_by_phase_and_kind_whatever_their_number(plan: Plan) -> None:
    contexts = _contexts(plan)
    assert _keys(contexts["D3"]) == ["phase1_movements", "phase1_summary", "titles_progress"]
    assert _keys(contexts["D6"]) == ["phase1_movements", "phase1_summary", "phase2_movements", "phase2_summary",
                                     "titles_progress"]
    assert _keys(contexts["D8"]) == [*_keys(contexts["D6"]), "compared_with_start", "team_results"]
    captions = {t["key"]: t["caption"] for t in contexts["D3"]["tables"]}  # type: ignore[attr-defined]
    assert captions["titles_progress"].startswith("Bảng 2.")
    captions = {t["key"]: t["caption"] for t in contexts["D8"]["tables"]}  # type: ignore[attr-defined]
    assert captions["titles_progress"].startswith("Bảng 3.")


def test_a_table_left_out_renumbers_the_next_but_keeps_its_key(plan: Plan) -> None:
    lean = plan.model_copy(update={"sources": tuple(s for s in plan.sources
                                                    if s.kind is not SourceKind.COLLECTIVE_REGISTRATION)})
    context = _contexts(lean)["D1"]
    assert _keys(context) == ["registered_by_team", "title_ratios", "registered_people", "not_registered"]
    assert context["tables"][2]["caption"].startswith("Bảng 3.")  # type: ignore[index]
