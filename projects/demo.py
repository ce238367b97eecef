"""Demo data for planning (filled in below)."""


def seed_planning_demo(demo_user) -> None:
    return None
