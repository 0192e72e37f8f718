"""The command post: a read-only web view of the store (``poolab serve``), a small
Starlette application with Jinja2 templates served by uvicorn. Needs the web extra.

Nothing here talks SQL or writes: every page is one library call
(``poolab.reports.commandpost.campaign_view``, ``poolab.reports.status.campaign_status``).

May import: ``poolab.reports`` and ``poolab.store`` (to open it read-only), the vocabulary;
never the CLI.
"""
