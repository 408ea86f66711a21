"""JSON Schemas of the published contracts, generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from screener.models import SCHEMAS, Declaration

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_files() -> dict[str, str]:
    """File name -> JSON text for each contract (inputs in validation mode, outputs as emitted)."""
    files = {}
    for name, model in SCHEMAS.items():
        mode = "validation" if model is Declaration else "serialization"
        schema = {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"urn:screener:contract:{name}:1",
            **model.model_json_schema(mode=mode),
        }
        files[f"{name}.v1.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def write_files(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write generated files (paths relative to `directory`)."""
    written = []
    for filename, text in files.items():
        path = directory / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(directory: Path, files: dict[str, str]) -> list[str]:
    """Names of committed files that differ from (or lack) what is generated now."""
    return [
        filename
        for filename, text in files.items()
        if not (directory / filename).is_file()
        or (directory / filename).read_text(encoding="utf-8") != text
    ]
