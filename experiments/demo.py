"""Demo runs: filled in later."""


def seed_demo_experiments(demo_user) -> None:
    return None
