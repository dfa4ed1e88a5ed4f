"""Child process of the validator fuzzer: validates the folders named on stdin, one per line.

For each it writes one JSON line: ``{"ok": true, "valid": ..., "codes": [...]}`` when
``validators.validate`` returned a Report (serialisable to JSON), or ``{"ok": false, "error": ...}``
with the traceback when it raised. The parent enforces the time bound and restarts us if we hang
or die.
"""

import json
import sys
import traceback


def main() -> None:
    from validators import validate

    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        try:
            report = validate(path, workers=1)
            payload = json.dumps(report.to_dict())  # the pipeline stores it as JSON
            answer = {
                "ok": True,
                "valid": report.valid,
                "codes": sorted(report.codes()),
                "failed": [f.message for f in report.by_code("check.failed")],
                "size": len(payload),
            }
        except BaseException:
            answer = {"ok": False, "error": traceback.format_exc()[-3000:]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
