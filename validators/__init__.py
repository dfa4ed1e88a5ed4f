"""LeRobot dataset validation (and the VLA inference check). Plain Python: no Django import here.

    from validators import validate
    report = validate("/path/to/dataset")
    report.valid, report.summary, report.findings

Imports are lazy so that the sandboxed video probe (``python -m validators.video_probe``) starts
without loading numpy and pyarrow.
"""

from .report import Finding, Report

__all__ = ["Finding", "Report", "validate"]


def __getattr__(name):
    if name == "validate":
        from .core import validate

        return validate
    raise AttributeError(f"module 'validators' has no attribute {name!r}")
