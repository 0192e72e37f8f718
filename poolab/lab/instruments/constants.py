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
QS_OMIT = ("Omit",)

# The instrument's own verdicts on a reading (QuantStudio flag columns, Y or N; Design &
# Analysis "Amp Status" and "Result Quality Issues"). A flag here voids the well.
QS_FLAGS = ("EXPFAIL", "THOLDFAIL", "BADROX", "NOISE", "SPIKE", "PRFDROP")
QS_NOAMP = "NOAMP"  # no amplification: an ordinary "no Ct", unless the row has a Ct all the same
AMP_STATUS = "Amp Status"
QUALITY_ISSUES = "Result Quality Issues"
# Amp Status words (compared upper-case, spaces as underscores): AMP, NO_AMP, INCONCLUSIVE
AMP_STATUS_WORDS = {"AMP": "", "NO_AMP": QS_NOAMP, "NOAMP": QS_NOAMP, "INCONCLUSIVE": "INCONCLUSIVE", "": ""}
FLAG_YES = ("Y",)
FLAG_NO = ("N", "")
OMIT_TRUE = ("TRUE",)
OMIT_FALSE = ("FALSE", "")

# Design & Analysis export (.xlsx/.xls): sheet Results, key/value rows with Barcode, then
# the table (Well, Well Position, Omit, Sample, Target, Task, ..., Amp Status, ..., Cq)
DA_SHEETS = ("Results", "Primary_result")  # Primary_result: the Diomni software's name for it
DA_SAMPLE = ("Sample",)
DA_TARGET = ("Target",)
DA_CT = ("Cq", "CT", "Ct")
DA_WELL = ("Well Position", "Well")
DA_BARCODE_KEYS = ("Barcode",)

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
