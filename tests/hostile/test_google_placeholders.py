"""On the Google path, text a teacher typed reaches the document before the placeholders are replaced; it must
not be taken for one (issue 18, finding 16)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.google.docs import TOKEN as PLACEHOLDER
from connectors.google.docs import table_requests
from thidua.text import inert_placeholders

TYPED = ["{{signer_name}}", "{{ number }}", "{{{title}}}", "x{{tables}}y", "{{p tables_block }}"]


@pytest.mark.parametrize("typed", TYPED)
def test_an_inert_answer_matches_no_placeholder_and_prints_the_same(typed: str) -> None:
    inert = inert_placeholders(typed)
    assert not PLACEHOLDER.search(inert)
    assert inert.replace("\u2060", "") == typed


@given(st.text(alphabet="{} _abcdefghijklmnopqrstuvwxyz", max_size=40))
def test_no_text_made_inert_holds_a_placeholder(typed: str) -> None:
    assert not PLACEHOLDER.search(inert_placeholders(typed))
    assert inert_placeholders(typed).replace("\u2060", "") == typed


def test_table_cells_sent_to_google_docs_hold_no_placeholder() -> None:
    table = {"caption": "Bảng 1", "headers": ["Họ và tên"], "rows": [["{{signer_name}}"]]}
    inserted = [r["insertText"]["text"] for r in table_requests([table], 10) if "insertText" in r]
    assert not any(PLACEHOLDER.search(text) for text in inserted)
