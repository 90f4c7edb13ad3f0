"""The Stats screen opens with S, switches period, and drills down to an agent."""

import pytest

from tests.tui.conftest import make_app, settle


async def test_stats_screen_periods_and_drill_down(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        screen = app.screen
        assert screen.__class__.__name__ == "StatsScreen"
        table = screen.query_one("DataTable")
        agents = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert agents[-1] == "team" and "diego" in agents
        await pilot.press("1")
        await settle(pilot)
        assert screen.period_name == "7d"
        # r is a triage key on the main screen only: nothing happens here
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("enter")  # first agent row
        await settle(pilot)
        assert app.screen is app.main
        assert app.main.query_text == f"assignee:{agents[0]}"
        assert app.main.conv_list.total > 0
        row = app.main.conv_list.current_row()
        assert row.assignee == agents[0]


async def test_every_number_drills_down_to_its_conversations_and_opens_one(demo_store):
    from inbox_tui.services.stats import compute_report

    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        table = stats.query_one("#agents")
        with demo_store.read() as s:
            report = compute_report(s, stats.since, stats.until, compare=False)
        team = report.agent_row(report.team)
        assert team["replies_sent"] > 0
        # the team row, 'replies' column: the list adds up to the team's replies
        table.move_cursor(row=table.row_count - 1, column=1)
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert drill.__class__.__name__ == "DrillScreen"
        listing = drill.query_one("OptionList")
        title = str(drill.query_one("#drill-title").render())
        assert f"{team['replies_sent']:,} in {listing.option_count:,} conversations" in title
        # Esc goes back to the stats, Enter on a conversation opens it in the thread view
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is stats
        table.move_cursor(row=table.row_count - 1, column=3)  # team 'closed'
        await pilot.press("enter")
        await settle(pilot)
        listing = app.screen.query_one("OptionList")
        assert listing.option_count == team["conversations_closed"]
        listing.highlighted = 1
        wanted = int(listing.get_option_at_index(1).id)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.main.open_id == wanted
        assert app.main.thread_view.thread is not None
        assert app.main.thread_view.thread.conversation.id == wanted


async def test_heatmap_cells_and_tag_rows_drill_down(demo_store):
    from inbox_tui.services.stats import compute_report

    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        with demo_store.read() as s:
            report = compute_report(s, stats.since, stats.until, compare=False)
        # the busiest cell of the incoming heatmap
        wd, hour = max(
            ((w, h) for w in range(7) for h in range(24)),
            key=lambda c: report.incoming_heatmap[c[0]][c[1]],
        )
        busiest = report.incoming_heatmap[wd][hour]
        assert busiest > 0
        heat = stats.query_one("#heat")
        heat.focus()
        await pilot.pause()
        for _ in range(hour):
            await pilot.press("right")
        for _ in range(wd):
            await pilot.press("down")
        assert heat.cursor == (wd, hour)
        await pilot.press("enter")
        await settle(pilot)
        title = str(app.screen.query_one("#drill-title").render())
        assert f"{busiest:,} in " in title and "incoming messages" in title
        await pilot.press("escape")
        await settle(pilot)
        # the first-response heatmap: a cell with a median lists its first responses
        fr = stats.query_one("#fr-heat")
        cells = [(w, h) for w in range(7) for h in range(24) if report.first_response_heatmap[w][h]]
        assert cells
        fr.focus()
        fr.cursor = cells[0]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("OptionList").option_count >= 1
        await pilot.press("escape")
        await settle(pilot)
        # the top tag row lists as many conversations as it counts
        tags = stats.query_one("#tags")
        tags.focus()
        tags.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("OptionList").option_count == report.tags[0]["conversations"]


async def test_repeat_contacts_table_and_its_drill_down(demo_store):
    """The repeat-contact rows say what services.repeats says for the same period, and
    Enter on the team row lists exactly the conversations whose close was followed by a
    repeat contact."""
    from inbox_tui.services.repeats import report as repeats_report

    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        table = stats.query_one("#repeats")
        with demo_store.read() as s:
            rep = repeats_report(s, stats.since, stats.until, now=stats.until, gaps=False)
        assert rep.team.repeated > 0  # the demo has customers who came back
        rows = {
            table.get_row_at(i)[0].plain: table.get_row_at(i)[1:3] for i in range(table.row_count)
        }
        assert rows["team"] == [str(rep.team.closes), f"{rep.team.rate:.0%}"]
        for r in rep.agents:
            assert rows[r.key] == [str(r.closes), "—" if r.rate is None else f"{r.rate:.0%}"]
        team_row = [table.get_row_at(i)[0].plain for i in range(table.row_count)].index("team")
        table.focus()
        table.move_cursor(row=team_row)
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert drill.__class__.__name__ == "DrillScreen"
        listing = drill.query_one("OptionList")
        shown = {int(listing.get_option_at_index(i).id) for i in range(listing.option_count)}
        assert shown == set(rep.team.repeated_ids)


async def test_the_breaches_table_shows_late_replies_per_agent_and_tag(demo_store):
    """With [sla] targets the Stats screen counts replies after their target, per agent,
    the team and per tag, the same numbers as `sla.breach_report`; without, no table."""
    from inbox_tui import config_schema
    from inbox_tui.services import sla
    from tests.tui.conftest import NOW, make_config

    targets = config_schema.validate({"sla": {"first_response": "1h", "next_response": "4h"}})
    cfg = make_config(sla=targets.sla.model_dump() if targets.sla else None)
    app = make_app(demo_store, config=cfg)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        table = stats.query_one("#breaches")
        assert table.display
        rows = {
            table.get_row_at(i)[0].plain: table.get_row_at(i)[1:3] for i in range(table.row_count)
        }
        policy = sla.SlaPolicy.from_config(cfg.sla, None)
        assert policy is not None
        with demo_store.read() as s:
            rep = sla.breach_report(s, policy, stats.since, stats.until, NOW)
        assert rep.breached > 0  # the demo has slow replies against a 1-hour target
        assert rows["team"] == [str(rep.breached), str(rep.responses)]
        for name, (judged, late) in rep.by_agent.items():
            assert rows[name] == [str(late), str(judged)]
        assert any(label.startswith("tag ") for label in rows)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert not app.screen.query_one("#breaches").display


async def test_breaches_rows_drill_down_and_esc_comes_back_as_it_was(demo_store):
    """Enter on an agent's or a tag's row of the breaches table lists the conversations
    with late replies behind it (how many, how late); j/k move; Esc goes back to the
    Stats screen with the breaches table focused on the same row; a conversation opened
    from the list comes back to that list, then to the stats."""
    from inbox_tui import config_schema
    from inbox_tui.services import sla
    from tests.tui.conftest import NOW, make_config

    targets = config_schema.validate({"sla": {"first_response": "1h", "next_response": "4h"}})
    cfg = make_config(sla=targets.sla.model_dump() if targets.sla else None)
    app = make_app(demo_store, config=cfg)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        policy = sla.SlaPolicy.from_config(cfg.sla, None)
        assert policy is not None
        with demo_store.read() as s:
            rep = sla.breach_report(s, policy, stats.since, stats.until, NOW)
        table = stats.query_one("#breaches")
        keys = [
            str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)
        ]
        agent_row = next(
            i for i, k in enumerate(keys) if k.startswith("agent:") and rep.late.get(k)
        )
        tag_row = next(i for i, k in enumerate(keys) if k.startswith("tag:") and rep.late.get(k))
        table.focus()
        table.move_cursor(row=agent_row)
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert drill.__class__.__name__ == "DrillScreen"
        listing = drill.query_one("OptionList")
        late = rep.late[keys[agent_row]]
        shown = [int(listing.get_option_at_index(i).id) for i in range(listing.option_count)]
        assert set(shown) == set(late)
        assert shown[0] == max(late, key=lambda c: late[c][1])  # the most late first
        title = str(drill.query_one("#drill-title").render())
        name = keys[agent_row].removeprefix("agent:")
        assert name in title and "after their target" in title
        from inbox_tui.words import count

        replies, convs = sum(int(n) for n, _ in late.values()), count(len(late), "conversation")
        assert (convs if replies == len(late) else f"{replies:,} in {convs}") in title
        if listing.option_count > 1:
            await pilot.press("j")
            assert listing.highlighted == 1
            await pilot.press("k")
            assert listing.highlighted == 0
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is stats
        assert stats.focused is table and table.cursor_row == agent_row
        # A tag row; open a conversation from it; Esc there comes back to the list, then
        # to the stats as they were.
        table.move_cursor(row=tag_row)
        await pilot.press("enter")
        await settle(pilot)
        listing = app.screen.query_one("OptionList")
        assert {int(listing.get_option_at_index(i).id) for i in range(listing.option_count)} == set(
            rep.late[keys[tag_row]]
        )
        wanted = int(listing.get_option_at_index(0).id)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main and app.main.open_id == wanted
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "DrillScreen"
        await pilot.press("escape")
        await settle(pilot)
        back = app.screen
        assert back.__class__.__name__ == "StatsScreen"
        breaches = back.query_one("#breaches")
        assert back.focused is breaches and breaches.cursor_row == tag_row


