"""ekkyo's functional core: plain-Python computations with no Django import.

Everything in this package must be importable and testable without Django
settings: codes and fiscal years, roster and attendance-report reading, seat
allocation, host placement, survey instruments and psychometrics, disclosure
control, KPI counting and synthetic data. Django apps wrap these modules for
persistence, permissions and pages.
"""
