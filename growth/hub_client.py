"""Crawl the Hub's model and dataset listings, one page at a time, patiently and resumably.

This speaks the same protocol as ``HfApi.list_models`` / ``HfApi.list_datasets`` (``GET
/api/models?expand=...``, pages linked by GitHub-style ``Link: <...>; rel="next"`` headers) through
huggingface_hub's own HTTP session, headers and error handling, and parses every row with the
client's ``ModelInfo`` / ``DatasetInfo``. It walks the pages itself instead of iterating the
``list_*`` generators because a full crawl of ~2.5M repos needs three things they do not give:

- a cursor to resume from: the generators hide the ``next`` URL (huggingface_hub issue #2741), so
  an interrupted crawl would restart from page one. Here every page reports its ``next`` URL and
  the caller checkpoints it together with the rows it stored;
- tolerance of a malformed row: inside the generators one unparsable row raises and ends the
  whole iteration. Here it is reported (position, id, error) and skipped;
- patience with HTTP 429 on every page, honouring ``Retry-After`` and the ``RateLimit`` header
  (huggingface_hub's ``http_backoff`` retries with a fixed exponential schedule and its
  paginator does not retry the first page at all).

huggingface_hub 1.x talks HTTP through httpx: ``get_session()`` is an ``httpx.Client``, transport
failures are ``httpx.TransportError`` and responses carry their parsed ``Link`` header in ``links``.

Nothing here touches Django: it yields plain dicts in the snapshot format (``growth.snapshot``).
"""

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from huggingface_hub import DatasetInfo, ModelInfo
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

log = logging.getLogger(__name__)

MODEL_EXPAND = (
    "author", "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes", "tags",
    "pipeline_tag", "library_name", "baseModels",
)  # fmt: skip
DATASET_EXPAND = (
    "author", "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes", "tags",
    "cardData",
)  # fmt: skip
RETRY_STATUSES = (429, 500, 502, 503, 504)
BASE_RELATIONS = ("finetune", "adapter", "quantized", "merge")


class HubCrawlError(RuntimeError):
    """The Hub kept failing for one page after every retry; the checkpoint is still valid."""


@dataclass
class Page:
    url: str
    next_url: str | None  # where to resume after this page is stored; None when it was the last
    rows: list[dict]  # valid rows in the snapshot format
    malformed: list[dict] = field(default_factory=list)  # {"position", "id", "error"}


def first_page_url(endpoint: str, repo_type: str, page_size: int | None = None) -> str:
    """The URL of the first listing page, with every field we store expanded.

    Like ``HfApi.list_models`` we send no ``limit`` by default and let the Hub choose the page
    size: with an explicit ``limit`` the Hub may stop after that many repos.
    """
    expand = MODEL_EXPAND if repo_type == "model" else DATASET_EXPAND
    params = {"expand": list(expand)}
    if page_size is not None:
        params["limit"] = page_size
    return str(httpx.URL(f"{endpoint.rstrip('/')}/api/{repo_type}s", params=params))


def retry_delay(response: httpx.Response | None, attempt: int, max_wait: float) -> float:
    """Seconds to wait before retrying: what the Hub asks for, else exponential backoff."""
    if response is not None:
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), max_wait)
            except ValueError:
                when = email.utils.parsedate_to_datetime(retry_after)
                if when is not None:
                    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), max_wait)
        # IETF draft header the Hub sends: RateLimit: "api";r=0;t=37 (t = seconds to reset)
        match = re.search(r"\bt=(\d+)", response.headers.get("RateLimit", ""))
        if match:
            return min(float(match.group(1)), max_wait)
    return min(2.0 ** (attempt - 1), max_wait)


