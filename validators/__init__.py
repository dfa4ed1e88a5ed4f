"""LeRobot dataset validation (and the VLA inference check). Plain Python: no Django import here.

from validators import validate
report = validate("/path/to/dataset")
report.valid, report.summary, report.findings
"""

from .core import validate
from .report import Finding, Report

__all__ = ["Finding", "Report", "validate"]
