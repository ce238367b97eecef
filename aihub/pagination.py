"""Pagination of long lists without counting every row on every page view.

Django's Paginator counts the whole filtered list (`SELECT COUNT(*)`) to number its pages:
30 ms for 30,000 runs, paid on every page of the runs table. CappedPaginator counts at most
`cap` + 1 rows (`SELECT COUNT(*) FROM (... LIMIT cap + 1)`); a longer list says "10,000+"
and counts exactly only when someone pages to the end of the capped range."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = 10_000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """True while the count stops at the cap: the list has more than `cap` items."""
        return self.count > self.cap and not self.__dict__.get("exact")

    def validate_number(self, number):
        if self.capped:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = 1  # the base class refuses it
            if wanted >= self.num_pages:
                # The last page of the capped range or past it: count exactly, once.
                self.__dict__.update(count=self.object_list.order_by().count(), exact=True)
                self.__dict__.pop("num_pages", None)
        return super().validate_number(number)