def get_page(
    url: str,
    token: str | None = None,
    max_retries: int = 12,
    max_wait: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """GET one listing page, waiting out rate limits and transient errors."""
    headers = build_hf_headers(token=token, library_name="lerobot-curation-growth")
    session = get_session()
    for attempt in range(1, max_retries + 2):
        response = None
        try:
            response = session.get(url, headers=headers, timeout=60)
        except httpx.TransportError as exc:
            log.warning("Hub listing %s: %s (attempt %d)", url, exc, attempt)
        else:
            if response.status_code not in RETRY_STATUSES:
                hf_raise_for_status(response)
                return response
            log.warning("Hub listing %s: HTTP %d (attempt %d)", url, response.status_code, attempt)
        if attempt > max_retries:
            break
        sleep(retry_delay(response, attempt, max_wait))
    status = f"HTTP {response.status_code}" if response is not None else "no connection"
    raise HubCrawlError(f"{url}: still failing ({status}) after {max_retries} retries")


def _count(value, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _text(value, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


def parse_row(item, repo_type: str, snapshot_date) -> dict:
    """One listing row -> a snapshot row. Raises ValueError/TypeError/KeyError when malformed."""
    if not isinstance(item, dict):
        raise ValueError(f"a row must be a JSON object, got {type(item).__name__}")
    info = ModelInfo(**item) if repo_type == "model" else DatasetInfo(**item)
    if not isinstance(info.id, str) or not info.id.strip():
        raise ValueError(f"id must be a non-empty string, got {info.id!r}")
    tags = info.tags or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError(f"tags must be a list of strings, got {tags!r}")
    base = item.get("baseModels") if repo_type == "model" else None
    base_models = None
    if base:
        if not isinstance(base, dict) or base.get("relation") not in BASE_RELATIONS:
            raise ValueError(f"baseModels must be {{relation, models}}, got {base!r}")
        ids = [m["id"] for m in base.get("models") or [] if isinstance(m, dict) and m.get("id")]
        base_models = {"relation": base["relation"], "models": [{"id": i} for i in ids]}
    author = _text(info.author, "author") or (info.id.split("/")[0] if "/" in info.id else "")
    return {
        "repo_type": repo_type,
        "id": info.id,
        "author": author,
        "createdAt": info.created_at,
        "lastModified": info.last_modified,
        "downloads": _count(info.downloads, "downloads"),
        "downloadsAllTime": _count(getattr(info, "downloads_all_time", None), "downloadsAllTime"),
        "likes": _count(info.likes, "likes"),
        "tags": tags,
        "pipeline_tag": _text(getattr(info, "pipeline_tag", None), "pipeline_tag"),
        "library_name": _text(getattr(info, "library_name", None), "library_name"),
        "baseModels": base_models,
        "snapshot_date": snapshot_date,
    }


def crawl(
    endpoint: str,
    repo_type: str,
    snapshot_date,
    start_url: str | None = None,
    start_position: int = 0,
    token: str | None = None,
    page_size: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = 12,
) -> Iterator[Page]:
    """Yield every page of a listing from ``start_url`` (the first page when None).

    ``start_position`` is the number of rows before ``start_url`` (for malformed-row positions).
    """
    url = start_url or first_page_url(endpoint, repo_type, page_size)
    position = start_position
    while url:
        response = get_page(url, token=token, sleep=sleep, max_retries=max_retries)
        try:
            items = response.json()
        except ValueError as exc:
            raise HubCrawlError(f"{url}: the Hub answered with something that is not JSON") from exc
        if not isinstance(items, list):
            raise HubCrawlError(f"{url}: expected a JSON list of repos, got {type(items).__name__}")
        next_url = response.links.get("next", {}).get("url")
        page = Page(url=url, next_url=next_url, rows=[])
        for item in items:
            try:
                page.rows.append(parse_row(item, repo_type, snapshot_date))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                repo_id = item.get("id") if isinstance(item, dict) else None
                page.malformed.append(
                    {"position": position, "id": repo_id, "error": f"{type(exc).__name__}: {exc}"}
                )
            position += 1
        yield page
        url = next_url
