"""A realistic, deterministic demo inbox: six weeks of a support team's life.

Northwind Boards (a made-up project-planning SaaS) has five agents answering email and
website chat. Everything is written here by us; the same seed always gives the same
conversations, and times are laid out backwards from ``now`` so the demo always looks
current (pass a fixed ``now`` for reproducible screenshots and tests).

Messages go in through the real ingest path (threading, contacts, events) and every
triage action through the real services, each at its historical time, so the stats have
something true to say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from inbox_tui.demo_articles import ARTICLES
from inbox_tui.demo_mail import add_mail_fidelity, png
from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.macros.files import load as load_macro_files
from inbox_tui.models import Article, Channel, Status, TagKind
from inbox_tui.services import core, triage
from inbox_tui.services.demo_mode import mark_demo
from inbox_tui.services.macros import import_specs
from inbox_tui.store import Store

DOMAIN = "northwind.example"
SUPPORT = f"support@{DOMAIN}"
DAYS = 42

AGENTS = [
    ("sam", "Sam Carter"),
    ("priya", "Priya Nair"),
    ("diego", "Diego Alvarez"),
    ("mei", "Mei Chen"),
]

TAGS: list[tuple[str, TagKind, str]] = [
    ("bug", TagKind.CATEGORY, "red"),
    ("confused", TagKind.CATEGORY, "yellow"),
    ("feature request", TagKind.CATEGORY, "blue"),
    ("unaware", TagKind.CATEGORY, "cyan"),
    ("user issue", TagKind.CATEGORY, "magenta"),
    ("pricing", TagKind.CATEGORY, "green"),
    ("deal blocker", TagKind.CATEGORY, "bright_red"),
    ("positive feedback", TagKind.CATEGORY, "bright_green"),
    ("outage", TagKind.CATEGORY, "bright_magenta"),
    ("churn feedback", TagKind.CATEGORY, "bright_yellow"),
    ("angry", TagKind.MODIFIER, "red"),
    ("billing", TagKind.MODIFIER, "green"),
]

FIRST = [
    "Olivia",
    "Noah",
    "Amara",
    "Lukas",
    "Sofia",
    "Mateo",
    "Hana",
    "Jonas",
    "Chloe",
    "Ravi",
    "Elena",
    "Tomás",
    "Aisha",
    "Felix",
    "Ingrid",
    "Kenji",
    "Zoe",
    "Omar",
    "Nadia",
    "Piotr",
    "Grace",
    "Yusuf",
    "Leah",
    "Marco",
    "Freya",
    "Tariq",
    "Ines",
    "Bram",
    "Sakura",
    "Jamal",
]
LAST = [
    "Bennett",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Rossi",
    "Tanaka",
    "Kowalski",
    "Haddad",
    "Fischer",
    "Silva",
    "Novak",
    "Gupta",
    "Brennan",
    "Dubois",
    "Nakamura",
    "Adeyemi",
    "Larsen",
    "Costa",
    "Whitaker",
    "Petrov",
]
COMPANIES = [
    ("Acme Logistics", "acme.example"),
    ("Bluefin Studio", "bluefin.example"),
    ("Cedar & Co", "cedar.example"),
    ("Driftwood Labs", "driftwood.example"),
    ("Everlane Health", "everlane-health.example"),
    ("Foxglove Media", "foxglove.example"),
    ("Granite Works", "granite.example"),
    ("Harbor Finance", "harbor.example"),
    ("Ivy Schools", "ivy-schools.example"),
    ("Juniper Retail", "juniper.example"),
    ("Kestrel Aero", "kestrel.example"),
    ("Lumen Energy", "lumen.example"),
]


@dataclass(frozen=True)
class Scenario:
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    opening: str
    follow_up: str | None
    reply: str
    note: str | None = None


SCENARIOS: list[Scenario] = [
    Scenario(
        ("bug",),
        (
            "CSV export is missing the due-date column",
            "Export drops due dates",
            "Exported file has empty Due column",
        ),
        "Hi,\n\nWhen I export a board to CSV the Due column is empty for every card, even though the cards clearly have due dates in the app. This started this week. We use the export for our Monday report.\n\nThanks,\n{first}",
        "Any news on this? Our report is due tomorrow and I had to copy the dates by hand.\n\n{first}",
        "Hi {first},\n\nThanks for the clear report. I can reproduce it: boards with a custom date format lose the due dates on export. Our engineers have a fix queued for Thursday's release. Until then, switching the board's date format to ISO (Board settings → Dates) makes the export work.\n\n{agent}",
        "Reproduced on staging with DD/MM format. Linked to ENG-4812.",
    ),
    Scenario(
        ("bug", "angry"),
        ("Cards keep disappearing!!", "Lost half our sprint board", "Where did my cards go???"),
        "This is the third time this month that cards vanish from our sprint board after someone drags them between columns. I need this fixed TODAY, my team can't work like this.\n\n{first} {last}\n{company}",
        "Still happening. Honestly considering moving the team elsewhere.",
        "Hi {first},\n\nI'm sorry, that is a bad week. The cards are not lost: a sync bug hides cards moved while another member has a filter on. I've restored the view for your board, and the fix ships tonight. I'll follow up once it's live.\n\n{agent}",
        "Customer is frustrated; account is up for renewal next month. Loop in their CSM.",
    ),
    Scenario(
        ("confused",),
        (
            "How do I share a board with a client?",
            "Invite someone outside the team",
            "Guest access?",
        ),
        "Hello, we'd like to show one board to a client without giving them access to everything else. Is that possible? I couldn't find it in the settings.\n\nBest,\n{first}",
        None,
        "Hi {first},\n\nYes: open the board, choose Share → Invite guest, and enter the client's email. Guests only see the boards you invite them to and don't count as paid seats.\n\n{agent}",
    ),
    Scenario(
        ("confused",),
        ("Why can't I edit this card?", "Card is read-only", "Edit button greyed out"),
        "Some cards on our board are read-only for me but not for my colleague. Am I doing something wrong?\n\n{first}",
        "Ah, so it's the board role. Can an admin change it for me?",
        "Hi {first},\n\nThose cards sit in a column that only editors can change, and you are a commenter on that board. A board admin can change your role under Members.\n\n{agent}",
    ),
    Scenario(
        ("feature request",),
        ("Feature request: dark mode", "Any plans for a dark theme?", "Dark mode please"),
        "Love the product! Any chance of a dark mode? Half our team works late and the white background is harsh.\n\n{first}",
        None,
        "Hi {first},\n\nThanks, that's lovely to hear. Dark mode is on our roadmap; I've added your vote so you'll hear from us when it ships.\n\n{agent}",
    ),
    Scenario(
        ("feature request",),
        ("Recurring cards?", "Feature request: repeating tasks", "Can cards repeat every week?"),
        "We have weekly chores (invoices, backups) and would love cards that recreate themselves every week. Is that possible?\n\n{first}",
        "That workaround helps, thanks. Please do count us in for the real feature.",
        "Hi {first},\n\nNot yet, but it's a common request and I've passed it on. In the meantime, Templates plus the Copy card automation gets close.\n\n{agent}",
    ),
    Scenario(
        ("feature request", "billing"),
        ("Invoices in our currency", "Can you bill in EUR?", "Invoice currency"),
        "Our finance team needs invoices in EUR rather than USD. Is that something you offer?\n\n{first}\n{company}",
        None,
        "Hi {first},\n\nWe bill in USD today; local currencies are planned for next quarter. I've recorded your request with our billing team.\n\n{agent}",
    ),
    Scenario(
        ("unaware",),
        ("Is there an API?", "Do you have webhooks?", "Automating card creation"),
        "We'd like to create cards automatically from our form tool. Do you have an API for that?\n\n{first}",
        None,
        "Hi {first},\n\nYes: our REST API and webhooks are in Settings → Developers, and there is a ready-made integration for most form tools. The help article below walks through it.\n\n{agent}",
    ),
    Scenario(
        ("user issue",),
        ("Can't log in after password reset", "Password reset loop", "Login not working"),
        "I reset my password but the login page keeps telling me it's wrong. I've tried three times.\n\n{first}",
        "Cleared the cookies and it works now. Thanks!",
        "Hi {first},\n\nThis usually means the browser is filling in the old password. Could you clear saved passwords for our site (or try a private window) and log in again?\n\n{agent}",
    ),
    Scenario(
        ("pricing",),
        ("Discount for non-profits?", "Education pricing", "Pricing for a team of 40"),
        "Hi, we're a small non-profit with about 40 volunteers. Do you offer any discount?\n\n{first}\n{company}",
        None,
        "Hi {first},\n\nWe do: registered non-profits get 50% off any plan. Reply with your registration number and I'll apply it to your account.\n\n{agent}",
    ),
    Scenario(
        ("deal blocker", "billing"),
        ("SSO required before we can sign", "Need SAML before purchase", "Security review: SSO"),
        "We're evaluating Northwind for 200 seats. Our security team requires SAML SSO and an audit log before we can sign. Do you support both?\n\n{first} {last}\n{company}",
        "Thanks. Can you send the security whitepaper too?",
        "Hi {first},\n\nBoth are available on the Enterprise plan: SAML SSO with any IdP, and an exportable audit log. I've asked our sales engineer to set up a call this week.\n\n{agent}",
        "200-seat deal. Sales (Jo) is on it; keep this thread warm.",
    ),
    Scenario(
        ("positive feedback",),
        ("Just wanted to say thanks", "You made our launch easy", "Great support!"),
        "Just a note to say the new timeline view saved our launch. Thank you to the whole team!\n\n{first}",
        None,
        "Hi {first},\n\nThat made our day. I've shared it with the team who built the timeline. Good luck with the launch!\n\n{agent}",
    ),
    Scenario(
        ("outage", "angry"),
        ("Site down?", "502 errors everywhere", "Is Northwind down right now?"),
        "Nothing loads, we get 502 errors on every board. Is something going on?\n\n{first}",
        None,
        "Hi {first},\n\nYes, we had an outage between 09:12 and 09:47 UTC caused by a failed database failover. Everything is back and no data was lost. Our status page has the full report.\n\n{agent}",
    ),
    Scenario(
        ("churn feedback",),
        ("Cancelling our subscription", "Please cancel our plan", "Downgrading to free"),
        "We've decided to cancel at the end of the month. The team found the mobile app too limited for field work.\n\n{first}\n{company}",
        None,
        "Hi {first},\n\nSorry to see you go, and thank you for telling us why. I've scheduled the cancellation for the end of your billing period and passed your mobile feedback to the product team.\n\n{agent}",
        "Reason: mobile app limits (offline mode). Logged for the churn review.",
    ),
    Scenario(
        ("bug",),
        ("[bold]Export[/bold] fails with {{error}}", "Weird characters in notifications"),
        "Our notification emails show strange markup like [red]this[/red] and \x1b[31mcolour codes\x1b[0m around card names. Screenshot attached.\n\n{first}",
        None,
        "Hi {first},\n\nThanks: card names with brackets were not escaped in notification emails. Fixed in today's release.\n\n{agent}",
    ),
]

CHAT_OPENINGS = [
    ("confused", "hi! how do I move a card to another board?"),
    ("user issue", "my invite link says expired, can you resend?"),
    ("pricing", "quick q: is the Team plan billed per seat?"),
    ("unaware", "can I get notifications in Slack?"),
    ("bug", "the calendar view is blank for me since this morning"),
    ("feature request", "any chance of a Gantt chart export to PDF?"),
]
CHAT_REPLIES = {
    "confused": "Hi! Open the card, press M, then pick the board. Want me to send a short video?",
    "user issue": "Done, a fresh invite is on its way. Links expire after 7 days.",
    "pricing": "Yes, per active seat, billed monthly or yearly (2 months free yearly).",
    "unaware": "Yes! Settings → Integrations → Slack, then choose the channel per board.",
    "bug": "Thanks, we're seeing it too for some timezones. A fix is rolling out within the hour.",
    "feature request": "Not yet, but I've added your vote. Printing the timeline to PDF works meanwhile.",
}

# The help article an agent's first reply sends in these scenarios (by their first
# subject), so the repeat-contact rate per article (Stats, stats --format json) has
# articles to compare: some are followed by repeat contacts, some are not.
ARTICLE_SENT = {
    "CSV export is missing the due-date column": "export-csv",
    "How do I share a board with a client?": "share-board-with-guests",
    "Why can't I edit this card?": "board-roles",
    "Recurring cards?": "recurring-cards",
    "Is there an API?": "api-and-webhooks",
    "Feature request: dark mode": "dark-mode",
}

MACROS_DIR = Path(__file__).parent / "demo_data" / "macros"


def first_sentence(text: str) -> str:
    """An article's first sentence with one full stop ("…durations." had become
    "…durations.." where the body is one sentence)."""
    first = text.split(". ")[0].rstrip()
    return first if first.endswith((".", "!", "?", "…")) else first + "."


def default_demo_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("inbox-tui") / "demo.db"


def is_empty(store: Store) -> bool:
    """No conversation yet: a new store, or a demo build that never committed (it is one
    transaction)."""
    from sqlmodel import select

    from inbox_tui.models import Conversation

    with store.read() as session:
        return session.exec(select(Conversation.id).limit(1)).first() is None


def build_demo(
    store: Store,
    *,
    me: str,
    now: datetime | None = None,
    seed: int = 7,
    my_name: str | None = None,
    mark: bool = True,
) -> int:
    """Fill an empty store with the demo inbox. Returns the number of conversations.
    ``mark``: the store says it is a demo (services/demo_mode), so whatever opens it
    sends nothing; tests that use the demo's data as a fixture with their own settings
    (an SMTP server of theirs) leave it unmarked."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    # Meaning vectors (the optional model) are not computed here: the TUI embeds the
    # articles and tagged conversations in the background after its first frame.
    return store.run(_build, me, now, seed, my_name or me.capitalize(), mark)


