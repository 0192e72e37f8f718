"""The vendors' literal strings: section names, column names, words for "no Ct"."""

from __future__ import annotations

# Applied Biosystems QuantStudio / ViiA 7 text export ("Export" in the run software)
QS_RESULTS = "Results"
QS_WELL = ("Well Position",)
QS_SAMPLE = ("Sample Name",)
QS_TARGET = ("Target Name",)
QS_CT = ("CT", "Ct", "Cт", "Cq", "CRT")  # Cт: the Cyrillic т some releases write
QS_TASK = ("Task",)
QS_BARCODE_KEYS = ("Experiment Barcode", "Plate Barcode", "Barcode")
QS_INSTRUMENT_KEY = "Instrument Type"
QS_NO_BARCODE = ("", "NA", "N/A", "NONE")
QS_TASK_CONTROL = {"NTC": "neg", "NEGATIVE": "neg", "POSITIVE": "pos", "PC": "pos", "NC": "neg"}

# Bio-Rad CFX Maestro "Quantification Cq Results" CSV
CFX_WELL = "Well"
CFX_FLUOR = "Fluor"
CFX_TARGET = "Target"
CFX_CONTENT = "Content"
CFX_SAMPLE = "Sample"
CFX_CQ = "Cq"
# Content is "Unkn", "Pos Ctrl", "Neg Ctrl", "NTC", "Std", optionally with a replicate ("Unkn-01")
CFX_CONTROL = {"pos": "pos", "pos ctrl": "pos", "neg": "neg", "neg ctrl": "neg", "ntc": "neg"}

NO_CT = ("", "undetermined", "nan", "no ct", "n/a", "na", "-")
