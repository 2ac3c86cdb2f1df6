"""Control and invisible characters taken out of teachers' answers (issue 18, finding 8) are counted where the clerk
looks: the console of `thidua report`, and the run's summary and counts artifacts in the Prefect UI, in Vietnamese.
A changed answer is never a silent one. The real CLI in a child process, a real Prefect server and mailbox."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import Artifact

from tests.hostile.school_run import open_school, send
from tests.prefect_server import PrefectServer, pointing_at

# ESC, BEL and U+FFFE: characters no DOCX or XLSX can hold, typed or pasted into two answers of F3.
PLANTED = ("\x1b", "\x07", "\ufffe")


def _plant(export: Path) -> None:
    rows = list(csv.reader(io.StringIO(export.read_text(encoding="utf-8"), newline="")))
    content = rows[0].index("Nội dung thành tích")
    rows[1][content] = f"{PLANTED[0]}{rows[1][content]}{PLANTED[1]}"
    rows[2][content] = f"{rows[2][content]}{PLANTED[2]}"
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    export.write_text(buffer.getvalue(), encoding="utf-8")


def test_the_control_characters_removed_are_counted_on_the_console_and_in_the_runs_artifacts(
        tmp_path: Path, prefect_server: PrefectServer) -> None:
    with open_school(tmp_path) as (school, mailbox):
        _plant(school / "du-lieu" / "F3_thanh_tich.csv")
        run = send(school, prefect_server)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    said = " ".join(run.stdout.split())
    assert "Đã xoá 3 ký tự điều khiển hoặc ký tự ẩn khỏi câu trả lời (F3: 3)" in said, said
    assert len(mailbox.reports()) == 1
    with pointing_at(prefect_server), get_client(sync_client=True) as client:
        latest = _own_artifacts(client, school, ("le-anh-xuan-2024-d3-summary", "le-anh-xuan-2024-d3-counts"))
    summary = str(latest["le-anh-xuan-2024-d3-summary"].data)
    assert "Đã xoá 3 ký tự điều khiển hoặc ký tự ẩn khỏi câu trả lời (F3: 3)" in summary, summary
    table = json.loads(str(latest["le-anh-xuan-2024-d3-counts"].data))
    counts = {row["Nguồn"]: row["Ký tự ẩn đã xoá"] for row in table}
    assert counts["F3"] == 3 and sum(counts.values()) == 3, counts


def _own_artifacts(client: SyncPrefectClient, school: Path, keys: tuple[str, ...]) -> dict[str, Artifact]:
    """The artifacts under `keys` of this school's runs: other tests send the same plan's D3 on the same server."""
    found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys))))
    run_ids = [a.flow_run_id for a in found if a.flow_run_id is not None]
    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))
    ours = {r.id for r in runs if Path(str((r.parameters.get("settings") or {}).get("plan_path", ""))).resolve()
            .is_relative_to(school.resolve())}
    return {a.key: a for a in found if a.key and a.flow_run_id in ours}
