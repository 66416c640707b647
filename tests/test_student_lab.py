"""JupyterLab as a student runs it (``make lab``, configuration ``course/jupyter``), in Chromium: no instructor
tools; the widgets draw, respond to a slider, wrap their controls below the picture in a narrow window, and a
blank notebook's widget names the function to write first."""
import json
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from benchmarks.browser import available, chromium_page, student_lab

ROOT = Path(__file__).resolve().parents[1]
NO_BROWSER = available()
pytestmark = [pytest.mark.timeout(300), pytest.mark.skipif(bool(NO_BROWSER), reason=NO_BROWSER)]

CELLS = [
    "from course.widgets import GradientFlowExplorer\n"
    "from solutions import activations, mlp, training\n"
    "explorer = GradientFlowExplorer(mlp.forward, mlp.backward, activations.ACTIVATIONS, update=training.gradient_step)\n"
    "explorer",
    "def backward(params, cache, Y, activations):\n"
    "    # YOUR CODE HERE\n"
    "    raise NotImplementedError()\n"
    "blank = GradientFlowExplorer(mlp.forward, backward, activations.ACTIVATIONS)\n"
    "blank",
]


def _notebook(path: Path) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
             for src in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                            "display_name": "Python 3"}},
                                "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")


def test_student_lab_hides_instructor_tools_and_the_widgets_work():
    with tempfile.TemporaryDirectory(prefix="course-lab-test-") as work:
        _notebook(Path(work) / "student.ipynb")
        with student_lab(work, env_extra={"PYTHONPATH": str(ROOT)}) as (url, token):
            page_html = urllib.request.urlopen(f"{url}/lab?token={token}").read().decode()
            config = json.loads(re.search(r'id="jupyter-config-data" type="application/json">(.*?)</script>',
                                          page_html, re.S).group(1))
            assert {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                    "@jupyter/nbgrader:course-list"} <= set(config["disabledExtensions"])
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(f"{url}/formgrader?token={token}")
            assert info.value.code == 404

            with chromium_page(1400, 900) as page:
                errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(f"{url}/lab/tree/student.ipynb?token={token}")
                page.wait_for_function("document.body.innerText.includes('(ipykernel) | Idle')", timeout=120000)
                assert page.locator("text=Create Assignment").count() == 0
                assert page.locator(".jp-Notebook .jp-Cell").count() == 2
                page.locator(".jp-Notebook").first.click()
                page.keyboard.press("Escape")
                page.get_by_role("menuitem", name="Run").click()
                page.get_by_text("Run All Cells", exact=True).click()
                page.wait_for_selector("svg.course-picture[data-version] .edge", state="attached", timeout=120000)
                # the blank notebook's widget names the function to write, with no traceback
                page.wait_for_selector("text=`backward` is not written yet", timeout=60000)
                assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0

                picture = page.locator("svg.course-picture").first
                slider = page.locator(".widget-slider").first
                wide_p, wide_s = picture.bounding_box(), slider.bounding_box()
                assert wide_s["x"] >= wide_p["x"] + wide_p["width"] - 1  # controls beside the picture

                version = picture.get_attribute("data-version")
                handle = page.locator(".widget-slider .noUi-handle").first
                box = handle.bounding_box()
                page.mouse.move(box["x"] + 8, box["y"] + 8)
                page.mouse.down()
                page.mouse.move(box["x"] + 48, box["y"] + 8, steps=4)
                page.mouse.up()
                page.wait_for_function(f"document.querySelector('svg.course-picture').getAttribute('data-version') "
                                       f"!== '{version}'", timeout=30000)

                page.set_viewport_size({"width": 760, "height": 900})  # a narrow output area
                page.wait_for_timeout(500)
                narrow_p, narrow_s = picture.bounding_box(), slider.bounding_box()
                assert narrow_s["y"] >= narrow_p["y"] + narrow_p["height"] - 1  # controls wrapped below
                output = page.locator(".jp-OutputArea-output").first.bounding_box()
                assert narrow_p["x"] + narrow_p["width"] <= output["x"] + output["width"] + 1  # nothing cut off
                assert not errors, errors
