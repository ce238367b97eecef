class StaleVersion(Exception):
    """A write based on a version that is no longer current. Carries the current object so
    the page can show both versions and the API can answer 409 with it."""

    def __init__(self, current):
        self.current = current
        super().__init__("stale version")