async def test_top_and_bottom_keys_scroll_the_screen_from_a_table(demo_store):
    """Walkthrough: once a table had focus, PgUp, Home and g did not go back to the top
    of the Stats screen (the table took them for its own cursor)."""
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        stats = app.screen
        scroll = stats.query_one("VerticalScroll")
        for key, at_top in (("G", False), ("g", True), ("end", False), ("home", True)):
            await pilot.press(key)
            await settle(pilot)
            if at_top:
                assert scroll.scroll_y == 0, key
                assert app.focused is stats.query_one("#agents"), key
            else:
                assert scroll.scroll_y == scroll.max_scroll_y > 0, key
                assert app.focused.__class__.__name__ == "HeatMap", key
        await pilot.press("pagedown")
        await settle(pilot)
        assert scroll.scroll_y > 0
        await pilot.press("pageup")
        await settle(pilot)
        assert scroll.scroll_y == 0


async def test_handoffs_and_help_content_gaps_on_the_stats_screen(demo_store):
    """#23: the repeat table carries each agent's handoffs, and a table lists the
    help-content gaps (category tags, then groups of similar conversations, closed with
    no article sent), each row drilling down to its conversations; figures as the
    services give them for the same period."""
    from sqlalchemy import text

    from inbox_tui.models import Agent, Conversation
    from inbox_tui.services import continuity, triage
    from inbox_tui.services.repeats import gap_groups
    from inbox_tui.services.repeats import report as repeats_report

    def handed(s):  # a closed conversation handed to mei and back: two handoffs
        (cid,) = s.execute(  # the one closed last: within the period
            text(
                "SELECT conversation_id FROM stat_conversation sc JOIN conversation c "
                "ON c.id = sc.conversation_id WHERE c.status = 'closed' "
                "AND c.assignee_id IS NOT NULL ORDER BY sc.last_closed_us DESC LIMIT 1"
            )
        ).one()
        conv = s.get(Conversation, cid)
        owner = s.get(Agent, conv.assignee_id).username
        triage.assign(s, owner, conv.id, "mei" if owner != "mei" else "sam")
        triage.assign(s, owner, conv.id, owner)
        return conv.id

    cid = demo_store.run(handed)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot, 6)
        stats = app.screen
        with demo_store.read() as s:
            moved = continuity.handoffs(s, stats.since, stats.until)
            rep = repeats_report(s, stats.since, stats.until, now=stats.until, gaps=False)
            groups = gap_groups(s, stats.since, stats.until)
        (team,) = [h for h in moved if h.agent == "team"]
        assert cid in team.conversations and team.handoffs >= 2  # the demo's own too
        table = stats.query_one("#repeats")
        keys = [c.value for c in table.columns]
        shown = {table.get_row_at(i)[0].plain: table.get_row_at(i) for i in range(table.row_count)}
        for h in moved:
            assert shown[h.agent][keys.index("handoffs")] == str(h.handoffs)
        # Every article sent (six in the demo), worst first: the best ones are shown too.
        sent = [f"article {r.key}" for r in rep.articles if r.closes]
        assert len(sent) > 5 and [k for k in shown if k.startswith("article ")] == sent
        gaps = stats.query_one("#gaps")
        labels = [gaps.get_row_at(i)[0].plain for i in range(gaps.row_count)]
        assert rep.tags_without_article and groups  # the demo has both
        assert labels == [f"tag {r.key}" for r in rep.tags_without_article] + [
            f"like “{g['subject']}”" for g in groups[:10]
        ]
        gaps.focus()
        gaps.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert drill.__class__.__name__ == "DrillScreen"
        listing = drill.query_one("OptionList")
        ids = {int(listing.get_option_at_index(i).id) for i in range(listing.option_count)}
        assert ids == set(rep.gap_ids[rep.tags_without_article[0].key]) and ids
        await pilot.press("escape")
        await settle(pilot)
        # The groups' answer may come before the repeat table's: both orders keep them.
        from inbox_tui.tui.screens.stats import GapsLoaded, RepeatsLoaded

        stats.on_gaps_loaded(GapsLoaded(groups))
        stats.on_repeats_loaded(RepeatsLoaded((rep, moved)))
        await settle(pilot)
        gaps.focus()
        gaps.move_cursor(row=len(rep.tags_without_article))  # the first group
        await pilot.press("enter")
        await settle(pilot)
        listing = app.screen.query_one("OptionList")
        ids = {int(listing.get_option_at_index(i).id) for i in range(listing.option_count)}
        assert ids == set(groups[0]["conversations"])


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_stats_screen_starts_on_its_first_line(demo_store, size):
    """walk4: the Stats screen's first line was blank (the title block's top padding),
    a line lost on a 24-line terminal."""
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "StatsScreen"
        lines = ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]
    assert lines[0].strip().startswith("Stats"), lines[:3]
