"""Report formats for people and CI: JSON, Markdown, SARIF 2.1.0 (code scanning) and JUnit XML.

A lab gates its recording pipeline with ``python -m validators DATASET --format junit`` (or sarif);
the exit status stays 0 (no error), 1 (errors) or 2 (unusable path) whatever the format.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from .codes import CODES
from .report import Report

FORMATS = ("text", "json", "markdown", "sarif", "junit")
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
README_URL = "validators/README.md"


def render(report: Report, fmt: str, path: str, *, repairs: list[str] | None = None) -> str:
    if fmt == "json":
        data = report.to_dict()
        if repairs is not None:
            data["repairs"] = list(repairs)
            data["path"] = path
        return json.dumps(data)
    if fmt == "markdown":
        return markdown(report, path, repairs=repairs)
    if fmt == "sarif":
        return json.dumps(sarif(report, path), indent=1)
    if fmt == "junit":
        return junit(report, path)
    raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")


def _where(finding) -> str:
    return ", ".join(f"{k}={v}" for k, v in finding.location.items())


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(report: Report, path: str, *, repairs: list[str] | None = None) -> str:
    s = report.summary
    verdict = "✅ valid" if report.valid else "❌ invalid"
    lines = [
        f"## LeRobot dataset validation: `{path}` — {verdict}",
        "",
        f"- codebase_version: {report.codebase_version}, layout {s.get('layout')}",
        f"- {s.get('episodes')} episodes, {s.get('frames')} frames, {s.get('fps')} fps, "
        f"robot {s.get('robot_type')}",
        f"- videos: {s.get('videos_probed')} probed ({s.get('video_check')}), "
        f"{s.get('frames_decoded')} frames decoded",
        f"- {len(report.errors)} error(s), {len(report.warnings)} warning(s)",
        "",
    ]
    if repairs is not None:
        lines += ["### Repairs", ""] + [f"- {r}" for r in repairs or ["nothing to repair"]] + [""]
    if report.findings:
        lines += ["| severity | code | where | message |", "|---|---|---|---|"]
        for f in report.findings:
            lines.append(f"| {f.severity} | `{f.code}` | {_cell(_where(f))} | {_cell(f.message)} |")
    else:
        lines.append("No findings.")
    return "\n".join(lines)


def sarif(report: Report, path: str) -> dict:
    used = sorted(report.codes())
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES[code].meaning if code in CODES else code},
            "defaultConfiguration": {
                "level": SARIF_LEVEL[CODES[code].severity] if code in CODES else "warning"
            },
            "helpUri": README_URL,
        }
        for code in used
    ]
    results = []
    for f in report.findings:
        uri = f.location.get("file") or "meta/info.json"
        result = {
            "ruleId": f.code,
            "ruleIndex": used.index(f.code),
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": "DATASET"},
                    },
                    "logicalLocations": [
                        {"name": _where(f) or uri, "kind": "member"},
                    ],
                }
            ],
            "properties": {k: v for k, v in f.location.items()},
        }
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lerobot-curation-validator",
                        "informationUri": README_URL,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"DATASET": {"uri": _file_uri(path)}},
                "results": results,
                "properties": {"valid": report.valid, "summary": _plain(report.summary)},
            }
        ],
    }


def _file_uri(path: str) -> str:
    from pathlib import Path

    try:
        return Path(path).resolve().as_uri() + "/"
    except ValueError:
        return str(path)


def _plain(summary: dict) -> dict:
    """The summary without the long per-episode list (SARIF viewers show properties verbatim)."""
    return {k: v for k, v in summary.items() if k != "episode_lengths"}


def junit(report: Report, path: str) -> str:
    """One test case per finding code (failed for errors), plus one passing case when clean, so CI
    dashboards show what broke by code."""
    suite = ET.Element(
        "testsuite",
        name=f"lerobot-dataset {path}",
        tests="0",
        failures="0",
        errors="0",
        skipped="0",
    )
    by_code: dict[str, list] = {}
    for f in report.findings:
        by_code.setdefault(f.code, []).append(f)
    failures = 0
    cases = 0
    for code, findings in by_code.items():
        case = ET.SubElement(suite, "testcase", classname="lerobot.dataset", name=code)
        cases += 1
        text = "\n".join(f"[{f.severity}] {f.message} ({_where(f)})" for f in findings)
        if any(f.severity == "error" for f in findings):
            failures += 1
            failure = ET.SubElement(case, "failure", message=findings[0].message[:500], type=code)
            failure.text = text
        else:
            out = ET.SubElement(case, "system-out")
            out.text = text
    if not by_code or report.valid:
        ET.SubElement(suite, "testcase", classname="lerobot.dataset", name="dataset.valid")
        cases += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
