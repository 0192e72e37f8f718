"""Make the two workbooks the Excel tests need that neither openpyxl nor allotropy's
examples provide. Run once, by hand, in a scratch environment (the files are committed):

    pip install xlwt msoffcrypto-tool openpyxl
    python make_workbooks.py

- ``classic.xls``: a real Excel 97-2003 (BIFF8) file, as older QuantStudio / ViiA 7
  software saves its results: sheet Results, key/value rows, a blank row, the table.
  Well B1 is omitted on the instrument, C1 is flagged EXPFAIL on N.
- ``password.xlsx``: a small workbook saved with a password ("poolab"), as Excel
  encrypts it (an OLE file holding an EncryptedPackage stream).
"""

from __future__ import annotations

import io

HEADER = ["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task", "CT", "NOAMP", "EXPFAIL", "BADROX"]
ROWS = [
    [1, "A1", "false", "S1", "ORF1ab", "UNKNOWN", "Undetermined", "Y", "N", "N"],
    [1, "A1", "false", "S1", "N", "UNKNOWN", "Undetermined", "Y", "N", "N"],
    [1, "A1", "false", "S1", "IC", "UNKNOWN", 27.25, "N", "N", "N"],
    [13, "B1", "true", "S2", "ORF1ab", "UNKNOWN", "Undetermined", "Y", "N", "N"],
    [13, "B1", "true", "S2", "N", "UNKNOWN", "Undetermined", "Y", "N", "N"],
    [13, "B1", "true", "S2", "IC", "UNKNOWN", 28.5, "N", "N", "N"],
    [25, "C1", "false", "S3", "ORF1ab", "UNKNOWN", "Undetermined", "Y", "N", "N"],
    [25, "C1", "false", "S3", "N", "UNKNOWN", "Undetermined", "Y", "Y", "N"],
    [25, "C1", "false", "S3", "IC", "UNKNOWN", 26.75, "N", "N", "N"],
]


def classic_xls(path: str) -> None:
    import xlwt

    book = xlwt.Workbook()
    book.add_sheet("Sample Setup").write(0, 0, "Well")
    sheet = book.add_sheet("Results")
    keys = [
        ("Block Type", "96-Well Block (0.2mL)"),
        ("Experiment Barcode", "L000000001T"),
        ("Instrument Type", "ViiA 7"),
    ]
    for r, (key, said) in enumerate(keys):
        sheet.write(r, 0, key)
        sheet.write(r, 1, said)
    start = len(keys) + 1  # a blank row, then the table
    for c, name in enumerate(HEADER):
        sheet.write(start, c, name)
    for r, row in enumerate(ROWS, start=start + 1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(path)


def password_xlsx(path: str) -> None:
    import msoffcrypto.format.ooxml
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Results"
    book.active.append(["Well", "Well Position", "Sample Name", "Target Name", "CT"])
    plain = io.BytesIO()
    book.save(plain)
    plain.seek(0)
    with open(path, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("poolab", out)


if __name__ == "__main__":
    classic_xls("classic.xls")
    password_xlsx("password.xlsx")
