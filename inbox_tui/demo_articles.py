"""The demo's help centre: (slug, title, category, body) of each article. The conversations
of the demo (``demo.py``) ask about these, and the README's example ("my card got
declined" finds "Payment failed") runs on them."""

ARTICLES = [
    (
        "share-board-with-guests",
        "Share a board with guests",
        "collaboration",
        "Invite people outside your team to a single board. Open the board, choose Share, then Invite guest. Guests see only the boards they are invited to and are free.",
    ),
    (
        "board-roles",
        "Board roles: admin, editor, commenter",
        "collaboration",
        "Each member of a board has a role. Admins manage members and settings, editors change cards and columns, commenters can only comment. Change roles under Members.",
    ),
    (
        "export-csv",
        "Export a board to CSV or Excel",
        "data",
        "Board menu → Export. Choose CSV or Excel. Dates follow the board's date format; ISO format is the most compatible with spreadsheets.",
    ),
    (
        "api-and-webhooks",
        "Automate with the API and webhooks",
        "developers",
        "Create an API token under Settings → Developers. Webhooks notify your service when cards change. Ready-made integrations exist for most form tools.",
    ),
    (
        "reset-password",
        "I can't log in after resetting my password",
        "account",
        "Browsers often autofill the old password. Clear saved passwords for the site or use a private window, then log in with the new password.",
    ),
    (
        "nonprofit-discount",
        "Discounts for non-profits and schools",
        "billing",
        "Registered non-profits and schools get 50% off any plan. Send your registration number to support and we apply it to your account.",
    ),
    (
        "sso-saml",
        "Single sign-on (SAML) and audit log",
        "security",
        "Enterprise plans include SAML SSO with any identity provider and an exportable audit log of every change.",
    ),
    (
        "cancel-subscription",
        "Cancel or downgrade your subscription",
        "billing",
        "Plans are cancelled at the end of the billing period. Your boards stay available on the free plan with read-only history.",
    ),
    (
        "dark-mode",
        "Themes and accessibility",
        "app",
        "Northwind follows your system's contrast settings. A dark theme is on the roadmap.",
    ),
    (
        "slack-notifications",
        "Get notifications in Slack",
        "integrations",
        "Settings → Integrations → Slack. Pick a channel per board and the events to send.",
    ),
    (
        "status-page",
        "Service status and incident reports",
        "app",
        "Our status page lists current incidents and past reports with their causes and durations.",
    ),
    (
        "payment-failed",
        "Payment failed",
        "billing",
        "A failed payment means your bank or card issuer refused the charge. Check the card's expiry date and billing address under Settings → Billing, or add another card; we retry the charge after three days and your boards stay active meanwhile.",
    ),
    (
        "calendar-sync",
        "Calendar sync with Google Calendar or Outlook",
        "integrations",
        "Settings → Integrations → Calendar gives each board a calendar feed of its cards. Google Calendar and Outlook refresh subscribed feeds every few hours; if cards stop appearing, remove the feed and add it again, and check the status page for an incident.",
    ),
    (
        "recurring-cards",
        "Repeat cards with templates and automations",
        "automation",
        "Save a card as a template, then use the Copy card automation with a weekly trigger to recreate it.",
    ),
]
