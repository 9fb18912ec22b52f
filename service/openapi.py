"""The committed contract: the app's OpenAPI description rendered as stable YAML."""

import yaml
from fastapi import FastAPI


def render_openapi_yaml(app: FastAPI) -> str:
    """openapi.yaml's exact text; ``clearfile openapi`` writes it and a test diffs it."""
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