def _build(
    session: Session, me: str, now: datetime, seed: int, my_name: str, mark: bool = True
) -> int:
    rng = random.Random(seed)
    start = (now - timedelta(days=DAYS)).replace(hour=0, minute=0)  # days start at midnight UTC
    if mark:  # whatever opens it behaves as the demo (services/demo_mode)
        mark_demo(session)
    agents = [*AGENTS]
    if me not in {a for a, _ in agents}:
        # The name the config gives (the TUI sets it again at start): the demo's own
        # ("Root") made the agent's older notes say "Root" and the new ones "root".
        agents.append((me, my_name))
    for username, name in agents:
        core.ensure_agent(session, username, name, f"{username}@{DOMAIN}")
    for name, kind, colour in TAGS:
        triage.ensure_tag(session, name, kind, colour)
    _add_articles_and_macros(session, now)
    ing = Ingestor(session)
    people = _people(rng, 160)
    count = 0
    n = 0
    for day in range(DAYS):
        day_start = start + timedelta(days=day)
        weekend = day_start.weekday() >= 5
        for _ in range(rng.randint(1, 3) if weekend else rng.randint(6, 10)):
            opened = day_start + timedelta(
                hours=rng.choice([8, 9, 9, 10, 10, 11, 13, 14, 15, 16, 17, 20]),
                minutes=rng.randint(0, 59),
            )
            if opened >= now - timedelta(minutes=5):
                continue
            n += 1
            if rng.random() < 0.22:
                _chat_conversation(ing, session, rng, n, opened, now, people, agents)
            else:
                _mail_conversation(ing, session, rng, n, opened, now, people, agents, me)
            count += 1
    _long_thread(ing, session, now)
    return count + 1 + _incident(ing, people, now) + add_mail_fidelity(ing, session, now)


