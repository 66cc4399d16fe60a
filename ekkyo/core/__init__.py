"""ekkyo's functional core: plain-Python computations with no Django import.

Everything in this package must be importable and testable without Django
settings: allocation, codes and fiscal years, roster parsing, synthetic data,
and (later) team formation, scheduling, psychometrics, disclosure control and
KPI counting. Django apps wrap these modules for persistence and pages.
"""
