"""The dataset card: README.md rendered (raw HTML never passes), its licence, a citation in BibTeX
and CFF, and schema.org / Croissant JSON-LD for the page head. Plain functions over a version."""

import json
import re

import yaml
from django.urls import reverse
from django.utils.html import _json_script_escapes
from markdown_it import MarkdownIt

from curation.distribution import selectors as dist
from curation.models import Submission
from curation.services import storage

README_MAX_BYTES = 512 * 1024
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)

# CommonMark with raw HTML off: "<script>" in a README is shown as text, never run; markdown-it
# also refuses javascript:/vbscript:/data: links.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def readme_of(submission: Submission) -> tuple[dict, str]:
    """``(front matter, markdown body)`` of the version's README.md; empty when it has none."""
    file = submission.files.select_related("blob").filter(path="README.md").first()
    if file is None or file.blob.size > README_MAX_BYTES:
        return {}, ""
    with storage.open_blob(file.blob) as handle:
        text = handle.read().decode("utf-8", errors="replace")
    meta = {}
    if match := FRONT_MATTER.match(text):
        try:
            loaded = yaml.safe_load(match.group(1))
            meta = loaded if isinstance(loaded, dict) else {}
        except yaml.YAMLError:
            meta = {}
        text = text[match.end() :]
    return meta, text


def render_markdown(text: str) -> str:
    return _markdown.render(text)


def licence_of(meta: dict) -> str:
    value = meta.get("license") or meta.get("licence") or ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value)


def _year(submission: Submission) -> int:
    moment = submission.decided_at or submission.created_at
    return moment.year


def citation_key(submission: Submission) -> str:
    dataset = submission.dataset
    raw = f"{dataset.lab.slug}_{dataset.slug}_v{submission.version}"
    return re.sub(r"[^A-Za-z0-9_]", "_", raw)


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\&%$#_^~])", r"\\\1", text)


def bibtex(submission: Submission, url: str) -> str:
    dataset = submission.dataset
    fields = [
        ("title", _bibtex_escape(dataset.title)),
        ("author", "{" + _bibtex_escape(dataset.lab.name) + "}"),
        ("year", str(_year(submission))),
        ("version", str(submission.version)),
        ("howpublished", "LeRobot curation platform"),
        ("url", url),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation_key(submission)},\n{body}\n}}\n"


def cff(submission: Submission, url: str, licence: str = "") -> str:
    """CITATION.cff (Citation File Format 1.2.0), written as YAML by the YAML library."""
    dataset = submission.dataset
    document = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it as below.",
        "type": "dataset",
        "title": dataset.title,
        "authors": [{"name": dataset.lab.name}],
        "version": str(submission.version),
        "url": url,
    }
    if submission.decided_at:
        document["date-released"] = submission.decided_at.date().isoformat()
    if licence:
        document["license"] = licence
    if dataset.description:
        document["abstract"] = dataset.description
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def json_ld(submission: Submission, *, page_url: str, zip_url: str, licence: str = "") -> dict:
    """schema.org Dataset with the Croissant 1.0 context (what Google Dataset Search, Dataverse
    and the Hub put in a landing page's head)."""
    dataset = submission.dataset
    summary = (submission.report or {}).get("summary") or {}
    keywords = ["robotics", "LeRobot"]
    keywords += [str(x) for x in (summary.get("robot_type"), dataset.domain) if x]
    keywords += [str(t) for t in (summary.get("tasks") or [])[:10]]
    data = {
        "@context": {
            "@language": "en",
            "@vocab": "https://schema.org/",
            "cr": "http://mlcommons.org/croissant/",
            "sc": "https://schema.org/",
        },
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": dataset.title,
        "description": dataset.description or dataset.title,
        "url": page_url,
        "version": str(submission.version),
        "creator": {"@type": "Organization", "name": dataset.lab.name},
        "keywords": keywords,
        "identifier": dist.repo_id_of(dataset),
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": "archive.zip",
                "name": f"{dataset.slug}-v{submission.version}.zip",
                "contentUrl": zip_url,
                "encodingFormat": "application/zip",
                "contentSize": f"{sum(f.size for f in dist.file_entries(submission))} B",
            }
        ],
    }
    if submission.decided_at:
        data["datePublished"] = submission.decided_at.date().isoformat()
    if licence:
        data["license"] = licence
    return data


def card_context(request, submission: Submission) -> dict:
    """Everything the dataset card include needs, for one version."""
    dataset = submission.dataset
    meta, body = readme_of(submission)
    licence = licence_of(meta)
    rev = dist.version_ref(submission)
    page_url = request.build_absolute_uri(
        reverse("curation:dataset", args=[dataset.lab.slug, dataset.slug])
        + f"?version={submission.version}"
    )
    zip_url = request.build_absolute_uri(
        reverse("curation:dataset_zip", args=[dataset.lab.slug, dataset.slug, rev])
    )
    return {
        "readme_html": render_markdown(body) if body else "",
        "licence": licence,
        "bibtex": bibtex(submission, page_url),
        "cff": cff(submission, page_url, licence),
        # Escaped like json_script: no "</script>" can end the data block early.
        "json_ld": json.dumps(
            json_ld(submission, page_url=page_url, zip_url=zip_url, licence=licence)
        ).translate(_json_script_escapes),
        "zip_url": zip_url,
        "repo_id": dist.repo_id_of(dataset),
        "revision": rev,
        "hub_endpoint": request.build_absolute_uri("/").rstrip("/"),
    }