# One long back-and-forth (14 messages and a note), so paging through a thread and the
# thread's first messages are something to see in the demo: (minutes before now, who,
# text); "in" is the customer, "note" an internal note, else the agent's username.
LONG_THREAD = [
    (5790, "in", "Hi,\n\nWe're moving from Trello and the importer stops at 80% every time on our 'Fleet maintenance' board (about 1,900 cards). No error, the bar just stays there. The other boards came over fine.\n\nHannah Weber\nOperations, Lindgren Logistics"),
    (5700, "diego", "Hi Hannah,\n\nSorry about that. Could you tell me roughly how big the Trello export file is, and which browser you use? If the board has many attachments, that helps too.\n\nDiego"),
    (5010, "in", "It's a 212 MB JSON export, Firefox 132 on Windows. Lots of attachments: inspection PDFs, photos of the trucks. I tried twice more this morning, same 80%."),
    (4990, "note", "Import worker log for Lindgren: the job times out fetching attachments over 25 MB from Trello's CDN (3 PDFs of 40-60 MB). Not a size limit on our side. Asked Mei whether the worker timeout can be raised for one account."),
    (4970, "diego", "Thanks, that helps. Two or three of your attachments are very large, and our importer gives up fetching them. While we look at it: would splitting the board into two (e.g. 2023 and 2024 cards) in Trello work for you?\n\nDiego"),
    (4020, "in", "We split it. The 2023 half imported fine, the 2024 half still stops at 80%. Screenshot of the progress bar attached."),
    (3950, "diego", "Got it: the three big files are all on 2024 cards (the 'Annual inspection' PDFs). Would it be OK to import without those three and attach them by hand?\n\nDiego"),
    (3100, "in", "Unfortunately not: those are the legal inspection records and the cards link to them from checklists. Our auditors check the board, not Trello."),
    (3030, "diego", "Understood, then we fix it properly. Our engineers are raising the fetch timeout for large attachments; I expect that in tomorrow's release. I'll write as soon as it is live, no need to retry before.\n\nDiego"),
    (1650, "in", "Any news? The team is still working in Trello until the board is over, and we pay for both until then."),
    (1580, "diego", "Yes: the release went out an hour ago. Please run the 2024 import once more, it should go through now, large PDFs included.\n\nDiego"),
    (420, "in", "It went through, thanks! One thing: on 3 cards the due date is missing (FM-2031, FM-2044, FM-2107). They have checklists with dates in Trello."),
    (380, "diego", "Glad it worked. The missing dates are a known gap: when a Trello card has no due date but its checklist items do, we don't carry those over yet. For now you can set them from the card's checklist menu (Set dates from checklist).\n\nDiego"),
    (50, "in", "Done for the three cards, all good. Can we also get the dates for the other boards? We have a few hundred cards like that."),
]  # fmt: skip


