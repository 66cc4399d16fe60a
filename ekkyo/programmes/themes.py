"""The common regional themes (地域課題) every consortium starts with."""

from __future__ import annotations

THEMES = [
    ("agriculture", "農業", "Agriculture"),
    ("fisheries", "漁業", "Fisheries"),
    ("forestry", "林業", "Forestry"),
    ("disaster", "防災", "Disaster preparedness"),
    ("tourism", "観光", "Tourism"),
    ("welfare", "福祉", "Welfare"),
    ("community", "まちづくり", "Community development"),
    ("environment", "環境", "Environment"),
    ("culture", "伝統文化", "Traditional culture"),
    ("ict", "ICT・デジタル", "ICT and digital"),
    ("international", "国際交流", "International exchange"),
    ("education", "教育", "Education"),
]


def themes_ensure() -> int:
    """Create any missing default theme; returns how many were created."""
    from .models import Theme

    have = set(Theme.objects.values_list("code", flat=True))
    missing = [Theme(code=c, name=n, name_en=e) for c, n, e in THEMES if c not in have]
    Theme.objects.bulk_create(missing)
    return len(missing)
