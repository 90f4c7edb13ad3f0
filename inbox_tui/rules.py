"""Rule files: when a conversation arrives, a customer writes again or an agent tags
it, if conditions hold, then actions. Pure (no store): ``load_rules`` reads one TOML file
and returns the rules, or raises ``RulesError`` listing every problem; a broken file
loads nothing.

    [[rule]]
    name = "Invoices to billing"
    when = "arrives"                 # arrives | customer_reply | tagged
    [rule.if]                        # all must hold; each list: any of its words
    subject = ["invoice", "receipt"] # words in the subject (case-insensitive)
    body = ["refund"]                # words in the message
    from = "@acme.example"           # part of the customer's address or name
    channel = "email"                # email | chat
    tag = ["urgent"]                 # when = "tagged": the tag added (any of these)
    contact = { plan = "enterprise" } # the customer's attributes (import contacts);
                                     # a list of values: any of them
    to = ["billing@"]                # part of an address it was sent to (To or Cc)
    mailbox = "imap:billing/"        # the start of its source (the account/mailbox or
                                     # chat it came from), as [sla.sources] name them
    business_hours = false           # came in outside (true: inside) the config's
                                     # [business_hours]; without that section the
                                     # rule never fires (rules lint says so)
    [rule.then]
    tag = ["billing"]
    assign = "sam"                   # a username, or "none"
    status = "pending"               # open | pending | closed
    macro = "refund-policy"          # a macro's slug: its actions (tag, untag, assign,
                                     # status, snooze), never its reply or note
    target = "4h"                    # this conversation's response target (first and
                                     # next reply), replacing the config's [sla] ones;
                                     # or { first = "1h", next = "8h" } (either or both)

Conditions are plain words and substrings, never regular expressions, so no rule can
take long to match. Actions never trigger rules (no loops).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from inbox_tui.when import parse_duration

WHEN = ("arrives", "customer_reply", "tagged")
IF_KEYS: tuple[str, ...] = ("subject", "body", "from", "channel", "tag", "contact")
IF_KEYS += ("to", "mailbox", "business_hours")
THEN_KEYS = ("tag", "assign", "status", "macro", "target")
TARGET_KEYS = ("first", "next")
MAX_TARGET = timedelta(days=365)
STATUSES = ("open", "pending", "closed")
MAX_RULES = 500
MAX_TEXT = 200
MAX_FILE_BYTES = 1_000_000


class RulesError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    subject: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    sender: str | None = None
    channel: str | None = None
    tagged: tuple[str, ...] = ()  # when = "tagged": any of these tags
    # The customer's attributes: name -> any of these values (lower-case).
    contact: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tags: tuple[str, ...] = ()
    assign: str | None = None
    status: str | None = None
    macro: str | None = None  # a macro's slug: its actions run, its text is not sent
    # then.target: this conversation's first / next response target (None: unchanged).
    target_first: timedelta | None = None
    target_next: timedelta | None = None
    to: tuple[str, ...] = ()  # any of these in a To or Cc address
    mailbox: tuple[str, ...] = ()  # the source starts with any of these
    in_hours: bool | None = None  # if.business_hours
    # The config's working time for ``if.business_hours`` (services.rules.with_config).
    hours: Any = field(default=None, compare=False, repr=False)
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    def matches_place(self, to: str, source: str, at: datetime | None) -> bool:
        """``if.to`` (words in the addresses it was sent to), ``if.mailbox`` (the start
        of the conversation's source) and ``if.business_hours`` (``at``, when it came,
        in the attached working time; without one such a rule never matches)."""
        if self.to and not any(w in to.lower() for w in self.to):
            return False
        if self.mailbox and not any(source.lower().startswith(m) for m in self.mailbox):
            return False
        if self.in_hours is None:
            return True
        if self.hours is None or at is None:
            return False
        return bool(self.hours.seconds_between(at, at + timedelta(seconds=1))) == self.in_hours

    def matches_contact(self, attributes: dict[str, str]) -> bool:
        """Every ``if.contact`` attribute holds one of its values (case-insensitive)."""
        return all(attributes.get(name, "").lower() in values for name, values in self.contact)

    def matches(self, subject: str, body: str, sender: str, channel: str) -> bool:
        def any_word(words: tuple[str, ...], text: str) -> bool:
            low = text.lower()
            return not words or any(w in low for w in words)

        return (
            any_word(self.subject, subject)
            and any_word(self.body, body)
            and (self.sender is None or self.sender in sender.lower())
            and (self.channel is None or self.channel == channel)
        )

    def matches_tag(self, tag: str, channel: str) -> bool:
        """A ``tagged`` rule: the tag added is one of ``if.tag`` (any tag without it)."""
        return (not self.tagged or tag.lower() in self.tagged) and (
            self.channel is None or self.channel == channel
        )


def load_rules(path: Path) -> list[Rule]:
    """The rules of ``path``, or RulesError with one sentence per problem."""
    where = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulesError([f"{where}: cannot be read ({exc.strerror or exc})."]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise RulesError([f"{where}: is larger than {MAX_FILE_BYTES:,} bytes."])
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError([f"{where}: is not valid TOML ({exc})."]) from None
    problems: list[str] = []
    unknown = sorted(set(data) - {"rule"})
    if unknown:
        problems.append(f"{where}: unknown section {unknown[0]!r} (rules are [[rule]] tables).")
    items = data.get("rule", [])
    if not isinstance(items, list) or len(items) > MAX_RULES:
        raise RulesError(
            [*problems, f"{where}: [[rule]] must be a list of at most {MAX_RULES} tables."]
        )
    rules, names = [], set()
    for i, item in enumerate(items, 1):
        rule = _rule(item, f"{where}: rule {i}")
        problems += rule.problems
        if rule.name in names:
            problems.append(f"{where}: rule {i}: the name {rule.name!r} is used twice.")
        names.add(rule.name)
        rules.append(rule)
    if problems:
        raise RulesError(problems)
    return rules


def _words(value: object, where: str, problems: list[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    # An empty list would be a condition that silently holds for everything.
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(w, str) and 0 < len(w) <= MAX_TEXT for w in items)
    ):
        problems.append(
            f"{where} must be a word or a list of words (each 1-{MAX_TEXT} characters)."
        )
        return ()
    return tuple(str(w).lower() for w in items)


def _duration(value: object, where: str, problems: list[str]) -> timedelta | None:
    try:
        amount = parse_duration(value) if isinstance(value, str) else None
    except ValueError:
        amount = None
    if amount is None or amount > MAX_TARGET:
        problems.append(f'{where} must be a time like "30m", "4h" or "2d" (at most a year).')
        return None
    return amount


def _target(value: object, where: str, problems: list[str]) -> tuple[timedelta | None, ...]:
    """``then.target``: one time for both replies, or a table of ``first`` / ``next``."""
    if isinstance(value, str):
        both = _duration(value, where, problems)
        return both, both
    if not isinstance(value, dict) or not value:
        problems.append(f'{where} must be a time like "4h", or {{ first = "1h", next = "8h" }}.')
        return None, None
    for key in sorted(set(value) - set(TARGET_KEYS)):
        problems.append(f"{where}: unknown key {key!r} (first, next).")
    return tuple(
        _duration(value[k], f"{where}.{k}", problems) if k in value else None for k in TARGET_KEYS
    )


def _place(cond: dict[str, Any], when: str, where: str, problems: list[str]) -> dict[str, Any]:
    """``if.to``, ``if.mailbox`` and ``if.business_hours`` as Rule fields."""
    out: dict[str, Any] = {}
    if "to" in cond:
        out["to"] = _words(cond["to"], f"{where}: if.to", problems)
    if "mailbox" in cond:
        out["mailbox"] = _words(cond["mailbox"], f"{where}: if.mailbox", problems)
    if "business_hours" in cond:
        if isinstance(cond["business_hours"], bool):
            out["in_hours"] = cond["business_hours"]
        else:
            problems.append(f"{where}: if.business_hours must be true or false (no quotes).")
    if when == "tagged" and ({"to", "business_hours"} & set(cond)):
        problems.append(f"{where}: if.to and if.business_hours are about a message, not a tag.")
    return out


def _contact(
    value: object, where: str, problems: list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict) or len(value) > 20:
        problems.append(f'{where} must be a table of attributes, like {{ plan = "enterprise" }}.')
        return ()
    out = []
    for name, values in value.items():
        if not isinstance(name, str) or not 0 < len(name) <= 100:
            problems.append(f"{where}: an attribute name is 1-100 characters.")
            continue
        out.append((name.lower(), _words(values, f"{where}.{name}", problems)))
    return tuple(out)


def _rule(item: object, where: str) -> Rule:
    p: list[str] = []
    if not isinstance(item, dict):
        return Rule("?", "arrives", problems=[f"{where}: is not a table."])
    for key in sorted(set(item) - {"name", "when", "if", "then"}):
        p.append(f"{where}: unknown field {key!r} (name, when, if, then).")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEXT:
        p.append(f"{where}: needs a name (text up to {MAX_TEXT} characters).")
        name = "?"
    where = f"{where} ({name.strip()})"
    when = item.get("when", "arrives")
    if when not in WHEN:
        p.append(f"{where}: when must be one of {', '.join(WHEN)}.")
    cond, then = item.get("if", {}), item.get("then", {})
    if not isinstance(cond, dict) or not isinstance(then, dict):
        return Rule(name.strip(), "arrives", problems=[*p, f"{where}: if and then must be tables."])
    p += [
        f"{where}: unknown condition {k!r} ({', '.join(IF_KEYS)})."
        for k in sorted(set(cond) - set(IF_KEYS))
    ]
    p += [
        f"{where}: unknown action {k!r} ({', '.join(THEN_KEYS)})."
        for k in sorted(set(then) - set(THEN_KEYS))
    ]
    if not then:
        p.append(
            f"{where}: has no action (then.tag, then.assign, then.status, then.macro or "
            "then.target)."
        )
    sender, channel, assign, status = (
        cond.get("from"),
        cond.get("channel"),
        then.get("assign"),
        then.get("status"),
    )
    if sender is not None and (not isinstance(sender, str) or not sender or len(sender) > MAX_TEXT):
        p.append(f"{where}: if.from must be text.")
    if channel is not None and channel not in ("email", "chat"):
        p.append(f"{where}: if.channel must be email or chat.")
    if assign is not None and (
        not isinstance(assign, str) or not assign.strip() or len(assign) > MAX_TEXT
    ):
        p.append(f"{where}: then.assign must be a username or none.")
    macro = then.get("macro")
    if macro is not None and (
        not isinstance(macro, str) or not macro.strip() or len(macro) > MAX_TEXT
    ):
        p.append(f"{where}: then.macro must be a macro's name (its slug).")
    if status is not None and status not in STATUSES:
        p.append(f"{where}: then.status must be one of {', '.join(STATUSES)}.")
    if when == "tagged" and ({"subject", "body", "from"} & set(cond)):
        p.append(f"{where}: a tagged rule's conditions are if.tag and if.channel.")
    if "tag" in cond and when != "tagged":
        p.append(f'{where}: if.tag is for rules with when = "tagged".')
    if when == "tagged" and "tag" in then:
        # Its own tag would be another tagging: refused rather than looping.
        p.append(f"{where}: a tagged rule cannot tag (then.assign or then.status only).")
    first, next_ = None, None
    if "target" in then:
        first, next_ = _target(then["target"], f"{where}: then.target", p)
    return Rule(
        name=name.strip(),
        when=str(when),
        subject=_words(cond["subject"], f"{where}: if.subject", p) if "subject" in cond else (),
        body=_words(cond["body"], f"{where}: if.body", p) if "body" in cond else (),
        sender=sender.lower() if isinstance(sender, str) else None,
        channel=channel if isinstance(channel, str) else None,
        tagged=_words(cond["tag"], f"{where}: if.tag", p) if "tag" in cond else (),
        contact=_contact(cond.get("contact", {}), f"{where}: if.contact", p),
        tags=_words(then["tag"], f"{where}: then.tag", p) if "tag" in then else (),
        assign=assign.strip() if isinstance(assign, str) else None,
        status=status if isinstance(status, str) else None,
        macro=macro.strip() if isinstance(macro, str) else None,
        target_first=first,
        target_next=next_,
        **_place(cond, str(when), where, p),
        problems=p,
    )
