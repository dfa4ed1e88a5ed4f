"""LeRobot dataset validation and the VLA inference check. Plain Python: no Django import here."""
