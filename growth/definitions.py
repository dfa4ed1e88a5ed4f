"""The words shown next to every number: what is counted, per period or cumulative, and how."""

DEFINITIONS = {
    "domain": (
        "A repo belongs to a domain when any of the domain's rules (or a sub-domain's) matches its "
        "task_categories, tags (case-insensitive), pipeline_tag or library_name. A repo can belong "
        "to several domains."
    ),
    "created": (
        "Created in a period: repos whose createdAt falls in that calendar month, quarter or year "
        "(UTC), as listed in the snapshot. Deleted or private repos are not listed, so past counts "
        "can only shrink over time. The Hub sets createdAt to 2022-03-02 for repos older than that."
    ),
    "cumulative": "Cumulative: repos created up to the end of the period (the stock).",
    "share": "Share of the Hub: the domain's repos over all repos of the same type (datasets or models).",
    "yoy": (
        "YoY growth: count in a period / count in the same period a year earlier - 1. The "
        "snapshot's own period is incomplete (marked 'partial', up to the snapshot date): its "
        "YoY compares the same elapsed span a year earlier (whole months, plus the snapshot's "
        "month prorated by the days elapsed before the snapshot date)."
    ),
    "rank": (
        "Rank among task categories: 1 + the number of task categories with more repos in the year "
        "(datasets: task_categories tags; models: pipeline tags), leaving out the domain's own categories."
    ),
    "authors": (
        "Organization: an author namespace in the admin's list of known organizations (companies, "
        "labs, universities, projects). Independent author: every other namespace (users and "
        "organizations not in the list). The Hub's listing does not say which is which."
    ),
    "downloads": (
        "downloads is the Hub's rolling 30-day count; downloadsAllTime a running total. Downloads "
        "between two snapshots = sum over repos of clip(all-time now - all-time before, 0, 30-day "
        "count); daily downloads = that / days between the snapshots."
    ),
    "report": (
        "The Spring 2026 report's robotics figures (1,145 in 2024, 26,991 in 2025) do not say whether "
        "they count datasets created in the year or the stock at its end: both are shown here."
    ),
}

DEFINITIONS["heatmap"] = (
    "Release heatmap: for the domain's organizations with the most repos (up to 40; an "
    "organization is a namespace in the admin's list of known organizations), the number of "
    "models and datasets each created per calendar month (createdAt, UTC), as listed in the "
    "snapshot. A repo counts in every domain and sub-domain whose rules select it. Colours are "
    "on a log scale of the largest cell shown."
)
DEFINITIONS["rules_version"] = (
    "Rules version: every distinct set of active domain rules gets a number. Editing a rule in "
    "the admin recomputes every snapshot's figures; until that finishes a page says its figures "
    "come from an older version."
)

CHART_DEFINITIONS = {
    "creations": " ".join(
        [
            DEFINITIONS["created"],
            DEFINITIONS["cumulative"],
            DEFINITIONS["share"],
            DEFINITIONS["yoy"],
        ]
    ),
    "ranks": DEFINITIONS["rank"],
    "subdomains": "Each sub-domain's share of its domain's cumulative repos (for robotics: the LeRobot-format share).",
    "downloads": DEFINITIONS["downloads"],
    "authors": DEFINITIONS["authors"] + " Ranked by number of repos in the domain.",
    "heatmap": DEFINITIONS["heatmap"],
}
