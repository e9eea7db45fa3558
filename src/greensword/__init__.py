"""GreenSword (绿剑): eco-environmental law-enforcement platform."""

__version__ = "0.1.0"

# The domains in data-flow order (DESIGN.md). The CLI, the web app, the migrations and the demo
# discover each domain's optional modules (cli, api, pages, models, demo) from this list, so a
# domain plugs in by adding files to its own folder only.
DOMAINS = (
    "registry",
    "hj212",
    "offsite",
    "complaint",
    "inspection",
    "cases",
    "transfer",
    "portal",
    "review",
    "oversight",
    "training",
    "evaluation",
    "dashboard",
    "disclosure",
)
