"""Built-in watch presets that a rule can `extends:`.

A preset is a partial watch rule; a rule that extends it adds its own conditions (term lists
are merged, the rule's own scalar settings win).
"""

from __future__ import annotations

from typing import Any

INFRASTRUCTURE: dict[str, Any] = {
    # Only engineering roles: "platform" in "Account Executive, Platforms" is not infra work.
    "title_any": [
        "engineer",
        "engineering",
        "developer",
        "SRE",
        "architect",
        "administrator",
        "devops",
        "programmer",
    ],
    "title_none": [
        "account executive",
        "sales",
        "marketing",
        "recruiter",
        "recruiting",
        "sourcer",
        "talent",
        "partnerships",
        "business development",
        "designer",
        "counsel",
        "solutions architect",
        "solutions engineer",
        "customer success",
        "support engineer",
    ],
    # The role is about infrastructure when its title says so, or its text names several
    # infrastructure areas (company boilerplate alone mentions one or two).
    "topic": {
        "title": [
            "infrastructure",
            "infra",
            "platform engineer",
            "platform engineering",
            "site reliability",
            "SRE",
            "reliability engineer",
            "devops",
            "cloud",
            "kubernetes",
            "networking",
            "network engineer",
            "storage",
            "database",
            "distributed systems",
            "compute",
            "observability",
            "production engineer",
            "systems engineer",
        ],
        # Specific areas only: "infrastructure", "cloud" or "scale" appear in most company blurbs.
        "text": [
            "compute",
            "networking",
            "storage",
            "database",
            "caching",
            "distributed systems",
            "site reliability",
            "SRE",
            "kubernetes",
            "observability",
            "service mesh",
            "terraform",
            "linux",
            "load balancing",
            "containers",
            "capacity planning",
            "infrastructure as code",
            "on-call",
        ],
        "min_text": 4,
    },
}

PRESETS: dict[str, dict[str, Any]] = {"infrastructure": INFRASTRUCTURE}