def _screenshot(name: str) -> Attachment:
    """A screenshot whose bytes are kept, so P can preview and save it."""
    data = png(64, 36, (230, 120, 40))
    return Attachment(name, "image/png", len(data), data=data)


def _long_thread(ing: Ingestor, session: Session, now: datetime) -> None:
    """Hannah's Trello import: fourteen messages over four days and an internal note,
    open and waiting for us (her last question is unanswered)."""
    subject = "Trello import stops at 80%"
    first, root, previous = True, "<demo-long-1@lindgren.example>", ""
    conv_id = None
    for i, (minutes, who, body) in enumerate(LONG_THREAD, start=1):
        at = (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
        if who == "note":
            assert conv_id is not None
            triage.add_note(session, "diego", conv_id, body, at=at)
            continue
        customer = who == "in"
        mid = f"<demo-long-{i}@{'lindgren.example' if customer else DOMAIN}>"
        res = ing.add(
            IncomingMessage(
                source="imap:support/INBOX" if customer else "imap:support/Sent",
                external_id=f"demo-long-{i}",
                message_id=mid,
                in_reply_to=previous or None,
                references=[] if first else [root] if previous == root else [root, previous],
                subject=subject if first else f"Re: {subject}",
                author_name="Hannah Weber" if customer else "Diego Alvarez",
                author_email="hannah.weber@lindgren.example" if customer else f"{who}@{DOMAIN}",
                agent_username=None if customer else who,
                to=[("Northwind Support", SUPPORT)] if customer else [("Hannah Weber", "hannah.weber@lindgren.example")],
                sent_at=at,
                body=body,
                attachments=[_screenshot("progress.png")] if "Screenshot" in body else [],
            )
        )  # fmt: skip
        if first:
            conv_id = res.conversation_id
            assert conv_id is not None
            triage.assign(session, "diego", conv_id, "diego", at=at + timedelta(minutes=20))
            triage.tag(session, "diego", conv_id, "bug", at=at + timedelta(minutes=20))
        first, previous = False, mid


# The demo's incident: within the last three hours, customers who never wrote about it
# before all say the calendar sync stopped (the banner, I to confirm it). Each wrote
# from their own zone (the customer's clock). No random draw: the rest of the demo is
# the same with or without it.
INCIDENT = [
    ("Calendar sync stopped working", 140, 60),
    ("Calendar sync not working since this morning", 115, -300),
    ("Our calendar sync stopped", 80, 540),
    ("calendar sync broken?", 45, 0),
    ("Calendar sync is down", 20, 330),  # short: the newest, first in every list
]
INCIDENT_BODY = (
    "Hi, since this morning our calendar sync stopped working: cards with due dates no "
    "longer show up in {calendar}. Nothing changed on our side. Can you check?"
)


def _incident(ing: Ingestor, people: list[tuple[str, str, str, str]], now: datetime) -> int:
    calendars = ["Google Calendar", "Outlook", "our shared calendar"]
    for i, (subject, minutes_ago, offset) in enumerate(INCIDENT):
        first, last, _company, email = people[-1 - i]
        ing.add(
            IncomingMessage(
                source="imap:support/INBOX",
                external_id=f"demo-incident-{i}",
                message_id=f"<demo-incident-{i}@{DOMAIN}>",
                subject=subject,
                author_name=f"{first} {last}",
                author_email=email,
                to=[("Northwind Support", SUPPORT)],
                sent_at=now - timedelta(minutes=minutes_ago),
                utc_offset=offset,
                body=INCIDENT_BODY.format(calendar=calendars[i % len(calendars)]),
            )
        )
    return len(INCIDENT)


def _people(rng: random.Random, n: int) -> list[tuple[str, str, str, str]]:
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company, domain = rng.choice(COMPANIES)
        email = f"{first.lower()}.{last.lower()}{i % 7 or ''}@{domain}".replace("á", "a")
        out.append((first, last, company, email))
    return out


def _mail_conversation(ing, session, rng, n, opened, now, people, agents, me) -> None:  # type: ignore[no-untyped-def]
    sc = rng.choice(SCENARIOS)
    first, last, company, email = rng.choice(people)
    subject = rng.choice(sc.subjects)
    fill = {"first": first, "last": last, "company": company}
    root = f"demo-{n}-1@{DOMAIN}"
    res = ing.add(
        IncomingMessage(
            source="imap:support/INBOX",
            external_id=f"demo-{n}-1",
            message_id=f"<{root}>",
            subject=subject,
            author_name=f"{first} {last}",
            author_email=email,
            to=[("Northwind Support", SUPPORT)],
            sent_at=opened,
            body=sc.opening.format(**fill),
            attachments=[_screenshot("screenshot.png")] if "Screenshot" in sc.opening else [],
        )
    )
    conv_id = res.conversation_id
    assert conv_id is not None
    _lifecycle(
        ing, session, rng, n, conv_id, sc, fill, subject, email, root, opened, now, agents, me
    )


def _lifecycle(
    ing, session, rng, n, conv_id, sc, fill, subject, email, root, opened, now, agents, me
) -> None:  # type: ignore[no-untyped-def]
    age = now - opened
    recent = age < timedelta(days=3)
    agent, agent_name = rng.choice(agents[:4] + ([(me, me)] if rng.random() < 0.2 else []))
    # Triage soon after arrival: assign and tag (most of the time).
    t = opened + timedelta(minutes=rng.randint(3, 90))
    if t >= now or (recent and rng.random() < 0.75):
        return  # still new: unassigned, untagged
    if agent == "priya" and "billing" in sc.tags:  # sam took it first: a handoff (no draw)
        triage.assign(session, "sam", conv_id, "sam", at=t - timedelta(minutes=2))
    triage.assign(session, agent, conv_id, agent, at=t)
    for tag in sc.tags if rng.random() < 0.9 else sc.tags[:1]:
        triage.tag(session, agent, conv_id, tag, at=t)
    if sc.note and rng.random() < 0.7:
        triage.add_note(session, agent, conv_id, sc.note, at=t + timedelta(minutes=2))
    # First reply: minutes in business hours, longer at night/weekends.
    business = opened.weekday() < 5 and 8 <= opened.hour < 18
    delay = timedelta(minutes=rng.randint(6, 240) if business else rng.randint(180, 900))
    replied = t + delay
    if replied >= now:
        return
    reply_id = f"demo-{n}-2@{DOMAIN}"
    ing.add(
        IncomingMessage(
            source="imap:support/Sent",
            external_id=f"demo-{n}-2",
            message_id=f"<{reply_id}>",
            in_reply_to=f"<{root}>",
            references=[f"<{root}>"],
            subject=f"Re: {subject}",
            author_name=agent_name,
            author_email=f"{agent}@{DOMAIN}",
            agent_username=agent,
            to=[(f"{fill['first']} {fill['last']}", email)],
            sent_at=replied,
            body=sc.reply.format(agent=agent_name.split()[0], **fill),
        )
    )
    slug = ARTICLE_SENT.get(sc.subjects[0])  # no random draw: the rest stays as it was
    art = session.exec(select(Article).where(Article.slug == slug)).first() if slug else None
    if art is not None and art.id is not None:
        from inbox_tui.services.article_picks import record_article_sent

        record_article_sent(session, agent, conv_id, art.id, at=replied)
    roll = rng.random()
    if roll < 0.12 and replied + timedelta(days=1) < now:
        until = now + timedelta(days=rng.randint(1, 5))
        triage.snooze(session, agent, conv_id, until, at=replied + timedelta(minutes=1))
        return
    if sc.follow_up and roll < 0.55:
        after = _follow_up(
            ing, rng, n, sc, fill, subject, email, root, agent, agent_name, replied, now
        )
        if after is None:
            return
        replied = after
    _close_or_wait(session, rng, agent, conv_id, roll, replied, now)


def _follow_up(ing, rng, n, sc, fill, subject, email, root, agent, agent_name, replied, now):  # type: ignore[no-untyped-def]
    """The customer writes back; sometimes the agent answers again. Returns the time of
    the last agent reply, or None when the conversation waits for us (or for now)."""
    reply_id = f"demo-{n}-2@{DOMAIN}"
    back = replied + timedelta(hours=rng.randint(1, 30))
    if back < now:
        ing.add(
            IncomingMessage(
                source="imap:support/INBOX",
                external_id=f"demo-{n}-3",
                message_id=f"<demo-{n}-3@{fill['company'].split()[0].lower()}.example>",
                in_reply_to=f"<{reply_id}>",
                references=[f"<{root}>", f"<{reply_id}>"],
                subject=f"Re: {subject}",
                author_name=f"{fill['first']} {fill['last']}",
                author_email=email,
                sent_at=back,
                body=sc.follow_up.format(**fill)
                + f"\n\nOn an earlier date {agent_name} wrote:\n> "
                + sc.reply.format(agent=agent_name.split()[0], **fill).replace("\n", "\n> "),
            )
        )
        if rng.random() < 0.35:
            return None  # waiting for us again
        again = back + timedelta(minutes=rng.randint(10, 300))
        if again >= now:
            return None
        ing.add(
            IncomingMessage(
                source="imap:support/Sent",
                external_id=f"demo-{n}-4",
                message_id=f"<demo-{n}-4@{DOMAIN}>",
                in_reply_to=f"<demo-{n}-3@{fill['company'].split()[0].lower()}.example>",
                references=[f"<{root}>", f"<{reply_id}>"],
                subject=f"Re: {subject}",
                author_name=agent_name,
                author_email=f"{agent}@{DOMAIN}",
                agent_username=agent,
                sent_at=again,
                body=f"Hi {fill['first']},\n\nGreat, thanks for confirming. Closing this one; reply any time.\n\n{agent_name.split()[0]}",
            )
        )
        replied = again
    return replied


def _close_or_wait(session, rng, agent, conv_id, roll, replied, now) -> None:  # type: ignore[no-untyped-def]
    """Most conversations are closed (some rated by the customer), some wait on them."""
    if roll < 0.8:
        closed_at = replied + timedelta(hours=rng.randint(1, 48))
        if closed_at < now:
            triage.close(session, agent, conv_id, at=closed_at)
            if rng.random() < 0.3:
                rated_at = min(now, closed_at + timedelta(hours=2))
                triage.set_rating(
                    session,
                    None,
                    conv_id,
                    rng.choice(["good", "good", "good", "ok", "bad"]),
                    at=rated_at,
                )
    elif roll < 0.9:
        triage.set_status(
            session, agent, conv_id, Status.PENDING, at=replied + timedelta(minutes=1)
        )


def _chat_conversation(ing, session, rng, n, opened, now, people, agents) -> None:  # type: ignore[no-untyped-def]
    tag, text = rng.choice(CHAT_OPENINGS)
    first = rng.choice(people)[0]
    visitor = f"widget:{first.lower()}-{n}"
    key = f"visit-{n}"
    res = ing.add(
        IncomingMessage(
            source="chat:widget",
            external_id=f"chat-{n}-1",
            channel=Channel.CHAT,
            thread_key=key,
            subject=text[:60],
            author_name=first,
            author_handle=visitor,
            sent_at=opened,
            body=text,
        )
    )
    conv_id = res.conversation_id
    assert conv_id is not None
    if now - opened < timedelta(hours=3) and rng.random() < 0.7:
        return
    agent, agent_name = rng.choice(agents[:4])
    t = opened + timedelta(minutes=rng.randint(1, 8))
    if t >= now:
        return
    triage.assign(session, agent, conv_id, agent, at=t)
    triage.tag(session, agent, conv_id, tag, at=t)
    ing.add(
        IncomingMessage(
            source="chat:widget",
            external_id=f"chat-{n}-2",
            channel=Channel.CHAT,
            thread_key=key,
            author_name=agent_name,
            author_handle=f"widget-agent:{agent}",
            agent_username=agent,
            sent_at=t + timedelta(seconds=40),
            body=CHAT_REPLIES[tag],
        )
    )
    ing.add(
        IncomingMessage(
            source="chat:widget",
            external_id=f"chat-{n}-3",
            channel=Channel.CHAT,
            thread_key=key,
            author_name=first,
            author_handle=visitor,
            sent_at=t + timedelta(minutes=2),
            body=rng.choice(
                ["thanks!", "perfect, that worked", "ok great :)", "ah got it, thank you"]
            ),
        )
    )
    if t + timedelta(minutes=10) < now:
        triage.close(session, agent, conv_id, at=t + timedelta(minutes=10))


def _add_articles_and_macros(session: Session, now: datetime) -> None:
    for slug, title, category, body in ARTICLES:
        session.add(
            Article(
                slug=slug,
                title=title,
                description=first_sentence(body),
                category=category,
                url=f"https://help.{DOMAIN}/{slug}",
                body=body,
                updated_at=now,
            )
        )
    # The demo's macros are files, as a team would keep them in git.
    specs, problems = load_macro_files([MACROS_DIR])
    if problems:
        raise RuntimeError("demo macros are broken: " + "; ".join(map(str, problems)))
    import_specs(session, specs)
    session.flush()
