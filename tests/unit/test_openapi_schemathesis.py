"""schemathesis against the live /openapi.json: requests made from the document itself, sent
to the app; every answer must be no 5xx, a documented status, and match its documented schema."""

import schemathesis
from hypothesis import HealthCheck, settings

from app import create_app
from app.config import Settings
from tests.helpers import ROOT

# The app a user runs in development (chaos on: its endpoints are documented too), built once:
# schemathesis reads the document from it when this module loads.
schema = schemathesis.openapi.from_wsgi(
    "/openapi.json", create_app(Settings(model_dir=str(ROOT / "models")))
)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate()
