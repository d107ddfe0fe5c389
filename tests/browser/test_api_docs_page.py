"""GET /docs/ in a real browser, served by a real gunicorn: the page shows every operation of
the live /openapi.json, and "Try it out" on the predict operation reaches that very server."""

import json
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import loaded_from_elsewhere, run_gunicorn

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PREDICT = '.opblock-post:has(.opblock-summary-path[data-path="/api/v1/predict"])'


@pytest.fixture(scope="module")
def server():
    # No API_DOCS: development's default must be what serves the page.
    with run_gunicorn(env={"APP_ENV": "development", "API_DOCS": None}) as server:
        yield server


@pytest.fixture(scope="module")
def document(server) -> dict:
    with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=5) as response:
        return json.load(response)


@pytest.fixture
def docs_page(browser, server):
    browser.get(f"{server.url}/docs/")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, PREDICT)))
    return browser


def test_every_operation_of_the_document_is_on_the_page(docs_page, document, server, screenshot):
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    shown = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in docs_page.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    screenshot("api-docs")
    assert shown == documented
    # Swagger UI came from the package, through this server: nothing from a CDN.
    assert loaded_from_elsewhere(docs_page, server.url) == []


def test_try_it_out_predicts_through_the_same_server(docs_page, document, server, screenshot):
    operation = docs_page.find_element(By.CSS_SELECTOR, PREDICT)
    wait = WebDriverWait(docs_page, 15)  # ignores "no such element" until it appears

    def appeared(css: str):
        return wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, css))

    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(EC.element_to_be_clickable(appeared(".try-out__btn"))).click()
    # Swagger UI fills the body with the document's example: the model's average wine.
    body = json.loads(appeared("textarea.body-param__text").get_attribute("value"))
    predict = document["paths"]["/api/v1/predict"]["post"]
    assert body == predict["requestBody"]["content"]["application/json"]["example"]

    appeared("button.execute").click()
    status = appeared(".live-responses-table .response .response-col_status")
    request_url = operation.find_element(By.CSS_SELECTOR, ".request-url")
    docs_page.execute_script("arguments[0].scrollIntoView()", request_url)  # URL, code, body
    screenshot("api-docs-try-it-out")
    assert request_url.find_element(By.TAG_NAME, "pre").text == f"{server.url}/api/v1/predict", (
        "the request goes to the server the page came from"
    )
    assert status.text == "200"
    answer = json.loads(operation.find_element(By.CSS_SELECTOR, ".live-responses-table code").text)
    classes = document["components"]["schemas"]["PredictResponse"]["properties"]["prediction"]
    assert answer["prediction"] in classes["enum"]

    # It really reached the server: the access log has it, under the answer's request id.
    lines = server.wait_for_access_lines(
        lambda lines: any(line["request_id"] == answer["request_id"] for line in lines)
    )
    (line,) = [line for line in lines if line["request_id"] == answer["request_id"]]
    assert (line["method"], line["route"], line["status"]) == ("POST", "/api/v1/predict", 200)
