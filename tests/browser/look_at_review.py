"""Render the review of the realistic 2-hour, 10-participant session for a human to look at.

    .venv/bin/python -m tests.browser.look_at_review OUT_DIR

Starts a roomlive server on a temporary database, imports the fixture through the JSON import,
then saves a 1280x800 screenshot of the review (and a full-page one), the review printed to PDF
(landscape, as Chromium prints it) and the per-participant summary as PDF. PNGs of the PDFs are
made with pdftoppm where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from roomlive.review.export import to_json
from tests.browser.browser_support import chromium
from tests.support.realistic import START, realistic_session
from tests.support.server import JOIN_CODE, Server


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(db_path=Path(tmp) / "roomlive.db", extra_args=("--no-demo",)).start()
        try:
            sid = import_fixture(server)
            shoot(server, sid, out)
        finally:
            server.stop()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        for pdf in ("review.pdf", "summary.pdf"):
            stem = str(out / pdf.removesuffix(".pdf"))
            subprocess.run([pdftoppm, "-png", "-r", "80", str(out / pdf), stem], check=True)
    print("\n".join(sorted(str(path) for path in out.iterdir())))


def import_fixture(server: Server) -> str:
    events = realistic_session()
    document = to_json("evening-group", list(enumerate(events, start=1)))
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        joined = client.post("/join", data={"name": "Sam", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303, joined.text
        answer = client.post(
            "/import", content=document, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["sid"])


def shoot(server: Server, sid: str, out: Path) -> None:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{server.url}/join?next=/s/{sid}/review")
        page.get_by_label("Your name").fill("Sam")
        page.get_by_label("Join code").fill(JOIN_CODE)
        page.get_by_role("button", name="Join").click()
        page.wait_for_selector("#timeline")
        page.screenshot(path=str(out / "review-1280x800.png"))
        page.screenshot(path=str(out / "review-full.png"), full_page=True)
        page.pdf(path=str(out / "review.pdf"), landscape=True, format="A4", print_background=True)
        with page.expect_response(lambda answer: "/replay?" in answer.url):
            page.locator("#scrubber").fill(str(int(START + 79 * 60 + 65)))  # Cleo escalated
        page.locator(".replay-wrap").screenshot(path=str(out / "replay-19h20.png"))
        page.goto(f"{server.url}/s/{sid}/summary")
        page.pdf(path=str(out / "summary.pdf"), format="A4", print_background=True)
        context.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "review-look"))
