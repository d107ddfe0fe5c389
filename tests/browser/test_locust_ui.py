"""`make load-ui`: locust's web UI against the service under a real gunicorn. A student's
way: open the page, ask for two users, start, and watch predictions appear in the table."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import ROOT, free_port, run_gunicorn, start_server, stop_server, wait_until_up


@pytest.fixture
def locust_ui(tmp_path):
    with run_gunicorn() as server:
        port = free_port()
        command = [
            "make",
            "--no-print-directory",
            "load-ui",
            f"LOAD_URL={server.url}",
            f"LOCUST_PORT={port}",
        ]
        proc = start_server(command, tmp_path / "locust.log", cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            problem = wait_until_up(url + "/", proc)
            assert problem is None, problem + (tmp_path / "locust.log").read_text()
            yield url
        finally:
            stop_server(proc, whole_group=True)  # make hands no signal on to locust


def test_the_locust_ui_starts_traffic_and_shows_its_stats(browser, locust_ui, screenshot):
    browser.get(locust_ui + "/")
    wait = WebDriverWait(browser, 60)
    users = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "input[name='userCount']")))
    users.clear()
    users.send_keys("2")
    rate = browser.find_element(By.CSS_SELECTOR, "input[name='spawnRate']")
    rate.clear()
    rate.send_keys("2")
    browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait.until(lambda page: "/api/v1/predict" in page.find_element(By.TAG_NAME, "body").text)
    screenshot("locust-ui")
