"""Paper for the field and the bench: tube labels and the sampling team's PDF manifest.

Needs the ``print`` extra (reportlab); every entry point says so in one line when it is
missing. The entry points are in ``jobs`` (``write_labels``, ``write_manifest_pdf``);
``labels`` and ``manifest_pdf`` render any sequence of items, so a new kind of label
(plates) is a new source of ``Label`` values, not a new renderer.
"""
