"""One simulated agent: random triage actions on a shared store for a bounded time.

Run as ``python -m tests.reliability.agent_worker URL AGENT SECONDS SEED``. Prints one
JSON line: actions done and errors seen (an error here is one an agent would see).
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from inbox_tui.errors import UserError
from inbox_tui.models import Agent, Conversation, Status
from inbox_tui.services import triage
from inbox_tui.store import Store

TAGS = ["bug", "billing", "pricing", "angry", "outage"]


def main() -> int:
    url, agent, seconds, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    store = Store(url)
    store.run(triage.ensure_agent, agent)
    with store.read() as s:
        ids = [c.id for c in s.exec(select(Conversation)).all()]
        agents = [a.username for a in s.exec(select(Agent)).all()]
    done = 0
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cid = rng.choice(ids)
        action = rng.choice(["tag", "untag", "assign", "status", "snooze", "note"])
        try:
            if action == "tag":
                store.run(triage.tag, agent, cid, rng.choice(TAGS))
            elif action == "untag":
                store.run(triage.untag, agent, cid, rng.choice(TAGS))
            elif action == "assign":
                store.run(triage.assign, agent, cid, rng.choice([*agents, None]))
            elif action == "status":
                store.run(
                    triage.set_status,
                    agent,
                    cid,
                    rng.choice([Status.OPEN, Status.PENDING, Status.CLOSED]),
                )
            elif action == "snooze":
                store.run(
                    triage.snooze,
                    agent,
                    cid,
                    datetime.now(UTC) + timedelta(hours=rng.randint(1, 48)),
                )
            else:
                store.run(triage.add_note, agent, cid, f"note {done} from {agent}")
            done += 1
        except UserError as exc:  # a plain-sentence error an agent would see
            errors.append(f"{action}: {exc}")
        except Exception as exc:
            errors.append(f"{action}: {exc.__class__.__name__}: {exc}")
    print(
        json.dumps(
            {"agent": agent, "actions": done, "errors": errors[:20], "error_count": len(errors)}
        )
    )
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
