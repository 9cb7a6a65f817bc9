#!/usr/bin/env python3
"""Generates the attachment files govwire's tests read, once; the outputs are
committed, so tests never need Python.

Writes:
  crates/extract/tests/data/reply.pdf    two pages of Chinese text (STSong-Light, a
                                         CID font that is not embedded, as in many
                                         official PDFs)
  crates/extract/tests/data/reply.docx   the same reply as a Word document
  crates/extract/tests/data/reply.doc    the DOCX converted to Word 97 by LibreOffice
  crates/extract/tests/data/scanned.pdf  a PDF with no text layer (a drawn box only)
  crates/extract/tests/data/corrupt.pdf  a PDF header followed by garbage
  crates/extract/tests/data/corrupt.docx a zip signature followed by garbage
  corpus/attachments/pugzj-2026-18.pdf   the fixture reply whose text is only in a PDF
  corpus/attachments/pumz-2026-33-table.docx  the handling table of a fixture reply

Needs: python3 with `reportlab` and `python-docx` (pip install reportlab
python-docx), and LibreOffice (`soffice`, Debian: libreoffice-writer-nogui) for
the DOC. Run from the workspace root: python3 scripts/generate-attachments.py
"""

import datetime
import os
import shutil
import subprocess
import sys
import tempfile

from docx import Document
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "crates", "extract", "tests", "data")
CORPUS = os.path.join(ROOT, "corpus", "attachments")

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

# Sentence-final marks after which a paragraph may end; a wrapped line must
# not end in one, or a reader would take the wrap for a paragraph end.
FINAL = "。！？：；”.!?:;\""
WIDTH = 32  # characters per PDF line


def wrap(paragraph):
    """Cuts a paragraph into lines as a typesetter would, never leaving a
    sentence-final mark at the end of a line that the paragraph continues."""
    lines = []
    rest = paragraph
    while len(rest) > WIDTH:
        cut = WIDTH
        while cut > 1 and rest[cut - 1] in FINAL:
            cut -= 1
        if len(rest) - cut <= 3:
            break
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return lines


# The fixture reply whose text is only in the linked PDF (item 204620). Each
# entry is one paragraph or line of the document.
PDF_ONLY_REPLY = [
    "办理结果：解决采纳",
    "普规资〔2026〕18号",
    "关于区十七届人大五次会议第0231号代表建议的答复",
    "王建国代表：",
    "您提出的“关于加快桃浦智创城公共服务配套建设的建议”收悉。经研究，现答复如下：",
    "一、配套建设推进情况",
    "桃浦智创城中央绿地二期已于2026年4月建成开放，区域内两所学校、一处社区卫生服务中心已完成规划选址，计划2027年前陆续开工建设。",
    "二、下一步工作",
    "我局将会同区教育局、区卫生健康委加快推进项目前期工作，按季度向您通报进展情况。",
    "感谢您对我区规划和自然资源工作的关心和支持。",
    "上海市普陀区规划和自然资源局",
    "2026年5月20日",
    "联系人：李明",
    "联系电话：52564588-6011",
]

# The extraction tests' reply: two pages, so page breaks are exercised.
TEST_REPLY = [
    "关于区政协十五届五次会议第155072号提案的答复",
    "陈思远委员：",
    "您提出的《关于优化苏州河沿岸慢行步道的建议》提案收悉。现答复如下：",
    "一、步道贯通情况",
    "苏州河普陀段42公里岸线已于2020年底基本贯通，沿线设置驿站18处，〔2022〕年起逐段完善照明设施。",
]
TEST_REPLY_PAGE_2 = [
    "二、下一步工作",
    "我委将结合您的建议，增设无障碍坡道和休憩座椅。",
    "上海市普陀区建设和管理委员会",
    "2026年6月15日",
]


def pdf(path, pages):
    c = canvas.Canvas(path, invariant=1, pagesize=(595, 842))
    for page in pages:
        c.setFont(FONT, 14)
        y = 780
        for paragraph in page:
            for line in wrap(paragraph):
                c.drawString(60, y, line)
                y -= 22
        c.showPage()
    c.save()


def scanned_pdf(path):
    c = canvas.Canvas(path, invariant=1, pagesize=(595, 842))
    c.rect(60, 600, 300, 150, fill=1)
    c.showPage()
    c.save()


def docx(path, paragraphs, table=None):
    d = Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    d.core_properties.created = datetime.datetime(2026, 1, 1)
    d.core_properties.modified = datetime.datetime(2026, 1, 1)
    d.save(path)


def doc_from_docx(docx_path, doc_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice (soffice) is needed to write the .doc file")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [soffice, "--headless", "--convert-to", "doc:MS Word 97", "--outdir", out, docx_path],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        name = os.path.splitext(os.path.basename(docx_path))[0] + ".doc"
        shutil.move(os.path.join(out, name), doc_path)


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)
    pdf(os.path.join(DATA, "reply.pdf"), [TEST_REPLY, TEST_REPLY_PAGE_2])
    docx(os.path.join(DATA, "reply.docx"), TEST_REPLY + TEST_REPLY_PAGE_2)
    doc_from_docx(os.path.join(DATA, "reply.docx"), os.path.join(DATA, "reply.doc"))
    scanned_pdf(os.path.join(DATA, "scanned.pdf"))
    with open(os.path.join(DATA, "corrupt.pdf"), "wb") as f:
        f.write(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    with open(os.path.join(DATA, "corrupt.docx"), "wb") as f:
        f.write(b"PK\x03\x04" + bytes(range(256)) * 4)

    pdf(os.path.join(CORPUS, "pugzj-2026-18.pdf"), [PDF_ONLY_REPLY])
    docx(
        os.path.join(CORPUS, "pumz-2026-33-table.docx"),
        ["区十五届政协五次会议第155103号提案办理情况表"],
        table=[
            ["事项", "办理情况", "完成时限"],
            ["新增长者食堂", "长征镇、桃浦镇新增4家", "2026年12月"],
            ["新增助餐点", "老旧小区集中区域新增12个", "2026年12月"],
        ],
    )


if __name__ == "__main__":
    main()
