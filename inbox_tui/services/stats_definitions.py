"""The one-line definition of every statistic: shown by the CLI, the TUI and the README.

Kept free of imports so ``inbox-tui stats --help`` stays instant."""

DEFINITIONS: dict[str, str] = {
    "replies_sent": "Replies that went to the customer (internal notes excluded), counted when they went: a reply waiting in the outbox (the undo delay, or send at) counts at its send time, one taken back never.",
    "notes_written": "Internal notes written.",
    "conversations_closed": "Distinct conversations this agent closed at least once in the period.",
    "close_events": "Times this agent closed a conversation (close, reopen, close counts twice; but closing again what another action reopened on the way, before the customer wrote, is no new close: a bug follow-up whose macro closes, undo send putting closed back, an undo).",
    "handled_per_day": "Distinct conversations the agent replied to, noted or closed, per working day in the period.",
    "macros_applied": "Macros applied (not one whose reply was taken back with undo send).",
    "articles_sent": "Help articles sent to customers (one inserted in a reply counts when the reply goes, never if it is taken back).",
    "first_response": "Customer's first message to the first agent reply that went to the customer (notes excluded); counted for conversations whose first message is in the period.",
    "response": "Every customer message (or run of messages) to the next agent reply.",
    "time_to_close": "Start of the conversation (or its reopening) to the close; a close that is no new close (close_events) has none. A send and close closes when its reply goes (not if the conversation was reopened before that, nor if the reply is taken back).",
    "handle_time": "First agent reply to the close, per conversation closed in the period.",
    "csat": "Customer ratings (good / ok / bad), credited to the agent who last closed the conversation (else its assignee).",
    "incoming": "Customer messages received.",
    "repeat_contact_rate": "Closes in the period after which the same customer wrote again within N days (default 7: a message that reopens the conversation, or a new conversation), out of the closes at least N days old; per agent who closed, per tag, per help article sent before the close.",
    "without_category": "Conversations closed in the period (by the agent who last closed them) that carry no tag of kind category.",
    "handoffs": "Reassignments from one agent to another of the conversations last closed in the period, per agent who closed them (a first assignment or an unassignment is not one).",
    "content_gaps": "Category tags, and groups of similar conversations (3 or more), closed in the period without any help article sent: answers the help centre may lack.",
}
