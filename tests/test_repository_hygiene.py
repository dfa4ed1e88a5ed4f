"""No secrets in the repository: every tracked file is scanned for credentials."""

import re
import subprocess

from tests.conftest import REPO

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
    "hard-coded Django SECRET_KEY": re.compile(r"""^SECRET_KEY\s*=\s*["'][^"']{20,}["']""", re.M),
}


def tracked_files():
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_credentials_in_tracked_files():
    found = []
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for what, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                found.append(f"{path.relative_to(REPO)}: {what}")
    assert not found, "credentials in the repository:\n" + "\n".join(found)


def test_scanner_finds_a_planted_key():
    """The scan above must be able to fail."""
    planted = "aws_key = 'AKIA" + "ABCDEFGHIJKLMNOP'\n"
    assert SECRET_PATTERNS["AWS access key"].search(planted)
    assert SECRET_PATTERNS["hard-coded Django SECRET_KEY"].search('SECRET_KEY = "' + "k" * 40 + '"')


def test_runtime_state_is_not_tracked():
    names = {str(path.relative_to(REPO)) for path in tracked_files()}
    assert not any(name.startswith(("var/", ".venv/", "control/")) for name in names)
