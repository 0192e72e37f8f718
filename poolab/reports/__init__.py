"""Reports: where every tube stands (``status``), the day's prevalence and the buildings above
it (``estimate``, ``prevalence``, ``risk``), turnaround and late tubes (``timing``), the event
trail (``history``: `poolab log`) and the command post's figures (``commandpost``).

Reports read; they write nothing but export files. May import: the shared vocabulary,
``poolab.files``, ``poolab.field``, ``poolab.lab``, ``poolab.store``, ``poolab.kernels``."""
