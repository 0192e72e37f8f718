"""Paper for the field and the bench: tube labels and the sampling team's PDF manifest.

Needs the ``print`` extra (reportlab); the entry points say so in one line when it is
missing. ``jobs`` has the entry points (``write_labels``, ``write_manifest_pdf``); it reads
the store and hands plain values to the renderers: ``labels`` draws any sequence of
``Label(code, lines)`` on a ``stocks`` layout (plate labels are one more source of labels),
``manifest_pdf`` draws the ``sections`` of the sheet. ``barcode`` (Code 128), ``text``
(fitting), ``fonts`` (the embedded CJK font) and ``pdf`` (writing beside the target, then
renaming) are what both share.

May import: ``poolab.field``, ``poolab.lab``, ``poolab.files``, ``poolab.store``, the
vocabulary; never the reports, web or CLI.
"""
