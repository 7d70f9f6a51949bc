"""Screenshot an HTML report in headless Chromium (Debian's chromium + chromedriver).

    python bench/screenshot.py annotations/pre/report.html docs/report.png [--scroll-to d4]

Makes the README's picture of the demo report (``make screenshot``). Prints the browser's
console messages of level SEVERE, if any, and exits 1 when there are some.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1100)
    parser.add_argument("--scroll-to", default=None, help="element id to scroll to first")
    parser.add_argument("--search", default=None, help="type this into the search box first")
    parser.add_argument("--js", default=None, help="run this script before the picture")
    args = parser.parse_args(argv)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for flag in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--disable-dev-shm-usage", f"--window-size={args.width},{args.height}",
            f"--user-data-dir={profile}", "--force-device-scale-factor=1",
        ):  # fmt: skip
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        driver = webdriver.Chrome(service=service, options=options)
        try:
            driver.get(args.page.resolve().as_uri())
            if args.search:
                box = driver.find_element("id", "q")
                box.send_keys(args.search)
                driver.implicitly_wait(1)
            if args.scroll_to:
                driver.execute_script(
                    "document.getElementById(arguments[0]).scrollIntoView()", args.scroll_to
                )
            if args.js:
                driver.execute_script(args.js)
            args.png.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.png))
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        finally:
            driver.quit()
    for entry in severe:
        print(f"console: {entry['message']}", file=sys.stderr)
    return 1 if severe else 0


if __name__ == "__main__":
    sys.exit(main())
