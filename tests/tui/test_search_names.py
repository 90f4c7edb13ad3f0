"""walk4: a customer's name typed as plain words (``/Zoe Larsen``) missed conversations
that ``from:`` found: in 157 of the demo's customers, some conversations never had the
name in their text. Plain words find the customer's name and address too
(services/fulltext.customer_condition)."""

from __future__ import annotations

from inbox_tui.services.conversations import list_conversations
from inbox_tui.services.search import parse_query
from tests.tui.conftest import ME, make_app, settle


async def test_a_customers_name_typed_as_words_finds_all_their_conversations(demo_store):
    with demo_store.read() as s:
        by_from = {r.id for r in list_conversations(s, parse_query('from:"Aisha Novak"', ME))}
    assert len(by_from) == 2  # the demo has her, and her mail never names her
    app = make_app(demo_store)
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"Aisha Novak", "tab")  # Tab: search everything
        await settle(pilot, 5)
        lst = app.main.conv_list
        found = {getattr(lst.row_at(i), "id", None) for i in range(lst.total)}
    assert by_from <= found
